// Test fixture: a throw-away git repository with given files, committed once, and a minimal
// map of it (the files and the commit), as the implementer's providers read it; and the
// provider calls a deployment makes (Implement, then GenerateTests).
#pragma once

#include <string>

#include "gtest/gtest.h"
#include "services/implementer/code_provider.h"
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

// What a deployment gets from `provider`: Implement's change with GenerateTests' files added.
inline absl::StatusOr<v1::ChangeSet> ImplementWithTests(CodeProvider& provider,
                                                        const ImplementRequest& request) {
  absl::StatusOr<v1::ChangeSet> change = provider.Implement(request);
  if (!change.ok()) return change;
  absl::StatusOr<v1::ChangeSet> tests = provider.GenerateTests(request, *change);
  if (!tests.ok()) return tests.status();
  for (const v1::ChangedFile& f : tests->files()) *change->add_files() = f;
  return change;
}

}  // namespace slipway::implementer::test_support
