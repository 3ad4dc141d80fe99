#include "libs/analysis/analysis.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <utility>

#include "libs/core/status.h"

namespace slipway::analysis {
namespace {

std::string_view TrimLeft(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  return s;
}

std::string_view Trim(std::string_view s) {
  s = TrimLeft(s);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

absl::Status BadCondition(std::string_view text, std::string_view why) {
  return absl::InvalidArgumentError(
      fmt::format("condition \"{}\": {} (expected e.g. \"result < 0.05\")", text, why));
}

// The verdict for a measurement without a usable sample, per the spec's policy.
MeasurementVerdict NoData(const MetricSpec& spec, std::string_view what, double value) {
  Outcome outcome = Outcome::kInconclusive;
  switch (spec.no_data) {
    case NoDataPolicy::kFail:
      outcome = Outcome::kFailed;
      break;
    case NoDataPolicy::kPass:
      outcome = Outcome::kSuccessful;
      break;
    case NoDataPolicy::kInconclusive:
      break;
  }
  return {outcome,
          fmt::format("{}: {}, {} by the no-data policy", spec.name, what, OutcomeName(outcome)),
          value};
}

std::string Tally(const MetricSpec& spec, const MetricVerdict& v) {
  std::string count = spec.count == 0 ? fmt::format("{} measured", v.measured)
                                      : fmt::format("{} of {} measured", v.measured, spec.count);
  return fmt::format("{}, {} failed (limit {}{}), {} inconclusive (limit {}), {} query errors",
                     count, v.failed, spec.failure_limit,
                     spec.consecutive_failures ? " in a row" : "", v.inconclusive,
                     spec.inconclusive_limit, v.errors);
}

}  // namespace

std::string_view OutcomeName(Outcome outcome) {
  switch (outcome) {
    case Outcome::kRunning:
      return "running";
    case Outcome::kSuccessful:
      return "successful";
    case Outcome::kFailed:
      return "failed";
    case Outcome::kInconclusive:
      return "inconclusive";
  }
  return "unknown";
}

std::string_view ComparisonSymbol(Comparison op) {
  switch (op) {
    case Comparison::kLess:
      return "<";
    case Comparison::kLessOrEqual:
      return "<=";
    case Comparison::kGreater:
      return ">";
    case Comparison::kGreaterOrEqual:
      return ">=";
  }
  return "?";
}

absl::StatusOr<Condition> ParseCondition(std::string_view text) {
  constexpr std::string_view kVariable = "result";
  std::string_view rest = TrimLeft(text);
  if (rest.substr(0, kVariable.size()) != kVariable) {
    return BadCondition(text, "must start with \"result\"");
  }
  rest = TrimLeft(rest.substr(kVariable.size()));
  Condition condition{};
  if (rest.starts_with("<=")) {
    condition.op = Comparison::kLessOrEqual;
    rest.remove_prefix(2);
  } else if (rest.starts_with(">=")) {
    condition.op = Comparison::kGreaterOrEqual;
    rest.remove_prefix(2);
  } else if (rest.starts_with("<")) {
    condition.op = Comparison::kLess;
    rest.remove_prefix(1);
  } else if (rest.starts_with(">")) {
    condition.op = Comparison::kGreater;
    rest.remove_prefix(1);
  } else {
    return BadCondition(text, "the operator must be one of <, <=, >, >=");
  }
  rest = Trim(rest);
  if (rest.empty()) return BadCondition(text, "missing threshold");
  const char* end = rest.data() + rest.size();
  auto [ptr, ec] = std::from_chars(rest.data(), end, condition.threshold);
  if (ec != std::errc() || ptr != end || !std::isfinite(condition.threshold)) {
    return BadCondition(text, fmt::format("threshold \"{}\" is not a finite number", rest));
  }
  return condition;
}

std::string FormatCondition(const Condition& condition) {
  return fmt::format("result {} {}", ComparisonSymbol(condition.op), condition.threshold);
}

bool Holds(const Condition& condition, double value) {
  switch (condition.op) {
    case Comparison::kLess:
      return value < condition.threshold;
    case Comparison::kLessOrEqual:
      return value <= condition.threshold;
    case Comparison::kGreater:
      return value > condition.threshold;
    case Comparison::kGreaterOrEqual:
      return value >= condition.threshold;
  }
  return false;
}

MeasurementVerdict Judge(const MetricSpec& spec, const Measurement& m) {
  if (!m.error.ok()) {
    return {Outcome::kInconclusive,
            fmt::format("{}: query failed: {}", spec.name, m.error.ToString())};
  }
  if (m.values.empty()) return NoData(spec, "no data (empty result)", NAN);
  const double v = m.values.front();
  if (std::isnan(v)) return NoData(spec, "result is NaN", v);
  if (std::isinf(v)) return NoData(spec, v > 0 ? "result is +Inf" : "result is -Inf", v);

  if (spec.failure && Holds(*spec.failure, v)) {
    return {Outcome::kFailed,
            fmt::format("{}: {} meets the failure condition {}", spec.name, v,
                        FormatCondition(*spec.failure)),
            v};
  }
  if (spec.success) {
    const std::string_view op = ComparisonSymbol(spec.success->op);
    if (!Holds(*spec.success, v)) {
      return {Outcome::kFailed,
              fmt::format("{}: {} is not {} {}", spec.name, v, op, spec.success->threshold), v};
    }
    return {Outcome::kSuccessful,
            fmt::format("{}: {} is {} {}", spec.name, v, op, spec.success->threshold), v};
  }
  if (spec.failure) {
    return {Outcome::kSuccessful,
            fmt::format("{}: {} is not {} {}", spec.name, v, ComparisonSymbol(spec.failure->op),
                        spec.failure->threshold),
            v};
  }
  return {Outcome::kSuccessful, fmt::format("{}: {} (no condition set)", spec.name, v), v};
}

MetricVerdict Evaluate(const MetricSpec& spec, const std::vector<Measurement>& measurements) {
  MetricVerdict v;
  for (const Measurement& m : measurements) {
    if (!m.error.ok()) {
      ++v.errors;
      if (++v.consecutive_errors > spec.consecutive_error_limit) {
        v.outcome = Outcome::kInconclusive;
        v.reason =
            fmt::format("{}: {} query errors in a row (limit {}), last: {}", spec.name,
                        v.consecutive_errors, spec.consecutive_error_limit, m.error.ToString());
        return v;
      }
      continue;
    }
    v.consecutive_errors = 0;
    ++v.measured;
    MeasurementVerdict judged = Judge(spec, m);
    v.last_value = judged.value;
    switch (judged.outcome) {
      case Outcome::kFailed: {
        ++v.failed;
        ++v.consecutive_failed;
        const uint32_t counted = spec.consecutive_failures ? v.consecutive_failed : v.failed;
        if (counted > spec.failure_limit) {
          v.outcome = Outcome::kFailed;
          v.reason = fmt::format("{} ({} failed{}, limit {})", judged.reason, counted,
                                 spec.consecutive_failures ? " in a row" : "", spec.failure_limit);
          return v;
        }
        break;
      }
      case Outcome::kInconclusive:
        if (++v.inconclusive > spec.inconclusive_limit) {
          v.outcome = Outcome::kInconclusive;
          v.reason = fmt::format("{} ({} inconclusive, limit {})", judged.reason, v.inconclusive,
                                 spec.inconclusive_limit);
          return v;
        }
        break;
      case Outcome::kSuccessful:
      case Outcome::kRunning:
        v.consecutive_failed = 0;
        break;
    }
    if (spec.count != 0 && v.measured >= spec.count) {
      v.outcome = Outcome::kSuccessful;
      v.reason = fmt::format("{}: {}; last value {}", spec.name, Tally(spec, v), v.last_value);
      return v;
    }
  }
  v.outcome = Outcome::kRunning;
  v.reason = fmt::format("{}: running, {}", spec.name, Tally(spec, v));
  return v;
}

AnalysisVerdict Combine(const std::vector<MetricSpec>& specs,
                        const std::vector<MetricVerdict>& verdicts) {
  AnalysisVerdict result{Outcome::kSuccessful, "", verdicts};
  result.metrics.resize(std::max(specs.size(), verdicts.size()));
  for (size_t i = 0; i < result.metrics.size(); ++i) {
    MetricVerdict& metric = result.metrics[i];
    if (metric.reason.empty()) {
      metric.reason = i < specs.size() ? fmt::format("{}: not measured yet", specs[i].name)
                                       : fmt::format("metric #{}: no reason given", i);
    }
  }
  auto any = [&](Outcome outcome) {
    for (const MetricVerdict& m : result.metrics) {
      if (m.outcome == outcome) return true;
    }
    return false;
  };
  for (Outcome outcome : {Outcome::kFailed, Outcome::kInconclusive, Outcome::kRunning}) {
    if (any(outcome)) {
      result.outcome = outcome;
      break;
    }
  }
  if (result.metrics.empty()) {
    result.reason = "no metrics";
    return result;
  }
  for (const MetricVerdict& m : result.metrics) {
    if (m.outcome != result.outcome) continue;
    if (!result.reason.empty()) result.reason += "; ";
    result.reason += m.reason;
  }
  return result;
}

std::string EscapePromQlString(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        out += c;
    }
  }
  return out;
}

MetricSpec ErrorRateForSelector(std::string_view selector, std::string_view window) {
  MetricSpec spec;
  spec.name = "error-rate";
  spec.query = fmt::format(
      "sum(rate(http_requests_total{{{0},code=~\"5..\"}}[{1}])) / "
      "sum(rate(http_requests_total{{{0}}}[{1}]))",
      selector, window);
  spec.failure = Condition{Comparison::kGreater, 0.05};
  spec.no_data = NoDataPolicy::kInconclusive;
  return spec;
}

MetricSpec ErrorRateTemplate(std::string_view service) {
  return ErrorRateForSelector(fmt::format("service=\"{}\"", EscapePromQlString(service)), "1m");
}

namespace {
std::string P95(std::string_view selector, std::string_view window) {
  return fmt::format(
      "histogram_quantile(0.95, sum by (le) "
      "(rate(http_request_duration_seconds_bucket{{{}}}[{}])))",
      selector, window);
}
}  // namespace

MetricSpec LatencyP95Template(std::string_view service, double stable_p95_seconds) {
  MetricSpec spec;
  spec.name = "latency-p95";
  spec.query = P95(fmt::format("service=\"{}\"", EscapePromQlString(service)), "1m");
  spec.failure = Condition{Comparison::kGreater, 1.2 * stable_p95_seconds};
  return spec;
}

MetricSpec LatencyRegressionForSelectors(std::string_view canary_selector,
                                         std::string_view stable_selector,
                                         std::string_view window) {
  MetricSpec spec;
  spec.name = "latency-regression";
  spec.query = fmt::format("{} / {}", P95(canary_selector, window), P95(stable_selector, window));
  spec.failure = Condition{Comparison::kGreater, 1.2};
  spec.no_data = NoDataPolicy::kInconclusive;
  return spec;
}

MetricSpec HealthCheckForSelector(std::string_view selector) {
  MetricSpec spec;
  spec.name = "health-check";
  spec.query = fmt::format("min(up{{{}}})", selector);
  spec.success = Condition{Comparison::kGreaterOrEqual, 1};
  spec.failure_limit = 2;
  spec.consecutive_failures = true;
  return spec;
}

MetricSpec HealthCheckTemplate(std::string_view service) {
  return HealthCheckForSelector(fmt::format("service=\"{}\"", EscapePromQlString(service)));
}

}  // namespace slipway::analysis
