#include "services/implementer/python_check.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <vector>

#include "services/implementer/tool_run.h"

namespace slipway::implementer {
namespace {

// Prints "line:column:message" and exits 1 on a syntax error. The source is read as bytes so
// that Python applies its own encoding rules (a coding cookie, a BOM).
constexpr const char* kScript =
    "import ast, sys\n"
    "src = open(sys.argv[1], 'rb').read()\n"
    "try:\n"
    "    ast.parse(src, sys.argv[2])\n"
    "except SyntaxError as e:\n"
    "    print('%d:%d:%s' % (e.lineno or 0, e.offset or 0, e.msg))\n"
    "    sys.exit(1)\n"
    "except (ValueError, TypeError) as e:\n"
    "    print('0:0:%s' % e)\n"
    "    sys.exit(1)\n";

// Closes a descriptor and removes a file when the check returns, whichever way.
struct Cleanup {
  int fd = -1;
  std::string file;
  ~Cleanup() {
    if (fd >= 0) ::close(fd);
    if (!file.empty()) ::unlink(file.c_str());
  }
};

absl::Status WriteAll(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0)
      return absl::InternalError(fmt::format("write temp file: {}", std::strerror(errno)));
    data.remove_prefix(static_cast<size_t>(n));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status CheckPythonSyntax(std::string_view display_path, std::string_view source,
                               const std::string& python, std::chrono::milliseconds timeout) {
  std::string tmpl = (std::filesystem::temp_directory_path() / "slipway-pycheck-XXXXXX").string();
  Cleanup tmp;
  tmp.fd = ::mkstemp(tmpl.data());
  if (tmp.fd < 0)
    return absl::InternalError(fmt::format("create temp file: {}", std::strerror(errno)));
  tmp.file = tmpl;
  if (absl::Status st = WriteAll(tmp.fd, source); !st.ok()) return st;

  const std::string name(display_path);
  // -W ignore: warnings would share the output with the script's answer.
  auto run = RunTool({python, "-I", "-W", "ignore", "-c", kScript, tmp.file, name},
                     std::filesystem::path(), timeout, 4096);
  if (run.status().code() == absl::StatusCode::kNotFound)
    return absl::NotFoundError(fmt::format("{} not found", python));
  if (run.status().code() == absl::StatusCode::kDeadlineExceeded)
    return absl::DeadlineExceededError(fmt::format("{}: Python syntax check took longer than {} ms",
                                                   display_path, timeout.count()));
  if (!run.ok()) return run.status();
  std::string output = run->output;
  if (run->exit_code < 0)
    return absl::InternalError(fmt::format("{}: {} was killed by a signal", display_path, python));
  const int code = run->exit_code;
  if (code == 0) return absl::OkStatus();
  if (code == 127)  // a wrapper (pyenv shim, env) that found no interpreter
    return absl::NotFoundError(fmt::format("{} not found (exit 127)", python));
  // "line:column:message"
  while (!output.empty() && (output.back() == '\n' || output.back() == '\r')) output.pop_back();
  const size_t c1 = output.find(':');
  const size_t c2 = c1 == std::string::npos ? std::string::npos : output.find(':', c1 + 1);
  if (code != 1 || c2 == std::string::npos)
    return absl::InternalError(fmt::format("{}: {} exited with {}: {}", display_path, python, code,
                                           output.substr(0, 200)));
  const int line = std::atoi(output.substr(0, c1).c_str());
  const int column = std::atoi(output.substr(c1 + 1, c2 - c1 - 1).c_str());
  const std::string message = output.substr(c2 + 1, 200);
  if (line <= 0)
    return absl::InvalidArgumentError(
        fmt::format("{}: not valid Python source: {}", display_path, message));
  return absl::InvalidArgumentError(fmt::format("{}: Python syntax error at line {}, column {}: {}",
                                                display_path, line, column, message));
}

}  // namespace slipway::implementer
