// `slipway run --mode full-pr` as a user runs it, against a remote served by a real git daemon
// on loopback and a GitHub REST API on loopback: a deployment that ends with a pushed branch
// and an open pull request, then one whose required checks fail and that is compensated
// (pull request closed with a comment, branch deleted on the remote).
#include <nlohmann/json.hpp>

#include "gtest/gtest.h"
#include "tests/harness/git_daemon.h"
#include "tests/harness/github_server.h"
#include "tests/harness/harness.h"

namespace slipway {
namespace {

namespace fs = std::filesystem;
using testing::CommandResult;
using testing::RunCommand;
using testing::TempDir;

constexpr char kRepo[] = "acme/inventory";
constexpr char kToken[] = "ghs_e2e_full_pr_token";

std::string Quote(const std::string& s) { return "'" + s + "'"; }

// Proto JSON writes 64-bit integers as strings.
uint64_t Number(const nlohmann::json& j) {
  return j.is_string() ? std::stoull(j.get<std::string>()) : j.get<uint64_t>();
}

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

class FullPrTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::path sample = testing::PrepareSampleRepo(dir_.path() / "src");
    served_ = dir_.path() / "served";
    bare_ = served_ / "acme" / "inventory.git";
    fs::create_directories(bare_.parent_path());
    ASSERT_EQ(
        RunCommand("git clone -q --bare " + Quote(sample.string()) + " " + Quote(bare_.string()))
            .exit_code,
        0);
    base_branch_ = Trim(
        RunCommand("git --git-dir=" + Quote(bare_.string()) + " symbolic-ref --short HEAD").output);
    ASSERT_FALSE(base_branch_.empty());
    daemon_ = std::make_unique<testing::GitDaemon>(served_);
    ASSERT_TRUE(daemon_->ok()) << daemon_->error();
    ASSERT_GT(github_.port(), 0);
  }

  // `slipway --json run <recommendation> --mode full-pr` against the daemon and the forge.
  nlohmann::json Run(const std::string& recommendation, const std::string& extra,
                     CommandResult* raw) {
    const std::string cmd =
        "cd " + Quote(testing::SourceDir().string()) + " && SLIPWAY_FORGE_TOKEN=" + kToken + " " +
        Quote((testing::BinDir() / "slipway").string()) + " --json run " + recommendation +
        " --mode full-pr --repo " + Quote(daemon_->url("acme/inventory.git")) +
        " --forge-api-url " + Quote(github_.api_url()) +
        " --trace-url 'http://traces.local/trace/{trace_id}' --checks-poll 0.2"
        " --checks-timeout 60 --pr-reviewers octocat --state-dir " +
        Quote((dir_.path() / "state").string()) + " --mirror-dir " +
        Quote((dir_.path() / "mirrors").string()) + " " + extra;
    *raw = RunCommand(cmd);
    const size_t start = raw->output.find('{');
    if (start == std::string::npos) return nlohmann::json();
    auto j = nlohmann::json::parse(raw->output.substr(start), nullptr, false);
    return j.is_discarded() ? nlohmann::json() : j;
  }

  // The commit `branch` points to on the served remote ("" when it has no such branch).
  std::string RemoteTip(const std::string& branch) {
    CommandResult r = RunCommand("git ls-remote " + Quote(daemon_->url("acme/inventory.git")) +
                                 " " + Quote("refs/heads/" + branch));
    return r.output.size() >= 40 ? r.output.substr(0, 40) : "";
  }

  TempDir dir_{"slipway-full-pr"};
  fs::path served_, bare_;
  std::string base_branch_;
  std::unique_ptr<testing::GitDaemon> daemon_;
  testing::GitHubServer github_{"/api/v3", kToken};
};

TEST_F(FullPrTest, OpensAPullRequestThenCompensatesOneWhoseRequiredChecksFail) {
  // Every commit's CI passes for the first deployment.
  github_.SetCheckRuns(kRepo, "*", {{"ci/build", "completed", "success"}});
  CommandResult raw;
  nlohmann::json ok = Run("examples/recommendations/reorder-point.json", "", &raw);
  ASSERT_FALSE(ok.is_null()) << raw.output;
  ASSERT_EQ(raw.exit_code, 0) << raw.output;
  EXPECT_EQ(ok["status"], "DEPLOYMENT_STATUS_SUCCEEDED") << raw.output;
  const std::string branch = ok["branch"];
  const std::string commit = ok["commit"];
  ASSERT_FALSE(branch.empty());
  EXPECT_EQ(RemoteTip(branch), commit) << "the branch was pushed";
  const auto& git = ok["git"];
  EXPECT_TRUE(git.value("pushed", false)) << raw.output;
  EXPECT_EQ(git["checks"]["state"], "success");
  const uint64_t number = Number(git["pull_request"]["number"]);
  auto pull = github_.Pull(kRepo, number);
  ASSERT_TRUE(pull.has_value());
  EXPECT_EQ(pull->state, "open");
  EXPECT_EQ(pull->head, branch);
  EXPECT_EQ(pull->base, base_branch_);
  EXPECT_EQ(pull->labels, std::vector<std::string>{"slipway"});
  EXPECT_EQ(pull->reviewers, std::vector<std::string>{"octocat"});
  const std::string id = ok["id"];
  EXPECT_NE(pull->body.find(id), std::string::npos) << pull->body;
  EXPECT_NE(pull->body.find("http://traces.local/trace/" + ok["trace_id"].get<std::string>()),
            std::string::npos)
      << pull->body;
  EXPECT_NE(pull->body.find("### Tests"), std::string::npos) << pull->body;
  // The step records show the checks step after git.
  bool saw_checks = false;
  for (const auto& s : ok["steps"]) saw_checks |= s["step"] == "STEP_CHECKS";
  EXPECT_TRUE(saw_checks) << raw.output;

  // The second deployment's CI fails, and the checks are required: it fails and is undone.
  github_.SetCheckRuns(kRepo, "*", {{"ci/build", "completed", "failure"}});
  nlohmann::json failed =
      Run("examples/recommendations/bulk-discount.json", "--require-ci-pass", &raw);
  ASSERT_FALSE(failed.is_null()) << raw.output;
  EXPECT_NE(raw.exit_code, 0) << raw.output;
  EXPECT_EQ(failed["status"], "DEPLOYMENT_STATUS_FAILED") << raw.output;
  EXPECT_EQ(failed["failed_step"], "STEP_CHECKS") << raw.output;
  EXPECT_NE(failed["error"].get<std::string>().find("ci/build"), std::string::npos) << raw.output;
  const std::string failed_branch = failed["branch"];
  ASSERT_FALSE(failed_branch.empty());
  EXPECT_EQ(RemoteTip(failed_branch), "") << "compensation deletes the pushed branch";
  const auto& comp = failed["git"]["compensation"];
  EXPECT_TRUE(comp.value("branch_deleted", false)) << raw.output;
  EXPECT_TRUE(comp.value("pull_request_closed", false)) << raw.output;
  const uint64_t failed_number = Number(failed["git"]["pull_request"]["number"]);
  auto closed = github_.Pull(kRepo, failed_number);
  ASSERT_TRUE(closed.has_value());
  EXPECT_EQ(closed->state, "closed");
  ASSERT_EQ(closed->comments.size(), 1u);
  EXPECT_NE(closed->comments[0].find("ci/build"), std::string::npos) << closed->comments[0];
  bool saw_compensate = false;
  for (const auto& s : failed["steps"]) saw_compensate |= s["step"] == "STEP_COMPENSATE";
  EXPECT_TRUE(saw_compensate) << raw.output;

  // The first deployment's branch and pull request are untouched.
  EXPECT_EQ(RemoteTip(branch), commit);
  EXPECT_EQ(github_.Pull(kRepo, number)->state, "open");
  EXPECT_EQ(github_.Pulls(kRepo).size(), 2u);
}

}  // namespace
}  // namespace slipway
