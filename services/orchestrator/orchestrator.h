// The orchestrator: the only component that decides what happens next in a deployment.
//
// Every transition is one PostgreSQL transaction that records the step's result, advances the
// saga and queues the next command in the outbox. Results are deduplicated through the inbox
// (by ce_id) and by checking that they answer the step and attempt in flight, so redelivered
// or late messages change nothing. One deployment runs at a time per repository; the others
// wait as QUEUED, in submission order.
//
// Thread-safe: any number of threads (and replicas) may call in; the database serialises.
#pragma once

#include <atomic>
#include <string>

#include "absl/status/statusor.h"
#include "libs/bus/bus.h"
#include "libs/store/outbox_relay.h"
#include "libs/store/store.h"
#include "services/orchestrator/saga.h"
#include "slipway/v1/deployments.pb.h"

namespace slipway::orchestrator {

class Orchestrator {
 public:
  Orchestrator(store::ConnectionPool& pool, store::OutboxRelay& relay, SagaConfig config);

  // Records a new deployment. An invalid recommendation is recorded as REJECTED (with the
  // field at fault) and returned, not reported as an error; errors are infrastructure only.
  absl::StatusOr<v1::Deployment> Submit(const v1::SubmitRequest& request);

  // A message from slipway.events.v1. Step results advance the saga; other types are ignored.
  // INVALID_ARGUMENT: the message cannot be understood (the caller dead-letters it).
  absl::Status OnEvent(const bus::Message& message);
  // A recommendation published on slipway.recommendations.v1 (protobuf or JSON by content-type).
  // The ce_id is the idempotency key. INVALID_ARGUMENT when rejected (recorded, and the caller
  // dead-letters it).
  absl::Status OnRecommendation(const bus::Message& message);

  // Retries (or fails) every step whose deadline passed. Returns how many were handled.
  absl::StatusOr<int> ExpireDeadlines();

  absl::StatusOr<v1::Deployment> Cancel(const std::string& id, const std::string& reason);
  // Approves the gate the deployment waits on (its environment, or a pause inside the
  // release); once enough named approvers agree, the release goes on.
  // FAILED_PRECONDITION when it waits for nothing (or for another environment);
  // PERMISSION_DENIED when the environment names its approvers and this is not one.
  absl::StatusOr<v1::Deployment> Approve(const v1::ApproveRequest& request);
  // Rolls the release in progress back to the stable version; the deployment ends ROLLED_BACK.
  absl::StatusOr<v1::Deployment> Rollback(const v1::RollbackRequest& request);
  // The forge reports pull request `number` of `repo` ("owner/name") merged by `merged_by`:
  // for the deployment that opened it, the merge approves every environment whose approval
  // says on_merge (when `merged_by` may approve it), and a release waiting on one goes on.
  // Returns what was done, for the webhook's answer; NOT_FOUND when no deployment that is not
  // finished opened that pull request.
  absl::StatusOr<std::string> OnPullRequestMerged(const std::string& repo, uint64_t number,
                                                  const std::string& merged_by,
                                                  const std::string& merge_commit);
  absl::StatusOr<v1::ListAuditResponse> ListAudit(const v1::ListAuditRequest& request);
  absl::StatusOr<v1::VerifyAuditResponse> VerifyAudit();
  absl::StatusOr<v1::DoraMetrics> Dora(const v1::DoraRequest& request);
  // Prometheus text exposition for /metrics: deployments by status, and the DORA metrics of
  // the last configured environment (production by default) over the last 30 days.
  absl::StatusOr<std::string> MetricsText();
  absl::StatusOr<v1::Deployment> Get(const std::string& id);
  absl::StatusOr<v1::ListResponse> List(const v1::ListRequest& request);
  // Changes whenever the deployment changes (for Watch).
  absl::StatusOr<int64_t> Version(const std::string& id);

  // Consumes slipway.events.v1 and slipway.recommendations.v1 until `stop`; offsets are
  // committed after each message's transaction.
  absl::Status RunConsumer(const bus::BusConfig& config, bus::Producer& producer,
                           const std::atomic<bool>& stop);
  // Calls ExpireDeadlines() every `period` until `stop`.
  void RunTicker(const std::atomic<bool>& stop, std::chrono::milliseconds period);

 private:
  store::ConnectionPool& pool_;
  store::OutboxRelay& relay_;
  SagaConfig config_;
};

}  // namespace slipway::orchestrator
