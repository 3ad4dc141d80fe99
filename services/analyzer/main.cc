// slipway-analyzer: finds integration points.
#include "libs/runtime/step_host.h"
#include "services/analyzer/step.h"

int main(int argc, char** argv) {
  using namespace slipway;
  return runtime::StepServiceMain(
      argc, argv, "analyzer", nullptr,
      [](store::ConnectionPool& pool) -> absl::StatusOr<std::unique_ptr<runtime::StepHandler>> {
        return std::make_unique<analyzer::AnalyzerStep>(pool);
      });
}
