#include "services/tester/sandbox.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <set>

#include "libs/core/fd.h"
#include "libs/core/text.h"

extern char** environ;

namespace slipway::tester {
namespace {

using Clock = std::chrono::steady_clock;

// How long to keep reading after the process group is gone, for a holder of the pipe that
// escaped the group (setsid): its output is not worth blocking for.
constexpr std::chrono::milliseconds kDrainAfterExit{200};
// Without a pidfd the exit of the shell is noticed by polling at this period.
constexpr int kExitPollMs = 50;
constexpr size_t kReadChunk = 64 * 1024;

// Length of the longest prefix of `s` that does not end inside a UTF-8 sequence.
size_t CompleteUtf8Prefix(const std::string& s) {
  size_t i = s.size();
  size_t back = 0;
  while (i > 0 && back < 4) {
    unsigned char c = static_cast<unsigned char>(s[i - 1]);
    if ((c & 0xC0) != 0x80) {
      size_t len = c < 0x80           ? 1
                   : (c >> 5) == 0x6  ? 2
                   : (c >> 4) == 0xE  ? 3
                   : (c >> 3) == 0x1E ? 4
                                      : 1;
      return back + 1 >= len ? s.size() : i - 1;
    }
    --i;
    ++back;
  }
  return s.size();
}

// Head and tail of a stream; the middle is counted and dropped so memory stays bounded.
class OutputBuffer {
 public:
  explicit OutputBuffer(size_t limit) : head_cap_(limit / 4), tail_cap_(limit - limit / 4) {}

  void Append(const char* data, size_t n) {
    total_ += n;
    size_t h = std::min(n, head_cap_ - head_.size());
    head_.append(data, h);
    data += h;
    n -= h;
    if (n == 0) return;
    // A few bytes of slack let Finish() start the tail at a UTF-8 boundary.
    const size_t keep = tail_cap_ + 4;
    if (n >= keep) {
      tail_.assign(data + n - keep, keep);
      return;
    }
    tail_.append(data, n);
    // Trim only once the tail doubled, so the copy cost stays amortised.
    if (tail_.size() > 2 * keep) tail_.erase(0, tail_.size() - keep);
  }

  uint64_t total() const { return total_; }

  std::string Finish() const {
    if (total_ <= head_cap_ + tail_cap_) return head_ + tail_;
    std::string tail = TailUtf8(tail_, tail_cap_);
    size_t head_len = CompleteUtf8Prefix(head_);
    uint64_t dropped = total_ - head_len - tail.size();
    std::string out = head_.substr(0, head_len);
    out += fmt::format("\n{}{} bytes of output dropped, {} written in total]\n", kTruncationMarker,
                       dropped, total_);
    out += tail;
    return out;
  }

 private:
  size_t head_cap_;
  size_t tail_cap_;
  std::string head_;
  std::string tail_;
  uint64_t total_ = 0;
};

// Everything the child needs, prepared before fork: after fork only async-signal-safe calls.
struct ChildPlan {
  const char* cwd;
  char* const* argv;
  char* const* envp;
  int out_fd;
  int report_fd;
  int null_fd;
  bool isolate_network;
  rlim_t memory_bytes;
  rlim_t cpu_seconds;
  rlim_t file_bytes;
};

// What the child reports on the report pipe when it cannot reach exec.
struct ChildFailure {
  char stage;  // 'c' chdir, 'e' exec
  int err;
};

size_t FormatUnsigned(char* out, unsigned long v) {
  char tmp[24];
  size_t n = 0;
  do {
    tmp[n++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0);
  for (size_t i = 0; i < n; ++i) out[i] = tmp[n - 1 - i];
  return n;
}

bool WriteWholeFile(const char* path, const char* data, size_t n) {
  int fd = ::open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return false;
  bool ok = ::write(fd, data, n) == static_cast<ssize_t>(n);
  ::close(fd);
  return ok;
}

// "id id 1\n": map our own id into the new user namespace.
bool WriteIdMap(const char* path, unsigned long id) {
  char buf[64];
  size_t n = FormatUnsigned(buf, id);
  buf[n++] = ' ';
  n += FormatUnsigned(buf + n, id);
  const char tail[] = " 1\n";
  std::memcpy(buf + n, tail, sizeof(tail) - 1);
  n += sizeof(tail) - 1;
  return WriteWholeFile(path, buf, n);
}

bool EnterNetworkNamespace() {
  if (::unshare(CLONE_NEWNET) == 0) return true;
  // Unprivileged: a user namespace grants the capability to create the network namespace.
  unsigned long uid = ::geteuid(), gid = ::getegid();
  if (::unshare(CLONE_NEWUSER | CLONE_NEWNET) != 0) return false;
  WriteWholeFile("/proc/self/setgroups", "deny", 4);
  WriteIdMap("/proc/self/uid_map", uid);
  WriteIdMap("/proc/self/gid_map", gid);
  return true;
}

void BringUpLoopback() {
  int s = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) return;
  struct ifreq ifr;
  std::memset(&ifr, 0, sizeof(ifr));
  std::memcpy(ifr.ifr_name, "lo", 3);
  if (::ioctl(s, SIOCGIFFLAGS, &ifr) == 0) {
    ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP | IFF_RUNNING);
    ::ioctl(s, SIOCSIFFLAGS, &ifr);
  }
  ::close(s);
}

void SetLimit(int resource, rlim_t wanted) {
  struct rlimit current;
  if (::getrlimit(resource, &current) != 0) return;
  rlim_t soft = wanted;
  if (current.rlim_max != RLIM_INFINITY && soft > current.rlim_max) soft = current.rlim_max;
  struct rlimit next {
    soft, current.rlim_max
  };
  ::setrlimit(resource, &next);
}

[[noreturn]] void ReportAndExit(int fd, char stage, int err) {
  ChildFailure failure{stage, err};
  ssize_t unused = ::write(fd, &failure, sizeof(failure));
  (void)unused;
  ::_exit(127);
}

[[noreturn]] void ChildMain(const ChildPlan& plan) {
  // Start from a clean signal state whatever the service process had set up.
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  struct sigaction dfl;
  std::memset(&dfl, 0, sizeof(dfl));
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; ++sig) ::sigaction(sig, &dfl, nullptr);

  ::setsid();
  char isolated = 'n';
  if (plan.isolate_network && EnterNetworkNamespace()) {
    isolated = 'y';
    BringUpLoopback();
  }
  ssize_t unused = ::write(plan.report_fd, &isolated, 1);
  (void)unused;

  ::dup2(plan.null_fd, STDIN_FILENO);
  ::dup2(plan.out_fd, STDOUT_FILENO);
  ::dup2(plan.out_fd, STDERR_FILENO);
  if (::chdir(plan.cwd) != 0) ReportAndExit(plan.report_fd, 'c', errno);

  SetLimit(RLIMIT_AS, plan.memory_bytes);
  SetLimit(RLIMIT_CPU, plan.cpu_seconds);
  SetLimit(RLIMIT_FSIZE, plan.file_bytes);
  // Descriptors the service opened without O_CLOEXEC must not leak into the tests.
  ::syscall(SYS_close_range, 3u, ~0u, CLOSE_RANGE_CLOEXEC);

  ::execve(plan.argv[0], plan.argv, plan.envp);
  ReportAndExit(plan.report_fd, 'e', errno);
}

absl::Status Errno(std::string_view what, int err) {
  return absl::InternalError(fmt::format("sandbox: {}: {}", what, std::strerror(err)));
}

std::vector<std::string> BuildEnvironment(
    const std::vector<std::pair<std::string, std::string>>& extra) {
  // The suite under test is untrusted: it sees a small allow-list of the service's
  // environment (never its database URL or tokens) and the system's standard search path.
  static const std::set<std::string, std::less<>> kInherited = {
      "HOME", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "TMPDIR", "USER", "LOGNAME", "TERM"};
  std::map<std::string, std::string> vars;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string_view entry(*e);
    size_t eq = entry.find('=');
    if (eq == std::string_view::npos) continue;
    if (!kInherited.contains(entry.substr(0, eq))) continue;
    vars[std::string(entry.substr(0, eq))] = std::string(entry.substr(eq + 1));
  }
  vars["PATH"] = std::string(kSandboxPath);
  vars["PYTHONDONTWRITEBYTECODE"] = "1";
  for (const auto& [name, value] : extra) vars[name] = value;
  std::vector<std::string> out;
  out.reserve(vars.size());
  for (const auto& [name, value] : vars) out.push_back(name + "=" + value);
  return out;
}

// Reads the child's report: the isolation byte, then a ChildFailure if exec was not reached.
// The pipe is close-on-exec, so EOF means exec succeeded.
absl::Status ReadChildReport(int fd, bool& isolated) {
  char buf[1 + sizeof(ChildFailure)];
  size_t got = 0;
  while (got < sizeof(buf)) {
    ssize_t n = ::read(fd, buf + got, sizeof(buf) - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<size_t>(n);
  }
  isolated = got >= 1 && buf[0] == 'y';
  if (got < sizeof(buf)) return absl::OkStatus();
  ChildFailure failure;
  std::memcpy(&failure, buf + 1, sizeof(failure));
  if (failure.stage == 'c') return Errno("cannot enter the working directory", failure.err);
  return Errno("cannot start /bin/sh", failure.err);
}

int MillisUntil(Clock::time_point now, Clock::time_point t) {
  if (t <= now) return 0;
  auto ms = std::chrono::ceil<std::chrono::milliseconds>(t - now).count();
  return static_cast<int>(std::min<int64_t>(ms, 60'000));
}

}  // namespace

absl::StatusOr<ProcessResult> RunSandboxed(
    const std::string& command, const std::filesystem::path& cwd,
    const std::vector<std::pair<std::string, std::string>>& env, const SandboxLimits& limits) {
  if (limits.output_limit < 64)
    return absl::InvalidArgumentError(fmt::format(
        "sandbox: output_limit {} bytes is below the minimum of 64", limits.output_limit));
  const auto start = Clock::now();

  std::vector<std::string> env_strings = BuildEnvironment(env);
  std::vector<char*> envp;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::string sh = "/bin/sh", dash_c = "-c", cmd = command;
  std::vector<char*> argv = {sh.data(), dash_c.data(), cmd.data(), nullptr};
  const std::string cwd_str = cwd.string();

  int out_pipe[2], report_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) return Errno("pipe", errno);
  Fd out_read(out_pipe[0]), out_write(out_pipe[1]);
  if (::pipe2(report_pipe, O_CLOEXEC) != 0) return Errno("pipe", errno);
  Fd report_read(report_pipe[0]), report_write(report_pipe[1]);
  Fd null_fd(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  if (null_fd.get() < 0) return Errno("open /dev/null", errno);

  ChildPlan plan{cwd_str.c_str(),
                 argv.data(),
                 envp.data(),
                 out_write.get(),
                 report_write.get(),
                 null_fd.get(),
                 limits.isolate_network,
                 static_cast<rlim_t>(limits.memory_bytes),
                 static_cast<rlim_t>(limits.cpu_seconds),
                 static_cast<rlim_t>(limits.file_bytes)};
  pid_t pid = ::fork();
  if (pid < 0) return Errno("fork", errno);
  if (pid == 0) ChildMain(plan);

  out_write.Reset();
  report_write.Reset();
  null_fd.Reset();

  ProcessResult result;
  if (absl::Status st = ReadChildReport(report_read.get(), result.network_isolated); !st.ok()) {
    ::waitpid(pid, nullptr, 0);
    return st;
  }
  // From here the child is a session and group leader: its pid is the group id.
  Fd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
  ::fcntl(out_read.get(), F_SETFL, ::fcntl(out_read.get(), F_GETFL) | O_NONBLOCK);

  OutputBuffer output(limits.output_limit);
  std::vector<char> chunk(kReadChunk);
  const auto deadline = start + limits.wall;
  Clock::time_point kill_at{}, drain_until{};
  bool eof = false, leader_done = false, term_sent = false, group_killed = false;
  siginfo_t leader{};

  auto kill_group = [&](Clock::time_point now) {
    ::kill(-pid, SIGKILL);
    group_killed = true;
    drain_until = now + kDrainAfterExit;
  };

  while (true) {
    auto now = Clock::now();
    if (!leader_done) {
      // WNOWAIT leaves the shell a zombie, so its pid (= the group id) cannot be reused
      // before the stragglers are killed.
      siginfo_t info{};
      if (::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
          info.si_pid == pid) {
        leader_done = true;
        leader = info;
        // After a normal exit, daemons left in the group are killed at once; after a timeout
        // they get the rest of the grace period (or until they close the output).
        if (!term_sent) kill_group(now);
      }
    }
    if (!group_killed) {
      if (!term_sent && now >= deadline) {
        result.timed_out = true;
        ::kill(-pid, SIGTERM);
        term_sent = true;
        kill_at = now + limits.kill_grace;
      } else if (term_sent && (now >= kill_at || (leader_done && eof))) {
        kill_group(now);
      }
    }
    if (leader_done && group_killed && (eof || now >= drain_until)) break;

    int timeout = kExitPollMs;
    if (group_killed) {
      timeout = MillisUntil(now, drain_until);
    } else if (term_sent) {
      timeout = MillisUntil(now, kill_at);
    } else {
      timeout = MillisUntil(now, deadline);
    }
    pollfd fds[2];
    nfds_t nfds = 0;
    if (!eof) fds[nfds++] = {out_read.get(), POLLIN, 0};
    const bool watch_pid = !leader_done && pidfd.get() >= 0;
    if (watch_pid) fds[nfds++] = {pidfd.get(), POLLIN, 0};
    if (!leader_done && !watch_pid) timeout = std::min(timeout, kExitPollMs);
    if (eof && leader_done) timeout = std::min(timeout, kExitPollMs);
    int ready = ::poll(fds, nfds, timeout);
    if (ready < 0 && errno != EINTR) {
      ::kill(-pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
      return Errno("poll", errno);
    }
    if (ready > 0 && !eof && (fds[0].revents & (POLLIN | POLLHUP | POLLERR))) {
      // Bounded reads per wake-up keep the deadline checks timely under a flood of output.
      for (int i = 0; i < 64; ++i) {
        ssize_t n = ::read(out_read.get(), chunk.data(), chunk.size());
        if (n > 0) {
          output.Append(chunk.data(), static_cast<size_t>(n));
          continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) eof = true;
        break;
      }
    }
  }

  ::waitpid(pid, nullptr, 0);
  if (leader.si_code == CLD_EXITED) {
    result.exit_code = leader.si_status;
  } else {
    result.term_signal = leader.si_status;
  }
  result.output = output.Finish();
  result.output_bytes = output.total();
  result.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return result;
}

}  // namespace slipway::tester
