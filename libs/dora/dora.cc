#include "libs/dora/dora.h"

#include <fmt/format.h>

#include <ctime>
#include <string_view>

namespace slipway::dora {
namespace {

constexpr double kMicrosPerDay = 86400.0 * 1e6;

absl::Status DatabaseError(const std::exception& e) {
  if (dynamic_cast<const pqxx::broken_connection*>(&e))
    return absl::UnavailableError(fmt::format("dora metrics: postgresql: {}", e.what()));
  if (dynamic_cast<const pqxx::serialization_failure*>(&e) ||
      dynamic_cast<const pqxx::deadlock_detected*>(&e))
    return absl::AbortedError(fmt::format("dora metrics: postgresql: {}", e.what()));
  return absl::InternalError(fmt::format("dora metrics: postgresql: {}", e.what()));
}

int64_t FloorMicros(std::chrono::system_clock::time_point t) {
  return std::chrono::floor<std::chrono::microseconds>(t.time_since_epoch()).count();
}

// ISO 8601 in UTC with microseconds: timestamptz reads it back exactly, whatever the
// session's DateStyle and TimeZone.
absl::StatusOr<std::string> UtcText(std::string_view field, int64_t micros) {
  int64_t secs = micros / 1000000, frac = micros % 1000000;
  if (frac < 0) {
    frac += 1000000;
    --secs;
  }
  const std::time_t tt = static_cast<std::time_t>(secs);
  std::tm tm{};
  if (!::gmtime_r(&tt, &tm) || tm.tm_year + 1900 < 1 || tm.tm_year + 1900 > 9999)
    return absl::InvalidArgumentError(fmt::format(
        "dora query {}: {} microseconds since the epoch is outside years 1-9999", field, micros));
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
}

double OrNaN(const pqxx::field& f) { return f.is_null() ? NAN : f.as<double>(); }

std::string EscapeLabel(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

std::string Number(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  return fmt::format("{}", v);
}

}  // namespace

absl::StatusOr<Metrics> Compute(pqxx::work& tx, const Query& q) {
  if (q.environment.empty()) return absl::InvalidArgumentError("dora query environment: empty");
  const int64_t since_us = FloorMicros(q.since), until_us = FloorMicros(q.until);
  if (until_us <= since_us)
    return absl::InvalidArgumentError(fmt::format(
        "dora query window: until must be after since (since {} us, until {} us since the "
        "epoch)",
        since_us, until_us));
  auto since = UtcText("since", since_us);
  if (!since.ok()) return since.status();
  auto until = UtcText("until", until_us);
  if (!until.ok()) return until.status();

  Metrics m;
  try {
    // Durations as the difference of exact (numeric) epochs, so no interval normalisation
    // (days, months) gets in the way.
    auto r = tx.exec_params(
        "SELECT count(*) FILTER (WHERE r.status = 'succeeded'), "
        "       count(*) FILTER (WHERE r.status IN ('rolled-back', 'failed')), "
        "       percentile_cont(0.5) WITHIN GROUP (ORDER BY lead_s) "
        "         FILTER (WHERE r.status = 'succeeded'), "
        "       percentile_cont(0.9) WITHIN GROUP (ORDER BY lead_s) "
        "         FILTER (WHERE r.status = 'succeeded') "
        "FROM releases r JOIN deployments d ON d.id = r.deployment_id, "
        "     LATERAL (SELECT (extract(epoch FROM r.finished_at) - "
        "                      extract(epoch FROM d.created_at))::float8 AS lead_s) l "
        "WHERE r.kind = 'release' AND r.environment = $1 AND ($2::text = '' OR r.target = $2) "
        "  AND r.status IN ('succeeded', 'rolled-back', 'failed') "
        "  AND r.finished_at >= $3::timestamptz AND r.finished_at < $4::timestamptz",
        q.environment, q.target, *since, *until);
    m.successful = r[0][0].as<int64_t>();
    m.failed = r[0][1].as<int64_t>();
    m.lead_time_median_s = OrNaN(r[0][2]);
    m.lead_time_p90_s = OrNaN(r[0][3]);

    auto t = tx.exec_params(
        "SELECT count(*), "
        "       percentile_cont(0.5) WITHIN GROUP (ORDER BY restore_s), "
        "       percentile_cont(0.9) WITHIN GROUP (ORDER BY restore_s) "
        "FROM releases r, "
        "     LATERAL (SELECT (extract(epoch FROM r.restored_at) - "
        "                      extract(epoch FROM r.breach_at))::float8 AS restore_s) x "
        "WHERE r.environment = $1 AND ($2::text = '' OR r.target = $2) "
        "  AND r.breach_at IS NOT NULL AND r.restored_at IS NOT NULL "
        "  AND r.restored_at >= $3::timestamptz AND r.restored_at < $4::timestamptz",
        q.environment, q.target, *since, *until);
    m.restores = t[0][0].as<int64_t>();
    m.time_to_restore_median_s = OrNaN(t[0][1]);
    m.time_to_restore_p90_s = OrNaN(t[0][2]);
  } catch (const std::exception& e) {
    return DatabaseError(e);
  }
  m.releases = m.successful + m.failed;
  m.deployments_per_day = static_cast<double>(m.successful) /
                          (static_cast<double>(until_us - since_us) / kMicrosPerDay);
  if (m.releases > 0)
    m.change_failure_rate = static_cast<double>(m.failed) / static_cast<double>(m.releases);
  return m;
}

std::string ToPrometheusText(const Metrics& m, const Query& q) {
  const std::string labels = fmt::format("environment=\"{}\",target=\"{}\"",
                                         EscapeLabel(q.environment), EscapeLabel(q.target));
  std::string out;
  auto header = [&](std::string_view name, std::string_view help) {
    out += fmt::format("# HELP {} {}\n# TYPE {} gauge\n", name, help, name);
  };
  auto sample = [&](std::string_view name, std::string_view extra, const std::string& value) {
    out += fmt::format("{}{{{}{}}} {}\n", name, labels, extra, value);
  };

  header("slipway_dora_deployments_per_day", "Successful releases per day over the window.");
  sample("slipway_dora_deployments_per_day", "", Number(m.deployments_per_day));

  header("slipway_dora_lead_time_seconds",
         "Recommendation received to release succeeded, successful releases in the window.");
  sample("slipway_dora_lead_time_seconds", ",quantile=\"0.5\"", Number(m.lead_time_median_s));
  sample("slipway_dora_lead_time_seconds", ",quantile=\"0.9\"", Number(m.lead_time_p90_s));

  header("slipway_dora_change_failure_rate",
         "Releases rolled back or failed, as a fraction of releases finished in the window.");
  sample("slipway_dora_change_failure_rate", "", Number(m.change_failure_rate));

  header("slipway_dora_time_to_restore_seconds",
         "Breach found to all traffic back on the stable version, restores in the window.");
  sample("slipway_dora_time_to_restore_seconds", ",quantile=\"0.5\"",
         Number(m.time_to_restore_median_s));
  sample("slipway_dora_time_to_restore_seconds", ",quantile=\"0.9\"",
         Number(m.time_to_restore_p90_s));

  header("slipway_dora_restores_total", "Restores (breach to stable) in the window.");
  sample("slipway_dora_restores_total", "", std::to_string(m.restores));

  header("slipway_dora_releases_total",
         "Releases finished in the window: succeeded, or failed (rolled back or failed).");
  sample("slipway_dora_releases_total", ",status=\"succeeded\"", std::to_string(m.successful));
  sample("slipway_dora_releases_total", ",status=\"failed\"", std::to_string(m.failed));
  return out;
}

}  // namespace slipway::dora
