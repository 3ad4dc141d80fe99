#include "services/orchestrator/orchestrator_host.h"

#include <fmt/format.h>
#include <httplib.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>

namespace slipway::orchestrator {

using namespace std::chrono_literals;

void AddOptions(CLI::App& app, HostOptions& o) {
  app.add_option("--step-timeout", o.step_timeout_s, "seconds a step may take (default 300)")
      ->envname("SLIPWAY_STEP_TIMEOUT")
      ->check(CLI::PositiveNumber);
  app.add_option("--test-timeout", o.test_timeout_s, "seconds the test step may take (900)")
      ->envname("SLIPWAY_TEST_STEP_TIMEOUT")
      ->check(CLI::PositiveNumber);
  app.add_option("--max-attempts", o.max_attempts, "attempts per step, the first included (3)")
      ->envname("SLIPWAY_MAX_ATTEMPTS")
      ->check(CLI::Range(1, 100));
  app.add_option("--retry-backoff", o.retry_backoff_s, "seconds before the 2nd attempt (1)")
      ->envname("SLIPWAY_RETRY_BACKOFF")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--environments", o.environments_file,
                 "YAML file of the environments to release to (none: no releases)")
      ->envname("SLIPWAY_ENVIRONMENTS");
  app.add_option("--metrics-listen", o.metrics_listen,
                 "host:port serving Prometheus metrics on /metrics (deployments, DORA)")
      ->envname("SLIPWAY_METRICS_LISTEN");
  app.add_option("--rollout-timeout", o.rollout_timeout_s,
                 "seconds one rollout command may take (120)")
      ->envname("SLIPWAY_ROLLOUT_TIMEOUT")
      ->check(CLI::PositiveNumber);
}

absl::StatusOr<std::unique_ptr<OrchestratorHost>> OrchestratorHost::Start(
    const runtime::CommonConfig& common, const HostOptions& options) {
  std::unique_ptr<OrchestratorHost> h(new OrchestratorHost());
  auto ms = [](double s) { return std::chrono::milliseconds(static_cast<int64_t>(s * 1000)); };
  SagaConfig saga;
  saga.step_timeout = ms(options.step_timeout_s);
  saga.step_timeouts[v1::STEP_TEST] = ms(options.test_timeout_s);
  saga.max_attempts = options.max_attempts;
  saga.retry_backoff = ms(options.retry_backoff_s);
  saga.step_timeouts[v1::STEP_ROLLOUT] = ms(options.rollout_timeout_s);
  if (!options.environments_file.empty()) {
    auto envs = release::LoadEnvironments(options.environments_file);
    if (!envs.ok()) return envs.status();
    saga.environments = std::move(*envs);
  }

  auto infra = runtime::ConnectInfrastructure(common);
  if (!infra.ok()) return infra.status();
  h->infra_ = std::move(*infra);
  h->orchestrator_ = std::make_unique<Orchestrator>(*h->infra_.pool, *h->infra_.relay, saga);
  h->consumer_ = std::thread([h = h.get()] {
    auto st = h->orchestrator_->RunConsumer(h->infra_.bus_config, *h->infra_.producer, h->stop_);
    if (!st.ok()) spdlog::error("orchestrator consumer stopped: {}", st.ToString());
  });
  h->ticker_ = std::thread(
      [h = h.get(), tick = ms(options.tick_s)] { h->orchestrator_->RunTicker(h->stop_, tick); });
  h->service_ = std::make_unique<DeploymentsService>(*h->orchestrator_, h->stop_);
  if (!common.grpc_listen.empty()) {
    auto grpc = runtime::GrpcHost::Start(common.grpc_listen, {h->service_.get()});
    if (!grpc.ok()) {
      h->Stop();
      return grpc.status();
    }
    h->grpc_ = std::move(*grpc);
  }
  if (!options.metrics_listen.empty()) {
    auto colon = options.metrics_listen.rfind(':');
    std::string host =
        colon == std::string::npos ? "0.0.0.0" : options.metrics_listen.substr(0, colon);
    int port = 0;
    try {
      port = std::stoi(options.metrics_listen.substr(colon == std::string::npos ? 0 : colon + 1));
    } catch (...) {
      h->Stop();
      return absl::InvalidArgumentError(
          fmt::format("--metrics-listen '{}': expected host:port", options.metrics_listen));
    }
    h->metrics_ = std::make_unique<httplib::Server>();
    h->metrics_->Get("/metrics",
                     [o = h->orchestrator_.get()](const httplib::Request&, httplib::Response& res) {
                       auto text = o->MetricsText();
                       if (!text.ok()) {
                         res.status = 503;
                         res.set_content(std::string(text.status().message()) + "\n", "text/plain");
                         return;
                       }
                       res.set_content(*text, "text/plain; version=0.0.4");
                     });
    h->metrics_port_ = port == 0 ? h->metrics_->bind_to_any_port(host)
                                 : (h->metrics_->bind_to_port(host, port) ? port : -1);
    if (h->metrics_port_ <= 0) {
      h->Stop();
      return absl::UnavailableError(
          fmt::format("--metrics-listen {}: cannot listen there", options.metrics_listen));
    }
    h->metrics_thread_ = std::thread([h = h.get()] { h->metrics_->listen_after_bind(); });
  }
  return h;
}

void OrchestratorHost::Stop() {
  if (stop_.exchange(true)) return;
  if (grpc_) grpc_->Stop(2s);
  if (metrics_) metrics_->stop();
  if (metrics_thread_.joinable()) metrics_thread_.join();
  if (consumer_.joinable()) consumer_.join();
  if (ticker_.joinable()) ticker_.join();
  if (infra_.relay) infra_.relay->Stop();
}

OrchestratorHost::~OrchestratorHost() { Stop(); }

}  // namespace slipway::orchestrator
