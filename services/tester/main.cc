// slipway-tester: runs target repositories' test suites in a sandbox.
#include <CLI/CLI.hpp>

#include "libs/runtime/step_host.h"
#include "services/tester/step.h"

int main(int argc, char** argv) {
  using namespace slipway;
  double timeout_s = 600;
  double memory_mib = 4096;
  std::string work_root = std::filesystem::temp_directory_path().string();
  auto options = [&](CLI::App& app) {
    app.add_option("--test-timeout", timeout_s, "wall-clock seconds for one test run (600)")
        ->envname("SLIPWAY_TEST_TIMEOUT")
        ->check(CLI::PositiveNumber);
    app.add_option("--test-memory-mib", memory_mib, "address-space limit of a test run (4096)")
        ->envname("SLIPWAY_TEST_MEMORY_MIB")
        ->check(CLI::PositiveNumber);
    app.add_option("--work-root", work_root, "where worktrees are made")
        ->envname("SLIPWAY_WORK_ROOT");
  };
  return runtime::StepServiceMain(
      argc, argv, "tester", options,
      [&](store::ConnectionPool& pool) -> absl::StatusOr<std::unique_ptr<runtime::StepHandler>> {
        tester::TesterOptions o;
        o.limits.wall = std::chrono::milliseconds(static_cast<int64_t>(timeout_s * 1000));
        o.limits.memory_bytes = static_cast<uint64_t>(memory_mib * 1024 * 1024);
        o.work_root = work_root;
        return std::make_unique<tester::TesterStep>(pool, o);
      });
}
