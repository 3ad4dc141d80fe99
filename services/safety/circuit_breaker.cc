#include "services/safety/circuit_breaker.h"

#include <fmt/format.h>

#include "slipway/v1/deployments.pb.h"

namespace slipway::safety {

absl::StatusOr<BreakerDecision> CircuitBreaker::Check() {
  BreakerDecision decision;
  absl::Status st = pool_.Transact([&](pqxx::work& tx) -> absl::Status {
    tx.exec_params("INSERT INTO circuit_breakers (name) VALUES ($1) ON CONFLICT DO NOTHING", name_);
    auto row = tx.exec_params(
        "SELECT opened_at IS NOT NULL, "
        "COALESCE(extract(epoch from now() - opened_at), 0), reason "
        "FROM circuit_breakers WHERE name = $1 FOR UPDATE",
        name_);
    bool open = row[0][0].as<bool>();
    double open_for = row[0][1].as<double>();
    if (open) {
      double left = static_cast<double>(config_.cooldown.count()) - open_for;
      if (left > 0) {
        decision.allowed = false;
        decision.reason = fmt::format("circuit breaker open: {}; closes in {:.0f} s",
                                      row[0][2].as<std::string>(), left);
        return absl::OkStatus();
      }
      tx.exec_params(
          "UPDATE circuit_breakers SET opened_at = NULL, reset_at = now(), reason = '' "
          "WHERE name = $1",
          name_);
    }
    auto outcomes = tx.exec_params(
        "SELECT count(*), count(*) FILTER (WHERE status = $2) FROM ("
        "  SELECT d.status FROM deployments d, circuit_breakers b "
        "  WHERE b.name = $1 AND d.finished_at > b.reset_at AND d.status IN ($2, $3) "
        "  ORDER BY d.finished_at DESC LIMIT $4) recent",
        name_, static_cast<int>(v1::DEPLOYMENT_STATUS_FAILED),
        static_cast<int>(v1::DEPLOYMENT_STATUS_SUCCEEDED), config_.window);
    int64_t total = outcomes[0][0].as<int64_t>();
    int64_t failed = outcomes[0][1].as<int64_t>();
    if (total >= config_.window &&
        static_cast<double>(failed) >= config_.threshold * static_cast<double>(total)) {
      std::string why = fmt::format("{} of the last {} deployments failed (threshold {:.0f}%)",
                                    failed, total, config_.threshold * 100);
      tx.exec_params("UPDATE circuit_breakers SET opened_at = now(), reason = $2 WHERE name = $1",
                     name_, why);
      decision.allowed = false;
      decision.reason =
          fmt::format("circuit breaker opened: {}; closes in {} s", why, config_.cooldown.count());
      return absl::OkStatus();
    }
    decision.reason = fmt::format("breaker closed ({} of the last {} failed)", failed, total);
    return absl::OkStatus();
  });
  if (!st.ok()) return st;
  return decision;
}

}  // namespace slipway::safety
