#include "services/tester/libtest_output.h"

#include "gtest/gtest.h"
#include "services/tester/junit.h"

namespace slipway::tester {
namespace {

// `cargo test --no-fail-fast` over a library with a failing unit test and an integration test.
constexpr std::string_view kCargoRun = R"(   Compiling calc v0.1.0 (/w)
    Finished `test` profile [unoptimized + debuginfo] target(s) in 8.29s
     Running unittests src/lib.rs (target/debug/deps/calc-c4066ebb79ee0019)

running 3 tests
test tests::adds ... ok
test tests::later ... ignored
test tests::fails ... FAILED

failures:

---- tests::fails stdout ----
computing

thread 'tests::fails' panicked at src/lib.rs:7:49:
assertion `left == right` failed: math is off
  left: 4
 right: 5
note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace


failures:
    tests::fails

test result: FAILED. 1 passed; 1 failed; 1 ignored; 0 measured; 0 filtered out; finished in 1.22s

error: test failed, to rerun pass `--lib`
     Running tests/it.rs (target/debug/deps/it-eba39656af3a16ca)

running 1 test
test integration_ok ... ok

test result: ok. 1 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.03s

   Doc-tests calc

running 1 test
test src/lib.rs - add (line 3) ... ok

test result: ok. 1 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.20s

error: 1 target failed:
    `--lib`
)";

TEST(LibtestOutput, CountsEveryBinaryAndKeepsTheFailuresOutput) {
  auto run = ParseLibtestOutput(kCargoRun);
  ASSERT_TRUE(run.ok()) << run.status();
  const v1::TestReport& r = run->report;
  EXPECT_EQ(r.total(), 5u);
  EXPECT_EQ(r.passed(), 3u);
  EXPECT_EQ(r.failed(), 1u);
  EXPECT_EQ(r.skipped(), 1u);
  EXPECT_EQ(r.errors(), 0u);
  EXPECT_NEAR(r.seconds(), 1.45, 1e-9);
  ASSERT_EQ(r.failures_size(), 1);
  EXPECT_EQ(r.failures(0).name(), "tests::fails");
  EXPECT_EQ(r.failures(0).status(), "failed");
  const std::string& message = r.failures(0).message();
  EXPECT_TRUE(message.starts_with("computing")) << message;
  EXPECT_NE(message.find("math is off"), std::string::npos);
  EXPECT_NE(message.find("right: 5"), std::string::npos);
  EXPECT_EQ(message.find("failures:"), std::string::npos) << message;
  EXPECT_TRUE(run->notes.empty());
}

TEST(LibtestOutput, ACrateThatDoesNotCompileIsOneErrorWithTheCompilerOutput) {
  constexpr std::string_view kOutput = R"(   Compiling calc v0.1.0 (/w)
error[E0277]: cannot add `&str` to `i32`
 --> src/lib.rs:1:39
  |
1 | pub fn add(a: i32, b: i32) -> i32 { a + "b" }
  |                                       ^ no implementation for `i32 + &str`

For more information about this error, try `rustc --explain E0277`.
error: could not compile `calc` (lib test) due to 1 previous error
warning: build failed, waiting for other jobs to finish...
error: could not compile `calc` (lib) due to 1 previous error
)";
  auto run = ParseLibtestOutput(kOutput);
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_EQ(run->report.total(), 1u);
  EXPECT_EQ(run->report.errors(), 1u);
  ASSERT_EQ(run->report.failures_size(), 1);
  EXPECT_EQ(run->report.failures(0).name(), "build of calc");
  EXPECT_EQ(run->report.failures(0).status(), "error");
  EXPECT_NE(run->report.failures(0).message().find("error[E0277]: cannot add"), std::string::npos);
  EXPECT_NE(run->report.failures(0).message().find("src/lib.rs:1:39"), std::string::npos);
}

TEST(LibtestOutput, WithoutResultLinesCountsTheTestLinesAndSaysSo) {
  // The test binary crashed before its summary.
  constexpr std::string_view kOutput = R"(running 3 tests
test a::one ... ok
test a::two ... FAILED
test a::three ... ignored, needs a database
error: test failed, to rerun pass `--lib`

Caused by:
  process didn't exit successfully: `/w/target/debug/deps/a-1` (signal: 11, SIGSEGV)
)";
  auto run = ParseLibtestOutput(kOutput);
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_EQ(run->report.total(), 3u);
  EXPECT_EQ(run->report.passed(), 1u);
  EXPECT_EQ(run->report.failed(), 1u);
  EXPECT_EQ(run->report.skipped(), 1u);
  ASSERT_EQ(run->report.failures_size(), 1);
  EXPECT_EQ(run->report.failures(0).name(), "a::two");
  EXPECT_EQ(run->report.failures(0).message(), "FAILED");
  ASSERT_EQ(run->notes.size(), 1u);
  EXPECT_NE(run->notes[0].find("no \"test result:\" line"), std::string::npos);
}

TEST(LibtestOutput, PassingTestsOutputUnderSuccessesIsNotAFailure) {
  constexpr std::string_view kOutput = R"(running 1 test
test chatty ... ok

successes:

---- chatty stdout ----
hello

successes:
    chatty

test result: ok. 1 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.00s
)";
  auto run = ParseLibtestOutput(kOutput);
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_EQ(run->report.passed(), 1u);
  EXPECT_EQ(run->report.failures_size(), 0);
}

TEST(LibtestOutput, MalformedInputNeverCrashes) {
  EXPECT_EQ(ParseLibtestOutput("").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseLibtestOutput("make: *** No rule to make target 'test'.\n").status().code(),
            absl::StatusCode::kInvalidArgument);
  // Odd numbers, a header with no body, a result line without counts.
  auto odd = ParseLibtestOutput(
      "running 2 tests\ntest x ... \ntest result: FAILED. many passed; -1 failed\n---- y stdout "
      "----\n---- ----\ntest result: ok.\n");
  ASSERT_TRUE(odd.ok()) << odd.status();
  EXPECT_GE(odd->report.failed(), 1u);
  std::string binary(4096, '\0');
  for (size_t i = 0; i < binary.size(); ++i) binary[i] = static_cast<char>(i * 31);
  (void)ParseLibtestOutput(binary);
  // A failure message is capped.
  std::string loud = "running 1 test\ntest loud ... FAILED\n\nfailures:\n\n---- loud stdout ----\n";
  for (int i = 0; i < 3000; ++i) loud += "noise noise noise\n";
  loud += "\nfailures:\n    loud\n\ntest result: FAILED. 0 passed; 1 failed; 0 ignored\n";
  auto capped = ParseLibtestOutput(loud);
  ASSERT_TRUE(capped.ok());
  ASSERT_EQ(capped->report.failures_size(), 1);
  EXPECT_LE(capped->report.failures(0).message().size(), kMaxFailureMessage + 8);
}

}  // namespace
}  // namespace slipway::tester
