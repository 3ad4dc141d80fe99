#include "services/tester/tester.h"

#include <signal.h>

#include <chrono>
#include <cstdlib>

#include "gtest/gtest.h"
#include "tests/harness/harness.h"

namespace slipway::tester {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using testing::ReadFile;
using testing::TempDir;
using testing::WriteFile;

v1::ChangeSet AddFile(const std::string& path, const std::string& content) {
  v1::ChangeSet cs;
  auto* f = cs.add_files();
  f->set_path(path);
  f->set_content(content);
  f->set_action(v1::ChangedFile::ACTION_ADD);
  f->set_is_test(true);
  return cs;
}

bool IsEmptyDir(const fs::path& dir) { return fs::is_empty(dir); }

TestRunRequest Request(const std::string& command) {
  TestRunRequest request;
  request.command = command;
  request.gates.set_require_all_pass(true);
  request.coverage = false;
  return request;
}

class RunTestsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    python_ = testing::PythonWithPytest();
    ASSERT_TRUE(git_.ok());
    options_.work_root = work_root_.path();
    options_.limits.wall = 60s;
  }

  std::string Pytest() const { return python_ + " -m pytest -q"; }

  testing::GitFixture git_{
      {{"pkg/__init__.py", ""}, {"pkg/calc.py", "def add(a, b):\n    return a + b\n"}}};
  TempDir work_root_{"slipway-tester-work"};
  std::string python_;
  TesterOptions options_;
};

TEST_F(RunTestsTest, PassingTestIsReportedAndWorktreeRemoved) {
  if (python_.empty()) GTEST_SKIP() << "no python with pytest";
  auto cs = AddFile("tests/test_calc.py",
                    "from pkg.calc import add\n\ndef test_add():\n    assert add(2, 3) == 5\n");
  auto report = RunTests(git_.repo(), git_.commit(), cs, Request(Pytest()), options_);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->exit_code(), 0) << report->output_tail();
  EXPECT_EQ(report->total(), 1u);
  EXPECT_EQ(report->passed(), 1u);
  EXPECT_EQ(report->failed(), 0u);
  EXPECT_EQ(report->failures_size(), 0);
  EXPECT_FALSE(report->timed_out());
  EXPECT_NE(report->command().find("--junitxml="), std::string::npos);
  EXPECT_NE(report->command().find("-p no:cacheprovider"), std::string::npos);
  EXPECT_NE(report->output_tail().find("1 passed"), std::string::npos);
  EXPECT_EQ(report->framework(), "pytest");
  EXPECT_EQ(report->command_source(), "mapper");
  EXPECT_TRUE(report->gates().require_all_pass());
  EXPECT_TRUE(report->gates_passed()) << report->verdict();
  EXPECT_TRUE(report->verdict().starts_with("passed")) << report->verdict();
  EXPECT_FALSE(report->has_coverage());
  EXPECT_TRUE(IsEmptyDir(work_root_.path()));
}

TEST_F(RunTestsTest, FailingTestIsNamedInTheReport) {
  if (python_.empty()) GTEST_SKIP() << "no python with pytest";
  auto cs = AddFile("tests/test_calc.py",
                    "from pkg.calc import add\n\n"
                    "def test_add():\n    assert add(2, 3) == 5\n\n"
                    "def test_add_is_wrong():\n    assert add(2, 2) == 5\n");
  auto report = RunTests(git_.repo(), git_.commit(), cs, Request(Pytest()), options_);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->exit_code(), 1);
  EXPECT_EQ(report->total(), 2u);
  EXPECT_EQ(report->passed(), 1u);
  EXPECT_EQ(report->failed(), 1u);
  ASSERT_EQ(report->failures_size(), 1);
  EXPECT_EQ(report->failures(0).name(), "test_add_is_wrong");
  EXPECT_EQ(report->failures(0).status(), "failed");
  EXPECT_NE(report->failures(0).message().find("assert 4 == 5"), std::string::npos)
      << report->failures(0).message();
  EXPECT_FALSE(report->gates_passed());
  EXPECT_NE(report->verdict().find("test_add_is_wrong"), std::string::npos) << report->verdict();
  EXPECT_TRUE(IsEmptyDir(work_root_.path()));
}

TEST_F(RunTestsTest, KeepWorktreeLeavesItForDebugging) {
  options_.keep_worktree = true;
  auto report = RunTests(git_.repo(), git_.commit(), AddFile("x.txt", "x"),
                         Request("test -f x.txt"), options_);
  ASSERT_TRUE(report.ok());
  EXPECT_FALSE(IsEmptyDir(work_root_.path()));
}

TEST_F(RunTestsTest, OtherCommandsAreJudgedByExitCode) {
  auto cs = AddFile("data/new.txt", "hello\n");
  auto pass = RunTests(git_.repo(), git_.commit(), cs,
                       Request("test -f pkg/calc.py && grep -q hello data/new.txt"), options_);
  ASSERT_TRUE(pass.ok()) << pass.status();
  EXPECT_EQ(pass->total(), 1u);
  EXPECT_EQ(pass->passed(), 1u);
  EXPECT_EQ(pass->failures_size(), 0);

  auto fail = RunTests(git_.repo(), git_.commit(), cs, Request("echo checking; exit 4"), options_);
  ASSERT_TRUE(fail.ok());
  EXPECT_EQ(fail->exit_code(), 4);
  EXPECT_EQ(fail->total(), 1u);
  EXPECT_EQ(fail->failed(), 1u);
  ASSERT_EQ(fail->failures_size(), 1);
  EXPECT_NE(fail->failures(0).message().find("exited with code 4"), std::string::npos);
  EXPECT_EQ(fail->output_tail(), "checking\n");
  EXPECT_TRUE(IsEmptyDir(work_root_.path()));
}

TEST_F(RunTestsTest, TimeoutIsAFailedReportNotAnError) {
  options_.limits.wall = 500ms;
  options_.limits.kill_grace = 200ms;
  auto report = RunTests(git_.repo(), git_.commit(), {}, Request("sleep 1000"), options_);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_TRUE(report->timed_out());
  EXPECT_EQ(report->failed(), 1u);
  ASSERT_EQ(report->failures_size(), 1);
  EXPECT_NE(report->failures(0).message().find("timed out"), std::string::npos);
}

TEST_F(RunTestsTest, NonZeroExitWithCleanJUnitAddsAnError) {
  if (python_.empty()) GTEST_SKIP() << "no python with pytest";
  // No tests collected: pytest exits 5 with an empty report.
  auto report = RunTests(git_.repo(), git_.commit(), {}, Request(Pytest()), options_);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->exit_code(), 5);
  EXPECT_EQ(report->errors(), 1u);
  EXPECT_EQ(report->passed(), 0u);
  ASSERT_EQ(report->failures_size(), 1);
  EXPECT_EQ(report->failures(0).status(), "error");
}

TEST_F(RunTestsTest, InfrastructureErrorsRemoveTheWorktree) {
  auto unknown = RunTests(git_.repo(), std::string(40, 'a'), {}, Request("true"), options_);
  EXPECT_FALSE(unknown.ok());
  auto bad_path =
      RunTests(git_.repo(), git_.commit(), AddFile("../escape.py", ""), Request("true"), options_);
  EXPECT_EQ(bad_path.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(RunTests(git_.repo(), git_.commit(), {}, Request(""), options_).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(IsEmptyDir(work_root_.path()));
}

TEST_F(RunTestsTest, RemovesReadOnlyFoldersLeftByTests) {
  auto report =
      RunTests(git_.repo(), git_.commit(), {},
               Request("mkdir -p ro/sub && touch ro/sub/f && chmod 500 ro ro/sub"), options_);
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->passed(), 1u);
  EXPECT_TRUE(IsEmptyDir(work_root_.path()));
}

TEST_F(RunTestsTest, RequestTimeoutEnvAndSourceApply) {
  TestRunRequest request = Request("test \"$SLIPWAY_X\" = 'from the repository'");
  request.env = {{"SLIPWAY_X", "from the repository"}};
  request.command_source = std::string(kSourceRepoConfig);
  auto report = RunTests(git_.repo(), git_.commit(), {}, request, options_);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->passed(), 1u) << report->output_tail();
  EXPECT_EQ(report->command_source(), ".slipway.yaml");
  EXPECT_EQ(report->framework(), "exit code");

  // The repository may shorten the wall limit, never lengthen it.
  TestRunRequest slow = Request("sleep 1000");
  slow.timeout = 300ms;
  options_.limits.kill_grace = 200ms;
  auto start = std::chrono::steady_clock::now();
  auto timed_out = RunTests(git_.repo(), git_.commit(), {}, slow, options_);
  ASSERT_TRUE(timed_out.ok());
  EXPECT_TRUE(timed_out->timed_out());
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  EXPECT_NE(timed_out->failures(0).message().find("0.3 s"), std::string::npos)
      << timed_out->failures(0).message();
  EXPECT_FALSE(timed_out->gates_passed());
  EXPECT_NE(timed_out->verdict().find("timed out"), std::string::npos) << timed_out->verdict();

  options_.limits.wall = 400ms;
  slow.timeout = 3600s;
  start = std::chrono::steady_clock::now();
  ASSERT_TRUE(RunTests(git_.repo(), git_.commit(), {}, slow, options_)->timed_out());
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
}

TEST_F(RunTestsTest, CoverageGateDoesNotFailWhereNoToolExists) {
  TestRunRequest request = Request("true");
  request.coverage = true;
  request.gates.set_min_changed_coverage(0.8);
  auto report =
      RunTests(git_.repo(), git_.commit(), AddFile("pkg/more.py", "X = 1\n"), request, options_);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_FALSE(report->has_coverage());
  EXPECT_TRUE(report->gates_passed()) << report->verdict();
  EXPECT_DOUBLE_EQ(report->gates().min_changed_coverage(), 0.8);
}

// A stand-in for pytest whose environment lacks pytest-cov: it refuses `-p pytest_cov` and
// writes a one-case JUnit report.
constexpr std::string_view kPytestWithoutCov = R"(case "$*" in *pytest_cov*) exit 1;; esac
for a in "$@"; do case "$a" in --junitxml=*) f="${a#--junitxml=}";; esac; done
printf '<testsuites><testsuite name="s"><testcase classname="t" name="test_ok"/></testsuite></testsuites>' > "$f"
echo "1 passed"
)";

TEST_F(RunTestsTest, PytestWithoutPytestCovRunsWithoutCoverageAndSaysSo) {
  v1::ChangeSet cs = AddFile("fake/pytest", std::string(kPytestWithoutCov));
  TestRunRequest request = Request("sh fake/pytest -q");
  request.coverage = true;
  request.gates.set_min_changed_coverage(0.8);
  auto report = RunTests(git_.repo(), git_.commit(), cs, request, options_);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->framework(), "pytest");
  EXPECT_EQ(report->total(), 1u) << report->output_tail();
  EXPECT_EQ(report->passed(), 1u);
  EXPECT_FALSE(report->has_coverage());
  EXPECT_TRUE(report->gates_passed()) << report->verdict();
  EXPECT_NE(report->verdict().find("pytest-cov is not importable"), std::string::npos)
      << report->verdict();
}

// Hostile suites: each ends with a report, quickly, and leaves nothing running.

TEST_F(RunTestsTest, ASuiteThatForksADaemonEndsWithAReport) {
  TempDir side("slipway-daemon");
  const fs::path pid_file = side.path() / "daemon.pid";
  auto start = std::chrono::steady_clock::now();
  auto report = RunTests(
      git_.repo(), git_.commit(), {},
      Request("sleep 1000 & echo $! > '" + pid_file.string() + "'; echo tests done"), options_);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 10s);
  EXPECT_EQ(report->passed(), 1u);
  EXPECT_NE(report->output_tail().find("tests done"), std::string::npos);
  pid_t daemon = std::stoi(ReadFile(pid_file));
  bool gone = testing::WaitFor(
      [&] {
        std::string stat = ReadFile("/proc/" + std::to_string(daemon) + "/stat");
        size_t paren = stat.rfind(')');
        return stat.empty() || (paren != std::string::npos && paren + 2 < stat.size() &&
                                (stat[paren + 2] == 'Z' || stat[paren + 2] == 'X'));
      },
      3s);
  EXPECT_TRUE(gone) << daemon;
  EXPECT_TRUE(IsEmptyDir(work_root_.path()));
}

TEST_F(RunTestsTest, ASuiteThatFillsTheDiskIsStoppedAtTheFileSizeLimit) {
  options_.limits.file_bytes = 1 << 20;
  auto report = RunTests(git_.repo(), git_.commit(), {},
                         Request("head -c 104857600 /dev/zero > huge.bin"), options_);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->exit_code(), 128 + SIGXFSZ);
  EXPECT_EQ(report->failed(), 1u);
  ASSERT_EQ(report->failures_size(), 1);
  EXPECT_NE(report->failures(0).message().find("SIGXFSZ: a file reached the sandbox's "
                                               "file-size limit of 1048576 bytes"),
            std::string::npos)
      << report->failures(0).message();
  EXPECT_FALSE(report->gates_passed());
  EXPECT_TRUE(IsEmptyDir(work_root_.path()));
}

TEST_F(RunTestsTest, ASuiteThatPrintsAGibibyteKeepsTheReportSmall) {
  options_.limits.output_limit = 64 * 1024;
  auto start = std::chrono::steady_clock::now();
  auto report = RunTests(git_.repo(), git_.commit(), {},
                         Request("head -c 1073741824 /dev/zero; echo; echo THE-END"), options_);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 30s);
  EXPECT_EQ(report->exit_code(), 0);
  EXPECT_EQ(report->passed(), 1u);
  EXPECT_LE(report->output_tail().size(), kOutputTailBytes);
  EXPECT_TRUE(report->output_tail().ends_with("\nTHE-END\n"));
}

}  // namespace
}  // namespace slipway::tester
