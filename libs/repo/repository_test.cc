#include "libs/repo/repository.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "gtest/gtest.h"

namespace slipway::repo {
namespace {

namespace fs = std::filesystem;

class RepositoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("slipway-repo-test-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "pkg");
    std::ofstream(dir_ / "pkg" / "a.py") << "import os\n";
    std::ofstream(dir_ / "README.md") << "hello\n";
    std::string cmd = "cd '" + dir_.string() +
                      "' && git init -q && git -c user.name=t -c user.email=t@e add -A && "
                      "git -c user.name=t -c user.email=t@e commit -qm init";
    ASSERT_EQ(std::system(cmd.c_str()), 0);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(RepositoryTest, ListsReadsAndChecksOut) {
  auto repo = Repository::Open(dir_);
  ASSERT_TRUE(repo.ok()) << repo.status();
  auto head = repo->ResolveCommit("HEAD");
  ASSERT_TRUE(head.ok()) << head.status();
  EXPECT_EQ(head->size(), 40u);
  auto files = repo->ListFiles(*head);
  ASSERT_TRUE(files.ok());
  ASSERT_EQ(files->size(), 2u);
  EXPECT_EQ((*files)[1].path, "pkg/a.py");
  EXPECT_EQ((*files)[1].size, 10u);
  auto content = repo->ReadFile(*head, "pkg/a.py");
  ASSERT_TRUE(content.ok());
  EXPECT_EQ(*content, "import os\n");
  EXPECT_EQ(repo->ReadFile(*head, "nope").status().code(), absl::StatusCode::kNotFound);
  fs::path out = dir_ / "out";
  ASSERT_TRUE(repo->Checkout(*head, out).ok());
  EXPECT_TRUE(fs::exists(out / "pkg" / "a.py"));
  EXPECT_EQ(repo->ResolveCommit("no-such-branch").status().code(), absl::StatusCode::kNotFound);
}

TEST(Repository, RejectsNonRepositoryAndEmptyRepository) {
  EXPECT_EQ(Repository::Open("/proc").status().code(), absl::StatusCode::kInvalidArgument);
  fs::path empty = fs::temp_directory_path() / ("slipway-empty-" + std::to_string(::getpid()));
  fs::remove_all(empty);
  fs::create_directories(empty);
  ASSERT_EQ(std::system(("git init -q '" + empty.string() + "'").c_str()), 0);
  auto repo = Repository::Open(empty);
  ASSERT_TRUE(repo.ok());
  EXPECT_EQ(repo->ResolveCommit("HEAD").status().code(), absl::StatusCode::kFailedPrecondition);
  fs::remove_all(empty);
}

}  // namespace
}  // namespace slipway::repo
