// The rollout step against a real PostgreSQL server, driven command by command as the saga
// drives it: blue-green, a pause until approval, Prometheus out of reach (inconclusive: rolled
// back, or paused on a gate), and a superseded command. The command adapter's hooks record
// every call in a file.
#include <fmt/format.h>

#include <atomic>
#include <thread>

#include "gtest/gtest.h"
#include "libs/core/ids.h"
#include "libs/release/environments.h"
#include "libs/store/store.h"
#include "services/rollout/rollout.h"
#include "tests/harness/database.h"
#include "tests/harness/git_daemon.h"
#include "tests/harness/harness.h"

namespace slipway::rollout {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

class RolloutStepTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto pool = testing::NewMigratedDatabase("rollout", 16);
    ASSERT_TRUE(pool.ok()) << pool.status();
    pool_ = std::move(*pool);
    testing::WriteFile(dir_.path() / "record.sh",
                       "#!/bin/sh\necho \"$SLIPWAY_ACTION $SLIPWAY_WEIGHT\" >>\"$(dirname "
                       "\"$0\")/calls.log\"\n");
    fs::permissions(dir_.path() / "record.sh", fs::perms::owner_all, fs::perm_options::add);
    step_ = std::make_unique<RolloutStep>(*pool_, RolloutOptions{});
  }

  // The environment `name` with a command adapter recording into calls.log, plus `extra` YAML.
  std::string Environment(const std::string& extra) {
    const std::string hook = (dir_.path() / "record.sh").string();
    auto envs = release::ParseEnvironments(fmt::format(
        R"(environments:
  - name: staging
    adapter:
      kind: command
      hooks: {{prepare: [{0}], weight: [{0}], promote: [{0}], rollback: [{0}]}}
      state_file: {1}
{2}
)",
        hook, (dir_.path() / "state.json").string(), extra));
    EXPECT_TRUE(envs.ok()) << envs.status();
    return envs.ok() ? (*envs)[0].source.dump() : "";
  }

  // A deployment whose saga waits on the staging rollout's first command.
  v1::StepCommand Command(const std::string& environment_config) {
    const std::string id = NewUuid();
    EXPECT_TRUE(pool_
                    ->Transact([&](pqxx::work& tx) {
                      tx.exec_params(
                          "INSERT INTO deployments (id, repository, mode, status, recommendation, "
                          "trace_id, current_step, attempt, environment) VALUES ($1::uuid, "
                          "'/repo', 2, 2, ''::bytea, $2, $3, 1, 'staging')",
                          id, NewTraceId(), static_cast<int>(v1::STEP_ROLLOUT));
                      return absl::OkStatus();
                    })
                    .ok());
    v1::StepCommand cmd;
    cmd.set_deployment_id(id);
    cmd.set_step(v1::STEP_ROLLOUT);
    cmd.set_attempt(1);
    cmd.set_environment("staging");
    cmd.set_environment_config(environment_config);
    cmd.mutable_git()->set_commit("0123456789abcdef0123456789abcdef01234567");
    return cmd;
  }

  // Sends the command again for every poll, as the saga does, until an answer that is not a
  // poll (or 200 commands).
  v1::StepResult Drive(v1::StepCommand& cmd) {
    for (int i = 0; i < 200; ++i) {
      auto r = step_->Handle(cmd);
      EXPECT_TRUE(r.ok()) << r.status();
      if (!r.ok() || r->poll_after_ms() == 0) return r.ok() ? *r : v1::StepResult();
      std::this_thread::sleep_for(std::chrono::milliseconds(std::min(r->poll_after_ms(), 500u)));
      NextPoll(cmd);
    }
    ADD_FAILURE() << "no answer after 200 commands";
    return v1::StepResult();
  }

  // The saga's next command of the same step.
  void NextPoll(v1::StepCommand& cmd) {
    cmd.set_poll(cmd.poll() + 1);
    ASSERT_TRUE(pool_
                    ->Transact([&](pqxx::work& tx) {
                      tx.exec_params("UPDATE deployments SET checks_polls = $2 WHERE id = $1::uuid",
                                     cmd.deployment_id(), static_cast<int>(cmd.poll()));
                      return absl::OkStatus();
                    })
                    .ok());
  }

  std::string Calls() { return testing::ReadFile(dir_.path() / "calls.log"); }

  int64_t Releases() {
    int64_t n = -1;
    (void)pool_->Transact([&](pqxx::work& tx) {
      n = tx.exec("SELECT count(*) FROM releases")[0][0].as<int64_t>();
      return absl::OkStatus();
    });
    return n;
  }

  testing::TempDir dir_{"slipway-rollout-step"};
  std::unique_ptr<store::ConnectionPool> pool_;
  std::unique_ptr<RolloutStep> step_;
};

TEST_F(RolloutStepTest, BlueGreenSwitchesAtOnceAndRetiresTheOldVersionAfterTheDelay) {
  auto cmd = Command(Environment("    strategy: {blue_green: {keep_old: 400ms}}"));
  const auto started = std::chrono::steady_clock::now();
  auto r = Drive(cmd);
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_GE(std::chrono::steady_clock::now() - started, 400ms);  // the old version was kept
  EXPECT_EQ(r.release().strategy(), "blue-green");
  EXPECT_EQ(r.release().status(), "succeeded");
  EXPECT_EQ(r.release().weight(), 100u);
  EXPECT_EQ(Calls(), "prepare 0\nweight 100\npromote 100\n");
  // A replay of the finished release answers the same and runs nothing.
  NextPoll(cmd);
  auto again = step_->Handle(cmd);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->ok());
  EXPECT_EQ(Calls(), "prepare 0\nweight 100\npromote 100\n");
}

TEST_F(RolloutStepTest, APauseUntilApprovedWaitsOnItsGate) {
  auto cmd = Command(Environment(
      "    strategy: {canary: {steps: [{weight: 30}, {pause: approval}, {weight: 60}]}}"));
  auto r = Drive(cmd);
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.awaiting_gate(), "step-1");
  EXPECT_EQ(r.release().status(), "paused");
  EXPECT_EQ(r.release().weight(), 30u);
  EXPECT_EQ(Calls(), "prepare 0\nweight 30\n");
  // Approved: the same step goes on from the recorded one.
  NextPoll(cmd);
  cmd.add_approved_gates("step-1");
  r = Drive(cmd);
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(Calls(), "prepare 0\nweight 30\nweight 60\nweight 100\npromote 100\n");
}

TEST_F(RolloutStepTest, PrometheusOutOfReachIsInconclusiveAndRollsBack) {
  const int closed = testing::FreeLoopbackPort();
  auto cmd = Command(Environment(
      fmt::format("    strategy: {{canary: {{steps: [{{weight: 10}}, {{analysis: true}}]}}}}\n"
                  "    analysis:\n      prometheus: http://127.0.0.1:{}\n      interval: 100ms\n"
                  "      metrics: [{{template: error-rate, consecutive_error_limit: 2}}]",
                  closed)));
  auto r = Drive(cmd);
  EXPECT_FALSE(r.ok());
  EXPECT_TRUE(r.awaiting_gate().empty());
  EXPECT_EQ(r.release().status(), "rolled-back");
  EXPECT_EQ(r.release().weight(), 0u);
  EXPECT_EQ(r.release().cause().metric(), "error-rate");
  EXPECT_NE(r.release().cause().reason().find(fmt::format("127.0.0.1:{}", closed)),
            std::string::npos)
      << r.release().cause().reason();
  EXPECT_EQ(r.release().measurements(), 3u);  // two errors tolerated, the third decides
  EXPECT_EQ(Calls(), "prepare 0\nweight 10\nrollback 0\n");
}

TEST_F(RolloutStepTest, AnInconclusiveAnalysisCanPauseForAPersonInstead) {
  auto cmd = Command(Environment(
      fmt::format("    strategy: {{canary: {{steps: [{{weight: 10}}, {{analysis: true}}]}}}}\n"
                  "    analysis:\n      prometheus: http://127.0.0.1:{}\n      interval: 100ms\n"
                  "      on_inconclusive: pause\n"
                  "      metrics: [{{template: error-rate, consecutive_error_limit: 0}}]",
                  testing::FreeLoopbackPort())));
  auto r = Drive(cmd);
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.awaiting_gate(), "inconclusive-1");
  EXPECT_EQ(r.release().status(), "paused");
  EXPECT_EQ(r.release().weight(), 10u);  // nothing moved
  EXPECT_EQ(Calls(), "prepare 0\nweight 10\n");
  // Asked again without the approval: still waiting, nothing measured or moved.
  NextPoll(cmd);
  r = Drive(cmd);
  EXPECT_EQ(r.awaiting_gate(), "inconclusive-1");
  EXPECT_EQ(r.release().measurements(), 1u);
  // An abort while it waits rolls it back.
  NextPoll(cmd);
  cmd.set_abort(true);
  cmd.set_reason("approval expired");
  r = Drive(cmd);
  EXPECT_EQ(r.release().status(), "rolled-back");
  EXPECT_EQ(Calls(), "prepare 0\nweight 10\nrollback 0\n");
}

TEST_F(RolloutStepTest, ASupersededCommandChangesNothing) {
  auto cmd = Command(Environment(""));
  cmd.set_poll(4);  // the saga waits on the first command, not this one
  auto r = step_->Handle(cmd);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->ok());
  EXPECT_NE(r->error().find("superseded"), std::string::npos) << r->error();
  EXPECT_EQ(Releases(), 0);
  EXPECT_EQ(Calls(), "");
  // An abort before anything was released records nothing either.
  cmd.set_poll(0);
  cmd.set_abort(true);
  r = step_->Handle(cmd);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->release().status(), "rolled-back");
  EXPECT_EQ(Releases(), 0);
}

}  // namespace
}  // namespace slipway::rollout
