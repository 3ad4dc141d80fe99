// The DORA metrics against a real PostgreSQL server (one cluster for the suite, a private
// migrated database per test) over rows with known timestamps, and their text exposition.
#include "libs/dora/dora.h"

#include <fmt/format.h>

#include <atomic>
#include <map>
#include <optional>
#include <regex>
#include <sstream>

#include "gtest/gtest.h"
#include "libs/core/ids.h"
#include "libs/store/store.h"
#include "tests/harness/database.h"

namespace slipway::dora {
namespace {

using std::chrono::hours;
using std::chrono::seconds;
using Clock = std::chrono::system_clock;

// 2024-03-01T00:00:00Z; every row below is placed relative to it.
const Clock::time_point kT0 = Clock::time_point(seconds(1709251200));
constexpr const char* kT0Sql = "timestamptz '2024-03-01 00:00:00+00'";
constexpr int64_t kHour = 3600;

std::string At(std::optional<int64_t> offset_s) {
  if (!offset_s) return "NULL";
  return fmt::format("{} + interval '{} seconds'", kT0Sql, *offset_s);
}

class DoraTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto pool = testing::NewMigratedDatabase("dora", 16);
    ASSERT_TRUE(pool.ok()) << pool.status();
    pool_ = std::move(*pool);
  }

  absl::Status Run(const std::function<void(pqxx::work&)>& fn) {
    return pool_->Transact([&](pqxx::work& tx) {
      fn(tx);
      return absl::OkStatus();
    });
  }

  // A deployment whose recommendation arrived at T0 + created_s: only the NOT NULL columns.
  std::string Deployment(int64_t created_s) {
    const std::string id = NewUuid();
    EXPECT_TRUE(Run([&](pqxx::work& tx) {
                  tx.exec_params(
                      fmt::format("INSERT INTO deployments (id, repository, mode, status, "
                                  "recommendation, trace_id, created_at) "
                                  "VALUES ($1, 'example/repo', 0, 0, ''::bytea, 't', {})",
                                  At(created_s)),
                      id);
                }).ok());
    return id;
  }

  struct Release {
    std::string deployment;
    std::string target = "api";
    std::string environment = "production";
    std::string kind = "release";
    std::string status = "succeeded";
    std::optional<int64_t> finished_s = std::nullopt, breach_s = std::nullopt,
                           restored_s = std::nullopt;
  };

  void Insert(const Release& r) {
    ASSERT_TRUE(
        Run([&](pqxx::work& tx) {
          tx.exec_params(
              fmt::format("INSERT INTO releases (id, deployment_id, environment, target, kind, "
                          "strategy, version, status, config, finished_at, breach_at, restored_at) "
                          "VALUES ($1, $2, $3, $4, $5, 'canary', 'abc123', $6, '{{}}', {}, {}, {})",
                          At(r.finished_s), At(r.breach_s), At(r.restored_s)),
              NewUuid(), r.deployment, r.environment, r.target, r.kind, r.status);
        }).ok());
  }

  // A successful release finished at T0 + finished_s whose recommendation arrived lead_s
  // earlier.
  void Succeeded(const std::string& target, const std::string& environment, int64_t finished_s,
                 int64_t lead_s) {
    Insert({.deployment = Deployment(finished_s - lead_s),
            .target = target,
            .environment = environment,
            .finished_s = finished_s});
  }

  // The fixture every figure below is computed from (window [T0, T0 + 48h) unless a test says
  // otherwise).
  void InsertHistory() {
    // production/api, inside the window: three successes (one exactly at `since`), lead times
    // 1h, 2h, 4h...
    Succeeded("api", "production", 0, 1 * kHour);
    Succeeded("api", "production", 20 * kHour, 2 * kHour);
    const std::string third = Deployment(30 * kHour - 4 * kHour);
    Insert({.deployment = third, .finished_s = 30 * kHour});
    // ...and one rolled back (its lead time does not count), restored 300 s after the breach.
    Insert({.deployment = Deployment(-60 * kHour),
            .status = "rolled-back",
            .finished_s = 40 * kHour,
            .breach_s = 39 * kHour,
            .restored_s = 39 * kHour + 300});
    // A rollback of the third release: not a release, but its restore (600 s) counts.
    Insert({.deployment = third,
            .kind = "rollback",
            .finished_s = 41 * kHour,
            .breach_s = 41 * kHour,
            .restored_s = 41 * kHour + 600});
    // Outside the window: one second before `since`, exactly at `until`; one still running.
    Succeeded("api", "production", -1, 1);
    Succeeded("api", "production", 48 * kHour, 3 * kHour);
    Insert({.deployment = Deployment(10 * kHour), .status = "progressing"});
    // Another environment: a success (lead 30 min) and a restore of 10000 s.
    Insert({.deployment = Deployment(5 * kHour - 1800),
            .environment = "staging",
            .finished_s = 5 * kHour,
            .breach_s = 6 * kHour,
            .restored_s = 6 * kHour + 10000});
    // Another target: a success (lead 8h) and a failure restored after 900 s.
    Succeeded("web", "production", 12 * kHour, 8 * kHour);
    Insert({.deployment = Deployment(0),
            .target = "web",
            .status = "failed",
            .finished_s = 13 * kHour,
            .breach_s = 12 * kHour,
            .restored_s = 12 * kHour + 900});
  }

  Metrics MustCompute(const Query& q) {
    absl::StatusOr<Metrics> m = absl::UnknownError("not run");
    absl::Status st = pool_->Transact([&](pqxx::work& tx) {
      m = Compute(tx, q);
      return m.status();
    });
    EXPECT_TRUE(st.ok()) << st;
    return m.ok() ? *m : Metrics{};
  }

  std::unique_ptr<store::ConnectionPool> pool_;
};

Query Window(std::string environment, std::string target, Clock::time_point since,
             Clock::time_point until) {
  return Query{std::move(environment), std::move(target), since, until};
}

TEST_F(DoraTest, ComputesEveryFigureForOneTarget) {
  InsertHistory();
  Metrics m = MustCompute(Window("production", "api", kT0, kT0 + hours(48)));
  EXPECT_EQ(m.releases, 4);
  EXPECT_EQ(m.successful, 3);
  EXPECT_EQ(m.failed, 1);
  EXPECT_DOUBLE_EQ(m.deployments_per_day, 1.5);
  EXPECT_DOUBLE_EQ(m.change_failure_rate, 0.25);
  // Lead times 3600, 7200, 14400: median 7200; p90 at rank 1.8 = 7200 + 0.8 * 7200.
  EXPECT_DOUBLE_EQ(m.lead_time_median_s, 7200);
  EXPECT_DOUBLE_EQ(m.lead_time_p90_s, 12960);
  // Restores 300 (the rolled-back release) and 600 (the rollback).
  EXPECT_EQ(m.restores, 2);
  EXPECT_DOUBLE_EQ(m.time_to_restore_median_s, 450);
  EXPECT_DOUBLE_EQ(m.time_to_restore_p90_s, 570);
}

TEST_F(DoraTest, EmptyTargetMeansEveryTarget) {
  InsertHistory();
  Metrics m = MustCompute(Window("production", "", kT0, kT0 + hours(48)));
  EXPECT_EQ(m.releases, 6);
  EXPECT_EQ(m.successful, 4);
  EXPECT_EQ(m.failed, 2);
  EXPECT_DOUBLE_EQ(m.deployments_per_day, 2.0);
  EXPECT_DOUBLE_EQ(m.change_failure_rate, 2.0 / 6.0);
  // 3600, 7200, 14400, 28800: median 10800; p90 at rank 2.7 = 14400 + 0.7 * 14400.
  EXPECT_DOUBLE_EQ(m.lead_time_median_s, 10800);
  EXPECT_DOUBLE_EQ(m.lead_time_p90_s, 24480);
  // 300, 600, 900: median 600; p90 at rank 1.8 = 600 + 0.8 * 300.
  EXPECT_EQ(m.restores, 3);
  EXPECT_DOUBLE_EQ(m.time_to_restore_median_s, 600);
  EXPECT_DOUBLE_EQ(m.time_to_restore_p90_s, 840);

  Metrics web = MustCompute(Window("production", "web", kT0, kT0 + hours(48)));
  EXPECT_EQ(web.releases, 2);
  EXPECT_EQ(web.successful, 1);
  EXPECT_DOUBLE_EQ(web.change_failure_rate, 0.5);
  EXPECT_DOUBLE_EQ(web.lead_time_median_s, 28800);
  EXPECT_DOUBLE_EQ(web.time_to_restore_p90_s, 900);
}

TEST_F(DoraTest, EnvironmentFilter) {
  InsertHistory();
  Metrics m = MustCompute(Window("staging", "", kT0, kT0 + hours(48)));
  EXPECT_EQ(m.releases, 1);
  EXPECT_EQ(m.successful, 1);
  EXPECT_EQ(m.failed, 0);
  EXPECT_DOUBLE_EQ(m.change_failure_rate, 0.0);
  EXPECT_DOUBLE_EQ(m.deployments_per_day, 0.5);
  EXPECT_DOUBLE_EQ(m.lead_time_median_s, 1800);
  EXPECT_DOUBLE_EQ(m.lead_time_p90_s, 1800);
  EXPECT_EQ(m.restores, 1);
  EXPECT_DOUBLE_EQ(m.time_to_restore_median_s, 10000);
  EXPECT_DOUBLE_EQ(m.time_to_restore_p90_s, 10000);

  Metrics none = MustCompute(Window("qa", "", kT0, kT0 + hours(48)));
  EXPECT_EQ(none.releases, 0);
  EXPECT_EQ(none.restores, 0);
}

TEST_F(DoraTest, WindowsOfAnyLength) {
  InsertHistory();
  // Six hours: only the release finished exactly at `since`; a quarter of a day.
  Metrics six = MustCompute(Window("production", "api", kT0, kT0 + hours(6)));
  EXPECT_EQ(six.releases, 1);
  EXPECT_DOUBLE_EQ(six.deployments_per_day, 4.0);
  EXPECT_DOUBLE_EQ(six.lead_time_median_s, 3600);
  EXPECT_DOUBLE_EQ(six.lead_time_p90_s, 3600);
  EXPECT_EQ(six.restores, 0);
  EXPECT_TRUE(std::isnan(six.time_to_restore_median_s));

  // Thirty days around the history: the releases one second before and exactly at the end
  // of the two-day window now count. Lead times 1, 3600, 7200, 10800, 14400.
  Metrics month =
      MustCompute(Window("production", "api", kT0 - hours(24 * 15), kT0 + hours(24 * 15)));
  EXPECT_EQ(month.releases, 6);
  EXPECT_EQ(month.successful, 5);
  EXPECT_DOUBLE_EQ(month.deployments_per_day, 5.0 / 30.0);
  EXPECT_DOUBLE_EQ(month.change_failure_rate, 1.0 / 6.0);
  EXPECT_DOUBLE_EQ(month.lead_time_median_s, 7200);
  EXPECT_DOUBLE_EQ(month.lead_time_p90_s, 12960);  // rank 3.6 = 10800 + 0.6 * 3600

  // One second, ending just before the release at `until` of the two-day window.
  Metrics second =
      MustCompute(Window("production", "api", kT0 + hours(48) - seconds(1), kT0 + hours(48)));
  EXPECT_EQ(second.releases, 0);
  Metrics next =
      MustCompute(Window("production", "api", kT0 + hours(48), kT0 + hours(48) + seconds(1)));
  EXPECT_EQ(next.releases, 1);
  EXPECT_DOUBLE_EQ(next.deployments_per_day, 86400.0);
}

TEST_F(DoraTest, EmptyWindowGivesZeroCountsAndNaN) {
  InsertHistory();
  Metrics m = MustCompute(Window("production", "", kT0 + hours(24 * 100), kT0 + hours(24 * 101)));
  EXPECT_EQ(m.releases, 0);
  EXPECT_EQ(m.successful, 0);
  EXPECT_EQ(m.failed, 0);
  EXPECT_EQ(m.restores, 0);
  EXPECT_EQ(m.deployments_per_day, 0.0);
  EXPECT_TRUE(std::isnan(m.change_failure_rate));
  EXPECT_TRUE(std::isnan(m.lead_time_median_s));
  EXPECT_TRUE(std::isnan(m.lead_time_p90_s));
  EXPECT_TRUE(std::isnan(m.time_to_restore_median_s));
  EXPECT_TRUE(std::isnan(m.time_to_restore_p90_s));
}

TEST_F(DoraTest, RejectsAnEmptyEnvironmentAndABackwardsWindow) {
  absl::Status st = Run([&](pqxx::work& tx) {
    auto backwards = Compute(tx, Window("production", "", kT0, kT0));
    EXPECT_EQ(backwards.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(backwards.status().message().find("until must be after since"), std::string::npos)
        << backwards.status();
    auto no_env = Compute(tx, Window("", "", kT0, kT0 + hours(1)));
    EXPECT_EQ(no_env.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(no_env.status().message().find("environment"), std::string::npos) << no_env.status();
  });
  EXPECT_TRUE(st.ok()) << st;
}

// Sample lines of an exposition: "name{labels}" -> value text. Fails the test on a line that
// is neither a comment nor a well-formed sample.
std::map<std::string, std::string> Samples(const std::string& text) {
  static const std::regex kSample(
      R"re(^([a-z_]+)\{((?:[a-z_]+="(?:[^"\\\n]|\\.)*",?)*)\} (\S+)$)re");
  std::map<std::string, std::string> out;
  std::istringstream in(text);
  std::string line, last_type;
  while (std::getline(in, line)) {
    if (line.rfind("# TYPE ", 0) == 0) {
      last_type = line;
      continue;
    }
    if (line.rfind("# HELP ", 0) == 0) continue;
    std::smatch m;
    EXPECT_TRUE(std::regex_match(line, m, kSample)) << "not a sample line: " << line;
    if (m.empty()) continue;
    EXPECT_EQ(last_type, "# TYPE " + m[1].str() + " gauge") << line;
    out[line.substr(0, line.rfind(' '))] = m[3].str();
  }
  return out;
}

double Value(const std::map<std::string, std::string>& samples, const std::string& key) {
  auto it = samples.find(key);
  EXPECT_NE(it, samples.end()) << "no sample " << key;
  return it == samples.end() ? -1 : std::strtod(it->second.c_str(), nullptr);
}

TEST_F(DoraTest, PrometheusTextCarriesTheComputedFigures) {
  InsertHistory();
  const Query q = Window("production", "api", kT0, kT0 + hours(48));
  const std::string text = ToPrometheusText(MustCompute(q), q);
  auto s = Samples(text);
  EXPECT_EQ(s.size(), 9u);
  const std::string l = R"(environment="production",target="api")";
  EXPECT_EQ(Value(s, "slipway_dora_deployments_per_day{" + l + "}"), 1.5);
  EXPECT_EQ(Value(s, "slipway_dora_lead_time_seconds{" + l + R"(,quantile="0.5"})"), 7200);
  EXPECT_EQ(Value(s, "slipway_dora_lead_time_seconds{" + l + R"(,quantile="0.9"})"), 12960);
  EXPECT_EQ(Value(s, "slipway_dora_change_failure_rate{" + l + "}"), 0.25);
  EXPECT_EQ(Value(s, "slipway_dora_time_to_restore_seconds{" + l + R"(,quantile="0.5"})"), 450);
  EXPECT_EQ(Value(s, "slipway_dora_time_to_restore_seconds{" + l + R"(,quantile="0.9"})"), 570);
  EXPECT_EQ(Value(s, "slipway_dora_restores_total{" + l + "}"), 2);
  EXPECT_EQ(Value(s, "slipway_dora_releases_total{" + l + R"(,status="succeeded"})"), 3);
  EXPECT_EQ(Value(s, "slipway_dora_releases_total{" + l + R"(,status="failed"})"), 1);
  EXPECT_NE(text.find("\nslipway_dora_change_failure_rate{" + l + "} 0.25\n"), std::string::npos)
      << text;
}

TEST(DoraTextTest, WritesNaNAndEscapesLabelValues) {
  const Query q{"prod \"eu\"", "we\\ird\nname", Clock::time_point(), Clock::time_point()};
  const std::string text = ToPrometheusText(Metrics{}, q);
  auto s = Samples(text);
  EXPECT_EQ(s.size(), 9u);
  const std::string l = R"(environment="prod \"eu\"",target="we\\ird\nname")";
  EXPECT_NE(text.find("slipway_dora_change_failure_rate{" + l + "} NaN\n"), std::string::npos)
      << text;
  EXPECT_TRUE(std::isnan(Value(s, "slipway_dora_lead_time_seconds{" + l + R"(,quantile="0.9"})")));
  EXPECT_EQ(s.at("slipway_dora_deployments_per_day{" + l + "}"), "0");
  EXPECT_EQ(s.at("slipway_dora_releases_total{" + l + R"(,status="failed"})"), "0");
  // The raw newline never reaches the output: every line is a comment or a sample.
  EXPECT_EQ(text.find("\nname"), std::string::npos);
}

}  // namespace
}  // namespace slipway::dora
