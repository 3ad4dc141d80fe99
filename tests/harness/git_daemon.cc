#include "tests/harness/git_daemon.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>

#include "tests/harness/harness.h"

namespace slipway::testing {
namespace {

namespace fs = std::filesystem;

sockaddr_in Loopback(int port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  return addr;
}

bool Accepts(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in addr = Loopback(port);
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  ::close(fd);
  return ok;
}

}  // namespace

// Binds port 0, reads the port back, closes.
int FreeLoopbackPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return 0;
  sockaddr_in addr = Loopback(0);
  socklen_t len = sizeof(addr);
  int port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0)
    port = ntohs(addr.sin_port);
  ::close(fd);
  return port;
}

GitDaemon::GitDaemon(fs::path base) : base_(std::move(base)) {
  // A port taken between FreeLoopbackPort and the daemon's bind makes the daemon exit: try
  // again.
  for (int attempt = 0; attempt < 3 && !Launch(); ++attempt) {
  }
}

GitDaemon::~GitDaemon() { Stop(); }

std::string GitDaemon::url(const std::string& name) const {
  return "git://127.0.0.1:" + std::to_string(port_) + "/" + name;
}

bool GitDaemon::Launch() {
  CommandResult exec_path = RunCommand("git --exec-path");
  if (exec_path.exit_code != 0) {
    error_ = "git --exec-path: " + exec_path.output;
    return false;
  }
  while (!exec_path.output.empty() && exec_path.output.back() == '\n') exec_path.output.pop_back();
  const std::string daemon = exec_path.output + "/git-daemon";
  port_ = FreeLoopbackPort();
  if (port_ == 0) {
    error_ = "no free port on 127.0.0.1";
    return false;
  }
  const std::string base_arg = "--base-path=" + base_.string();
  const std::string port_arg = "--port=" + std::to_string(port_);
  const std::string log = (base_ / "git-daemon.log").string();
  pid_t pid = ::fork();
  if (pid < 0) {
    error_ = "fork failed";
    return false;
  }
  if (pid == 0) {
    // A test that crashes must not leave the daemon running.
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    // receive-pack complains when a client disconnects without pushing (up to date, refused
    // before sending); keep that out of the test output.
    int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd >= 0) ::dup2(fd, STDERR_FILENO);
    ::execl(daemon.c_str(), daemon.c_str(), "--export-all", "--enable=receive-pack", "--reuseaddr",
            base_arg.c_str(), "--listen=127.0.0.1", port_arg.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  bool exited = false;
  bool listening = WaitFor(
      [&] {
        int status = 0;
        if (::waitpid(pid, &status, WNOHANG) == pid) {
          exited = true;
          return true;
        }
        return Accepts(port_);
      },
      std::chrono::seconds(20), std::chrono::milliseconds(20));
  if (listening && !exited) {
    pid_ = pid;
    error_.clear();
    return true;
  }
  if (!exited) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
  }
  error_ = (exited ? "git daemon exited" : "git daemon did not listen within 20 s") +
           std::string(" on port ") + std::to_string(port_) + "; log: " + ReadFile(log);
  return false;
}

void GitDaemon::Stop() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  ::waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

}  // namespace slipway::testing
