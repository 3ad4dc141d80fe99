// full-pr through the embedded stack and its gRPC API, against a git daemon and a GitHub API
// on loopback: a deployment cancelled while it waits for its pull request's checks is
// compensated (COMPENSATING, then CANCELLED; pull request closed with the reason, branch gone
// from the remote), and a forge outage at the git step is retried into one pull request.
#include "tests/harness/git_daemon.h"
#include "tests/harness/github_server.h"
#include "tests/integration/stack_fixture.h"

namespace slipway::testing {
namespace {

constexpr char kRepo[] = "acme/inventory";
constexpr char kToken[] = "ghs_stack_full_pr_token";

std::string Example(const std::string& name) {
  return ReadFile(SourceDir() / "examples" / "recommendations" / name);
}

class FullPrStackTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir("slipway-full-pr-stack");
    github_ = new GitHubServer("/api/v3", kToken);
    fs::create_directories(dir_->path() / "served");
    daemon_ = new GitDaemon(dir_->path() / "served");
    stack::StackOptions o;
    o.state_dir = dir_->path() / "state";
    o.test_timeout_s = 120;
    o.orchestrator.retry_backoff_s = 0.2;
    o.git.pull_request.forge_api_url = github_->api_url();
    o.git.pull_request.forge_token = kToken;
    o.git.pull_request.checks_poll = std::chrono::milliseconds(100);
    o.git.pull_request.checks_timeout = std::chrono::seconds(300);
    auto s = stack::EmbeddedStack::Start(o);
    ASSERT_TRUE(s.ok()) << s.status();
    stack_ = s->release();
    client_ = new Client(stack_->grpc_target());
  }
  static void TearDownTestSuite() {
    delete client_;
    delete stack_;
    delete daemon_;
    delete github_;
    delete dir_;
  }

  // A bare copy of the sample repository served as acme/inventory.git; returns its URL.
  std::string ServeSample() {
    fs::path served = dir_->path() / "served";
    fs::remove_all(served / "acme");
    fs::create_directories(served / "acme");
    fs::path sample = PrepareSampleRepo(dir_->path() / ("src" + std::to_string(n_++)));
    EXPECT_EQ(RunCommand("git clone -q --bare '" + sample.string() + "' '" +
                         (served / "acme" / "inventory.git").string() + "'")
                  .exit_code,
              0);
    return daemon_->url("acme/inventory.git");
  }

  static std::string RemoteTip(const std::string& url, const std::string& branch) {
    auto r = RunCommand("git ls-remote '" + url + "' 'refs/heads/" + branch + "'");
    return r.output.size() >= 40 ? r.output.substr(0, 40) : "";
  }

  static TempDir* dir_;
  static GitHubServer* github_;
  static GitDaemon* daemon_;
  static stack::EmbeddedStack* stack_;
  static Client* client_;
  int n_ = 0;
};
TempDir* FullPrStackTest::dir_ = nullptr;
GitHubServer* FullPrStackTest::github_ = nullptr;
GitDaemon* FullPrStackTest::daemon_ = nullptr;
stack::EmbeddedStack* FullPrStackTest::stack_ = nullptr;
Client* FullPrStackTest::client_ = nullptr;

TEST_F(FullPrStackTest, CancelWhileWaitingForChecksClosesThePullRequestAndDeletesTheBranch) {
  ASSERT_TRUE(daemon_->ok()) << daemon_->error();
  const std::string url = ServeSample();
  // CI never finishes.
  github_->SetCheckRuns(kRepo, "*", {{"ci/build", "in_progress", ""}});
  auto d = client_->Submit(Example("reorder-point.json"), url, v1::MODE_FULL_PR);
  ASSERT_EQ(d.status(), v1::DEPLOYMENT_STATUS_RUNNING) << d.error();
  ASSERT_TRUE(WaitFor(
      [&] {
        d = client_->Get(d.id());
        return d.current_step() == v1::STEP_CHECKS || orchestrator::IsTerminal(d.status());
      },
      120s))
      << d.DebugString();
  ASSERT_EQ(d.current_step(), v1::STEP_CHECKS) << d.error();
  const std::string branch = d.branch();
  ASSERT_FALSE(branch.empty());
  EXPECT_EQ(RemoteTip(url, branch), d.commit());
  ASSERT_TRUE(d.git().has_pull_request());
  const uint64_t number = d.git().pull_request().number();
  EXPECT_EQ(github_->Pull(kRepo, number)->state, "open");

  grpc::ClientContext ctx;
  v1::CancelRequest req;
  req.set_id(d.id());
  req.set_reason("superseded by a newer recommendation");
  v1::Deployment cancelling;
  const auto asked = std::chrono::steady_clock::now();
  ASSERT_TRUE(client_->stub().Cancel(&ctx, req, &cancelling).ok());
  EXPECT_EQ(cancelling.status(), v1::DEPLOYMENT_STATUS_COMPENSATING);
  // While compensating, a second cancel is refused.
  grpc::ClientContext ctx2;
  v1::Deployment ignored;
  EXPECT_EQ(client_->stub().Cancel(&ctx2, req, &ignored).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);

  d = client_->WaitDone(d.id(), 60s);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - asked).count();
  EXPECT_EQ(d.status(), v1::DEPLOYMENT_STATUS_CANCELLED) << d.error();
  EXPECT_NE(d.error().find("superseded"), std::string::npos) << d.error();
  EXPECT_LT(seconds, 30) << "the checks step stops waiting once the deployment is cancelled";
  EXPECT_TRUE(d.git().compensation().pull_request_closed()) << d.git().DebugString();
  EXPECT_TRUE(d.git().compensation().branch_deleted()) << d.git().DebugString();
  EXPECT_EQ(RemoteTip(url, branch), "");
  auto pull = github_->Pull(kRepo, number);
  EXPECT_EQ(pull->state, "closed");
  ASSERT_EQ(pull->comments.size(), 1u);
  EXPECT_NE(pull->comments[0].find("superseded by a newer recommendation"), std::string::npos);
  bool compensated = false;
  for (const auto& s : d.steps())
    compensated |= s.step() == v1::STEP_COMPENSATE && s.status() == "succeeded";
  EXPECT_TRUE(compensated) << d.DebugString();
}

TEST_F(FullPrStackTest, PendingChecksAreReadAgainUntilTheyPass) {
  ASSERT_TRUE(daemon_->ok()) << daemon_->error();
  const std::string url = ServeSample();
  github_->SetCheckRuns(kRepo, "*", {{"ci/build", "queued", ""}});
  auto d = client_->Submit(Example("low-stock-alerts.json"), url, v1::MODE_FULL_PR);
  // The pending verdict is recorded while the step waits, read after read.
  ASSERT_TRUE(WaitFor(
      [&] {
        d = client_->Get(d.id());
        return d.git().checks().state() == "pending" || orchestrator::IsTerminal(d.status());
      },
      120s))
      << d.DebugString();
  ASSERT_EQ(d.status(), v1::DEPLOYMENT_STATUS_RUNNING) << d.error();
  EXPECT_EQ(d.current_step(), v1::STEP_CHECKS);
  const size_t reads_before = github_->CountRequests("GET", "/repos/acme/inventory/commits");
  ASSERT_TRUE(WaitFor(
      [&] {
        return github_->CountRequests("GET", "/repos/acme/inventory/commits") >= reads_before + 4;
      },
      30s));
  github_->SetCheckRuns(kRepo, "*", {{"ci/build", "completed", "success"}});
  d = client_->WaitDone(d.id(), 60s);
  ASSERT_EQ(d.status(), v1::DEPLOYMENT_STATUS_SUCCEEDED) << d.error();
  EXPECT_EQ(d.git().checks().state(), "success");
  EXPECT_GT(d.git().checks().waited_seconds(), 0.1);
  int checks_rows = 0;
  for (const auto& s : d.steps()) checks_rows += s.step() == v1::STEP_CHECKS;
  EXPECT_EQ(checks_rows, 1) << "polls are reads of one step, not retries";
}

TEST_F(FullPrStackTest, AForgeOutageAtTheGitStepIsRetriedIntoOnePullRequest) {
  ASSERT_TRUE(daemon_->ok()) << daemon_->error();
  const std::string url = ServeSample();
  github_->SetCheckRuns(kRepo, "*", {});  // no CI configured: the checks verdict is success
  const size_t before = github_->Pulls(kRepo).size();
  // Every request of the first attempt's creation fails (the first try and its retries).
  github_->FailNext("POST", "/repos/acme/inventory/pulls", 503, {{"retry-after", "0"}}, "", 5);
  auto d = client_->Submit(Example("bulk-discount.json"), url, v1::MODE_FULL_PR);
  d = client_->WaitDone(d.id(), 180s);
  ASSERT_EQ(d.status(), v1::DEPLOYMENT_STATUS_SUCCEEDED) << d.error() << d.DebugString();
  int git_attempts = 0;
  for (const auto& s : d.steps()) git_attempts += s.step() == v1::STEP_GIT;
  EXPECT_GE(git_attempts, 2) << d.DebugString();
  EXPECT_EQ(github_->Pulls(kRepo).size(), before + 1);
  EXPECT_EQ(RemoteTip(url, d.branch()), d.commit());
  EXPECT_EQ(d.git().checks().state(), "success");
  EXPECT_EQ(d.git().checks().total(), 0u);
}

}  // namespace
}  // namespace slipway::testing
