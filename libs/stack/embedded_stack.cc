#include "libs/stack/embedded_stack.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "services/analyzer/step.h"
#include "services/git/step.h"
#include "services/implementer/step.h"
#include "services/mapper/step.h"
#include "services/rollout/rollout.h"
#include "services/safety/step.h"
#include "services/tester/step.h"

namespace slipway::stack {

const std::vector<std::string>& StepServices() {
  static const std::vector<std::string> kServices = {"safety", "mapper", "analyzer", "implementer",
                                                     "tester", "git",    "rollout"};
  return kServices;
}

absl::StatusOr<runtime::HandlerFactory> FactoryFor(const std::string& service,
                                                   const StackOptions& options) {
  using Result = absl::StatusOr<std::unique_ptr<runtime::StepHandler>>;
  if (service == "safety")
    return [](store::ConnectionPool& p, const repo::Targets& t) -> Result {
      return std::make_unique<safety::SafetyStep>(p, safety::SafetyOptions{}, t);
    };
  if (service == "mapper")
    return [](store::ConnectionPool& p, const repo::Targets& t) -> Result {
      return std::make_unique<mapper::MapperStep>(p, t);
    };
  if (service == "analyzer")
    return [](store::ConnectionPool& p, const repo::Targets& t) -> Result {
      return std::make_unique<analyzer::AnalyzerStep>(p, analyzer::AnalyzerOptions{}, t);
    };
  std::shared_ptr<const implementer::Providers> providers = options.providers;
  if (!providers) {
    auto made = implementer::Providers::Make({});
    if (!made.ok()) return made.status();
    providers = *made;
  }
  if (service == "implementer")
    return [providers](store::ConnectionPool& p, const repo::Targets& t) -> Result {
      return std::make_unique<implementer::ImplementerStep>(p, providers, t);
    };
  if (service == "tester") {
    auto wall = std::chrono::milliseconds(static_cast<int64_t>(options.test_timeout_s * 1000));
    return [wall, providers](store::ConnectionPool& p, const repo::Targets& t) -> Result {
      tester::TesterOptions o;
      o.limits.wall = wall;
      return std::make_unique<tester::TesterStep>(p, o, t, tester::TestPolicy{}, providers);
    };
  }
  if (service == "git")
    return [git = options.git](store::ConnectionPool& p, const repo::Targets& t) -> Result {
      auto step = gitsvc::GitStep::Create(p, git, t);
      if (!step.ok()) return step.status();
      return std::unique_ptr<runtime::StepHandler>(std::move(*step));
    };
  if (service == "rollout")
    return [](store::ConnectionPool& p, const repo::Targets&) -> Result {
      return std::make_unique<rollout::RolloutStep>(p, rollout::RolloutOptions{});
    };
  return absl::InvalidArgumentError(fmt::format("unknown service '{}'", service));
}

absl::StatusOr<std::unique_ptr<EmbeddedStack>> EmbeddedStack::Start(const StackOptions& options) {
  std::unique_ptr<EmbeddedStack> s(new EmbeddedStack());
  auto broker = bus::EmbeddedBroker::Start(bus::SlipwayTopics(), options.partitions);
  if (!broker.ok()) return broker.status();
  s->broker_ = std::move(*broker);
  auto pg = store::EmbeddedPostgres::Start(options.state_dir, options.ephemeral);
  if (!pg.ok()) return pg.status();
  s->postgres_ = std::move(*pg);

  runtime::CommonConfig common;
  common.brokers = s->broker_->bootstraps();
  common.database_url = s->postgres_->url();
  common.log_level = options.log_level;
  // The embedded broker answers an empty fetch only when its wait runs out (it does not wake
  // a waiting fetch when data arrives, as Kafka does): keep the wait short.
  common.kafka_consumer["fetch.wait.max.ms"] = std::to_string(options.fetch_wait_ms);
  common.targets = options.targets;
  if (common.targets.mirror_root.empty())
    common.targets.mirror_root = std::filesystem::absolute(options.state_dir) / "mirrors";
  if (options.run_orchestrator) {
    common.grpc_listen = options.grpc_listen;
    common.replica_id = "orchestrator";
    auto orch = orchestrator::OrchestratorHost::Start(common, options.orchestrator);
    if (!orch.ok()) return orch.status();
    s->orchestrator_ = std::move(*orch);
  }
  const auto& names = options.services.empty() ? StepServices() : options.services;
  for (const auto& name : names) {
    if (name == "none") continue;
    auto factory = FactoryFor(name, options);
    if (!factory.ok()) return factory.status();
    runtime::CommonConfig c = common;
    c.grpc_listen = "";  // in-process services share the orchestrator's health endpoint
    c.replica_id = name + "-embedded";
    auto host = runtime::StepServiceHost::Start(c, name, *factory);
    if (!host.ok()) return host.status();
    s->services_.push_back(std::move(*host));
  }
  return s;
}

std::string EmbeddedStack::grpc_target() const {
  return fmt::format("127.0.0.1:{}", orchestrator_ ? orchestrator_->grpc_port() : 0);
}

void EmbeddedStack::Stop() {
  if (orchestrator_) orchestrator_->Stop();
  for (auto& s : services_) s->Stop();
  services_.clear();
  orchestrator_.reset();
  if (postgres_) postgres_->Stop();
  broker_.reset();
}

EmbeddedStack::~EmbeddedStack() { Stop(); }

}  // namespace slipway::stack
