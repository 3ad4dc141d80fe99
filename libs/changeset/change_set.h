// The change set: files added or modified by a deployment. Helpers to check its paths and to
// write it over a materialised worktree.
//
// Pure functions, any thread. Errors are INVALID_ARGUMENT naming the file and the rule.
#pragma once

#include <filesystem>
#include <string_view>

#include "absl/status/status.h"
#include "slipway/v1/artifacts.pb.h"

namespace slipway::changeset {

// A path a change set may write: relative, forward slashes, no "." or ".." components, no
// empty components, no ".git" component, no NUL or control characters, no backslash, at most
// 1024 bytes.
absl::Status ValidateRepoPath(std::string_view path);

// Every path of `change_set` is valid and appears once.
absl::Status Validate(const v1::ChangeSet& change_set);

// Writes every file of `change_set` under `root` (creating folders). Refuses to follow a
// symlink that leads out of `root`.
absl::Status ApplyToDirectory(const v1::ChangeSet& change_set, const std::filesystem::path& root);

}  // namespace slipway::changeset
