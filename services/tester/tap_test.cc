#include "services/tester/tap.h"

#include "gtest/gtest.h"
#include "services/tester/junit.h"

namespace slipway::tester {
namespace {

const v1::TestCase* Find(const v1::TestReport& report, std::string_view name) {
  for (const auto& tc : report.failures())
    if (tc.name() == name) return &tc;
  return nullptr;
}

// `node --test --test-reporter=tap` (Node 20) over a file with a passing, a failing, a skipped
// test and a suite with one failing subtest.
constexpr std::string_view kNodeTap = R"(TAP version 13
# Subtest: adds
ok 1 - adds
  ---
  duration_ms: 2.218972
  ...
# Subtest: fails
not ok 2 - fails
  ---
  duration_ms: 2.111529
  location: '/w/test/a.test.js:4:1'
  failureType: 'testCodeFailure'
  error: |-
    math is off

    2 !== 3

  code: 'ERR_ASSERTION'
  name: 'AssertionError'
  expected: 3
  actual: 2
  operator: 'strictEqual'
  stack: |-
    TestContext.<anonymous> (/w/test/a.test.js:4:30)
  ...
# Subtest: skipped one
ok 3 - skipped one # SKIP
  ---
  duration_ms: 0.296591
  ...
# Subtest: suite
    # Subtest: inner ok
    ok 1 - inner ok
      ---
      duration_ms: 0.32217
      ...
    # Subtest: inner bad
    not ok 2 - inner bad
      ---
      duration_ms: 0.188377
      location: '/w/test/a.test.js:6:74'
      failureType: 'testCodeFailure'
      error: |-
        boom
        line2
      code: 'ERR_TEST_FAILURE'
      ...
    1..2
not ok 4 - suite
  ---
  duration_ms: 1.289221
  location: '/w/test/a.test.js:6:1'
  failureType: 'subtestsFailed'
  error: '1 subtest failed'
  code: 'ERR_TEST_FAILURE'
  ...
1..4
# tests 6
# suites 0
# pass 2
# fail 3
# cancelled 0
# skipped 1
# todo 0
# duration_ms 422.926853
)";

TEST(Tap, ReadsNodeTestRunnerOutput) {
  auto run = ParseTap(kNodeTap);
  ASSERT_TRUE(run.ok()) << run.status();
  const v1::TestReport& r = run->report;
  // adds, fails, skipped one, inner ok, inner bad: the suite stands for its subtests.
  EXPECT_EQ(r.total(), 5u);
  EXPECT_EQ(r.passed(), 2u);
  EXPECT_EQ(r.failed(), 2u);
  EXPECT_EQ(r.skipped(), 1u);
  EXPECT_NEAR(r.seconds(), 0.422926853, 1e-9);
  ASSERT_EQ(r.failures_size(), 2);

  const v1::TestCase* fails = Find(r, "fails");
  ASSERT_NE(fails, nullptr);
  EXPECT_EQ(fails->classname(), "");
  EXPECT_NE(fails->message().find("math is off"), std::string::npos) << fails->message();
  EXPECT_NE(fails->message().find("2 !== 3"), std::string::npos);
  EXPECT_NE(fails->message().find("at /w/test/a.test.js:4:1"), std::string::npos);
  EXPECT_NEAR(fails->seconds(), 0.002111529, 1e-9);

  const v1::TestCase* inner = Find(r, "inner bad");
  ASSERT_NE(inner, nullptr);
  EXPECT_EQ(inner->classname(), "suite");
  EXPECT_NE(inner->message().find("boom\nline2"), std::string::npos) << inner->message();
  EXPECT_TRUE(run->notes.empty());
}

TEST(Tap, ParentFailingOnItsOwnCountsAndTodoIsSkipped) {
  constexpr std::string_view kTap = R"(TAP version 14
# Subtest: group
    ok 1 - child
    1..1
not ok 1 - group
  ---
  failureType: 'hookFailed'
  error: 'after hook threw'
  ...
not ok 2 - not yet # TODO waiting for the API
ok 3 - escaped \# hash in name
not ok 4 - plain
1..4
)";
  auto run = ParseTap(kTap);
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_EQ(run->report.total(), 5u);
  EXPECT_EQ(run->report.passed(), 2u);
  EXPECT_EQ(run->report.failed(), 2u);
  EXPECT_EQ(run->report.skipped(), 1u);
  ASSERT_NE(Find(run->report, "group"), nullptr);
  EXPECT_EQ(Find(run->report, "group")->message(), "after hook threw");
  ASSERT_NE(Find(run->report, "plain"), nullptr);
  EXPECT_EQ(Find(run->report, "plain")->message(), "not ok");
}

TEST(Tap, GenericNestedSubtestsWithoutComments) {
  constexpr std::string_view kTap = R"(    ok 1 - a
    not ok 2 - b
    1..2
not ok 1 - parent
1..1
)";
  auto run = ParseTap(kTap);
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_EQ(run->report.total(), 2u);
  EXPECT_EQ(run->report.failed(), 1u);
  ASSERT_EQ(run->report.failures_size(), 1);
  EXPECT_EQ(run->report.failures(0).name(), "b");
}

TEST(Tap, BailOutIsAnError) {
  auto run = ParseTap("TAP version 13\nok 1 - first\nBail out! database unreachable\nok 2 - x\n");
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_EQ(run->report.passed(), 1u);
  EXPECT_EQ(run->report.errors(), 1u);
  ASSERT_EQ(run->report.failures_size(), 1);
  EXPECT_EQ(run->report.failures(0).name(), "Bail out!");
  EXPECT_EQ(run->report.failures(0).message(), "database unreachable");
}

TEST(Tap, MalformedInputIsAnErrorOrBestEffortWithANote) {
  EXPECT_EQ(ParseTap("").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseTap("Error: Cannot find module 'x'\n").status().code(),
            absl::StatusCode::kInvalidArgument);

  // A YAML block that does not parse, a plan the run never reached (the process died).
  auto run = ParseTap(
      "TAP version 13\nnot ok 1 - broken yaml\n  ---\n  error: [unclosed\n  "
      "  : : :\n  ...\n1..3\n");
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_EQ(run->report.failed(), 1u);
  ASSERT_EQ(run->report.failures_size(), 1);
  EXPECT_NE(run->report.failures(0).message().find("unclosed"), std::string::npos);
  ASSERT_EQ(run->notes.size(), 2u);
  EXPECT_NE(run->notes[0].find("plan announced 3"), std::string::npos) << run->notes[0];
  EXPECT_NE(run->notes[1].find("did not parse"), std::string::npos) << run->notes[1];

  // A YAML block that never ends, deep nesting, binary noise.
  auto unterminated = ParseTap("not ok 1 - x\n  ---\n  error: 'cut'\n");
  ASSERT_TRUE(unterminated.ok());
  EXPECT_EQ(unterminated->report.failures(0).message(), "cut");
  std::string deep;
  for (int i = 40; i >= 0; --i) deep += std::string(4 * i, ' ') + "not ok 1 - level\n";
  EXPECT_TRUE(ParseTap(deep).ok());
  std::string binary(4096, '\0');
  for (size_t i = 0; i < binary.size(); ++i) binary[i] = static_cast<char>(i * 29);
  (void)ParseTap(binary);
  std::string long_message =
      "not ok 1 - loud\n  ---\n  error: '" + std::string(20000, 'x') + "'\n  ...\n";
  auto loud = ParseTap(long_message);
  ASSERT_TRUE(loud.ok());
  EXPECT_LE(loud->report.failures(0).message().size(), kMaxFailureMessage + 8);
}

}  // namespace
}  // namespace slipway::tester
