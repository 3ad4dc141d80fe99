// slipway-analyzer: finds integration points.
#include <CLI/CLI.hpp>

#include "libs/runtime/step_host.h"
#include "services/analyzer/step.h"

int main(int argc, char** argv) {
  using namespace slipway;
  analyzer::AnalyzerOptions o;
  auto options = [&](CLI::App& app) {
    app.add_option("--ctags", o.ctags, "universal-ctags program (ctags)")->envname("SLIPWAY_CTAGS");
    app.add_option("--symbol-workers", o.symbol_workers, "ctags processes per symbol index (2)")
        ->envname("SLIPWAY_SYMBOL_WORKERS")
        ->check(CLI::Range(1, 64));
  };
  return runtime::StepServiceMain(
      argc, argv, "analyzer", options,
      [&](store::ConnectionPool& pool,
          const repo::Targets& targets) -> absl::StatusOr<std::unique_ptr<runtime::StepHandler>> {
        return std::make_unique<analyzer::AnalyzerStep>(pool, o, targets);
      });
}
