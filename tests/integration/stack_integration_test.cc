// Deployments through the whole stack in one process: the real broker (librdkafka's mock
// cluster over TCP), a real PostgreSQL cluster, every service, the orchestrator's gRPC API.
#include <grpcpp/grpcpp.h>

#include <fstream>
#include <regex>
#include <sstream>

#include "gtest/gtest.h"
#include "libs/bus/bus.h"
#include "libs/core/ids.h"
#include "libs/stack/embedded_stack.h"
#include "services/orchestrator/saga.h"
#include "slipway/v1/deployments.grpc.pb.h"
#include "tests/harness/harness.h"
#include "tests/integration/stack_fixture.h"

namespace slipway {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using testing::Client;
using testing::Git;
using testing::ReadFile;
using testing::RunCommand;
using testing::StackTest;
using testing::TempDir;

std::string Example(const std::string& name) {
  return ReadFile(testing::SourceDir() / "examples" / "recommendations" / name);
}

TEST_F(StackTest, LocalCommitLeavesOneTestedCommitOnANewBranch) {
  fs::path repo = NewRepo();
  std::string base = Git(repo, "rev-parse HEAD");
  auto d = client_->Submit(Example("low-stock-alerts.json"), repo.string(), v1::MODE_LOCAL_COMMIT);
  ASSERT_FALSE(d.id().empty());
  d = client_->WaitDone(d.id());
  ASSERT_EQ(d.status(), v1::DEPLOYMENT_STATUS_SUCCEEDED) << d.error();

  // Every step ran once and succeeded, in order.
  std::vector<v1::Step> expected = orchestrator::StepsFor(v1::MODE_LOCAL_COMMIT);
  ASSERT_EQ(d.steps_size(), static_cast<int>(expected.size()));
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(d.steps(i).step(), expected[i]);
    EXPECT_EQ(d.steps(i).status(), "succeeded");
    EXPECT_EQ(d.steps(i).attempt(), 1u);
  }
  EXPECT_EQ(d.base_commit(), base);
  EXPECT_GT(d.tests().total(), 0u);
  EXPECT_EQ(d.tests().failed(), 0u);
  EXPECT_EQ(d.tests().passed(), d.tests().total() - d.tests().skipped());

  // The branch holds exactly one new commit on top of the base, with the deployment trailer.
  EXPECT_TRUE(std::regex_match(d.branch(), std::regex("slipway/[a-z0-9-]+-[0-9a-f]{8}")))
      << d.branch();
  EXPECT_EQ(Git(repo, "rev-parse " + d.branch()), d.commit());
  EXPECT_EQ(Git(repo, "rev-parse " + d.branch() + "^"), base);
  std::string message = Git(repo, "log -1 --format=%B " + d.branch());
  EXPECT_NE(message.find("Slipway-Deployment: " + d.id()), std::string::npos) << message;
  std::string files = Git(repo, "diff --name-only " + base + " " + d.branch());
  EXPECT_NE(files.find("inventory/"), std::string::npos) << files;
  EXPECT_NE(files.find("tests/test_"), std::string::npos) << files;
  // The work tree and HEAD were left alone.
  EXPECT_EQ(Git(repo, "rev-parse HEAD"), base);
  EXPECT_EQ(Git(repo, "status --porcelain"), "");

  // The repository's own test command passes on the branch, run independently of Slipway.
  TempDir wt("slipway-verify");
  Git(repo, "worktree add -q '" + (wt.path() / "w").string() + "' " + d.branch());
  auto pytest =
      RunCommand("cd '" + (wt.path() / "w").string() +
                 "' && PATH=/usr/local/bin:/usr/bin:/bin python3 -m pytest -q -p no:cacheprovider");
  EXPECT_EQ(pytest.exit_code, 0) << pytest.output;
  EXPECT_NE(pytest.output.find(std::to_string(d.tests().passed()) + " passed"), std::string::npos)
      << pytest.output;
}

TEST_F(StackTest, DryRunWritesNothingToGit) {
  fs::path repo = NewRepo();
  std::string refs_before = Git(repo, "for-each-ref");
  auto d = client_->Submit(Example("bulk-discount.json"), repo.string(), v1::MODE_DRY_RUN);
  d = client_->WaitDone(d.id());
  ASSERT_EQ(d.status(), v1::DEPLOYMENT_STATUS_SUCCEEDED) << d.error();
  EXPECT_EQ(d.steps_size(), 6);
  EXPECT_TRUE(d.branch().empty());
  EXPECT_GT(d.tests().passed(), 0u);
  EXPECT_EQ(Git(repo, "for-each-ref"), refs_before);
}

TEST_F(StackTest, ProposedFilesAreAppliedAndTested) {
  fs::path repo = NewRepo();
  auto d = client_->Submit(Example("restock-report-proposed.json"), repo.string());
  d = client_->WaitDone(d.id());
  ASSERT_EQ(d.status(), v1::DEPLOYMENT_STATUS_SUCCEEDED) << d.error();
  std::string files = Git(repo, "show --name-only --format= " + d.branch());
  EXPECT_NE(files.find("inventory/restock_report.py"), std::string::npos) << files;
  EXPECT_NE(files.find("tests/test_restock_report.py"), std::string::npos) << files;
}

TEST_F(StackTest, AFailingGeneratedTestFailsTheDeploymentAndIsNamed) {
  fs::path repo = NewRepo();
  std::string json = R"({"title": "Broken feature", "description": "A change whose test fails.",
    "provider": "proposed", "proposed_files": [
      {"path": "inventory/broken.py", "content": "def answer():\n    return 41\n"},
      {"path": "tests/test_broken.py",
       "content": "from inventory.broken import answer\n\ndef test_answer_is_42():\n    assert answer() == 42\n"}]})";
  auto d = client_->Submit(json, repo.string());
  d = client_->WaitDone(d.id());
  ASSERT_EQ(d.status(), v1::DEPLOYMENT_STATUS_FAILED);
  EXPECT_EQ(d.failed_step(), v1::STEP_TEST);
  EXPECT_NE(d.error().find("test_answer_is_42"), std::string::npos) << d.error();
  ASSERT_GE(d.tests().failures_size(), 1);
  EXPECT_EQ(d.tests().failures(0).name(), "test_answer_is_42");
  EXPECT_EQ(d.tests().failed(), 1u);
  EXPECT_TRUE(d.branch().empty());
  EXPECT_EQ(Git(repo, "branch --list 'slipway/*'"), "");
}

TEST_F(StackTest, SecretsInTheChangeSetStopTheDeployment) {
  fs::path repo = NewRepo();
  std::string json = R"({"title": "Leaky config", "description": "Adds a config with a key.",
    "proposed_files": [{"path": "inventory/settings.py",
      "content": "AWS_ACCESS_KEY_ID = \"AKIAQWERTYUIOPASDFGH\"\n"},
      {"path": "tests/test_settings.py",
       "content": "from inventory import settings\n\ndef test_key_is_set():\n    assert settings.AWS_ACCESS_KEY_ID\n"}]})";
  auto d = client_->Submit(json, repo.string());
  d = client_->WaitDone(d.id());
  ASSERT_EQ(d.status(), v1::DEPLOYMENT_STATUS_FAILED) << d.error();
  EXPECT_EQ(d.failed_step(), v1::STEP_SAFETY_POST);
  EXPECT_NE(d.error().find("aws"), std::string::npos) << d.error();
  EXPECT_EQ(d.error().find("AKIAQWERTYUIOPASDFGH"), std::string::npos) << "secret echoed";
}

TEST_F(StackTest, BadRecommendationsAreRejectedWithTheFieldAndRecorded) {
  fs::path repo = NewRepo();
  fs::path bad = testing::SourceDir() / "examples" / "recommendations" / "bad";
  struct Case {
    std::string json;
    std::string field;
    std::string words;
  };
  std::vector<Case> cases = {
      {ReadFile(bad / "malformed.json"), "recommendation", "malformed JSON"},
      {ReadFile(bad / "missing-title.json"), "title", "title"},
      {ReadFile(bad / "missing-description.json"), "description", "description"},
      {ReadFile(bad / "unknown-mode.json"), "mode", "yolo"},
      {ReadFile(bad / "unknown-field.json"), "priority", "unknown field"},
      {ReadFile(bad / "path-escape.json"), "proposed_files[0].path", ".."},
      {R"({"title": "Huge", "description": ")" + std::string(10 << 20, 'x') + R"("})",
       "description", "10485760 bytes, limit 65536"},
  };
  std::vector<std::string> ids;
  for (const auto& c : cases) {
    auto d = client_->Submit(c.json, repo.string());
    ASSERT_EQ(d.status(), v1::DEPLOYMENT_STATUS_REJECTED) << c.field;
    EXPECT_EQ(d.rejected_field(), c.field) << d.error();
    EXPECT_NE(d.error().find(c.words), std::string::npos) << d.error();
    EXPECT_LT(d.recommendation().description().size(), 8192u);
    ids.push_back(d.id());
  }
  // Recorded: the rejections are listed like any other deployment.
  grpc::ClientContext ctx;
  v1::ListRequest req;
  req.set_status(v1::DEPLOYMENT_STATUS_REJECTED);
  req.set_page_size(100);
  v1::ListResponse resp;
  ASSERT_TRUE(client_->stub().List(&ctx, req, &resp).ok());
  for (const auto& id : ids) {
    bool found = false;
    for (const auto& d : resp.deployments()) found |= d.id() == id;
    EXPECT_TRUE(found) << id;
  }
  EXPECT_EQ(Git(repo, "branch --list 'slipway/*'"), "");
}

TEST_F(StackTest, DeploymentsOfOneRepositoryRunOneAtATimeInOrder) {
  fs::path repo = NewRepo();
  auto a = client_->Submit(Example("bulk-discount.json"), repo.string(), v1::MODE_DRY_RUN);
  auto b = client_->Submit(Example("reorder-point.json"), repo.string(), v1::MODE_DRY_RUN);
  EXPECT_EQ(b.status(), v1::DEPLOYMENT_STATUS_QUEUED);
  a = client_->WaitDone(a.id());
  b = client_->WaitDone(b.id());
  ASSERT_EQ(a.status(), v1::DEPLOYMENT_STATUS_SUCCEEDED) << a.error();
  ASSERT_EQ(b.status(), v1::DEPLOYMENT_STATUS_SUCCEEDED) << b.error();
  // The map of a commit mapped before comes from the cache.
  for (const auto& step : b.steps()) {
    if (step.step() == v1::STEP_MAP) {
      EXPECT_NE(step.summary().find("(cached by commit)"), std::string::npos) << step.summary();
    }
  }
  // b's first step started after a's last step finished.
  auto last = a.steps(a.steps_size() - 1).finished_at();
  auto first = b.steps(0).started_at();
  EXPECT_TRUE(first.seconds() > last.seconds() ||
              (first.seconds() == last.seconds() && first.nanos() >= last.nanos()));
}

TEST_F(StackTest, CancelStopsADeploymentAndFreesTheRepository) {
  fs::path repo = NewRepo();
  auto a = client_->Submit(Example("bulk-discount.json"), repo.string());
  auto b = client_->Submit(Example("reorder-point.json"), repo.string(), v1::MODE_DRY_RUN);
  grpc::ClientContext ctx;
  v1::CancelRequest req;
  req.set_id(a.id());
  req.set_reason("changed my mind");
  v1::Deployment cancelled;
  ASSERT_TRUE(client_->stub().Cancel(&ctx, req, &cancelled).ok());
  EXPECT_EQ(cancelled.status(), v1::DEPLOYMENT_STATUS_CANCELLED);
  EXPECT_NE(cancelled.error().find("changed my mind"), std::string::npos);
  // The queued one gets the repository and finishes; the cancelled one stays cancelled even
  // when its in-flight step answers late.
  b = client_->WaitDone(b.id());
  EXPECT_EQ(b.status(), v1::DEPLOYMENT_STATUS_SUCCEEDED) << b.error();
  EXPECT_EQ(client_->Get(a.id()).status(), v1::DEPLOYMENT_STATUS_CANCELLED);
  EXPECT_EQ(Git(repo, "branch --list 'slipway/*'"), "");
  // Cancelling twice is refused with a reason.
  grpc::ClientContext ctx2;
  grpc::Status again = client_->stub().Cancel(&ctx2, req, &cancelled);
  EXPECT_EQ(again.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
}

TEST_F(StackTest, ListPagesAndFilters) {
  fs::path repo = NewRepo();
  for (int i = 0; i < 3; ++i)
    client_->Submit(R"({"title": "x"})", repo.string());  // rejected: no description
  grpc::ClientContext ctx;
  v1::ListRequest req;
  req.set_repository(repo.string());
  req.set_page_size(2);
  v1::ListResponse page1;
  ASSERT_TRUE(client_->stub().List(&ctx, req, &page1).ok());
  ASSERT_EQ(page1.deployments_size(), 2);
  ASSERT_FALSE(page1.next_page_token().empty());
  grpc::ClientContext ctx2;
  req.set_page_token(page1.next_page_token());
  v1::ListResponse page2;
  ASSERT_TRUE(client_->stub().List(&ctx2, req, &page2).ok());
  ASSERT_EQ(page2.deployments_size(), 1);
  EXPECT_TRUE(page2.next_page_token().empty());
  EXPECT_NE(page2.deployments(0).id(), page1.deployments(0).id());
  EXPECT_NE(page2.deployments(0).id(), page1.deployments(1).id());
}

TEST_F(StackTest, WatchStreamsUntilTheEnd) {
  fs::path repo = NewRepo();
  auto d = client_->Submit(Example("bulk-discount.json"), repo.string(), v1::MODE_DRY_RUN);
  grpc::ClientContext ctx;
  v1::WatchRequest req;
  req.set_id(d.id());
  auto reader = client_->stub().Watch(&ctx, req);
  v1::DeploymentUpdate u;
  int updates = 0;
  std::string last_kind;
  v1::Deployment last;
  while (reader->Read(&u)) {
    ++updates;
    last_kind = u.kind();
    last = u.deployment();
  }
  EXPECT_TRUE(reader->Finish().ok());
  EXPECT_GE(updates, 3);
  EXPECT_EQ(last_kind, "finished");
  EXPECT_EQ(last.status(), v1::DEPLOYMENT_STATUS_SUCCEEDED);
  grpc::ClientContext ctx2;
  req.set_id("00000000-0000-4000-8000-000000000000");
  auto missing = client_->stub().Watch(&ctx2, req);
  while (missing->Read(&u)) {
  }
  EXPECT_EQ(missing->Finish().error_code(), grpc::StatusCode::NOT_FOUND);
}

// Reads `topic` from the start in a fresh group until `match` accepts a message.
std::optional<bus::Message> FindMessage(const std::string& brokers, const std::string& topic,
                                        const std::function<bool(const bus::Message&)>& match) {
  auto consumer =
      bus::Consumer::Create({brokers, "test-reader", {}, {}}, "test-" + NewUuid(), {topic});
  EXPECT_TRUE(consumer.ok());
  if (!consumer.ok()) return std::nullopt;
  std::optional<bus::Message> found;
  testing::WaitFor(
      [&] {
        auto m = (*consumer)->Poll(100ms);
        if (m.ok() && m->has_value() && match(**m)) found = **m;
        return found.has_value();
      },
      60s, 1ms);
  return found;
}

TEST_F(StackTest, RecommendationsPublishedOnKafkaBecomeDeploymentsOnce) {
  fs::path repo = NewRepo();
  auto producer = bus::Producer::Create({stack_->brokers(), "test-publisher", {}, {}});
  ASSERT_TRUE(producer.ok());
  std::string good = R"({"title": "Bulk discount", "description": "Tiered discounts.",
    "mode": "dry-run", "target": {"url": ")" +
                     repo.string() + R"("}})";
  auto publish = [&](const std::string& id, const std::string& payload) {
    bus::Message m;
    m.topic = bus::kRecommendationsTopic;
    m.key = repo.string();  // one partition: processed in order
    m.payload = payload;
    m.headers =
        bus::CloudEventHeaders(id, bus::kTypeRecommendation, "test", "", "application/json");
    ASSERT_TRUE((*producer)->Send(m, 10s).ok());
  };
  std::string good_id = "pub-" + NewUuid(), bad_id = "pub-" + NewUuid();
  publish(good_id, good);
  publish(good_id, good);  // redelivered by the publisher: must not make a second deployment
  publish(bad_id, "{\"title\": ");
  auto dead = FindMessage(stack_->brokers(), bus::kDeadLetterTopic,
                          [&](const bus::Message& m) { return m.Header("ce_id") == bad_id; });
  ASSERT_TRUE(dead.has_value());
  EXPECT_NE(dead->Header("slipway_error").value_or("").find("malformed JSON"), std::string::npos);
  EXPECT_EQ(dead->Header("slipway_original_topic"), bus::kRecommendationsTopic);
  EXPECT_EQ(dead->payload, "{\"title\": ");

  grpc::ClientContext ctx;
  v1::ListRequest req;
  req.set_repository(repo.string());
  v1::ListResponse resp;
  ASSERT_TRUE(client_->stub().List(&ctx, req, &resp).ok());
  ASSERT_EQ(resp.deployments_size(), 1);  // published twice, deployed once
  auto d = client_->WaitDone(resp.deployments(0).id());
  EXPECT_EQ(d.status(), v1::DEPLOYMENT_STATUS_SUCCEEDED) << d.error();
  // The rejection is recorded too; the dead letter names its deployment.
  std::smatch m;
  std::string reason = dead->Header("slipway_error").value_or("");
  ASSERT_TRUE(std::regex_search(reason, m, std::regex("deployment ([0-9a-f-]{36})"))) << reason;
  auto rejected = client_->Get(m[1].str());
  EXPECT_EQ(rejected.status(), v1::DEPLOYMENT_STATUS_REJECTED);
  EXPECT_EQ(rejected.rejected_field(), "recommendation");
  EXPECT_EQ(d.recommendation().title(), "Bulk discount");
}

TEST_F(StackTest, EventsCarryCloudEventsHeadersAndTheDeploymentsTrace) {
  fs::path repo = NewRepo();
  auto d = client_->Submit(Example("bulk-discount.json"), repo.string(), v1::MODE_DRY_RUN);
  d = client_->WaitDone(d.id());
  ASSERT_EQ(d.status(), v1::DEPLOYMENT_STATUS_SUCCEEDED);
  ASSERT_EQ(d.trace_id().size(), 32u);
  auto result = FindMessage(stack_->brokers(), bus::kEventsTopic, [&](const bus::Message& m) {
    return m.key == d.id() && m.Header("ce_type") == bus::kTypeStepResult &&
           m.Header("ce_source") == "slipway-mapper";
  });
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->Header("ce_specversion"), "1.0");
  EXPECT_EQ(result->Header("content-type"), "application/protobuf");
  EXPECT_TRUE(result->Header("ce_time").has_value());
  EXPECT_EQ(bus::TraceIdOf(result->Header("traceparent").value_or("")), d.trace_id());
  v1::StepResult parsed;
  ASSERT_TRUE(parsed.ParseFromString(result->payload));
  EXPECT_EQ(parsed.deployment_id(), d.id());
  EXPECT_EQ(result->Header("ce_id"), "result:" + parsed.command_id());
}

TEST_F(StackTest, AnUnreadableCommandIsDeadLetteredWithTheReason) {
  auto producer = bus::Producer::Create({stack_->brokers(), "test-publisher", {}, {}});
  ASSERT_TRUE(producer.ok());
  bus::Message m;
  m.topic = bus::CommandTopic("mapper");
  m.key = "garbage";
  m.payload = std::string("\xff\xfe not protobuf", 17);
  std::string id = "cmd-" + NewUuid();
  m.headers = bus::CloudEventHeaders(id, bus::kTypeStepCommand, "test", "");
  ASSERT_TRUE((*producer)->Send(m, 10s).ok());
  auto dead = FindMessage(stack_->brokers(), bus::kDeadLetterTopic,
                          [&](const bus::Message& d) { return d.Header("ce_id") == id; });
  ASSERT_TRUE(dead.has_value());
  EXPECT_NE(dead->Header("slipway_error").value_or("").find("StepCommand"), std::string::npos);
  EXPECT_EQ(dead->Header("slipway_original_topic"), bus::CommandTopic("mapper"));
  EXPECT_EQ(dead->payload, m.payload);
}

// A step whose service never answers: the saga times it out, retries it, then fails the
// deployment naming the step and the reason.
TEST(StackTimeouts, AStepThatNeverAnswersIsRetriedThenFailed) {
  TempDir state("slipway-timeouts");
  stack::StackOptions o;
  o.state_dir = state.path() / "state";
  o.services = {"safety", "mapper", "analyzer", "implementer", "tester"};  // no git service
  o.orchestrator.step_timeout_s = 1.5;
  o.orchestrator.max_attempts = 2;
  o.orchestrator.retry_backoff_s = 0.2;
  o.orchestrator.tick_s = 0.1;
  auto s = stack::EmbeddedStack::Start(o);
  ASSERT_TRUE(s.ok()) << s.status();
  Client client((*s)->grpc_target());
  fs::path repo = testing::PrepareSampleRepo(state.path() / "repos");
  auto d = client.Submit(Example("bulk-discount.json"), repo.string(), v1::MODE_LOCAL_COMMIT);
  d = client.WaitDone(d.id());
  ASSERT_EQ(d.status(), v1::DEPLOYMENT_STATUS_FAILED);
  EXPECT_EQ(d.failed_step(), v1::STEP_GIT);
  EXPECT_NE(d.error().find("no result within 1.5 s (after 2 attempts)"), std::string::npos)
      << d.error();
  int git_attempts = 0;
  for (const auto& step : d.steps())
    if (step.step() == v1::STEP_GIT) {
      ++git_attempts;
      EXPECT_EQ(step.status(), "timed-out");
    }
  EXPECT_EQ(git_attempts, 2);
}

}  // namespace
}  // namespace slipway
