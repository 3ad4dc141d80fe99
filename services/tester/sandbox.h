// Runs a shell command as a contained child process: its own session and process group,
// resource limits, an optional private network namespace, a wall-clock deadline and a bounded
// output buffer.
//
// Any thread may call RunSandboxed; it blocks the caller until the command and everything it
// left behind in its process group are gone, never past the wall limit plus the kill grace.
// Errors are infrastructure failures only (cannot create a pipe, fork, enter `cwd` or start
// /bin/sh); a command that fails, crashes or times out is a successful call whose result says so.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace slipway::tester {

// The PATH a sandboxed command gets (the service's own PATH is not passed on).
inline constexpr std::string_view kSandboxPath =
    "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

struct SandboxLimits {
  std::chrono::milliseconds wall{10 * 60 * 1000};
  uint64_t memory_bytes = 4ull << 30;  // RLIMIT_AS
  uint64_t cpu_seconds = 900;          // RLIMIT_CPU
  uint64_t file_bytes = 1ull << 30;    // RLIMIT_FSIZE
  size_t output_limit = 1 << 20;       // output kept (head + tail); the rest is dropped but counted
  // unshare(CLONE_NEWNET) when permitted (directly, or inside a new user namespace); silently
  // skipped when not. ProcessResult::network_isolated records whether it applied. Loopback is
  // brought up inside the namespace so tests may still use 127.0.0.1.
  bool isolate_network = true;
  // Between SIGTERM and SIGKILL to the process group after the wall limit.
  std::chrono::milliseconds kill_grace{2000};
};

struct ProcessResult {
  int exit_code = -1;   // -1 when the shell was killed by a signal
  int term_signal = 0;  // the signal that ended the shell, 0 when it exited
  bool timed_out = false;
  std::string output;         // stdout+stderr interleaved, truncated to the limit with a marker
  uint64_t output_bytes = 0;  // everything the command wrote, kept or not
  bool network_isolated = false;
  double seconds = 0;
};

// The marker placed between the kept head and tail of truncated output starts with this.
inline constexpr std::string_view kTruncationMarker = "[slipway: ";

// Runs `/bin/sh -c command` in `cwd` with the parent's environment plus `env` (which wins) and
// PYTHONDONTWRITEBYTECODE=1. stdin is /dev/null. On timeout the whole process group gets
// SIGTERM, then SIGKILL after the grace period; whenever the shell ends, members it left in
// its group (daemons) are killed too. Processes that escape with setsid() are out of reach.
absl::StatusOr<ProcessResult> RunSandboxed(
    const std::string& command, const std::filesystem::path& cwd,
    const std::vector<std::pair<std::string, std::string>>& env, const SandboxLimits& limits);

}  // namespace slipway::tester
