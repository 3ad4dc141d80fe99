#include "services/implementer/proposed_provider.h"

#include <fmt/format.h>

#include <set>

#include "libs/changeset/change_set.h"
#include "libs/recommendation/recommendation.h"
#include "services/implementer/python_check.h"
#include "services/implementer/python_text.h"

namespace slipway::implementer {
namespace {

using recommendation::InvalidFieldError;
using recommendation::QuoteForMessage;

class ProposedProvider final : public CodeProvider {
 public:
  explicit ProposedProvider(ProposedOptions options) : options_(std::move(options)) {}

  std::string name() const override { return "proposed"; }

  absl::StatusOr<v1::ChangeSet> Implement(const ImplementRequest& request) override {
    const v1::Recommendation& rec = request.recommendation;
    if (rec.proposed_files().empty())
      return InvalidFieldError("proposed_files", "provider 'proposed' needs at least one file");

    absl::StatusOr<std::vector<repo::TreeFile>> tree = request.repo.ListFiles(request.commit);
    if (!tree.ok()) {
      return absl::Status(tree.status().code(),
                          fmt::format("proposed provider: list files of commit '{}': {}",
                                      request.commit, std::string(tree.status().message())));
    }
    std::set<std::string, std::less<>> existing;
    for (const auto& f : *tree) existing.insert(f.path);

    v1::ChangeSet out;
    out.set_provider("proposed");
    std::set<std::string_view> seen;
    int added = 0, modified = 0, tests = 0;
    bool python_missing = false;
    for (int i = 0; i < rec.proposed_files_size(); ++i) {
      const v1::ProposedFile& file = rec.proposed_files(i);
      const std::string field = fmt::format("proposed_files[{}]", i);
      const std::string& path = file.path();
      if (absl::Status st = changeset::ValidateRepoPath(path); !st.ok())
        return InvalidFieldError(field + ".path", std::string(st.message()));
      if (!seen.insert(path).second)
        return InvalidFieldError(field + ".path",
                                 fmt::format("{} appears twice", QuoteForMessage(path)));
      if (absl::Status st = CheckAgainstTree(existing, path); !st.ok())
        return InvalidFieldError(field + ".path", std::string(st.message()));

      if (options_.check_python_syntax && !python_missing && path.ends_with(".py")) {
        absl::Status st = CheckPythonSyntax(path, file.content(), options_.python);
        if (st.code() == absl::StatusCode::kNotFound) {
          python_missing = true;
        } else if (st.code() == absl::StatusCode::kInvalidArgument) {
          return InvalidFieldError(field + ".content", std::string(st.message()));
        } else if (!st.ok()) {
          return st;
        }
      }

      v1::ChangedFile* changed = out.add_files();
      changed->set_path(path);
      changed->set_content(file.content());
      const bool exists = existing.contains(path);
      changed->set_action(exists ? v1::ChangedFile::ACTION_MODIFY : v1::ChangedFile::ACTION_ADD);
      changed->set_is_test(LooksLikeTestPath(path));
      ++(exists ? modified : added);
      tests += changed->is_test() ? 1 : 0;
    }
    out.set_summary(fmt::format("proposed: {} file{} ({} added, {} modified, {} test{}) for {}{}",
                                out.files_size(), out.files_size() == 1 ? "" : "s", added, modified,
                                tests, tests == 1 ? "" : "s",
                                QuoteForMessage(SanitizeUtf8(rec.title()), 80),
                                python_missing ? "; Python syntax not checked (no "
                                                 "interpreter)"
                                               : ""));
    if (absl::Status st = changeset::Validate(out); !st.ok()) return st;
    return out;
  }

  // The recommendation's files are the change, tests included: nothing to add.
  absl::StatusOr<v1::ChangeSet> GenerateTests(const ImplementRequest& request,
                                              const v1::ChangeSet& change) override {
    v1::ChangeSet out;
    out.set_provider("proposed");
    out.set_summary("proposed: no tests generated (the recommendation's files are the change)");
    return out;
  }

 private:
  // A proposed file may not replace a folder of the commit nor sit below one of its files.
  static absl::Status CheckAgainstTree(const std::set<std::string, std::less<>>& existing,
                                       const std::string& path) {
    const std::string folder = path + "/";
    auto it = existing.lower_bound(folder);
    if (it != existing.end() && it->starts_with(folder))
      return absl::InvalidArgumentError(
          fmt::format("'{}' is a folder in the base commit", path.substr(0, 200)));
    for (size_t slash = path.find('/'); slash != std::string::npos;
         slash = path.find('/', slash + 1)) {
      if (existing.contains(std::string_view(path).substr(0, slash)))
        return absl::InvalidArgumentError(
            fmt::format("'{}' is a file in the base commit, so '{}' cannot be created",
                        path.substr(0, slash), path.substr(0, 200)));
    }
    return absl::OkStatus();
  }

  ProposedOptions options_;
};

bool HasComponent(std::string_view path, std::string_view name) {
  size_t start = 0;
  while (true) {
    const size_t slash = path.find('/', start);
    if (slash == std::string_view::npos) return false;  // the last part is the file name
    if (path.substr(start, slash - start) == name) return true;
    start = slash + 1;
  }
}

}  // namespace

bool LooksLikeTestPath(std::string_view path) {
  for (std::string_view dir : {"tests", "test", "__tests__", "spec", "testing"})
    if (HasComponent(path, dir)) return true;
  const size_t slash = path.rfind('/');
  const std::string_view base = slash == std::string_view::npos ? path : path.substr(slash + 1);
  if (base == "conftest.py") return true;
  if (base.starts_with("test_") && base.ends_with(".py")) return true;
  for (std::string_view suffix :
       {"_test.py", "_test.go", "_test.cc", "_test.cpp", "_test.cxx", "_unittest.cc", "_test.rs",
        "_spec.rb", "Test.java", "Tests.java", "Test.kt"}) {
    if (base.ends_with(suffix)) return true;
  }
  for (std::string_view kind : {".test.", ".spec."}) {
    const size_t at = base.rfind(kind);
    if (at == std::string_view::npos) continue;
    const std::string_view ext = base.substr(at + kind.size());
    for (std::string_view js : {"js", "ts", "jsx", "tsx", "mjs", "cjs"})
      if (ext == js) return true;
  }
  return false;
}

std::unique_ptr<CodeProvider> MakeProposedProvider(ProposedOptions options) {
  return std::make_unique<ProposedProvider>(std::move(options));
}

}  // namespace slipway::implementer
