#include "services/tester/libtest_output.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <map>
#include <set>

#include "libs/core/text.h"
#include "services/tester/junit.h"

namespace slipway::tester {
namespace {

constexpr size_t kKeep = 2 * kMaxFailureMessage;
// Not a test name (test names have no spaces at both ends): marks output that is not kept.
constexpr std::string_view kDiscard = " discarded ";

std::string Trim(std::string_view s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return {};
  size_t e = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(b, e - b + 1));
}

void AppendHead(std::string& s, std::string_view more) {
  if (s.size() >= kKeep) return;
  s.append(more.substr(0, kKeep - s.size()));
}

std::string Cap(std::string s) {
  s = Trim(s);
  if (s.size() <= kMaxFailureMessage) return s;
  return HeadUtf8(s, kMaxFailureMessage) + "…";
}

// "N passed" -> N, from one "; "-separated part of a "test result:" line.
bool CountOf(std::string_view part, std::string_view word, uint32_t& out) {
  part = part.substr(part.find_first_not_of(' ') == std::string_view::npos
                         ? part.size()
                         : part.find_first_not_of(' '));
  size_t space = part.find(' ');
  if (space == std::string_view::npos || part.substr(space + 1) != word) return false;
  uint32_t n = 0;
  auto [ptr, ec] = std::from_chars(part.data(), part.data() + space, n);
  if (ec != std::errc() || ptr != part.data() + space) return false;
  out += n;
  return true;
}

struct Totals {
  uint32_t passed = 0, failed = 0, ignored = 0;
  double seconds = 0;
};

// "test result: ok. 3 passed; 0 failed; 1 ignored; 0 measured; 0 filtered out; finished in 0.01s"
bool ParseResultLine(std::string_view line, Totals& totals) {
  size_t dot = line.find(". ");
  if (dot == std::string_view::npos) return false;
  std::string_view rest = line.substr(dot + 2);
  bool any = false;
  while (!rest.empty()) {
    size_t semi = rest.find(';');
    std::string_view part = rest.substr(0, semi);
    any |= CountOf(part, "passed", totals.passed) || CountOf(part, "failed", totals.failed) ||
           CountOf(part, "ignored", totals.ignored);
    std::string_view trimmed = part.substr(std::min(part.find_first_not_of(' '), part.size()));
    if (trimmed.starts_with("finished in ")) {
      std::string secs(trimmed.substr(12));
      totals.seconds += std::strtod(secs.c_str(), nullptr);
    }
    if (semi == std::string_view::npos) break;
    rest = rest.substr(semi + 1);
  }
  return any;
}

}  // namespace

absl::StatusOr<LibtestRun> ParseLibtestOutput(std::string_view output) {
  std::vector<std::pair<std::string, std::string>> results;  // name, outcome, in order
  std::map<std::string, std::string> captured;               // name -> its ---- stdout ----
  std::string current;       // the test whose captured output is being read
  std::string build_errors;  // error[...] blocks, in order
  bool in_error = false;
  std::vector<std::string> uncompiled;  // crates named by "could not compile"
  Totals totals;
  bool have_result_line = false, saw_running = false, in_successes = false;

  size_t start = 0;
  while (start < output.size()) {
    size_t end = output.find('\n', start);
    if (end == std::string_view::npos) end = output.size();
    std::string_view line = output.substr(start, end - start);
    start = end + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);

    if (line.size() >= 10 && line.starts_with("---- ") && line.ends_with(" ----")) {
      std::string_view inner = line.substr(5, line.size() - 10);
      for (std::string_view suffix : {" stdout", " stderr"})
        if (inner.ends_with(suffix)) inner.remove_suffix(suffix.size());
      current = std::string(inner);
      // With --show-output, passing tests have sections too, under "successes:".
      if (in_successes) current = std::string(kDiscard);
      continue;
    }
    if (line.starts_with("test result: ")) {
      have_result_line |= ParseResultLine(line, totals);
      current.clear();
      continue;
    }
    if (line == "failures:" || line == "successes:") {
      in_successes = line == "successes:";
      current.clear();
      continue;
    }
    if (!current.empty()) {
      if (current != kDiscard) AppendHead(captured[current], std::string(line) + "\n");
      continue;
    }
    if (line.starts_with("running ") || line.starts_with("     Running ") ||
        line.starts_with("   Doc-tests ")) {
      saw_running |= line.starts_with("running ");
      in_successes = false;
      continue;
    }
    if (line.starts_with("test ") && line.find(" ... ") != std::string_view::npos) {
      size_t sep = line.rfind(" ... ");
      std::string name(line.substr(5, sep - 5));
      std::string outcome = Trim(line.substr(sep + 5));
      results.emplace_back(std::move(name), std::move(outcome));
      continue;
    }
    if (line.starts_with("error[") ||
        (line.starts_with("error: ") && !line.starts_with("error: test failed") &&
         !line.starts_with("error: doctest failed") && !line.starts_with("error: 1 target") &&
         !line.starts_with("error: could not compile"))) {
      in_error = true;
      AppendHead(build_errors, std::string(line) + "\n");
      continue;
    }
    if (line.starts_with("error: could not compile `")) {
      std::string_view rest = line.substr(26);
      std::string krate(rest.substr(0, rest.find('`')));
      // cargo names a crate once per target that failed (lib, lib test, ...).
      if (std::find(uncompiled.begin(), uncompiled.end(), krate) == uncompiled.end())
        uncompiled.push_back(std::move(krate));
      AppendHead(build_errors, std::string(line) + "\n");
      in_error = false;
      continue;
    }
    if (in_error) {
      if (Trim(line).empty()) {
        in_error = false;
        AppendHead(build_errors, "\n");
      } else {
        AppendHead(build_errors, std::string(line) + "\n");
      }
    }
  }

  if (results.empty() && !have_result_line && !saw_running && uncompiled.empty())
    return absl::InvalidArgumentError(fmt::format(
        "cargo test output: no libtest lines (\"test ... ok\", \"test result:\") and no "
        "compiler error in {} bytes",
        output.size()));

  LibtestRun run;
  v1::TestReport& report = run.report;
  uint32_t passed = 0, failed = 0, ignored = 0;
  std::set<std::string> listed;
  auto add_failure = [&](const std::string& name, const std::string& status,
                         const std::string& message) {
    if (report.failures_size() >= kMaxReportedFailures) return;
    v1::TestCase* tc = report.add_failures();
    tc->set_name(name);
    tc->set_status(status);
    tc->set_message(message);
  };
  for (const auto& [name, outcome] : results) {
    if (outcome == "ok" || outcome.starts_with("bench:")) {
      ++passed;
    } else if (outcome.starts_with("ignored")) {
      ++ignored;
    } else {
      // FAILED, or a line cut short by the test's own output: both count as a failure.
      ++failed;
      if (!listed.insert(name).second) continue;
      auto it = captured.find(name);
      std::string message = it != captured.end() ? Cap(it->second) : std::string();
      if (message.empty()) message = outcome.empty() ? "did not finish" : outcome;
      add_failure(name, "failed", message);
    }
  }
  // A failure whose "test ... FAILED" line fell in dropped output still has its section.
  for (const auto& [name, text] : captured) {
    if (listed.contains(name)) continue;
    listed.insert(name);
    if (!have_result_line) ++failed;
    add_failure(name, "failed", Cap(text));
  }

  uint32_t errors = 0;
  for (const std::string& krate : uncompiled) {
    ++errors;
    add_failure("build of " + krate, "error", Cap(build_errors));
  }

  if (have_result_line) {
    passed = totals.passed;
    failed = totals.failed;
    ignored = totals.ignored;
    report.set_seconds(totals.seconds);
  } else if (!results.empty()) {
    run.notes.push_back(
        "cargo test output: no \"test result:\" line; counts come from the individual test "
        "lines");
  }
  report.set_passed(passed);
  report.set_failed(failed);
  report.set_skipped(ignored);
  report.set_errors(errors);
  report.set_total(passed + failed + ignored + errors);
  return run;
}

}  // namespace slipway::tester
