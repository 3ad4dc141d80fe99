// Everything a step service process runs, wired together: connection pool and migrations,
// producer, outbox relay, `workers` consumer threads in the service's group, and a gRPC
// server carrying health and reflection. Used by each slipway-<service> main and by the
// embedded stack.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

#include "libs/repo/target.h"
#include "libs/runtime/runtime.h"
#include "libs/runtime/step_worker.h"
#include "libs/store/artifact_store.h"

namespace slipway::runtime {

// Builds the service's handler once the store is up. `targets` opens the repositories a
// deployment targets (CommonConfig::targets); the host owns it and it outlives the handler, so
// the handler may keep a reference.
using HandlerFactory = std::function<absl::StatusOr<std::unique_ptr<StepHandler>>(
    store::ConnectionPool& pool, const repo::Targets& targets)>;

class StepServiceHost {
 public:
  static absl::StatusOr<std::unique_ptr<StepServiceHost>> Start(const CommonConfig& common,
                                                                const std::string& service,
                                                                const HandlerFactory& factory,
                                                                int workers = 1);
  ~StepServiceHost();

  // Stops consuming after the commands in hand, publishes the outbox, then returns.
  void Stop();
  int grpc_port() const { return grpc_ ? grpc_->port() : 0; }
  uint64_t handled() const;

 private:
  StepServiceHost() = default;
  std::atomic<bool> stop_{false};
  Infrastructure infra_;
  repo::Targets targets_;  // before handler_: the handler refers to it
  std::unique_ptr<StepHandler> handler_;
  std::vector<std::unique_ptr<StepWorker>> workers_;
  std::vector<std::thread> threads_;
  std::unique_ptr<GrpcHost> grpc_;
};

// The common main of a step service: parses flags (common ones plus whatever `add_options`
// registers), starts the host, waits for SIGTERM/SIGINT, stops gracefully.
int StepServiceMain(int argc, char** argv, const std::string& service,
                    const std::function<void(CLI::App&)>& add_options,
                    const HandlerFactory& factory);

}  // namespace slipway::runtime
