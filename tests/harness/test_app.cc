// slipway-test-app: a small HTTP service standing for a user's service in one version, for the
// tests of canary analysis. Two of them (a stable and a canary version) are scraped by a real
// Prometheus, which adds the version and service labels from its scrape configuration.
//
//   GET /         200 "<version>\n", or 500 "error from <version>\n" at --error-rate;
//                 header X-Version: <version> either way
//   GET /healthz  200 "ok\n"
//   GET /metrics  text format 0.0.4: http_requests_total{code="200"|"500"} and the histogram
//                 http_request_duration_seconds, both counting requests to / only
//
// Failures are deterministic: an accumulator adds the error rate at each request to / and the
// request that takes it to 1 fails, so 0.2 fails exactly every 5th request and any rate is exact
// over time. --error-rate-file, when the file exists, is read again at each request and
// overrides --error-rate: a test changes the behaviour of a running version by writing it.
//
// With --port 0 it binds a free port on 127.0.0.1; either way its first line on stdout is
// "listening on 127.0.0.1:<port>". SIGTERM or SIGINT stop it with exit code 0.
#include <httplib.h>
#include <pthread.h>
#include <signal.h>

#include <CLI/CLI.hpp>
#include <array>
#include <atomic>
#include <cctype>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <system_error>
#include <thread>

namespace {

using Clock = std::chrono::steady_clock;

// The histogram's upper bounds as Prometheus's client libraries write them; +Inf is implicit.
constexpr std::array<std::pair<double, const char*>, 8> kBuckets = {{{0.005, "0.005"},
                                                                     {0.01, "0.01"},
                                                                     {0.025, "0.025"},
                                                                     {0.05, "0.05"},
                                                                     {0.1, "0.1"},
                                                                     {0.25, "0.25"},
                                                                     {0.5, "0.5"},
                                                                     {1, "1"}}};
// Sums of rates such as 0.1 carry rounding errors; without this margin 0.1 would fail at the
// 11th request instead of the 10th.
constexpr double kRoundingMargin = 1e-9;

struct Options {
  int port = 0;
  std::string version = "v1";
  double error_rate = 0;
  int latency_ms = 0;
  std::string error_rate_file;
};

std::optional<double> ParseRate(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) {
    text.remove_suffix(1);
  }
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) {
    text.remove_prefix(1);
  }
  double rate = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), rate);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || !(rate >= 0) ||
      rate > 1) {
    return std::nullopt;
  }
  return rate;
}

// The state of the service: which request fails, and what /metrics reports.
class Service {
 public:
  explicit Service(Options options) : options_(std::move(options)) {}

  const std::string& version() const { return options_.version; }
  int latency_ms() const { return options_.latency_ms; }

  // Whether the next request to / fails; counts it.
  bool NextFails() {
    std::lock_guard lock(mu_);
    accumulated_ += CurrentRate();
    if (accumulated_ < 1 - kRoundingMargin) return false;
    accumulated_ -= 1;
    return true;
  }

  void Record(bool failed, double seconds) {
    std::lock_guard lock(mu_);
    ++(failed ? errors_ : successes_);
    for (size_t i = 0; i < kBuckets.size(); ++i) {
      if (seconds <= kBuckets[i].first) ++buckets_[i];
    }
    duration_sum_ += seconds;
  }

  std::string Metrics() const {
    std::lock_guard lock(mu_);
    const uint64_t count = successes_ + errors_;
    std::ostringstream out;
    out.precision(17);
    out << "# HELP http_requests_total Requests to / by status code.\n"
        << "# TYPE http_requests_total counter\n"
        << "http_requests_total{code=\"200\"} " << successes_ << "\n"
        << "http_requests_total{code=\"500\"} " << errors_ << "\n"
        << "# HELP http_request_duration_seconds Time to answer a request to /.\n"
        << "# TYPE http_request_duration_seconds histogram\n";
    for (size_t i = 0; i < kBuckets.size(); ++i) {
      out << "http_request_duration_seconds_bucket{le=\"" << kBuckets[i].second << "\"} "
          << buckets_[i] << "\n";
    }
    out << "http_request_duration_seconds_bucket{le=\"+Inf\"} " << count << "\n"
        << "http_request_duration_seconds_sum " << duration_sum_ << "\n"
        << "http_request_duration_seconds_count " << count << "\n";
    return out.str();
  }

 private:
  // The file's rate when it exists and holds one, else --error-rate. Called with mu_ held.
  double CurrentRate() {
    if (options_.error_rate_file.empty()) return options_.error_rate;
    std::ifstream in(options_.error_rate_file);
    if (!in) return options_.error_rate;
    std::stringstream text;
    text << in.rdbuf();
    if (std::optional<double> rate = ParseRate(text.str())) return *rate;
    // An empty file is one being written: no warning for it.
    if (!text.str().empty() && text.str() != rejected_file_text_) {
      rejected_file_text_ = text.str();
      std::fprintf(stderr, "%s does not hold a rate between 0 and 1; using --error-rate %g\n",
                   options_.error_rate_file.c_str(), options_.error_rate);
    }
    return options_.error_rate;
  }

  const Options options_;
  mutable std::mutex mu_;
  double accumulated_ = 0;                           // guarded by mu_
  uint64_t successes_ = 0;                           // guarded by mu_
  uint64_t errors_ = 0;                              // guarded by mu_
  std::array<uint64_t, kBuckets.size()> buckets_{};  // guarded by mu_
  double duration_sum_ = 0;                          // guarded by mu_
  std::string rejected_file_text_;                   // guarded by mu_
};

void Serve(httplib::Server& server, Service& service) {
  server.Get("/", [&service](const httplib::Request&, httplib::Response& res) {
    const Clock::time_point start = Clock::now();
    const bool fails = service.NextFails();
    if (service.latency_ms() > 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(service.latency_ms()));
    }
    res.set_header("X-Version", service.version());
    if (fails) {
      res.status = 500;
      res.set_content("error from " + service.version() + "\n", "text/plain");
    } else {
      res.set_content(service.version() + "\n", "text/plain");
    }
    service.Record(fails, std::chrono::duration<double>(Clock::now() - start).count());
  });
  server.Get("/healthz", [&service](const httplib::Request&, httplib::Response& res) {
    res.set_header("X-Version", service.version());
    res.set_content("ok\n", "text/plain");
  });
  server.Get("/metrics", [&service](const httplib::Request&, httplib::Response& res) {
    res.set_content(service.Metrics(), "text/plain; version=0.0.4; charset=utf-8");
  });
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  CLI::App app{"A small HTTP service in one version, with a chosen error rate and latency"};
  app.add_option("--port", options.port, "port on 127.0.0.1 (0: a free one)")
      ->check(CLI::Range(0, 65535));
  app.add_option("--version", options.version, "the version it answers with");
  app.add_option("--error-rate", options.error_rate, "share of requests to / answered 500")
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--latency-ms", options.latency_ms, "delay added to each request to /")
      ->check(CLI::Range(0, 600000));
  app.add_option("--error-rate-file", options.error_rate_file,
                 "when this file exists, its rate overrides --error-rate (read at each request)");
  CLI11_PARSE(app, argc, argv);

  // Every thread started from here on leaves SIGTERM and SIGINT to the one that waits for them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  Service service(options);
  httplib::Server server;
  Serve(server, service);
  const int port = options.port == 0
                       ? server.bind_to_any_port("127.0.0.1")
                       : (server.bind_to_port("127.0.0.1", options.port) ? options.port : -1);
  if (port <= 0) {
    std::fprintf(stderr, "cannot listen on 127.0.0.1:%d\n", options.port);
    return 1;
  }
  std::printf("listening on 127.0.0.1:%d\n", port);
  std::fflush(stdout);
  std::fprintf(stderr, "version %s, error rate %g, latency %d ms%s%s\n", options.version.c_str(),
               options.error_rate, options.latency_ms,
               options.error_rate_file.empty() ? "" : ", error rate file ",
               options.error_rate_file.c_str());

  std::atomic<bool> listen_returned{false};
  std::thread stopper([&] {
    int signal_number = 0;
    sigwait(&stop_signals, &signal_number);
    // stop() does nothing before the accept loop runs.
    while (!server.is_running() && !listen_returned) std::this_thread::yield();
    server.stop();
  });
  const bool served = server.listen_after_bind();
  listen_returned = true;
  // Wakes the stopper when the server ended on its own.
  pthread_kill(stopper.native_handle(), SIGTERM);
  stopper.join();
  if (!served) {
    std::fprintf(stderr, "serving on 127.0.0.1:%d failed\n", port);
    return 1;
  }
  return 0;
}
