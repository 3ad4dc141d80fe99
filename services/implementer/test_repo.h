// Test fixture: a throw-away git repository with given files, committed once, and a minimal
// map of it (the files and the commit), as the implementer's providers read it.
#pragma once

#include <string>

#include "gtest/gtest.h"
#include "slipway/v1/artifacts.pb.h"
#include "tests/harness/harness.h"

namespace slipway::implementer::test_support {

namespace fs = std::filesystem;

using slipway::testing::Files;
using slipway::testing::PythonWithPytest;

class TestRepo {
 public:
  explicit TestRepo(const Files& files) : git_(files) {
    for (const auto& [path, content] : files) {
      auto* f = map_.add_files();
      f->set_path(path);
      f->set_size(content.size());
    }
    map_.set_commit(git_.commit());
  }

  bool ok() const { return git_.ok(); }
  const repo::Repository& repo() const { return git_.repo(); }
  const std::string& commit() const { return git_.commit(); }
  const fs::path& root() const { return git_.root(); }
  v1::RepositoryMap& map() { return map_; }

 private:
  slipway::testing::GitFixture git_;
  v1::RepositoryMap map_;
};

}  // namespace slipway::implementer::test_support
