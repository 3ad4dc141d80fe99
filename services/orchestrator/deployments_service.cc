#include "services/orchestrator/deployments_service.h"

#include <thread>

namespace slipway::orchestrator {

using namespace std::chrono_literals;

grpc::Status ToGrpc(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()));
}

DeploymentsService::DeploymentsService(Orchestrator& orchestrator,
                                       const std::atomic<bool>& stopping)
    : orchestrator_(orchestrator), stopping_(stopping) {}

grpc::Status DeploymentsService::Submit(grpc::ServerContext*, const v1::SubmitRequest* request,
                                        v1::SubmitResponse* response) {
  auto d = orchestrator_.Submit(*request);
  if (!d.ok()) return ToGrpc(d.status());
  *response->mutable_deployment() = std::move(*d);
  return grpc::Status::OK;
}

grpc::Status DeploymentsService::Get(grpc::ServerContext*, const v1::GetRequest* request,
                                     v1::Deployment* response) {
  auto d = orchestrator_.Get(request->id());
  if (!d.ok()) return ToGrpc(d.status());
  *response = std::move(*d);
  return grpc::Status::OK;
}

grpc::Status DeploymentsService::List(grpc::ServerContext*, const v1::ListRequest* request,
                                      v1::ListResponse* response) {
  auto r = orchestrator_.List(*request);
  if (!r.ok()) return ToGrpc(r.status());
  *response = std::move(*r);
  return grpc::Status::OK;
}

grpc::Status DeploymentsService::Watch(grpc::ServerContext* context,
                                       const v1::WatchRequest* request,
                                       grpc::ServerWriter<v1::DeploymentUpdate>* writer) {
  int64_t seen = -1;
  std::string kind = "snapshot";
  while (!context->IsCancelled()) {
    auto version = orchestrator_.Version(request->id());
    if (!version.ok()) return ToGrpc(version.status());
    if (*version != seen) {
      auto d = orchestrator_.Get(request->id());
      if (!d.ok()) return ToGrpc(d.status());
      seen = *version;
      v1::DeploymentUpdate update;
      bool done = IsTerminal(d->status());
      update.set_kind(done ? "finished" : kind);
      *update.mutable_deployment() = std::move(*d);
      if (!writer->Write(update)) return grpc::Status::OK;
      if (done) return grpc::Status::OK;
      kind = "changed";
    }
    if (stopping_.load())
      return grpc::Status(grpc::StatusCode::UNAVAILABLE, "server shutting down; watch again");
    std::this_thread::sleep_for(25ms);
  }
  return grpc::Status::OK;
}

grpc::Status DeploymentsService::Cancel(grpc::ServerContext*, const v1::CancelRequest* request,
                                        v1::Deployment* response) {
  auto d = orchestrator_.Cancel(request->id(), request->reason());
  if (!d.ok()) return ToGrpc(d.status());
  *response = std::move(*d);
  return grpc::Status::OK;
}

grpc::Status DeploymentsService::Approve(grpc::ServerContext*, const v1::ApproveRequest* request,
                                         v1::Deployment* response) {
  auto d = orchestrator_.Approve(*request);
  if (!d.ok()) return ToGrpc(d.status());
  *response = std::move(*d);
  return grpc::Status::OK;
}

grpc::Status DeploymentsService::Rollback(grpc::ServerContext*, const v1::RollbackRequest* request,
                                          v1::Deployment* response) {
  auto d = orchestrator_.Rollback(*request);
  if (!d.ok()) return ToGrpc(d.status());
  *response = std::move(*d);
  return grpc::Status::OK;
}

grpc::Status DeploymentsService::ListAudit(grpc::ServerContext*,
                                           const v1::ListAuditRequest* request,
                                           v1::ListAuditResponse* response) {
  auto r = orchestrator_.ListAudit(*request);
  if (!r.ok()) return ToGrpc(r.status());
  *response = std::move(*r);
  return grpc::Status::OK;
}

grpc::Status DeploymentsService::VerifyAudit(grpc::ServerContext*, const v1::VerifyAuditRequest*,
                                             v1::VerifyAuditResponse* response) {
  auto r = orchestrator_.VerifyAudit();
  if (!r.ok()) return ToGrpc(r.status());
  *response = std::move(*r);
  return grpc::Status::OK;
}

grpc::Status DeploymentsService::GetDoraMetrics(grpc::ServerContext*,
                                                const v1::DoraRequest* request,
                                                v1::DoraMetrics* response) {
  auto r = orchestrator_.Dora(*request);
  if (!r.ok()) return ToGrpc(r.status());
  *response = std::move(*r);
  return grpc::Status::OK;
}

}  // namespace slipway::orchestrator
