#include "services/implementer/scaffold_provider.h"

#include <fmt/format.h>

#include "libs/changeset/change_set.h"
#include "libs/recommendation/recommendation.h"
#include "services/implementer/scaffold_internal.h"

namespace slipway::implementer {
namespace {

using recommendation::QuoteForMessage;

enum class Language { kPython, kGo, kCpp };

// The analysis' language (the mapper's names, plus the usual aliases), else the map's.
absl::StatusOr<Language> LanguageOf(const ImplementRequest& request) {
  const std::string language =
      scaffold::Lowercase(request.analysis.language().empty() ? request.map.primary_language()
                                                              : request.analysis.language());
  if (language == "python") return Language::kPython;
  if (language == "go" || language == "golang") return Language::kGo;
  if (language == "cpp" || language == "c++" || language == "cxx") return Language::kCpp;
  return absl::UnimplementedError(
      fmt::format("scaffold provider: language {} not supported yet", QuoteForMessage(language)));
}

class ScaffoldProvider final : public CodeProvider {
 public:
  std::string name() const override { return "scaffold"; }

  absl::StatusOr<v1::ChangeSet> Implement(const ImplementRequest& request) override {
    absl::StatusOr<Language> language = LanguageOf(request);
    if (!language.ok()) return language.status();
    absl::StatusOr<scaffold::RepoFiles> files = scaffold::ListRepositoryFiles(request);
    if (!files.ok()) return files.status();
    absl::StatusOr<v1::ChangeSet> out;
    switch (*language) {
      case Language::kPython:
        out = scaffold::ImplementPython(request, *files);
        break;
      case Language::kGo:
        out = scaffold::ImplementGo(request, *files);
        break;
      case Language::kCpp:
        out = scaffold::ImplementCpp(request, *files);
        break;
    }
    if (!out.ok()) return out.status();
    out->set_provider("scaffold");
    if (absl::Status st = changeset::Validate(*out); !st.ok()) return st;
    return out;
  }

  absl::StatusOr<v1::ChangeSet> GenerateTests(const ImplementRequest& request,
                                              const v1::ChangeSet& change) override {
    absl::StatusOr<Language> language = LanguageOf(request);
    if (!language.ok()) return language.status();
    absl::StatusOr<scaffold::RepoFiles> files = scaffold::ListRepositoryFiles(request);
    if (!files.ok()) return files.status();
    absl::StatusOr<v1::ChangeSet> out;
    switch (*language) {
      case Language::kPython:
        out = scaffold::PythonTests(request, *files, change);
        break;
      case Language::kGo:
        out = scaffold::GoTests(request, *files, change);
        break;
      case Language::kCpp:
        out = scaffold::CppTests(request, *files, change);
        break;
    }
    if (!out.ok()) return out.status();
    out->set_provider("scaffold");
    // The contract: merged into the change, the result is still a valid change set (a test or
    // build file the change already writes would appear twice).
    v1::ChangeSet merged = change;
    for (const v1::ChangedFile& f : out->files()) *merged.add_files() = f;
    if (absl::Status st = changeset::Validate(merged); !st.ok())
      return absl::FailedPreconditionError(
          fmt::format("scaffold provider: the tests cannot be added to the change set: {}",
                      std::string(st.message())));
    return out;
  }
};

}  // namespace

std::unique_ptr<CodeProvider> MakeScaffoldProvider() {
  return std::make_unique<ScaffoldProvider>();
}

}  // namespace slipway::implementer
