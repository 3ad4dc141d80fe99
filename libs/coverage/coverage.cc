#include "libs/coverage/coverage.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <optional>
#include <pugixml.hpp>
#include <span>
#include <unordered_map>
#include <utility>

namespace slipway::coverage {
namespace {

// At most this many uncovered changed lines are listed per file (the proto's limit).
constexpr int kMaxUncoveredListed = 200;
// The gate's explanation stays one readable line.
constexpr size_t kMaxFilesExplained = 10;
constexpr size_t kMaxRangesExplained = 20;
constexpr size_t kMaxFailedTestsNamed = 3;
// Beyond this many lines a file is diffed by unique-line anchors first (see ChangedLines).
constexpr size_t kExactDiffMaxLines = 20000;
// Steps one Myers pass may take (diagonal visits plus snake steps, tens of ms) before the diff
// falls back to anchoring; one budget for the whole file and one for the anchored gaps.
constexpr int64_t kMyersBudget = 20'000'000;
// Anchored gaps are refined at most this deep; deeper gaps count as changed.
constexpr int kMaxAnchorDepth = 8;

std::string_view Trim(std::string_view s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return {};
  size_t e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

// A short quotation of untrusted text for an error message.
std::string Quote(std::string_view s) {
  constexpr size_t kMax = 120;
  size_t cut = std::min(s.size(), kMax);
  // Cut at a UTF-8 boundary: back off continuation bytes.
  while (cut < s.size() && cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  std::string out(s.substr(0, cut));
  for (char& c : out)
    if (static_cast<unsigned char>(c) < 0x20) c = ' ';
  if (cut < s.size()) out += "…";
  return fmt::format("\"{}\"", out);
}

template <typename T>
std::optional<T> ParseUnsigned(std::string_view s) {
  T value{};
  if (s.empty()) return std::nullopt;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return value;
}

absl::Status CheckSize(std::string_view format, size_t size) {
  if (size <= kMaxReportBytes) return absl::OkStatus();
  return absl::ResourceExhaustedError(
      fmt::format("{}: report is {} bytes, the limit is {} bytes", format, size, kMaxReportBytes));
}

void RecordHits(std::map<uint32_t, uint64_t>& lines, uint32_t line, uint64_t hits) {
  auto [it, inserted] = lines.emplace(line, hits);
  if (!inserted) it->second = std::max(it->second, hits);
}

// ---- paths ----

// "/a/./b/../c/" -> "/a/c"; ".." at the top stays at "/".
std::string NormalizeAbsolute(std::string_view path) {
  std::vector<std::string_view> parts;
  size_t pos = 0;
  while (pos <= path.size()) {
    size_t slash = path.find('/', pos);
    if (slash == std::string_view::npos) slash = path.size();
    std::string_view part = path.substr(pos, slash - pos);
    if (part == "..") {
      if (!parts.empty()) parts.pop_back();
    } else if (!part.empty() && part != ".") {
      parts.push_back(part);
    }
    pos = slash + 1;
  }
  std::string out;
  for (std::string_view part : parts) {
    out += '/';
    out += part;
  }
  return out.empty() ? "/" : out;
}

// `path` (absolute, normalized) relative to `root` (absolute, normalized); nullopt outside it
// or for the root itself.
std::optional<std::string> RelativeTo(const std::string& path, const std::string& root) {
  if (root == "/") {
    if (path.size() <= 1) return std::nullopt;
    return path.substr(1);
  }
  if (path.size() <= root.size() + 1 || path.compare(0, root.size(), root) != 0 ||
      path[root.size()] != '/')
    return std::nullopt;
  return path.substr(root.size() + 1);
}

std::string Join(std::string_view base, std::string_view rel) {
  std::string joined(base);
  joined += '/';
  joined += rel;
  return NormalizeAbsolute(joined);
}

// Where a Cobertura <class filename> lives in the repository, if it does.
std::optional<std::string> RepositoryPath(std::string_view filename,
                                          const std::vector<std::string>& sources,
                                          const std::string& root) {
  if (filename.empty()) return std::nullopt;
  if (filename.front() == '/') return RelativeTo(NormalizeAbsolute(filename), root);
  if (sources.empty()) return RelativeTo(Join(root, filename), root);
  for (const std::string& source : sources) {
    std::string base = source.front() == '/' ? source : Join(root, source);
    if (auto rel = RelativeTo(Join(base, filename), root)) return rel;
  }
  return std::nullopt;
}

// ---- Cobertura ----

size_t LineOfOffset(std::string_view text, ptrdiff_t offset) {
  if (offset < 0) return 0;
  size_t end = std::min(static_cast<size_t>(offset), text.size());
  return 1 + static_cast<size_t>(std::count(text.begin(), text.begin() + end, '\n'));
}

std::string Where(std::string_view xml, const pugi::xml_node& node) {
  size_t line = LineOfOffset(xml, node.offset_debug());
  return line == 0 ? std::string("Cobertura XML") : fmt::format("Cobertura XML line {}", line);
}

// ---- line diff ----

std::vector<std::string_view> SplitLines(std::string_view text) {
  std::vector<std::string_view> lines;
  size_t start = 0;
  while (start < text.size()) {
    size_t nl = text.find('\n', start);
    size_t end = nl == std::string_view::npos ? text.size() : nl;
    std::string_view line = text.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.push_back(line);
    if (nl == std::string_view::npos) break;
    start = nl + 1;
  }
  return lines;
}

using Ids = std::span<const uint32_t>;

// Marks the lines of `b` outside a longest common subsequence with `a`, by Myers' O(ND)
// algorithm in linear space (the "middle snake" divide and conquer, Myers 1986 §4b).
// Lines are interned ids; `b_index` maps a position of `b` to its line in the file.
class MyersDiff {
 public:
  explicit MyersDiff(int64_t budget) : budget_(budget) {}

  // False when the budget ran out; `inserted` is then incomplete and must be discarded.
  bool Run(Ids a, Ids b, Ids b_index, std::vector<uint32_t>& inserted) {
    size_t max = (a.size() + b.size() + 1) / 2;
    vf_.assign(2 * max + 3, -1);
    vb_.assign(2 * max + 3, -1);
    return Compare(a, b, b_index, inserted);
  }

  int64_t budget() const { return budget_; }

 private:
  struct Snake {
    int x, y, u, v;  // a diagonal run of matches from (x, y) to (u, v)
  };

  bool Compare(Ids a, Ids b, Ids b_index, std::vector<uint32_t>& inserted) {
    while (!a.empty() && !b.empty() && a.front() == b.front()) {
      a = a.subspan(1);
      b = b.subspan(1);
      b_index = b_index.subspan(1);
    }
    while (!a.empty() && !b.empty() && a.back() == b.back()) {
      a = a.first(a.size() - 1);
      b = b.first(b.size() - 1);
    }
    if (b.empty()) return true;
    if (a.empty()) {
      inserted.insert(inserted.end(), b_index.begin(), b_index.begin() + b.size());
      return true;
    }
    Snake s;
    if (!MiddleSnake(a, b, s)) return false;
    const int n = static_cast<int>(a.size()), m = static_cast<int>(b.size());
    // Each half costs fewer edits than the whole; a split that shrinks nothing would loop.
    if ((s.u == 0 && s.v == 0) || (s.x == n && s.y == m)) return false;
    return Compare(a.first(s.x), b.first(s.y), b_index, inserted) &&
           Compare(a.subspan(s.u), b.subspan(s.v), b_index.subspan(s.v), inserted);
  }

  // vf_[off + k]: the furthest x reached on diagonal k = x - y from the start; vb_[off + c]:
  // the same from the end, on the reversed sequences (c = (n - x) - (m - y)). -1 marks a
  // diagonal no path of this many edits reaches. Moves that would leave the grid are not
  // taken: a path needing them is never shorter than the one along the edge.
  bool MiddleSnake(Ids a, Ids b, Snake& s) {
    const int n = static_cast<int>(a.size()), m = static_cast<int>(b.size());
    const int delta = n - m;
    const bool odd = (delta & 1) != 0;
    const int max = (n + m + 1) / 2;
    const int off = max + 1;
    int* vf = vf_.data() + off;
    int* vb = vb_.data() + off;
    for (int d = 0; d <= max; ++d) {
      budget_ -= 2 * (d + 1);
      for (int k = -d; k <= d; k += 2) {
        int x = -1;
        if (d == 0) {
          x = 0;
        } else if (k >= -m && k <= n) {
          if (k - 1 >= -(d - 1) && vf[k - 1] >= 0 && vf[k - 1] < n) x = vf[k - 1] + 1;
          if (k + 1 <= d - 1 && vf[k + 1] >= 0 && vf[k + 1] - k <= m) x = std::max(x, vf[k + 1]);
        }
        vf[k] = x;
        if (x < 0) continue;
        int y = x - k;
        const int sx = x, sy = y;
        while (x < n && y < m && a[x] == b[y]) ++x, ++y;
        budget_ -= x - sx;
        vf[k] = x;
        const int c = delta - k;
        if (odd && c >= -(d - 1) && c <= d - 1 && vb[c] >= 0 && x + vb[c] >= n) {
          s = {sx, sy, x, y};
          return true;
        }
      }
      for (int c = -d; c <= d; c += 2) {
        int x = -1;
        if (d == 0) {
          x = 0;
        } else if (c >= -m && c <= n) {
          if (c - 1 >= -(d - 1) && vb[c - 1] >= 0 && vb[c - 1] < n) x = vb[c - 1] + 1;
          if (c + 1 <= d - 1 && vb[c + 1] >= 0 && vb[c + 1] - c <= m) x = std::max(x, vb[c + 1]);
        }
        vb[c] = x;
        if (x < 0) continue;
        int y = x - c;
        const int sx = x, sy = y;
        while (x < n && y < m && a[n - 1 - x] == b[m - 1 - y]) ++x, ++y;
        budget_ -= x - sx;
        vb[c] = x;
        const int k = delta - c;
        if (!odd && k >= -d && k <= d && vf[k] >= 0 && x + vf[k] >= n) {
          s = {n - x, m - y, n - sx, m - sy};
          return true;
        }
      }
      if (budget_ < 0) return false;
    }
    return false;
  }

  int64_t budget_;
  std::vector<int> vf_, vb_;
};

// Diffs a (possibly large) pair of id sequences: lines unique to both sides, kept in order
// (a longest increasing subsequence, as in patience diff), anchor the sequences; the gaps
// between anchors are diffed exactly while the Myers budget lasts, else re-anchored, and a gap
// that cannot be resolved counts as changed — over-reporting is the safe direction for a gate.
class AnchoredDiff {
 public:
  AnchoredDiff(int64_t budget, std::vector<char>& changed) : myers_(budget), changed_(changed) {}

  void Run(Ids a, Ids b, Ids b_index, int depth) {
    while (!a.empty() && !b.empty() && a.front() == b.front()) {
      a = a.subspan(1);
      b = b.subspan(1);
      b_index = b_index.subspan(1);
    }
    while (!a.empty() && !b.empty() && a.back() == b.back()) {
      a = a.first(a.size() - 1);
      b = b.first(b.size() - 1);
    }
    if (b.empty()) return;
    if (a.empty() || depth > kMaxAnchorDepth) return MarkAll(b_index.first(b.size()));
    const bool small = a.size() + b.size() <= 2 * kExactDiffMaxLines;
    if (small && TryExact(a, b, b_index)) return;

    struct Occurrences {
      uint32_t in_a = 0, in_b = 0, pos_b = 0;
    };
    std::unordered_map<uint32_t, Occurrences> seen;
    seen.reserve(a.size() + b.size());
    for (uint32_t id : a) ++seen[id].in_a;
    for (size_t j = 0; j < b.size(); ++j) {
      Occurrences& o = seen[b[j]];
      ++o.in_b;
      o.pos_b = static_cast<uint32_t>(j);
    }
    // Candidate pairs in the order of `a`; the anchors are their longest run increasing in b.
    std::vector<std::pair<uint32_t, uint32_t>> pairs;
    for (size_t i = 0; i < a.size(); ++i) {
      const Occurrences& o = seen[a[i]];
      if (o.in_a == 1 && o.in_b == 1) pairs.emplace_back(static_cast<uint32_t>(i), o.pos_b);
    }
    std::vector<size_t> anchors = LongestIncreasing(pairs);
    if (anchors.empty()) {
      if (!small && TryExact(a, b, b_index)) return;
      return MarkAll(b_index.first(b.size()));
    }

    size_t a_from = 0, b_from = 0;
    for (size_t p : anchors) {
      auto [ia, ib] = pairs[p];
      Run(a.subspan(a_from, ia - a_from), b.subspan(b_from, ib - b_from), b_index.subspan(b_from),
          depth + 1);
      a_from = ia + 1;
      b_from = ib + 1;
    }
    Run(a.subspan(a_from), b.subspan(b_from), b_index.subspan(b_from), depth + 1);
  }

 private:
  bool TryExact(Ids a, Ids b, Ids b_index) {
    if (myers_.budget() <= 0) return false;
    std::vector<uint32_t> inserted;
    if (!myers_.Run(a, b, b_index, inserted)) return false;
    for (uint32_t i : inserted) changed_[i] = 1;
    return true;
  }

  void MarkAll(Ids b_index) {
    for (uint32_t i : b_index) changed_[i] = 1;
  }

  // Indexes into `pairs` (ordered by .first) of a longest subsequence increasing in .second.
  static std::vector<size_t> LongestIncreasing(
      const std::vector<std::pair<uint32_t, uint32_t>>& pairs) {
    std::vector<size_t> tails;  // tails[l]: pair ending the best run of length l + 1
    std::vector<size_t> prev(pairs.size(), SIZE_MAX);
    for (size_t i = 0; i < pairs.size(); ++i) {
      auto it = std::lower_bound(tails.begin(), tails.end(), pairs[i].second,
                                 [&](size_t t, uint32_t v) { return pairs[t].second < v; });
      if (it != tails.begin()) prev[i] = *(it - 1);
      if (it == tails.end()) {
        tails.push_back(i);
      } else {
        *it = i;
      }
    }
    std::vector<size_t> run;
    for (size_t i = tails.empty() ? SIZE_MAX : tails.back(); i != SIZE_MAX; i = prev[i])
      run.push_back(i);
    std::reverse(run.begin(), run.end());
    return run;
  }

  MyersDiff myers_;
  std::vector<char>& changed_;
};

// ---- gates ----

std::string Percent(uint32_t covered, uint32_t lines) {
  uint64_t pct = lines == 0 ? 0 : uint64_t{covered} * 100 / lines;
  return fmt::format("{}% ({}/{})", pct, covered, lines);
}

// 0.8 -> "80%", 0.855 -> "85.5%".
std::string Threshold(double fraction) {
  return fmt::format("{:g}%", std::round(fraction * 1000.0) / 10.0);
}

// Sorted line numbers as "12, 14-16", at most kMaxRangesExplained ranges, then "…and N more
// lines" (also counting the lines `total` has beyond the listed ones).
std::string LineRanges(const google::protobuf::RepeatedField<uint32_t>& lines, uint32_t total) {
  std::vector<std::pair<uint32_t, uint32_t>> ranges;
  for (uint32_t line : lines) {
    if (!ranges.empty() && (line == ranges.back().second || line == ranges.back().second + 1)) {
      ranges.back().second = line;
    } else {
      ranges.emplace_back(line, line);
    }
  }
  std::string out;
  uint32_t listed = 0;
  for (size_t i = 0; i < ranges.size() && i < kMaxRangesExplained; ++i) {
    auto [from, to] = ranges[i];
    if (!out.empty()) out += ", ";
    out += from == to ? fmt::format("{}", from) : fmt::format("{}-{}", from, to);
    listed += to - from + 1;
  }
  if (total > listed) out += fmt::format(", …and {} more lines", total - listed);
  return out;
}

std::string UncoveredFiles(const v1::Coverage& coverage) {
  std::vector<std::string> parts;
  size_t short_files = 0;
  for (const v1::FileCoverage& file : coverage.files()) {
    if (file.changed_covered() >= file.changed_lines()) continue;
    if (++short_files > kMaxFilesExplained) continue;
    uint32_t uncovered = file.changed_lines() - file.changed_covered();
    if (file.uncovered_changed_size() == 0) {
      parts.push_back(fmt::format("{} ({} lines)", file.path(), uncovered));
      continue;
    }
    parts.push_back(fmt::format("{} {} {}", file.path(), uncovered == 1 ? "line" : "lines",
                                LineRanges(file.uncovered_changed(), uncovered)));
  }
  std::string out;
  for (const std::string& part : parts) {
    if (!out.empty()) out += "; ";
    out += part;
  }
  if (short_files > kMaxFilesExplained)
    out += fmt::format("; …and {} more files", short_files - kMaxFilesExplained);
  return out;
}

// The tests gate: nullopt when it passes, else why not.
std::optional<std::string> TestsShortfall(const v1::TestReport& report) {
  if (report.timed_out()) {
    return report.seconds() > 0
               ? fmt::format("the test run timed out after {:.0f}s", report.seconds())
               : std::string("the test run timed out");
  }
  if (report.total() == 0) {
    return report.exit_code() == 0 ? std::string("no tests ran")
                                   : fmt::format("no tests ran (exit code {})", report.exit_code());
  }
  if (report.failed() > 0 || report.errors() > 0) {
    std::string what;
    if (report.failed() > 0 && report.errors() > 0) {
      what = fmt::format("{} failed and {} errored of {} tests", report.failed(), report.errors(),
                         report.total());
    } else if (report.failed() > 0) {
      what = fmt::format("{} of {} tests failed", report.failed(), report.total());
    } else {
      what = fmt::format("{} of {} tests errored", report.errors(), report.total());
    }
    std::string names;
    for (int i = 0; i < report.failures_size(); ++i) {
      if (static_cast<size_t>(i) == kMaxFailedTestsNamed) {
        names += ", …";
        break;
      }
      if (!names.empty()) names += ", ";
      names += report.failures(i).name();
    }
    if (!names.empty()) what += " (" + names + ")";
    return what;
  }
  if (report.exit_code() != 0)
    return fmt::format("the test command exited with code {}", report.exit_code());
  return std::nullopt;
}

std::string TestsPassed(const v1::TestReport& report) {
  std::string out = fmt::format("{} of {} tests passed", report.passed(), report.total());
  if (report.skipped() > 0) out += fmt::format(" ({} skipped)", report.skipped());
  return out;
}

}  // namespace

absl::StatusOr<LineHits> ParseCobertura(std::string_view xml, std::string_view repo_root) {
  if (absl::Status st = CheckSize("Cobertura XML", xml.size()); !st.ok()) return st;
  if (repo_root.empty() || repo_root.front() != '/')
    return absl::InvalidArgumentError(
        fmt::format("Cobertura XML: repo_root must be an absolute path, got {}", Quote(repo_root)));
  const std::string root = NormalizeAbsolute(repo_root);

  pugi::xml_document doc;
  pugi::xml_parse_result parsed = doc.load_buffer(xml.data(), xml.size());
  if (!parsed) {
    return absl::InvalidArgumentError(fmt::format(
        "Cobertura XML line {}: {}", LineOfOffset(xml, parsed.offset), parsed.description()));
  }
  pugi::xml_node top = doc.document_element();
  if (std::string_view(top.name()) != "coverage")
    return absl::InvalidArgumentError(
        fmt::format("{}: root element is <{}>, expected <coverage>", Where(xml, top), top.name()));

  std::vector<std::string> sources;
  for (pugi::xml_node source : top.child("sources").children("source")) {
    std::string_view text = Trim(source.text().as_string());
    if (!text.empty()) sources.emplace_back(text);
  }

  LineHits hits;
  for (pugi::xml_node package : top.child("packages").children("package")) {
    for (pugi::xml_node cls : package.child("classes").children("class")) {
      pugi::xml_attribute filename = cls.attribute("filename");
      if (!filename)
        return absl::InvalidArgumentError(
            fmt::format("{}: <class> has no filename attribute", Where(xml, cls)));
      std::optional<std::string> path = RepositoryPath(filename.as_string(), sources, root);
      if (!path) continue;  // outside the repository
      std::map<uint32_t, uint64_t>& lines = hits.files[*path];
      for (pugi::xml_node line : cls.child("lines").children("line")) {
        std::string_view number = line.attribute("number").as_string();
        std::string_view count = line.attribute("hits").as_string();
        std::optional<uint32_t> n = ParseUnsigned<uint32_t>(Trim(number));
        if (!n || *n == 0)
          return absl::InvalidArgumentError(
              fmt::format("{}: <line> in {} has number={}, expected a positive integer",
                          Where(xml, line), *path, Quote(number)));
        std::optional<uint64_t> h = ParseUnsigned<uint64_t>(Trim(count));
        if (!h)
          return absl::InvalidArgumentError(
              fmt::format("{}: <line number=\"{}\"> in {} has hits={}, expected a count",
                          Where(xml, line), *n, *path, Quote(count)));
        RecordHits(lines, *n, *h);
      }
    }
  }
  return hits;
}

absl::StatusOr<LineHits> ParseGoCoverProfile(std::string_view profile,
                                             std::string_view module_path) {
  if (absl::Status st = CheckSize("Go cover profile", profile.size()); !st.ok()) return st;
  while (!module_path.empty() && module_path.back() == '/') module_path.remove_suffix(1);

  // (file, l1, c1, l2, c2) -> count. Merged runs (-coverpkg over several packages) repeat
  // blocks; each counts once, with its highest count.
  std::map<std::string, std::map<std::array<uint32_t, 4>, uint64_t>, std::less<>> blocks;
  std::string mode;
  size_t line_no = 0;
  size_t pos = 0;
  while (pos < profile.size()) {
    size_t nl = profile.find('\n', pos);
    if (nl == std::string_view::npos) nl = profile.size();
    std::string_view line = Trim(profile.substr(pos, nl - pos));
    pos = nl + 1;
    ++line_no;
    if (line.empty()) continue;

    if (line.starts_with("mode:")) {
      std::string_view m = Trim(line.substr(5));
      if (m != "set" && m != "count" && m != "atomic")
        return absl::InvalidArgumentError(
            fmt::format("Go cover profile line {}: unknown mode {}, expected set, count or atomic",
                        line_no, Quote(m)));
      if (!mode.empty() && m != mode)
        return absl::InvalidArgumentError(fmt::format(
            "Go cover profile line {}: mode {} after mode \"{}\"", line_no, Quote(m), mode));
      mode = m;
      continue;
    }
    if (mode.empty())
      return absl::InvalidArgumentError(
          fmt::format("Go cover profile line {}: expected \"mode: set|count|atomic\" first, got {}",
                      line_no, Quote(line)));

    auto bad = [&] {
      return absl::InvalidArgumentError(
          fmt::format("Go cover profile line {}: expected \"<file>:<line>.<column>,<line>.<column> "
                      "<statements> <count>\", got {}",
                      line_no, Quote(line)));
    };
    // Parsed from the right: a file name may hold ':' or spaces, the numbers never do.
    size_t sp2 = line.rfind(' ');
    if (sp2 == std::string_view::npos || sp2 == 0) return bad();
    size_t sp1 = line.rfind(' ', sp2 - 1);
    if (sp1 == std::string_view::npos) return bad();
    std::string_view where = line.substr(0, sp1);
    size_t colon = where.rfind(':');
    if (colon == std::string_view::npos || colon == 0) return bad();
    std::string_view range = where.substr(colon + 1);
    size_t comma = range.find(',');
    if (comma == std::string_view::npos) return bad();
    std::string_view from = range.substr(0, comma), to = range.substr(comma + 1);
    size_t dot1 = from.find('.'), dot2 = to.find('.');
    if (dot1 == std::string_view::npos || dot2 == std::string_view::npos) return bad();
    auto l1 = ParseUnsigned<uint32_t>(from.substr(0, dot1));
    auto c1 = ParseUnsigned<uint32_t>(from.substr(dot1 + 1));
    auto l2 = ParseUnsigned<uint32_t>(to.substr(0, dot2));
    auto c2 = ParseUnsigned<uint32_t>(to.substr(dot2 + 1));
    auto statements = ParseUnsigned<uint32_t>(line.substr(sp1 + 1, sp2 - sp1 - 1));
    auto count = ParseUnsigned<uint64_t>(line.substr(sp2 + 1));
    if (!l1 || !c1 || !l2 || !c2 || !statements || !count) return bad();
    if (*l1 == 0 || *l2 < *l1)
      return absl::InvalidArgumentError(
          fmt::format("Go cover profile line {}: block ends at line {} before it starts at line {}",
                      line_no, *l2, *l1));
    std::string_view file = where.substr(0, colon);
    auto file_it = blocks.find(file);
    if (file_it == blocks.end()) file_it = blocks.try_emplace(std::string(file)).first;
    auto& file_blocks = file_it->second;
    auto [it, inserted] = file_blocks.emplace(std::array<uint32_t, 4>{*l1, *c1, *l2, *c2}, *count);
    if (!inserted) it->second = std::max(it->second, *count);
  }
  if (mode.empty())
    return absl::InvalidArgumentError("Go cover profile: empty, expected a \"mode:\" line first");

  LineHits hits;
  uint64_t expanded = 0;
  for (const auto& [file, file_blocks] : blocks) {
    std::string_view rel = file;
    if (!module_path.empty()) {
      if (rel.size() <= module_path.size() + 1 || !rel.starts_with(module_path) ||
          rel[module_path.size()] != '/')
        continue;  // another module's package: not in this repository
      rel.remove_prefix(module_path.size() + 1);
    }
    std::map<uint32_t, uint64_t>& lines = hits.files[std::string(rel)];
    for (const auto& [block, count] : file_blocks) {
      expanded += uint64_t{block[2]} - block[0] + 1;
      if (expanded > kMaxGoProfileLines)
        return absl::ResourceExhaustedError(
            fmt::format("Go cover profile: blocks span more than {} lines (at {}:{})",
                        kMaxGoProfileLines, file, block[0]));
      for (uint64_t l = block[0]; l <= block[2]; ++l)
        RecordHits(lines, static_cast<uint32_t>(l), count);
    }
  }
  return hits;
}

std::set<uint32_t> ChangedLines(std::string_view before, std::string_view after) {
  std::vector<std::string_view> old_lines = SplitLines(before);
  std::vector<std::string_view> new_lines = SplitLines(after);
  std::set<uint32_t> changed;
  if (old_lines.empty()) {
    for (size_t i = 0; i < new_lines.size(); ++i)
      changed.insert(changed.end(), static_cast<uint32_t>(i + 1));
    return changed;
  }
  if (new_lines.empty()) return changed;

  // Common head and tail are unchanged; most edits leave little in between.
  const size_t n = old_lines.size(), m = new_lines.size();
  size_t head = 0;
  while (head < n && head < m && old_lines[head] == new_lines[head]) ++head;
  size_t tail = 0;
  while (tail < n - head && tail < m - head && old_lines[n - 1 - tail] == new_lines[m - 1 - tail])
    ++tail;

  // The middle's lines become ids, so the diff compares integers, never text.
  std::unordered_map<std::string_view, uint32_t> intern;
  intern.reserve(n + m - 2 * (head + tail));
  auto ids_of = [&](const std::vector<std::string_view>& lines) {
    std::vector<uint32_t> ids;
    ids.reserve(lines.size() - head - tail);
    for (size_t i = head; i < lines.size() - tail; ++i)
      ids.push_back(
          intern.try_emplace(lines[i], static_cast<uint32_t>(intern.size())).first->second);
    return ids;
  };
  const std::vector<uint32_t> a = ids_of(old_lines);
  const std::vector<uint32_t> b = ids_of(new_lines);

  // A line of one side that the other side's middle never contains cannot be in a common
  // subsequence: those of `after` are changed, those of `before` deleted. Dropping them keeps
  // the LCS exact and makes wholesale rewrites cheap.
  std::vector<char> in_a(intern.size(), 0), in_b(intern.size(), 0);
  for (uint32_t id : a) in_a[id] = 1;
  for (uint32_t id : b) in_b[id] = 1;
  std::vector<char> is_changed(m, 0);
  std::vector<uint32_t> a_mid, b_mid, b_index;
  for (uint32_t id : a)
    if (in_b[id]) a_mid.push_back(id);
  for (size_t j = 0; j < b.size(); ++j) {
    if (in_a[b[j]]) {
      b_mid.push_back(b[j]);
      b_index.push_back(static_cast<uint32_t>(head + j));
    } else {
      is_changed[head + j] = 1;
    }
  }

  bool done = false;
  if (std::max(n, m) <= kExactDiffMaxLines) {
    MyersDiff myers(kMyersBudget);
    std::vector<uint32_t> inserted;
    if (myers.Run(a_mid, b_mid, b_index, inserted)) {
      for (uint32_t j : inserted) is_changed[j] = 1;
      done = true;
    }
  }
  if (!done) AnchoredDiff(kMyersBudget, is_changed).Run(a_mid, b_mid, b_index, 0);

  for (size_t j = 0; j < is_changed.size(); ++j)
    if (is_changed[j]) changed.insert(changed.end(), static_cast<uint32_t>(j + 1));
  return changed;
}

v1::Coverage Summarize(const LineHits& hits, const std::vector<ChangedFileLines>& changed,
                       std::string_view tool, std::string_view report) {
  v1::Coverage out;
  out.set_tool(std::string(tool));
  out.set_report(std::string(report));
  uint32_t lines = 0, covered = 0;
  for (const auto& [path, file_lines] : hits.files) {
    for (const auto& [line, count] : file_lines) {
      ++lines;
      if (count > 0) ++covered;
    }
  }
  out.set_lines(lines);
  out.set_lines_covered(covered);

  uint32_t changed_lines = 0, changed_covered = 0;
  for (const ChangedFileLines& file : changed) {
    v1::FileCoverage* fc = out.add_files();
    fc->set_path(file.path);
    auto it = hits.files.find(file.path);
    if (it == hits.files.end()) continue;
    const std::map<uint32_t, uint64_t>& file_lines = it->second;
    uint32_t file_covered = 0;
    for (const auto& [line, count] : file_lines)
      if (count > 0) ++file_covered;
    fc->set_lines(static_cast<uint32_t>(file_lines.size()));
    fc->set_lines_covered(file_covered);
    uint32_t executable = 0, hit = 0;
    for (uint32_t line : file.lines) {
      auto l = file_lines.find(line);
      if (l == file_lines.end()) continue;
      ++executable;
      if (l->second > 0) {
        ++hit;
      } else if (fc->uncovered_changed_size() < kMaxUncoveredListed) {
        fc->add_uncovered_changed(line);
      }
    }
    fc->set_changed_lines(executable);
    fc->set_changed_covered(hit);
    changed_lines += executable;
    changed_covered += hit;
  }
  out.set_changed_lines(changed_lines);
  out.set_changed_covered(changed_covered);
  return out;
}

GateVerdict EvaluateGates(const v1::TestReport& report, const v1::TestGates& gates,
                          bool coverage_available) {
  std::vector<std::string> passed, failed;

  if (gates.require_all_pass()) {
    if (std::optional<std::string> shortfall = TestsShortfall(report)) {
      failed.push_back(std::move(*shortfall));
    } else {
      passed.push_back(TestsPassed(report));
    }
  } else {
    passed.push_back(fmt::format("tests not gated ({})", TestsPassed(report)));
  }

  const double min = gates.min_changed_coverage();
  const v1::Coverage& coverage = report.coverage();
  if (!(min > 0)) {  // also NaN
    if (report.has_coverage() && coverage.changed_lines() > 0) {
      passed.push_back(fmt::format("coverage gate off (changed-lines coverage {})",
                                   Percent(coverage.changed_covered(), coverage.changed_lines())));
    } else {
      passed.push_back("coverage gate off");
    }
  } else if (!report.has_coverage()) {
    if (coverage_available) {
      failed.push_back(fmt::format("no coverage report (changed-lines coverage >= {} required)",
                                   Threshold(min)));
    } else {
      passed.push_back("coverage not measured (no coverage tool for this ecosystem)");
    }
  } else if (coverage.changed_lines() == 0) {
    passed.push_back("no executable changed lines");
  } else {
    const double ratio = static_cast<double>(coverage.changed_covered()) / coverage.changed_lines();
    std::string measured = fmt::format(
        "changed-lines coverage {}", Percent(coverage.changed_covered(), coverage.changed_lines()));
    // The tolerance absorbs binary fractions: 4/5 must meet a 0.8 gate.
    if (ratio + 1e-9 >= min) {
      passed.push_back(fmt::format("{} >= {}", measured, Threshold(min)));
    } else {
      std::string files = UncoveredFiles(coverage);
      failed.push_back(
          fmt::format("{} < {}{}{}", measured, Threshold(min), files.empty() ? "" : ": ", files));
    }
  }

  GateVerdict verdict;
  verdict.passed = failed.empty();
  const std::vector<std::string>& parts = verdict.passed ? passed : failed;
  verdict.explanation = verdict.passed ? "passed: " : "failed: ";
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) verdict.explanation += "; ";
    verdict.explanation += parts[i];
  }
  return verdict;
}

}  // namespace slipway::coverage
