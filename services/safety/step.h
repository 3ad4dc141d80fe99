// The safety service's step handler, for both of its steps.
//  * safety-pre: the recommendation is valid, the repository is reachable (its base commit is
//    resolved here and fixed for the rest of the deployment), and the circuit breaker allows
//    another deployment.
//  * safety-post: the change set has no secrets, no path escaping the repository and nothing
//    under a forbidden path.
#pragma once

#include "libs/repo/target.h"
#include "libs/runtime/step_worker.h"
#include "libs/store/artifact_store.h"
#include "services/safety/circuit_breaker.h"
#include "services/safety/scanner.h"

namespace slipway::safety {

struct SafetyOptions {
  BreakerConfig breaker;
  ScanOptions scan;
};

class SafetyStep final : public runtime::StepHandler {
 public:
  // `targets` must outlive the step.
  SafetyStep(store::ConnectionPool& pool, SafetyOptions options, const repo::Targets& targets)
      : artifacts_(pool),
        breaker_(pool, options.breaker),
        options_(std::move(options)),
        targets_(targets) {}
  absl::StatusOr<v1::StepResult> Handle(const v1::StepCommand& command) override;

 private:
  absl::StatusOr<v1::StepResult> Before(const v1::StepCommand& command);
  absl::StatusOr<v1::StepResult> After(const v1::StepCommand& command);

  store::ArtifactStore artifacts_;
  CircuitBreaker breaker_;
  SafetyOptions options_;
  const repo::Targets& targets_;
};

}  // namespace slipway::safety
