// The tester step's logic: materialise base commit + change set in a fresh worktree, run the
// repository's test command in the sandbox with structured results (and coverage) requested
// from the framework it ends with, and judge the outcome against the gates.
//
// Any thread; each call uses its own worktree, so calls may run concurrently (the Repository
// itself is used by one thread at a time, per libs/repo). A failing or timed-out suite, or one
// that misses the gates, is a successful call whose report says so. Errors are infrastructure
// problems only: the worktree cannot be created or filled (Checkout/ApplyToDirectory errors,
// e.g. NOT_FOUND for an unknown commit, INVALID_ARGUMENT for a bad change-set path), or the
// shell cannot be started (INTERNAL, retryable); an empty command is INVALID_ARGUMENT.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "libs/repo/repository.h"
#include "services/tester/sandbox.h"
#include "services/tester/test_command.h"
#include "slipway/v1/artifacts.pb.h"

namespace slipway::tester {

// TestReport.output_tail keeps at most this many bytes of the end of the output.
inline constexpr size_t kOutputTailBytes = 16 * 1024;

struct TesterOptions {
  SandboxLimits limits;  // limits.wall is the service's ceiling for one test run
  // The coverage tool that runs after the tests (gcovr) gets at most this long.
  std::chrono::milliseconds coverage_tool_wall{2 * 60 * 1000};
  std::filesystem::path work_root = std::filesystem::temp_directory_path();
  bool keep_worktree = false;  // for debugging: leave the worktree behind
};

// Where the test command came from (TestReport.command_source).
inline constexpr std::string_view kSourceMapper = "mapper";
inline constexpr std::string_view kSourceRepoConfig = ".slipway.yaml";
inline constexpr std::string_view kSourceConfiguration = "configuration";

struct TestRunRequest {
  std::string command;                        // the repository's test command
  std::string command_source{kSourceMapper};  // kSource*
  v1::TestGates gates;                        // applied to the outcome as given
  bool coverage = true;   // measure it when the framework can; false also turns its gate off
  std::string go_module;  // RepositoryMap.go_module ("" : read go.mod)
  std::vector<std::pair<std::string, std::string>> env;  // added to the sandbox's; wins
  std::chrono::milliseconds timeout{0};  // 0: TesterOptions.limits.wall; never above it
};

// Fills every TestReport field but generated_tests and usage:
//  * command (as run), exit_code (128 + signal when killed), timed_out, seconds, output_tail;
//  * counts and failures from the framework's results. Without usable results the suite
//    counts as one test that passed when the exit code is 0. A non-zero exit with no failing
//    case adds one "error" case naming the exit code, so the counts never say "all passed"
//    for a failed run;
//  * framework, command_source, gates (as applied: with coverage off, the coverage gate is
//    off too);
//  * coverage: the tool's totals and, for the change set's non-test source files, the
//    changed lines (coverage::ChangedLines against the base commit; all lines of an added
//    file) that are executable and covered. Absent when not measured;
//  * gates_passed and verdict (coverage::EvaluateGates, plus notes on what could not be
//    measured or read).
absl::StatusOr<v1::TestReport> RunTests(const repo::Repository& repo, const std::string& commit,
                                        const v1::ChangeSet& change_set,
                                        const TestRunRequest& request,
                                        const TesterOptions& options);

}  // namespace slipway::tester
