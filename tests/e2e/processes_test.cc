// Every service as its own process (the real slipway-<name> binaries), against a broker and a
// PostgreSQL server started by this harness.
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/impl/codegen/client_unary_call.h>

#include <fstream>
#include <regex>
#include <sstream>

#include "gtest/gtest.h"
#include "libs/bus/embedded_broker.h"
#include "libs/store/embedded_postgres.h"
#include "services/orchestrator/saga.h"
#include "slipway/v1/deployments.grpc.pb.h"
#include "tests/harness/harness.h"

namespace slipway {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using testing::ChildProcess;
using testing::ReadFile;
using testing::RunCommand;
using testing::TempDir;

class ProcessesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::make_unique<TempDir>("slipway-e2e");
    auto broker = bus::EmbeddedBroker::Start(bus::SlipwayTopics(), 4);
    ASSERT_TRUE(broker.ok()) << broker.status();
    broker_ = std::move(*broker);
    auto pg = store::EmbeddedPostgres::Start(dir_->path() / "pg", true);
    ASSERT_TRUE(pg.ok()) << pg.status();
    pg_ = std::move(*pg);
    env_ = {{"SLIPWAY_BROKERS", broker_->bootstraps()},
            {"SLIPWAY_DATABASE_URL", pg_->url()},
            {"SLIPWAY_LOG_LEVEL", "info"}};
  }
  void TearDown() override {
    for (auto& p : processes_) p->Terminate();
    processes_.clear();
    pg_.reset();
    broker_.reset();
  }

  ChildProcess& Start(const std::string& service, const std::string& replica,
                      std::vector<std::string> args = {}) {
    std::vector<std::string> argv = {(testing::BinDir() / ("slipway-" + service)).string(),
                                     "--replica-id", replica, "--grpc-listen", "127.0.0.1:0"};
    argv.insert(argv.end(), args.begin(), args.end());
    processes_.push_back(
        std::make_unique<ChildProcess>(argv, env_, dir_->path() / (replica + ".log")));
    return *processes_.back();
  }

  // Starts the orchestrator and returns a client once its gRPC port is known.
  std::unique_ptr<v1::Deployments::Stub> StartOrchestrator() {
    auto& orch = Start("orchestrator", "orchestrator-1");
    std::smatch m;
    std::regex port_re("serving gRPC on port ([0-9]+)");
    std::string out;
    bool up = testing::WaitFor(
        [&] {
          out = orch.Output();
          return std::regex_search(out, m, port_re);
        },
        60s);
    EXPECT_TRUE(up) << out;
    if (!up) return nullptr;
    return v1::Deployments::NewStub(
        grpc::CreateChannel("127.0.0.1:" + m[1].str(), grpc::InsecureChannelCredentials()));
  }

  v1::Deployment Submit(v1::Deployments::Stub& stub, const std::string& json, const fs::path& repo,
                        v1::Mode mode) {
    grpc::ClientContext ctx;
    v1::SubmitRequest req;
    req.set_recommendation_json(json);
    req.set_repository(repo.string());
    req.set_mode(mode);
    v1::SubmitResponse resp;
    grpc::Status st = stub.Submit(&ctx, req, &resp);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return resp.deployment();
  }

  v1::Deployment WaitDone(v1::Deployments::Stub& stub, const std::string& id,
                          std::chrono::milliseconds limit = 180s) {
    v1::Deployment d;
    testing::WaitFor(
        [&] {
          grpc::ClientContext ctx;
          v1::GetRequest req;
          req.set_id(id);
          return stub.Get(&ctx, req, &d).ok() && orchestrator::IsTerminal(d.status());
        },
        limit, 100ms);
    return d;
  }

  std::unique_ptr<TempDir> dir_;
  std::unique_ptr<bus::EmbeddedBroker> broker_;
  std::unique_ptr<store::EmbeddedPostgres> pg_;
  std::map<std::string, std::string> env_;
  std::vector<std::unique_ptr<ChildProcess>> processes_;
};

// Calls grpc.health.v1.Health/Check with an empty service name; true when SERVING.
bool Serving(const std::string& target) {
  auto channel = grpc::CreateChannel(target, grpc::InsecureChannelCredentials());
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + 5s);
  grpc::Slice empty("", 0);  // HealthCheckRequest{} is empty on the wire
  grpc::ByteBuffer request(&empty, 1), response;
  grpc::Status st = grpc::internal::BlockingUnaryCall<grpc::ByteBuffer, grpc::ByteBuffer>(
      channel.get(),
      grpc::internal::RpcMethod("/grpc.health.v1.Health/Check",
                                grpc::internal::RpcMethod::NORMAL_RPC),
      &ctx, request, &response);
  if (!st.ok()) return false;
  std::vector<grpc::Slice> slices;
  if (!response.Dump(&slices).ok()) return false;
  std::string bytes;
  for (const auto& s : slices) bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
  return bytes == std::string("\x08\x01", 2);  // HealthCheckResponse{status: SERVING}
}

std::string PortFromLog(ChildProcess& p, const std::string& pattern) {
  std::smatch m;
  std::regex re(pattern + " ([0-9]+)");
  std::string out;
  testing::WaitFor(
      [&] {
        out = p.Output();
        return std::regex_search(out, m, re);
      },
      60s);
  return m.size() > 1 ? m[1].str() : "";
}

int HandledCount(const std::string& log) {
  std::smatch m;
  if (std::regex_search(log, m, std::regex("stopped after ([0-9]+) commands")))
    return std::stoi(m[1].str());
  return -1;
}

TEST_F(ProcessesTest, ADeploymentCrossesEveryServiceProcess) {
  auto stub = StartOrchestrator();
  ASSERT_TRUE(stub);
  for (const char* s : {"safety", "mapper", "analyzer", "implementer", "tester", "git"})
    Start(s, std::string(s) + "-1");
  // Every service answers the standard gRPC health check.
  EXPECT_TRUE(Serving("127.0.0.1:" + PortFromLog(*processes_[0], "serving gRPC on port")));
  for (size_t i = 1; i < processes_.size(); ++i) {
    std::string port = PortFromLog(*processes_[i], "gRPC health on port");
    ASSERT_FALSE(port.empty()) << processes_[i]->Output();
    EXPECT_TRUE(Serving("127.0.0.1:" + port)) << i;
  }
  fs::path repo = testing::PrepareSampleRepo(dir_->path() / "repos");
  std::string base = RunCommand("git -C '" + repo.string() + "' rev-parse HEAD").output;
  base.pop_back();
  std::string json =
      ReadFile(testing::SourceDir() / "examples" / "recommendations" / "low-stock-alerts.json");
  auto d = Submit(*stub, json, repo, v1::MODE_LOCAL_COMMIT);
  d = WaitDone(*stub, d.id());
  ASSERT_EQ(d.status(), v1::DEPLOYMENT_STATUS_SUCCEEDED) << d.error();
  // Each step was handled by the process of its service.
  for (const auto& step : d.steps()) {
    std::string service = orchestrator::ServiceFor(step.step());
    EXPECT_EQ(step.worker(), service + "-1") << orchestrator::StepName(step.step());
  }
  auto parent = RunCommand("git -C '" + repo.string() + "' rev-parse " + d.branch() + "^");
  EXPECT_EQ(parent.output, base + "\n");
  auto log = RunCommand("git -C '" + repo.string() + "' log -1 --format=%B " + d.branch());
  EXPECT_NE(log.output.find("Slipway-Deployment: " + d.id()), std::string::npos) << log.output;
  EXPECT_GT(d.tests().passed(), 0u);
  EXPECT_EQ(d.tests().failed(), 0u);

  // SIGTERM: every process finishes in-flight work and exits cleanly.
  for (auto& p : processes_) EXPECT_EQ(p->Terminate(), 0) << p->Output();
}

TEST_F(ProcessesTest, TwoReplicasShareTheWorkAndNoCommandIsHandledTwice) {
  auto stub = StartOrchestrator();
  ASSERT_TRUE(stub);
  for (const char* s : {"safety", "analyzer", "implementer", "tester", "git"})
    Start(s, std::string(s) + "-1");
  auto& mapper_a = Start("mapper", "mapper-a");
  auto& mapper_b = Start("mapper", "mapper-b");
  const int kDeployments = 16;
  std::string json =
      ReadFile(testing::SourceDir() / "examples" / "recommendations" / "bulk-discount.json");
  std::vector<std::string> ids;
  for (int i = 0; i < kDeployments; ++i) {
    fs::path repo = testing::PrepareSampleRepo(dir_->path() / ("repos" + std::to_string(i)));
    ids.push_back(Submit(*stub, json, repo, v1::MODE_DRY_RUN).id());
  }
  std::map<std::string, int> by_worker;
  for (const auto& id : ids) {
    auto d = WaitDone(*stub, id);
    ASSERT_EQ(d.status(), v1::DEPLOYMENT_STATUS_SUCCEEDED) << d.error();
    int map_attempts = 0;
    for (const auto& step : d.steps())
      if (step.step() == v1::STEP_MAP) {
        ++map_attempts;
        by_worker[step.worker()]++;
      }
    EXPECT_EQ(map_attempts, 1);
  }
  EXPECT_GT(by_worker["mapper-a"], 0);
  EXPECT_GT(by_worker["mapper-b"], 0);
  EXPECT_EQ(by_worker["mapper-a"] + by_worker["mapper-b"], kDeployments);
  // Each replica counts the commands whose results it recorded: together exactly one each.
  EXPECT_EQ(mapper_a.Terminate(), 0);
  EXPECT_EQ(mapper_b.Terminate(), 0);
  int a = HandledCount(mapper_a.Output()), b = HandledCount(mapper_b.Output());
  EXPECT_EQ(a, by_worker["mapper-a"]) << mapper_a.Output();
  EXPECT_EQ(b, by_worker["mapper-b"]) << mapper_b.Output();
}

}  // namespace
}  // namespace slipway
