// slipway-implementer: turns recommendations into change sets.
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>

#include "libs/runtime/step_host.h"
#include "services/implementer/providers.h"
#include "services/implementer/step.h"

int main(int argc, char** argv) {
  using namespace slipway;
  implementer::ProviderSettings settings;
  std::shared_ptr<const implementer::Providers> providers;
  return runtime::StepServiceMain(
      argc, argv, "implementer",
      [&](CLI::App& app) { implementer::AddProviderFlags(app, settings); },
      [&](store::ConnectionPool& pool,
          const repo::Targets& targets) -> absl::StatusOr<std::unique_ptr<runtime::StepHandler>> {
        if (!providers) {
          auto made = implementer::Providers::Make(settings);
          if (!made.ok()) return made.status();
          providers = *made;
          spdlog::info("providers: {} (default {})", providers->Describe(),
                       settings.default_provider);
        }
        return std::make_unique<implementer::ImplementerStep>(pool, providers, targets);
      });
}
