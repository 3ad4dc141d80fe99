// Runs a checking tool (a compiler's syntax check, gofmt, node --check) as a child process
// without a shell: stdin /dev/null, stdout and stderr captured together up to a limit, killed
// after a timeout. Any thread; each call spawns its own process.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace slipway::implementer {

struct ToolResult {
  int exit_code = -1;  // -1 when killed by a signal
  std::string output;  // stdout + stderr, at most `output_limit` bytes
};

// NOT_FOUND when argv[0] cannot be found on PATH (callers skip the check), DEADLINE_EXCEEDED
// after `timeout` (the process is killed), INTERNAL when a pipe or the spawn fails.
absl::StatusOr<ToolResult> RunTool(const std::vector<std::string>& argv,
                                   const std::filesystem::path& cwd,
                                   std::chrono::milliseconds timeout,
                                   size_t output_limit = 16 * 1024);

// True when `program` is an executable file on PATH (or a path to one).
bool ToolAvailable(const std::string& program);

}  // namespace slipway::implementer
