#include "services/tester/go_test_json.h"

#include "gtest/gtest.h"
#include "services/tester/junit.h"

namespace slipway::tester {
namespace {

const v1::TestCase* Find(const v1::TestReport& report, std::string_view name) {
  for (const auto& tc : report.failures())
    if (tc.name() == name) return &tc;
  return nullptr;
}

// Go 1.19: build errors are plain text on stderr, interleaved with the events.
constexpr std::string_view kGo119 =
    R"(# example.com/calc/broken [example.com/calc/broken.test]
broken/b.go:3: cannot use "s" (untyped string constant) as int value in return statement
FAIL	example.com/calc/broken [build failed]
{"Time":"2026-01-01T00:00:00Z","Action":"run","Package":"example.com/calc/calc","Test":"TestAdd"}
{"Time":"2026-01-01T00:00:00Z","Action":"output","Package":"example.com/calc/calc","Test":"TestAdd","Output":"=== RUN   TestAdd\n"}
{"Time":"2026-01-01T00:00:00Z","Action":"output","Package":"example.com/calc/calc","Test":"TestAdd","Output":"--- PASS: TestAdd (0.00s)\n"}
{"Time":"2026-01-01T00:00:00Z","Action":"pass","Package":"example.com/calc/calc","Test":"TestAdd","Elapsed":0}
{"Time":"2026-01-01T00:00:00Z","Action":"run","Package":"example.com/calc/calc","Test":"TestSubFails"}
{"Time":"2026-01-01T00:00:00Z","Action":"output","Package":"example.com/calc/calc","Test":"TestSubFails","Output":"=== RUN   TestSubFails\n"}
{"Time":"2026-01-01T00:00:00Z","Action":"output","Package":"example.com/calc/calc","Test":"TestSubFails","Output":"    calc_test.go:6: Sub(1,2) = -1\n"}
{"Time":"2026-01-01T00:00:00Z","Action":"output","Package":"example.com/calc/calc","Test":"TestSubFails","Output":"--- FAIL: TestSubFails (0.00s)\n"}
{"Time":"2026-01-01T00:00:00Z","Action":"fail","Package":"example.com/calc/calc","Test":"TestSubFails","Elapsed":0.01}
{"Time":"2026-01-01T00:00:00Z","Action":"run","Package":"example.com/calc/calc","Test":"TestSkip"}
{"Time":"2026-01-01T00:00:00Z","Action":"skip","Package":"example.com/calc/calc","Test":"TestSkip","Elapsed":0}
{"Time":"2026-01-01T00:00:00Z","Action":"output","Package":"example.com/calc/calc","Output":"FAIL\n"}
{"Time":"2026-01-01T00:00:00Z","Action":"output","Package":"example.com/calc/calc","Output":"coverage: 75.0% of statements\n"}
{"Time":"2026-01-01T00:00:00Z","Action":"output","Package":"example.com/calc/calc","Output":"FAIL\texample.com/calc/calc\t0.042s\n"}
{"Time":"2026-01-01T00:00:00Z","Action":"fail","Package":"example.com/calc/calc","Elapsed":0.042}
{"Time":"2026-01-01T00:00:00Z","Action":"output","Package":"example.com/calc/empty","Output":"?   \texample.com/calc/empty\t[no test files]\n"}
{"Time":"2026-01-01T00:00:00Z","Action":"skip","Package":"example.com/calc/empty","Elapsed":0}
)";

TEST(GoTestJson, CountsTestsAndNamesFailuresAndBuildErrors) {
  auto run = ParseGoTestJson(kGo119);
  ASSERT_TRUE(run.ok()) << run.status();
  const v1::TestReport& r = run->report;
  EXPECT_EQ(r.total(), 4u);
  EXPECT_EQ(r.passed(), 1u);
  EXPECT_EQ(r.failed(), 1u);
  EXPECT_EQ(r.skipped(), 1u);
  EXPECT_EQ(r.errors(), 1u);
  EXPECT_NEAR(r.seconds(), 0.042, 1e-9);
  ASSERT_EQ(r.failures_size(), 2);

  const v1::TestCase* sub = Find(r, "TestSubFails");
  ASSERT_NE(sub, nullptr);
  EXPECT_EQ(sub->classname(), "example.com/calc/calc");
  EXPECT_EQ(sub->status(), "failed");
  EXPECT_NE(sub->message().find("Sub(1,2) = -1"), std::string::npos) << sub->message();
  EXPECT_EQ(sub->message().find("=== RUN"), std::string::npos) << sub->message();
  EXPECT_NEAR(sub->seconds(), 0.01, 1e-9);

  const v1::TestCase* broken = Find(r, "example.com/calc/broken");
  ASSERT_NE(broken, nullptr);
  EXPECT_EQ(broken->status(), "error");
  EXPECT_NE(broken->message().find("broken/b.go:3: cannot use \"s\""), std::string::npos)
      << broken->message();

  EXPECT_NE(run->output.find("--- FAIL: TestSubFails"), std::string::npos);
  EXPECT_NE(run->output.find("[build failed]"), std::string::npos);
  EXPECT_TRUE(run->notes.empty());
}

TEST(GoTestJson, ReadsNewerBuildEvents) {
  constexpr std::string_view kStream =
      R"({"ImportPath":"example.com/m/bad [example.com/m/bad.test]","Action":"build-output","Output":"# example.com/m/bad [example.com/m/bad.test]\n"}
{"ImportPath":"example.com/m/bad [example.com/m/bad.test]","Action":"build-output","Output":"bad/bad.go:4:9: undefined: missing\n"}
{"ImportPath":"example.com/m/bad [example.com/m/bad.test]","Action":"build-fail"}
{"Action":"start","Package":"example.com/m/bad"}
{"Action":"output","Package":"example.com/m/bad","Output":"FAIL\texample.com/m/bad [build failed]\n"}
{"Action":"fail","Package":"example.com/m/bad","Elapsed":0,"FailedBuild":"example.com/m/bad [example.com/m/bad.test]"}
)";
  auto run = ParseGoTestJson(kStream);
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_EQ(run->report.total(), 1u);
  EXPECT_EQ(run->report.errors(), 1u);
  ASSERT_EQ(run->report.failures_size(), 1);
  EXPECT_EQ(run->report.failures(0).name(), "example.com/m/bad");
  EXPECT_NE(run->report.failures(0).message().find("undefined: missing"), std::string::npos);
}

TEST(GoTestJson, SubtestsCountOnceAndParentsStandForThem) {
  constexpr std::string_view kStream =
      R"({"Action":"run","Package":"p","Test":"TestTable"}
{"Action":"run","Package":"p","Test":"TestTable/one"}
{"Action":"pass","Package":"p","Test":"TestTable/one"}
{"Action":"run","Package":"p","Test":"TestTable/two"}
{"Action":"output","Package":"p","Test":"TestTable/two","Output":"    t_test.go:9: want 2, got 3\n"}
{"Action":"fail","Package":"p","Test":"TestTable/two"}
{"Action":"fail","Package":"p","Test":"TestTable"}
{"Action":"run","Package":"p","Test":"TestAfter"}
{"Action":"run","Package":"p","Test":"TestAfter/ok"}
{"Action":"pass","Package":"p","Test":"TestAfter/ok"}
{"Action":"output","Package":"p","Test":"TestAfter","Output":"    t_test.go:20: cleanup failed\n"}
{"Action":"fail","Package":"p","Test":"TestAfter"}
{"Action":"run","Package":"p","Test":"TestTableX"}
{"Action":"pass","Package":"p","Test":"TestTableX"}
{"Action":"fail","Package":"p","Elapsed":1.5}
)";
  auto run = ParseGoTestJson(kStream);
  ASSERT_TRUE(run.ok()) << run.status();
  // one, two, TestAfter/ok, TestAfter (failed on its own), TestTableX.
  EXPECT_EQ(run->report.total(), 5u);
  EXPECT_EQ(run->report.passed(), 3u);
  EXPECT_EQ(run->report.failed(), 2u);
  EXPECT_EQ(run->report.errors(), 0u);
  ASSERT_EQ(run->report.failures_size(), 2);
  EXPECT_EQ(run->report.failures(0).name(), "TestTable/two");
  EXPECT_NE(run->report.failures(0).message().find("want 2, got 3"), std::string::npos);
  EXPECT_EQ(run->report.failures(1).name(), "TestAfter");
  EXPECT_NE(run->report.failures(1).message().find("cleanup failed"), std::string::npos);
}

TEST(GoTestJson, ATestCutShortByATimeoutFailsAndThePackageIsNotCountedTwice) {
  constexpr std::string_view kStream =
      R"({"Action":"run","Package":"p","Test":"TestSlow"}
{"Action":"output","Package":"p","Test":"TestSlow","Output":"=== RUN   TestSlow\n"}
{"Action":"output","Package":"p","Output":"panic: test timed out after 1s\n"}
{"Action":"output","Package":"p","Output":"FAIL\tp\t1.01s\n"}
{"Action":"fail","Package":"p","Elapsed":1.01}
)";
  auto run = ParseGoTestJson(kStream);
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_EQ(run->report.total(), 1u);
  EXPECT_EQ(run->report.failed(), 1u);
  ASSERT_EQ(run->report.failures_size(), 1);
  EXPECT_EQ(run->report.failures(0).name(), "TestSlow");
  EXPECT_NE(run->report.failures(0).message().find("did not finish"), std::string::npos);
}

TEST(GoTestJson, APackageFailingOutsideTestsIsAnError) {
  constexpr std::string_view kStream =
      R"({"Action":"output","Package":"p","Output":"panic: init exploded\n"}
{"Action":"output","Package":"p","Output":"FAIL\tp\t0.01s\n"}
{"Action":"fail","Package":"p","Elapsed":0.01}
)";
  auto run = ParseGoTestJson(kStream);
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_EQ(run->report.errors(), 1u);
  ASSERT_EQ(run->report.failures_size(), 1);
  EXPECT_EQ(run->report.failures(0).name(), "p");
  EXPECT_NE(run->report.failures(0).message().find("init exploded"), std::string::npos);
}

TEST(GoTestJson, GoStoppingBeforeAnyTestIsOneErrorWithItsMessage) {
  auto run = ParseGoTestJson(
      "go: cannot find main module, but found .git/config in /w\n\tto create a module there, "
      "run:\n\tgo mod init\n");
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_EQ(run->report.total(), 1u);
  EXPECT_EQ(run->report.errors(), 1u);
  ASSERT_EQ(run->report.failures_size(), 1);
  EXPECT_EQ(run->report.failures(0).name(), "go test");
  EXPECT_NE(run->report.failures(0).message().find("cannot find main module"), std::string::npos);
}

TEST(GoTestJson, MalformedInputNeverCrashes) {
  EXPECT_EQ(ParseGoTestJson("").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseGoTestJson(" \n\n").status().code(), absl::StatusCode::kInvalidArgument);

  // A line cut by a killed process, wrong field types, JSON that is not an object.
  constexpr std::string_view kStream =
      R"({"Action":"run","Package":"p","Test":"TestA"}
{"Action":"pass","Package":"p","Test":"TestA","Elapsed":"soon"}
{"Action":7,"Package":["x"],"Test":null}
[1,2,3]
{"Action":"run","Package":"p","Test":"TestB"}
{"Action":"output","Package":"p","Test":"TestB","Outp)";
  auto run = ParseGoTestJson(kStream);
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_EQ(run->report.passed(), 1u);
  EXPECT_EQ(run->report.failed(), 1u);  // TestB never finished
  ASSERT_EQ(run->notes.size(), 1u);
  EXPECT_NE(run->notes[0].find("not valid JSON"), std::string::npos) << run->notes[0];

  std::string binary(4096, '\0');
  for (size_t i = 0; i < binary.size(); ++i) binary[i] = static_cast<char>(i * 37);
  EXPECT_TRUE(ParseGoTestJson(binary).ok());
}

TEST(GoTestJson, HugeTestOutputIsCapped) {
  std::string stream = R"({"Action":"run","Package":"p","Test":"TestLoud"})"
                       "\n";
  for (int i = 0; i < 5000; ++i)
    stream += R"({"Action":"output","Package":"p","Test":"TestLoud","Output":"line )" +
              std::to_string(i) + R"(\n"})" + "\n";
  stream += R"({"Action":"fail","Package":"p","Test":"TestLoud"})"
            "\n";
  auto run = ParseGoTestJson(stream);
  ASSERT_TRUE(run.ok()) << run.status();
  ASSERT_EQ(run->report.failures_size(), 1);
  const std::string& message = run->report.failures(0).message();
  EXPECT_LE(message.size(), kMaxFailureMessage + 8);
  EXPECT_NE(message.find("line 4999"), std::string::npos);  // the end is kept
}

}  // namespace
}  // namespace slipway::tester
