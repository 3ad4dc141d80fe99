// Read access to a git repository through libgit2: resolve revisions, list and read the
// files of a commit, and materialise a commit into a folder.
//
// A Repository is owned by one thread at a time (libgit2 objects are not shared across
// threads); open one per task. Errors: NOT_FOUND for an unknown revision or path,
// FAILED_PRECONDITION for a repository with no commits, INVALID_ARGUMENT for a path that is
// not a repository.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

struct git_repository;

namespace slipway::repo {

struct TreeFile {
  std::string path;  // repository-relative, forward slashes
  uint64_t size = 0;
  std::string blob_id;
  bool executable = false;
  bool symlink = false;
};

class Repository {
 public:
  // `path` is a work tree, a .git folder or a bare repository.
  static absl::StatusOr<Repository> Open(const std::filesystem::path& path);

  Repository(Repository&&) noexcept;
  Repository& operator=(Repository&&) noexcept;
  ~Repository();

  // Full 40-hex id of the commit `rev` names ("HEAD", a branch, a tag, a sha).
  absl::StatusOr<std::string> ResolveCommit(std::string_view rev) const;
  // The id of the commit's root tree.
  absl::StatusOr<std::string> TreeId(std::string_view commit) const;
  // Every blob of the commit's tree (submodules are skipped), in tree order.
  absl::StatusOr<std::vector<TreeFile>> ListFiles(std::string_view commit) const;
  // Content of the blob at `path` in `commit`.
  absl::StatusOr<std::string> ReadFile(std::string_view commit, std::string_view path) const;
  absl::StatusOr<std::string> ReadBlob(std::string_view blob_id) const;
  // Writes every file of `commit` under `dir` (created if missing).
  absl::Status Checkout(std::string_view commit, const std::filesystem::path& dir) const;

  const std::filesystem::path& path() const { return path_; }
  git_repository* raw() const { return repo_; }

 private:
  Repository(git_repository* repo, std::filesystem::path path);
  git_repository* repo_ = nullptr;
  std::filesystem::path path_;
};

// The last libgit2 error as text, prefixed by `what`.
std::string GitError(std::string_view what);

}  // namespace slipway::repo
