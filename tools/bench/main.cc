// slipway-bench: runs N deployments through the embedded stack and prints throughput and the
// p50/p99 of each step and of the orchestration overhead (end-to-end time minus the time
// spent inside step handlers). A program that prints figures, not a test.
#include <google/protobuf/util/time_util.h>
#include <grpcpp/grpcpp.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <thread>

#include "libs/core/ids.h"
#include "libs/stack/embedded_stack.h"
#include "services/orchestrator/saga.h"
#include "slipway/v1/deployments.grpc.pb.h"

namespace {

namespace fs = std::filesystem;
using namespace slipway;
using google::protobuf::util::TimeUtil;

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t i = static_cast<size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

int Run(const std::string& cmd) { return std::system((cmd + " >/dev/null 2>&1").c_str()); }

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Slipway benchmark: deployments through the embedded stack"};
  int n = 20;
  int repos = 4;
  std::string mode = "dry-run";
  std::string recommendation = "examples/recommendations/bulk-discount.json";
  std::string source = ".";
  app.add_option("-n,--deployments", n, "deployments to measure (20)")
      ->check(CLI::Range(1, 100000));
  app.add_option("--repos", repos, "sample repositories; deployments of one run in turn (4)")
      ->check(CLI::Range(1, 1000));
  app.add_option("--mode", mode, "dry-run | local-commit")
      ->check(CLI::IsMember({"dry-run", "local-commit"}));
  app.add_option("--recommendation", recommendation, "recommendation JSON");
  app.add_option("--source-dir", source, "Slipway source folder (for examples/)");
  CLI11_PARSE(app, argc, argv);
  spdlog::set_level(spdlog::level::warn);

  fs::path work = fs::temp_directory_path() / ("slipway-bench-" + NewUuid().substr(0, 8));
  fs::create_directories(work);
  for (int i = 0; i < repos; ++i)
    if (Run("bash '" + source + "/examples/prepare.sh' '" + (work / std::to_string(i)).string() +
            "'") != 0) {
      std::cerr << "examples/prepare.sh failed (pass --source-dir)\n";
      return 1;
    }
  std::ifstream in(fs::path(source) / recommendation);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string json = ss.str();

  stack::StackOptions o;
  o.state_dir = work / "state";
  auto s = stack::EmbeddedStack::Start(o);
  if (!s.ok()) {
    std::cerr << s.status() << "\n";
    return 1;
  }
  auto stub = v1::Deployments::NewStub(
      grpc::CreateChannel((*s)->grpc_target(), grpc::InsecureChannelCredentials()));
  auto submit = [&](int i) {
    grpc::ClientContext ctx;
    v1::SubmitRequest req;
    req.set_recommendation_json(json);
    req.set_repository((work / std::to_string(i % repos) / "inventory-service").string());
    req.set_mode(mode == "dry-run" ? v1::MODE_DRY_RUN : v1::MODE_LOCAL_COMMIT);
    v1::SubmitResponse resp;
    if (!stub->Submit(&ctx, req, &resp).ok()) return std::string();
    return resp.deployment().id();
  };
  auto wait = [&](const std::string& id) {
    v1::Deployment d;
    if (id.empty()) {
      std::cerr << "submit failed\n";
      std::exit(1);
    }
    for (;;) {
      grpc::ClientContext ctx;
      v1::GetRequest req;
      req.set_id(id);
      if (stub->Get(&ctx, req, &d).ok() && orchestrator::IsTerminal(d.status())) return d;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  };
  // Warm-up: consumer groups join and connections open.
  for (int i = 0; i < repos; ++i) wait(submit(i));

  auto t0 = std::chrono::steady_clock::now();
  std::vector<std::string> ids;
  for (int i = 0; i < n; ++i) ids.push_back(submit(i));
  std::vector<v1::Deployment> done;
  for (const auto& id : ids) done.push_back(wait(id));
  double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  std::map<v1::Step, std::vector<double>> step_ms, handler_ms;
  std::vector<double> e2e, overhead, queue;
  int ok = 0;
  for (const auto& d : done) {
    if (d.status() == v1::DEPLOYMENT_STATUS_SUCCEEDED) ++ok;
    double handlers = 0;
    for (const auto& st : d.steps()) {
      step_ms[st.step()].push_back(st.duration_ms());
      handler_ms[st.step()].push_back(st.handler_ms());
      handlers += st.handler_ms();
    }
    if (d.steps_size() == 0) continue;
    // From the first step's dispatch (after any wait for the repository) to the end.
    double start = static_cast<double>(TimeUtil::TimestampToMicroseconds(d.steps(0).started_at()));
    double end = static_cast<double>(TimeUtil::TimestampToMicroseconds(d.updated_at()));
    double created = static_cast<double>(TimeUtil::TimestampToMicroseconds(d.created_at()));
    e2e.push_back((end - start) / 1000.0);
    overhead.push_back((end - start) / 1000.0 - handlers);
    queue.push_back((start - created) / 1000.0);
  }
  std::cout << fmt::format("deployments: {} ({} succeeded), mode {}, {} repositories\n", n, ok,
                           mode, repos);
  std::cout << fmt::format("wall time: {:.2f} s, throughput: {:.2f} deployments/s\n", wall,
                           n / wall);
  std::cout << fmt::format("{:<22} {:>10} {:>10} {:>12} {:>12}\n", "", "p50 ms", "p99 ms",
                           "handler p50", "handler p99");
  for (const auto& [step, v] : step_ms)
    std::cout << fmt::format("{:<22} {:>10.1f} {:>10.1f} {:>12.1f} {:>12.1f}\n",
                             "step " + orchestrator::StepName(step), Percentile(v, 0.5),
                             Percentile(v, 0.99), Percentile(handler_ms[step], 0.5),
                             Percentile(handler_ms[step], 0.99));
  std::cout << fmt::format("{:<22} {:>10.1f} {:>10.1f}\n", "end to end", Percentile(e2e, 0.5),
                           Percentile(e2e, 0.99));
  std::cout << fmt::format("{:<22} {:>10.1f} {:>10.1f}\n", "orchestration overhead",
                           Percentile(overhead, 0.5), Percentile(overhead, 0.99));
  std::cout << fmt::format("{:<22} {:>10.1f} {:>10.1f}\n", "wait for repository",
                           Percentile(queue, 0.5), Percentile(queue, 0.99));
  (*s)->Stop();
  std::error_code ec;
  fs::remove_all(work, ec);
  return ok == n ? 0 : 1;
}
