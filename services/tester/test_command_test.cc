#include "services/tester/test_command.h"

#include <map>

#include "gtest/gtest.h"
#include "tests/harness/harness.h"

namespace slipway::tester {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;
using testing::WriteFile;

const fs::path kWorktree = "/w x";

std::map<std::string, std::string> EnvOf(const TestInvocation& inv) {
  return {inv.env.begin(), inv.env.end()};
}

TEST(PrepareTestCommand, PytestGetsJUnitAndCoverageWhenItCanLoadPytestCov) {
  auto plain = PrepareTestCommand("python3 -m pytest -q  ", kWorktree);
  EXPECT_EQ(plain.framework, Framework::kPytest);
  EXPECT_EQ(plain.command,
            "python3 -m pytest -q --junitxml='/w x/.slipway-junit.xml' -p "
            "no:cacheprovider");
  EXPECT_EQ(plain.results, kWorktree / kJUnitFileName);
  EXPECT_EQ(plain.coverage_format, CoverageFormat::kNone);

  auto cov = PrepareTestCommand("pip install -e . && PYTHONPATH=src python3 -m pytest tests",
                                kWorktree, {.coverage = true});
  EXPECT_EQ(cov.framework, Framework::kPytest);
  EXPECT_EQ(cov.coverage_format, CoverageFormat::kCobertura);
  EXPECT_EQ(cov.coverage, kWorktree / kCoberturaFileName);
  EXPECT_EQ(cov.coverage_tool, "coverage.py");
  EXPECT_EQ(cov.command,
            "pip install -e . && { if PYTHONPATH=src python3 -m pytest -p pytest_cov --version "
            ">/dev/null 2>&1; then PYTHONPATH=src python3 -m pytest tests "
            "--junitxml='/w x/.slipway-junit.xml' -p no:cacheprovider --cov=. "
            "'--cov-report=xml:/w x/.slipway-coverage.xml'; else : > "
            "'/w x/.slipway-no-pytest-cov'; PYTHONPATH=src python3 -m pytest tests "
            "--junitxml='/w x/.slipway-junit.xml' -p no:cacheprovider; fi; }");

  for (const char* cmd : {"pytest", "/usr/bin/pytest -x", "py.test", "pytest-3 -q"})
    EXPECT_EQ(PrepareTestCommand(cmd, kWorktree).framework, Framework::kPytest) << cmd;
}

TEST(PrepareTestCommand, OnlyTheLastStageIsChanged) {
  auto other = PrepareTestCommand("pytest -q; echo 'done | pytest'", kWorktree);
  EXPECT_EQ(other.framework, Framework::kOther);
  EXPECT_EQ(other.command, "pytest -q; echo 'done | pytest'");
  EXPECT_TRUE(other.results.empty());
  // Redirections are not separators.
  auto go = PrepareTestCommand("go vet ./... && go test ./... 2>&1", kWorktree);
  EXPECT_EQ(go.framework, Framework::kGoTest);
  EXPECT_EQ(PrepareTestCommand("make test", kWorktree).framework, Framework::kOther);
  EXPECT_EQ(PrepareTestCommand("", kWorktree).command, "");
  EXPECT_EQ(LastStage("a && b || c | d; e & f"), " f");
  EXPECT_EQ(LastStage("a 2>&1 >|x"), "a 2>&1 >|x");
}

TEST(PrepareTestCommand, CTestGetsJUnitAndGcovrWhenTheBuildFolderIsFresh) {
  TempDir dir("slipway-prepare");
  const std::string cmd =
      "cmake -S . -B build -G Ninja && cmake --build build && ctest --test-dir build "
      "--output-on-failure";
  auto plain = PrepareTestCommand(cmd, dir.path());
  EXPECT_EQ(plain.framework, Framework::kCTest);
  EXPECT_EQ(plain.command,
            cmd + " --output-junit '" + (dir.path() / kJUnitFileName).string() + "'");
  EXPECT_TRUE(plain.env.empty());

  auto cov = PrepareTestCommand(cmd, dir.path(), {.coverage = true});
  EXPECT_EQ(cov.coverage_format, CoverageFormat::kCobertura);
  EXPECT_EQ(cov.coverage_tool, "gcovr");
  EXPECT_EQ(EnvOf(cov)["CXXFLAGS"], "--coverage");
  EXPECT_EQ(EnvOf(cov)["CFLAGS"], "--coverage");
  EXPECT_EQ(EnvOf(cov)["LDFLAGS"], "--coverage");
  EXPECT_EQ(cov.post_command, "gcovr --cobertura -r '" + dir.path().string() + "' -o '" +
                                  (dir.path() / kCoberturaFileName).string() + "'");
  EXPECT_TRUE(cov.notes.empty());

  // A build folder committed with its cache keeps its flags: no coverage, and a note.
  WriteFile(dir.path() / "build" / "CMakeCache.txt", "");
  auto stale = PrepareTestCommand(cmd, dir.path(), {.coverage = true});
  EXPECT_EQ(stale.framework, Framework::kCTest);
  EXPECT_EQ(stale.coverage_format, CoverageFormat::kNone);
  ASSERT_EQ(stale.notes.size(), 1u);
  EXPECT_NE(stale.notes[0].find("CMakeCache.txt"), std::string::npos);
}

TEST(PrepareTestCommand, GoTestWritesJsonAndACoverProfileToFiles) {
  auto inv = PrepareTestCommand("CGO_ENABLED=0 go test -race ./...", kWorktree, {.coverage = true});
  EXPECT_EQ(inv.framework, Framework::kGoTest);
  EXPECT_EQ(inv.command,
            "CGO_ENABLED=0 go test -json -coverprofile='/w x/.slipway-coverage.out' -race ./... > "
            "'/w x/.slipway-go-test.json' 2>&1");
  EXPECT_EQ(inv.results, kWorktree / kGoTestJsonFileName);
  EXPECT_EQ(inv.coverage_format, CoverageFormat::kGoCoverProfile);
  EXPECT_EQ(inv.coverage_tool, "go test -cover");
  auto env = EnvOf(inv);
  EXPECT_EQ(env["GOCACHE"], "/w x/.slipway-go/cache");
  EXPECT_EQ(env["GOPATH"], "/w x/.slipway-go/path");
  EXPECT_EQ(env["HOME"], "/w x/.slipway-go/home");
  EXPECT_EQ(env["GOFLAGS"], "-mod=mod");
  EXPECT_EQ(env["GOTOOLCHAIN"], "local");
  EXPECT_EQ(env["GOPROXY"], "off");
  ASSERT_EQ(inv.directories.size(), 1u);

  auto own =
      PrepareTestCommand("go test -json -coverprofile=c.out ./...", kWorktree, {.coverage = true});
  EXPECT_EQ(own.command,
            "go test -json -coverprofile=c.out ./... > '/w x/.slipway-go-test.json' 2>&1");
  EXPECT_EQ(own.coverage_format, CoverageFormat::kNone);
  EXPECT_EQ(own.notes.size(), 1u);
}

TEST(PrepareTestCommand, CargoTestIsParsedFromItsOutput) {
  auto inv = PrepareTestCommand("cargo test --workspace", kWorktree, {.coverage = true});
  EXPECT_EQ(inv.framework, Framework::kCargoTest);
  EXPECT_EQ(inv.command, "cargo test --workspace");
  EXPECT_TRUE(inv.results.empty());
  EXPECT_EQ(inv.coverage_format, CoverageFormat::kNone);
  EXPECT_EQ(EnvOf(inv)["CARGO_TERM_COLOR"], "never");
  EXPECT_EQ(PrepareTestCommand("cargo +nightly t", kWorktree).framework, Framework::kCargoTest);
  EXPECT_EQ(PrepareTestCommand("cargo build", kWorktree).framework, Framework::kOther);
}

TEST(PrepareTestCommand, NodeTestGetsTheTapReporter) {
  auto direct = PrepareTestCommand("node --test test/", kWorktree);
  EXPECT_EQ(direct.framework, Framework::kNodeTest);
  EXPECT_EQ(direct.command,
            "node --test-reporter=tap --test-reporter-destination='/w "
            "x/.slipway-test.tap' --test test/");
  EXPECT_EQ(direct.results, kWorktree / kTapFileName);

  auto own = PrepareTestCommand("node --test --test-reporter=spec", kWorktree);
  EXPECT_EQ(own.framework, Framework::kOther);
  EXPECT_EQ(own.command, "node --test --test-reporter=spec");
  EXPECT_EQ(PrepareTestCommand("node test.js", kWorktree).framework, Framework::kOther);
}

TEST(PrepareTestCommand, NpmTestIsNodeTestWhenItsScriptIs) {
  TempDir dir("slipway-prepare");
  WriteFile(dir.path() / "package.json",
            R"({"name": "x", "scripts": {"test": "tsc && node --test dist/"}})");
  for (const char* cmd : {"npm test", "npm run test", "npm --silent t", "pnpm test"}) {
    auto inv = PrepareTestCommand(cmd, dir.path());
    EXPECT_EQ(inv.framework, Framework::kNodeTest) << cmd;
    EXPECT_EQ(inv.command, cmd);
    EXPECT_EQ(EnvOf(inv)["NODE_OPTIONS"], "--test-reporter=tap --test-reporter-destination=\"" +
                                              (dir.path() / kTapFileName).string() + "\"");
  }
  WriteFile(dir.path() / "package.json", R"({"scripts": {"test": "jest"}})");
  EXPECT_EQ(PrepareTestCommand("npm test", dir.path()).framework, Framework::kOther);
  WriteFile(dir.path() / "package.json", "{not json");
  EXPECT_EQ(PrepareTestCommand("npm test", dir.path()).framework, Framework::kOther);
  EXPECT_EQ(PrepareTestCommand("npm test", "/nonexistent/slipway").framework, Framework::kOther);
}

TEST(PrepareTestCommand, FrameworkNames) {
  EXPECT_EQ(FrameworkName(Framework::kPytest), "pytest");
  EXPECT_EQ(FrameworkName(Framework::kCTest), "ctest");
  EXPECT_EQ(FrameworkName(Framework::kGoTest), "go test");
  EXPECT_EQ(FrameworkName(Framework::kCargoTest), "cargo test");
  EXPECT_EQ(FrameworkName(Framework::kNodeTest), "node --test");
  EXPECT_EQ(FrameworkName(Framework::kOther), "exit code");
}

}  // namespace
}  // namespace slipway::tester
