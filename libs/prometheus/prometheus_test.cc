// The Prometheus client against a real Prometheus (tests/harness/prometheus_server.h) scraping
// two versions of the test app (tests/harness/test_app.cc) that were sent a known number of
// requests, so every figure a query returns is known exactly.
#include "libs/prometheus/prometheus.h"

#include <httplib.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/harness/git_daemon.h"
#include "tests/harness/harness.h"
#include "tests/harness/prometheus_server.h"
#include "tests/harness/test_app_launcher.h"
#include "tests/harness/traffic.h"

namespace slipway::prometheus {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using ::testing::DoubleEq;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using testing::PrometheusServer;
using testing::ScrapeTarget;
using testing::StartTestApp;
using testing::TempDir;
using testing::TestApp;
using testing::Traffic;
using testing::WaitFor;

using Clock = std::chrono::system_clock;

constexpr int kStableRequests = 10;  // v1, error rate 0
constexpr int kCanaryRequests = 20;  // v2, error rate 0.25: exactly 5 of them fail
constexpr int kCanaryLatencyMs = 30;
constexpr char kToken[] = "prom-test-token-0123456789";

// Sends `count` GET / to the app; returns how many were answered.
int SendRequests(const TestApp& app, int count) {
  httplib::Client client("127.0.0.1", app.port);
  int answered = 0;
  for (int i = 0; i < count; ++i) answered += client.Get("/") ? 1 : 0;
  return answered;
}

std::string ErrorOf(const absl::StatusOr<std::vector<double>>& result) {
  return result.ok() ? "ok" : std::string(result.status().message());
}

// One Prometheus for the suite: its first scrape takes 5 to 6 s.
struct Landscape {
  std::unique_ptr<TempDir> dir;
  TestApp stable, canary;
  std::unique_ptr<PrometheusServer> prometheus;
  Clock::time_point started;
  std::string error;  // empty when everything is up and scraped
};

class PrometheusClientTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    land_ = new Landscape;
    Landscape& land = *land_;
    land.started = Clock::now();
    land.dir = std::make_unique<TempDir>("slipway-prometheus");
    land.stable = StartTestApp(land.dir->path(), "v1", 0);
    land.canary = StartTestApp(land.dir->path(), "v2", 0.25,
                               {"--latency-ms", std::to_string(kCanaryLatencyMs)});
    if (!land.stable.ok() || !land.canary.ok()) {
      land.error = "test app: " + land.stable.error + land.canary.error;
      return;
    }
    // Before Prometheus starts, so that every scrape sees the same counters.
    if (SendRequests(land.stable, kStableRequests) != kStableRequests ||
        SendRequests(land.canary, kCanaryRequests) != kCanaryRequests) {
      land.error = "the test app did not answer every request";
      return;
    }
    land.prometheus = std::make_unique<PrometheusServer>(
        land.dir->path(),
        std::vector<ScrapeTarget>{
            {land.stable.address(), {{"service", "shop"}, {"version", "v1"}}},
            {land.canary.address(), {{"service", "shop"}, {"version", "v2"}}}},
        milliseconds(500));
    if (!land.prometheus->ok()) {
      land.error = land.prometheus->error();
      return;
    }
    // Two scrapes each: rate() needs two samples.
    if (!land.prometheus->WaitForScrapes(2, seconds(20))) {
      land.error = "Prometheus did not scrape both apps twice within 20 s";
    }
  }

  static void TearDownTestSuite() {
    delete land_;
    land_ = nullptr;
  }

  void SetUp() override { ASSERT_TRUE(land_->error.empty()) << land_->error; }

  static Client MakeClient() {
    return Client(ClientOptions{land_->prometheus->url(), milliseconds(5000), kToken});
  }

  static Landscape* land_;
};

Landscape* PrometheusClientTest::land_ = nullptr;

TEST_F(PrometheusClientTest, VectorGivesOneValuePerSeries) {
  const Client client = MakeClient();

  auto errors = client.Query(R"(sort(http_requests_total{service="shop", code="500"}))");
  ASSERT_TRUE(errors.ok()) << errors.status();
  EXPECT_THAT(*errors, ElementsAre(0, 5));

  auto requests = client.Query(R"(sort_desc(sum by (version) (http_requests_total)))");
  ASSERT_TRUE(requests.ok()) << requests.status();
  EXPECT_THAT(*requests, ElementsAre(kCanaryRequests, kStableRequests));

  // The version label comes from the scrape configuration, not from the app.
  auto canary_ok = client.Query(R"(http_requests_total{version="v2", code="200"})");
  ASSERT_TRUE(canary_ok.ok()) << canary_ok.status();
  EXPECT_THAT(*canary_ok, ElementsAre(15));
}

TEST_F(PrometheusClientTest, ScalarGivesItsOneValue) {
  auto total = MakeClient().Query(R"(scalar(sum(http_requests_total{code="500"})))");
  ASSERT_TRUE(total.ok()) << total.status();
  EXPECT_THAT(*total, ElementsAre(5));
}

TEST_F(PrometheusClientTest, HistogramShowsTheCanarysLatency) {
  const Client client = MakeClient();
  auto median = [](const std::string& version) {
    return "histogram_quantile(0.5, sum by (le) (http_request_duration_seconds_bucket{version=\"" +
           version + "\"}))";
  };
  auto stable = client.Query(median("v1"));
  auto canary = client.Query(median("v2"));
  ASSERT_TRUE(stable.ok()) << stable.status();
  ASSERT_TRUE(canary.ok()) << canary.status();
  ASSERT_EQ(stable->size(), 1u);
  ASSERT_EQ(canary->size(), 1u);
  // Every canary request slept 30 ms: none fell in the buckets up to 25 ms.
  EXPECT_GE(canary->front(), 0.025);
  EXPECT_LT(stable->front(), canary->front());

  auto count = client.Query(R"(http_request_duration_seconds_count{version="v2"})");
  ASSERT_TRUE(count.ok()) << count.status();
  EXPECT_THAT(*count, ElementsAre(kCanaryRequests));
}

TEST_F(PrometheusClientTest, NoMatchingSeriesIsAnEmptyVector) {
  auto none = MakeClient().Query(R"(http_requests_total{version="v9"})");
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_THAT(*none, IsEmpty());
}

TEST_F(PrometheusClientTest, NaNAndInfinitiesParse) {
  const Client client = MakeClient();

  auto nan = client.Query("0/0");
  ASSERT_TRUE(nan.ok()) << nan.status();
  ASSERT_EQ(nan->size(), 1u);
  EXPECT_TRUE(std::isnan(nan->front()));

  auto infinities = client.Query(
      "sort(vector(1)/0 or label_replace(vector(-1)/0, \"n\", "
      "\"minus\", \"\", \"\"))");
  ASSERT_TRUE(infinities.ok()) << infinities.status();
  EXPECT_THAT(*infinities, ElementsAre(-INFINITY, INFINITY));

  // The error rate of a version that had no traffic since Prometheus started: 0/0.
  auto idle_error_rate =
      client.Query(R"(sum(rate(http_requests_total{version="v1", code="500"}[1m])))"
                   R"( / sum(rate(http_requests_total{version="v1"}[1m])))");
  ASSERT_TRUE(idle_error_rate.ok()) << idle_error_rate.status();
  ASSERT_EQ(idle_error_rate->size(), 1u);
  EXPECT_TRUE(std::isnan(idle_error_rate->front()));
}

TEST_F(PrometheusClientTest, BadPromQLIsInvalidArgumentWithPrometheussMessage) {
  auto bad = MakeClient().Query("sum(http_requests_total");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument) << bad.status();
  EXPECT_THAT(ErrorOf(bad), HasSubstr("bad_data"));
  EXPECT_THAT(ErrorOf(bad), HasSubstr("unclosed left parenthesis"));
  EXPECT_THAT(ErrorOf(bad), HasSubstr("\"sum(http_requests_total\""));
  EXPECT_THAT(ErrorOf(bad), HasSubstr(land_->prometheus->url() + "/api/v1/query"));
}

TEST_F(PrometheusClientTest, FailedEvaluationIsInvalidArgument) {
  // Both sides hold two series with the same (empty) matching labels.
  auto bad = MakeClient().Query("http_requests_total + on() http_requests_total");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument) << bad.status();
  EXPECT_THAT(ErrorOf(bad), HasSubstr("HTTP 422 execution"));
}

TEST_F(PrometheusClientTest, RangeVectorAndStringAreRefused) {
  const Client client = MakeClient();
  auto matrix = client.Query("http_requests_total[1m]");
  ASSERT_FALSE(matrix.ok());
  EXPECT_EQ(matrix.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(ErrorOf(matrix), HasSubstr("range vector (matrix)"));
  EXPECT_THAT(ErrorOf(matrix), HasSubstr("an instant vector or scalar is needed"));

  auto text = client.Query("\"a string\"");
  ASSERT_FALSE(text.ok());
  EXPECT_EQ(text.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(ErrorOf(text), HasSubstr("gives a string"));
}

TEST_F(PrometheusClientTest, TimeParameterIsHonoured) {
  const Client client = MakeClient();
  constexpr char kTotal[] = "sum(http_requests_total)";

  auto now = client.Query(kTotal, Clock::now());
  ASSERT_TRUE(now.ok()) << now.status();
  EXPECT_THAT(*now, ElementsAre(kStableRequests + kCanaryRequests));

  // Beyond the 5 minute lookback before the apps started: nothing was scraped yet.
  auto before = client.Query(kTotal, land_->started - std::chrono::minutes(10));
  ASSERT_TRUE(before.ok()) << before.status();
  EXPECT_THAT(*before, IsEmpty());

  // time() is the evaluation instant, to the millisecond.
  const Clock::time_point at{milliseconds(1'700'000'000'123)};
  auto evaluated_at = client.Query("time()", at);
  ASSERT_TRUE(evaluated_at.ok()) << evaluated_at.status();
  EXPECT_THAT(*evaluated_at, ElementsAre(DoubleEq(1'700'000'000.123)));
}

TEST_F(PrometheusClientTest, MeasureFoldsTheQueryIntoAMeasurement) {
  const Client client = MakeClient();
  const analysis::Measurement errors = client.Measure(R"(sum(http_requests_total{code="500"}))");
  EXPECT_TRUE(errors.error.ok()) << errors.error;
  EXPECT_THAT(errors.values, ElementsAre(5));

  const analysis::Measurement bad = client.Measure("sum(");
  EXPECT_EQ(bad.error.code(), absl::StatusCode::kInvalidArgument) << bad.error;
  EXPECT_THAT(bad.values, IsEmpty());
}

TEST_F(PrometheusClientTest, OneClientServesManyThreads) {
  const Client client = MakeClient();
  std::vector<std::thread> threads;
  std::atomic<int> right{0};
  constexpr int kThreads = 4, kQueries = 25;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kQueries; ++i) {
        auto total = client.Query("sum(http_requests_total)");
        if (total.ok() && *total == std::vector<double>{kStableRequests + kCanaryRequests}) {
          ++right;
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(right, kThreads * kQueries);
}

TEST_F(PrometheusClientTest, ReadyWhenServing) { EXPECT_TRUE(MakeClient().Ready().ok()); }

TEST_F(PrometheusClientTest, WrongPathPrefixIsNotFound) {
  const Client client(ClientOptions{land_->prometheus->url() + "/prometheus/", seconds(5), ""});
  auto result = client.Query("up");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kNotFound) << result.status();
  EXPECT_THAT(ErrorOf(result), HasSubstr(land_->prometheus->url() + "/prometheus/api/v1/query"));
}

TEST(PrometheusClientOptionsTest, BadOptionsAreReportedByEveryCall) {
  const Client ftp(ClientOptions{"ftp://127.0.0.1:9090", seconds(1), ""});
  EXPECT_EQ(ftp.Query("up").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(ftp.Ready().message()), HasSubstr("base_url \"ftp://127.0.0.1:9090\""));

  const Client no_time(ClientOptions{"http://127.0.0.1:9090", milliseconds(0), ""});
  EXPECT_THAT(std::string(no_time.Query("up").status().message()), HasSubstr("timeout is 0 ms"));

  const Client bad_token(ClientOptions{"http://127.0.0.1:9090", seconds(1), "a\r\nX-Evil: 1"});
  EXPECT_EQ(bad_token.Measure("up").error.code(), absl::StatusCode::kInvalidArgument);
}

// A Prometheus of its own for each of these: they stop, pause or misconfigure it.
class PrometheusOutageTest : public ::testing::Test {
 protected:
  void Start(const std::string& extra_config = "") {
    prometheus_ = std::make_unique<PrometheusServer>(dir_.path(), std::vector<ScrapeTarget>{},
                                                     seconds(1), extra_config);
    ASSERT_TRUE(prometheus_->ok()) << prometheus_->error();
  }

  TempDir dir_{"slipway-prometheus-outage"};
  std::unique_ptr<PrometheusServer> prometheus_;
};

TEST_F(PrometheusOutageTest, StoppedPrometheusIsUnavailable) {
  ASSERT_NO_FATAL_FAILURE(Start());
  const Client client(ClientOptions{prometheus_->url(), seconds(5), kToken});
  ASSERT_TRUE(client.Query("vector(1)").ok());

  prometheus_->Stop();
  auto result = client.Query("vector(1)");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kUnavailable) << result.status();
  EXPECT_THAT(ErrorOf(result), HasSubstr(prometheus_->url() + "/api/v1/query"));
  EXPECT_THAT(ErrorOf(result), Not(HasSubstr(kToken)));

  const analysis::Measurement measured = client.Measure("vector(1)");
  EXPECT_EQ(measured.error.code(), absl::StatusCode::kUnavailable);
  const absl::Status ready = client.Ready();
  EXPECT_EQ(ready.code(), absl::StatusCode::kUnavailable) << ready;
  EXPECT_THAT(std::string(ready.message()), HasSubstr(prometheus_->url() + "/-/ready"));
}

TEST_F(PrometheusOutageTest, HungPrometheusTimesOutAsUnavailable) {
  ASSERT_NO_FATAL_FAILURE(Start());
  const Client client(ClientOptions{prometheus_->url(), milliseconds(300), ""});
  prometheus_->Pause();
  auto result = client.Query("vector(1)");
  prometheus_->Resume();
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kUnavailable) << result.status();
  EXPECT_THAT(ErrorOf(result), HasSubstr("no answer within 300 ms"));
  EXPECT_THAT(ErrorOf(result), HasSubstr(prometheus_->url()));

  // It answers again once resumed.
  auto again = client.Query("vector(1)");
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_THAT(*again, ElementsAre(1));
}

TEST_F(PrometheusOutageTest, WarningsDoNotFailTheQuery) {
  // A remote store that refuses connections turns every selector's read into a warning.
  const int refused = testing::FreeLoopbackPort();
  ASSERT_NO_FATAL_FAILURE(Start("remote_read:\n  - url: http://127.0.0.1:" +
                                std::to_string(refused) + "/api/v1/read\n    read_recent: true\n"));
  httplib::Client raw("127.0.0.1", prometheus_->port());
  httplib::Result answer = raw.Get("/api/v1/query?query=prometheus_build_info");
  ASSERT_TRUE(answer);
  ASSERT_THAT(answer->body, HasSubstr("\"warnings\""));  // the premise of this test

  auto result = Client(ClientOptions{prometheus_->url(), seconds(5), ""})
                    .Query("count(prometheus_build_info) or vector(0)");
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->size(), 1u);
}

// base_url pointing at some other web server: a page instead of Prometheus's JSON.
TEST(PrometheusClientElsewhereTest, AnswerThatIsNotPrometheusJsonIsInternal) {
  const std::filesystem::path python = "/usr/bin/python3";
  if (!std::filesystem::exists(python)) GTEST_SKIP() << "no " << python;
  TempDir dir("slipway-not-prometheus");
  const std::string page = "<!DOCTYPE html><html><head><title>Welcome</title></head><body>" +
                           std::string(300, 'x') + "</body></html>\n";
  testing::WriteFile(dir.path() / "www" / "api" / "v1" / "query", page);
  const int port = testing::FreeLoopbackPort();
  testing::ChildProcess server({python.string(), "-m", "http.server", "--bind", "127.0.0.1",
                                "--directory", (dir.path() / "www").string(), std::to_string(port)},
                               {}, dir.path() / "http-server.log");
  const std::string base_url = "http://127.0.0.1:" + std::to_string(port);
  const Client client(ClientOptions{base_url, seconds(5), ""});
  absl::StatusOr<std::vector<double>> result;
  ASSERT_TRUE(WaitFor(
      [&] {
        result = client.Query("up");
        return result.status().code() != absl::StatusCode::kUnavailable;
      },
      seconds(10)))
      << server.Output();
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInternal) << result.status();
  EXPECT_THAT(ErrorOf(result), HasSubstr(base_url + "/api/v1/query"));
  EXPECT_THAT(ErrorOf(result), HasSubstr(page.substr(0, 200) + "..."));
  EXPECT_THAT(ErrorOf(result), Not(HasSubstr(page.substr(0, 201))));
}

// The harness's stand-in for a user's service, seen through Traffic.
TEST(TestAppTest, FailsExactlyAtItsErrorRateAndFollowsTheRateFile) {
  TempDir dir("slipway-test-app");
  const std::filesystem::path rate_file = dir.path() / "error-rate";
  TestApp app = StartTestApp(dir.path(), "v5", 0, {"--error-rate-file", rate_file.string()});
  ASSERT_TRUE(app.ok()) << app.error;
  Traffic traffic("127.0.0.1", app.port, 200);

  ASSERT_TRUE(WaitFor([&] { return traffic.Since(0).total() >= 10; }, seconds(10)));
  Traffic::Tally healthy = traffic.Last(10);
  EXPECT_EQ(healthy.ok, 10);
  EXPECT_EQ(healthy.by_version["v5"], 10);

  // Every 5th request fails: any 10 in a row hold exactly 2 failures. The first answer after
  // the mark may have been asked before the file changed; the last 10 of 12 were not.
  testing::WriteFile(rate_file, "0.2\n");
  int64_t mark = traffic.Mark();
  ASSERT_TRUE(WaitFor([&] { return traffic.Since(mark).total() >= 12; }, seconds(10)));
  Traffic::Tally degraded = traffic.Last(10);
  EXPECT_EQ(degraded.errors, 2);
  EXPECT_EQ(degraded.ok, 8);
  EXPECT_EQ(degraded.failed, 0);
  EXPECT_EQ(degraded.by_version["v5"], 10);

  testing::WriteFile(rate_file, "1\n");
  mark = traffic.Mark();
  ASSERT_TRUE(WaitFor([&] { return traffic.Since(mark).total() >= 7; }, seconds(10)));
  EXPECT_EQ(traffic.Last(5).errors, 5);

  // SIGTERM ends it cleanly; afterwards nobody answers.
  EXPECT_EQ(app.process->Terminate(), 0) << app.process->Output();
  mark = traffic.Mark();
  ASSERT_TRUE(WaitFor([&] { return traffic.Since(mark).total() >= 3; }, seconds(10)));
  EXPECT_EQ(traffic.Last(2).failed, 2);
}

}  // namespace
}  // namespace slipway::prometheus
