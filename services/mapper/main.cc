// slipway-mapper: maps target repositories.
#include "libs/runtime/step_host.h"
#include "services/mapper/step.h"

int main(int argc, char** argv) {
  using namespace slipway;
  return runtime::StepServiceMain(
      argc, argv, "mapper", nullptr,
      [](store::ConnectionPool& pool,
         const repo::Targets& targets) -> absl::StatusOr<std::unique_ptr<runtime::StepHandler>> {
        return std::make_unique<mapper::MapperStep>(pool, targets);
      });
}
