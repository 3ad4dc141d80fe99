#include "services/tester/junit.h"

#include <cstdlib>

#include "gtest/gtest.h"
#include "tests/harness/harness.h"

namespace slipway::tester {
namespace {

using testing::ReadFile;
using testing::TempDir;
using testing::WriteFile;

const v1::TestCase* FindCase(const v1::TestReport& report, std::string_view name) {
  for (const auto& tc : report.failures())
    if (tc.name() == name) return &tc;
  return nullptr;
}

TEST(JUnit, ParsesARealPytestReport) {
  std::string python = testing::PythonWithPytest();
  if (python.empty()) GTEST_SKIP() << "no python with pytest";
  TempDir dir("slipway-junit");
  WriteFile(dir.path() / "test_sample.py", R"(import pytest

@pytest.fixture
def broken():
    raise RuntimeError("fixture exploded")

def test_pass():
    assert 1 + 1 == 2

def test_fail():
    assert 1 + 1 == 3, "arithmetic is off"

@pytest.mark.skip(reason="not today")
def test_skip():
    pass

def test_error(broken):
    pass
)");
  std::string cmd = "cd '" + dir.path().string() + "' && " + python +
                    " -m pytest -q -p no:cacheprovider --junitxml=report.xml >/dev/null 2>&1";
  EXPECT_NE(std::system(cmd.c_str()), 0);
  std::string xml = ReadFile(dir.path() / "report.xml");
  ASSERT_FALSE(xml.empty());

  auto report = ParseJUnitXml(xml);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->total(), 4u);
  EXPECT_EQ(report->passed(), 1u);
  EXPECT_EQ(report->failed(), 1u);
  EXPECT_EQ(report->errors(), 1u);
  EXPECT_EQ(report->skipped(), 1u);
  EXPECT_GT(report->seconds(), 0.0);
  ASSERT_EQ(report->failures_size(), 2);
  const v1::TestCase* fail = FindCase(*report, "test_fail");
  ASSERT_NE(fail, nullptr);
  EXPECT_EQ(fail->status(), "failed");
  EXPECT_EQ(fail->classname(), "test_sample");
  EXPECT_NE(fail->message().find("arithmetic is off"), std::string::npos);
  const v1::TestCase* error = FindCase(*report, "test_error");
  ASSERT_NE(error, nullptr);
  EXPECT_EQ(error->status(), "error");
  EXPECT_NE(error->message().find("fixture exploded"), std::string::npos);
}

TEST(JUnit, MalformedXmlIsAClearError) {
  auto report = ParseJUnitXml("<testsuites><testsuite name=\"x\"><testcase name=\"a\">");
  ASSERT_EQ(report.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(report.status().message().find("JUnit XML"), std::string::npos);
  EXPECT_NE(report.status().message().find("byte"), std::string::npos);

  EXPECT_EQ(ParseJUnitXml("").status().code(), absl::StatusCode::kInvalidArgument);
  auto html = ParseJUnitXml("<html><body/></html>");
  ASSERT_EQ(html.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(html.status().message().find("<html>"), std::string::npos);
}

TEST(JUnit, ParsesCTestOutput) {
  auto report = ParseJUnitXml(R"(<?xml version="1.0" encoding="UTF-8"?>
<testsuite name="Linux" tests="4" failures="1" disabled="1" skipped="1" time="0.5">
  <testcase name="core_test" classname="core_test" time="0.1" status="run">
    <system-out>ok</system-out>
  </testcase>
  <testcase name="repo_test" classname="repo_test" time="0.2" status="fail">
    <failure message="Failed"/>
    <system-out>Expected equality</system-out>
  </testcase>
  <testcase name="slow_test" classname="slow_test" time="0" status="notrun">
    <skipped message="Disabled"/>
  </testcase>
  <testcase name="gone_test" classname="gone_test" time="0" status="disabled"/>
</testsuite>)");
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->total(), 4u);
  EXPECT_EQ(report->passed(), 1u);
  EXPECT_EQ(report->failed(), 1u);
  EXPECT_EQ(report->skipped(), 2u);
  EXPECT_DOUBLE_EQ(report->seconds(), 0.5);
  ASSERT_EQ(report->failures_size(), 1);
  EXPECT_EQ(report->failures(0).name(), "repo_test");
  EXPECT_EQ(report->failures(0).message(), "Failed");
}

TEST(JUnit, NestedSuitesErrorsAndTotalsOnly) {
  auto nested = ParseJUnitXml(R"(<testsuites time="2">
  <testsuite name="outer"><testsuite name="inner">
    <testcase name="a"/><testcase name="b"><error type="Boom">trace &lt;here&gt;</error></testcase>
  </testsuite></testsuite>
  <testsuite name="other"><testcase name="c"><skipped/></testcase></testsuite>
</testsuites>)");
  ASSERT_TRUE(nested.ok()) << nested.status();
  EXPECT_EQ(nested->total(), 3u);
  EXPECT_EQ(nested->passed(), 1u);
  EXPECT_EQ(nested->errors(), 1u);
  EXPECT_EQ(nested->skipped(), 1u);
  ASSERT_EQ(nested->failures_size(), 1);
  EXPECT_EQ(nested->failures(0).status(), "error");
  EXPECT_EQ(nested->failures(0).message(), "trace <here>");

  auto totals = ParseJUnitXml(R"(<testsuites><testsuite tests="5" failures="2" errors="1"/>
      <testsuite tests="1"/></testsuites>)");
  ASSERT_TRUE(totals.ok());
  EXPECT_EQ(totals->total(), 6u);
  EXPECT_EQ(totals->failed(), 2u);
  EXPECT_EQ(totals->errors(), 1u);
  EXPECT_EQ(totals->passed(), 3u);
}

TEST(JUnit, BoundsFailureListAndMessages) {
  std::string xml = "<testsuite>";
  for (int i = 0; i < kMaxReportedFailures + 20; ++i)
    xml += "<testcase name=\"t" + std::to_string(i) + "\"><failure message=\"" +
           std::string(kMaxFailureMessage * 2, 'm') + "\"/></testcase>";
  xml += "</testsuite>";
  auto report = ParseJUnitXml(xml);
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->failed(), static_cast<uint32_t>(kMaxReportedFailures + 20));
  EXPECT_EQ(report->failures_size(), kMaxReportedFailures);
  EXPECT_LE(report->failures(0).message().size(), kMaxFailureMessage + 4);
}

}  // namespace
}  // namespace slipway::tester
