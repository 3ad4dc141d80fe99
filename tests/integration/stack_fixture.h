// The whole stack in one process for integration tests: started once per test program, with
// a gRPC client for the orchestrator and throw-away repositories per test.
#pragma once

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>

#include "gtest/gtest.h"
#include "libs/stack/embedded_stack.h"
#include "services/orchestrator/saga.h"
#include "slipway/v1/deployments.grpc.pb.h"
#include "tests/harness/harness.h"

namespace slipway::testing {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

class Client {
 public:
  explicit Client(const std::string& target)
      : stub_(v1::Deployments::NewStub(
            grpc::CreateChannel(target, grpc::InsecureChannelCredentials()))) {}

  v1::Deployment Submit(const std::string& json, const std::string& repo,
                        v1::Mode mode = v1::MODE_UNSPECIFIED) {
    grpc::ClientContext ctx;
    v1::SubmitRequest req;
    req.set_recommendation_json(json);
    req.set_repository(repo);
    req.set_mode(mode);
    v1::SubmitResponse resp;
    grpc::Status st = stub_->Submit(&ctx, req, &resp);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return resp.deployment();
  }

  v1::Deployment Get(const std::string& id) {
    grpc::ClientContext ctx;
    v1::GetRequest req;
    req.set_id(id);
    v1::Deployment d;
    grpc::Status st = stub_->Get(&ctx, req, &d);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return d;
  }

  v1::Deployment WaitDone(const std::string& id, std::chrono::milliseconds limit = 120s) {
    v1::Deployment d;
    testing::WaitFor(
        [&] {
          d = Get(id);
          return orchestrator::IsTerminal(d.status());
        },
        limit);
    return d;
  }

  v1::Deployments::Stub& stub() { return *stub_; }

 private:
  std::unique_ptr<v1::Deployments::Stub> stub_;
};

class StackTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    state_ = new TempDir("slipway-stack");
    stack::StackOptions o;
    o.state_dir = state_->path() / "state";
    o.test_timeout_s = 120;
    auto s = stack::EmbeddedStack::Start(o);
    ASSERT_TRUE(s.ok()) << s.status();
    stack_ = s->release();
    client_ = new Client(stack_->grpc_target());
  }
  static void TearDownTestSuite() {
    delete client_;
    delete stack_;
    delete state_;
  }
  void SetUp() override { repos_ = std::make_unique<TempDir>("slipway-repos"); }

  fs::path NewRepo() { return testing::PrepareSampleRepo(repos_->path() / std::to_string(n_++)); }

  static TempDir* state_;
  static stack::EmbeddedStack* stack_;
  static Client* client_;
  std::unique_ptr<TempDir> repos_;
  int n_ = 0;
};
inline TempDir* StackTest::state_ = nullptr;
inline stack::EmbeddedStack* StackTest::stack_ = nullptr;
inline Client* StackTest::client_ = nullptr;

inline std::string Git(const fs::path& repo, const std::string& args) {
  auto r = RunCommand("git -C '" + repo.string() + "' " + args);
  EXPECT_EQ(r.exit_code, 0) << args << ": " << r.output;
  while (!r.output.empty() && r.output.back() == '\n') r.output.pop_back();
  return r.output;
}

}  // namespace slipway::testing
