// Test harness: temporary folders, the sample repository, child processes and waiting on a
// condition with a deadline (no fixed sleeps).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "libs/repo/repository.h"

namespace slipway::testing {

// A fresh folder under the system's temp folder, removed by the destructor.
class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "slipway-test");
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir();
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

std::filesystem::path SourceDir();  // $SLIPWAY_SOURCE_DIR
std::filesystem::path BinDir();     // $SLIPWAY_BIN_DIR

// Creates the sample repository (examples/repos-src/inventory-service as a git repository)
// under `dir` and returns its path.
std::filesystem::path PrepareSampleRepo(const std::filesystem::path& dir,
                                        const std::string& name = "inventory-service");

// The whole content of a file ("" when it cannot be read).
std::string ReadFile(const std::filesystem::path& path);
// Writes `content` to `path`, creating its folders.
void WriteFile(const std::filesystem::path& path, const std::string& content);

// An interpreter that can run `-m pytest`: $SLIPWAY_PYTHON, python3 on PATH, then
// /usr/bin/python3; empty when none can.
std::string PythonWithPytest();

using Files = std::map<std::string, std::string>;  // path -> content

// A throw-away git repository with one commit of `files` (and `symlinks`: link -> target),
// removed by the destructor.
class GitFixture {
 public:
  explicit GitFixture(const Files& files, const Files& symlinks = {});
  GitFixture(const GitFixture&) = delete;
  GitFixture& operator=(const GitFixture&) = delete;

  bool ok() const { return repo_.has_value() && !commit_.empty(); }
  const std::filesystem::path& root() const { return dir_.path(); }
  const repo::Repository& repo() const { return *repo_; }
  const std::string& commit() const { return commit_; }

 private:
  TempDir dir_;
  std::optional<repo::Repository> repo_;
  std::string commit_;
};

// Runs `command` through the shell; returns its exit code and combined output.
struct CommandResult {
  int exit_code = -1;
  std::string output;
};
CommandResult RunCommand(const std::string& command);

// A child process with its output in a file.
class ChildProcess {
 public:
  ChildProcess(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
               const std::filesystem::path& log);
  ~ChildProcess();
  // SIGTERM, then waits up to `grace`; SIGKILL after. Returns the exit code (or 128+signal).
  int Terminate(std::chrono::milliseconds grace = std::chrono::seconds(10));
  bool Running();
  std::string Output() const;
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  int exit_code_ = -1;
  std::filesystem::path log_;
};

// Calls `condition` until it returns true or `limit` passes; returns its last answer.
bool WaitFor(const std::function<bool()>& condition, std::chrono::milliseconds limit,
             std::chrono::milliseconds every = std::chrono::milliseconds(50));

}  // namespace slipway::testing
