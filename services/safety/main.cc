// slipway-safety: validates recommendations, guards with the circuit breaker, scans changes.
#include <CLI/CLI.hpp>

#include "libs/runtime/step_host.h"
#include "services/safety/step.h"

int main(int argc, char** argv) {
  using namespace slipway;
  safety::SafetyOptions o;
  int64_t cooldown_s = 300;
  auto options = [&](CLI::App& app) {
    app.add_option("--breaker-window", o.breaker.window, "deployments the breaker looks at (10)")
        ->envname("SLIPWAY_BREAKER_WINDOW")
        ->check(CLI::Range(1, 10000));
    app.add_option("--breaker-threshold", o.breaker.threshold, "failure rate that opens it (0.5)")
        ->envname("SLIPWAY_BREAKER_THRESHOLD")
        ->check(CLI::Range(0.0, 1.0));
    app.add_option("--breaker-cooldown", cooldown_s, "seconds it stays open (300)")
        ->envname("SLIPWAY_BREAKER_COOLDOWN")
        ->check(CLI::NonNegativeNumber);
  };
  return runtime::StepServiceMain(
      argc, argv, "safety", options,
      [&](store::ConnectionPool& pool,
          const repo::Targets& targets) -> absl::StatusOr<std::unique_ptr<runtime::StepHandler>> {
        o.breaker.cooldown = std::chrono::seconds(cooldown_s);
        return std::make_unique<safety::SafetyStep>(pool, o, targets);
      });
}
