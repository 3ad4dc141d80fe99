// The tester step's logic: materialise base commit + change set in a fresh worktree, run the
// repository's test command in the sandbox with a JUnit report requested, and summarise.
//
// Any thread; each call uses its own worktree, so calls may run concurrently (the Repository
// itself is used by one thread at a time, per libs/repo). A failing or timed-out suite is a
// successful call whose report says so. Errors are infrastructure problems only: the worktree
// cannot be created or filled (Checkout/ApplyToDirectory errors, e.g. NOT_FOUND for an unknown
// commit, INVALID_ARGUMENT for a bad change-set path), or the shell cannot be started
// (INTERNAL, retryable).
#pragma once

#include <filesystem>
#include <string>

#include "absl/status/statusor.h"
#include "libs/repo/repository.h"
#include "services/tester/sandbox.h"
#include "slipway/v1/artifacts.pb.h"

namespace slipway::tester {

// The JUnit file is written at the worktree's root under this name.
inline constexpr std::string_view kJUnitFileName = ".slipway-junit.xml";
// TestReport.output_tail keeps at most this many bytes of the end of the output.
inline constexpr size_t kOutputTailBytes = 16 * 1024;

struct TesterOptions {
  SandboxLimits limits;
  std::filesystem::path work_root = std::filesystem::temp_directory_path();
  bool keep_worktree = false;  // for debugging: leave the worktree behind
};

// How the test command is run: the command with JUnit output requested when its last
// pipeline stage is pytest (`--junitxml=<file> -p no:cacheprovider`) or ctest
// (`--output-junit <file>`); unchanged otherwise (judged by exit code).
struct TestInvocation {
  std::string command;
  bool junit = false;
};
TestInvocation PrepareTestCommand(const std::string& test_command,
                                  const std::filesystem::path& junit_file);

// Fills command (as run), exit_code (128 + signal when killed), timed_out, counts, failures,
// seconds and output_tail. Without a usable JUnit report the suite counts as one test that
// passed when the exit code is 0. A non-zero exit with no failing case adds one "error" case
// naming the exit code, so the counts never say "all passed" for a failed run.
absl::StatusOr<v1::TestReport> RunTests(const repo::Repository& repo, const std::string& commit,
                                        const v1::ChangeSet& change_set,
                                        const std::string& test_command,
                                        const TesterOptions& options);

}  // namespace slipway::tester
