#include "tests/harness/test_app_launcher.h"

#include <charconv>
#include <chrono>
#include <string_view>
#include <system_error>

namespace slipway::testing {
namespace {

constexpr std::string_view kListening = "listening on 127.0.0.1:";

// The port in the first line of `output` when that line is complete; 0 until then.
int ListeningPort(const std::string& output) {
  const size_t end = output.find('\n');
  if (end == std::string::npos || !output.starts_with(kListening)) return 0;
  int port = 0;
  const char* first = output.data() + kListening.size();
  const auto [last, ec] = std::from_chars(first, output.data() + end, port);
  return ec == std::errc() && last == output.data() + end ? port : 0;
}

}  // namespace

TestApp StartTestApp(const std::filesystem::path& dir, const std::string& version,
                     double error_rate, const std::vector<std::string>& extra_flags) {
  TestApp app;
  const std::filesystem::path binary = BinDir() / "slipway-test-app";
  if (!std::filesystem::exists(binary)) {
    app.error = binary.string() + " does not exist (build the slipway-test-app target)";
    return app;
  }
  // Several apps may share a version and a folder: each gets its own log.
  std::filesystem::path log;
  for (int n = 1; log.empty() || std::filesystem::exists(log); ++n) {
    log = dir / ("test-app-" + version + "-" + std::to_string(n) + ".log");
  }
  // The shortest text that reads back as the same double, so that the rate is exact.
  char rate[32] = {};
  std::to_chars(rate, rate + sizeof(rate) - 1, error_rate);
  std::vector<std::string> argv = {binary.string(), "--port",       "0", "--version",
                                   version,         "--error-rate", rate};
  argv.insert(argv.end(), extra_flags.begin(), extra_flags.end());
  app.process = std::make_unique<ChildProcess>(argv, std::map<std::string, std::string>{}, log);

  ChildProcess& process = *app.process;
  WaitFor([&] { return ListeningPort(process.Output()) > 0 || !process.Running(); },
          std::chrono::seconds(10));
  app.port = ListeningPort(process.Output());
  if (app.port == 0) {
    app.error = std::string(process.Running() ? "no \"listening on\" line within 10 s"
                                              : "slipway-test-app exited") +
                "; its output: " + process.Output();
  }
  return app;
}

}  // namespace slipway::testing
