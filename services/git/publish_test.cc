// The full-pr operations against real git and a GitHub API on loopback: pushes over a git
// daemon to a bare repository, pull requests, checks and compensation on tests/harness's
// in-memory GitHub.
#include "services/git/publish.h"

#include "gtest/gtest.h"
#include "libs/core/status.h"
#include "libs/forge/github_forge.h"
#include "services/git/commit.h"
#include "services/git/message.h"
#include "tests/harness/git_daemon.h"
#include "tests/harness/github_server.h"
#include "tests/harness/harness.h"

namespace slipway::gitsvc {
namespace {

namespace fs = std::filesystem;
using testing::CommandResult;
using testing::RunCommand;

constexpr char kId[] = "7c1d2e3f-4a5b-4c6d-8e9f-0a1b2c3d4e5f";
constexpr char kRepo[] = "acme/shop";
constexpr char kToken[] = "ghs_publish_token";

std::string Quote(const fs::path& p) { return "'" + p.string() + "'"; }

class PublishTest : public ::testing::Test {
 protected:
  void SetUp() override {
    remotes_ = dir_.path() / "served";
    fs::create_directories(remotes_ / "acme");
    bare_ = remotes_ / "acme" / "shop.git";
    work_ = dir_.path() / "work";
    ASSERT_EQ(Sh("git init -q --bare -b main " + Quote(bare_)).exit_code, 0);
    ASSERT_EQ(Sh("git init -q -b main " + Quote(work_)).exit_code, 0);
    testing::WriteFile(work_ / "shop" / "cart.py", "def total(items):\n    return sum(items)\n");
    ASSERT_EQ(Git("add -A").exit_code, 0);
    ASSERT_EQ(Git("commit -qm init").exit_code, 0);
    base_ = Trim(Git("rev-parse HEAD").output);
    ASSERT_EQ(Git("push -q " + Quote(bare_) + " main").exit_code, 0);
    daemon_ = std::make_unique<testing::GitDaemon>(remotes_);
    ASSERT_TRUE(daemon_->ok());
    ASSERT_GT(github_.port(), 0);
    forge::GitHubConfig config;
    config.api_url = github_.api_url();
    config.token = kToken;
    config.initial_backoff = std::chrono::milliseconds(10);
    config.max_backoff = std::chrono::milliseconds(50);
    config.max_retries = 2;
    auto made = forge::MakeGitHubForge(config);
    ASSERT_TRUE(made.ok()) << made.status();
    forge_ = std::move(*made);
    target_.push_url = daemon_->url("acme/shop.git");
    target_.forge_repo = {"acme", "shop"};
  }

  CommandResult Sh(const std::string& command) { return RunCommand(command); }
  CommandResult Git(const std::string& args) {
    return RunCommand("cd " + Quote(work_) + " && git -c user.name=t -c user.email=t@e " + args);
  }
  static std::string Trim(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
    return s;
  }
  std::string RemoteTip(const std::string& branch) {
    CommandResult r =
        Sh("git --git-dir=" + Quote(bare_) + " rev-parse --verify -q refs/heads/'" + branch + "'");
    return r.exit_code == 0 ? Trim(r.output) : "";
  }

  // Commits a change on the deployment's branch of the work repository.
  v1::GitOutcome CommitChange(const std::string& title, const std::string& id = kId) {
    CommitRequest req;
    req.repository = work_;
    req.base_commit = base_;
    req.deployment_id = id;
    req.recommendation.set_title(title);
    auto* f = req.change_set.add_files();
    f->set_path("shop/discount.py");
    f->set_content("def discount(total):\n    return total * 0.9\n");
    f->set_action(v1::ChangedFile::ACTION_ADD);
    auto outcome = CommitChangeSet(req);
    EXPECT_TRUE(outcome.ok()) << outcome.status();
    return outcome.ok() ? *outcome : v1::GitOutcome{};
  }

  forge::PullRequestSpec Spec(const v1::GitOutcome& git) {
    forge::PullRequestSpec spec;
    spec.title = "Add a discount";
    spec.body = "body";
    spec.head = git.branch();
    spec.base = "main";
    spec.labels = {"slipway"};
    spec.reviewers = {"octocat"};
    return spec;
  }

  repo::Repository Open() {
    auto r = repo::Repository::Open(work_);
    EXPECT_TRUE(r.ok()) << r.status();
    return std::move(*r);
  }

  testing::TempDir dir_{"slipway-publish"};
  fs::path remotes_, bare_, work_;
  std::string base_;
  std::unique_ptr<testing::GitDaemon> daemon_;
  testing::GitHubServer github_{"/api/v3", kToken};
  std::unique_ptr<forge::Forge> forge_;
  PublishTarget target_;
};

TEST_F(PublishTest, PushesOverGitDaemonOpensPullRequestAndReplaysIdempotently) {
  v1::GitOutcome git = CommitChange("Add a discount");
  repo::Repository repo = Open();
  auto first = Publish(repo, target_, *forge_, git.branch(), git.commit(), Spec(git));
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_TRUE(first->pushed());
  EXPECT_EQ(first->remote(), target_.push_url);
  EXPECT_EQ(RemoteTip(git.branch()), git.commit());
  ASSERT_TRUE(first->has_pull_request());
  EXPECT_TRUE(first->pull_request().created());
  EXPECT_EQ(first->pull_request().repo(), kRepo);
  auto pull = github_.Pull(kRepo, first->pull_request().number());
  ASSERT_TRUE(pull.has_value());
  EXPECT_EQ(pull->head, git.branch());
  EXPECT_EQ(pull->base, "main");
  EXPECT_EQ(pull->labels, std::vector<std::string>{"slipway"});
  EXPECT_EQ(pull->reviewers, std::vector<std::string>{"octocat"});

  // A replayed command: same branch, same pull request, nothing pushed or opened twice.
  auto again = Publish(repo, target_, *forge_, git.branch(), git.commit(), Spec(git));
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_FALSE(again->pull_request().created());
  EXPECT_EQ(again->pull_request().number(), first->pull_request().number());
  EXPECT_EQ(github_.Pulls(kRepo).size(), 1u);
  EXPECT_EQ(github_.Pull(kRepo, 1)->head, git.branch());
}

TEST_F(PublishTest, RefusesToOverwriteABranchSomeoneElseMoved) {
  v1::GitOutcome git = CommitChange("Add a discount");
  // Someone pushed another commit under the deployment's branch name.
  ASSERT_EQ(Git("checkout -q -b other").exit_code, 0);
  testing::WriteFile(work_ / "other.txt", "x\n");
  ASSERT_EQ(Git("add -A").exit_code, 0);
  ASSERT_EQ(Git("commit -qm other").exit_code, 0);
  ASSERT_EQ(Git("push -q " + Quote(bare_) + " 'other:refs/heads/" + git.branch() + "'").exit_code,
            0);
  const std::string foreign = RemoteTip(git.branch());
  repo::Repository repo = Open();
  auto out = Publish(repo, target_, *forge_, git.branch(), git.commit(), Spec(git));
  ASSERT_EQ(out.status().code(), absl::StatusCode::kFailedPrecondition) << out.status();
  EXPECT_NE(out.status().message().find(foreign.substr(0, 12)), std::string_view::npos);
  EXPECT_NE(out.status().message().find(git.commit().substr(0, 12)), std::string_view::npos);
  EXPECT_EQ(RemoteTip(git.branch()), foreign);  // untouched
  EXPECT_TRUE(github_.Pulls(kRepo).empty());
}

TEST_F(PublishTest, ForgeErrorsKeepTheirCodesAndNeverTheToken) {
  v1::GitOutcome git = CommitChange("Add a discount");
  repo::Repository repo = Open();
  github_.FailNext("POST", "/repos/acme/shop/pulls", 401, {}, R"({"message":"Bad credentials"})");
  auto unauthenticated = Publish(repo, target_, *forge_, git.branch(), git.commit(), Spec(git));
  EXPECT_EQ(unauthenticated.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(unauthenticated.status().message().find(kToken), std::string_view::npos);
  // The push happened; the branch stays for the next attempt (or compensation).
  EXPECT_EQ(RemoteTip(git.branch()), git.commit());

  // Each attempt (the first and max_retries=2 retries) gets a 502.
  github_.FailNext("POST", "/repos/acme/shop/pulls", 502, {}, "", 3);
  auto unavailable = Publish(repo, target_, *forge_, git.branch(), git.commit(), Spec(git));
  EXPECT_EQ(unavailable.status().code(), absl::StatusCode::kUnavailable);

  github_.FailNext("POST", "/repos/acme/shop/pulls", 403,
                   {{"x-ratelimit-remaining", "0"},
                    {"x-ratelimit-reset", std::to_string(std::time(nullptr) + 3600)}},
                   R"({"message":"API rate limit exceeded"})");
  auto limited = Publish(repo, target_, *forge_, git.branch(), git.commit(), Spec(git));
  EXPECT_EQ(limited.status().code(), absl::StatusCode::kResourceExhausted);

  // Then the forge recovers: the retry opens exactly one pull request.
  auto ok = Publish(repo, target_, *forge_, git.branch(), git.commit(), Spec(git));
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(github_.Pulls(kRepo).size(), 1u);
}

TEST_F(PublishTest, HostileTitlesMakeSafeBranchesThatPush) {
  std::string title = "Add `rm -rf /`; $(reboot) \"quoted\" 'single' |pipe| ünïcödé 日本語 🚀 \n\t";
  while (title.size() < 10'000) title += " ..more words.. ";
  v1::GitOutcome git = CommitChange(title);
  ASSERT_FALSE(git.branch().empty());
  EXPECT_LT(git.branch().size(), 100u);
  repo::Repository repo = Open();
  auto out = Publish(repo, target_, *forge_, git.branch(), git.commit(), Spec(git));
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(RemoteTip(git.branch()), git.commit());
  // The commit message kept the title's first line, on one line.
  CommandResult subject =
      Sh("git --git-dir=" + Quote(bare_) + " log -1 --format=%s " + git.commit());
  EXPECT_NE(subject.output.find("rm -rf"), std::string::npos);
  EXPECT_LE(Trim(subject.output).size(), kSubjectMaxBytes);
}

TEST_F(PublishTest, ReadsChecksAsOneVerdict) {
  const std::string sha = base_;
  github_.SetCheckRuns(kRepo, sha,
                       {{"build", "in_progress", ""}, {"lint", "completed", "success"}});
  auto verdict = ReadChecks(*forge_, target_.forge_repo, sha);
  ASSERT_TRUE(verdict.ok()) << verdict.status();
  EXPECT_EQ(verdict->state(), "pending");
  ASSERT_EQ(verdict->pending_size(), 1);
  EXPECT_EQ(verdict->pending(0), "build");
  EXPECT_EQ(verdict->total(), 2u);

  github_.SetCheckRuns(kRepo, sha, {{"build", "completed", "success"}});
  verdict = ReadChecks(*forge_, target_.forge_repo, sha);
  ASSERT_TRUE(verdict.ok()) << verdict.status();
  EXPECT_EQ(verdict->state(), "success");

  github_.SetStatuses(kRepo, sha, {{"ci/lint", "failure", "2 problems"}});
  verdict = ReadChecks(*forge_, target_.forge_repo, sha);
  ASSERT_TRUE(verdict.ok()) << verdict.status();
  EXPECT_EQ(verdict->state(), "failure");
  ASSERT_EQ(verdict->failed_size(), 1);
  EXPECT_EQ(verdict->failed(0), "ci/lint");

  // Errors keep their code (a transient one stays retryable) and never carry the token.
  github_.FailNext("GET", "/repos/acme/shop/commits", 503, {{"retry-after", "0"}}, "", 10);
  verdict = ReadChecks(*forge_, target_.forge_repo, sha);
  EXPECT_EQ(verdict.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(IsRetryable(verdict.status()));
  EXPECT_EQ(verdict.status().message().find(kToken), std::string_view::npos);
}

TEST_F(PublishTest, CompensationClosesThePullRequestAndDeletesBothBranches) {
  v1::GitOutcome git = CommitChange("Add a discount");
  repo::Repository repo = Open();
  auto published = Publish(repo, target_, *forge_, git.branch(), git.commit(), Spec(git));
  ASSERT_TRUE(published.ok()) << published.status();
  CompensationRequest req{git.branch(),
                          git.commit(),
                          published->pull_request().number(),
                          kId,
                          "test: 2 failed\nsecond line",
                          false};
  auto out = Compensate(&repo, target_, forge_.get(), req);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_TRUE(out->pull_request_closed());
  EXPECT_TRUE(out->branch_deleted());
  EXPECT_EQ(RemoteTip(git.branch()), "");
  EXPECT_EQ(Git("rev-parse --verify -q refs/heads/" + git.branch()).exit_code, 1);
  auto pull = github_.Pull(kRepo, published->pull_request().number());
  ASSERT_TRUE(pull.has_value());
  EXPECT_EQ(pull->state, "closed");
  ASSERT_EQ(pull->comments.size(), 1u);
  EXPECT_NE(pull->comments[0].find("> test: 2 failed\n> second line"), std::string::npos)
      << pull->comments[0];

  // Again (a replayed compensation): nothing left to do, and nothing fails.
  auto again = Compensate(&repo, target_, forge_.get(), req);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_FALSE(again->pull_request_closed());
  EXPECT_TRUE(again->branch_deleted());
  EXPECT_EQ(github_.Pull(kRepo, published->pull_request().number())->comments.size(), 1u);
}

TEST_F(PublishTest, CompensationLeavesABranchSomeonePushedToAndKeepsWhenConfigured) {
  v1::GitOutcome git = CommitChange("Add a discount");
  repo::Repository repo = Open();
  ASSERT_TRUE(Publish(repo, target_, *forge_, git.branch(), git.commit(), Spec(git)).ok());

  CompensationRequest keep{git.branch(), git.commit(), 1, kId, "cancelled", true};
  auto kept = Compensate(&repo, target_, forge_.get(), keep);
  ASSERT_TRUE(kept.ok()) << kept.status();
  EXPECT_TRUE(kept->kept());
  EXPECT_EQ(RemoteTip(git.branch()), git.commit());
  EXPECT_EQ(github_.Pulls(kRepo)[0].state, "open");

  // A reviewer pushed a fix on top: the branch is theirs now.
  ASSERT_EQ(Git("checkout -q " + git.branch()).exit_code, 0);
  testing::WriteFile(work_ / "fix.txt", "fix\n");
  ASSERT_EQ(Git("add -A").exit_code, 0);
  ASSERT_EQ(Git("commit -qm fix").exit_code, 0);
  ASSERT_EQ(Git("push -q " + Quote(bare_) + " HEAD:refs/heads/" + git.branch()).exit_code, 0);
  ASSERT_EQ(Git("checkout -q main").exit_code, 0);
  const std::string moved = RemoteTip(git.branch());
  // A pull request of the same head that is not the recorded one is someone else's.
  CompensationRequest other{git.branch(), git.commit(), 99, kId, "cancelled", false};
  auto left = Compensate(&repo, target_, forge_.get(), other);
  ASSERT_TRUE(left.ok()) << left.status();
  EXPECT_FALSE(left->pull_request_closed());
  EXPECT_EQ(github_.Pulls(kRepo)[0].state, "open");

  CompensationRequest req{git.branch(), git.commit(), 1, kId, "cancelled", false};
  auto out = Compensate(&repo, target_, forge_.get(), req);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_FALSE(out->branch_deleted());
  EXPECT_TRUE(out->pull_request_closed());
  EXPECT_NE(out->detail().find("left"), std::string::npos) << out->detail();
  EXPECT_EQ(RemoteTip(git.branch()), moved);
}

}  // namespace
}  // namespace slipway::gitsvc
