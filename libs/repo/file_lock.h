// An exclusive flock(2) on a file, held until the object is destroyed. It serialises holders
// across processes and across threads alike (each holder opens its own file description).
#pragma once

#include <filesystem>

#include "absl/status/statusor.h"

namespace slipway::repo {

class FileLock {
 public:
  // Creates `path` when missing and blocks until the lock is ours. INTERNAL (retryable) when
  // the file cannot be opened or locked.
  static absl::StatusOr<FileLock> Acquire(const std::filesystem::path& path);

  FileLock(FileLock&& other) noexcept;
  FileLock& operator=(FileLock&& other) noexcept;
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;
  ~FileLock();

 private:
  explicit FileLock(int fd) : fd_(fd) {}
  int fd_;
};

}  // namespace slipway::repo
