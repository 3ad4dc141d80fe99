// slipway-rollout: releases deployments' commits to their environments — canary steps or
// blue-green, metric analysis through Prometheus, automatic rollback — through the target
// adapters (command hooks, nginx, kubernetes).
#include <CLI/CLI.hpp>

#include "libs/runtime/runtime.h"
#include "libs/runtime/step_host.h"
#include "services/rollout/rollout.h"

int main(int argc, char** argv) {
  using namespace slipway;
  std::string token_file;
  return runtime::StepServiceMain(
      argc, argv, "rollout",
      [&](CLI::App& app) {
        app.add_option("--prometheus-token-file", token_file,
                       "file holding a bearer token for Prometheus's query API (or "
                       "SLIPWAY_PROMETHEUS_TOKEN)");
      },
      [&](store::ConnectionPool& pool,
          const repo::Targets&) -> absl::StatusOr<std::unique_ptr<runtime::StepHandler>> {
        rollout::RolloutOptions options;
        auto token =
            runtime::ReadToken("--prometheus-token-file", token_file, "SLIPWAY_PROMETHEUS_TOKEN");
        if (!token.ok()) return token.status();
        options.prometheus_token = *token;
        return std::unique_ptr<runtime::StepHandler>(
            std::make_unique<rollout::RolloutStep>(pool, options));
      });
}
