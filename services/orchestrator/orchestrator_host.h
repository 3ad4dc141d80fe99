// Everything an orchestrator process runs, wired together: connection pool, migrations,
// producer, outbox relay, the saga's consumer and deadline ticker, and the gRPC server.
// Used by slipway-orchestrator's main and by the embedded stack.
#pragma once

#include <atomic>
#include <memory>
#include <thread>

#include "libs/runtime/runtime.h"
#include "services/orchestrator/deployments_service.h"
#include "services/orchestrator/orchestrator.h"

namespace httplib {
class Server;
}

namespace slipway::orchestrator {

struct HostOptions {
  double step_timeout_s = 300;
  double test_timeout_s = 900;
  uint32_t max_attempts = 3;
  double retry_backoff_s = 1;
  double tick_s = 0.25;
  // Where deployments are released (YAML: environments); empty: they stop at their commit or
  // pull request.
  std::string environments_file;
  double rollout_timeout_s = 120;  // one rollout command (not the whole release)
  std::string metrics_listen;      // host:port serving /metrics; "" = none
  // The shared secret of the forge's webhooks (POST /webhooks/github on the metrics listener:
  // a merged pull request approves environments that say on_merge). Empty: no webhooks.
  std::string webhook_secret;
  std::string webhook_secret_file;  // read at start into webhook_secret
};

// Answers a forge's webhook: `signature` is the X-Hub-Signature-256 header ("sha256=<hex>") or
// X-Gitea-Signature (<hex>), `event` X-GitHub-Event or X-Gitea-Event. Returns the HTTP status
// and a one-line body. Exposed for tests.
std::pair<int, std::string> HandleWebhook(Orchestrator& orchestrator, const std::string& secret,
                                          const std::string& event, const std::string& signature,
                                          const std::string& body);

void AddOptions(CLI::App& app, HostOptions& options);

class OrchestratorHost {
 public:
  static absl::StatusOr<std::unique_ptr<OrchestratorHost>> Start(
      const runtime::CommonConfig& common, const HostOptions& options);
  ~OrchestratorHost();

  int grpc_port() const { return grpc_ ? grpc_->port() : 0; }
  int metrics_port() const { return metrics_port_; }
  Orchestrator& orchestrator() { return *orchestrator_; }
  // Stops taking requests, finishes the message in hand, publishes the outbox, then returns.
  void Stop();

 private:
  OrchestratorHost() = default;
  std::atomic<bool> stop_{false};
  runtime::Infrastructure infra_;
  std::unique_ptr<Orchestrator> orchestrator_;
  std::unique_ptr<DeploymentsService> service_;
  std::unique_ptr<runtime::GrpcHost> grpc_;
  std::thread consumer_;
  std::thread ticker_;
  std::unique_ptr<httplib::Server> metrics_;
  std::thread metrics_thread_;
  int metrics_port_ = 0;
};

}  // namespace slipway::orchestrator
