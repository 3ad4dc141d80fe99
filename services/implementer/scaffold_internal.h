// Internals of the scaffold provider, shared by its languages (scaffold_python.cc,
// scaffold_go.cc, scaffold_cpp.cc) and their unit tests. Not part of the implementer's
// interface: ScaffoldProvider (scaffold_provider.h) is.
//
// Each language has two pure functions of the request (plus, for GenerateTests, the change
// Implement returned): the plan is recomputed from the same inputs both times, so the tests
// match the source files even when they are generated in another process.
#pragma once

#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "services/implementer/code_provider.h"

namespace slipway::implementer::scaffold {

// Every path of the base commit: the map's files, else the commit's tree.
using RepoFiles = std::set<std::string, std::less<>>;
[[nodiscard]] absl::StatusOr<RepoFiles> ListRepositoryFiles(const ImplementRequest& request);

// The content of `path` in the base commit (request.commit, else the map's commit).
[[nodiscard]] absl::StatusOr<std::string> ReadRepositoryFile(const ImplementRequest& request,
                                                             std::string_view path);

// A data requirement of the recommendation; Fields() drops unnamed and repeated ones.
struct Field {
  std::string name;
  std::string type;
  std::string description;
  bool required = false;
};
std::vector<Field> Fields(const v1::Recommendation& rec);
// Fields() with names made valid UTF-8 (SanitizeUtf8), then unique: for languages whose map
// or dictionary literals reject a repeated key.
std::vector<Field> SanitizedFields(const v1::Recommendation& rec);

// The kind of sample value a test uses for a requirement's free-form type ("decimal",
// "list[int]", "bool", ...).
enum class SampleKind { kBool, kFloat, kInt, kList, kMap, kString };
SampleKind SampleKindOf(const Field& field);

std::string Lowercase(std::string_view text);
// Newlines, carriage returns and tabs become spaces.
std::string OneLine(std::string_view text);
// "book: Title, chapter 4, by A. Author (uri)"; "" when the source is empty. One line.
std::string SourceText(const v1::Source& source);
// The words of `text` (split at any whitespace) in lines of at most `width` bytes; a longer
// word stands on a line of its own. `breakable(word)` false keeps a word off the start of a
// line (it then ends the line before).
std::vector<std::string> WrapWords(std::string_view text, size_t width,
                                   bool (*breakable)(std::string_view word) = nullptr);
// `text` ending a sentence: '.' appended unless it already ends in '.', '!' or '?'.
std::string EndSentence(std::string text);
// Integration points a generated file's documentation names, at most.
inline constexpr size_t kMaxIntegrationPointsShown = 5;
// "Integration points found by the analyzer: a.go (Save); b.go." for the first
// kMaxIntegrationPointsShown points, one line; "" when the analysis has none.
std::string IntegrationPointsSentence(const v1::Analysis& analysis);

// "shipping_insurance" -> "ShippingInsurance".
std::string PascalCase(std::string_view identifier);

// INVALID_ARGUMENT "analysis.<field>: <message>".
absl::Status AnalysisError(std::string_view field, std::string_view message);
// FAILED_PRECONDITION: the scaffold only adds files.
absl::Status AlreadyExists(std::string_view path);
// FAILED_PRECONDITION unless `change` adds `path` (the tests exercise that file).
absl::Status RequireAdded(const v1::ChangeSet& change, std::string_view path);

// A file of a change set.
v1::ChangedFile* AddFile(v1::ChangeSet& out, std::string path, std::string content,
                         v1::ChangedFile::Action action, bool is_test);

// The languages.
[[nodiscard]] absl::StatusOr<v1::ChangeSet> ImplementPython(const ImplementRequest& request,
                                                            const RepoFiles& files);
[[nodiscard]] absl::StatusOr<v1::ChangeSet> PythonTests(const ImplementRequest& request,
                                                        const RepoFiles& files,
                                                        const v1::ChangeSet& change);
[[nodiscard]] absl::StatusOr<v1::ChangeSet> ImplementGo(const ImplementRequest& request,
                                                        const RepoFiles& files);
[[nodiscard]] absl::StatusOr<v1::ChangeSet> GoTests(const ImplementRequest& request,
                                                    const RepoFiles& files,
                                                    const v1::ChangeSet& change);
[[nodiscard]] absl::StatusOr<v1::ChangeSet> ImplementCpp(const ImplementRequest& request,
                                                         const RepoFiles& files);
[[nodiscard]] absl::StatusOr<v1::ChangeSet> CppTests(const ImplementRequest& request,
                                                     const RepoFiles& files,
                                                     const v1::ChangeSet& change);

}  // namespace slipway::implementer::scaffold
