// RunTests end to end with each ecosystem's real toolchain over small git repositories: the
// structured results, the coverage of the changed lines and the gates' verdict. A toolchain
// that is not installed skips its test.
#include <cstdlib>

#include "gtest/gtest.h"
#include "services/tester/repo_config.h"
#include "services/tester/step.h"
#include "services/tester/tester.h"
#include "tests/harness/harness.h"

namespace slipway::tester {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using testing::Files;
using testing::GitFixture;
using testing::RunCommand;
using testing::TempDir;

// True when `command` succeeds with the PATH the sandbox gives test commands.
bool SandboxHas(const std::string& command) {
  return RunCommand("PATH='" + std::string(kSandboxPath) + "' " + command + " >/dev/null 2>&1")
             .exit_code == 0;
}

v1::ChangedFile* Change(v1::ChangeSet& cs, const std::string& path, const std::string& content,
                        bool is_test, bool added) {
  auto* f = cs.add_files();
  f->set_path(path);
  f->set_content(content);
  f->set_is_test(is_test);
  f->set_action(added ? v1::ChangedFile::ACTION_ADD : v1::ChangedFile::ACTION_MODIFY);
  return f;
}

const v1::FileCoverage* CoverageOf(const v1::TestReport& report, const std::string& path) {
  for (const auto& f : report.coverage().files())
    if (f.path() == path) return &f;
  return nullptr;
}

const v1::TestCase* FailureNamed(const v1::TestReport& report, const std::string& name) {
  for (const auto& tc : report.failures())
    if (tc.name() == name) return &tc;
  return nullptr;
}

class EcosystemsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    options_.work_root = work_root_.path();
    options_.limits.wall = 120s;
  }

  TestRunRequest Request(const std::string& command, double min_coverage) const {
    TestRunRequest request;
    request.command = command;
    request.gates.set_require_all_pass(true);
    request.gates.set_min_changed_coverage(min_coverage);
    request.coverage = true;
    return request;
  }

  TempDir work_root_{"slipway-ecosystems"};
  TesterOptions options_;
};

// --- Python / pytest with pytest-cov --------------------------------------------------------

constexpr std::string_view kDiscountBase = "def price(amount):\n    return amount\n";
// Lines 5-12 are new; the tests below reach lines 5-9 only.
constexpr std::string_view kDiscountNew = R"(def price(amount):
    return amount


def discount(amount, customer):
    if customer == "gold":
        return amount * 0.8
    if customer == "silver":
        return amount * 0.9
    if amount > 1000:
        return amount * 0.95
    return amount
)";
constexpr std::string_view kDiscountTests = R"(from pkg.discount import discount, price


def test_price():
    assert price(10) == 10


def test_gold():
    assert discount(100, "gold") == 80


def test_silver():
    assert discount(100, "silver") == 90
)";

TEST_F(EcosystemsTest, PytestCoverageOfAPartlyCoveredChangeGatesOnTheThreshold) {
  if (!SandboxHas("python3 -m pytest -p pytest_cov --version"))
    GTEST_SKIP() << "no python3 with pytest and pytest-cov";
  GitFixture git(Files{{"pkg/__init__.py", ""}, {"pkg/discount.py", std::string(kDiscountBase)}});
  ASSERT_TRUE(git.ok());
  v1::ChangeSet cs;
  Change(cs, "pkg/discount.py", std::string(kDiscountNew), false, false);
  Change(cs, "tests/test_discount.py", std::string(kDiscountTests), true, true);

  auto strict =
      RunTests(git.repo(), git.commit(), cs, Request("python3 -m pytest -q", 0.8), options_);
  ASSERT_TRUE(strict.ok()) << strict.status();
  EXPECT_EQ(strict->framework(), "pytest");
  EXPECT_EQ(strict->passed(), 3u) << strict->output_tail();
  EXPECT_EQ(strict->failed(), 0u);
  ASSERT_TRUE(strict->has_coverage()) << strict->verdict();
  EXPECT_EQ(strict->coverage().tool(), "coverage.py");
  EXPECT_EQ(strict->coverage().report(), ".slipway-coverage.xml");
  const v1::FileCoverage* file = CoverageOf(*strict, "pkg/discount.py");
  ASSERT_NE(file, nullptr) << strict->coverage().DebugString();
  EXPECT_EQ(file->changed_lines(), 8u);
  EXPECT_EQ(file->changed_covered(), 5u);
  EXPECT_EQ(
      std::vector<uint32_t>(file->uncovered_changed().begin(), file->uncovered_changed().end()),
      (std::vector<uint32_t>{10, 11, 12}));
  // Test files are not judged.
  EXPECT_EQ(CoverageOf(*strict, "tests/test_discount.py"), nullptr);
  EXPECT_FALSE(strict->gates_passed());
  EXPECT_NE(strict->verdict().find("pkg/discount.py lines 10-12"), std::string::npos)
      << strict->verdict();

  auto lenient =
      RunTests(git.repo(), git.commit(), cs, Request("python3 -m pytest -q", 0.6), options_);
  ASSERT_TRUE(lenient.ok()) << lenient.status();
  EXPECT_TRUE(lenient->gates_passed()) << lenient->verdict();
  EXPECT_TRUE(lenient->verdict().starts_with("passed")) << lenient->verdict();
  EXPECT_TRUE(fs::is_empty(work_root_.path()));
}

// --- CMake / CTest with gcovr ----------------------------------------------------------------

TEST_F(EcosystemsTest, CTestWithGcovrCoverage) {
  if (!SandboxHas("cmake --version") || !SandboxHas("gcovr --version") ||
      !SandboxHas("ninja --version") || !SandboxHas("cc --version"))
    GTEST_SKIP() << "needs cmake, ninja, a C compiler and gcovr";
  GitFixture git(
      Files{{"CMakeLists.txt",
             "cmake_minimum_required(VERSION 3.16)\nproject(calc C)\n"
             "add_library(calc calc.c)\nadd_executable(test_calc test_calc.c)\n"
             "target_link_libraries(test_calc calc)\nenable_testing()\n"
             "add_test(NAME adds COMMAND test_calc add)\n"
             "add_test(NAME clamps COMMAND test_calc clamp)\n"},
            {"calc.h", "int add(int a, int b);\nint clamp(int v, int lo, int hi);\n"},
            {"calc.c", "#include \"calc.h\"\n\nint add(int a, int b) { return a + b; }\n"},
            {"test_calc.c",
             "#include <string.h>\n#include \"calc.h\"\n"
             "int main(int argc, char** argv) {\n"
             "  if (argc > 1 && strcmp(argv[1], \"add\") == 0) return add(2, 3) != 5;\n"
             "  if (argc > 1 && strcmp(argv[1], \"clamp\") == 0) return clamp(5, 0, 3) != 3;\n"
             "  return 1;\n}\n"}});
  ASSERT_TRUE(git.ok());
  v1::ChangeSet cs;
  Change(cs, "calc.c",
         "#include \"calc.h\"\n\nint add(int a, int b) { return a + b; }\n\n"
         "int clamp(int v, int lo, int hi) {\n"
         "  if (v < lo) {\n"
         "    return lo;\n"
         "  }\n"
         "  if (v > hi) {\n"
         "    return hi;\n"
         "  }\n"
         "  return v;\n"
         "}\n",
         false, false);
  // What the mapper finds for a CMake project.
  v1::RepositoryMap map;
  auto* b = map.add_build_systems();
  b->set_name("cmake");
  b->set_build_command("cmake -S . -B build -G Ninja && cmake --build build");
  b->set_test_command("ctest --test-dir build --output-on-failure");
  map.set_test_command(b->test_command());
  auto request = BuildRunRequest(map, RepoConfig{}, TestPolicy{});
  ASSERT_TRUE(request.ok()) << request.status();

  auto report = RunTests(git.repo(), git.commit(), cs, *request, options_);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->framework(), "ctest");
  EXPECT_EQ(report->total(), 2u) << report->output_tail();
  EXPECT_EQ(report->passed(), 2u);
  ASSERT_TRUE(report->has_coverage()) << report->verdict();
  EXPECT_EQ(report->coverage().tool(), "gcovr");
  EXPECT_GT(report->coverage().lines(), 0u);
  const v1::FileCoverage* file = CoverageOf(*report, "calc.c");
  ASSERT_NE(file, nullptr) << report->coverage().DebugString();
  EXPECT_GT(file->changed_lines(), 0u);
  EXPECT_LT(file->changed_covered(), file->changed_lines());
  // `return lo;` (line 7) never ran.
  EXPECT_NE(std::find(file->uncovered_changed().begin(), file->uncovered_changed().end(), 7u),
            file->uncovered_changed().end())
      << file->DebugString();
  EXPECT_FALSE(report->gates_passed());
  EXPECT_NE(report->verdict().find("calc.c"), std::string::npos) << report->verdict();
}

// --- Go ---------------------------------------------------------------------------------------

Files GoModule() {
  return {{"go.mod", "module example.com/calc\n\ngo 1.19\n"},
          {"calc/calc.go",
           "package calc\n\n// Add returns a + b.\nfunc Add(a, b int) int { return a + b }\n"},
          {"calc/calc_test.go",
           "package calc\n\nimport \"testing\"\n\n"
           "func TestAdd(t *testing.T) {\n\tif Add(2, 3) != 5 {\n\t\tt.Fatal(\"Add\")\n\t}\n}\n"}};
}

TEST_F(EcosystemsTest, GoTestWithCoverageNamesTheFailingTest) {
  if (!SandboxHas("go version")) GTEST_SKIP() << "no go";
  GitFixture git(GoModule());
  ASSERT_TRUE(git.ok());
  v1::ChangeSet cs;
  Change(cs, "calc/calc.go",
         "package calc\n\n// Add returns a + b.\nfunc Add(a, b int) int { return a + b }\n\n"
         "// Sub returns a - b, never below zero.\nfunc Sub(a, b int) int {\n\tif a < b {\n"
         "\t\treturn 0\n\t}\n\treturn a - b\n}\n",
         false, false);
  Change(cs, "calc/calc_test.go",
         "package calc\n\nimport \"testing\"\n\n"
         "func TestAdd(t *testing.T) {\n\tif Add(2, 3) != 5 {\n\t\tt.Fatal(\"Add\")\n\t}\n}\n\n"
         "func TestSubFails(t *testing.T) {\n\tif got := Sub(1, 2); got != -1 {\n"
         "\t\tt.Errorf(\"Sub(1, 2) = %d, want -1\", got)\n\t}\n}\n",
         true, false);
  TestRunRequest request = Request("go test ./...", 0.8);
  request.go_module = "example.com/calc";
  auto report = RunTests(git.repo(), git.commit(), cs, request, options_);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->framework(), "go test");
  EXPECT_EQ(report->total(), 2u) << report->output_tail();
  EXPECT_EQ(report->passed(), 1u);
  EXPECT_EQ(report->failed(), 1u);
  const v1::TestCase* failing = FailureNamed(*report, "TestSubFails");
  ASSERT_NE(failing, nullptr) << report->DebugString();
  EXPECT_EQ(failing->classname(), "example.com/calc/calc");
  EXPECT_NE(failing->message().find("Sub(1, 2) = 0, want -1"), std::string::npos)
      << failing->message();
  EXPECT_NE(report->output_tail().find("--- FAIL: TestSubFails"), std::string::npos)
      << report->output_tail();

  ASSERT_TRUE(report->has_coverage()) << report->verdict();
  EXPECT_EQ(report->coverage().tool(), "go test -cover");
  const v1::FileCoverage* file = CoverageOf(*report, "calc/calc.go");
  ASSERT_NE(file, nullptr) << report->coverage().DebugString();
  EXPECT_GT(file->changed_lines(), 0u);
  EXPECT_LT(file->changed_covered(), file->changed_lines());
  EXPECT_FALSE(report->gates_passed());
  EXPECT_NE(report->verdict().find("TestSubFails"), std::string::npos) << report->verdict();
  EXPECT_TRUE(fs::is_empty(work_root_.path()));
}

TEST_F(EcosystemsTest, GoPackageThatDoesNotCompileIsAnErrorNamingIt) {
  if (!SandboxHas("go version")) GTEST_SKIP() << "no go";
  GitFixture git(GoModule());
  ASSERT_TRUE(git.ok());
  v1::ChangeSet cs;
  Change(cs, "broken/broken.go", "package broken\n\nfunc Answer() int { return \"42\" }\n", false,
         true);
  Change(cs, "broken/broken_test.go",
         "package broken\n\nimport \"testing\"\n\nfunc TestAnswer(t *testing.T) { Answer() }\n",
         true, true);
  auto report = RunTests(git.repo(), git.commit(), cs, Request("go test ./...", 0.8), options_);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->passed(), 1u) << report->output_tail();  // calc still builds and passes
  EXPECT_EQ(report->errors(), 1u);
  const v1::TestCase* broken = FailureNamed(*report, "example.com/calc/broken");
  ASSERT_NE(broken, nullptr) << report->DebugString();
  EXPECT_EQ(broken->status(), "error");
  EXPECT_NE(broken->message().find("broken.go:3"), std::string::npos) << broken->message();
  EXPECT_FALSE(report->gates_passed());
}

// --- .slipway.yaml ----------------------------------------------------------------------------

TEST_F(EcosystemsTest, SlipwayYamlOverridesTheMappersCommand) {
  GitFixture git(
      Files{{".slipway.yaml",
             "test:\n  command: sh checks/run.sh\n  env:\n    GREETING: hello\n"
             "  timeout_seconds: 60\ngates:\n  min_changed_coverage: 0\n"},
            {"checks/run.sh", "test \"$GREETING\" = hello && echo \"checks passed\"\n"}});
  ASSERT_TRUE(git.ok());
  v1::RepositoryMap map;
  map.set_test_command("python3 -m pytest -q");  // would find no tests here
  auto config = LoadRepoConfig(git.repo(), git.commit());
  ASSERT_TRUE(config.ok()) << config.status();
  auto request = BuildRunRequest(map, *config, TestPolicy{});
  ASSERT_TRUE(request.ok()) << request.status();
  auto report = RunTests(git.repo(), git.commit(), {}, *request, options_);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->command_source(), ".slipway.yaml");
  EXPECT_EQ(report->command(), "sh checks/run.sh");
  EXPECT_EQ(report->framework(), "exit code");
  EXPECT_EQ(report->passed(), 1u) << report->output_tail();
  EXPECT_NE(report->output_tail().find("checks passed"), std::string::npos);
  EXPECT_DOUBLE_EQ(report->gates().min_changed_coverage(), 0.0);
  EXPECT_TRUE(report->gates_passed()) << report->verdict();

  GitFixture broken(Files{{".slipway.yaml", "test:\n  comand: make\n"}});
  auto error = LoadRepoConfig(broken.repo(), broken.commit());
  EXPECT_EQ(error.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(error.status().message().find("test.comand"), std::string::npos);
}

// --- node --test --------------------------------------------------------------------------------

TEST_F(EcosystemsTest, NpmTestRunningNodeTestIsReadAsTap) {
  if (!SandboxHas("node --version") || !SandboxHas("npm --version"))
    GTEST_SKIP() << "no node and npm";
  GitFixture git(
      Files{{"package.json",
             R"({"name": "calc", "version": "1.0.0", "scripts": {"test": "node --test"}})"},
            {"calc.js", "exports.add = (a, b) => a + b;\n"}});
  ASSERT_TRUE(git.ok());
  v1::ChangeSet cs;
  Change(cs, "test/calc.test.js",
         "const test = require('node:test');\nconst assert = require('node:assert');\n"
         "const { add } = require('../calc.js');\n"
         "test('adds', () => { assert.strictEqual(add(2, 3), 5); });\n"
         "test('adds wrongly', () => { assert.strictEqual(add(2, 2), 5, 'two and two'); });\n",
         true, true);
  auto report = RunTests(git.repo(), git.commit(), cs, Request("npm test", 0.8), options_);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->framework(), "node --test");
  EXPECT_EQ(report->total(), 2u) << report->output_tail();
  EXPECT_EQ(report->passed(), 1u);
  EXPECT_EQ(report->failed(), 1u);
  const v1::TestCase* failing = FailureNamed(*report, "adds wrongly");
  ASSERT_NE(failing, nullptr) << report->DebugString();
  EXPECT_NE(failing->message().find("two and two"), std::string::npos) << failing->message();
  EXPECT_FALSE(report->has_coverage());
  EXPECT_FALSE(report->gates_passed());
  EXPECT_NE(report->verdict().find("adds wrongly"), std::string::npos) << report->verdict();
}

// --- cargo test ---------------------------------------------------------------------------------

TEST_F(EcosystemsTest, CargoTestFailuresAreNamedWithTheirOutput) {
  // cargo is often installed per user: hand its folder to the sandbox.
  auto which = RunCommand("command -v cargo");
  if (which.exit_code != 0) GTEST_SKIP() << "no cargo";
  std::string cargo = which.output.substr(0, which.output.find('\n'));
  GitFixture git(
      Files{{"Cargo.toml", "[package]\nname = \"calc\"\nversion = \"0.1.0\"\nedition = \"2021\"\n"},
            {"src/lib.rs", "pub fn add(a: i32, b: i32) -> i32 {\n    a + b\n}\n"}});
  ASSERT_TRUE(git.ok());
  v1::ChangeSet cs;
  Change(cs, "tests/add.rs",
         "#[test]\nfn adds() {\n    assert_eq!(calc::add(2, 3), 5);\n}\n\n"
         "#[test]\nfn adds_wrongly() {\n    println!(\"checking two and two\");\n"
         "    assert_eq!(calc::add(2, 2), 5);\n}\n\n#[test]\n#[ignore]\nfn later() {}\n",
         true, true);
  TestRunRequest request = Request("cargo test", 0.8);
  request.env = {
      {"PATH", fs::path(cargo).parent_path().string() + ":" + std::string(kSandboxPath)}};
  auto report = RunTests(git.repo(), git.commit(), cs, request, options_);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->framework(), "cargo test");
  EXPECT_EQ(report->passed(), 1u) << report->output_tail();
  EXPECT_EQ(report->failed(), 1u);
  EXPECT_EQ(report->skipped(), 1u);
  const v1::TestCase* failing = FailureNamed(*report, "adds_wrongly");
  ASSERT_NE(failing, nullptr) << report->DebugString();
  EXPECT_NE(failing->message().find("checking two and two"), std::string::npos)
      << failing->message();
  EXPECT_FALSE(report->has_coverage());
  EXPECT_FALSE(report->gates_passed());
}

}  // namespace
}  // namespace slipway::tester
