#include "services/tester/tap.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <map>
#include <optional>

#include "libs/core/text.h"
#include "services/tester/junit.h"

namespace slipway::tester {
namespace {

// A YAML block longer than this is not parsed (its start becomes the message).
constexpr size_t kMaxYamlBlock = 256 * 1024;

std::string Trim(std::string_view s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return {};
  size_t e = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(b, e - b + 1));
}

std::string Cap(std::string s) {
  s = Trim(s);
  if (s.size() <= kMaxFailureMessage) return s;
  return HeadUtf8(s, kMaxFailureMessage) + "…";
}

size_t IndentOf(std::string_view line) {
  size_t n = 0;
  while (n < line.size() && line[n] == ' ') ++n;
  return n;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

struct TestPoint {
  bool ok = false;
  std::string name;
  std::string directive;  // "skip", "todo" or ""
  std::string reason;
};

// "ok 3 - name # SKIP reason", "not ok 2 name", "ok" — nullopt when `line` is not a test point.
std::optional<TestPoint> ParseTestPoint(std::string_view line) {
  TestPoint tp;
  if (line.starts_with("not ok")) {
    line.remove_prefix(6);
  } else if (line.starts_with("ok")) {
    tp.ok = true;
    line.remove_prefix(2);
  } else {
    return std::nullopt;
  }
  if (!line.empty() && line[0] != ' ' && line[0] != '\t') return std::nullopt;
  std::string_view rest = line.substr(std::min(line.find_first_not_of(" \t"), line.size()));
  size_t digits = 0;
  while (digits < rest.size() && std::isdigit(static_cast<unsigned char>(rest[digits]))) ++digits;
  rest.remove_prefix(digits);
  rest = rest.substr(std::min(rest.find_first_not_of(" \t"), rest.size()));
  if (rest.starts_with("- ") || rest == "-") rest.remove_prefix(std::min<size_t>(2, rest.size()));
  // The directive follows the last unescaped '#'.
  size_t hash = std::string_view::npos;
  for (size_t i = 0; i < rest.size(); ++i)
    if (rest[i] == '#' && (i == 0 || rest[i - 1] != '\\')) hash = i;
  std::string description(rest);
  if (hash != std::string_view::npos) {
    std::string_view dir = rest.substr(hash + 1);
    dir = dir.substr(std::min(dir.find_first_not_of(" \t"), dir.size()));
    size_t word_end = dir.find_first_of(" \t");
    std::string_view word = dir.substr(0, word_end);
    if (word.size() >= 4 && (EqualsIgnoreCase(word.substr(0, 4), "skip") ||
                             EqualsIgnoreCase(word.substr(0, 4), "todo"))) {
      tp.directive = EqualsIgnoreCase(word.substr(0, 4), "skip") ? "skip" : "todo";
      tp.reason = word_end == std::string_view::npos ? "" : Trim(dir.substr(word_end));
      description = std::string(rest.substr(0, hash));
    }
  }
  // Unescape "\#" and "\\".
  std::string name;
  for (size_t i = 0; i < description.size(); ++i) {
    if (description[i] == '\\' && i + 1 < description.size() &&
        (description[i + 1] == '#' || description[i + 1] == '\\')) {
      name += description[++i];
    } else {
      name += description[i];
    }
  }
  tp.name = Trim(name);
  return tp;
}

struct Diagnostics {
  std::string message;
  std::string failure_type;
  double seconds = 0;
};

std::string ScalarText(const YAML::Node& node) {
  if (!node) return {};
  if (node.IsScalar()) return node.Scalar();
  YAML::Emitter out;
  out << node;
  return out.c_str();
}

// The YAML block of a test point (already dedented); false when it does not parse.
bool ReadDiagnostics(const std::string& block, Diagnostics& d) {
  if (block.size() > kMaxYamlBlock) return false;
  try {
    YAML::Node root = YAML::Load(block);
    if (!root.IsMap()) return false;
    std::string message = ScalarText(root["error"]);
    if (message.empty()) message = ScalarText(root["message"]);
    std::string expected = ScalarText(root["expected"]);
    std::string actual = ScalarText(root["actual"]);
    if ((!expected.empty() || !actual.empty()) && message.find(expected) == std::string::npos) {
      message += fmt::format("\nexpected: {}\nactual: {}", expected, actual);
    }
    std::string location = ScalarText(root["location"]);
    if (location.empty()) location = ScalarText(root["at"]);
    if (!location.empty()) message += "\nat " + location;
    d.message = Trim(message);
    d.failure_type = ScalarText(root["failureType"]);
    if (YAML::Node ms = root["duration_ms"]; ms && ms.IsScalar()) {
      d.seconds = std::strtod(ms.Scalar().c_str(), nullptr) / 1000.0;
    }
    return true;
  } catch (const YAML::Exception&) {
    return false;
  }
}

// One level of subtest nesting, by indentation.
struct Level {
  explicit Level(size_t at) : indent(at) {}
  size_t indent = 0;
  std::string subtest;        // from "# Subtest: name" at this indent, for the classname
  bool has_children = false;  // a deeper test point was seen since the last one here
  bool failed_child = false;
};

}  // namespace

absl::StatusOr<TapRun> ParseTap(std::string_view tap) {
  std::vector<std::string_view> lines;
  for (size_t start = 0; start < tap.size();) {
    size_t end = tap.find('\n', start);
    if (end == std::string_view::npos) end = tap.size();
    std::string_view line = tap.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.push_back(line);
    start = end + 1;
  }

  TapRun run;
  v1::TestReport& report = run.report;
  uint32_t passed = 0, failed = 0, errors = 0, skipped = 0;
  double top_seconds = 0, reported_seconds = -1;
  bool saw_version = false, saw_plan = false, bailed = false;
  long plan = -1;
  size_t top_points = 0, points = 0, bad_yaml = 0;
  std::vector<Level> levels = {Level{0}};  // open levels, by increasing indent

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
  auto level_at = [&](size_t indent) -> Level& {
    while (!levels.empty() && levels.back().indent > indent) levels.pop_back();
    if (levels.empty() || levels.back().indent != indent) levels.push_back(Level{indent});
    return levels.back();
  };

  for (size_t i = 0; i < lines.size() && !bailed; ++i) {
    std::string_view raw = lines[i];
    const size_t indent = IndentOf(raw);
    std::string_view line = raw.substr(indent);
    if (line.starts_with("TAP version")) {
      saw_version = true;
      continue;
    }
    if (line.starts_with("Bail out!")) {
      ++errors;
      add_failure("", "Bail out!", "error", Cap(std::string(line.substr(9))), 0);
      bailed = true;
      continue;
    }
    if (line.starts_with("# Subtest:")) {
      level_at(indent).subtest = Trim(line.substr(10));
      continue;
    }
    if (line.starts_with("1..")) {
      saw_plan = true;
      if (indent == 0) {
        long n = 0;
        std::string_view digits = line.substr(3);
        auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
        if (ec == std::errc()) plan = n;
      }
      continue;
    }
    if (indent == 0 && line.starts_with("# duration_ms ")) {
      reported_seconds = std::strtod(std::string(line.substr(14)).c_str(), nullptr) / 1000.0;
      continue;
    }
    std::optional<TestPoint> tp = ParseTestPoint(line);
    if (!tp) continue;
    ++points;
    if (indent == 0) ++top_points;

    // Its YAML block, if one follows.
    Diagnostics diag;
    if (i + 1 < lines.size() && Trim(lines[i + 1]) == "---" && IndentOf(lines[i + 1]) > indent) {
      const size_t block_indent = IndentOf(lines[i + 1]);
      std::string block;
      size_t k = i + 2;
      for (; k < lines.size(); ++k) {
        if (Trim(lines[k]) == "..." && IndentOf(lines[k]) == block_indent) break;
        std::string_view l = lines[k];
        l.remove_prefix(std::min(IndentOf(l), block_indent));
        if (block.size() <= kMaxYamlBlock) {
          block.append(l);
          block += '\n';
        }
      }
      i = k;  // past the "..." (or the end)
      if (!ReadDiagnostics(block, diag)) {
        ++bad_yaml;
        diag.message = Cap(block);
      }
    }

    // Subtests are indented by four: make sure the parent's level exists even when no
    // "# Subtest:" line announced it, so the parent knows it has children.
    if (indent >= 4) {
      auto pos = std::find_if(levels.begin(), levels.end(),
                              [&](const Level& l) { return l.indent >= indent - 4; });
      if (pos == levels.end() || pos->indent != indent - 4) levels.insert(pos, Level{indent - 4});
    }
    Level& here = level_at(indent);
    const bool has_children = here.has_children;
    const bool failed_child = here.failed_child;
    std::string classname;
    for (const Level& l : levels)
      if (l.indent < indent && !l.subtest.empty())
        classname += (classname.empty() ? "" : " > ") + l.subtest;
    // This test point closes its own level: the next one at this indent starts afresh.
    here.has_children = false;
    here.failed_child = false;
    here.subtest.clear();
    const bool point_failed = !tp->ok && tp->directive != "todo";
    for (Level& l : levels) {
      if (l.indent >= indent) continue;
      l.has_children = true;
      if (point_failed) l.failed_child = true;
    }
    if (indent == 0) top_seconds += diag.seconds;

    if (has_children && (!point_failed || failed_child || diag.failure_type == "subtestsFailed"))
      continue;
    if (tp->directive == "skip" || (tp->directive == "todo" && !tp->ok)) {
      ++skipped;
    } else if (tp->ok) {
      ++passed;
    } else {
      ++failed;
      std::string message = diag.message.empty() ? "not ok" : Cap(diag.message);
      add_failure(classname, tp->name, "failed", message, diag.seconds);
    }
  }

  if (!saw_version && !saw_plan && points == 0)
    return absl::InvalidArgumentError(
        fmt::format("TAP: no test point, plan or version line in {} bytes", tap.size()));
  if (plan >= 0 && static_cast<size_t>(plan) != top_points && !bailed)
    run.notes.push_back(
        fmt::format("TAP: the plan announced {} tests but {} were reported", plan, top_points));
  if (bad_yaml > 0)
    run.notes.push_back(fmt::format(
        "TAP: {} YAML diagnostic block(s) did not parse and are quoted as written", bad_yaml));
  report.set_passed(passed);
  report.set_failed(failed);
  report.set_errors(errors);
  report.set_skipped(skipped);
  report.set_total(passed + failed + errors + skipped);
  report.set_seconds(reported_seconds >= 0 ? reported_seconds : top_seconds);
  return run;
}

}  // namespace slipway::tester
