#include "services/tester/tester.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <optional>

#include "libs/changeset/change_set.h"
#include "libs/core/status.h"
#include "libs/core/text.h"
#include "libs/coverage/coverage.h"
#include "services/tester/go_test_json.h"
#include "services/tester/junit.h"
#include "services/tester/libtest_output.h"
#include "services/tester/tap.h"

namespace slipway::tester {
namespace {

namespace fs = std::filesystem;

// Results files larger than this are read only up to it (JUnit: not at all, as before).
constexpr size_t kMaxResultsBytes = 64u << 20;
// go.mod is read for its module line only.
constexpr size_t kMaxGoModBytes = 1u << 20;

// Removes a worktree even when the tests left read-only folders behind (go's module cache).
void RemoveTree(const fs::path& dir) {
  std::error_code ec;
  fs::remove_all(dir, ec);
  if (!ec) return;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    if (it->is_directory(ec) && !it->is_symlink(ec))
      fs::permissions(it->path(), fs::perms::owner_all, fs::perm_options::add, ec);
  }
  fs::permissions(dir, fs::perms::owner_all, fs::perm_options::add, ec);
  fs::remove_all(dir, ec);
}

class WorktreeGuard {
 public:
  WorktreeGuard(fs::path dir, bool keep) : dir_(std::move(dir)), keep_(keep) {}
  WorktreeGuard(const WorktreeGuard&) = delete;
  WorktreeGuard& operator=(const WorktreeGuard&) = delete;
  ~WorktreeGuard() {
    if (!keep_) RemoveTree(dir_);
  }

 private:
  fs::path dir_;
  bool keep_;
};

absl::StatusOr<fs::path> MakeWorktree(const fs::path& work_root) {
  std::error_code ec;
  fs::create_directories(work_root, ec);
  std::string templ = (work_root / "slipway-tester-XXXXXX").string();
  if (::mkdtemp(templ.data()) == nullptr)
    return Retryable(
        absl::InternalError(fmt::format("tester: cannot create a worktree under {}: {}",
                                        work_root.string(), std::strerror(errno))));
  // Canonical, so the paths handed to the tools match the ones their reports contain.
  fs::path canonical = fs::canonical(fs::path(templ), ec);
  return ec ? fs::path(templ) : canonical;
}

// A file the tests could have replaced: opened without following a final symlink and without
// blocking on a FIFO, read only when it is a regular file, at most `max` bytes.
struct FileText {
  std::string text;
  uint64_t size = 0;  // the file's full size
};
std::optional<FileText> ReadResultsFile(const fs::path& path, size_t max) {
  int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return std::nullopt;
  }
  FileText out;
  out.size = static_cast<uint64_t>(st.st_size);
  out.text.resize(static_cast<size_t>(std::min<uint64_t>(out.size, max)));
  size_t got = 0;
  while (got < out.text.size()) {
    ssize_t n = ::read(fd, out.text.data() + got, out.text.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<size_t>(n);
  }
  out.text.resize(got);
  ::close(fd);
  return out;
}

std::string_view SignalName(int sig) {
  switch (sig) {
    case SIGXFSZ:
      return "SIGXFSZ";
    case SIGXCPU:
      return "SIGXCPU";
    case SIGKILL:
      return "SIGKILL";
    case SIGSEGV:
      return "SIGSEGV";
    case SIGABRT:
      return "SIGABRT";
    case SIGTERM:
      return "SIGTERM";
    default:
      return "";
  }
}

// What a resource-limit signal means for the person reading the report.
std::string LimitHint(int sig, const SandboxLimits& limits) {
  if (sig == SIGXFSZ)
    return fmt::format(": a file reached the sandbox's file-size limit of {} bytes",
                       limits.file_bytes);
  if (sig == SIGXCPU)
    return fmt::format(": the sandbox's CPU-time limit of {} s was reached", limits.cpu_seconds);
  return "";
}

std::string Outcome(const ProcessResult& run, const SandboxLimits& limits) {
  if (run.timed_out)
    return fmt::format("timed out after the wall limit of {:.1f} s",
                       std::chrono::duration<double>(limits.wall).count());
  if (run.term_signal != 0)
    return fmt::format("killed by signal {} ({}){}", run.term_signal, ::strsignal(run.term_signal),
                       LimitHint(run.term_signal, limits));
  // The shell reports a child killed by signal N as 128 + N.
  if (run.exit_code > 128 && run.exit_code < 128 + NSIG) {
    int sig = run.exit_code - 128;
    std::string_view name = SignalName(sig);
    if (!name.empty())
      return fmt::format("exited with code {} (a process got {}{})", run.exit_code, name,
                         LimitHint(sig, limits));
  }
  return fmt::format("exited with code {}", run.exit_code);
}

bool HasExtension(std::string_view path, std::initializer_list<std::string_view> exts) {
  for (std::string_view e : exts)
    if (path.ends_with(e)) return true;
  return false;
}

// The change set's files whose changed lines the coverage gate judges: the non-test sources
// of the language the framework's coverage tool measures.
bool IsMeasuredSource(Framework framework, const v1::ChangedFile& file) {
  if (file.is_test()) return false;
  const std::string& p = file.path();
  switch (framework) {
    case Framework::kGoTest:
      return p.ends_with(".go") && !p.ends_with("_test.go");
    case Framework::kPytest:
      return p.ends_with(".py");
    case Framework::kCTest:
      return HasExtension(
          p, {".c", ".cc", ".cpp", ".cxx", ".c++", ".h", ".hh", ".hpp", ".hxx", ".ipp", ".inl"});
    case Framework::kCargoTest:
    case Framework::kNodeTest:
    case Framework::kOther:
      break;
  }
  return false;
}

std::string GoModulePath(const fs::path& worktree) {
  auto gomod = ReadResultsFile(worktree / "go.mod", kMaxGoModBytes);
  if (!gomod) return "";
  std::string_view text = gomod->text;
  for (size_t start = 0; start < text.size();) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    start = end + 1;
    if (!line.starts_with("module")) continue;
    line.remove_prefix(6);
    size_t b = line.find_first_not_of(" \t\"");
    if (b == std::string_view::npos) continue;
    size_t e = line.find_first_of(" \t\"\r", b);
    return std::string(line.substr(b, e == std::string_view::npos ? e : e - b));
  }
  return "";
}

// The sandbox environment: the invocation's, then the request's (which wins), except that
// compiler flags and NODE_OPTIONS are joined so coverage and the reporter still apply.
std::vector<std::pair<std::string, std::string>> Environment(const TestInvocation& invocation,
                                                             const TestRunRequest& request) {
  std::map<std::string, std::string> vars;
  for (const auto& [name, value] : invocation.env) vars[name] = value;
  for (const auto& [name, value] : request.env) {
    auto it = vars.find(name);
    if (it != vars.end() &&
        (name == "CFLAGS" || name == "CXXFLAGS" || name == "LDFLAGS" || name == "NODE_OPTIONS")) {
      it->second = value + " " + it->second;
    } else {
      vars[name] = value;
    }
  }
  return {vars.begin(), vars.end()};
}

struct Results {
  bool usable = false;
  v1::TestReport report;
  std::string extra_output;  // what the framework wrote to its results file, as text
};

Results ReadResults(const TestInvocation& inv, const ProcessResult& run,
                    std::vector<std::string>& notes) {
  Results r;
  const std::string results_name = inv.results.filename().string();
  auto read = [&]() -> std::optional<FileText> {
    auto file = ReadResultsFile(inv.results, kMaxResultsBytes);
    if (!file) {
      notes.push_back(
          fmt::format("{} wrote no results file ({})", FrameworkName(inv.framework), results_name));
      return std::nullopt;
    }
    if (file->size > file->text.size())
      notes.push_back(fmt::format("{} is {} bytes: only the first {} were read", results_name,
                                  file->size, file->text.size()));
    return file;
  };
  auto unusable = [&](const absl::Status& st) {
    notes.push_back(fmt::format("results not usable, judged by exit code: {}", st.message()));
  };

  switch (inv.framework) {
    case Framework::kOther:
      break;
    case Framework::kPytest:
    case Framework::kCTest: {
      auto file = ReadResultsFile(inv.results, kMaxResultsBytes);
      if (!file || file->size > file->text.size()) {
        notes.push_back(fmt::format("no usable JUnit report ({})", results_name));
        break;
      }
      auto parsed = ParseJUnitXml(file->text);
      if (!parsed.ok()) {
        unusable(parsed.status());
        break;
      }
      r.report = *std::move(parsed);
      r.usable = true;
      break;
    }
    case Framework::kGoTest: {
      auto file = read();
      if (!file) break;
      auto parsed = ParseGoTestJson(file->text);
      if (!parsed.ok()) {
        unusable(parsed.status());
        break;
      }
      r.report = std::move(parsed->report);
      r.extra_output = std::move(parsed->output);
      notes.insert(notes.end(), parsed->notes.begin(), parsed->notes.end());
      r.usable = true;
      break;
    }
    case Framework::kCargoTest: {
      if (run.output_bytes > run.output.size())
        notes.push_back(fmt::format(
            "cargo test wrote {} bytes of output; the middle was dropped, so tests listed "
            "there are counted only through the \"test result:\" lines",
            run.output_bytes));
      auto parsed = ParseLibtestOutput(run.output);
      if (!parsed.ok()) {
        unusable(parsed.status());
        break;
      }
      r.report = std::move(parsed->report);
      notes.insert(notes.end(), parsed->notes.begin(), parsed->notes.end());
      r.usable = true;
      break;
    }
    case Framework::kNodeTest: {
      auto file = read();
      if (!file) break;
      auto parsed = ParseTap(file->text);
      if (!parsed.ok()) {
        unusable(parsed.status());
        break;
      }
      r.report = std::move(parsed->report);
      r.extra_output = TailUtf8(file->text, kOutputTailBytes);
      notes.insert(notes.end(), parsed->notes.begin(), parsed->notes.end());
      r.usable = true;
      break;
    }
  }
  return r;
}

// Reads the coverage report and summarises it over the change set's measured sources.
// Returns nullopt (with a note) when there is no usable report.
std::optional<v1::Coverage> MeasureCoverage(const TestInvocation& inv, const fs::path& worktree,
                                            const repo::Repository& repo, const std::string& commit,
                                            const v1::ChangeSet& change_set,
                                            const std::string& go_module,
                                            std::vector<std::string>& notes) {
  const std::string name = inv.coverage.filename().string();
  auto file = ReadResultsFile(inv.coverage, coverage::kMaxReportBytes);
  if (!file) {
    notes.push_back(fmt::format("{} wrote no coverage report ({})", inv.coverage_tool, name));
    return std::nullopt;
  }
  if (file->size > file->text.size()) {
    notes.push_back(fmt::format("coverage report {} is {} bytes, over the limit of {}", name,
                                file->size, coverage::kMaxReportBytes));
    return std::nullopt;
  }
  absl::StatusOr<coverage::LineHits> hits =
      inv.coverage_format == CoverageFormat::kGoCoverProfile
          ? coverage::ParseGoCoverProfile(file->text,
                                          go_module.empty() ? GoModulePath(worktree) : go_module)
          : coverage::ParseCobertura(file->text, worktree.string());
  if (!hits.ok()) {
    notes.push_back(
        fmt::format("coverage report {} unreadable: {}", name, hits.status().message()));
    return std::nullopt;
  }

  std::vector<coverage::ChangedFileLines> changed;
  for (const v1::ChangedFile& f : change_set.files()) {
    if (!IsMeasuredSource(inv.framework, f)) continue;
    std::string before;
    if (f.action() != v1::ChangedFile::ACTION_ADD) {
      auto base = repo.ReadFile(commit, f.path());
      if (base.ok()) before = *std::move(base);
    }
    changed.push_back({f.path(), coverage::ChangedLines(before, f.content())});
  }
  v1::Coverage cov = coverage::Summarize(*hits, changed, inv.coverage_tool, name);
  std::vector<std::string> unseen;
  for (const v1::FileCoverage& fc : cov.files())
    if (fc.lines() == 0) unseen.push_back(fc.path());
  if (!unseen.empty()) {
    std::string list;
    for (size_t i = 0; i < unseen.size() && i < 10; ++i) list += (i == 0 ? "" : ", ") + unseen[i];
    if (unseen.size() > 10) list += fmt::format(" and {} more", unseen.size() - 10);
    notes.push_back(
        fmt::format("not in the coverage report (no executable line measured): {}", list));
  }
  return cov;
}

std::string JoinNotes(const std::vector<std::string>& notes) {
  std::string out;
  for (const std::string& n : notes) {
    if (!out.empty()) out += "; ";
    for (char c : n) out += (c == '\n' || c == '\r') ? ' ' : c;
  }
  return out;
}

}  // namespace

absl::StatusOr<v1::TestReport> RunTests(const repo::Repository& repo, const std::string& commit,
                                        const v1::ChangeSet& change_set,
                                        const TestRunRequest& request,
                                        const TesterOptions& options) {
  if (request.command.find_first_not_of(" \t\r\n") == std::string::npos)
    return absl::InvalidArgumentError("tester: the test command is empty");
  SLIPWAY_ASSIGN_OR_RETURN(fs::path dir, MakeWorktree(options.work_root));
  WorktreeGuard guard(dir, options.keep_worktree);

  SLIPWAY_RETURN_IF_ERROR(repo.Checkout(commit, dir));
  SLIPWAY_RETURN_IF_ERROR(changeset::ApplyToDirectory(change_set, dir));
  std::error_code ec;
  for (std::string_view name : {kJUnitFileName, kGoTestJsonFileName, kTapFileName,
                                kCoberturaFileName, kGoCoverProfileFileName, kNoPytestCovMarker})
    fs::remove(dir / name, ec);

  const TestInvocation inv =
      PrepareTestCommand(request.command, dir, PrepareOptions{.coverage = request.coverage});
  std::vector<std::string> notes = inv.notes;
  for (const fs::path& d : inv.directories) fs::create_directories(d, ec);

  SandboxLimits limits = options.limits;
  if (request.timeout.count() > 0) limits.wall = std::min(limits.wall, request.timeout);
  const auto env = Environment(inv, request);
  auto run = RunSandboxed(inv.command, dir, env, limits);
  if (!run.ok()) return Retryable(run.status());

  bool coverage_available = request.coverage && inv.coverage_format != CoverageFormat::kNone;
  if (coverage_available && inv.framework == Framework::kPytest &&
      fs::exists(dir / kNoPytestCovMarker, ec)) {
    coverage_available = false;
    notes.push_back(
        "coverage not measured: pytest-cov is not importable by the test command's "
        "Python");
  }
  if (coverage_available && !inv.post_command.empty()) {
    if (run->timed_out) {
      notes.push_back("the coverage tool did not run: the tests timed out");
    } else {
      SandboxLimits post = options.limits;
      post.wall = std::min(options.limits.wall, options.coverage_tool_wall);
      auto tool = RunSandboxed(inv.post_command, dir, env, post);
      if (!tool.ok()) return Retryable(tool.status());
      if (tool->exit_code == 127) {
        coverage_available = false;
        notes.push_back(
            fmt::format("coverage not measured: {} is not installed", inv.coverage_tool));
      } else if (tool->exit_code != 0 || tool->timed_out || tool->term_signal != 0) {
        notes.push_back(fmt::format("{} {}: {}", inv.coverage_tool, Outcome(*tool, post),
                                    TailUtf8(tool->output, 300)));
      }
    }
  }

  Results results = ReadResults(inv, *run, notes);
  v1::TestReport report = std::move(results.report);
  report.set_command(inv.command);
  report.set_exit_code(run->term_signal != 0 ? 128 + run->term_signal : run->exit_code);
  report.set_timed_out(run->timed_out);
  report.set_seconds(run->seconds);
  std::string output = run->output;
  if (!results.extra_output.empty()) {
    if (!output.empty() && !output.ends_with('\n')) output += '\n';
    output += results.extra_output;
  }
  report.set_output_tail(TailUtf8(output, kOutputTailBytes));
  report.set_framework(std::string(FrameworkName(inv.framework)));
  report.set_command_source(request.command_source);
  // Coverage turned off turns its gate off too: nothing would be measured to judge.
  *report.mutable_gates() = request.gates;
  if (!request.coverage) report.mutable_gates()->set_min_changed_coverage(0);

  const bool clean_exit = run->exit_code == 0 && !run->timed_out && run->term_signal == 0;
  if (!results.usable) {
    report.clear_failures();
    report.set_total(1);
    report.set_passed(clean_exit ? 1 : 0);
    report.set_failed(clean_exit ? 0 : 1);
    report.set_errors(0);
    report.set_skipped(0);
    if (!clean_exit) {
      v1::TestCase* tc = report.add_failures();
      tc->set_name(request.command);
      tc->set_status("failed");
      tc->set_message(fmt::format("test command {}", Outcome(*run, limits)));
      tc->set_seconds(run->seconds);
    }
  } else if (!clean_exit && (run->timed_out || report.failed() + report.errors() == 0)) {
    // The results alone would not show the failure: add it as an errored case.
    report.set_total(report.total() + 1);
    report.set_errors(report.errors() + 1);
    v1::TestCase* tc = report.add_failures();
    tc->set_name(request.command);
    tc->set_status("error");
    tc->set_message(fmt::format("test command {}", Outcome(*run, limits)));
    tc->set_seconds(run->seconds);
  }

  if (coverage_available) {
    if (auto cov = MeasureCoverage(inv, dir, repo, commit, change_set, request.go_module, notes))
      *report.mutable_coverage() = *std::move(cov);
  }

  coverage::GateVerdict verdict =
      coverage::EvaluateGates(report, report.gates(), coverage_available);
  report.set_gates_passed(verdict.passed);
  std::string text = verdict.explanation;
  if (!notes.empty()) text += " (" + JoinNotes(notes) + ")";
  report.set_verdict(text);
  return report;
}

}  // namespace slipway::tester
