// The Deployments gRPC service: translates between protobuf requests and the Orchestrator.
// No logic lives here beyond argument checks and the Watch polling loop.
#pragma once

#include <atomic>

#include "services/orchestrator/orchestrator.h"
#include "slipway/v1/deployments.grpc.pb.h"

namespace slipway::orchestrator {

class DeploymentsService final : public v1::Deployments::Service {
 public:
  DeploymentsService(Orchestrator& orchestrator, const std::atomic<bool>& stopping);

  grpc::Status Submit(grpc::ServerContext*, const v1::SubmitRequest*, v1::SubmitResponse*) override;
  grpc::Status Get(grpc::ServerContext*, const v1::GetRequest*, v1::Deployment*) override;
  grpc::Status List(grpc::ServerContext*, const v1::ListRequest*, v1::ListResponse*) override;
  grpc::Status Watch(grpc::ServerContext*, const v1::WatchRequest*,
                     grpc::ServerWriter<v1::DeploymentUpdate>*) override;
  grpc::Status Cancel(grpc::ServerContext*, const v1::CancelRequest*, v1::Deployment*) override;
  grpc::Status Approve(grpc::ServerContext*, const v1::ApproveRequest*, v1::Deployment*) override;
  grpc::Status Rollback(grpc::ServerContext*, const v1::RollbackRequest*, v1::Deployment*) override;
  grpc::Status ListAudit(grpc::ServerContext*, const v1::ListAuditRequest*,
                         v1::ListAuditResponse*) override;
  grpc::Status VerifyAudit(grpc::ServerContext*, const v1::VerifyAuditRequest*,
                           v1::VerifyAuditResponse*) override;
  grpc::Status GetDoraMetrics(grpc::ServerContext*, const v1::DoraRequest*,
                              v1::DoraMetrics*) override;

 private:
  Orchestrator& orchestrator_;
  const std::atomic<bool>& stopping_;
};

// absl::Status → grpc::Status (the codes are the same numbers).
grpc::Status ToGrpc(const absl::Status& status);

}  // namespace slipway::orchestrator
