// Starts slipway-test-app (tests/harness/test_app.cc), the stand-in for a user's service in
// one version, and reads back the port it chose.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "tests/harness/harness.h"

namespace slipway::testing {

struct TestApp {
  int port = 0;                           // 0 when it did not start
  std::unique_ptr<ChildProcess> process;  // stops it (SIGTERM) when destroyed
  std::string error;                      // why it did not start, with its output
  bool ok() const { return port > 0; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port); }
};

// Runs $SLIPWAY_BIN_DIR/slipway-test-app --port 0 --version <version> --error-rate <rate>
// plus `extra_flags` (e.g. {"--latency-ms", "30"}), its output in a log file under `dir`, and
// waits up to 10 s for its "listening on" line.
TestApp StartTestApp(const std::filesystem::path& dir, const std::string& version,
                     double error_rate = 0, const std::vector<std::string>& extra_flags = {});

}  // namespace slipway::testing
