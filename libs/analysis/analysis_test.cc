#include "libs/analysis/analysis.h"

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace slipway::analysis {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

::testing::AssertionResult Contains(const std::string& text, const std::string& part) {
  if (text.find(part) != std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "\"" << text << "\" does not contain \"" << part << "\"";
}

Measurement Value(double v) { return {absl::OkStatus(), {v}}; }
Measurement Empty() { return {absl::OkStatus(), {}}; }
Measurement Down() { return {absl::UnavailableError("connect: connection refused"), {}}; }

MetricSpec ErrorRate() {
  MetricSpec spec;
  spec.name = "error-rate";
  spec.success = Condition{Comparison::kLess, 0.05};
  spec.count = 5;
  return spec;
}

TEST(ConditionTest, EachComparison) {
  EXPECT_TRUE(Holds({Comparison::kLess, 1}, 0.5));
  EXPECT_FALSE(Holds({Comparison::kLess, 1}, 1));
  EXPECT_TRUE(Holds({Comparison::kLessOrEqual, 1}, 1));
  EXPECT_FALSE(Holds({Comparison::kLessOrEqual, 1}, 1.5));
  EXPECT_TRUE(Holds({Comparison::kGreater, 1}, 1.5));
  EXPECT_FALSE(Holds({Comparison::kGreater, 1}, 1));
  EXPECT_TRUE(Holds({Comparison::kGreaterOrEqual, 1}, 1));
  EXPECT_FALSE(Holds({Comparison::kGreaterOrEqual, 1}, 0.5));
  EXPECT_FALSE(Holds({Comparison::kGreaterOrEqual, 1}, NAN));
}

TEST(ConditionTest, ParsesEachOperatorWithOrWithoutSpaces) {
  struct Case {
    const char* text;
    Comparison op;
    double threshold;
  };
  for (const Case& c : {Case{"result < 0.05", Comparison::kLess, 0.05},
                        Case{"result >= 0.95", Comparison::kGreaterOrEqual, 0.95},
                        Case{"result<=1.2", Comparison::kLessOrEqual, 1.2},
                        Case{"  result>-3 ", Comparison::kGreater, -3}}) {
    absl::StatusOr<Condition> parsed = ParseCondition(c.text);
    ASSERT_TRUE(parsed.ok()) << c.text << ": " << parsed.status();
    EXPECT_EQ(parsed->op, c.op) << c.text;
    EXPECT_DOUBLE_EQ(parsed->threshold, c.threshold) << c.text;
  }
  EXPECT_EQ(FormatCondition(*ParseCondition("result>=0.95")), "result >= 0.95");
}

TEST(ConditionTest, RejectsMalformedTextNamingIt) {
  for (const char* text : {"", "value < 1", "result == 1", "result <", "result < abc",
                           "result < 1 extra", "result < inf", "result < nan", "result => 1"}) {
    absl::StatusOr<Condition> parsed = ParseCondition(text);
    ASSERT_FALSE(parsed.ok()) << text;
    EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument) << text;
    EXPECT_TRUE(Contains(std::string(parsed.status().message()), "\"" + std::string(text) + "\""));
  }
}

TEST(JudgeTest, PassAndFail) {
  MetricSpec spec = ErrorRate();
  MeasurementVerdict pass = Judge(spec, Value(0.01));
  EXPECT_EQ(pass.outcome, Outcome::kSuccessful);
  EXPECT_DOUBLE_EQ(pass.value, 0.01);

  MeasurementVerdict fail = Judge(spec, Value(0.2));
  EXPECT_EQ(fail.outcome, Outcome::kFailed);
  EXPECT_EQ(fail.reason, "error-rate: 0.2 is not < 0.05");
}

TEST(JudgeTest, FailureConditionAlone) {
  MetricSpec spec;
  spec.name = "latency";
  spec.failure = Condition{Comparison::kGreater, 0.5};
  EXPECT_EQ(Judge(spec, Value(0.4)).outcome, Outcome::kSuccessful);
  MeasurementVerdict fail = Judge(spec, Value(0.6));
  EXPECT_EQ(fail.outcome, Outcome::kFailed);
  EXPECT_EQ(fail.reason, "latency: 0.6 meets the failure condition result > 0.5");
  spec.failure.reset();
  EXPECT_EQ(Judge(spec, Value(1e9)).outcome, Outcome::kSuccessful);
}

TEST(JudgeTest, FailureConditionWinsOverSuccess) {
  MetricSpec spec = ErrorRate();
  spec.success = Condition{Comparison::kGreaterOrEqual, 0};
  spec.failure = Condition{Comparison::kGreater, 0.05};
  EXPECT_EQ(Judge(spec, Value(0.01)).outcome, Outcome::kSuccessful);
  EXPECT_EQ(Judge(spec, Value(0.1)).outcome, Outcome::kFailed);
}

TEST(JudgeTest, NoDataNanAndInfFollowThePolicy) {
  MetricSpec spec = ErrorRate();
  struct Case {
    NoDataPolicy policy;
    Outcome outcome;
  };
  for (const Case& c : {Case{NoDataPolicy::kFail, Outcome::kFailed},
                        Case{NoDataPolicy::kPass, Outcome::kSuccessful},
                        Case{NoDataPolicy::kInconclusive, Outcome::kInconclusive}}) {
    spec.no_data = c.policy;
    MeasurementVerdict empty = Judge(spec, Empty());
    EXPECT_EQ(empty.outcome, c.outcome);
    EXPECT_TRUE(Contains(empty.reason, "no data"));
    EXPECT_TRUE(std::isnan(empty.value));
    MeasurementVerdict nan = Judge(spec, Value(NAN));
    EXPECT_EQ(nan.outcome, c.outcome);
    EXPECT_TRUE(Contains(nan.reason, "NaN"));
    MeasurementVerdict inf = Judge(spec, Value(kInf));
    EXPECT_EQ(inf.outcome, c.outcome);
    EXPECT_TRUE(Contains(inf.reason, "+Inf"));
    EXPECT_EQ(Judge(spec, Value(-kInf)).outcome, c.outcome);
  }
}

TEST(JudgeTest, UsesTheFirstSample) {
  EXPECT_EQ(Judge(ErrorRate(), {absl::OkStatus(), {0.01, 0.9}}).outcome, Outcome::kSuccessful);
  EXPECT_EQ(Judge(ErrorRate(), {absl::OkStatus(), {0.9, 0.01}}).outcome, Outcome::kFailed);
}

TEST(JudgeTest, QueryErrorIsInconclusiveWithTheError) {
  MetricSpec spec = ErrorRate();
  spec.no_data = NoDataPolicy::kPass;  // an error is not "no data"
  MeasurementVerdict v = Judge(spec, Down());
  EXPECT_EQ(v.outcome, Outcome::kInconclusive);
  EXPECT_TRUE(Contains(v.reason, "connection refused"));
}

TEST(EvaluateTest, RunningWhileIncomplete) {
  MetricVerdict none = Evaluate(ErrorRate(), {});
  EXPECT_EQ(none.outcome, Outcome::kRunning);
  EXPECT_EQ(none.measured, 0u);

  MetricVerdict v = Evaluate(ErrorRate(), {Value(0.01), Value(0.02)});
  EXPECT_EQ(v.outcome, Outcome::kRunning);
  EXPECT_EQ(v.measured, 2u);
  EXPECT_DOUBLE_EQ(v.last_value, 0.02);
  EXPECT_TRUE(Contains(v.reason, "2 of 5 measured"));
}

TEST(EvaluateTest, SuccessfulAfterCount) {
  std::vector<Measurement> ms(4, Value(0.01));
  EXPECT_EQ(Evaluate(ErrorRate(), ms).outcome, Outcome::kRunning);
  ms.push_back(Value(0.03));
  MetricVerdict v = Evaluate(ErrorRate(), ms);
  EXPECT_EQ(v.outcome, Outcome::kSuccessful);
  EXPECT_EQ(v.measured, 5u);
  EXPECT_EQ(v.failed, 0u);
  EXPECT_TRUE(Contains(v.reason, "error-rate: 5 of 5 measured"));
}

TEST(EvaluateTest, FailsAtOncePastFailureLimitNamingValueAndThreshold) {
  MetricSpec spec = ErrorRate();
  spec.failure_limit = 2;
  MetricVerdict within = Evaluate(spec, {Value(0.2), Value(0.01), Value(0.3)});
  EXPECT_EQ(within.outcome, Outcome::kRunning);
  EXPECT_EQ(within.failed, 2u);

  MetricVerdict v = Evaluate(spec, {Value(0.2), Value(0.01), Value(0.3), Value(0.2)});
  EXPECT_EQ(v.outcome, Outcome::kFailed);  // 4 of 5: before count
  EXPECT_EQ(v.failed, 3u);
  EXPECT_EQ(v.reason, "error-rate: 0.2 is not < 0.05 (3 failed, limit 2)");
}

TEST(EvaluateTest, FailedMeasurementsWithinLimitStillSucceed) {
  MetricSpec spec = ErrorRate();
  spec.failure_limit = 1;
  MetricVerdict v =
      Evaluate(spec, {Value(0.01), Value(0.2), Value(0.01), Value(0.01), Value(0.01), Value(0.9)});
  EXPECT_EQ(v.outcome, Outcome::kSuccessful);  // the sixth is past count and ignored
  EXPECT_EQ(v.failed, 1u);
}

TEST(EvaluateTest, InconclusivePastInconclusiveLimit) {
  MetricSpec spec = ErrorRate();
  spec.inconclusive_limit = 1;
  EXPECT_EQ(Evaluate(spec, {Empty(), Value(0.01)}).outcome, Outcome::kRunning);
  MetricVerdict v = Evaluate(spec, {Empty(), Value(0.01), Value(NAN)});
  EXPECT_EQ(v.outcome, Outcome::kInconclusive);
  EXPECT_EQ(v.inconclusive, 2u);
  EXPECT_TRUE(Contains(v.reason, "NaN"));
  EXPECT_TRUE(Contains(v.reason, "2 inconclusive, limit 1"));
}

TEST(EvaluateTest, PrometheusDownIsInconclusiveWithTheError) {
  MetricSpec spec = ErrorRate();  // consecutive_error_limit 4
  std::vector<Measurement> ms(4, Down());
  MetricVerdict within = Evaluate(spec, ms);
  EXPECT_EQ(within.outcome, Outcome::kRunning);
  EXPECT_EQ(within.consecutive_errors, 4u);

  ms.push_back(Down());
  MetricVerdict v = Evaluate(spec, ms);
  EXPECT_EQ(v.outcome, Outcome::kInconclusive);
  EXPECT_EQ(v.errors, 5u);
  EXPECT_EQ(v.measured, 0u);
  EXPECT_TRUE(Contains(v.reason, "error-rate: 5 query errors in a row (limit 4)"));
  EXPECT_TRUE(Contains(v.reason, "connection refused"));
}

TEST(EvaluateTest, AMeasurementResetsConsecutiveErrorsAndErrorsDoNotCount) {
  MetricSpec spec = ErrorRate();
  spec.count = 2;
  MetricVerdict v = Evaluate(spec, {Down(), Down(), Down(), Down(), Value(0.01), Down(), Down()});
  EXPECT_EQ(v.outcome, Outcome::kRunning);  // 1 of 2: errors are not measurements
  EXPECT_EQ(v.errors, 6u);
  EXPECT_EQ(v.consecutive_errors, 2u);
  EXPECT_EQ(v.measured, 1u);
}

TEST(EvaluateTest, CountZeroRunsUntilADecision) {
  MetricSpec spec = ErrorRate();
  spec.count = 0;
  EXPECT_EQ(Evaluate(spec, std::vector<Measurement>(50, Value(0.01))).outcome, Outcome::kRunning);
  EXPECT_EQ(Evaluate(spec, {Value(0.01), Value(0.5)}).outcome, Outcome::kFailed);
}

TEST(EvaluateTest, ConsecutiveFailuresCountOnlyRuns) {
  MetricSpec spec = HealthCheckTemplate("api");
  spec.count = 10;
  // Two failures, a pass, two failures: never three in a row.
  MetricVerdict v = Evaluate(spec, {Value(0), Value(0), Value(1), Value(0), Value(0)});
  EXPECT_EQ(v.outcome, Outcome::kRunning);
  EXPECT_EQ(v.failed, 4u);
  EXPECT_EQ(v.consecutive_failed, 2u);

  MetricVerdict failed = Evaluate(spec, {Value(0), Value(1), Value(0), Value(0), Value(0)});
  EXPECT_EQ(failed.outcome, Outcome::kFailed);
  EXPECT_EQ(failed.reason, "health-check: 0 is not >= 1 (3 failed in a row, limit 2)");
}

TEST(CombineTest, Precedence) {
  std::vector<MetricSpec> specs(3);
  specs[0].name = "a";
  specs[1].name = "b";
  specs[2].name = "c";
  auto verdict = [](Outcome o, std::string reason) {
    MetricVerdict v;
    v.outcome = o;
    v.reason = std::move(reason);
    return v;
  };
  MetricVerdict ok = verdict(Outcome::kSuccessful, "a: fine");
  MetricVerdict running = verdict(Outcome::kRunning, "b: running");
  MetricVerdict inconclusive = verdict(Outcome::kInconclusive, "b: no data");
  MetricVerdict failed = verdict(Outcome::kFailed, "c: 0.2 is not < 0.05");

  AnalysisVerdict f = Combine(specs, {ok, inconclusive, failed});
  EXPECT_EQ(f.outcome, Outcome::kFailed);
  EXPECT_EQ(f.reason, "c: 0.2 is not < 0.05");
  EXPECT_EQ(f.metrics.size(), 3u);

  AnalysisVerdict i = Combine(specs, {ok, inconclusive, running});
  EXPECT_EQ(i.outcome, Outcome::kInconclusive);
  EXPECT_EQ(i.reason, "b: no data");

  AnalysisVerdict r = Combine(specs, {ok, running, ok});
  EXPECT_EQ(r.outcome, Outcome::kRunning);
  EXPECT_EQ(r.reason, "b: running");

  AnalysisVerdict s = Combine(specs, {ok, ok, ok});
  EXPECT_EQ(s.outcome, Outcome::kSuccessful);
  EXPECT_EQ(s.reason, "a: fine; a: fine; a: fine");

  AnalysisVerdict missing = Combine(specs, {ok, ok});
  EXPECT_EQ(missing.outcome, Outcome::kRunning);
  EXPECT_EQ(missing.reason, "c: not measured yet");
}

TEST(CombineTest, OverEvaluatedMetrics) {
  MetricSpec health = HealthCheckTemplate("api");
  MetricSpec errors = ErrorRateTemplate("api");
  AnalysisVerdict v =
      Combine({health, errors}, {Evaluate(health, std::vector<Measurement>(5, Value(1))),
                                 Evaluate(errors, {Value(0.01), Value(0.07)})});
  EXPECT_EQ(v.outcome, Outcome::kFailed);
  EXPECT_EQ(v.reason,
            "error-rate: 0.07 meets the failure condition result > 0.05 (1 failed, limit 0)");
  EXPECT_EQ(OutcomeName(v.outcome), "failed");
}

TEST(OutcomeTest, Names) {
  EXPECT_EQ(OutcomeName(Outcome::kRunning), "running");
  EXPECT_EQ(OutcomeName(Outcome::kSuccessful), "successful");
  EXPECT_EQ(OutcomeName(Outcome::kFailed), "failed");
  EXPECT_EQ(OutcomeName(Outcome::kInconclusive), "inconclusive");
}

constexpr std::string_view kHostile = "a\"}) or vector(1) #\\";
constexpr std::string_view kEscaped = R"(a\"}) or vector(1) #\\)";

TEST(TemplateTest, QueriesEscapeAHostileServiceName) {
  EXPECT_EQ(EscapePromQlString(kHostile), kEscaped);
  EXPECT_EQ(EscapePromQlString("a\nb"), "a\\nb");
  const std::string label = "service=\"" + std::string(kEscaped) + "\"";
  for (const MetricSpec& spec : {ErrorRateTemplate(kHostile), LatencyP95Template(kHostile, 0.5),
                                 HealthCheckTemplate(kHostile)}) {
    EXPECT_TRUE(Contains(spec.query, label)) << spec.name;
    EXPECT_FALSE(Contains(spec.query, std::string(kHostile) + "\"")) << spec.name;
  }
  EXPECT_EQ(ErrorRateTemplate("checkout").query,
            "sum(rate(http_requests_total{service=\"checkout\",code=~\"5..\"}[1m])) / "
            "sum(rate(http_requests_total{service=\"checkout\"}[1m]))");
  EXPECT_EQ(HealthCheckTemplate("checkout").query, "min(up{service=\"checkout\"})");
}

TEST(TemplateTest, ErrorRateFailsAboveFivePercent) {
  MetricSpec spec = ErrorRateTemplate("checkout");
  ASSERT_TRUE(spec.failure.has_value());
  EXPECT_EQ(spec.failure->op, Comparison::kGreater);
  EXPECT_DOUBLE_EQ(spec.failure->threshold, 0.05);
  EXPECT_FALSE(spec.success.has_value());
  EXPECT_EQ(spec.no_data, NoDataPolicy::kInconclusive);
  EXPECT_EQ(Judge(spec, Value(0.05)).outcome, Outcome::kSuccessful);
  EXPECT_EQ(Judge(spec, Value(0.051)).outcome, Outcome::kFailed);
  EXPECT_EQ(Judge(spec, Value(NAN)).outcome, Outcome::kInconclusive);  // no traffic: 0/0
}

TEST(TemplateTest, LatencyFailsAboveOnePointTwoTimesStable) {
  MetricSpec spec = LatencyP95Template("checkout", 0.5);
  ASSERT_TRUE(spec.failure.has_value());
  EXPECT_EQ(spec.failure->op, Comparison::kGreater);
  EXPECT_DOUBLE_EQ(spec.failure->threshold, 0.6);
  EXPECT_TRUE(Contains(spec.query, "histogram_quantile(0.95"));
  EXPECT_EQ(Judge(spec, Value(0.59)).outcome, Outcome::kSuccessful);
  EXPECT_EQ(Judge(spec, Value(0.61)).outcome, Outcome::kFailed);
}

TEST(TemplateTest, HealthCheckFailsOnTheThirdConsecutiveFailure) {
  MetricSpec spec = HealthCheckTemplate("checkout");
  ASSERT_TRUE(spec.success.has_value());
  EXPECT_EQ(spec.success->op, Comparison::kGreaterOrEqual);
  EXPECT_DOUBLE_EQ(spec.success->threshold, 1);
  EXPECT_EQ(spec.failure_limit, 2u);
  EXPECT_TRUE(spec.consecutive_failures);
  EXPECT_EQ(Evaluate(spec, {Value(0), Value(0)}).outcome, Outcome::kRunning);
  MetricVerdict v = Evaluate(spec, {Value(0), Value(0), Value(0)});
  EXPECT_EQ(v.outcome, Outcome::kFailed);
  EXPECT_EQ(v.measured, 3u);
}

}  // namespace
}  // namespace slipway::analysis
