#include "services/tester/tester.h"

#include <fmt/format.h>
#include <stdlib.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>

#include "libs/changeset/change_set.h"
#include "libs/core/status.h"
#include "libs/core/text.h"
#include "services/tester/junit.h"

namespace slipway::tester {
namespace {

namespace fs = std::filesystem;

// A JUnit file larger than this is not read (the suite is then judged by exit code).
constexpr uintmax_t kMaxJUnitBytes = 64ull << 20;

std::string ShellQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  out += "'";
  return out;
}

// Start of the last command of a shell list or pipeline (after the last unquoted
// `;`, `&&`, `||`, `|`, `&` or newline).
size_t LastStageStart(const std::string& command) {
  size_t start = 0;
  char quote = 0;
  for (size_t i = 0; i < command.size(); ++i) {
    char c = command[i];
    if (quote) {
      if (c == '\\' && quote == '"' && i + 1 < command.size()) {
        ++i;
      } else if (c == quote) {
        quote = 0;
      }
      continue;
    }
    if (c == '\\' && i + 1 < command.size()) {
      ++i;
    } else if (c == '\'' || c == '"') {
      quote = c;
    } else if (c == ';' || c == '|' || c == '&' || c == '\n') {
      start = i + 1;
    }
  }
  return start;
}

std::vector<std::string> Words(std::string_view s) {
  std::vector<std::string> out;
  std::istringstream in{std::string(s)};
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

std::string BaseName(const std::string& word) {
  size_t slash = word.rfind('/');
  return slash == std::string::npos ? word : word.substr(slash + 1);
}

// Removes a worktree even when the tests left read-only folders behind.
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
  return fs::path(templ);
}

std::optional<std::string> ReadSmallFile(const fs::path& path) {
  std::error_code ec;
  uintmax_t size = fs::file_size(path, ec);
  if (ec || size > kMaxJUnitBytes) return std::nullopt;
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::string data(static_cast<size_t>(size), '\0');
  in.read(data.data(), static_cast<std::streamsize>(size));
  data.resize(static_cast<size_t>(in.gcount()));
  return data;
}

std::string Outcome(const ProcessResult& run, const SandboxLimits& limits) {
  if (run.timed_out)
    return fmt::format("timed out after the wall limit of {:.1f} s",
                       std::chrono::duration<double>(limits.wall).count());
  if (run.term_signal != 0)
    return fmt::format("killed by signal {} ({})", run.term_signal, ::strsignal(run.term_signal));
  return fmt::format("exited with code {}", run.exit_code);
}

}  // namespace

TestInvocation PrepareTestCommand(const std::string& test_command, const fs::path& junit_file) {
  std::string_view last = std::string_view(test_command).substr(LastStageStart(test_command));
  std::vector<std::string> words = Words(last);
  bool pytest = false, ctest = false;
  for (size_t i = 0; i < words.size(); ++i) {
    std::string base = BaseName(words[i]);
    if (base == "pytest" || base == "py.test" || base.starts_with("pytest-3")) pytest = true;
    if (base == "ctest") ctest = true;
    if (words[i] == "-m" && i + 1 < words.size() && words[i + 1] == "pytest") pytest = true;
  }
  std::string trimmed = test_command;
  while (!trimmed.empty() && std::isspace(static_cast<unsigned char>(trimmed.back())))
    trimmed.pop_back();
  if (pytest)
    return {fmt::format("{} --junitxml={} -p no:cacheprovider", trimmed,
                        ShellQuote(junit_file.string())),
            true};
  if (ctest)
    return {fmt::format("{} --output-junit {}", trimmed, ShellQuote(junit_file.string())), true};
  return {test_command, false};
}

absl::StatusOr<v1::TestReport> RunTests(const repo::Repository& repo, const std::string& commit,
                                        const v1::ChangeSet& change_set,
                                        const std::string& test_command,
                                        const TesterOptions& options) {
  if (test_command.empty()) return absl::InvalidArgumentError("tester: the test command is empty");
  SLIPWAY_ASSIGN_OR_RETURN(fs::path dir, MakeWorktree(options.work_root));
  WorktreeGuard guard(dir, options.keep_worktree);

  SLIPWAY_RETURN_IF_ERROR(repo.Checkout(commit, dir));
  SLIPWAY_RETURN_IF_ERROR(changeset::ApplyToDirectory(change_set, dir));
  const fs::path junit_file = dir / kJUnitFileName;
  std::error_code ec;
  fs::remove(junit_file, ec);

  TestInvocation invocation = PrepareTestCommand(test_command, junit_file);
  auto run =
      RunSandboxed(invocation.command, dir, {{"PYTHONDONTWRITEBYTECODE", "1"}}, options.limits);
  if (!run.ok()) return Retryable(run.status());

  v1::TestReport report;
  bool have_junit = false;
  if (invocation.junit) {
    if (auto xml = ReadSmallFile(junit_file)) {
      if (auto parsed = ParseJUnitXml(*xml); parsed.ok()) {
        report = *std::move(parsed);
        have_junit = true;
      }
    }
  }
  report.set_command(invocation.command);
  report.set_exit_code(run->term_signal != 0 ? 128 + run->term_signal : run->exit_code);
  report.set_timed_out(run->timed_out);
  report.set_seconds(run->seconds);
  report.set_output_tail(TailUtf8(run->output, kOutputTailBytes));

  const bool clean_exit = run->exit_code == 0 && !run->timed_out && run->term_signal == 0;
  if (!have_junit) {
    report.set_total(1);
    report.set_passed(clean_exit ? 1 : 0);
    report.set_failed(clean_exit ? 0 : 1);
    if (!clean_exit) {
      v1::TestCase* tc = report.add_failures();
      tc->set_name(test_command);
      tc->set_status("failed");
      tc->set_message(fmt::format("test command {}", Outcome(*run, options.limits)));
      tc->set_seconds(run->seconds);
    }
  } else if (!clean_exit && (run->timed_out || report.failed() + report.errors() == 0)) {
    // The report alone would not show the failure: add it as an errored case.
    report.set_total(report.total() + 1);
    report.set_errors(report.errors() + 1);
    v1::TestCase* tc = report.add_failures();
    tc->set_name(test_command);
    tc->set_status("error");
    tc->set_message(fmt::format("test command {}", Outcome(*run, options.limits)));
    tc->set_seconds(run->seconds);
  }
  return report;
}

}  // namespace slipway::tester
