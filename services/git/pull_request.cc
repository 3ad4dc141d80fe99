#include "services/git/pull_request.h"

#include <fmt/format.h>
#include <git2.h>

#include <algorithm>
#include <array>
#include <cctype>

#include "libs/core/text.h"
#include "services/git/message.h"

namespace slipway::gitsvc {
namespace {

constexpr std::string_view kZeroWidthJoiner = "\xE2\x80\x8D";  // U+200D
constexpr std::string_view kEllipsis = "\xE2\x80\xA6";         // U+2026
constexpr std::string_view kMinus = "\xE2\x88\x92";            // U+2212
constexpr std::string_view kMarkerStart = "<!-- slipway-";

constexpr size_t kMaxDescriptionBytes = 8 * 1024;
constexpr size_t kMaxFileRows = 300;
constexpr size_t kMaxListItems = 100;   // integration points, failures, findings, steps
constexpr size_t kMaxTextBytes = 1024;  // one path, name, summary or detail
constexpr size_t kMaxIdBytes = 200;
constexpr size_t kMaxMarkerBytes = 1024;

// ---- Text -------------------------------------------------------------------------------

// OneLine, with C0/C1 control characters and the Unicode line and paragraph separators turned
// into spaces first (OneLine alone drops control characters, which would glue words).
std::string SingleLine(std::string_view s) {
  std::string utf8 = SanitizeUtf8(s);
  std::string spaced;
  spaced.reserve(utf8.size());
  for (size_t i = 0; i < utf8.size();) {
    size_t len = Utf8SequenceLength(utf8, i);
    auto c = static_cast<unsigned char>(utf8[i]);
    auto c1 = len > 1 ? static_cast<unsigned char>(utf8[i + 1]) : 0;
    auto c2 = len > 2 ? static_cast<unsigned char>(utf8[i + 2]) : 0;
    bool control = (len == 1 && (c < 0x20 || c == 0x7f)) || (len == 2 && c == 0xC2 && c1 < 0xA0) ||
                   (len == 3 && c == 0xE2 && c1 == 0x80 && (c2 == 0xA8 || c2 == 0xA9));
    if (control) {
      spaced += ' ';
    } else {
      spaced.append(utf8, i, len);
    }
    i += len;
  }
  return OneLine(spaced);
}

// At most `max` bytes; a longer text is cut at a UTF-8 boundary and ends with "…".
std::string Shorten(std::string s, size_t max) {
  if (s.size() <= max) return s;
  std::string cut = HeadUtf8(s, max - kEllipsis.size());
  while (!cut.empty() && cut.back() == ' ') cut.pop_back();
  return cut + std::string(kEllipsis);
}

bool IsMentionStart(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }

// HTML entities and neutralised mentions; with `markdown`, Markdown punctuation is escaped
// too, and so is a leading list, heading or setext marker.
std::string Escape(std::string_view t, bool markdown) {
  size_t escape_at = std::string_view::npos;
  if (markdown && !t.empty()) {
    if (t[0] == '-' || t[0] == '+' || t[0] == '=') escape_at = 0;
    size_t d = 0;
    while (d < t.size() && d < 10 && std::isdigit(static_cast<unsigned char>(t[d]))) ++d;
    if (d > 0 && d < t.size() && (t[d] == '.' || t[d] == ')')) escape_at = d;
  }
  std::string out;
  out.reserve(t.size() + t.size() / 8);
  for (size_t i = 0; i < t.size(); ++i) {
    char c = t[i];
    if (i == escape_at) out += '\\';
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '@':
        out += '@';
        if (i + 1 < t.size() && IsMentionStart(t[i + 1])) out += kZeroWidthJoiner;
        break;
      case '\\':
      case '`':
      case '*':
      case '_':
      case '[':
      case ']':
      case '|':
      case '~':
      case '#':
        if (markdown) out += '\\';
        out += c;
        break;
      default:
        out += c;
    }
  }
  return out;
}

// User text for one line of Markdown: a table cell, a list item, a scalar.
std::string Inline(std::string_view s, size_t max = kMaxTextBytes) {
  return Escape(Shorten(SingleLine(s), max), /*markdown=*/true);
}

// Ids keep [A-Za-z0-9._:/+=-]; any other character becomes '?'. Safe inside backticks, link
// text and HTML comments (no '>', no backtick, no space).
std::string IdText(std::string_view s) {
  std::string line = SingleLine(s);
  std::string out;
  for (size_t i = 0; i < line.size() && out.size() < kMaxIdBytes;) {
    size_t len = Utf8SequenceLength(line, i);
    auto c = static_cast<unsigned char>(line[i]);
    bool keep = len == 1 &&
                (std::isalnum(c) ||
                 std::string_view("._:/+=-").find(static_cast<char>(c)) != std::string_view::npos);
    out += keep ? static_cast<char>(c) : '?';
    i += len;
  }
  return out;
}

// An http(s) URL usable as a Markdown link destination (spaces, quotes, parentheses, angle
// brackets, pipes, backslashes and non-ASCII bytes percent-encoded); "" for any other scheme.
std::string LinkUrl(std::string_view url) {
  std::string line = SingleLine(url);
  std::string lower;
  for (char c : line.substr(0, 8))
    lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (!lower.starts_with("https://") && !lower.starts_with("http://")) return "";
  std::string out;
  for (unsigned char c : line) {
    if (c <= 0x20 || c >= 0x7f ||
        std::string_view("<>()\"'`|\\").find(static_cast<char>(c)) != std::string_view::npos) {
      out += fmt::format("%{:02X}", c);
    } else {
      out += static_cast<char>(c);
    }
  }
  return out.size() > 4096 ? "" : out;
}

std::string Plural(uint64_t n, std::string_view one, std::string_view many) {
  return fmt::format("{} {}", n, n == 1 ? one : many);
}

std::string Percent(uint64_t part, uint64_t whole) {
  return fmt::format("{:.1f}%", 100.0 * static_cast<double>(part) / static_cast<double>(whole));
}

// ---- Placeholders -----------------------------------------------------------------------

enum Name : size_t {
  kTitle,
  kDescription,
  kSource,
  kRecommendationId,
  kDeploymentId,
  kTraceId,
  kTraceLink,
  kBranch,
  kCommit,
  kBase,
  kProvider,
  kFiles,
  kIntegrationPoints,
  kTests,
  kSafety,
  kSteps,
  kSummary,
  kNameCount,
};

const std::array<std::string_view, kNameCount> kNames = {"title",
                                                         "description",
                                                         "source",
                                                         "recommendation_id",
                                                         "deployment_id",
                                                         "trace_id",
                                                         "trace_link",
                                                         "branch",
                                                         "commit",
                                                         "base",
                                                         "provider",
                                                         "files",
                                                         "integration_points",
                                                         "tests",
                                                         "safety",
                                                         "steps",
                                                         "summary"};

std::string DescriptionBlock(const std::string& description) {
  std::string text = CleanText(description);
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  while (!text.empty() && text.front() == '\n') text.erase(0, 1);
  if (text.empty()) return "";
  size_t left_out = 0;
  if (text.size() > kMaxDescriptionBytes) {
    std::string head = HeadUtf8(text, kMaxDescriptionBytes);
    left_out = text.size() - head.size();
    text = std::move(head);
  }
  // Every line quoted: whatever Markdown the description holds stays inside the quote.
  std::string out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = std::min(text.find('\n', start), text.size());
    std::string_view line = std::string_view(text).substr(start, end - start);
    if (!out.empty()) out += '\n';
    out += line.empty() ? ">" : "> " + Escape(line, /*markdown=*/false);
    start = end + 1;
  }
  if (left_out > 0)
    out += fmt::format("\n>\n> *[{} {} more bytes of the description not shown]*", kEllipsis,
                       left_out);
  return out;
}

std::string FilesBlock(const std::vector<FileStat>& files) {
  if (files.empty()) return "No files changed.";
  std::string out =
      fmt::format("| File | Change | +lines | {}lines |\n| --- | --- | ---: | ---: |", kMinus);
  uint64_t added = 0, removed = 0;
  for (size_t i = 0; i < files.size(); ++i) {
    const FileStat& f = files[i];
    added += f.added;
    removed += f.removed;
    if (i >= kMaxFileRows) continue;
    std::string path = Inline(f.path);
    if (!f.old_path.empty() && f.old_path != f.path)
      path = fmt::format("{} \xE2\x86\x92 {}", Inline(f.old_path), path);  // →
    std::string change = Inline(f.status.empty() ? "modified" : f.status, 64);
    if (f.binary) {
      out += fmt::format("\n| {} | {}, binary | \xE2\x80\x94 | \xE2\x80\x94 |", path, change);
    } else {
      out += fmt::format("\n| {} | {} | {} | {} |", path, change, f.added, f.removed);
    }
  }
  // A blank line ends the table: a plain line right after it would become a row.
  if (files.size() > kMaxFileRows)
    out += fmt::format("\n\n{} and {}", kEllipsis,
                       Plural(files.size() - kMaxFileRows, "more file", "more files"));
  out += fmt::format("\n\n{} changed, +{} {}{}", Plural(files.size(), "file", "files"), added,
                     kMinus, removed);
  return out;
}

std::string IntegrationPointsBlock(const v1::Analysis& analysis) {
  const auto& points = analysis.integration_points();
  if (points.empty()) return "none found";
  std::string out;
  for (int i = 0; i < points.size(); ++i) {
    if (static_cast<size_t>(i) == kMaxListItems) {
      out += fmt::format("\n- {} and {} more", kEllipsis, points.size() - i);
      break;
    }
    const v1::IntegrationPoint& p = points[i];
    std::string item = p.file().empty() ? "(no file)" : Inline(p.file());
    if (p.line() > 0) item += fmt::format(":{}", p.line());
    if (!p.symbol().empty()) item += fmt::format(" \xE2\x80\x94 **{}**", Inline(p.symbol()));
    if (!p.kind().empty()) item += fmt::format(" ({})", Inline(p.kind(), 64));
    if (!p.reason().empty()) item += ": " + Inline(p.reason());
    if (!out.empty()) out += '\n';
    out += "- " + item;
  }
  return out;
}

std::string TestsBlock(const v1::TestReport& t) {
  if (t.total() == 0 && t.command().empty() && !t.timed_out() && t.verdict().empty())
    return "not run";
  std::string counts = fmt::format("- **{} run**: {} passed, {} failed, {} errors, {} skipped",
                                   t.total(), t.passed(), t.failed(), t.errors(), t.skipped());
  if (t.seconds() > 0) counts += fmt::format(" in {:.2f} s", t.seconds());
  if (!t.framework().empty()) counts += fmt::format(" ({})", Inline(t.framework(), 64));
  if (t.timed_out()) counts += ", **timed out**";
  std::string out = counts;
  if (t.has_coverage()) {
    const v1::Coverage& c = t.coverage();
    std::vector<std::string> parts;
    if (c.changed_lines() > 0)
      parts.push_back(fmt::format("{} of changed lines ({}/{})",
                                  Percent(c.changed_covered(), c.changed_lines()),
                                  c.changed_covered(), c.changed_lines()));
    if (c.lines() > 0)
      parts.push_back(fmt::format("{} overall ({}/{})", Percent(c.lines_covered(), c.lines()),
                                  c.lines_covered(), c.lines()));
    if (!parts.empty()) {
      out += "\n- Coverage: " + parts[0];
      for (size_t i = 1; i < parts.size(); ++i) out += ", " + parts[i];
      if (!c.tool().empty()) out += fmt::format(" ({})", Inline(c.tool(), 64));
    }
  }
  if (!t.verdict().empty())
    out += fmt::format("\n- Gates {}: {}", t.gates_passed() ? "passed" : "failed",
                       Inline(t.verdict()));
  if (!t.failures().empty()) {
    out += "\n- Failures:";
    for (int i = 0; i < t.failures().size(); ++i) {
      if (static_cast<size_t>(i) == kMaxListItems) {
        out += fmt::format("\n  - {} and {} more", kEllipsis, t.failures().size() - i);
        break;
      }
      const v1::TestCase& f = t.failures(i);
      std::string item = Inline(f.name().empty() ? "(unnamed)" : f.name());
      if (!f.classname().empty()) item += fmt::format(" ({})", Inline(f.classname()));
      if (f.status() == "error") item += " [error]";
      if (!f.message().empty()) item += ": " + Inline(f.message(), 300);
      out += "\n  - " + item;
    }
  }
  return out;
}

std::string SafetyBlock(const std::optional<v1::SafetyVerdict>& safety) {
  if (!safety) return "not run";
  if (safety->findings().empty()) return safety->passed() ? "passed" : "failed";
  std::string out = fmt::format("{}, {}:\n", safety->passed() ? "passed" : "failed",
                                Plural(safety->findings().size(), "finding", "findings"));
  for (int i = 0; i < safety->findings().size(); ++i) {
    if (static_cast<size_t>(i) == kMaxListItems) {
      out += fmt::format("\n- {} and {} more", kEllipsis, safety->findings().size() - i);
      break;
    }
    const v1::Finding& f = safety->findings(i);
    std::string item = "**" + Inline(f.rule().empty() ? "finding" : f.rule(), 128) + "**";
    if (!f.file().empty()) {
      item += " in " + Inline(f.file());
      if (f.line() > 0) item += fmt::format(":{}", f.line());
    }
    if (!f.detail().empty()) item += ": " + Inline(f.detail());
    out += "\n- " + item;
  }
  return out;
}

// "safety-pre", "map", ... from the enum's name (STEP_SAFETY_PRE), as the saga names steps.
std::string StepName(v1::Step step) {
  if (step == v1::STEP_UNSPECIFIED || !v1::Step_IsValid(step)) return "";
  std::string name = v1::Step_Name(step).substr(5);  // without "STEP_"
  for (char& c : name) c = c == '_' ? '-' : static_cast<char>(std::tolower(c));
  return name;
}

std::string StepsBlock(const std::vector<v1::StepSummary>& steps) {
  if (steps.empty()) return "none";
  std::string out = "| Step | Attempt | Time (s) | Summary |\n| --- | ---: | ---: | --- |";
  for (size_t i = 0; i < steps.size(); ++i) {
    if (i == kMaxListItems) {
      out += fmt::format("\n\n{} and {}", kEllipsis,
                         Plural(steps.size() - i, "more step", "more steps"));
      break;
    }
    const v1::StepSummary& s = steps[i];
    std::string name(StepName(s.step()));
    if (name.empty()) name = fmt::format("step-{}", static_cast<int>(s.step()));
    double seconds = s.duration_ms() > 0 ? s.duration_ms() / 1000.0 : 0.0;
    out +=
        fmt::format("\n| {} | {} | {:.2f} | {} |", name, s.attempt(), seconds, Inline(s.summary()));
  }
  return out;
}

// SourceLine, with an http(s) uri as a Markdown link (escaped text would break the URL).
std::string SourceText(const v1::Source& source) {
  v1::Source rest = source;
  rest.clear_uri();
  std::string out = Inline(SourceLine(rest));
  if (!source.uri().empty()) {
    std::string url = LinkUrl(source.uri());
    std::string text = Inline(source.uri(), 512);
    if (!out.empty()) out += ", ";
    out += url.empty() ? text : fmt::format("[{}]({})", text, url);
  }
  return out;
}

std::string SummaryLine(const PullRequestFacts& facts) {
  uint64_t added = 0, removed = 0;
  for (const FileStat& f : facts.files) {
    added += f.added;
    removed += f.removed;
  }
  std::string out = fmt::format(
      "{} changed (+{} {}{})", Plural(facts.files.size(), "file", "files"), added, kMinus, removed);
  const v1::TestReport& t = facts.tests;
  if (t.total() == 0) {
    out += ", no tests run";
  } else {
    out += fmt::format(", {} passed", Plural(t.passed(), "test", "tests"));
    if (t.failed() + t.errors() > 0) out += fmt::format(", {} failed", t.failed() + t.errors());
  }
  if (t.has_coverage()) {
    const v1::Coverage& c = t.coverage();
    if (c.changed_lines() > 0) {
      out += ", coverage " + Percent(c.changed_covered(), c.changed_lines());
    } else if (c.lines() > 0) {
      out += ", coverage " + Percent(c.lines_covered(), c.lines());
    }
  }
  return out;
}

std::string RenderPlaceholder(size_t name, const PullRequestFacts& facts) {
  const v1::Recommendation& rec = facts.recommendation;
  switch (name) {
    case kTitle:
      return Escape(PullRequestTitle(rec, ""), /*markdown=*/true);
    case kDescription:
      return DescriptionBlock(rec.description());
    case kSource:
      return rec.has_source() ? SourceText(rec.source()) : "";
    case kRecommendationId:
      return IdText(rec.id());
    case kDeploymentId:
      return IdText(facts.deployment_id);
    case kTraceId:
      return IdText(facts.trace_id);
    case kTraceLink: {
      std::string id = IdText(facts.trace_id);
      std::string url = LinkUrl(facts.trace_url);
      if (url.empty()) return id.empty() ? "none" : "`" + id + "`";
      return fmt::format("[{}]({})", id.empty() ? "trace" : "`" + id + "`", url);
    }
    case kBranch:
      return IdText(facts.branch);
    case kCommit:
      return IdText(facts.commit);
    case kBase: {
      std::string branch = IdText(facts.base_branch);
      std::string commit = IdText(facts.base_commit.substr(0, 7));
      if (branch.empty()) return commit;
      return commit.empty() ? branch : fmt::format("{} ({})", branch, commit);
    }
    case kProvider:
      return Inline(facts.provider, 200);
    case kFiles:
      return FilesBlock(facts.files);
    case kIntegrationPoints:
      return IntegrationPointsBlock(facts.analysis);
    case kTests:
      return TestsBlock(facts.tests);
    case kSafety:
      return SafetyBlock(facts.safety);
    case kSteps:
      return StepsBlock(facts.steps);
    case kSummary:
      return SummaryLine(facts);
    default:
      return "";
  }
}

constexpr std::string_view kDefaultTemplate = R"({{summary}}

{{description}}

Source: {{source}}

Recommendation: `{{recommendation_id}}`

### Changes

Branch `{{branch}}`, commit `{{commit}}`, on top of {{base}}.

Provider: {{provider}}

{{files}}

### Integration points

{{integration_points}}

### Tests

{{tests}}

### Safety

{{safety}}

### Steps

{{steps}}

---

Deployment `{{deployment_id}}` · trace {{trace_link}}
<!-- slipway-deployment: {{deployment_id}} -->
)";

// Column of byte `pos` on a line starting at `line_start`, in characters, from 1.
size_t Column(std::string_view text, size_t line_start, size_t pos) {
  size_t column = 1;
  for (size_t i = line_start; i < pos; ++i)
    if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) ++column;
  return column;
}

// ---- DiffStats ----------------------------------------------------------------------------

template <typename T, void (*Free)(T*)>
struct GitPtr {
  T* p = nullptr;
  GitPtr() = default;
  GitPtr(const GitPtr&) = delete;
  GitPtr& operator=(const GitPtr&) = delete;
  ~GitPtr() {
    if (p) Free(p);
  }
  T** out() { return &p; }
  T* get() const { return p; }
};

absl::Status LookupTree(const repo::Repository& repo, std::string_view commit,
                        GitPtr<git_tree, git_tree_free>& tree) {
  absl::StatusOr<std::string> tree_id = repo.TreeId(commit);
  if (!tree_id.ok()) return tree_id.status();
  git_oid oid;
  if (git_oid_fromstr(&oid, tree_id->c_str()) != 0 ||
      git_tree_lookup(tree.out(), repo.raw(), &oid) != 0)
    return absl::InternalError(repo::GitError(fmt::format("tree of commit {}", commit)));
  return absl::OkStatus();
}

std::string_view DeltaStatus(git_delta_t status) {
  switch (status) {
    case GIT_DELTA_ADDED:
      return "added";
    case GIT_DELTA_DELETED:
      return "deleted";
    case GIT_DELTA_RENAMED:
      return "renamed";
    case GIT_DELTA_COPIED:
      return "copied";
    case GIT_DELTA_TYPECHANGE:
      return "typechange";
    default:
      return "modified";
  }
}

}  // namespace

absl::StatusOr<std::vector<FileStat>> DiffStats(const repo::Repository& repo,
                                                std::string_view base_commit,
                                                std::string_view commit) {
  GitPtr<git_tree, git_tree_free> base_tree, tree;
  if (absl::Status st = LookupTree(repo, base_commit, base_tree); !st.ok()) return st;
  if (absl::Status st = LookupTree(repo, commit, tree); !st.ok()) return st;

  GitPtr<git_diff, git_diff_free> diff;
  git_diff_options options = GIT_DIFF_OPTIONS_INIT;
  if (git_diff_tree_to_tree(diff.out(), repo.raw(), base_tree.get(), tree.get(), &options) != 0)
    return absl::InternalError(
        repo::GitError(fmt::format("diff of {} against {}", commit, base_commit)));
  git_diff_find_options find = GIT_DIFF_FIND_OPTIONS_INIT;
  find.flags = GIT_DIFF_FIND_RENAMES;
  if (git_diff_find_similar(diff.get(), &find) != 0)
    return absl::InternalError(repo::GitError("rename detection"));

  std::vector<FileStat> stats;
  const size_t count = git_diff_num_deltas(diff.get());
  stats.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    // Generating the patch also settles whether the delta is binary.
    GitPtr<git_patch, git_patch_free> patch;
    if (git_patch_from_diff(patch.out(), diff.get(), i) != 0)
      return absl::InternalError(repo::GitError(fmt::format("patch {} of {}", i, commit)));
    const git_diff_delta* delta = git_diff_get_delta(diff.get(), i);
    FileStat stat;
    stat.status = std::string(DeltaStatus(delta->status));
    const char* path =
        delta->status == GIT_DELTA_DELETED ? delta->old_file.path : delta->new_file.path;
    stat.path = path ? path : "";
    if ((delta->status == GIT_DELTA_RENAMED || delta->status == GIT_DELTA_COPIED) &&
        delta->old_file.path)
      stat.old_path = delta->old_file.path;
    stat.binary = (delta->flags & GIT_DIFF_FLAG_BINARY) != 0;
    if (patch.get() && !stat.binary) {
      size_t context = 0, added = 0, removed = 0;
      if (git_patch_line_stats(&context, &added, &removed, patch.get()) != 0)
        return absl::InternalError(repo::GitError(fmt::format("line stats of {}", stat.path)));
      stat.added = static_cast<uint32_t>(added);
      stat.removed = static_cast<uint32_t>(removed);
    }
    stats.push_back(std::move(stat));
  }
  std::sort(stats.begin(), stats.end(),
            [](const FileStat& a, const FileStat& b) { return a.path < b.path; });
  return stats;
}

const std::vector<std::string_view>& PullRequestTemplate::Placeholders() {
  static const std::vector<std::string_view> names(kNames.begin(), kNames.end());
  return names;
}

absl::StatusOr<PullRequestTemplate> PullRequestTemplate::Parse(std::string_view raw) {
  if (raw.size() > kMaxPullRequestBodyBytes)
    return absl::InvalidArgumentError(
        fmt::format("pull request template: {} bytes, more than the body's limit of {}", raw.size(),
                    kMaxPullRequestBodyBytes));
  const std::string text = SanitizeUtf8(raw);
  std::vector<Line> lines;
  Line line;
  std::string literal;
  size_t line_number = 1, line_start = 0;
  auto flush = [&] {
    if (!literal.empty()) line.segments.emplace_back(std::move(literal));
    literal.clear();
  };
  for (size_t i = 0; i < text.size();) {
    if (text.compare(i, 3, "\\{{") == 0) {
      literal += "{{";
      i += 3;
    } else if (text.compare(i, 2, "{{") == 0) {
      const size_t close = text.find("}}", i + 2);
      const size_t newline = text.find('\n', i + 2);
      const size_t open = text.find("{{", i + 2);
      if (close == std::string::npos || (newline != std::string::npos && newline < close) ||
          (open != std::string::npos && open < close))
        return absl::InvalidArgumentError(fmt::format(
            "pull request template: unclosed \"{{{{\" at line {}, column {} (a placeholder is "
            "\"{{{{name}}}}\" on one line; write \"\\{{{{\" for a literal \"{{{{\")",
            line_number, Column(text, line_start, i)));
      std::string_view name = std::string_view(text).substr(i + 2, close - i - 2);
      while (!name.empty() && (name.front() == ' ' || name.front() == '\t')) name.remove_prefix(1);
      while (!name.empty() && (name.back() == ' ' || name.back() == '\t')) name.remove_suffix(1);
      auto it = std::find(kNames.begin(), kNames.end(), name);
      if (it == kNames.end()) {
        std::string known;
        for (std::string_view n : kNames) known += (known.empty() ? "" : ", ") + std::string(n);
        return absl::InvalidArgumentError(fmt::format(
            "pull request template: unknown placeholder \"{{{{{}}}}}\" at line {}, column {}; "
            "known: {}",
            Shorten(SingleLine(name), 100), line_number, Column(text, line_start, i), known));
      }
      flush();
      line.segments.emplace_back(Placeholder{static_cast<size_t>(it - kNames.begin())});
      line.has_placeholder = true;
      i = close + 2;
    } else if (text[i] == '\n') {
      flush();
      line.newline = true;
      lines.push_back(std::move(line));
      line = Line();
      ++line_number;
      line_start = ++i;
    } else {
      literal += text[i++];
    }
  }
  flush();
  if (!line.segments.empty()) lines.push_back(std::move(line));
  return PullRequestTemplate(std::move(lines));
}

const PullRequestTemplate& PullRequestTemplate::Default() {
  static const PullRequestTemplate* const kDefault =
      new PullRequestTemplate(*PullRequestTemplate::Parse(kDefaultTemplate));
  return *kDefault;
}

std::string PullRequestTemplate::Render(const PullRequestFacts& facts) const {
  std::array<std::optional<std::string>, kNameCount> values;
  auto value = [&](size_t name) -> const std::string& {
    if (!values[name]) values[name] = RenderPlaceholder(name, facts);
    return *values[name];
  };

  // The body is built up to twice the limit; beyond that only its size is counted, so a
  // template repeating a large placeholder costs no memory.
  const size_t build_limit = 2 * kMaxPullRequestBodyBytes;
  std::string body;
  size_t total = 0;
  struct Marker {
    size_t offset;
    std::string text;
  };
  std::vector<Marker> markers;  // "<!-- slipway-... -->" lines, kept when the body is cut
  bool after_dropped = false;   // the last template line was left out
  bool after_blank = true;      // the output is empty or ends with a blank line
  for (const Line& line : lines_) {
    if (line.has_placeholder) {
      bool all_empty = true;
      for (const Segment& s : line.segments)
        if (const auto* p = std::get_if<Placeholder>(&s); p && !value(p->index).empty())
          all_empty = false;
      if (all_empty) {
        after_dropped = true;
        continue;
      }
    }
    const bool blank = line.segments.empty();
    if (blank && after_dropped && after_blank) continue;  // no run of blank lines left behind
    after_dropped = false;
    after_blank = blank;
    size_t size = line.newline ? 1 : 0;
    for (const Segment& s : line.segments)
      size += std::holds_alternative<std::string>(s) ? std::get<std::string>(s).size()
                                                     : value(std::get<Placeholder>(s).index).size();
    const auto* first =
        line.segments.empty() ? nullptr : std::get_if<std::string>(&line.segments[0]);
    const bool marker = first && first->starts_with(kMarkerStart) && size <= kMaxMarkerBytes;
    if (total < build_limit || marker) {
      std::string text;
      text.reserve(size);
      for (const Segment& s : line.segments)
        text += std::holds_alternative<std::string>(s) ? std::get<std::string>(s)
                                                       : value(std::get<Placeholder>(s).index);
      if (line.newline) text += '\n';
      if (marker) markers.push_back({total, text});
      if (total < build_limit) body += text;
    }
    total += size;
  }
  if (total <= kMaxPullRequestBodyBytes) return body;

  // Cut: room for the note and for every marker line, at a line end when one is near.
  size_t reserve = 120;
  for (const Marker& m : markers) reserve += m.text.size() + 1;
  size_t budget = kMaxPullRequestBodyBytes - std::min(reserve, kMaxPullRequestBodyBytes / 2);
  std::string head = HeadUtf8(body, budget);
  if (size_t nl = head.rfind('\n'); nl != std::string::npos && head.size() - nl < 4096)
    head.resize(nl + 1);
  const size_t cut = head.size();
  std::string tail;
  size_t left_out = total - cut;
  for (const Marker& m : markers) {
    if (m.offset + m.text.size() <= cut) continue;  // kept whole
    left_out -= std::min(left_out, m.text.size());
    tail += m.text;
    if (!tail.ends_with('\n')) tail += '\n';
  }
  if (!head.ends_with('\n')) head += '\n';
  head +=
      fmt::format("\n*[{} {} bytes of the pull request body left out: GitHub takes at most {}]*\n",
                  kEllipsis, left_out, kMaxPullRequestBodyBytes);
  if (!tail.empty()) head += "\n" + tail;
  return HeadUtf8(head, kMaxPullRequestBodyBytes);
}

std::string PullRequestTitle(const v1::Recommendation& recommendation, std::string_view prefix) {
  std::string title = SingleLine(recommendation.title());
  if (title.empty()) title = "Slipway change";
  if (!prefix.empty()) title = SingleLine(std::string(prefix) + title);
  return Shorten(std::move(title), kMaxPullRequestTitleBytes);
}

}  // namespace slipway::gitsvc
