// ctags runs as a child process speaking its line-oriented interactive protocol: one JSON request
// line followed by exactly `size` raw bytes of the file, answered by one JSON line per tag and a
// final {"_type": "completed"} line. The parent's three pipe ends are non-blocking and served by
// a single poll() loop, so that
//   * a stalled or dead child is noticed at the deadline instead of blocking the caller forever;
//   * writing a large file and reading a large answer interleave and can never deadlock;
//   * ctags' stderr is drained (a full stderr pipe would stall it) and its tail kept for errors.

#include "libs/code/symbols.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <climits>
#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <optional>
#include <system_error>
#include <thread>
#include <utility>

#include "absl/status/status.h"
#include "fmt/format.h"
#include "nlohmann/json.hpp"

namespace slipway::code {
namespace {

using Clock = std::chrono::steady_clock;

// Start() has no timeout setting of its own; a healthy ctags answers in milliseconds.
constexpr int kStartTimeoutMs = 10'000;
constexpr size_t kReadChunk = 64 * 1024;
constexpr size_t kStderrTailBytes = 2048;

// --options=NONE: option files of the user or of the current directory must not change the
//   output format.
// --fields: name, line, long kind, scope and signature only. The pattern field (on by default)
//   echoes whole source lines, roughly doubling the output, and may carry invalid UTF-8.
// --sort=no: tags in the order ctags finds them, without buffering them for sorting.
constexpr std::array kCtagsArguments = {"--options=NONE",
                                        "--_interactive",
                                        "--output-format=json",
                                        "--fields=NnKzsS",
                                        "--sort=no",
                                        "-o",
                                        "-"};

std::string ErrnoText(int error) { return std::generic_category().message(error); }

// absl::string_view is not std::string_view in every abseil build, and fmt knows only the latter.
std::string_view MessageOf(const absl::Status& status) {
  return {status.message().data(), status.message().size()};
}

// Text from ctags or from a caller's path, made safe to embed in a one-line error message.
std::string Printable(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte > 0x7e) c = '?';
  }
  return out;
}

// Length of the well-formed UTF-8 sequence that starts `text`, 0 when it is ill-formed.
size_t Utf8SequenceLength(std::string_view text) {
  auto byte = [&](size_t i) { return static_cast<unsigned char>(text[i]); };
  const unsigned char lead = byte(0);
  if (lead < 0x80) return 1;
  size_t length = 0;
  unsigned char second_low = 0x80;
  unsigned char second_high = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) second_low = 0xA0;   // overlong
    if (lead == 0xED) second_high = 0x9F;  // surrogates
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) second_low = 0x90;   // overlong
    if (lead == 0xF4) second_high = 0x8F;  // beyond U+10FFFF
  } else {
    return 0;
  }
  if (text.size() < length || byte(1) < second_low || byte(1) > second_high) return 0;
  for (size_t i = 2; i < length; ++i) {
    if (byte(i) < 0x80 || byte(i) > 0xBF) return 0;
  }
  return length;
}

std::string ReplaceInvalidUtf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  while (!text.empty()) {
    size_t length = Utf8SequenceLength(text);
    if (length == 0) {
      out += "\xEF\xBF\xBD";  // U+FFFD REPLACEMENT CHARACTER
      length = 1;
    } else {
      out.append(text.substr(0, length));
    }
    text.remove_prefix(length);
  }
  return out;
}

// nlohmann's parser rejects invalid UTF-8 inside strings. ctags 5.9 drops such tags itself, but
// a line that still carries some is repaired rather than lost.
nlohmann::json ParseLine(std::string_view line) {
  nlohmann::json json = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) {
    json = nlohmann::json::parse(ReplaceInvalidUtf8(line), nullptr, /*allow_exceptions=*/false);
  }
  return json;
}

std::string_view StringField(const nlohmann::json& object, const char* key) {
  const auto it = object.find(key);
  if (it == object.end() || !it->is_string()) return {};
  return it->get_ref<const std::string&>();
}

Symbol ToSymbol(const nlohmann::json& tag) {
  Symbol symbol;
  symbol.name = StringField(tag, "name");
  symbol.kind = StringField(tag, "kind");
  symbol.scope = StringField(tag, "scope");
  symbol.signature = StringField(tag, "signature");
  if (const auto line = tag.find("line"); line != tag.end() && line->is_number_unsigned()) {
    symbol.line = static_cast<uint32_t>(std::min<uint64_t>(line->get<uint64_t>(), UINT32_MAX));
  }
  return symbol;
}

// ctags picks its parser from the file name alone (an extension, or a name like "Makefile"), so
// only the last path component is sent. Its JSON reader rejects invalid UTF-8 and would then
// read the file's bytes as further requests; every byte outside printable ASCII therefore
// becomes '_', which keeps the extension intact.
std::string RequestFileName(std::string_view path) {
  if (const size_t slash = path.rfind('/'); slash != std::string_view::npos) {
    path.remove_prefix(slash + 1);
  }
  std::string name(path);
  for (char& c : name) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte > 0x7e) c = '_';
  }
  return name.empty() ? "_" : name;
}

std::string RequestLine(std::string_view path, size_t size) {
  const nlohmann::json request = {
      {"command", "generate-tags"}, {"filename", RequestFileName(path)}, {"size", size}};
  return request.dump() + '\n';
}

class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Fd& operator=(Fd&& other) noexcept {
    if (this != &other) Reset(std::exchange(other.fd_, -1));
    return *this;
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { Reset(); }

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  void Reset(int fd = -1) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

struct Pipe {
  Fd read;
  Fd write;
};

// Close-on-exec, so that a ctags started by another thread at the same moment does not inherit
// this pipe and keep it open after this indexer's child is gone.
absl::StatusOr<Pipe> MakePipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    return absl::InternalError(fmt::format("pipe2: {}", ErrnoText(errno)));
  }
  return Pipe{Fd(fds[0]), Fd(fds[1])};
}

bool SetNonBlocking(int fd) {
  const int flags = ::fcntl(fd, F_GETFL);
  return flags >= 0 && ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0;
}

std::string DescribeWaitStatus(int status) {
  if (WIFEXITED(status)) return fmt::format("exited with status {}", WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return fmt::format("killed by signal {}", WTERMSIG(status));
  return fmt::format("wait status {}", status);
}

// A child process id, killed and reaped on destruction so that no zombie outlives its owner.
class ChildProcess {
 public:
  ChildProcess() = default;
  explicit ChildProcess(pid_t pid) : pid_(pid) {}
  ChildProcess(ChildProcess&& other) noexcept : pid_(std::exchange(other.pid_, -1)) {}
  ChildProcess& operator=(ChildProcess&& other) noexcept {
    if (this != &other) {
      Kill();
      pid_ = std::exchange(other.pid_, -1);
    }
    return *this;
  }
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ~ChildProcess() { Kill(); }

  // Kills the child if it still runs and reaps it. Says how it ended; a child that had already
  // exited keeps its own status rather than the SIGKILL.
  std::string Kill() {
    if (pid_ <= 0) return "not running";
    ::kill(pid_, SIGKILL);
    int status = 0;
    pid_t reaped;
    do {
      reaped = ::waitpid(pid_, &status, 0);
    } while (reaped < 0 && errno == EINTR);
    pid_ = -1;
    // ECHILD: the application ignores SIGCHLD, so the kernel reaped the child already.
    return reaped < 0 ? "ended" : DescribeWaitStatus(status);
  }

 private:
  pid_t pid_ = -1;
};

// A write into a pipe whose reader has died raises SIGPIPE, which by default kills the whole
// process. The kernel sends that signal to the writing thread, so blocking it on this thread
// for the duration of an exchange, and consuming it if one of our writes raised it, handles it
// without touching the process-wide disposition that the application owns.
class ScopedSigpipeBlock {
 public:
  ScopedSigpipeBlock() {
    sigemptyset(&sigpipe_);
    sigaddset(&sigpipe_, SIGPIPE);
    was_pending_ = IsPending();
    pthread_sigmask(SIG_BLOCK, &sigpipe_, &previous_mask_);
  }
  ~ScopedSigpipeBlock() {
    if (!was_pending_ && IsPending()) {
      const timespec no_wait = {0, 0};
      while (sigtimedwait(&sigpipe_, nullptr, &no_wait) < 0 && errno == EINTR) {
      }
    }
    pthread_sigmask(SIG_SETMASK, &previous_mask_, nullptr);
  }
  ScopedSigpipeBlock(const ScopedSigpipeBlock&) = delete;
  ScopedSigpipeBlock& operator=(const ScopedSigpipeBlock&) = delete;

 private:
  static bool IsPending() {
    sigset_t pending;
    sigemptyset(&pending);
    return sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE) == 1;
  }

  sigset_t sigpipe_;
  sigset_t previous_mask_;
  bool was_pending_ = false;
};

// execvp searches PATH with allocations, which are not safe in a child forked from a threaded
// process, so the search happens in the parent.
std::optional<std::string> FindProgram(const std::string& program) {
  if (program.find('/') != std::string::npos) return program;  // exec reports what is wrong
  const char* path_variable = std::getenv("PATH");
  std::string_view directories = path_variable != nullptr ? path_variable : "/usr/bin:/bin";
  while (true) {
    const size_t colon = directories.find(':');
    std::string directory(directories.substr(0, colon));
    std::string candidate = (directory.empty() ? "." : directory) + "/" + program;
    struct stat info;
    if (::stat(candidate.c_str(), &info) == 0 && S_ISREG(info.st_mode) &&
        ::access(candidate.c_str(), X_OK) == 0) {
      return candidate;
    }
    if (colon == std::string_view::npos) return std::nullopt;
    directories.remove_prefix(colon + 1);
  }
}

[[noreturn]] void ReportExecFailure(int report_fd) {
  const int error = errno;
  [[maybe_unused]] ssize_t ignored = ::write(report_fd, &error, sizeof error);
  ::_exit(127);
}

// The forked child, up to execve. Another thread of the parent may have held a lock (malloc's,
// for one) at the moment of fork, so only async-signal-safe calls are allowed here.
[[noreturn]] void ExecChild(pid_t parent, std::array<int, 4> fds, const char* path,
                            char* const argv[], long max_fd) {
  // fds: the child's stdin, stdout, stderr, then the pipe that reports a failed exec.
  int report_fd = fds[3];
  auto fail = [&report_fd]() { ReportExecFailure(report_fd); };
  // ctags must not outlive the indexer, even when the parent is killed without a chance to
  // clean up. The check after prctl covers a parent that died before the call took effect.
  if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) fail();
  if (::getppid() != parent) ::_exit(127);
  // Blocked and ignored signals are inherited across exec; ctags should start from defaults.
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  signal(SIGPIPE, SIG_DFL);
  // Lift every descriptor above the standard ones before moving them into place: a parent
  // running with closed standard descriptors may have received 0, 1 or 2 from pipe2.
  for (int& fd : fds) {
    fd = ::fcntl(fd, F_DUPFD_CLOEXEC, 10);
    if (fd < 0) fail();
  }
  report_fd = fds[3];
  for (int target = 0; target < 4; ++target) {
    if (::dup2(fds[target], target) < 0) fail();
  }
  report_fd = 3;
  if (::fcntl(3, F_SETFD, FD_CLOEXEC) != 0) fail();  // dup2 cleared it; exec must close it
  if (::close_range(4, ~0U, 0) != 0) {
    for (int fd = 4; fd < max_fd; ++fd) ::close(fd);
  }
  ::execve(path, argv, environ);
  ReportExecFailure(report_fd);
}

// One running ctags and the parent's ends of its pipes.
class CtagsChild {
 public:
  // Handles one complete stdout line (without its '\n'); true once the answer is complete.
  using LineHandler = std::function<absl::StatusOr<bool>(std::string_view line)>;

  // Starts `program` and waits up to `timeout_ms` for its program line.
  static absl::StatusOr<std::unique_ptr<CtagsChild>> Launch(const std::string& program,
                                                            int timeout_ms);

  absl::StatusOr<std::vector<Symbol>> Index(std::string_view path, std::string_view content,
                                            int timeout_ms);

 private:
  absl::Status Spawn(const std::string& program);
  absl::Status Pump(std::string_view head, std::string_view body, Clock::time_point deadline,
                    const LineHandler& on_line);
  absl::StatusOr<bool> TakeLines(const LineHandler& on_line);
  absl::Status WriteSome(std::string_view& head, std::string_view& body);
  void ReadStderr();
  absl::Status Died(std::string_view what);
  std::string StderrSummary() const;

  ChildProcess process_;
  Fd to_ctags_;
  Fd from_ctags_;
  Fd ctags_stderr_;
  std::string pending_;  // stdout bytes after the last complete line
  std::string stderr_tail_;
  std::array<char, kReadChunk> chunk_;
};

absl::Status CtagsChild::Spawn(const std::string& program) {
  const std::optional<std::string> path = FindProgram(program);
  if (!path) {
    return absl::FailedPreconditionError(
        fmt::format("cannot start ctags '{}': no such program in PATH", Printable(program)));
  }
  std::vector<std::string> arguments = {program};
  arguments.insert(arguments.end(), kCtagsArguments.begin(), kCtagsArguments.end());
  std::vector<char*> argv;
  for (std::string& argument : arguments) argv.push_back(argument.data());
  argv.push_back(nullptr);

  absl::StatusOr<Pipe> input = MakePipe();
  absl::StatusOr<Pipe> output = MakePipe();
  absl::StatusOr<Pipe> errors = MakePipe();
  absl::StatusOr<Pipe> exec_report = MakePipe();
  for (const auto* pipe : {&input, &output, &errors, &exec_report}) {
    if (!pipe->ok()) return absl::FailedPreconditionError(pipe->status().message());
  }
  const long max_fd = std::clamp<long>(::sysconf(_SC_OPEN_MAX), 64, 1 << 16);
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) {
    return absl::FailedPreconditionError(
        fmt::format("cannot start ctags '{}': fork: {}", Printable(program), ErrnoText(errno)));
  }
  if (pid == 0) {
    ExecChild(
        parent,
        {input->read.get(), output->write.get(), errors->write.get(), exec_report->write.get()},
        path->c_str(), argv.data(), max_fd);
  }
  process_ = ChildProcess(pid);
  to_ctags_ = std::move(input->write);
  from_ctags_ = std::move(output->read);
  ctags_stderr_ = std::move(errors->read);
  // Drop the child's ends so that its death shows up here as EOF and EPIPE.
  input->read.Reset();
  output->write.Reset();
  errors->write.Reset();
  exec_report->write.Reset();

  // The report pipe closes on a successful exec and carries errno from a failed one.
  int exec_error = 0;
  ssize_t got;
  do {
    got = ::read(exec_report->read.get(), &exec_error, sizeof exec_error);
  } while (got < 0 && errno == EINTR);
  if (got == sizeof exec_error) {
    process_.Kill();
    return absl::FailedPreconditionError(fmt::format("cannot start ctags '{}' ({}): {}",
                                                     Printable(program), Printable(*path),
                                                     ErrnoText(exec_error)));
  }
  if (!SetNonBlocking(to_ctags_.get()) || !SetNonBlocking(from_ctags_.get()) ||
      !SetNonBlocking(ctags_stderr_.get())) {
    return absl::FailedPreconditionError(
        fmt::format("cannot start ctags '{}': fcntl: {}", Printable(program), ErrnoText(errno)));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<CtagsChild>> CtagsChild::Launch(const std::string& program,
                                                               int timeout_ms) {
  auto child = std::make_unique<CtagsChild>();
  if (absl::Status spawned = child->Spawn(program); !spawned.ok()) return spawned;

  // The first line tells a universal-ctags built with interactive and json support from
  // anything else: an older ctags rejects --_interactive and exits instead.
  std::string first_line;
  const absl::Status answered =
      child->Pump({}, {}, Clock::now() + std::chrono::milliseconds(timeout_ms),
                  [&first_line](std::string_view line) -> absl::StatusOr<bool> {
                    first_line = line;
                    return true;
                  });
  if (!answered.ok()) {
    return absl::FailedPreconditionError(
        fmt::format("ctags '{}' did not start: {}", Printable(program), MessageOf(answered)));
  }
  const nlohmann::json program_line = ParseLine(first_line);
  if (!program_line.is_object() || StringField(program_line, "_type") != "program") {
    return absl::FailedPreconditionError(fmt::format(
        "'{}' is not a universal-ctags with the interactive and json features: it answered "
        "'{}' instead of a program line",
        Printable(program), Printable(first_line.substr(0, 200))));
  }
  return child;
}

absl::StatusOr<std::vector<Symbol>> CtagsChild::Index(std::string_view path,
                                                      std::string_view content, int timeout_ms) {
  std::vector<Symbol> symbols;
  const absl::Status answered =
      Pump(RequestLine(path, content.size()), content,
           Clock::now() + std::chrono::milliseconds(timeout_ms),
           [&symbols](std::string_view line) -> absl::StatusOr<bool> {
             const nlohmann::json message = ParseLine(line);
             if (!message.is_object()) return false;  // unparseable: skipped, the answer goes on
             const std::string_view type = StringField(message, "_type");
             if (type == "tag") {
               symbols.push_back(ToSymbol(message));
               return false;
             }
             if (type == "completed") return true;
             if (type == "error") {
               return absl::InternalError(
                   fmt::format("ctags reported '{}'", Printable(StringField(message, "message"))));
             }
             return false;
           });
  if (absl::IsDeadlineExceeded(answered)) {
    return absl::DeadlineExceededError(
        fmt::format("ctags gave no complete answer for '{}' ({} bytes) within {} ms; it will be "
                    "restarted",
                    Printable(path), content.size(), timeout_ms));
  }
  if (!answered.ok()) {
    return absl::Status(answered.code(),
                        fmt::format("ctags failed on '{}' ({} bytes): {}; it will be restarted",
                                    Printable(path), content.size(), MessageOf(answered)));
  }
  return symbols;
}

absl::Status CtagsChild::Pump(std::string_view head, std::string_view body,
                              Clock::time_point deadline, const LineHandler& on_line) {
  ScopedSigpipeBlock sigpipe_blocked;
  while (true) {
    const absl::StatusOr<bool> done = TakeLines(on_line);
    if (!done.ok()) return done.status();
    if (*done) {
      // Anything else means ctags and this reader disagree about where answers end.
      if (!head.empty() || !body.empty()) {
        return absl::InternalError("ctags answered before it had read the whole file");
      }
      if (!pending_.empty()) return absl::InternalError("ctags wrote more than one answer");
      return absl::OkStatus();
    }
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return absl::DeadlineExceededError("ctags did not answer in time");

    std::array<pollfd, 3> fds;
    nfds_t count = 0;
    fds[count++] = {from_ctags_.get(), POLLIN, 0};
    const int stderr_index = ctags_stderr_.valid() ? static_cast<int>(count) : -1;
    if (stderr_index >= 0) fds[count++] = {ctags_stderr_.get(), POLLIN, 0};
    const bool writing = !head.empty() || !body.empty();
    const int input_index = writing ? static_cast<int>(count) : -1;
    if (writing) fds[count++] = {to_ctags_.get(), POLLOUT, 0};

    const int ready =
        ::poll(fds.data(), count, static_cast<int>(std::min<int64_t>(left.count(), INT_MAX)));
    if (ready < 0) {
      if (errno == EINTR) continue;
      return absl::InternalError(fmt::format("poll: {}", ErrnoText(errno)));
    }
    if (stderr_index >= 0 && fds[stderr_index].revents != 0) ReadStderr();
    if (input_index >= 0 && fds[input_index].revents != 0) {
      if (absl::Status written = WriteSome(head, body); !written.ok()) return written;
    }
    if (fds[0].revents != 0) {
      const ssize_t got = ::read(from_ctags_.get(), chunk_.data(), chunk_.size());
      if (got > 0) {
        pending_.append(chunk_.data(), static_cast<size_t>(got));
      } else if (got == 0) {
        return Died("closed its output");
      } else if (errno != EAGAIN && errno != EINTR) {
        return Died(fmt::format("could not be read ({})", ErrnoText(errno)));
      }
    }
  }
}

absl::StatusOr<bool> CtagsChild::TakeLines(const LineHandler& on_line) {
  size_t start = 0;
  bool done = false;
  while (!done) {
    const size_t end = pending_.find('\n', start);
    if (end == std::string::npos) break;
    absl::StatusOr<bool> handled = on_line(std::string_view(pending_).substr(start, end - start));
    if (!handled.ok()) return handled.status();
    done = *handled;
    start = end + 1;
  }
  pending_.erase(0, start);
  return done;
}

absl::Status CtagsChild::WriteSome(std::string_view& head, std::string_view& body) {
  std::array<iovec, 2> parts;
  int count = 0;
  if (!head.empty()) parts[count++] = {const_cast<char*>(head.data()), head.size()};
  if (!body.empty()) parts[count++] = {const_cast<char*>(body.data()), body.size()};
  const ssize_t written = ::writev(to_ctags_.get(), parts.data(), count);
  if (written < 0) {
    if (errno == EAGAIN || errno == EINTR) return absl::OkStatus();
    if (errno == EPIPE) return Died("stopped reading its input");
    return Died(fmt::format("could not be written to ({})", ErrnoText(errno)));
  }
  const size_t from_head = std::min(static_cast<size_t>(written), head.size());
  head.remove_prefix(from_head);
  body.remove_prefix(static_cast<size_t>(written) - from_head);
  return absl::OkStatus();
}

void CtagsChild::ReadStderr() {
  while (true) {
    const ssize_t got = ::read(ctags_stderr_.get(), chunk_.data(), chunk_.size());
    if (got > 0) {
      stderr_tail_.append(chunk_.data(), static_cast<size_t>(got));
      if (stderr_tail_.size() > kStderrTailBytes) {
        stderr_tail_.erase(0, stderr_tail_.size() - kStderrTailBytes);
      }
      continue;
    }
    if (got < 0 && errno == EINTR) continue;
    // EOF or an error: stop polling it. EAGAIN: nothing more for now.
    if (got == 0 || errno != EAGAIN) ctags_stderr_.Reset();
    return;
  }
}

// ctags is gone or broken: collect what it said on the way out, then kill and reap it.
absl::Status CtagsChild::Died(std::string_view what) {
  if (ctags_stderr_.valid()) ReadStderr();
  const std::string how = process_.Kill();
  return absl::InternalError(fmt::format("ctags {} ({}){}", what, how, StderrSummary()));
}

// The tail of ctags' stderr without the notice that --options=NONE always prints.
std::string CtagsChild::StderrSummary() const {
  std::string summary;
  std::string_view rest = stderr_tail_;
  while (!rest.empty()) {
    const size_t end = std::min(rest.find('\n'), rest.size());
    const std::string_view line = rest.substr(0, end);
    rest.remove_prefix(std::min(end + 1, rest.size()));
    if (line.empty() || line.find("Notice:") != std::string_view::npos) continue;
    summary += summary.empty() ? "; stderr: " : " | ";
    summary += Printable(line);
  }
  return summary;
}

}  // namespace

struct SymbolIndexer::Process {
  std::string program;
  // Null after a failure; the next Tags call starts a fresh ctags. Restarting lazily means a
  // ctags that cannot be restarted is reported to the call that needs it.
  std::unique_ptr<CtagsChild> child;
};

SymbolIndexer::SymbolIndexer() = default;
SymbolIndexer::~SymbolIndexer() = default;

absl::StatusOr<std::unique_ptr<SymbolIndexer>> SymbolIndexer::Start(std::string ctags) {
  absl::StatusOr<std::unique_ptr<CtagsChild>> child = CtagsChild::Launch(ctags, kStartTimeoutMs);
  if (!child.ok()) return child.status();
  std::unique_ptr<SymbolIndexer> indexer(new SymbolIndexer());
  indexer->process_ = std::make_unique<Process>(Process{std::move(ctags), *std::move(child)});
  return indexer;
}

absl::StatusOr<std::vector<Symbol>> SymbolIndexer::Tags(std::string_view path,
                                                        std::string_view content) {
  // No parser finds anything in an empty file, so ctags need not be asked.
  if (content.empty() || content.size() > max_bytes_) return std::vector<Symbol>();
  if (process_->child == nullptr) {
    absl::StatusOr<std::unique_ptr<CtagsChild>> child =
        CtagsChild::Launch(process_->program, timeout_ms_);
    if (!child.ok()) return child.status();
    process_->child = *std::move(child);
  }
  absl::StatusOr<std::vector<Symbol>> symbols = process_->child->Index(path, content, timeout_ms_);
  if (!symbols.ok()) process_->child.reset();  // kills and reaps it
  return symbols;
}

void SymbolIndexer::set_timeout_ms(int ms) { timeout_ms_ = ms; }
void SymbolIndexer::set_max_bytes(size_t bytes) { max_bytes_ = bytes; }

struct ParallelIndexer::State {
  struct Job {
    size_t id = 0;
    std::string path;
    std::string content;
  };

  void Work(SymbolIndexer& indexer);

  Callback on_tags;
  size_t capacity = 0;
  std::mutex mutex;
  std::condition_variable job_added;     // workers wait for a job or for closing
  std::condition_variable job_taken;     // Submit waits for room in the queue
  std::condition_variable all_answered;  // Finish waits for unanswered == 0
  std::deque<Job> queue;
  size_t unanswered = 0;  // submitted and not yet handed to on_tags
  bool closing = false;
  std::vector<std::thread> workers;
};

void ParallelIndexer::State::Work(SymbolIndexer& indexer) {
  while (true) {
    Job job;
    bool was_full = false;
    {
      std::unique_lock lock(mutex);
      job_added.wait(lock, [this] { return closing || !queue.empty(); });
      if (queue.empty()) return;  // closing, and every job is taken
      was_full = queue.size() >= capacity;
      job = std::move(queue.front());
      queue.pop_front();
    }
    // Only a full queue can have Submit waiting; skipping the other wake-ups saves context
    // switches, which dominate the cost of small files.
    if (was_full) job_taken.notify_one();
    on_tags(job.id, indexer.Tags(job.path, job.content));
    {
      std::lock_guard lock(mutex);
      if (--unanswered == 0) all_answered.notify_all();
    }
  }
}

ParallelIndexer::ParallelIndexer() = default;

ParallelIndexer::~ParallelIndexer() {
  if (state_ == nullptr) return;
  Finish();
  {
    std::lock_guard lock(state_->mutex);
    state_->closing = true;
  }
  state_->job_added.notify_all();
  for (std::thread& worker : state_->workers) worker.join();
}

absl::StatusOr<std::unique_ptr<ParallelIndexer>> ParallelIndexer::Start(int workers,
                                                                        Callback on_tags,
                                                                        std::string ctags) {
  if (workers < 1) {
    return absl::InvalidArgumentError(
        fmt::format("ParallelIndexer needs at least one worker, got {}", workers));
  }
  if (!on_tags) return absl::InvalidArgumentError("ParallelIndexer needs an on_tags callback");
  std::unique_ptr<ParallelIndexer> indexer(new ParallelIndexer());
  indexer->state_ = std::make_unique<State>();
  State* state = indexer->state_.get();
  state->on_tags = std::move(on_tags);
  state->capacity = 2 * static_cast<size_t>(workers);

  // Each worker starts its own ctags: PR_SET_PDEATHSIG ties a child to the thread that forked
  // it, so a ctags started here would be killed when the caller's thread ends.
  std::vector<std::future<absl::Status>> started;
  for (int i = 0; i < workers; ++i) {
    std::promise<absl::Status> start_result;
    started.push_back(start_result.get_future());
    state->workers.emplace_back([state, ctags, start_result = std::move(start_result)]() mutable {
      absl::StatusOr<std::unique_ptr<SymbolIndexer>> symbol_indexer = SymbolIndexer::Start(ctags);
      start_result.set_value(symbol_indexer.status());
      if (symbol_indexer.ok()) state->Work(**symbol_indexer);
    });
  }
  absl::Status status;
  for (std::future<absl::Status>& result : started) status.Update(result.get());
  if (!status.ok()) return status;  // the destructor stops the workers that did start
  return indexer;
}

void ParallelIndexer::Submit(size_t id, std::string path, std::string content) {
  {
    std::unique_lock lock(state_->mutex);
    state_->job_taken.wait(lock, [this] { return state_->queue.size() < state_->capacity; });
    state_->queue.push_back({id, std::move(path), std::move(content)});
    ++state_->unanswered;
  }
  state_->job_added.notify_one();
}

void ParallelIndexer::Finish() {
  std::unique_lock lock(state_->mutex);
  state_->all_answered.wait(lock, [this] { return state_->unanswered == 0; });
}

}  // namespace slipway::code
