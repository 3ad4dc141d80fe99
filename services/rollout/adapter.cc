#include "services/rollout/adapter.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <map>

#include "libs/core/fd.h"
#include "libs/core/status.h"
#include "libs/core/text.h"
#include "services/rollout/command_adapter.h"
#include "services/rollout/kubernetes_adapter.h"
#include "services/rollout/nginx_adapter.h"

extern char** environ;

namespace slipway::rollout {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using Json = nlohmann::json;

constexpr std::chrono::milliseconds kKillGrace{2000};
// How long output is still read after the hook exited, for processes it left holding the pipes.
constexpr std::chrono::milliseconds kDrainAfterExit{200};
constexpr int kExitPollMs = 20;
constexpr std::string_view kDefaultPath =
    "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

// Head and tail of a stream: the middle is dropped (and counted) so memory stays bounded.
class CappedOutput {
 public:
  explicit CappedOutput(size_t limit) : head_cap_(limit / 4), tail_cap_(limit - limit / 4) {}

  void Append(const char* data, size_t n) {
    total_ += n;
    const size_t h = std::min(n, head_cap_ - head_.size());
    head_.append(data, h);
    data += h;
    n -= h;
    if (n == 0) return;
    tail_.append(data, n);
    // Trimmed only once it doubled, so the copying stays amortised.
    if (tail_.size() > 2 * tail_cap_) tail_.erase(0, tail_.size() - tail_cap_);
  }

  std::string Finish() const {
    if (total_ <= head_cap_ + tail_cap_) return head_ + tail_;
    std::string tail = TailUtf8(tail_, tail_cap_);
    const uint64_t dropped = total_ - head_.size() - tail.size();
    return fmt::format("{}\n[slipway: {} bytes of output dropped here, {} in all]\n{}", head_,
                       dropped, total_, tail);
  }

 private:
  size_t head_cap_;
  size_t tail_cap_;
  std::string head_;
  std::string tail_;
  uint64_t total_ = 0;
};

std::string FormatDuration(std::chrono::milliseconds d) {
  const auto ms = d.count();
  if (ms % 3'600'000 == 0) return fmt::format("{}h", ms / 3'600'000);
  if (ms % 60'000 == 0) return fmt::format("{}m", ms / 60'000);
  if (ms % 1000 == 0) return fmt::format("{}s", ms / 1000);
  return fmt::format("{}ms", ms);
}

// The program to exec: argv[0] itself when it names a path, else its first executable match on
// PATH (resolved here, before fork, so the child only calls execve).
absl::StatusOr<std::string> ResolveProgram(const HookCall& call) {
  const std::string& name = call.argv[0];
  auto cannot = [&](std::string_view why) {
    return absl::FailedPreconditionError(
        fmt::format("hook {}: cannot start \"{}\": {}", call.name, name, why));
  };
  if (name.find('/') != std::string::npos) {
    if (::access(name.c_str(), X_OK) != 0) return cannot(std::strerror(errno));
    return name;
  }
  const char* env_path = std::getenv("PATH");
  const std::string path = env_path && *env_path ? env_path : std::string(kDefaultPath);
  size_t begin = 0;
  while (begin <= path.size()) {
    size_t end = path.find(':', begin);
    if (end == std::string::npos) end = path.size();
    const std::string dir = end > begin ? path.substr(begin, end - begin) : ".";
    const std::string candidate = dir + "/" + name;
    struct stat st;
    if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
        ::access(candidate.c_str(), X_OK) == 0)
      return candidate;
    begin = end + 1;
  }
  return cannot(fmt::format("not found on PATH ({})", path));
}

std::vector<std::string> BuildEnvironment(const HookEnvironment& extra) {
  std::map<std::string, std::string> vars;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string_view entry(*e);
    const size_t eq = entry.find('=');
    if (eq == std::string_view::npos) continue;
    vars[std::string(entry.substr(0, eq))] = std::string(entry.substr(eq + 1));
  }
  for (const auto& [name, value] : extra) vars[name] = value;
  std::vector<std::string> out;
  out.reserve(vars.size());
  for (const auto& [name, value] : vars) out.push_back(name + "=" + value);
  return out;
}

// Everything the child needs, prepared before fork: after fork it makes system calls only.
struct ChildPlan {
  const char* program;
  char* const* argv;
  char* const* envp;
  int null_fd;
  int out_fd;
  int err_fd;
  int report_fd;
  pid_t parent;
};

[[noreturn]] void ChildMain(const ChildPlan& plan) {
  // Dies with the thread that started it; a hook outliving a killed service would run
  // beside the one the replay starts.
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != plan.parent) ::_exit(127);
  ::setsid();
  // A clean signal state, whatever the service had set up (SIG_IGN survives exec).
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  struct sigaction dfl;
  std::memset(&dfl, 0, sizeof(dfl));
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; ++sig) ::sigaction(sig, &dfl, nullptr);
  ::dup2(plan.null_fd, STDIN_FILENO);
  ::dup2(plan.out_fd, STDOUT_FILENO);
  ::dup2(plan.err_fd, STDERR_FILENO);
  // Descriptors the service opened without O_CLOEXEC stay with the service.
  ::syscall(SYS_close_range, 3u, ~0u, 4u /* CLOSE_RANGE_CLOEXEC */);
  ::execve(plan.program, plan.argv, plan.envp);
  const int err = errno;
  ssize_t unused = ::write(plan.report_fd, &err, sizeof(err));
  (void)unused;
  ::_exit(127);
}

// Reads what is there on `fd` into the buffers; false once it reached EOF (or failed).
bool Drain(int fd, CappedOutput& combined, std::string* plain) {
  char buf[16 * 1024];
  while (true) {
    const ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n > 0) {
      combined.Append(buf, static_cast<size_t>(n));
      if (plain != nullptr && plain->size() < kHookStdoutLimit)
        plain->append(buf, std::min(static_cast<size_t>(n), kHookStdoutLimit - plain->size()));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
    return false;
  }
}

int MillisUntil(Clock::time_point now, Clock::time_point t) {
  if (t <= now) return 0;
  return static_cast<int>(
      std::min<int64_t>(std::chrono::ceil<std::chrono::milliseconds>(t - now).count(), 60'000));
}

std::string Quoted(std::string_view key) {
  const bool plain =
      !key.empty() && key.size() <= 60 && std::all_of(key.begin(), key.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
      });
  if (plain) return std::string(key);
  return Json(std::string(HeadUtf8(key, 60))).dump(-1, ' ', false, Json::error_handler_t::replace);
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Hooks

HookEnvironment ActionEnvironment(const ReleaseTarget& t, const Slots& s, std::string_view action,
                                  std::string_view slot, int weight) {
  return {
      {"SLIPWAY_ACTION", std::string(action)},
      {"SLIPWAY_DEPLOYMENT_ID", t.deployment_id},
      {"SLIPWAY_RELEASE_ID", t.release_id},
      {"SLIPWAY_ENVIRONMENT", t.environment},
      {"SLIPWAY_VERSION", t.version},
      {"SLIPWAY_PREVIOUS_VERSION", t.previous_version},
      {"SLIPWAY_REPOSITORY", t.repository},
      {"SLIPWAY_BRANCH", t.branch},
      {"SLIPWAY_WEIGHT", std::to_string(weight)},
      {"SLIPWAY_SLOT", std::string(slot)},
      {"SLIPWAY_STABLE_SLOT", s.stable},
      {"SLIPWAY_CANARY_SLOT", s.canary},
  };
}

std::string LastLines(std::string_view output, size_t max_lines) {
  std::vector<std::string_view> lines;
  size_t end = output.size();
  while (end > 0 && lines.size() < max_lines) {
    size_t begin = output.rfind('\n', end - 1);
    begin = begin == std::string_view::npos ? 0 : begin + 1;
    std::string_view line = output.substr(begin, end - begin);
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t'))
      line.remove_suffix(1);
    if (!line.empty()) lines.push_back(line);
    end = begin == 0 ? 0 : begin - 1;
  }
  if (lines.empty()) return "(no output)";
  std::string joined;
  for (auto it = lines.rbegin(); it != lines.rend(); ++it) {
    if (!joined.empty()) joined += " | ";
    joined += *it;
  }
  return SanitizeUtf8(TailUtf8(joined, 2048));
}

absl::StatusOr<std::string> RunHook(const HookCall& call, std::vector<HookRun>& runs) {
  if (call.argv.empty() || call.argv[0].empty())
    return absl::FailedPreconditionError(fmt::format("hook {}: no command to run", call.name));
  absl::StatusOr<std::string> program = ResolveProgram(call);
  if (!program.ok()) return program.status();

  std::vector<std::string> args = call.argv;
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> env = BuildEnvironment(call.env);
  std::vector<char*> envp;
  for (auto& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);

  auto internal = [&](std::string_view what) {
    return absl::InternalError(
        fmt::format("hook {}: {}: {}", call.name, what, std::strerror(errno)));
  };
  int out_pipe[2], err_pipe[2], report_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) return internal("pipe");
  Fd out_read(out_pipe[0]), out_write(out_pipe[1]);
  if (::pipe2(err_pipe, O_CLOEXEC) != 0) return internal("pipe");
  Fd err_read(err_pipe[0]), err_write(err_pipe[1]);
  if (::pipe2(report_pipe, O_CLOEXEC) != 0) return internal("pipe");
  Fd report_read(report_pipe[0]), report_write(report_pipe[1]);
  Fd null_fd(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  if (null_fd.get() < 0) return internal("open /dev/null");

  const ChildPlan plan{program->c_str(), argv.data(),     envp.data(),        null_fd.get(),
                       out_write.get(),  err_write.get(), report_write.get(), ::getpid()};
  const auto start = Clock::now();
  const pid_t pid = ::fork();
  if (pid < 0) return internal("fork");
  if (pid == 0) ChildMain(plan);
  out_write.Reset();
  err_write.Reset();
  report_write.Reset();
  null_fd.Reset();

  // The report pipe closes on exec; an errno on it means exec failed.
  int exec_errno = 0;
  ssize_t got;
  do {
    got = ::read(report_read.get(), &exec_errno, sizeof(exec_errno));
  } while (got < 0 && errno == EINTR);
  if (got == static_cast<ssize_t>(sizeof(exec_errno))) {
    ::waitpid(pid, nullptr, 0);
    return absl::FailedPreconditionError(fmt::format("hook {}: cannot start \"{}\": {}", call.name,
                                                     *program, std::strerror(exec_errno)));
  }

  for (int fd : {out_read.get(), err_read.get()})
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  CappedOutput combined(kHookOutputLimit);
  std::string stdout_text;
  bool out_open = true, err_open = true, exited = false, term_sent = false, killed = false;
  const auto deadline = start + call.timeout;
  Clock::time_point kill_at{}, drain_until{};
  while (true) {
    const auto now = Clock::now();
    if (!exited) {
      // WNOWAIT keeps the hook a zombie until the end, so its process group id cannot be
      // reused while the group may still get a signal from us.
      siginfo_t info{};
      if (::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
          info.si_pid == pid) {
        exited = true;
        drain_until = now + kDrainAfterExit;
      }
    }
    if (!exited && !term_sent && now >= deadline) {
      ::kill(-pid, SIGTERM);
      term_sent = true;
      kill_at = now + kKillGrace;
    }
    if (!exited && term_sent && !killed && now >= kill_at) {
      ::kill(-pid, SIGKILL);
      killed = true;
    }
    if (exited && ((!out_open && !err_open) || now >= drain_until)) break;

    pollfd fds[2];
    nfds_t n = 0;
    if (out_open) fds[n++] = {out_read.get(), POLLIN, 0};
    if (err_open) fds[n++] = {err_read.get(), POLLIN, 0};
    int timeout = kExitPollMs;
    if (exited) timeout = std::min(timeout, MillisUntil(now, drain_until));
    if (!term_sent) timeout = std::min(timeout, MillisUntil(now, deadline));
    ::poll(fds, n, timeout);
    if (out_open) out_open = Drain(out_read.get(), combined, &stdout_text);
    if (err_open) err_open = Drain(err_read.get(), combined, nullptr);
  }
  // After a timeout, whatever the group still runs goes with the hook.
  if (term_sent) ::kill(-pid, SIGKILL);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }

  HookRun run;
  run.name = call.name;
  run.argv = call.argv;
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  // Audit records are protobuf strings: valid UTF-8 only.
  run.output = SanitizeUtf8(combined.Finish());
  run.ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
  runs.push_back(run);

  const std::string who = fmt::format("hook {} ({})", call.name, call.argv[0]);
  if (term_sent)
    return absl::UnavailableError(fmt::format(
        "{} did not finish within {} and was killed (SIGTERM, then SIGKILL to its process "
        "group); last output: {}",
        who, FormatDuration(call.timeout), LastLines(run.output)));
  if (WIFSIGNALED(status))
    return absl::UnavailableError(fmt::format("{} was killed by signal {} ({}); last output: {}",
                                              who, WTERMSIG(status), ::strsignal(WTERMSIG(status)),
                                              LastLines(run.output)));
  if (run.exit_code != 0)
    return absl::FailedPreconditionError(fmt::format("{} exited with status {}; last output: {}",
                                                     who, run.exit_code, LastLines(run.output)));
  return stdout_text;
}

// ---------------------------------------------------------------------------------------------
// Configuration

absl::Status WithContext(const absl::Status& status, std::string_view context) {
  if (status.ok()) return status;
  return absl::Status(status.code(), fmt::format("{}: {}", context, status.message()));
}

absl::Status ConfigError(std::string_view field, std::string_view problem) {
  return absl::InvalidArgumentError(fmt::format("{}: {}", field, problem));
}

absl::Status CheckKind(const ConfigObject& config, std::string_view expected) {
  const Json* kind = config.Find("kind");
  if (kind == nullptr || (kind->is_string() && kind->get_ref<const std::string&>() == expected))
    return absl::OkStatus();
  return ConfigError(
      config.FieldPath("kind"),
      fmt::format("{} is not \"{}\"", kind->dump(-1, ' ', false, Json::error_handler_t::replace),
                  expected));
}

absl::StatusOr<ConfigObject> ConfigObject::Open(const Json& value, std::string path,
                                                std::vector<std::string_view> known) {
  if (!value.is_object())
    return ConfigError(path, fmt::format("expected an object, got {}", value.type_name()));
  for (const auto& [key, member] : value.items()) {
    if (std::find(known.begin(), known.end(), key) != known.end()) continue;
    std::string accepted;
    for (std::string_view k : known)
      accepted += accepted.empty() ? std::string(k) : ", " + std::string(k);
    return ConfigError(fmt::format("{}.{}", path, Quoted(key)),
                       fmt::format("unknown key (accepted: {})", accepted));
  }
  return ConfigObject(&value, std::move(path));
}

std::string ConfigObject::FieldPath(std::string_view key) const {
  return fmt::format("{}.{}", path_, key);
}

const Json* ConfigObject::Find(std::string_view key) const {
  auto it = value_->find(key);
  if (it == value_->end() || it->is_null()) return nullptr;
  return &*it;
}

absl::StatusOr<std::string> ConfigObject::String(std::string_view key,
                                                 std::optional<std::string> fallback,
                                                 bool allow_empty) const {
  const Json* v = Find(key);
  if (v == nullptr) {
    if (fallback) return *fallback;
    return ConfigError(FieldPath(key), "required");
  }
  if (!v->is_string())
    return ConfigError(FieldPath(key), fmt::format("expected a string, got {}", v->type_name()));
  const auto& s = v->get_ref<const std::string&>();
  if (s.empty() && !allow_empty) return ConfigError(FieldPath(key), "must not be empty");
  return s;
}

absl::StatusOr<std::vector<std::string>> ConfigObject::Argv(std::string_view key) const {
  const Json* v = Find(key);
  if (v == nullptr) return std::vector<std::string>{};
  auto wrong = [&] {
    return ConfigError(
        FieldPath(key),
        fmt::format("expected a command as an array of strings, e.g. [\"nginx\", "
                    "\"-s\", \"reload\"], got {}",
                    v->is_array() && v->empty() ? "an empty array" : std::string(v->type_name())));
  };
  if (!v->is_array() || v->empty()) return wrong();
  std::vector<std::string> argv;
  for (size_t i = 0; i < v->size(); ++i) {
    const Json& a = (*v)[i];
    if (!a.is_string())
      return ConfigError(fmt::format("{}[{}]", FieldPath(key), i),
                         fmt::format("expected a string, got {}", a.type_name()));
    argv.push_back(a.get<std::string>());
  }
  if (argv[0].empty()) return ConfigError(fmt::format("{}[0]", FieldPath(key)), "empty program");
  return argv;
}

absl::StatusOr<int> ConfigObject::Int(std::string_view key, int min, int max,
                                      std::optional<int> fallback) const {
  const Json* v = Find(key);
  if (v == nullptr) {
    if (fallback) return *fallback;
    return ConfigError(FieldPath(key), "required");
  }
  if (!v->is_number_integer())
    return ConfigError(FieldPath(key), fmt::format("expected an integer, got {}",
                                                   v->is_number() ? v->dump() : v->type_name()));
  const int64_t n = v->get<int64_t>();
  if (n < min || n > max)
    return ConfigError(FieldPath(key), fmt::format("{} is out of range ({}..{})", n, min, max));
  return static_cast<int>(n);
}

absl::StatusOr<std::chrono::milliseconds> ConfigObject::Duration(
    std::string_view key, std::chrono::milliseconds fallback) const {
  const Json* v = Find(key);
  if (v == nullptr) return fallback;
  const std::string field = FieldPath(key);
  auto wrong = [&] {
    return ConfigError(field, fmt::format("expected a duration such as \"500ms\", \"30s\", \"2m\" "
                                          "or a number of seconds, got {}",
                                          v->dump(-1, ' ', false, Json::error_handler_t::replace)));
  };
  double ms = 0;
  if (v->is_number()) {
    ms = v->get<double>() * 1000;
  } else if (v->is_string()) {
    const std::string& text = v->get_ref<const std::string&>();
    char* end = nullptr;
    const double n = std::strtod(text.c_str(), &end);
    if (end == text.c_str()) return wrong();
    const std::string_view unit(end);
    if (unit == "ms") {
      ms = n;
    } else if (unit == "s") {
      ms = n * 1000;
    } else if (unit == "m") {
      ms = n * 60'000;
    } else if (unit == "h") {
      ms = n * 3'600'000;
    } else {
      return wrong();
    }
  } else {
    return wrong();
  }
  if (!std::isfinite(ms) || ms < 1 || ms > 24 * 3'600'000.0)
    return ConfigError(field, fmt::format("{} is out of range (1ms..24h)",
                                          v->dump(-1, ' ', false, Json::error_handler_t::replace)));
  return std::chrono::milliseconds(static_cast<int64_t>(std::llround(ms)));
}

// ---------------------------------------------------------------------------------------------
// Arguments

absl::Status CheckTarget(const ReleaseTarget& t, bool need_version) {
  if (t.release_id.empty())
    return absl::InvalidArgumentError(
        "release_id: required (the target's recorded state is keyed by it)");
  if (need_version && t.version.empty()) return absl::InvalidArgumentError("version: required");
  return absl::OkStatus();
}

absl::Status CheckWeight(int weight) {
  if (weight < 0 || weight > 100)
    return absl::InvalidArgumentError(
        fmt::format("weight: {} is out of range (0..100, the canary's percent)", weight));
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------------------------
// Files

absl::StatusOr<std::optional<std::string>> ReadOptionalFile(const fs::path& path) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    if (errno == ENOENT) return std::optional<std::string>();
    return absl::FailedPreconditionError(
        fmt::format("cannot read {}: {}", path.string(), std::strerror(errno)));
  }
  std::string content;
  char buf[16 * 1024];
  while (true) {
    const ssize_t n = ::read(fd.get(), buf, sizeof(buf));
    if (n > 0) {
      content.append(buf, static_cast<size_t>(n));
    } else if (n == 0) {
      break;
    } else if (errno != EINTR) {
      return absl::FailedPreconditionError(
          fmt::format("cannot read {}: {}", path.string(), std::strerror(errno)));
    }
  }
  return std::optional<std::string>(std::move(content));
}

absl::Status WriteFileAtomically(const fs::path& path, std::string_view content) {
  static std::atomic<uint64_t> counter{0};
  const fs::path dir = path.has_parent_path() ? path.parent_path() : fs::path(".");
  auto failed = [&](std::string_view what, int err) {
    return absl::FailedPreconditionError(
        fmt::format("cannot write {}: {}: {}", path.string(), what, std::strerror(err)));
  };
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return failed("create its folder", ec.value());
  const fs::path temp = dir / fmt::format(".{}.slipway-{}-{}.tmp", path.filename().string(),
                                          ::getpid(), counter.fetch_add(1));
  // The replacement keeps the permissions of the file it replaces.
  mode_t mode = 0644;
  struct stat st;
  if (::stat(path.c_str(), &st) == 0) mode = st.st_mode & 07777;
  Fd fd(::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  if (fd.get() < 0) return failed("create " + temp.filename().string(), errno);
  auto abandon = [&](std::string_view what) {
    const int err = errno;
    fd.Reset();
    ::unlink(temp.c_str());
    return failed(what, err);
  };
  size_t done = 0;
  while (done < content.size()) {
    const ssize_t n = ::write(fd.get(), content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return abandon("write");
    done += static_cast<size_t>(n);
  }
  if (::fchmod(fd.get(), mode) != 0) return abandon("chmod");
  if (::fsync(fd.get()) != 0) return abandon("fsync");
  fd.Reset();
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(temp.c_str());
    return failed("rename", err);
  }
  // The rename itself survives a crash only once the folder is synced.
  Fd dir_fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir_fd.get() >= 0) ::fsync(dir_fd.get());
  return absl::OkStatus();
}

absl::Status RemoveFile(const fs::path& path) {
  if (::unlink(path.c_str()) == 0 || errno == ENOENT) return absl::OkStatus();
  return absl::FailedPreconditionError(
      fmt::format("cannot remove {}: {}", path.string(), std::strerror(errno)));
}

// ---------------------------------------------------------------------------------------------

absl::StatusOr<std::unique_ptr<Adapter>> MakeAdapter(const Json& config) {
  constexpr std::string_view kKinds = "command, nginx, kubernetes";
  if (!config.is_object())
    return ConfigError("adapter", fmt::format("expected an object, got {}", config.type_name()));
  auto kind_it = config.find("kind");
  if (kind_it == config.end() || kind_it->is_null())
    return ConfigError("kind", fmt::format("required (accepted: {})", kKinds));
  if (!kind_it->is_string())
    return ConfigError("kind", fmt::format("expected a string, got {}", kind_it->type_name()));
  const auto& kind = kind_it->get_ref<const std::string&>();
  if (kind == "command") {
    absl::StatusOr<CommandAdapter::Config> c = CommandAdapter::Parse(config);
    if (!c.ok()) return c.status();
    return std::make_unique<CommandAdapter>(std::move(*c));
  }
  if (kind == "nginx") {
    absl::StatusOr<NginxAdapter::Config> c = NginxAdapter::Parse(config);
    if (!c.ok()) return c.status();
    return std::make_unique<NginxAdapter>(std::move(*c));
  }
  if (kind == "kubernetes") {
    absl::StatusOr<KubernetesAdapter::Config> c = KubernetesAdapter::Parse(config);
    if (!c.ok()) return c.status();
    return std::make_unique<KubernetesAdapter>(std::move(*c));
  }
  return ConfigError("kind", fmt::format("unknown value {} (accepted: {})", Quoted(kind), kKinds));
}

}  // namespace slipway::rollout
