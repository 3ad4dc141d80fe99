// Targets::Open of remote URLs: a bare repository served by a real `git daemon` on loopback,
// mirrored under a cache folder.
#include <filesystem>
#include <string>

#include "gtest/gtest.h"
#include "libs/repo/target.h"
#include "tests/harness/git_daemon.h"
#include "tests/harness/harness.h"

namespace slipway::repo {
namespace {

namespace fs = std::filesystem;
using slipway::testing::GitDaemon;
using slipway::testing::RunCommand;
using slipway::testing::TempDir;

class TargetsRemoteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    work_ = dir_.path() / "work";
    fs::create_directories(work_);
    Git(work_, "init -q");
    Commit("README.md", "hello\n");
    bare_ = dir_.path() / "remote.git";
    Git(dir_.path(), "clone -q --bare work remote.git");
    daemon_ = std::make_unique<GitDaemon>(dir_.path());
    ASSERT_TRUE(daemon_->ok()) << daemon_->error();
    url_ = daemon_->url("remote.git");
    config_.mirror_root = dir_.path() / "mirrors";
  }

  std::string Git(const fs::path& where, const std::string& args) {
    auto r = RunCommand("git -C '" + where.string() +
                        "' -c user.name=t -c user.email=t@e -c init.defaultBranch=main " + args);
    EXPECT_EQ(r.exit_code, 0) << args << "\n" << r.output;
    while (!r.output.empty() && r.output.back() == '\n') r.output.pop_back();
    return r.output;
  }

  // Commits in the work repository and returns the new tip.
  std::string Commit(const std::string& file, const std::string& content) {
    slipway::testing::WriteFile(work_ / file, content);
    Git(work_, "add -A");
    Git(work_, "commit -qm '" + file + "'");
    return Git(work_, "rev-parse HEAD");
  }

  TempDir dir_{"slipway-target-remote"};
  fs::path work_, bare_;
  std::unique_ptr<GitDaemon> daemon_;
  std::string url_;
  TargetConfig config_;
};

TEST_F(TargetsRemoteTest, FirstOpenSyncsAndAPresentCommitNeedsNoRemote) {
  const Targets targets(config_);
  const std::string tip = Git(work_, "rev-parse HEAD");

  auto first = targets.Open(url_);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->path(), MirrorPath(url_, config_.mirror_root));
  EXPECT_EQ(first->ResolveCommit("refs/heads/main").value_or(""), tip);

  // The remote goes away: a commit the mirror has is still served from the mirror.
  daemon_->Stop();
  auto offline = targets.Open(url_, tip);
  ASSERT_TRUE(offline.ok()) << offline.status();
  EXPECT_EQ(offline->path(), first->path());
  EXPECT_EQ(offline->ResolveCommit(tip).value_or(""), tip);

  // Without a commit (safety-pre) the remote is always asked, so now that fails.
  absl::Status st = targets.Open(url_).status();
  EXPECT_EQ(st.code(), absl::StatusCode::kUnavailable) << st;
}

TEST_F(TargetsRemoteTest, MissingCommitIsFetchedFromTheRemote) {
  const Targets targets(config_);
  ASSERT_TRUE(targets.Open(url_).ok());
  // A new commit reaches the remote after the mirror was made.
  const std::string next = Commit("next.txt", "next\n");
  Git(work_, "push -q '" + bare_.string() + "' main");

  auto opened = targets.Open(url_, next);
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_EQ(opened->ResolveCommit(next).value_or(""), next);
  EXPECT_EQ(opened->ResolveCommit("refs/heads/main").value_or(""), next);
}

TEST_F(TargetsRemoteTest, CommitTheRemoteLacksIsNotFound) {
  const Targets targets(config_);
  const std::string absent = "0123456789abcdef0123456789abcdef01234567";
  absl::Status st = targets.Open(url_, absent).status();
  EXPECT_EQ(st.code(), absl::StatusCode::kNotFound) << st;
  EXPECT_NE(st.message().find(absent), absl::string_view::npos) << st;
  EXPECT_NE(st.message().find(url_), absl::string_view::npos) << st;
  // The fetch did happen: the mirror exists and has the remote's branch.
  auto mirror = Repository::Open(MirrorPath(url_, config_.mirror_root));
  ASSERT_TRUE(mirror.ok()) << mirror.status();
  EXPECT_EQ(mirror->ResolveCommit("refs/heads/main").value_or(""), Git(work_, "rev-parse HEAD"));
}

TEST_F(TargetsRemoteTest, RemoteUrlWithoutMirrorFolderIsFailedPrecondition) {
  absl::Status st = Targets().Open(url_, Git(work_, "rev-parse HEAD")).status();
  EXPECT_EQ(st.code(), absl::StatusCode::kFailedPrecondition) << st;
  EXPECT_FALSE(fs::exists(config_.mirror_root));
}

}  // namespace
}  // namespace slipway::repo
