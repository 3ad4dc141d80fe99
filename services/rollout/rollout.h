// The rollout service's step: releases a deployment's commit to one environment.
//
// Stateless between commands: the release's progress (slots, strategy step, the weight applied,
// the analysis measurements of the current window, pauses) lives in the `releases` row, saved
// after every action, and every action is recorded in the audit trail in the same transaction.
// One command does what can be done now (set a weight, take a due measurement, pass a step)
// and answers either with the outcome or with `poll_after_ms` (the saga sends the step again
// when the next measurement or the end of a pause is due) or `awaiting_gate` (a pause until
// approval). Nothing waits inside a handler, so no worker or partition is held.
//
// Crash safety: a weight about to be applied is recorded first (`intent`) and the adapter's
// actions are idempotent, so a command redelivered after a SIGKILL resumes at the recorded
// step: no analysis is skipped (measurements are counted from the record) and no weight is
// applied twice (the adapter reports an unchanged target; the audit says so).
//
// Automatic rollback: every `interval` while the new version takes traffic, each metric is
// measured; a failed analysis (or an inconclusive one, by default) sends all traffic back to
// the stable version in the same command, and the result names the metric, the value and the
// threshold.
#pragma once

#include <memory>

#include "absl/status/statusor.h"
#include "libs/runtime/step_worker.h"
#include "libs/store/store.h"

namespace slipway::rollout {

struct RolloutOptions {
  std::string actor = "slipway-rollout";  // in the audit trail
  std::string prometheus_token;           // bearer token for every Prometheus query
  std::string replica;  // holds a release's lease while acting on it (default host:pid)
};

class RolloutStep : public runtime::StepHandler {
 public:
  RolloutStep(store::ConnectionPool& pool, RolloutOptions options);
  absl::StatusOr<v1::StepResult> Handle(const v1::StepCommand& command) override;

 private:
  store::ConnectionPool& pool_;
  RolloutOptions options_;
};

}  // namespace slipway::rollout
