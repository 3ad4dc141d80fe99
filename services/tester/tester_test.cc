#include "services/tester/tester.h"

#include <cstdlib>

#include "gtest/gtest.h"
#include "tests/harness/harness.h"

namespace slipway::tester {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
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
  auto report = RunTests(git_.repo(), git_.commit(), cs, Pytest(), options_);
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
  EXPECT_TRUE(IsEmptyDir(work_root_.path()));
}

TEST_F(RunTestsTest, FailingTestIsNamedInTheReport) {
  if (python_.empty()) GTEST_SKIP() << "no python with pytest";
  auto cs = AddFile("tests/test_calc.py",
                    "from pkg.calc import add\n\n"
                    "def test_add():\n    assert add(2, 3) == 5\n\n"
                    "def test_add_is_wrong():\n    assert add(2, 2) == 5\n");
  auto report = RunTests(git_.repo(), git_.commit(), cs, Pytest(), options_);
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
  EXPECT_TRUE(IsEmptyDir(work_root_.path()));
}

TEST_F(RunTestsTest, KeepWorktreeLeavesItForDebugging) {
  options_.keep_worktree = true;
  auto report =
      RunTests(git_.repo(), git_.commit(), AddFile("x.txt", "x"), "test -f x.txt", options_);
  ASSERT_TRUE(report.ok());
  EXPECT_FALSE(IsEmptyDir(work_root_.path()));
}

TEST_F(RunTestsTest, OtherCommandsAreJudgedByExitCode) {
  auto cs = AddFile("data/new.txt", "hello\n");
  auto pass = RunTests(git_.repo(), git_.commit(), cs,
                       "test -f pkg/calc.py && grep -q hello data/new.txt", options_);
  ASSERT_TRUE(pass.ok()) << pass.status();
  EXPECT_EQ(pass->total(), 1u);
  EXPECT_EQ(pass->passed(), 1u);
  EXPECT_EQ(pass->failures_size(), 0);

  auto fail = RunTests(git_.repo(), git_.commit(), cs, "echo checking; exit 4", options_);
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
  auto report = RunTests(git_.repo(), git_.commit(), {}, "sleep 1000", options_);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_TRUE(report->timed_out());
  EXPECT_EQ(report->failed(), 1u);
  ASSERT_EQ(report->failures_size(), 1);
  EXPECT_NE(report->failures(0).message().find("timed out"), std::string::npos);
}

TEST_F(RunTestsTest, NonZeroExitWithCleanJUnitAddsAnError) {
  if (python_.empty()) GTEST_SKIP() << "no python with pytest";
  // No tests collected: pytest exits 5 with an empty report.
  auto report = RunTests(git_.repo(), git_.commit(), {}, Pytest(), options_);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->exit_code(), 5);
  EXPECT_EQ(report->errors(), 1u);
  EXPECT_EQ(report->passed(), 0u);
  ASSERT_EQ(report->failures_size(), 1);
  EXPECT_EQ(report->failures(0).status(), "error");
}

TEST_F(RunTestsTest, InfrastructureErrorsRemoveTheWorktree) {
  auto unknown = RunTests(git_.repo(), std::string(40, 'a'), {}, "true", options_);
  EXPECT_FALSE(unknown.ok());
  auto bad_path =
      RunTests(git_.repo(), git_.commit(), AddFile("../escape.py", ""), "true", options_);
  EXPECT_EQ(bad_path.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(RunTests(git_.repo(), git_.commit(), {}, "", options_).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(IsEmptyDir(work_root_.path()));
}

TEST_F(RunTestsTest, RemovesReadOnlyFoldersLeftByTests) {
  auto report = RunTests(git_.repo(), git_.commit(), {},
                         "mkdir -p ro/sub && touch ro/sub/f && chmod 500 ro ro/sub", options_);
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->passed(), 1u);
  EXPECT_TRUE(IsEmptyDir(work_root_.path()));
}

TEST(PrepareTestCommand, RequestsJUnitFromPytestAndCTest) {
  fs::path file = "/tmp/w x/.slipway-junit.xml";
  auto py = PrepareTestCommand("python3 -m pytest -q  ", file);
  EXPECT_TRUE(py.junit);
  EXPECT_EQ(py.command,
            "python3 -m pytest -q --junitxml='/tmp/w x/.slipway-junit.xml' -p no:cacheprovider");
  EXPECT_TRUE(PrepareTestCommand("pip install -e . && /usr/bin/pytest tests", file).junit);
  auto ct = PrepareTestCommand("cmake --build build && ctest --test-dir build", file);
  EXPECT_TRUE(ct.junit);
  EXPECT_EQ(ct.command,
            "cmake --build build && ctest --test-dir build --output-junit "
            "'/tmp/w x/.slipway-junit.xml'");
  // pytest is not the last stage: appending would change another command.
  auto other = PrepareTestCommand("pytest -q; echo 'done | pytest'", file);
  EXPECT_FALSE(other.junit);
  EXPECT_EQ(other.command, "pytest -q; echo 'done | pytest'");
  EXPECT_FALSE(PrepareTestCommand("go test ./...", file).junit);
}

}  // namespace
}  // namespace slipway::tester
