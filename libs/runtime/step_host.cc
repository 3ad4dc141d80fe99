#include "libs/runtime/step_host.h"

#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>

#include "libs/core/status.h"

namespace slipway::runtime {

using namespace std::chrono_literals;

absl::StatusOr<std::unique_ptr<StepServiceHost>> StepServiceHost::Start(
    const CommonConfig& common, const std::string& service, const HandlerFactory& factory,
    int workers) {
  std::unique_ptr<StepServiceHost> h(new StepServiceHost());
  auto infra = ConnectInfrastructure(common);
  if (!infra.ok()) return infra.status();
  h->infra_ = std::move(*infra);
  h->targets_ = repo::Targets(common.targets);
  auto handler = factory(*h->infra_.pool, h->targets_);
  if (!handler.ok()) return handler.status();
  h->handler_ = std::move(*handler);
  for (int i = 0; i < workers; ++i) {
    StepWorkerOptions opts{
        service, workers == 1 ? common.replica_id : fmt::format("{}#{}", common.replica_id, i)};
    h->workers_.push_back(std::make_unique<StepWorker>(h->infra_.bus_config, *h->infra_.pool,
                                                       *h->infra_.producer, *h->infra_.relay,
                                                       *h->handler_, opts));
  }
  for (auto& w : h->workers_)
    h->threads_.emplace_back([w = w.get(), h = h.get()] {
      if (auto st = w->Run(h->stop_); !st.ok()) spdlog::error("worker stopped: {}", st.ToString());
    });
  if (!common.grpc_listen.empty()) {
    auto grpc = GrpcHost::Start(common.grpc_listen, {});
    if (!grpc.ok()) {
      h->Stop();
      return grpc.status();
    }
    h->grpc_ = std::move(*grpc);
  }
  return h;
}

uint64_t StepServiceHost::handled() const {
  uint64_t n = 0;
  for (const auto& w : workers_) n += w->handled();
  return n;
}

void StepServiceHost::Stop() {
  if (stop_.exchange(true)) return;
  if (grpc_) grpc_->Stop(2s);
  for (auto& t : threads_)
    if (t.joinable()) t.join();
  if (infra_.relay) infra_.relay->Stop();
}

StepServiceHost::~StepServiceHost() { Stop(); }

int StepServiceMain(int argc, char** argv, const std::string& service,
                    const std::function<void(CLI::App&)>& add_options,
                    const HandlerFactory& factory) {
  CLI::App app{fmt::format("Slipway {} service", service)};
  CommonConfig common;
  int workers = 1;
  AddCommonOptions(app, common, "0.0.0.0:0");
  app.add_option("--workers", workers, "consumer threads in this process (1)")
      ->envname("SLIPWAY_WORKERS")
      ->check(CLI::Range(1, 64));
  if (add_options) add_options(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;  // --help is not an error; a bad command line is
  }
  auto& shutdown = Shutdown::Install();
  if (auto st = Finalize(common, service); !st.ok()) {
    spdlog::error("{}", st.message());
    return 2;
  }
  SetUpLogging(common, service);
  auto host = StepServiceHost::Start(common, service, factory, workers);
  if (!host.ok()) {
    spdlog::error("start: {}", host.status().ToString());
    return 3;
  }
  shutdown.MarkReady();
  spdlog::info("{} ready (gRPC health on port {})", service, (*host)->grpc_port());
  shutdown.Wait();
  (*host)->Stop();
  spdlog::info("{} stopped after {} commands", service, (*host)->handled());
  return 0;
}

}  // namespace slipway::runtime
