// slipway-implementer: turns recommendations into change sets.
#include "libs/runtime/step_host.h"
#include "services/implementer/step.h"

int main(int argc, char** argv) {
  using namespace slipway;
  return runtime::StepServiceMain(
      argc, argv, "implementer", nullptr,
      [](store::ConnectionPool& pool) -> absl::StatusOr<std::unique_ptr<runtime::StepHandler>> {
        return std::make_unique<implementer::ImplementerStep>(pool);
      });
}
