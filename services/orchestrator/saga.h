// The shape of a deployment's saga: which steps a mode runs, in what order, which service
// handles each, how long each may take and how retries back off. Pure functions.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "libs/release/environments.h"
#include "slipway/v1/deployments.pb.h"

namespace slipway::orchestrator {

struct SagaConfig {
  std::chrono::milliseconds step_timeout{300'000};
  std::map<v1::Step, std::chrono::milliseconds> step_timeouts = {
      {v1::STEP_TEST, std::chrono::milliseconds(900'000)},
      {v1::STEP_ROLLOUT, std::chrono::milliseconds(120'000)}};  // one command, not the release
  uint32_t max_attempts = 3;                                    // per step, the first included
  std::chrono::milliseconds retry_backoff{1000};                // doubled each attempt
  // Where a deployment's commit is released after its last step, in order; none: it is not.
  std::vector<release::Environment> environments;
};

// True when a deployment of `mode` goes on to release its commit (environments configured,
// and not a dry run).
bool Releases(const SagaConfig& config, v1::Mode mode);

// Steps of `mode` in order (dry-run: 1-6; local-commit: 1-7; full-pr: 1-7 and checks).
std::vector<v1::Step> StepsFor(v1::Mode mode);
// The step after `step` in `mode`, or STEP_UNSPECIFIED when `step` is the last.
v1::Step NextStep(v1::Mode mode, v1::Step step);
// The service that handles `step` ("safety" handles both safety steps).
std::string ServiceFor(v1::Step step);
// "safety-pre", "map", ...
std::string StepName(v1::Step step);
std::chrono::milliseconds TimeoutFor(const SagaConfig& config, v1::Step step);
// Delay before attempt `attempt` (2, 3, ...).
std::chrono::milliseconds RetryDelay(const SagaConfig& config, uint32_t attempt);
// True when a deployment of `mode` that fails or is cancelled at `step` may have left a
// branch or pull request on the forge: full-pr at the git step or later. Such a deployment
// is COMPENSATING (STEP_COMPENSATE runs) before it ends.
bool NeedsCompensation(v1::Mode mode, v1::Step step);
bool IsTerminal(v1::DeploymentStatus status);
std::string StatusName(v1::DeploymentStatus status);

}  // namespace slipway::orchestrator
