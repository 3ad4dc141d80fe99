// Releases on loopback with real components: a small HTTP service in two versions (blue and
// green slots) behind a real nginx, scraped by a real Prometheus, released by the rollout
// service running as its own process (slipway-rollout) beside the rest of the stack.
//
// The version a deployment releases is the commit it made: its `inventory/release_flags.py`
// says how many errors that version answers, and the nginx adapter's prepare hook starts the
// service from it in the idle slot. Staging releases by canary steps with metric analysis
// (error rate and health checks over Prometheus); production (command hooks) waits for a
// named approver.
#include <fmt/format.h>
#include <google/protobuf/util/time_util.h>
#include <signal.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "gtest/gtest.h"
#include "libs/prometheus/prometheus.h"
#include "libs/stack/embedded_stack.h"
#include "services/orchestrator/saga.h"
#include "tests/harness/git_daemon.h"
#include "tests/harness/harness.h"
#include "tests/harness/nginx_server.h"
#include "tests/harness/prometheus_server.h"
#include "tests/harness/traffic.h"
#include "tests/integration/stack_fixture.h"

namespace slipway {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using google::protobuf::util::TimeUtil;
using testing::ChildProcess;
using testing::ReadFile;
using testing::RunCommand;
using testing::TempDir;
using testing::WriteFile;

// Starts the version of $SLIPWAY_VERSION (its release_flags.py's error rate) in the slot
// $SLIPWAY_SLOT at $SLIPWAY_ADDRESS, replacing whatever ran there; waits until it listens.
constexpr char kPrepareHook[] = R"sh(#!/usr/bin/env bash
set -euo pipefail
rate=$(git -C "$SLIPWAY_REPOSITORY" show "$SLIPWAY_VERSION:inventory/release_flags.py" 2>/dev/null \
       | sed -n 's/^ERROR_RATE = //p' || true)
rate=${rate:-0}
port=${SLIPWAY_ADDRESS##*:}
pidfile="$RUN_DIR/$SLIPWAY_SLOT.pid"
if [ -f "$pidfile" ]; then kill "$(cat "$pidfile")" 2>/dev/null || true; fi
for i in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || break; sleep 0.05; done
setsid "$TEST_APP" --port "$port" --version "$SLIPWAY_VERSION" --error-rate "$rate" \
  >>"$RUN_DIR/$SLIPWAY_SLOT.log" 2>&1 </dev/null &
echo $! >"$pidfile"
for i in $(seq 200); do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "started $SLIPWAY_VERSION in $SLIPWAY_SLOT (error rate $rate)"; exit 0
  fi
  sleep 0.05
done
echo "$SLIPWAY_SLOT did not start"; exit 1
)sh";

// Stops the version in $SLIPWAY_SLOT.
constexpr char kRetireHook[] = R"sh(#!/usr/bin/env bash
pidfile="$RUN_DIR/$SLIPWAY_SLOT.pid"
if [ -f "$pidfile" ]; then kill "$(cat "$pidfile")" 2>/dev/null || true; rm -f "$pidfile"; fi
echo "retired $SLIPWAY_SLOT"
)sh";

// Production's command hooks: one line per call.
constexpr char kRecordHook[] = R"sh(#!/usr/bin/env bash
echo "$SLIPWAY_ACTION $SLIPWAY_WEIGHT $SLIPWAY_VERSION" >>"$RUN_DIR/production.log"
)sh";

std::string Recommendation(const std::string& title, double error_rate) {
  nlohmann::json j = {
      {"title", title},
      {"description", "Carries the release flags of the next version of the service."},
      {"provider", "proposed"},
      {"proposed_files",
       {{{"path", "inventory/release_flags.py"},
         {"content", fmt::format("ERROR_RATE = {}\n", error_rate)}},
        {{"path", "tests/test_release_flags.py"},
         {"content",
          "from inventory.release_flags import ERROR_RATE\n\n\n"
          "def test_error_rate_is_a_share():\n    assert 0 <= ERROR_RATE <= 1\n"}}}}};
  return j.dump();
}

class RolloutTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir("slipway-rollout");
    const fs::path root = dir_->path();
    run_dir_ = root / "run";
    fs::create_directories(run_dir_);
    blue_ = testing::FreeLoopbackPort();
    green_ = testing::FreeLoopbackPort();
    for (auto [name, text] :
         {std::pair{"prepare.sh", kPrepareHook}, std::pair{"retire.sh", kRetireHook},
          std::pair{"record.sh", kRecordHook}}) {
      WriteFile(root / name, text);
      fs::permissions(root / name, fs::perms::owner_all, fs::perm_options::add);
    }
    // The stable version runs in blue, serving everything.
    stable_repo_ = testing::PrepareSampleRepo(root / "stable");
    stable_ =
        RunCommand("git -C " + stable_repo_.string() + " rev-parse HEAD").output.substr(0, 40);
    auto started = RunCommand(fmt::format(
        "cd {0} && RUN_DIR={1} TEST_APP={2} SLIPWAY_REPOSITORY={3} SLIPWAY_VERSION={5} "
        "SLIPWAY_SLOT=blue SLIPWAY_ADDRESS=127.0.0.1:{4} {0}/prepare.sh",
        root.string(), run_dir_.string(), (testing::BinDir() / "slipway-test-app").string(),
        stable_repo_.string(), blue_, stable_));
    ASSERT_EQ(started.exit_code, 0) << started.output;
    upstream_ = root / "nginx" / "shop-upstream.conf";
    WriteFile(upstream_, fmt::format("# slipway: live=blue canary=green weight=0 release=initial "
                                     "phase=promoted applied=yes\n"
                                     "upstream shop {{\n    server 127.0.0.1:{} weight=100;\n"
                                     "    server 127.0.0.1:{} down;\n}}\n",
                                     blue_, green_));
    nginx_ = new testing::NginxServer(root / "nginx", upstream_, "shop");
    ASSERT_TRUE(nginx_->ok()) << nginx_->error();
    prometheus_ = new testing::PrometheusServer(
        root, {{fmt::format("127.0.0.1:{}", blue_), {{"service", "shop"}, {"slot", "blue"}}},
               {fmt::format("127.0.0.1:{}", green_), {{"service", "shop"}, {"slot", "green"}}}});
    ASSERT_TRUE(prometheus_->ok()) << prometheus_->error();
    traffic_ = new testing::Traffic("127.0.0.1", nginx_->port(), 40);

    nlohmann::json reload = nginx_->ReloadArgv();
    WriteFile(
        root / "environments.yaml",
        fmt::format(R"(
environments:
  - name: staging
    target: shop
    adapter:
      kind: nginx
      upstream: shop
      file: {upstream}
      slots: [{{name: blue, address: "127.0.0.1:{blue}"}}, {{name: green, address: "127.0.0.1:{green}"}}]
      reload: {reload}
      hooks: {{prepare: [{root}/prepare.sh], retire: [{root}/retire.sh]}}
    strategy:
      canary:
        steps: [{{weight: 20}}, {{analysis: true}}, {{weight: 50}}, {{analysis: true}}]
    analysis:
      prometheus: {prometheus}
      interval: 2s
      count: 2
      metrics:
        - template: error-rate
          selector: 'service="shop",slot="{{{{canary}}}}"'
          window: 5s
          inconclusive_limit: 2
        - template: health-check
          selector: 'service="shop",slot="{{{{canary}}}}"'
  - name: production
    target: shop-prod
    approval: {{required: 1, approvers: [alice], timeout: 15s}}
    adapter:
      kind: command
      state_file: {root}/production-state.json
      hooks: {{prepare: [{root}/record.sh], weight: [{root}/record.sh], promote: [{root}/record.sh], rollback: [{root}/record.sh]}}
    strategy:
      canary:
        steps: [{{weight: 50}}]
)",
                    fmt::arg("upstream", upstream_.string()), fmt::arg("blue", blue_),
                    fmt::arg("green", green_), fmt::arg("reload", reload.dump()),
                    fmt::arg("root", root.string()), fmt::arg("prometheus", prometheus_->url())));

    stack::StackOptions o;
    o.state_dir = root / "state";
    o.test_timeout_s = 120;
    o.orchestrator.environments_file = (root / "environments.yaml").string();
    o.orchestrator.rollout_timeout_s = 60;
    o.orchestrator.metrics_listen = "127.0.0.1:0";
    o.services = {"safety", "mapper", "analyzer", "implementer", "tester", "git"};
    auto s = stack::EmbeddedStack::Start(o);
    ASSERT_TRUE(s.ok()) << s.status();
    stack_ = s->release();
    client_ = new testing::Client(stack_->grpc_target());
    StartRollout();
    // The stable version is scraped (green runs nothing yet).
    prometheus::ClientOptions po;
    po.base_url = prometheus_->url();
    prometheus::Client prom(po);
    ASSERT_TRUE(testing::WaitFor(
        [&] {
          auto v = prom.Query("sum_over_time(up{slot=\"blue\"}[1m])");
          return v.ok() && !v->empty() && (*v)[0] >= 2;
        },
        30s, 200ms));
  }

  static void TearDownTestSuite() {
    delete rollout_;
    delete traffic_;
    delete client_;
    delete stack_;
    delete prometheus_;
    delete nginx_;
    RunCommand(fmt::format("for f in {}/*.pid; do [ -f $f ] && kill $(cat $f); done; true",
                           run_dir_.string()));
    delete dir_;
  }

  // slipway-rollout as its own process, against the stack's broker and database.
  static void StartRollout() {
    delete rollout_;
    rollout_ =
        new ChildProcess({(testing::BinDir() / "slipway-rollout").string(), "--replica-id",
                          fmt::format("rollout-{}", ++rollouts_), "--grpc-listen", "127.0.0.1:0"},
                         {{"SLIPWAY_BROKERS", stack_->brokers()},
                          {"SLIPWAY_DATABASE_URL", stack_->database_url()},
                          {"SLIPWAY_LOG_LEVEL", "info"},
                          {"RUN_DIR", run_dir_.string()},
                          {"TEST_APP", (testing::BinDir() / "slipway-test-app").string()}},
                         dir_->path() / fmt::format("rollout-{}.log", rollouts_));
  }

  // Waits until `done` holds for the deployment (or `limit`); returns its last state.
  v1::Deployment WaitUntil(const std::string& id,
                           const std::function<bool(const v1::Deployment&)>& done,
                           std::chrono::milliseconds limit = 180s) {
    v1::Deployment d;
    testing::WaitFor(
        [&] {
          d = client_->Get(id);
          return done(d) || orchestrator::IsTerminal(d.status());
        },
        limit, 100ms);
    return d;
  }

  static std::string UpstreamState() {
    std::string text = ReadFile(upstream_);
    return text.substr(0, text.find('\n'));
  }

  // The audit entries of a deployment.
  std::vector<nlohmann::json> Audit(const std::string& id) {
    auto r = RunCommand(fmt::format("{} --server {} --json audit list --deployment {} --limit 1000",
                                    (testing::BinDir() / "slipway").string(), stack_->grpc_target(),
                                    id));
    EXPECT_EQ(r.exit_code, 0) << r.output;
    std::vector<nlohmann::json> out;
    auto j = nlohmann::json::parse(r.output, nullptr, false);
    if (j.is_object() && j.contains("entries"))
      for (auto& e : j["entries"]) out.push_back(e);
    return out;
  }

  static double Ms(const google::protobuf::Timestamp& from, const google::protobuf::Timestamp& to) {
    return static_cast<double>(TimeUtil::DurationToMilliseconds(to - from));
  }

  std::unique_ptr<TempDir> repos_ = std::make_unique<TempDir>("slipway-rollout-repos");
  int n_ = 0;
  fs::path NewRepo() { return testing::PrepareSampleRepo(repos_->path() / std::to_string(n_++)); }

  static TempDir* dir_;
  static fs::path run_dir_, upstream_, stable_repo_;
  static std::string stable_;          // the commit the stable version runs
  static std::string healthy_commit_;  // the healthy release's, once it succeeded
  static int blue_, green_, rollouts_;
  static testing::NginxServer* nginx_;
  static testing::PrometheusServer* prometheus_;
  static testing::Traffic* traffic_;
  static stack::EmbeddedStack* stack_;
  static testing::Client* client_;
  static ChildProcess* rollout_;
};

TempDir* RolloutTest::dir_ = nullptr;
fs::path RolloutTest::run_dir_, RolloutTest::upstream_, RolloutTest::stable_repo_;
std::string RolloutTest::stable_;
std::string RolloutTest::healthy_commit_;
int RolloutTest::blue_ = 0, RolloutTest::green_ = 0, RolloutTest::rollouts_ = 0;
testing::NginxServer* RolloutTest::nginx_ = nullptr;
testing::PrometheusServer* RolloutTest::prometheus_ = nullptr;
testing::Traffic* RolloutTest::traffic_ = nullptr;
stack::EmbeddedStack* RolloutTest::stack_ = nullptr;
testing::Client* RolloutTest::client_ = nullptr;
ChildProcess* RolloutTest::rollout_ = nullptr;

// 20% errors in the new version: the analysis fails at the first canary step and all traffic
// goes back to the stable version within one analysis interval.
TEST_F(RolloutTest, AFailingReleaseIsRolledBackAutomatically) {
  auto d = client_->Submit(Recommendation("Release flags with a faulty version", 0.2),
                           NewRepo().string(), v1::MODE_LOCAL_COMMIT);
  d = client_->WaitDone(d.id(), 240s);
  ASSERT_EQ(d.status(), v1::DEPLOYMENT_STATUS_ROLLED_BACK) << d.error() << "\n"
                                                           << rollout_->Output();
  EXPECT_EQ(d.failed_step(), v1::STEP_ROLLOUT);
  ASSERT_EQ(d.releases_size(), 1);
  const auto& r = d.releases(0);
  EXPECT_EQ(r.environment(), "staging");
  EXPECT_EQ(r.status(), "rolled-back");
  EXPECT_EQ(r.weight(), 0u);
  EXPECT_EQ(r.cause().metric(), "error-rate");
  EXPECT_GT(r.cause().value(), 0.05);
  EXPECT_EQ(r.cause().condition(), "result > 0.05");
  EXPECT_NE(d.error().find("error-rate"), std::string::npos) << d.error();
  // Traffic is back on the stable version: nginx routes nothing to green.
  EXPECT_NE(UpstreamState().find("live=blue"), std::string::npos) << UpstreamState();
  EXPECT_NE(UpstreamState().find("weight=0"), std::string::npos) << UpstreamState();
  ASSERT_TRUE(nginx_->WaitForReloads(nginx_->Reloads()));
  int64_t mark = traffic_->Mark();
  ASSERT_TRUE(testing::WaitFor([&] { return traffic_->Since(mark).total() >= 60; }, 30s));
  auto tally = traffic_->Since(mark);
  EXPECT_EQ(tally.errors, 0);
  EXPECT_EQ(tally.by_version.size(), 1u);
  EXPECT_EQ(tally.by_version.begin()->first, stable_);

  // From the breach to all traffic on the stable version: within one analysis interval (2 s).
  ASSERT_TRUE(r.has_breach_at() && r.has_restored_at());
  const double breach_to_restored = Ms(r.breach_at(), r.restored_at());
  EXPECT_LT(breach_to_restored, 2000);
  // From the canary's first traffic to the rollback, as the audit trail recorded them.
  double canary_to_restored = -1;
  auto audit = Audit(d.id());
  std::vector<std::string> actions;
  google::protobuf::Timestamp canary_at, restored_at;
  for (const auto& e : audit) {
    actions.push_back(e["action"]);
    google::protobuf::Timestamp at;
    ASSERT_TRUE(TimeUtil::FromString(e["at"].get<std::string>(), &at));
    if (e["action"] == "weight-set" && canary_at.seconds() == 0) canary_at = at;
    if (e["action"] == "rolled-back") restored_at = at;
  }
  canary_to_restored = Ms(canary_at, restored_at);
  EXPECT_GT(canary_to_restored, 0);
  EXPECT_EQ(std::count(actions.begin(), actions.end(), "rolled-back"), 1)
      << fmt::format("{}", fmt::join(actions, ", "));
  std::cout << fmt::format(
      "[ figures  ] breach found -> all traffic on stable: {:.0f} ms; canary's first "
      "traffic -> rolled back: {:.0f} ms; cause: {}\n",
      breach_to_restored, canary_to_restored, r.cause().reason());
}

// A healthy version reaches all of staging's traffic, survives the rollout service being
// killed in the middle of a canary step, then waits for production's named approver.
TEST_F(RolloutTest, AHealthyReleaseSurvivesAKillAndProceedsAfterApproval) {
  auto d = client_->Submit(Recommendation("Release flags with a healthy version", 0.0),
                           NewRepo().string(), v1::MODE_LOCAL_COMMIT);
  // In the middle of the first canary step: 20% on the new version, one measurement taken.
  d = WaitUntil(d.id(), [](const v1::Deployment& x) {
    return x.releases_size() == 1 && x.releases(0).weight() == 20 &&
           x.releases(0).measurements() >= 1;
  });
  ASSERT_EQ(d.releases_size(), 1) << d.error();
  ASSERT_EQ(d.releases(0).weight(), 20u);
  ASSERT_EQ(::kill(rollout_->pid(), SIGKILL), 0);
  const uint32_t measured_at_kill = d.releases(0).measurements();
  // Nothing moves while the service is down.
  EXPECT_FALSE(testing::WaitFor(
      [&] {
        d = client_->Get(d.id());
        return d.releases(0).weight() != 20u || d.releases(0).measurements() != measured_at_kill;
      },
      3s, 200ms));
  StartRollout();

  d = WaitUntil(d.id(), [](const v1::Deployment& x) {
    return x.status() == v1::DEPLOYMENT_STATUS_AWAITING_APPROVAL;
  });
  ASSERT_EQ(d.status(), v1::DEPLOYMENT_STATUS_AWAITING_APPROVAL) << d.error() << "\n"
                                                                 << rollout_->Output();
  ASSERT_EQ(d.releases_size(), 1);
  const auto& staging = d.releases(0);
  EXPECT_EQ(staging.status(), "succeeded");
  EXPECT_EQ(staging.weight(), 100u);
  EXPECT_GE(staging.measurements(), 4u);  // two analysis steps of two measurements each
  EXPECT_EQ(d.approval().environment(), "production");
  EXPECT_EQ(d.approval().required(), 1u);
  // All of staging's traffic reaches the new version, in green.
  EXPECT_NE(UpstreamState().find("live=green"), std::string::npos) << UpstreamState();
  ASSERT_TRUE(nginx_->WaitForReloads(nginx_->Reloads()));
  int64_t mark = traffic_->Mark();
  ASSERT_TRUE(testing::WaitFor([&] { return traffic_->Since(mark).total() >= 40; }, 30s));
  auto tally = traffic_->Since(mark);
  EXPECT_EQ(tally.errors, 0);
  ASSERT_EQ(tally.by_version.size(), 1u);
  EXPECT_EQ(tally.by_version.begin()->first, d.commit());

  // The kill skipped no analysis and applied no weight twice.
  std::map<int, int> applied;  // weight -> times the target changed
  int analyses = 0;
  for (const auto& e : Audit(d.id())) {
    auto evidence = nlohmann::json::parse(e["evidence"].get<std::string>());
    if (e["action"] == "weight-set" && evidence["changed"].get<bool>())
      ++applied[evidence["weight"].get<int>()];
    if (e["action"] == "analysis" && evidence["outcome"] == "successful") ++analyses;
  }
  EXPECT_EQ(applied, (std::map<int, int>{{20, 1}, {50, 1}, {100, 1}}));
  EXPECT_EQ(analyses, 2);

  // Only a named approver may release to production.
  const std::string slipway = (testing::BinDir() / "slipway").string();
  auto denied =
      RunCommand(fmt::format("{} --server {} approve {} --env production --approver "
                             "mallory",
                             slipway, stack_->grpc_target(), d.id()));
  EXPECT_NE(denied.exit_code, 0);
  EXPECT_NE(denied.output.find("may not approve"), std::string::npos) << denied.output;
  auto approved =
      RunCommand(fmt::format("{} --server {} approve {} --env production --approver "
                             "alice --comment 'staging looks good'",
                             slipway, stack_->grpc_target(), d.id()));
  ASSERT_EQ(approved.exit_code, 0) << approved.output;
  d = client_->WaitDone(d.id(), 120s);
  ASSERT_EQ(d.status(), v1::DEPLOYMENT_STATUS_SUCCEEDED) << d.error();
  healthy_commit_ = d.commit();
  ASSERT_EQ(d.releases_size(), 2);
  EXPECT_EQ(d.releases(1).environment(), "production");
  EXPECT_EQ(d.releases(1).status(), "succeeded");
  std::string log = ReadFile(run_dir_ / "production.log");
  EXPECT_NE(log.find("weight 50 " + d.commit()), std::string::npos) << log;
  EXPECT_NE(log.find("promote"), std::string::npos) << log;

  auto verify =
      RunCommand(fmt::format("{} --server {} audit verify", slipway, stack_->grpc_target()));
  EXPECT_EQ(verify.exit_code, 0) << verify.output;
  EXPECT_NE(verify.output.find("intact"), std::string::npos) << verify.output;
}

// Nobody approves production: the deployment expires instead of waiting for ever, and
// production never sees the version.
TEST_F(RolloutTest, AnUnapprovedReleaseExpires) {
  auto d = client_->Submit(Recommendation("Release flags nobody approves", 0.0), NewRepo().string(),
                           v1::MODE_LOCAL_COMMIT);
  d = WaitUntil(d.id(), [](const v1::Deployment& x) {
    return x.status() == v1::DEPLOYMENT_STATUS_AWAITING_APPROVAL;
  });
  ASSERT_EQ(d.status(), v1::DEPLOYMENT_STATUS_AWAITING_APPROVAL) << d.error();
  d = client_->WaitDone(d.id(), 60s);
  ASSERT_EQ(d.status(), v1::DEPLOYMENT_STATUS_EXPIRED) << d.error();
  EXPECT_NE(d.error().find("approval of production not given within 15s"), std::string::npos)
      << d.error();
  ASSERT_EQ(d.releases_size(), 1);  // staging only
  EXPECT_EQ(ReadFile(run_dir_ / "production.log").find(d.commit()), std::string::npos);
  bool expired = false;
  for (const auto& e : Audit(d.id())) expired = expired || e["action"] == "approval-expired";
  EXPECT_TRUE(expired);
}

// Cancelled in the middle of a canary step: traffic goes back to the stable version before the
// deployment ends.
TEST_F(RolloutTest, CancellingDuringACanaryRollsItBackFirst) {
  const std::string live_before = UpstreamState().substr(0, UpstreamState().find(" canary="));
  auto d = client_->Submit(Recommendation("Release flags cancelled half-way", 0.0),
                           NewRepo().string(), v1::MODE_LOCAL_COMMIT);
  d = WaitUntil(d.id(), [](const v1::Deployment& x) {
    return x.releases_size() == 1 && x.releases(0).weight() == 20;
  });
  ASSERT_EQ(d.releases_size(), 1) << d.error();
  grpc::ClientContext ctx;
  v1::CancelRequest cancel;
  cancel.set_id(d.id());
  cancel.set_reason("wrong build");
  v1::Deployment after;
  ASSERT_TRUE(client_->stub().Cancel(&ctx, cancel, &after).ok());
  EXPECT_EQ(after.status(), v1::DEPLOYMENT_STATUS_COMPENSATING);
  d = client_->WaitDone(d.id(), 60s);
  ASSERT_EQ(d.status(), v1::DEPLOYMENT_STATUS_CANCELLED) << d.error();
  EXPECT_EQ(d.error(), "cancelled: wrong build");
  ASSERT_EQ(d.releases_size(), 1);
  EXPECT_EQ(d.releases(0).status(), "rolled-back");
  EXPECT_EQ(d.releases(0).weight(), 0u);
  // The slot that was live stays live, with all the traffic.
  EXPECT_EQ(UpstreamState().substr(0, UpstreamState().find(" canary=")), live_before);
  EXPECT_NE(UpstreamState().find("weight=0"), std::string::npos) << UpstreamState();
  ASSERT_TRUE(nginx_->WaitForReloads(nginx_->Reloads()));
  int64_t mark = traffic_->Mark();
  ASSERT_TRUE(testing::WaitFor([&] { return traffic_->Since(mark).total() >= 40; }, 30s));
  auto tally = traffic_->Since(mark);
  ASSERT_EQ(tally.by_version.size(), 1u);
  EXPECT_NE(tally.by_version.begin()->first, d.commit());
}

// One click: staging's live release (the expired deployment's) goes back to the release before
// it, the healthy one, which serves all traffic again.
TEST_F(RolloutTest, OneClickRollbackRestoresTheEarlierRelease) {
  ASSERT_FALSE(healthy_commit_.empty());
  const std::string slipway = (testing::BinDir() / "slipway").string();
  auto asked = RunCommand(fmt::format(
      "{} --server {} --json rollback shop --env staging --actor carol --reason 'support reports "
      "a regression'",
      slipway, stack_->grpc_target()));
  ASSERT_EQ(asked.exit_code, 0) << asked.output;
  auto j = nlohmann::json::parse(asked.output, nullptr, false);
  ASSERT_TRUE(j.is_object()) << asked.output;
  const std::string id = j["id"];
  auto d = client_->WaitDone(id, 120s);
  ASSERT_EQ(d.status(), v1::DEPLOYMENT_STATUS_ROLLED_BACK) << d.error();
  EXPECT_NE(d.error().find("rolled back by carol"), std::string::npos) << d.error();
  ASSERT_EQ(d.releases_size(), 2);
  EXPECT_EQ(d.releases(0).status(), "rolled-back");
  EXPECT_EQ(d.releases(1).strategy(), "rollback");
  EXPECT_EQ(d.releases(1).status(), "succeeded");
  EXPECT_EQ(d.releases(1).version(), healthy_commit_);
  ASSERT_TRUE(nginx_->WaitForReloads(nginx_->Reloads()));
  int64_t mark = traffic_->Mark();
  ASSERT_TRUE(testing::WaitFor([&] { return traffic_->Since(mark).total() >= 40; }, 30s));
  auto tally = traffic_->Since(mark);
  EXPECT_EQ(tally.errors, 0);
  ASSERT_EQ(tally.by_version.size(), 1u);
  EXPECT_EQ(tally.by_version.begin()->first, healthy_commit_);
  bool requested = false;
  for (const auto& e : Audit(id))
    requested = requested || (e["action"] == "rollback-requested" && e["actor"] == "carol");
  EXPECT_TRUE(requested);
  // Nothing earlier to return to from the first release of a target.
  auto none =
      RunCommand(fmt::format("{} --server {} rollback shop-prod --env production --reason x",
                             slipway, stack_->grpc_target()));
  EXPECT_NE(none.exit_code, 0);
  EXPECT_NE(none.output.find("no earlier successful release"), std::string::npos) << none.output;
}

// The DORA metrics of the releases above, through gRPC, the CLI and /metrics.
TEST_F(RolloutTest, DoraMetricsComeFromTheRecords) {
  v1::DoraRequest req;
  req.set_environment("staging");
  req.set_days(1);
  grpc::ClientContext ctx;
  v1::DoraMetrics m;
  ASSERT_TRUE(client_->stub().GetDoraMetrics(&ctx, req, &m).ok());
  // Staging: the faulty release rolled back automatically, one healthy release stands, one
  // was cancelled half-way and one was rolled back by hand.
  EXPECT_EQ(m.releases(), 4);
  EXPECT_EQ(m.successful(), 1);
  EXPECT_EQ(m.failed(), 3);
  EXPECT_NEAR(m.change_failure_rate(), 3.0 / 4, 1e-9);
  EXPECT_EQ(m.restores(), 3);
  EXPECT_GT(m.time_to_restore_median_seconds(), 0);
  EXPECT_LT(m.time_to_restore_median_seconds(), 30);
  EXPECT_GT(m.lead_time_median_seconds(), 0);
  EXPECT_NEAR(m.deployments_per_day(), 1, 1e-9);

  auto cli =
      RunCommand(fmt::format("{} --server {} dora --env production --days 1",
                             (testing::BinDir() / "slipway").string(), stack_->grpc_target()));
  ASSERT_EQ(cli.exit_code, 0) << cli.output;
  EXPECT_NE(cli.output.find("1 releases, 1 succeeded, 0 failed"), std::string::npos) << cli.output;

  const int port = stack_->orchestrator()->metrics_port();
  ASSERT_GT(port, 0);
  auto text =
      RunCommand(fmt::format("bash -c 'exec 3<>/dev/tcp/127.0.0.1/{} && printf \"GET /metrics "
                             "HTTP/1.0\\r\\n\\r\\n\" >&3 && cat <&3'",
                             port));
  EXPECT_NE(text.output.find("slipway_dora_change_failure_rate{environment=\"production\","
                             "target=\"\"} 0"),
            std::string::npos)
      << text.output;
  EXPECT_NE(text.output.find("slipway_deployments{status=\"rolled-back\"} 2"), std::string::npos)
      << text.output;
  EXPECT_NE(text.output.find("slipway_deployments{status=\"succeeded\"} 1"), std::string::npos)
      << text.output;
  EXPECT_NE(text.output.find("slipway_deployments{status=\"cancelled\"} 1"), std::string::npos)
      << text.output;
}

}  // namespace
}  // namespace slipway
