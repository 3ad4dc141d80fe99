// The four DORA metrics (deployment frequency, lead time for changes, change failure rate,
// time to restore) computed from the `deployments` and `releases` tables for a window, and
// their Prometheus text exposition for /metrics.
//
// Compute reads inside the caller's transaction and writes nothing; ToPrometheusText is pure.
// Any thread, concurrently (a transaction belongs to the thread that runs it).
//
// Errors: INVALID_ARGUMENT naming the field for an empty environment or a window that does
// not end after it starts; database errors UNAVAILABLE (retryable) when the connection is
// lost, ABORTED (retryable) on a serialization failure or deadlock, INTERNAL otherwise.
#pragma once

#include <chrono>
#include <cmath>
#include <cstdint>
#include <pqxx/pqxx>
#include <string>

#include "absl/status/statusor.h"

namespace slipway::dora {

// Which releases count: those to `environment` (and `target`, "" = every target) that
// finished (lead time, frequency, failures) or were restored (time to restore) in
// [since, until), to the microsecond.
struct Query {
  std::string environment = "production";
  std::string target;  // "" = all
  std::chrono::system_clock::time_point since, until;
};

struct Metrics {
  // Finished releases (kind 'release') in the window: successful + failed.
  int64_t releases = 0;
  int64_t successful = 0;  // status 'succeeded'
  int64_t failed = 0;      // status 'rolled-back' or 'failed'
  // successful / the window's length in days (86400 s), fractions of a day included.
  double deployments_per_day = 0;
  // Recommendation received (deployments.created_at) -> release succeeded
  // (releases.finished_at), successful releases only; percentiles interpolated linearly
  // (PostgreSQL's percentile_cont). NaN when there is none.
  double lead_time_median_s = NAN, lead_time_p90_s = NAN;
  double change_failure_rate = NAN;  // failed / releases; NaN when there are no releases
  // restored_at - breach_at of releases of either kind ('release' or 'rollback') that have
  // both, restored in the window. NaN when there is none.
  double time_to_restore_median_s = NAN, time_to_restore_p90_s = NAN;
  int64_t restores = 0;
};

absl::StatusOr<Metrics> Compute(pqxx::work& tx, const Query& q);

// Prometheus text exposition (all gauges, labelled environment and target):
// slipway_dora_deployments_per_day, slipway_dora_lead_time_seconds{quantile="0.5"|"0.9"},
// slipway_dora_change_failure_rate, slipway_dora_time_to_restore_seconds{quantile=...},
// slipway_dora_restores_total and slipway_dora_releases_total{status="succeeded"|"failed"}.
// NaN is written as NaN; label values are escaped (\\, \", \n).
std::string ToPrometheusText(const Metrics& m, const Query& q);

}  // namespace slipway::dora
