#include "services/orchestrator/orchestrator_host.h"

#include <fmt/format.h>
#include <httplib.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

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
  app.add_option("--webhook-secret-file", o.webhook_secret_file,
                 "file holding the forge webhooks' secret (or SLIPWAY_WEBHOOK_SECRET): serves "
                 "POST /webhooks/github on --metrics-listen");
  app.add_option("--rollout-timeout", o.rollout_timeout_s,
                 "seconds one rollout command may take (120)")
      ->envname("SLIPWAY_ROLLOUT_TIMEOUT")
      ->check(CLI::PositiveNumber);
}

std::pair<int, std::string> HandleWebhook(Orchestrator& orchestrator, const std::string& secret,
                                          const std::string& event, const std::string& signature,
                                          const std::string& body) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(body.data()), body.size(), mac, &mac_len);
  std::string expected;
  for (unsigned int i = 0; i < mac_len; ++i) expected += fmt::format("{:02x}", mac[i]);
  std::string given = signature.rfind("sha256=", 0) == 0 ? signature.substr(7) : signature;
  if (given.size() != expected.size() ||
      CRYPTO_memcmp(given.data(), expected.data(), expected.size()) != 0)
    return {401, "signature does not match the webhook secret"};
  if (event == "ping") return {200, "pong"};
  if (event != "pull_request") return {202, fmt::format("ignored: event {}", event)};
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (!j.is_object() || !j.contains("pull_request") || !j["pull_request"].is_object())
    return {400, "not a pull_request event"};
  const auto& pr = j["pull_request"];
  if (j.value("action", "") != "closed" || !pr.value("merged", false))
    return {202, "ignored: not a merge"};
  std::string repo, merged_by, sha;
  uint64_t number = 0;
  try {
    repo = j.at("repository").at("full_name").get<std::string>();
    number = pr.at("number").get<uint64_t>();
    merged_by = pr.at("merged_by").at("login").get<std::string>();
    if (pr.contains("merge_commit_sha") && pr["merge_commit_sha"].is_string())
      sha = pr["merge_commit_sha"].get<std::string>();
  } catch (const std::exception& e) {
    return {400, fmt::format("pull_request event without {}", e.what())};
  }
  auto done = orchestrator.OnPullRequestMerged(repo, number, merged_by, sha);
  if (done.status().code() == absl::StatusCode::kNotFound)
    return {202, fmt::format("ignored: {}", std::string(done.status().message()))};
  if (!done.ok()) return {503, std::string(done.status().message())};
  return {200, *done};
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
    std::string secret = options.webhook_secret;
    if (!options.webhook_secret_file.empty() || secret.empty()) {
      auto read = runtime::ReadToken("--webhook-secret-file", options.webhook_secret_file,
                                     "SLIPWAY_WEBHOOK_SECRET");
      if (!read.ok()) {
        h->Stop();
        return read.status();
      }
      if (!read->empty()) secret = *read;
    }
    if (!secret.empty()) {
      h->metrics_->Post(
          "/webhooks/github", [o = h->orchestrator_.get(), secret](const httplib::Request& req,
                                                                   httplib::Response& res) {
            std::string event = req.get_header_value("X-GitHub-Event");
            if (event.empty()) event = req.get_header_value("X-Gitea-Event");
            std::string signature = req.get_header_value("X-Hub-Signature-256");
            if (signature.empty()) signature = req.get_header_value("X-Gitea-Signature");
            auto [status, text] = HandleWebhook(*o, secret, event, signature, req.body);
            res.status = status;
            res.set_content(text + "\n", "text/plain");
          });
    }
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
