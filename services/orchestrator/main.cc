// slipway-orchestrator: the saga, the Deployments gRPC API and the outbox relay.
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>

#include "libs/core/status.h"
#include "services/orchestrator/orchestrator_host.h"

int main(int argc, char** argv) {
  using namespace slipway;
  CLI::App app{"Slipway orchestrator: runs each deployment's saga"};
  runtime::CommonConfig common;
  orchestrator::HostOptions options;
  options.metrics_listen = "0.0.0.0:9464";
  runtime::AddCommonOptions(app, common, "0.0.0.0:50051");
  orchestrator::AddOptions(app, options);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  auto& shutdown = runtime::Shutdown::Install();
  if (auto st = runtime::Finalize(common, "orchestrator"); !st.ok()) {
    spdlog::error("{}", st.message());
    return 2;
  }
  runtime::SetUpLogging(common, "orchestrator");
  auto host = orchestrator::OrchestratorHost::Start(common, options);
  if (!host.ok()) {
    spdlog::error("start: {}", host.status().ToString());
    return 3;
  }
  shutdown.MarkReady();
  spdlog::info("orchestrator serving gRPC on port {}", (*host)->grpc_port());
  if ((*host)->metrics_port() > 0)
    spdlog::info("orchestrator serving /metrics on port {}", (*host)->metrics_port());
  shutdown.Wait();
  (*host)->Stop();
  return 0;
}
