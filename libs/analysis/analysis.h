// The metric analysis of a canary rollout: named metrics, each a PromQL query measured `count`
// times `interval` apart, judged against success/failure conditions, folded into a verdict per
// metric and one for the whole analysis.
//
// Pure logic, no I/O: running the queries and the clock belong to the rollout service, which
// hands the measurements so far to Evaluate() after each one. Any thread, concurrently.
// ParseCondition is the only function that fails (INVALID_ARGUMENT naming the text); the rest
// report problems (query errors, no data) in their verdicts.
#pragma once

#include <chrono>
#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace slipway::analysis {

enum class Outcome { kRunning, kSuccessful, kFailed, kInconclusive };
// "running", "successful", "failed", "inconclusive".
std::string_view OutcomeName(Outcome outcome);

enum class Comparison { kLess, kLessOrEqual, kGreater, kGreaterOrEqual };
// "<", "<=", ">", ">=".
std::string_view ComparisonSymbol(Comparison op);

// `result <op> threshold`, e.g. result < 0.05.
struct Condition {
  Comparison op;
  double threshold;
};

// Parses "result < 0.05", "result >= 0.95", "result<=1.2" (spaces optional around each part).
// INVALID_ARGUMENT quoting the text for anything else: another variable, another operator, a
// threshold that is not a finite number, trailing text.
absl::StatusOr<Condition> ParseCondition(std::string_view text);

// "result < 0.05": the form ParseCondition reads.
std::string FormatCondition(const Condition& condition);

// Whether `value <op> threshold` holds (false for NaN).
bool Holds(const Condition& condition, double value);

// How an empty result, NaN or ±Inf is judged.
enum class NoDataPolicy { kFail, kPass, kInconclusive };

struct MetricSpec {
  std::string name;   // e.g. "error-rate"; starts every reason
  std::string query;  // PromQL, run by the caller
  std::chrono::milliseconds interval{60'000};
  // Measurements in all (query errors do not count). 0: never completes — the metric stays
  // running until it fails or turns inconclusive (a background analysis).
  uint32_t count = 5;
  std::optional<Condition> success;  // a measurement passes only when it holds (when set)
  std::optional<Condition> failure;  // a measurement fails when it holds (when set)
  // Failed measurements tolerated; one more fails the metric at once.
  uint32_t failure_limit = 0;
  // When set, failure_limit counts failed measurements in a row instead of in all: a
  // successful measurement ends the run (an inconclusive one neither ends nor extends it).
  // A health check with failure_limit 2 fails on the third consecutive failed check.
  bool consecutive_failures = false;
  // Inconclusive measurements tolerated; one more makes the metric inconclusive.
  uint32_t inconclusive_limit = 0;
  // Query errors in a row tolerated; one more makes the metric inconclusive (the rollout is
  // never silently promoted or aborted while Prometheus is down). Any measurement resets it.
  uint32_t consecutive_error_limit = 4;
  NoDataPolicy no_data = NoDataPolicy::kInconclusive;
};

// One instant-query result.
struct Measurement {
  absl::Status error;          // non-OK: the query failed (Prometheus down, bad query)
  std::vector<double> values;  // the instant vector's samples; the first is judged; empty = no data
};

struct MeasurementVerdict {
  Outcome outcome;
  std::string reason;  // e.g. "error-rate: 0.2 is not < 0.05"
  double value = NAN;  // the judged sample; NaN when there was none
};

// One measurement against the spec:
//  * a query error: kInconclusive, the error in the reason (counted per metric by Evaluate);
//  * no sample, NaN or ±Inf: per spec.no_data;
//  * the failure condition holds: kFailed; the success condition is set and does not hold:
//    kFailed; otherwise kSuccessful (also when neither condition is set).
MeasurementVerdict Judge(const MetricSpec& spec, const Measurement& m);

struct MetricVerdict {
  Outcome outcome = Outcome::kRunning;
  uint32_t measured = 0;            // measurements judged (query errors excluded)
  uint32_t failed = 0;              // failed measurements in all
  uint32_t consecutive_failed = 0;  // failed measurements in a row at the end
  uint32_t inconclusive = 0;
  uint32_t errors = 0;  // query errors in all
  uint32_t consecutive_errors = 0;
  // For people: which condition, which value, which threshold, e.g.
  // "error-rate: 0.2 is not < 0.05 (3 failed, limit 2)".
  std::string reason;
  double last_value = NAN;
};

// Folds the measurements so far, in order, stopping at the first decision (later ones are
// ignored): failed (or, with consecutive_failures, failed in a row) > failure_limit: kFailed,
// at once; inconclusive > inconclusive_limit: kInconclusive; consecutive query errors >
// consecutive_error_limit: kInconclusive, naming the last error; `count` measurements in:
// kSuccessful. Otherwise kRunning.
MetricVerdict Evaluate(const MetricSpec& spec, const std::vector<Measurement>& measurements);

struct AnalysisVerdict {
  Outcome outcome;
  std::string reason;  // the deciding metrics' reasons, "; "-separated
  std::vector<MetricVerdict> metrics;
};

// verdicts[i] is specs[i]'s. kFailed if any metric failed; else kInconclusive if any is; else
// kRunning if any is (a spec without a verdict is running); else kSuccessful (also with no
// metrics at all).
AnalysisVerdict Combine(const std::vector<MetricSpec>& specs,
                        const std::vector<MetricVerdict>& verdicts);

// `text` as the inside of a PromQL double-quoted string: backslash, double quote and line
// breaks escaped.
std::string EscapePromQlString(std::string_view text);

// Built-in templates: the defaults of the common rollback triggers. Every query selects the
// service by label service="<service>" (escaped).

// "error-rate": the 1m rate of 5xx http_requests_total over all of them; fails when
// result > 0.05. No traffic (0/0 = NaN) is inconclusive.
MetricSpec ErrorRateTemplate(std::string_view service);

// "latency-p95": the p95 of http_request_duration_seconds over 1m; fails when
// result > 1.2 * stable_p95_seconds (the stable version's p95; callers pass a positive value).
MetricSpec LatencyP95Template(std::string_view service, double stable_p95_seconds);

// "health-check": min(up{service=...}) — any instance down counts; passes when result >= 1;
// fails on the third failed check in a row (failure_limit 2, consecutive_failures).
MetricSpec HealthCheckTemplate(std::string_view service);

// The same templates over any PromQL label selector (the inside of `{...}`, used as is, e.g.
// `service="shop",slot="green"`) and rate window (e.g. "1m").
MetricSpec ErrorRateForSelector(std::string_view selector, std::string_view window);
MetricSpec HealthCheckForSelector(std::string_view selector);
// "latency-regression": the canary's p95 over the stable version's, both measured now; fails
// when result > 1.2 (a regression above 20%). No traffic on either side is inconclusive.
MetricSpec LatencyRegressionForSelectors(std::string_view canary_selector,
                                         std::string_view stable_selector, std::string_view window);

}  // namespace slipway::analysis
