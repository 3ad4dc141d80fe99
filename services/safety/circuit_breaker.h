// The deployment circuit breaker, shared by every safety replica through PostgreSQL.
//
// It opens when at least `window` deployments finished since the last reset and the failure
// rate of the last `window` of them reaches `threshold`; it stays open for `cooldown`; then it
// resets (half-open): the window starts afresh from that moment, so the next deployments run
// and decide whether it opens again. Thread-safe (the row lock serialises replicas).
#pragma once

#include <chrono>
#include <string>

#include "absl/status/statusor.h"
#include "libs/store/store.h"

namespace slipway::safety {

struct BreakerConfig {
  int window = 10;
  double threshold = 0.5;
  std::chrono::seconds cooldown{300};
};

struct BreakerDecision {
  bool allowed = true;
  std::string reason;  // why it is open, or the current failure count when closed
};

class CircuitBreaker {
 public:
  CircuitBreaker(store::ConnectionPool& pool, BreakerConfig config,
                 std::string name = "deployments")
      : pool_(pool), config_(config), name_(std::move(name)) {}

  // Decides whether a new deployment may proceed (and opens the breaker when it should).
  absl::StatusOr<BreakerDecision> Check();

 private:
  store::ConnectionPool& pool_;
  BreakerConfig config_;
  std::string name_;
};

}  // namespace slipway::safety
