// slipway-tester: runs target repositories' test suites in a sandbox and judges them against
// the gates.
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>

#include "libs/runtime/step_host.h"
#include "services/implementer/providers.h"
#include "services/tester/step.h"

int main(int argc, char** argv) {
  using namespace slipway;
  double timeout_s = 600;
  double memory_mib = 4096;
  std::string work_root = std::filesystem::temp_directory_path().string();
  tester::TestPolicy policy;
  implementer::ProviderSettings providers;
  auto options = [&](CLI::App& app) {
    implementer::AddProviderFlags(app, providers);
    app.add_option("--test-timeout", timeout_s, "wall-clock seconds for one test run (600)")
        ->envname("SLIPWAY_TEST_TIMEOUT")
        ->check(CLI::PositiveNumber);
    app.add_option("--test-memory-mib", memory_mib, "address-space limit of a test run (4096)")
        ->envname("SLIPWAY_TEST_MEMORY_MIB")
        ->check(CLI::PositiveNumber);
    app.add_option("--work-root", work_root, "where worktrees are made")
        ->envname("SLIPWAY_WORK_ROOT");
    app.add_option("--require-all-pass", policy.require_all_pass,
                   "gate: every test must pass (true); .slipway.yaml may override")
        ->envname("SLIPWAY_TEST_REQUIRE_ALL_PASS");
    app.add_option("--min-changed-coverage", policy.min_changed_coverage,
                   "gate: minimum coverage of the changed executable lines, 0..1, 0 = off "
                   "(0.8); .slipway.yaml may override")
        ->envname("SLIPWAY_TEST_MIN_CHANGED_COVERAGE")
        ->check(CLI::Range(0.0, 1.0));
    app.add_option("--coverage", policy.coverage,
                   "measure coverage where the framework allows (true); .slipway.yaml may "
                   "override")
        ->envname("SLIPWAY_TEST_COVERAGE");
    app.add_option("--default-test-command", policy.default_test_command,
                   "run when neither the mapper nor .slipway.yaml names a test command")
        ->envname("SLIPWAY_TEST_DEFAULT_COMMAND");
  };
  return runtime::StepServiceMain(
      argc, argv, "tester", options,
      [&](store::ConnectionPool& pool,
          const repo::Targets& targets) -> absl::StatusOr<std::unique_ptr<runtime::StepHandler>> {
        tester::TesterOptions o;
        o.limits.wall = std::chrono::milliseconds(static_cast<int64_t>(timeout_s * 1000));
        o.limits.memory_bytes = static_cast<uint64_t>(memory_mib * 1024 * 1024);
        o.work_root = work_root;
        auto made = implementer::Providers::Make(providers);
        if (!made.ok()) return made.status();
        spdlog::info("test generation providers: {}", (*made)->Describe());
        return std::make_unique<tester::TesterStep>(pool, o, targets, policy, *made);
      });
}
