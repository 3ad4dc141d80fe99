#include "services/orchestrator/saga.h"

namespace slipway::orchestrator {

std::vector<v1::Step> StepsFor(v1::Mode mode) {
  std::vector<v1::Step> steps = {v1::STEP_SAFETY_PRE, v1::STEP_MAP,  v1::STEP_ANALYZE,
                                 v1::STEP_IMPLEMENT,  v1::STEP_TEST, v1::STEP_SAFETY_POST};
  if (mode != v1::MODE_DRY_RUN) steps.push_back(v1::STEP_GIT);
  if (mode == v1::MODE_FULL_PR) steps.push_back(v1::STEP_CHECKS);
  return steps;
}

v1::Step NextStep(v1::Mode mode, v1::Step step) {
  auto steps = StepsFor(mode);
  for (size_t i = 0; i + 1 < steps.size(); ++i)
    if (steps[i] == step) return steps[i + 1];
  return v1::STEP_UNSPECIFIED;
}

std::string ServiceFor(v1::Step step) {
  switch (step) {
    case v1::STEP_SAFETY_PRE:
    case v1::STEP_SAFETY_POST:
      return "safety";
    case v1::STEP_MAP:
      return "mapper";
    case v1::STEP_ANALYZE:
      return "analyzer";
    case v1::STEP_IMPLEMENT:
      return "implementer";
    case v1::STEP_TEST:
      return "tester";
    case v1::STEP_GIT:
    case v1::STEP_CHECKS:
    case v1::STEP_COMPENSATE:
      return "git";
    case v1::STEP_ROLLOUT:
      return "rollout";
    default:
      return "";
  }
}

std::string StepName(v1::Step step) {
  switch (step) {
    case v1::STEP_SAFETY_PRE:
      return "safety-pre";
    case v1::STEP_MAP:
      return "map";
    case v1::STEP_ANALYZE:
      return "analyze";
    case v1::STEP_IMPLEMENT:
      return "implement";
    case v1::STEP_TEST:
      return "test";
    case v1::STEP_SAFETY_POST:
      return "safety-post";
    case v1::STEP_GIT:
      return "git";
    case v1::STEP_CHECKS:
      return "checks";
    case v1::STEP_COMPENSATE:
      return "compensate";
    case v1::STEP_ROLLOUT:
      return "rollout";
    default:
      return "intake";
  }
}

std::chrono::milliseconds TimeoutFor(const SagaConfig& config, v1::Step step) {
  auto it = config.step_timeouts.find(step);
  return it == config.step_timeouts.end() ? config.step_timeout : it->second;
}

std::chrono::milliseconds RetryDelay(const SagaConfig& config, uint32_t attempt) {
  if (attempt <= 1) return std::chrono::milliseconds(0);
  auto d = config.retry_backoff;
  for (uint32_t i = 2; i < attempt && d < std::chrono::minutes(5); ++i) d *= 2;
  return d;
}

bool NeedsCompensation(v1::Mode mode, v1::Step step) {
  return mode == v1::MODE_FULL_PR && (step == v1::STEP_GIT || step == v1::STEP_CHECKS);
}

bool Releases(const SagaConfig& config, v1::Mode mode) {
  return !config.environments.empty() && mode != v1::MODE_DRY_RUN;
}

bool IsTerminal(v1::DeploymentStatus s) {
  return s == v1::DEPLOYMENT_STATUS_SUCCEEDED || s == v1::DEPLOYMENT_STATUS_FAILED ||
         s == v1::DEPLOYMENT_STATUS_REJECTED || s == v1::DEPLOYMENT_STATUS_CANCELLED ||
         s == v1::DEPLOYMENT_STATUS_ROLLED_BACK || s == v1::DEPLOYMENT_STATUS_EXPIRED;
}

std::string StatusName(v1::DeploymentStatus s) {
  switch (s) {
    case v1::DEPLOYMENT_STATUS_QUEUED:
      return "queued";
    case v1::DEPLOYMENT_STATUS_RUNNING:
      return "running";
    case v1::DEPLOYMENT_STATUS_SUCCEEDED:
      return "succeeded";
    case v1::DEPLOYMENT_STATUS_FAILED:
      return "failed";
    case v1::DEPLOYMENT_STATUS_REJECTED:
      return "rejected";
    case v1::DEPLOYMENT_STATUS_CANCELLED:
      return "cancelled";
    case v1::DEPLOYMENT_STATUS_COMPENSATING:
      return "compensating";
    case v1::DEPLOYMENT_STATUS_AWAITING_APPROVAL:
      return "awaiting-approval";
    case v1::DEPLOYMENT_STATUS_ROLLED_BACK:
      return "rolled-back";
    case v1::DEPLOYMENT_STATUS_EXPIRED:
      return "expired";
    default:
      return "unknown";
  }
}

}  // namespace slipway::orchestrator
