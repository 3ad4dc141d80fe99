#include "libs/release/environments.h"

#include <gtest/gtest.h>

#include <cstdlib>

namespace slipway::release {
namespace {

using namespace std::chrono_literals;
using Kind = Step::Kind;

constexpr char kTwo[] = R"(
environments:
  - name: staging
    adapter: {kind: command, hooks: {weight: [./weight.sh]}}
    analysis:
      prometheus: http://127.0.0.1:9090
      interval: 2s
  - name: production
    target: shop
    approval: {required: 2, approvers: [alice, bob, carol], timeout: 90m, on_merge: true}
    adapter: {kind: nginx, upstream: app}
    strategy:
      canary:
        steps:
          - weight: 10
          - pause: approval
          - weight: 40
          - analysis: {count: 2}
          - pause: 1m
    analysis:
      prometheus: http://prom:9090
      count: 4
      metrics:
        - template: error-rate
          selector: 'job="app",slot="{{canary}}"'
          window: 30s
        - name: saturation
          query: max(cpu)
          failure: result > 0.9
          no_data: pass
)";

TEST(Durations, ParseAndFormat) {
  EXPECT_EQ(*ParseDuration("500ms"), 500ms);
  EXPECT_EQ(*ParseDuration("30s"), 30s);
  EXPECT_EQ(*ParseDuration("1h30m"), 90min);
  EXPECT_EQ(*ParseDuration("1.5s"), 1500ms);
  EXPECT_EQ(*ParseDuration("12"), 12s);
  for (const char* bad : {"", "s", "5 minutes", "-3s", "3x", "1e400h"})
    EXPECT_FALSE(ParseDuration(bad).ok()) << bad;
  EXPECT_EQ(FormatDuration(2h), "2h");
  EXPECT_EQ(FormatDuration(90s), "90s");
  EXPECT_EQ(FormatDuration(1500ms), "1.5s");
  EXPECT_EQ(FormatDuration(250ms), "250ms");
}

TEST(Environments, DefaultsFollowTheCommonPractice) {
  auto envs = ParseEnvironments(kTwo);
  ASSERT_TRUE(envs.ok()) << envs.status();
  ASSERT_EQ(envs->size(), 2u);
  const Environment& staging = (*envs)[0];
  EXPECT_EQ(staging.target, "staging");
  EXPECT_TRUE(staging.auto_deploy);
  EXPECT_EQ(staging.approval.required, 0u);
  // 5% -> 25% -> 50% -> 100%, an analysis after each of the first three.
  ASSERT_EQ(staging.strategy.steps.size(), 7u);
  EXPECT_EQ(staging.strategy.steps[0].weight, 5u);
  EXPECT_EQ(staging.strategy.steps[1].kind, Kind::kAnalysis);
  EXPECT_EQ(staging.strategy.steps[6].weight, 100u);
  // Error rate, latency regression and health checks, over the target's canary slot.
  ASSERT_EQ(staging.analysis.metrics.size(), 3u);
  EXPECT_EQ(staging.analysis.metrics[0].name, "error-rate");
  EXPECT_NE(staging.analysis.metrics[0].query.find("service=\"staging\",slot=\"{{canary}}\""),
            std::string::npos);
  EXPECT_EQ(staging.analysis.metrics[1].name, "latency-regression");
  EXPECT_EQ(staging.analysis.metrics[2].name, "health-check");
  EXPECT_EQ(staging.analysis.metrics[2].failure_limit, 2u);
  EXPECT_EQ(staging.analysis.interval, 2s);
  EXPECT_EQ(staging.analysis.metrics[0].interval, 2s);
}

TEST(Environments, ProductionGateAndCustomSteps) {
  auto envs = ParseEnvironments(kTwo);
  ASSERT_TRUE(envs.ok()) << envs.status();
  const Environment& prod = (*envs)[1];
  EXPECT_EQ(prod.target, "shop");
  EXPECT_FALSE(prod.auto_deploy);
  EXPECT_EQ(prod.approval.required, 2u);
  EXPECT_EQ(prod.approval.approvers.size(), 3u);
  EXPECT_EQ(prod.approval.timeout, 90min);
  EXPECT_TRUE(prod.approval.on_merge);
  ASSERT_EQ(prod.strategy.steps.size(), 6u);  // 100% added at the end
  EXPECT_TRUE(prod.strategy.steps[1].until_approved);
  EXPECT_EQ(prod.strategy.steps[3].count, 2u);
  EXPECT_EQ(prod.strategy.steps[4].pause, 1min);
  EXPECT_EQ(prod.strategy.steps[5].weight, 100u);
  ASSERT_EQ(prod.analysis.metrics.size(), 2u);
  EXPECT_NE(prod.analysis.metrics[0].query.find("[30s]"), std::string::npos);
  EXPECT_EQ(prod.analysis.metrics[0].count, 4u);
  EXPECT_EQ(prod.analysis.metrics[1].no_data, analysis::NoDataPolicy::kPass);
  // The rollout service reads the same environment back from its JSON.
  auto again = EnvironmentFromJson(prod.source);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->strategy.steps.size(), prod.strategy.steps.size());
  EXPECT_EQ(again->analysis.metrics[1].query, "max(cpu)");
}

TEST(Environments, ProductionNeedsAnApproverByDefault) {
  auto envs = ParseEnvironments(R"(
environments:
  - {name: production, adapter: {kind: command}}
)");
  ASSERT_TRUE(envs.ok()) << envs.status();
  EXPECT_EQ((*envs)[0].approval.required, 1u);
  EXPECT_FALSE((*envs)[0].auto_deploy);
  EXPECT_EQ((*envs)[0].approval.timeout, 2h);
  EXPECT_FALSE((*envs)[0].approval.on_merge);
  // Without an analysis the default canary pauses a minute at each weight instead.
  const auto& steps = (*envs)[0].strategy.steps;
  ASSERT_EQ(steps.size(), 7u);
  EXPECT_EQ(steps[1].kind, Kind::kPause);
  EXPECT_EQ(steps[1].pause, 1min);
}

TEST(Environments, BlueGreen) {
  auto envs = ParseEnvironments(R"(
environments:
  - name: staging
    adapter: {kind: command}
    strategy: {blue_green: {keep_old: 10m}}
    analysis: {prometheus: http://p:9090}
)");
  ASSERT_TRUE(envs.ok()) << envs.status();
  const auto& s = (*envs)[0].strategy;
  EXPECT_EQ(s.kind, "blue-green");
  ASSERT_EQ(s.steps.size(), 4u);
  EXPECT_EQ(s.steps[0].kind, Kind::kAnalysis);
  EXPECT_EQ(s.steps[1].weight, 100u);
  EXPECT_EQ(s.steps[3].pause, 10min);
}

TEST(Environments, ErrorsNameTheKey) {
  struct Case {
    const char* yaml;
    const char* expect;
  } cases[] = {
      {"environments:\n  - {name: a, adapter: {kind: command}, colour: red}",
       "environments[0] (a).colour: unknown key"},
      {"environments:\n  - {name: a}", "environments[0] (a).adapter: required"},
      {"environments:\n  - {name: 'a b', adapter: {kind: command}}", ".name: letters"},
      {"environments:\n  - {name: a, adapter: {kind: command}}\n  - {name: a, adapter: {kind: "
       "command}}",
       "name 'a' twice"},
      {"environments:\n  - {name: a, adapter: {kind: command}, approval: {required: 3, "
       "approvers: [x]}}",
       "approval.required: 3 approvals needed but only 1"},
      {"environments:\n  - {name: a, adapter: {kind: command}, strategy: {canary: {steps: "
       "[{weight: 50}, {weight: 20}]}}}",
       "weights only grow"},
      {"environments:\n  - {name: a, adapter: {kind: command}, strategy: {canary: {steps: "
       "[{analysis: true}]}}}",
       "analysis: required: strategy step 0"},
      {"environments:\n  - {name: a, adapter: {kind: command}, analysis: {prometheus: p, "
       "interval: soon}}",
       "analysis.interval: 'soon' is not a duration"},
      {"environments:\n  - {name: a, adapter: {kind: command}, analysis: {prometheus: p, "
       "metrics: [{name: m, query: q, failure: 'value > 1'}]}}",
       "metrics[0].failure:"},
      {"environments:\n  - {name: a, adapter: {kind: command}, analysis: {prometheus: p, "
       "metrics: [{name: m, query: q}]}}",
       "needs a success or a failure condition"},
      {"environments: [", "not YAML"},
      {"servers: []", "servers: unknown key"},
  };
  for (const auto& c : cases) {
    auto envs = ParseEnvironments(c.yaml);
    ASSERT_FALSE(envs.ok()) << c.yaml;
    EXPECT_NE(envs.status().message().find(c.expect), std::string::npos)
        << envs.status().message() << "\n  expected: " << c.expect;
  }
}

TEST(Environments, TheBundledExampleIsValid) {
  const char* source = std::getenv("SLIPWAY_SOURCE_DIR");
  ASSERT_NE(source, nullptr);
  auto envs = LoadEnvironments(std::filesystem::path(source) / "examples" / "environments.yaml");
  ASSERT_TRUE(envs.ok()) << envs.status();
  ASSERT_EQ(envs->size(), 2u);
  EXPECT_EQ((*envs)[1].name, "production");
  EXPECT_EQ((*envs)[1].approval.approvers, std::vector<std::string>{"release-manager"});
}

TEST(Environments, NoneConfigured) {
  EXPECT_TRUE(ParseEnvironments("")->empty());
  EXPECT_TRUE(ParseEnvironments("environments: []")->empty());
}

}  // namespace
}  // namespace slipway::release
