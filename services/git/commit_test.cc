#include "services/git/commit.h"

#include <git2.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <memory>
#include <thread>

#include "gtest/gtest.h"
#include "libs/repo/repository.h"
#include "services/git/message.h"
#include "tests/harness/harness.h"

namespace slipway::gitsvc {
namespace {

namespace fs = std::filesystem;
using testing::ReadFile;

const char* kId = "3f2a9c1e-77b0-4c1d-9e2f-0a1b2c3d4e5f";

// stdout (and stderr) of a shell command.
std::string Capture(const std::string& cmd) { return testing::RunCommand(cmd).output; }

class CommitTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string templ = (fs::temp_directory_path() / "slipway-git-test-XXXXXX").string();
    ASSERT_NE(::mkdtemp(templ.data()), nullptr);
    dir_ = templ;
    fs::create_directories(dir_ / "pricing");
    std::ofstream(dir_ / "pricing" / "__init__.py") << "";
    std::ofstream(dir_ / "pricing" / "core.py") << "def price():\n    return 1\n";
    std::ofstream(dir_ / "run.sh") << "#!/bin/sh\necho hi\n";
    fs::permissions(dir_ / "run.sh", fs::perms::owner_exec, fs::perm_options::add);
    ASSERT_EQ(std::system(
                  Git("init -q && " + std::string(kGit) + " add -A && " + kGit + " commit -qm init")
                      .c_str()),
              0);
    base_ = Trim(Capture(Git("rev-parse HEAD")));
    ASSERT_EQ(base_.size(), 40u);
  }
  void TearDown() override { fs::remove_all(dir_); }

  static constexpr const char* kGit = "git -c user.name=t -c user.email=t@e";
  std::string Git(const std::string& args) const {
    return "cd '" + dir_.string() + "' && " + kGit + " " + args;
  }
  static std::string Trim(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
    return s;
  }

  CommitRequest Request() const {
    CommitRequest r;
    r.repository = dir_;
    r.base_commit = base_;
    r.deployment_id = kId;
    r.recommendation.set_id("rec-1");
    r.recommendation.set_title("Add price elasticity");
    r.recommendation.set_description("Estimate elasticity.");
    auto* add = r.change_set.add_files();
    add->set_path("pricing/elasticity.py");
    add->set_content("def elasticity():\n    return -1.2\n");
    add->set_action(v1::ChangedFile::ACTION_ADD);
    auto* test = r.change_set.add_files();
    test->set_path("tests/deep/test_elasticity.py");
    test->set_content("def test_e():\n    assert True\n");
    test->set_action(v1::ChangedFile::ACTION_ADD);
    test->set_is_test(true);
    auto* mod = r.change_set.add_files();
    mod->set_path("run.sh");
    mod->set_content("#!/bin/sh\necho changed\n");
    mod->set_action(v1::ChangedFile::ACTION_MODIFY);
    r.tests.set_total(1);
    r.tests.set_passed(1);
    return r;
  }

  fs::path dir_;
  std::string base_;
};

TEST_F(CommitTest, CreatesOneCommitOnANewBranchWithoutTouchingTheWorkTree) {
  std::string status_before = Capture(Git("status --porcelain"));
  std::string head_before = Trim(Capture(Git("symbolic-ref HEAD")));
  const std::string index_before = ReadFile(dir_ / ".git" / "index");

  auto outcome = CommitChangeSet(Request());
  ASSERT_TRUE(outcome.ok()) << outcome.status();
  EXPECT_EQ(ReadFile(dir_ / ".git" / "index"), index_before);
  EXPECT_TRUE(outcome->created());
  EXPECT_EQ(outcome->branch(), "slipway/add-price-elasticity-3f2a9c1e");
  EXPECT_EQ(Trim(Capture(Git("rev-parse refs/heads/" + outcome->branch()))), outcome->commit());
  EXPECT_EQ(Trim(Capture(Git("rev-parse " + outcome->commit() + "^"))), base_);
  EXPECT_EQ(Trim(Capture(Git("rev-list --count " + base_ + ".." + outcome->commit()))), "1");
  EXPECT_EQ(Capture(Git("log -1 --format=%an/%ae " + outcome->commit())),
            "Slipway/slipway@localhost\n");
  EXPECT_EQ(Capture(Git("log -1 '--format=%(trailers:key=Slipway-Deployment,valueonly)' " +
                        outcome->commit())),
            std::string(kId) + "\n\n");

  // Read the tree back through libgit2.
  auto repo = repo::Repository::Open(dir_);
  ASSERT_TRUE(repo.ok());
  EXPECT_EQ(*repo->ReadFile(outcome->commit(), "pricing/elasticity.py"),
            "def elasticity():\n    return -1.2\n");
  EXPECT_EQ(*repo->ReadFile(outcome->commit(), "tests/deep/test_elasticity.py"),
            "def test_e():\n    assert True\n");
  EXPECT_EQ(*repo->ReadFile(outcome->commit(), "run.sh"), "#!/bin/sh\necho changed\n");
  EXPECT_EQ(*repo->ReadFile(outcome->commit(), "pricing/core.py"), "def price():\n    return 1\n");
  auto files = repo->ListFiles(outcome->commit());
  ASSERT_TRUE(files.ok());
  EXPECT_EQ(files->size(), 5u);
  for (const auto& f : *files)
    if (f.path == "run.sh") {
      EXPECT_TRUE(f.executable);
    }

  // Work tree, index file and HEAD untouched.
  EXPECT_EQ(Capture(Git("status --porcelain")), status_before);
  EXPECT_EQ(Trim(Capture(Git("symbolic-ref HEAD"))), head_before);
  EXPECT_EQ(Trim(Capture(Git("rev-parse HEAD"))), base_);
  EXPECT_FALSE(fs::exists(dir_ / "pricing" / "elasticity.py"));
  EXPECT_EQ(ReadFile(dir_ / "run.sh"), "#!/bin/sh\necho hi\n");
}

TEST_F(CommitTest, ReplayReturnsTheSameCommit) {
  auto first = CommitChangeSet(Request());
  ASSERT_TRUE(first.ok()) << first.status();
  auto second = CommitChangeSet(Request());
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_FALSE(second->created());
  EXPECT_EQ(second->commit(), first->commit());
  EXPECT_EQ(second->branch(), first->branch());
}

TEST_F(CommitTest, ConcurrentCallersCreateOneCommit) {
  constexpr int kThreads = 6;
  std::vector<absl::StatusOr<v1::GitOutcome>> results(kThreads, absl::UnknownError("unset"));
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i)
    threads.emplace_back([&, i] { results[i] = CommitChangeSet(Request()); });
  for (auto& t : threads) t.join();
  int created = 0;
  for (const auto& r : results) {
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->commit(), results[0]->commit());
    created += r->created() ? 1 : 0;
  }
  EXPECT_EQ(created, 1);
}

TEST_F(CommitTest, ForeignBranchIsAFailedPrecondition) {
  std::string branch = BranchName("slipway", "Add price elasticity", kId);
  ASSERT_EQ(std::system(Git("branch " + branch).c_str()), 0);
  auto outcome = CommitChangeSet(Request());
  ASSERT_EQ(outcome.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(outcome.status().message().find(branch), std::string::npos);

  // A commit of another deployment on the branch is foreign too.
  CommitRequest other = Request();
  other.deployment_id = "3f2a9c1e-0000-0000-0000-000000000000";  // same 8-char prefix
  ASSERT_EQ(std::system(Git("branch -D " + branch + " -q").c_str()), 0);
  ASSERT_TRUE(CommitChangeSet(other).ok());
  EXPECT_EQ(CommitChangeSet(Request()).status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(CommitTest, HostileTitlesCommitCleanly) {
  const std::vector<std::string> titles = {
      "Ünïcødé 価格 弾力性 🚀", "quotes \"double\" 'single' `back`",
      "shell $(rm -rf /); echo `id` | cat && ~^:?*[\\", "line one\nline two\r\nline three",
      std::string(10 * 1024, 'q')};
  int n = 0;
  for (const auto& title : titles) {
    CommitRequest r = Request();
    r.recommendation.set_title(title);
    r.recommendation.set_description(title);
    r.deployment_id = "0000000" + std::to_string(n++) + "-aaaa";
    auto outcome = CommitChangeSet(r);
    ASSERT_TRUE(outcome.ok()) << outcome.status();
    EXPECT_EQ(std::system(
                  Git("check-ref-format --branch '" + outcome->branch() + "' >/dev/null").c_str()),
              0)
        << outcome->branch();
    std::string subject = Capture(Git("log -1 --format=%s " + outcome->commit()));
    EXPECT_LE(subject.size(), 73u);
    EXPECT_EQ(subject.find('\n'), subject.size() - 1);
  }
}

TEST_F(CommitTest, WorksOnABareRepository) {
  fs::path bare = dir_ / "bare.git";
  ASSERT_EQ(
      std::system(("git clone -q --bare '" + dir_.string() + "' '" + bare.string() + "'").c_str()),
      0);
  CommitRequest r = Request();
  r.repository = bare;
  auto outcome = CommitChangeSet(r);
  ASSERT_TRUE(outcome.ok()) << outcome.status();
  EXPECT_TRUE(outcome->created());
  EXPECT_EQ(Trim(Capture("git -C '" + bare.string() + "' rev-parse " + outcome->commit() + "^")),
            base_);
}

TEST_F(CommitTest, RejectsBadRequests) {
  CommitRequest r = Request();
  r.base_commit = "HEAD";
  EXPECT_EQ(CommitChangeSet(r).status().code(), absl::StatusCode::kInvalidArgument);
  r = Request();
  r.base_commit = std::string(40, 'a');
  EXPECT_EQ(CommitChangeSet(r).status().code(), absl::StatusCode::kNotFound);
  r = Request();
  r.deployment_id = "bad id\n";
  EXPECT_EQ(CommitChangeSet(r).status().code(), absl::StatusCode::kInvalidArgument);
  r = Request();
  r.change_set.mutable_files(0)->set_path("../escape.py");
  EXPECT_EQ(CommitChangeSet(r).status().code(), absl::StatusCode::kInvalidArgument);
  r = Request();
  r.change_set.clear_files();
  EXPECT_EQ(CommitChangeSet(r).status().code(), absl::StatusCode::kInvalidArgument);
  r = Request();
  r.repository = "/proc";
  EXPECT_EQ(CommitChangeSet(r).status().code(), absl::StatusCode::kInvalidArgument);
  // A file over a folder, and a folder under a file, would drop part of the tree.
  r = Request();
  r.change_set.mutable_files(0)->set_path("pricing");
  auto over = CommitChangeSet(r);
  EXPECT_EQ(over.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(over.status().message().find("folder"), std::string::npos);
  r = Request();
  r.change_set.mutable_files(0)->set_path("run.sh/inner.py");
  EXPECT_EQ(CommitChangeSet(r).status().code(), absl::StatusCode::kInvalidArgument);
  // Nothing was left behind.
  EXPECT_EQ(Capture(Git("branch --list 'slipway/*'")), "");
}

TEST_F(CommitTest, DeleteBranchCompensatesOnlyItsOwnBranch) {
  auto outcome = CommitChangeSet(Request());
  ASSERT_TRUE(outcome.ok());
  auto foreign = DeleteBranch(dir_, outcome->branch(), "someone-else");
  EXPECT_EQ(foreign.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(foreign.message().find(outcome->branch()), std::string::npos);
  EXPECT_TRUE(DeleteBranch(dir_, outcome->branch(), kId).ok());
  EXPECT_EQ(Capture(Git("branch --list '" + outcome->branch() + "'")), "");
  // Already gone: compensation is idempotent.
  EXPECT_TRUE(DeleteBranch(dir_, outcome->branch(), kId).ok());

  // A branch someone else made, and the checked-out branch, are refused.
  ASSERT_EQ(std::system(Git("branch not-ours").c_str()), 0);
  EXPECT_EQ(DeleteBranch(dir_, "not-ours", kId).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(Capture(Git("branch --list not-ours")), "");
  auto again = CommitChangeSet(Request());
  ASSERT_TRUE(again.ok());
  ASSERT_EQ(std::system(Git("checkout -q " + again->branch()).c_str()), 0);
  EXPECT_EQ(DeleteBranch(dir_, again->branch(), kId).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(DeleteBranch(dir_, "bad..name", kId).code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace slipway::gitsvc
