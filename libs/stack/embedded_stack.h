// The whole of Slipway in one process: a Kafka-protocol broker (librdkafka's mock cluster), a
// private PostgreSQL cluster in a state folder, the orchestrator and the seven step services,
// each on its own threads but talking only over the broker and the database, exactly as the
// separate binaries do. Used by `slipway run`, `slipway dev`, the tests and the benchmark.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "libs/bus/embedded_broker.h"
#include "libs/repo/target.h"
#include "libs/runtime/step_host.h"
#include "libs/store/embedded_postgres.h"
#include "services/git/step.h"
#include "services/implementer/providers.h"
#include "services/orchestrator/orchestrator_host.h"

namespace slipway::stack {

struct StackOptions {
  std::filesystem::path state_dir;  // database files live here
  bool ephemeral = true;            // remove the state folder on Stop
  std::string grpc_listen = "127.0.0.1:0";
  int partitions = 4;
  // Step services to run in this process; empty = all seven. The others are expected to run
  // elsewhere (as separate processes) against brokers() and database_url().
  std::vector<std::string> services;
  bool run_orchestrator = true;
  orchestrator::HostOptions orchestrator;
  double test_timeout_s = 600;
  // The implementer's and the tester's providers; null: scaffold and proposed only.
  std::shared_ptr<const implementer::Providers> providers;
  std::string log_level = "warn";
  int fetch_wait_ms = 2;
  // Mirror folder and git credentials of the step services; an empty mirror_root means
  // state_dir/"mirrors".
  repo::TargetConfig targets;
  // The git service's options (branch names, and full-pr's forge, pull request and checks).
  gitsvc::GitStepOptions git;
};

class EmbeddedStack {
 public:
  static absl::StatusOr<std::unique_ptr<EmbeddedStack>> Start(const StackOptions& options);
  ~EmbeddedStack();

  const std::string& brokers() const { return broker_->bootstraps(); }
  const std::string& database_url() const { return postgres_->url(); }
  // host:port of the orchestrator's gRPC server.
  std::string grpc_target() const;
  orchestrator::OrchestratorHost* orchestrator() { return orchestrator_.get(); }
  void Stop();

 private:
  EmbeddedStack() = default;
  std::unique_ptr<bus::EmbeddedBroker> broker_;
  std::unique_ptr<store::EmbeddedPostgres> postgres_;
  std::unique_ptr<orchestrator::OrchestratorHost> orchestrator_;
  std::vector<std::unique_ptr<runtime::StepServiceHost>> services_;
};

// The handler factory of each step service, by name ("safety", "mapper", ...).
absl::StatusOr<runtime::HandlerFactory> FactoryFor(const std::string& service,
                                                   const StackOptions& options);
const std::vector<std::string>& StepServices();

}  // namespace slipway::stack
