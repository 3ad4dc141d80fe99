// Recognises the test framework a repository's test command ends with and rewrites the command
// so the framework writes machine-readable results (and coverage, when asked) into the worktree.
//
// Only the last stage of the command (after the last unquoted `;`, `&&`, `||`, `|`, `&` or
// newline) is looked at and changed: earlier stages (installs, builds) run as written.
//
//   pytest       results: --junitxml=<file>
//                coverage: --cov=. --cov-report=xml:<file> when its pytest loads pytest-cov
//   ctest        results: --output-junit <file>
//                coverage: CFLAGS/CXXFLAGS/LDFLAGS=--coverage, then gcovr --cobertura afterwards
//   go test      results: -json, stdout and stderr redirected to <file>
//                coverage: -coverprofile=<file>
//   cargo test   results: libtest's text output (the sandbox's); no coverage
//   node --test  results: --test-reporter=tap (through NODE_OPTIONS for `npm test`); no coverage
//   other        judged by the exit code; no coverage
//
// Pure apart from reading the worktree's package.json and looking for a CMakeCache.txt there;
// any thread.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace slipway::tester {

enum class Framework { kOther, kPytest, kCTest, kGoTest, kCargoTest, kNodeTest };

// "pytest", "ctest", "go test", "cargo test", "node --test"; "exit code" for kOther.
std::string_view FrameworkName(Framework framework);

// The files the rewritten command writes, at the worktree's root.
inline constexpr std::string_view kJUnitFileName = ".slipway-junit.xml";
inline constexpr std::string_view kGoTestJsonFileName = ".slipway-go-test.json";
inline constexpr std::string_view kTapFileName = ".slipway-test.tap";
inline constexpr std::string_view kCoberturaFileName = ".slipway-coverage.xml";
inline constexpr std::string_view kGoCoverProfileFileName = ".slipway-coverage.out";
// Created by the pytest command when pytest-cov cannot be loaded (the run goes on without it).
inline constexpr std::string_view kNoPytestCovMarker = ".slipway-no-pytest-cov";
// GOCACHE, GOPATH and HOME of a go test run live under this folder of the worktree (go's
// `./...` skips folders starting with a dot).
inline constexpr std::string_view kGoHomeDirName = ".slipway-go";

enum class CoverageFormat { kNone, kCobertura, kGoCoverProfile };

struct TestInvocation {
  Framework framework = Framework::kOther;
  std::string command;            // as it is run
  std::filesystem::path results;  // where the framework writes its results; empty: the output
  // Coverage, when requested and possible for the framework.
  CoverageFormat coverage_format = CoverageFormat::kNone;
  std::filesystem::path coverage;  // the report written by the run (or by post_command)
  std::string coverage_tool;       // "coverage.py", "gcovr", "go test -cover"
  std::string post_command;        // run in the worktree after the tests (gcovr); may be empty
  // Added to the sandbox's environment. The repository's own variables win, except that
  // CFLAGS/CXXFLAGS/LDFLAGS/NODE_OPTIONS get these appended to theirs.
  std::vector<std::pair<std::string, std::string>> env;
  std::vector<std::filesystem::path> directories;  // created before the run
  std::vector<std::string> notes;  // why coverage or structured results are not available
};

struct PrepareOptions {
  bool coverage = false;
};

// `worktree` is the absolute path of the checkout the command runs in; result files go there.
// An empty or unrecognised command comes back unchanged with Framework::kOther.
TestInvocation PrepareTestCommand(const std::string& test_command,
                                  const std::filesystem::path& worktree,
                                  const PrepareOptions& options = {});

// The command of the last stage, from its first byte (used by tests and by the step to
// describe commands). Exposed for tests.
std::string_view LastStage(std::string_view command);

// Single-quotes `s` for /bin/sh.
std::string ShellQuote(std::string_view s);

}  // namespace slipway::tester
