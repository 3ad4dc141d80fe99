#include "services/tester/go_test_json.h"

#include <fmt/format.h>

#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "libs/core/text.h"
#include "services/tester/junit.h"

namespace slipway::tester {
namespace {

// Each test's output is kept to its last this many bytes while reading.
constexpr size_t kCaseOutputKeep = 2 * kMaxFailureMessage;
constexpr size_t kOutputKeep = 64 * 1024;
constexpr size_t kBuildOutputKeep = 2 * kMaxFailureMessage;

// A string that keeps only the end of what is appended, with amortised trimming.
class Tail {
 public:
  explicit Tail(size_t keep) : keep_(keep) {}
  void Append(std::string_view s) {
    text_ += s;
    if (text_.size() > 2 * keep_) {
      text_.erase(0, text_.size() - keep_);
      trimmed_ = true;
    }
  }
  std::string Get() const { return trimmed_ ? TailUtf8(text_, keep_) : text_; }
  bool empty() const { return text_.empty(); }

 private:
  size_t keep_;
  std::string text_;
  bool trimmed_ = false;
};

// A string that keeps only its start (compiler errors: the first ones matter).
void AppendHead(std::string& s, std::string_view more, size_t keep) {
  if (s.size() >= keep) return;
  s.append(more.substr(0, keep - s.size()));
}

struct Case {
  std::string package;
  std::string test;
  std::string action;  // "" while running, then "pass", "fail" or "skip"
  double elapsed = 0;
  Tail output{kCaseOutputKeep};
};

struct Package {
  std::string action;
  double elapsed = 0;
  bool build_failed = false;
  std::string failed_build;  // the build that failed, "pkg [pkg.test]"
  Tail output{kCaseOutputKeep};
};

std::string FirstWord(std::string_view s) {
  size_t end = s.find_first_of(" \t");
  return std::string(s.substr(0, end));
}

std::string Trim(std::string_view s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return {};
  size_t e = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(b, e - b + 1));
}

std::string CapMessage(std::string s, bool keep_end) {
  s = Trim(s);
  if (s.size() <= kMaxFailureMessage) return s;
  if (keep_end) return "…" + TailUtf8(s, kMaxFailureMessage);
  return HeadUtf8(s, kMaxFailureMessage) + "…";
}

// go's progress lines carry no information for a failure message.
bool IsProgressLine(std::string_view line) {
  return line.starts_with("=== RUN") || line.starts_with("=== PAUSE") ||
         line.starts_with("=== CONT") || line.starts_with("=== NAME");
}

class Reader {
 public:
  void Line(std::string_view line) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.starts_with("{")) {
      auto event = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
      if (!event.is_discarded() && event.is_object()) {
        Event(event);
        return;
      }
      ++malformed_;
    }
    Text(line);
  }

  absl::StatusOr<GoTestRun> Finish(std::string_view stream) && {
    if (events_ == 0 && Trim(stream).empty())
      return absl::InvalidArgumentError(
          fmt::format("go test -json: no output to read ({} bytes)", stream.size()));
    GoTestRun run;
    v1::TestReport& report = run.report;
    uint32_t total = 0, passed = 0, failed = 0, errors = 0, skipped = 0;
    auto add_failure = [&](const std::string& classname, const std::string& name,
                           const std::string& status, const std::string& message, double seconds) {
      if (report.failures_size() >= kMaxReportedFailures) return;
      v1::TestCase* tc = report.add_failures();
      tc->set_classname(classname);
      tc->set_name(name);
      tc->set_status(status);
      tc->set_message(message);
      tc->set_seconds(seconds);
    };

    std::set<std::string> failing_packages;  // packages with a failing test counted
    for (const Case& c : cases_) {
      bool has_children = false, failed_child = false, running_child = false;
      const std::string prefix = c.test + "/";
      for (auto it = case_index_.lower_bound({c.package, prefix});
           it != case_index_.end() && it->first.first == c.package &&
           it->first.second.starts_with(prefix);
           ++it) {
        const Case& other = cases_[it->second];
        has_children = true;
        if (other.action == "fail") failed_child = true;
        if (other.action.empty()) running_child = true;
      }
      std::string action = c.action;
      if (has_children) {
        // A parent stands for its subtests; it counts on its own only when it failed (or
        // never finished) for a reason of its own.
        if (failed_child || running_child) continue;
        if (action != "fail" && !action.empty()) continue;
      }
      ++total;
      if (action == "pass") {
        ++passed;
      } else if (action == "skip") {
        ++skipped;
      } else {
        ++failed;
        failing_packages.insert(c.package);
        std::string message = c.output.Get();
        if (action.empty()) message = "did not finish (the test binary ended first)\n" + message;
        add_failure(c.package, c.test, "failed", CapMessage(message, true), c.elapsed);
      }
    }

    double seconds = 0;
    std::vector<std::string> failed_builds;
    for (const auto& [name, pkg] : packages_) {
      seconds += pkg.elapsed;
      const bool build_failed = pkg.build_failed || !pkg.failed_build.empty();
      if (build_failed) {
        failed_builds.push_back(name);
        continue;
      }
      if (pkg.action == "fail" && !failing_packages.contains(name)) {
        // TestMain, init or a panic outside any test, a timeout, a vet failure.
        ++total;
        ++errors;
        add_failure("", name, "error", CapMessage(pkg.output.Get(), true), pkg.elapsed);
      }
    }
    for (const std::string& name : failed_builds) {
      ++total;
      ++errors;
      add_failure("", name, "error", BuildMessage(name), 0);
    }
    if (total == 0 && events_ == 0 && !stray_.empty()) {
      // go stopped before testing anything: a module or package-pattern problem.
      ++total;
      ++errors;
      add_failure("", "go test", "error", CapMessage(stray_, false), 0);
    }
    if (malformed_ > 0)
      run.notes.push_back(fmt::format(
          "go test -json: {} line(s) starting with '{{' were not valid JSON and were skipped",
          malformed_));

    report.set_total(total);
    report.set_passed(passed);
    report.set_failed(failed);
    report.set_errors(errors);
    report.set_skipped(skipped);
    report.set_seconds(seconds);
    run.output = output_.Get();
    return run;
  }

 private:
  void Event(const nlohmann::json& e) {
    ++events_;
    auto str = [&](const char* key) -> std::string {
      auto it = e.find(key);
      return it != e.end() && it->is_string() ? it->get<std::string>() : std::string();
    };
    auto num = [&](const char* key) -> double {
      auto it = e.find(key);
      return it != e.end() && it->is_number() ? it->get<double>() : 0.0;
    };
    const std::string action = str("Action");
    const std::string package = str("Package");
    const std::string test = str("Test");
    const std::string text = str("Output");
    current_block_.clear();

    if (action == "build-output") {
      AppendHead(build_output_[FirstWord(str("ImportPath"))], text, kBuildOutputKeep);
      output_.Append(text);
      return;
    }
    if (action == "build-fail") return;
    if (package.empty()) return;
    Package& pkg = packages_[package];
    if (test.empty()) {
      if (action == "output") {
        pkg.output.Append(text);
        output_.Append(text);
        if (text.find("[build failed]") != std::string::npos ||
            text.find("[setup failed]") != std::string::npos)
          pkg.build_failed = true;
      } else if (action == "pass" || action == "fail" || action == "skip") {
        pkg.action = action;
        pkg.elapsed = num("Elapsed");
        pkg.failed_build = str("FailedBuild");
      }
      return;
    }
    Case& c = CaseFor(package, test);
    if (action == "output") {
      output_.Append(text);
      if (!IsProgressLine(text)) c.output.Append(text);
    } else if (action == "pass" || action == "fail" || action == "skip") {
      c.action = action;
      c.elapsed = num("Elapsed");
    }
  }

  void Text(std::string_view line) {
    output_.Append(line);
    output_.Append("\n");
    if (line.starts_with("# ")) {
      current_block_ = FirstWord(line.substr(2));
      AppendHead(build_output_[current_block_], std::string(line) + "\n", kBuildOutputKeep);
      return;
    }
    if (line.starts_with("FAIL\t") || line.starts_with("FAIL ")) {
      std::string_view rest = line.substr(5);
      if (rest.find("[build failed]") != std::string_view::npos ||
          rest.find("[setup failed]") != std::string_view::npos) {
        packages_[FirstWord(Trim(rest))].build_failed = true;
      }
      current_block_.clear();
      return;
    }
    if (line.starts_with("ok ") || line.starts_with("ok\t") || line.starts_with("?")) {
      current_block_.clear();
      return;
    }
    if (!current_block_.empty()) {
      AppendHead(build_output_[current_block_], std::string(line) + "\n", kBuildOutputKeep);
      return;
    }
    if (!Trim(line).empty()) AppendHead(stray_, std::string(line) + "\n", kBuildOutputKeep);
  }

  Case& CaseFor(const std::string& package, const std::string& test) {
    auto key = std::make_pair(package, test);
    auto it = case_index_.find(key);
    if (it != case_index_.end()) return cases_[it->second];
    case_index_.emplace(key, cases_.size());
    Case& c = cases_.emplace_back();
    c.package = package;
    c.test = test;
    return c;
  }

  // The compiler's output for a package that did not build: its own block, else (a broken
  // dependency) every block go printed, else the package's output.
  std::string BuildMessage(const std::string& package) const {
    if (auto it = build_output_.find(package); it != build_output_.end() && !it->second.empty())
      return CapMessage(it->second, false);
    std::string all;
    for (const auto& [name, text] : build_output_) AppendHead(all, text, kBuildOutputKeep);
    if (!Trim(all).empty()) return CapMessage(all, false);
    if (auto it = packages_.find(package); it != packages_.end() && !it->second.output.empty())
      return CapMessage(it->second.output.Get(), false);
    if (!stray_.empty()) return CapMessage(stray_, false);
    return "build failed";
  }

  std::vector<Case> cases_;  // in the order they started
  std::map<std::pair<std::string, std::string>, size_t> case_index_;
  std::map<std::string, Package> packages_;
  std::map<std::string, std::string> build_output_;  // by package
  std::string current_block_;  // the package whose "# pkg" build output is being read
  std::string stray_;          // other text go printed
  Tail output_{kOutputKeep};
  size_t events_ = 0;
  size_t malformed_ = 0;
};

}  // namespace

absl::StatusOr<GoTestRun> ParseGoTestJson(std::string_view stream) {
  Reader reader;
  size_t start = 0;
  while (start < stream.size()) {
    size_t end = stream.find('\n', start);
    if (end == std::string_view::npos) end = stream.size();
    reader.Line(stream.substr(start, end - start));
    start = end + 1;
  }
  return std::move(reader).Finish(stream);
}

}  // namespace slipway::tester
