// The llm provider's reading of a model's answer: the structured reply it asks for, parsed
// and turned into whole files.
//
// The model is asked for one JSON object:
//   {"summary": "<one line>",
//    "files": [{"path": "pkg/x.py", "content": "<the whole new file>"}, ...],
//    "diff": "<a unified diff against the base commit>"}      // optional, instead of or with files
// Answers wrapped in a Markdown code fence, or with prose around the object, are accepted; a
// bare unified diff (no JSON) is accepted too. Keys other than these are ignored.
//
// Pure functions except ApplyUnifiedDiff, which reads the repository. Any thread (the
// Repository is used by one thread at a time). Errors are INVALID_ARGUMENT with a message
// written to be sent back to the model: it says what was wrong and where.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "libs/repo/repository.h"

namespace slipway::implementer {

struct AnswerFile {
  std::string path;
  std::string content;
};

struct ModelAnswer {
  std::string summary;
  std::vector<AnswerFile> files;
  std::string diff;  // unified diff text, "" when none
};

// Parses the model's text. INVALID_ARGUMENT: no JSON object and no diff ("the answer is
// neither a JSON object nor a unified diff"), JSON that does not parse (with the position),
// wrong types ("files[1].content must be a string"), an answer with neither files nor diff.
absl::StatusOr<ModelAnswer> ParseModelAnswer(std::string_view text);

// The whole new content of every file `diff` touches, applied to `commit`'s tree (by
// libgit2's patch application: context lines must match). Paths are checked with
// changeset::ValidateRepoPath before anything is applied. INVALID_ARGUMENT for a diff that does
// not parse, a hunk that does not apply (libgit2's reason, naming the file), a deletion or a
// rename (not supported: the change set adds and modifies files). The patched blobs are
// written to the repository's object database (unreferenced; `git gc` prunes them).
absl::StatusOr<std::vector<AnswerFile>> ApplyUnifiedDiff(const repo::Repository& repo,
                                                         std::string_view commit,
                                                         std::string_view diff);

}  // namespace slipway::implementer
