#include "services/implementer/python_check.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <vector>

extern char** environ;

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

  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0)
    return absl::InternalError(fmt::format("pipe: {}", std::strerror(errno)));
  Cleanup read_end{pipe_fds[0], ""};
  Cleanup write_end{pipe_fds[1], ""};

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
  const std::string name(display_path);
  std::vector<char*> argv = {const_cast<char*>(python.c_str()),
                             const_cast<char*>("-I"),
                             const_cast<char*>("-c"),
                             const_cast<char*>(kScript),
                             tmp.file.data(),
                             const_cast<char*>(name.c_str()),
                             nullptr};
  pid_t pid = 0;
  const int rc = ::posix_spawnp(&pid, python.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc == ENOENT || rc == EACCES)
    return absl::NotFoundError(fmt::format("{} not found: {}", python, std::strerror(rc)));
  if (rc != 0) return absl::InternalError(fmt::format("spawn {}: {}", python, std::strerror(rc)));
  ::close(write_end.fd);
  write_end.fd = -1;

  std::string output;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  bool timed_out = false;
  char buf[4096];
  while (true) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    pollfd p{read_end.fd, POLLIN, 0};
    const int ready = ::poll(&p, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready == 0) {
      timed_out = true;
      break;
    }
    const ssize_t n = ::read(read_end.fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    if (output.size() < 4096) output.append(buf, static_cast<size_t>(n));
  }
  if (timed_out) ::kill(pid, SIGKILL);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (timed_out)
    return absl::DeadlineExceededError(fmt::format("{}: Python syntax check took longer than {} ms",
                                                   display_path, timeout.count()));
  if (!WIFEXITED(status))
    return absl::InternalError(fmt::format("{}: {} was killed by a signal", display_path, python));
  const int code = WEXITSTATUS(status);
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
