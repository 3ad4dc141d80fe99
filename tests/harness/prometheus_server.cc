#include "tests/harness/prometheus_server.h"

#include <httplib.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <sstream>
#include <utility>

#include "tests/harness/git_daemon.h"

namespace slipway::testing {
namespace {

using Json = nlohmann::json;
namespace fs = std::filesystem;

constexpr auto kReadyLimit = std::chrono::seconds(30);
constexpr size_t kLogTailBytes = 2000;

fs::path PrometheusBinary() {
  const char* env = std::getenv("SLIPWAY_PROMETHEUS");
  return env != nullptr && *env != '\0' ? fs::path(env) : fs::path("/usr/bin/prometheus");
}

// A YAML double-quoted scalar: JSON's string syntax is a subset of it.
std::string Quoted(const std::string& text) { return Json(text).dump(); }

// A Prometheus duration ("1500ms").
std::string Duration(std::chrono::milliseconds d) { return std::to_string(d.count()) + "ms"; }

std::string Config(const std::vector<ScrapeTarget>& targets, std::chrono::milliseconds every,
                   const std::string& extra) {
  std::ostringstream out;
  out << "global:\n"
      << "  scrape_interval: " << Duration(every) << "\n"
      << "  scrape_timeout: " << Duration(every) << "\n"
      << "  evaluation_interval: " << Duration(every) << "\n"
      << "scrape_configs:\n"
      << "  - job_name: app\n"
      << "    static_configs:" << (targets.empty() ? " []" : "") << "\n";
  for (const ScrapeTarget& target : targets) {
    out << "      - targets: [" << Quoted(target.address) << "]\n";
    out << "        labels: {";
    const char* separator = "";
    for (const auto& [name, value] : target.labels) {
      out << separator << Quoted(name) << ": " << Quoted(value);
      separator = ", ";
    }
    out << "}\n";
  }
  out << extra;
  return out.str();
}

std::string Tail(const std::string& text) {
  return text.size() <= kLogTailBytes ? text : "..." + text.substr(text.size() - kLogTailBytes);
}

}  // namespace

PrometheusServer::PrometheusServer(const fs::path& dir, std::vector<ScrapeTarget> targets,
                                   std::chrono::milliseconds every, std::string extra_config)
    : targets_(std::move(targets)), every_(every) {
  const fs::path binary = PrometheusBinary();
  if (::access(binary.c_str(), X_OK) != 0) {
    error_ = binary.string() +
             " is not an executable (install prometheus or set "
             "SLIPWAY_PROMETHEUS)";
    return;
  }
  for (int n = 1; home_.empty() || fs::exists(home_); ++n) {
    home_ = dir / ("prometheus-" + std::to_string(n));
  }
  fs::create_directories(home_);
  WriteFile(home_ / "prometheus.yml", Config(targets_, every_, extra_config));
  // A port taken between FreeLoopbackPort and Prometheus's bind makes it exit: try again.
  for (int attempt = 0; attempt < 3 && !Launch(binary); ++attempt) {
  }
}

PrometheusServer::~PrometheusServer() { Stop(); }

bool PrometheusServer::Launch(const fs::path& binary) {
  port_ = FreeLoopbackPort();
  if (port_ == 0) {
    error_ = "no free port on 127.0.0.1";
    return false;
  }
  const fs::path log = home_ / "prometheus.log";
  process_ = std::make_unique<ChildProcess>(
      std::vector<std::string>{
          binary.string(),
          "--config.file=" + (home_ / "prometheus.yml").string(),
          "--storage.tsdb.path=" + (home_ / "data").string(),
          "--web.listen-address=127.0.0.1:" + std::to_string(port_),
          "--web.enable-lifecycle",
      },
      std::map<std::string, std::string>{}, log);

  httplib::Client client("127.0.0.1", port_);
  client.set_connection_timeout(std::chrono::milliseconds(500));
  client.set_read_timeout(std::chrono::seconds(2));
  ready_ = WaitFor(
      [&] {
        if (!process_->Running()) return true;
        httplib::Result result = client.Get("/-/ready");
        return result && result->status == 200;
      },
      kReadyLimit);
  ready_ = ready_ && process_->Running();
  if (ready_) {
    error_.clear();
    return true;
  }
  const std::string output = process_->Output();
  if (process_->Running()) {
    error_ = "prometheus did not become ready within 30 s; its log: " + Tail(output);
    process_->Terminate();
    return true;  // no point in another port
  }
  error_ = "prometheus exited before it was ready; its log: " + Tail(output);
  process_.reset();
  return output.find("address already in use") == std::string::npos;
}

std::string PrometheusServer::url() const { return "http://127.0.0.1:" + std::to_string(port_); }

void PrometheusServer::Stop() {
  if (process_ == nullptr) return;
  Resume();
  process_->Terminate();
  process_.reset();
}

void PrometheusServer::Pause() {
  if (process_ == nullptr || !process_->Running()) return;
  ::kill(process_->pid(), SIGSTOP);
  paused_ = true;
}

void PrometheusServer::Resume() {
  if (!paused_ || process_ == nullptr || !process_->Running()) return;
  ::kill(process_->pid(), SIGCONT);
  paused_ = false;
}

bool PrometheusServer::WaitForScrapes(int scrapes, std::chrono::milliseconds limit) {
  if (!ready_ || process_ == nullptr) return false;
  // A window that holds `scrapes` scrapes with room to spare.
  const auto window = std::max<int64_t>(60, every_.count() * (scrapes + 10) / 1000 + 1);
  const httplib::Params params = {
      {"query", "sum_over_time(up{job=\"app\"}[" + std::to_string(window) + "s])"}};
  httplib::Client client("127.0.0.1", port_);
  client.set_connection_timeout(std::chrono::milliseconds(500));
  client.set_read_timeout(std::chrono::seconds(5));
  return WaitFor(
      [&] {
        httplib::Result result = client.Get("/api/v1/query", params, httplib::Headers{});
        if (!result || result->status != 200) return false;
        const Json answer = Json::parse(result->body, nullptr, /*allow_exceptions=*/false);
        const Json* series = nullptr;
        if (answer.is_object() && answer.contains("data") && answer["data"].is_object() &&
            answer["data"].contains("result") && answer["data"]["result"].is_array()) {
          series = &answer["data"]["result"];
        }
        if (series == nullptr || series->size() < targets_.size()) return false;
        return std::all_of(series->begin(), series->end(), [&](const Json& sample) {
          const Json& value = sample.value("value", Json::array());
          if (!value.is_array() || value.size() != 2 || !value[1].is_string()) return false;
          return std::atof(value[1].get<std::string>().c_str()) >= scrapes;
        });
      },
      limit, std::chrono::milliseconds(100));
}

}  // namespace slipway::testing
