// Test fixture: a throw-away git repository with given files, committed once.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "libs/repo/repository.h"
#include "slipway/v1/artifacts.pb.h"

namespace slipway::implementer::test_support {

namespace fs = std::filesystem;

using Files = std::map<std::string, std::string>;

class TestRepo {
 public:
  explicit TestRepo(const Files& files) {
    static std::atomic<int> counter{0};
    root_ = fs::temp_directory_path() /
            ("slipway-impl-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    fs::remove_all(root_);
    fs::create_directories(root_);
    for (const auto& [path, content] : files) {
      fs::create_directories((root_ / path).parent_path());
      std::ofstream(root_ / path, std::ios::binary) << content;
    }
    const std::string cmd = "cd '" + root_.string() +
                            "' && git init -q && git -c user.name=t -c user.email=t@e add -A && "
                            "git -c user.name=t -c user.email=t@e commit -qm init";
    ok_ = std::system(cmd.c_str()) == 0;
    auto repo = repo::Repository::Open(root_);
    if (!repo.ok()) return;
    repo_.emplace(std::move(*repo));
    auto head = repo_->ResolveCommit("HEAD");
    if (head.ok()) commit_ = *head;
    for (const auto& [path, content] : files) {
      auto* f = map_.add_files();
      f->set_path(path);
      f->set_size(content.size());
    }
    map_.set_commit(commit_);
  }
  ~TestRepo() { fs::remove_all(root_); }

  bool ok() const { return ok_ && repo_.has_value() && !commit_.empty(); }
  const repo::Repository& repo() const { return *repo_; }
  const std::string& commit() const { return commit_; }
  const fs::path& root() const { return root_; }
  v1::RepositoryMap& map() { return map_; }

 private:
  fs::path root_;
  bool ok_ = false;
  std::optional<repo::Repository> repo_;
  std::string commit_;
  v1::RepositoryMap map_;
};

// Runs `command` through the shell; returns its exit code and fills `output` (stdout+stderr).
inline int RunShell(const std::string& command, std::string* output) {
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return -1;
  char buf[4096];
  size_t n = 0;
  output->clear();
  while ((n = std::fread(buf, 1, sizeof(buf), pipe)) > 0) output->append(buf, n);
  const int status = ::pclose(pipe);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// An interpreter that has pytest: $SLIPWAY_PYTHON, python3 on PATH, then /usr/bin/python3.
inline std::string PythonWithPytest() {
  std::string out;
  std::vector<std::string> candidates;
  if (const char* env = std::getenv("SLIPWAY_PYTHON")) candidates.push_back(env);
  candidates.push_back("python3");
  candidates.push_back("/usr/bin/python3");
  for (const auto& c : candidates)
    if (RunShell(c + " -c 'import pytest'", &out) == 0) return c;
  return "";
}

}  // namespace slipway::implementer::test_support
