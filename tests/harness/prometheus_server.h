// A real Prometheus (/usr/bin/prometheus, or $SLIPWAY_PROMETHEUS) for tests: it scrapes the
// given targets as job "app", each with its own labels (version, service, ...), and serves its
// HTTP API on a free port of 127.0.0.1.
//
// Everything it writes (prometheus.yml, its TSDB, prometheus.log) goes to a fresh folder
// prometheus-<n> under `dir`. The constructor waits until /-/ready answers 200; the destructor
// (or Stop) sends SIGTERM and reaps it, and it dies with the test process. Use from one thread.
//
// Prometheus 2.42 hands new targets to its scrapers at most every 5 s, so the first scrape
// lands 5 to 6 s after the start whatever the scrape interval: start one server for a whole
// suite where possible.
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "tests/harness/harness.h"

namespace slipway::testing {

struct ScrapeTarget {
  std::string address;                        // host:port serving /metrics
  std::map<std::string, std::string> labels;  // added to every series of the target
};

class PrometheusServer {
 public:
  // Scrapes every `every` (scrape and evaluation interval, and scrape timeout). `extra_config`
  // is appended to prometheus.yml as top-level YAML (e.g. a remote_read section).
  PrometheusServer(const std::filesystem::path& dir, std::vector<ScrapeTarget> targets,
                   std::chrono::milliseconds every = std::chrono::seconds(1),
                   std::string extra_config = "");
  PrometheusServer(const PrometheusServer&) = delete;
  PrometheusServer& operator=(const PrometheusServer&) = delete;
  ~PrometheusServer();

  // False when it did not become ready within 30 s; error() says why, with its log's tail.
  bool ok() const { return ready_; }
  std::string error() const { return error_; }
  std::string url() const;  // "http://127.0.0.1:<port>"
  int port() const { return port_; }

  // Stops it (SIGTERM, SIGKILL after 10 s): later connections are refused. Idempotent.
  void Stop();
  // SIGSTOP: connections are still accepted by the kernel but never answered, as from a hung
  // server. Resume() (SIGCONT) lets it go on; Stop() resumes it first.
  void Pause();
  void Resume();

  // Waits until every target has been scraped successfully (up == 1) at least `scrapes`
  // times, or `limit` passes; returns whether they were.
  bool WaitForScrapes(int scrapes, std::chrono::milliseconds limit);

 private:
  bool Launch(const std::filesystem::path& binary);

  std::filesystem::path home_;  // its folder under `dir`
  std::vector<ScrapeTarget> targets_;
  std::chrono::milliseconds every_;
  std::unique_ptr<ChildProcess> process_;
  int port_ = 0;
  bool ready_ = false;
  bool paused_ = false;
  std::string error_;
};

}  // namespace slipway::testing
