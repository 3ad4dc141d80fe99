// Checks of files a model wrote, before they become a change set: where they go, what they
// are, how big, whether they parse with the language's own tool, and whether their imports
// resolve to the repository, the standard library or a declared dependency.
//
// The problems found are returned as data (they are sent back to the model once); errors are
// for infrastructure only (the base commit cannot be read or checked out: repository errors;
// INTERNAL for a temp folder). Any thread; the Repository is used by one thread at a time.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "services/implementer/code_provider.h"
#include "services/implementer/llm_answer.h"
#include "slipway/v1/artifacts.pb.h"

namespace slipway::implementer {

struct FileRules {
  size_t max_files = 20;
  size_t max_file_bytes = 256 * 1024;
  size_t max_total_bytes = 1024 * 1024;
  // Extensions (with the dot) and whole file names a model may write.
  std::vector<std::string> allowed_extensions = {
      ".py", ".pyi", ".go", ".c", ".cc", ".cpp", ".cxx", ".h", ".hh", ".hpp", ".hxx",
      ".js", ".mjs", ".cjs", ".jsx", ".ts", ".tsx", ".java", ".kt", ".rs", ".json",
      ".toml", ".yaml", ".yml", ".cfg", ".ini", ".txt", ".md", ".sql", ".proto"};
  std::vector<std::string> allowed_names = {"CMakeLists.txt", "go.mod", "go.sum", "Makefile",
                                            "Cargo.toml", "package.json", "pyproject.toml"};
  // Never written by a model: its own gates, CI definitions.
  std::vector<std::string> forbidden = {".slipway.yaml", ".github/", ".gitlab-ci.yml",
                                        ".circleci/", "Jenkinsfile", ".gitmodules"};
  bool syntax_check = true;
  bool import_check = true;
  std::chrono::milliseconds tool_timeout{30'000};
};

struct FileCheckOutcome {
  v1::ChangeSet change;               // the files as a change set (action, is_test filled)
  std::vector<std::string> problems;  // each names the file (and line when known)
  std::vector<std::string> notes;     // checks skipped and why ("gofmt not installed")
};

// `files` are whole new contents. The change set's action is MODIFY for paths of the base
// commit, ADD otherwise; is_test follows the repository's test conventions. `also_present`
// files (e.g. the implementer's change when tests are checked) count as existing for import
// resolution and are materialised for compiler checks, but are not checked themselves.
absl::StatusOr<FileCheckOutcome> CheckModelFiles(const std::vector<AnswerFile>& files,
                                                 const ImplementRequest& request,
                                                 const v1::ChangeSet& also_present,
                                                 const FileRules& rules);

}  // namespace slipway::implementer
