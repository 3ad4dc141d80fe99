// Syntax check of Python source by the Python interpreter (`ast.parse`), run as a child
// process without a shell. Any thread; each call spawns its own process and temp file.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace slipway::implementer {

// OK when `source` parses. INVALID_ARGUMENT "<display_path>: Python syntax error at line N,
// column M: <message>" when it does not. NOT_FOUND when `python` cannot be run (the caller
// may skip the check). DEADLINE_EXCEEDED after `timeout`; INTERNAL for other failures.
absl::Status CheckPythonSyntax(std::string_view display_path, std::string_view source,
                               const std::string& python = "python3",
                               std::chrono::milliseconds timeout = std::chrono::seconds(30));

}  // namespace slipway::implementer
