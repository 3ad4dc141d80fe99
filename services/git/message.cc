#include "services/git/message.h"

#include <fmt/format.h>
#include <git2.h>

#include <cctype>
#include <mutex>
#include <sstream>
#include <vector>

#include "libs/core/text.h"

namespace slipway::gitsvc {
namespace {

constexpr size_t kMaxDescriptionBytes = 16 * 1024;
constexpr size_t kMaxStepsBytes = 16 * 1024;
constexpr int kMaxListedFiles = 200;

void EnsureLibgit2() {
  static std::once_flag once;
  std::call_once(once, [] { git_libgit2_init(); });
}

// At most `max` bytes, cut at a UTF-8 boundary.
std::string CutUtf8(std::string s, size_t max) {
  if (s.size() <= max) return s;
  size_t n = max;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  s.resize(n);
  return s;
}

size_t Columns(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s)
    if ((c & 0xC0) != 0x80) ++n;
  return n;
}

// Greedy word wrap of each line of `text` at `width` columns; blank lines are kept, longer
// words stand alone on their line.
std::string Wrap(const std::string& text, size_t width) {
  std::string out;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream words(line);
    std::string current;
    for (std::string word; words >> word;) {
      if (!current.empty() && Columns(current) + 1 + Columns(word) > width) {
        out += current + "\n";
        current.clear();
      }
      if (!current.empty()) current += ' ';
      current += word;
    }
    out += current + "\n";
  }
  // Collapse runs of blank lines and trim the ends.
  std::string collapsed;
  for (char c : out) {
    if (c == '\n' && collapsed.size() >= 2 && collapsed.ends_with("\n\n")) continue;
    if (c == '\n' && collapsed.empty()) continue;
    collapsed += c;
  }
  while (!collapsed.empty() && collapsed.back() == '\n') collapsed.pop_back();
  return collapsed;
}

std::string Limited(const std::string& text, size_t max) {
  if (text.size() <= max) return text;
  return fmt::format("{}\n[... {} more bytes not shown]", CutUtf8(text, max), text.size() - max);
}

std::string_view ActionLetter(v1::ChangedFile::Action action) {
  return action == v1::ChangedFile::ACTION_MODIFY ? "M" : "A";
}

// Ids in trailers: one line, no spaces, bounded.
std::string TrailerValue(std::string_view s) {
  std::string out;
  for (char c : OneLine(s))
    if (c != ' ') out += c;
  return CutUtf8(out, 200);
}

}  // namespace

std::string CleanText(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    size_t len = Utf8SequenceLength(s, i);
    if (len == 0) {
      out += "\xEF\xBF\xBD";
      ++i;
      continue;
    }
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (len == 1) {
      if (c == '\r' && i + 1 < s.size() && s[i + 1] == '\n') {
        // the '\n' follows
      } else if (c == '\n') {
        out += '\n';
      } else if (c == '\t' || c == '\r') {
        out += ' ';
      } else if (c >= 0x20 && c != 0x7f) {
        out += static_cast<char>(c);
      }
    } else {
      out.append(s.substr(i, len));
    }
    i += len;
  }
  return out;
}

std::string OneLine(std::string_view s) {
  std::string clean = CleanText(s);
  std::string out;
  for (char c : clean) {
    if (c == '\n') c = ' ';
    if (c == ' ' && (out.empty() || out.back() == ' ')) continue;
    out += c;
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

std::string SourceLine(const v1::Source& source) {
  std::vector<std::string> parts;
  if (!source.kind().empty()) parts.push_back(OneLine(source.kind()));
  if (!source.title().empty()) parts.push_back(fmt::format("\"{}\"", OneLine(source.title())));
  if (!source.chapter().empty()) parts.push_back("chapter " + OneLine(source.chapter()));
  if (!source.author().empty()) parts.push_back("by " + OneLine(source.author()));
  if (!source.uri().empty()) parts.push_back(fmt::format("<{}>", OneLine(source.uri())));
  std::string line;
  for (const auto& p : parts) line += (line.empty() ? "" : ", ") + p;
  return CutUtf8(line, 1024);
}

std::string BranchName(const std::string& prefix, const std::string& title,
                       const std::string& deployment_id) {
  EnsureLibgit2();
  std::string clean_prefix;
  std::string_view rest = prefix;
  while (!rest.empty()) {
    size_t slash = rest.find('/');
    std::string_view part = rest.substr(0, slash);
    rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);
    std::string slug = Slugify(part, 40);
    bool has_alnum = false;
    for (unsigned char c : part) has_alnum |= (std::isalnum(c) && c < 0x80);
    if (!has_alnum) continue;  // Slugify would invent "change" for it
    clean_prefix += slug + "/";
  }
  std::string id;
  for (unsigned char c : deployment_id) {
    if (id.size() == 8) break;
    if (std::isalnum(c) && c < 0x80) id += static_cast<char>(std::tolower(c));
  }
  if (id.empty()) id = "0";
  std::string name = fmt::format("{}{}-{}", clean_prefix, Slugify(title, 40), id);
  int valid = 0;
  if (git_reference_name_is_valid(&valid, ("refs/heads/" + name).c_str()) != 0 || !valid)
    name = "slipway/change-" + id;  // unreachable with slug components, kept as a safety net
  return name;
}

std::string CommitMessage(const CommitRequest& request) {
  const v1::Recommendation& rec = request.recommendation;
  std::string subject = CutUtf8(OneLine(rec.title()), kSubjectMaxBytes);
  while (!subject.empty() && subject.back() == ' ') subject.pop_back();
  if (subject.empty()) subject = "Slipway change";

  std::vector<std::string> paragraphs;
  std::string description =
      Wrap(Limited(CleanText(rec.description()), kMaxDescriptionBytes), kBodyWidth);
  if (!description.empty()) paragraphs.push_back(description);

  if (rec.has_source()) {
    std::string source = SourceLine(rec.source());
    if (!source.empty()) paragraphs.push_back(Wrap("Source: " + source, kBodyWidth));
  }

  const auto& files = request.change_set.files();
  if (!files.empty()) {
    std::string changes = "Changes:";
    int listed = 0;
    for (const auto& f : files) {
      if (listed++ == kMaxListedFiles) {
        changes += fmt::format("\n  ... and {} more files", files.size() - kMaxListedFiles);
        break;
      }
      changes += fmt::format("\n  {} {}{}", ActionLetter(f.action()), OneLine(f.path()),
                             f.is_test() ? " (test)" : "");
    }
    paragraphs.push_back(changes);
  }

  const v1::TestReport& t = request.tests;
  if (t.total() > 0 || !t.command().empty()) {
    std::string tests = fmt::format("Tests: {} run, {} passed, {} failed, {} errors, {} skipped",
                                    t.total(), t.passed(), t.failed(), t.errors(), t.skipped());
    if (t.timed_out()) tests += " (timed out)";
    if (t.seconds() > 0) tests += fmt::format(" in {:.1f} s", t.seconds());
    if (!t.command().empty()) tests += "\nTest command: " + CutUtf8(OneLine(t.command()), 1024);
    paragraphs.push_back(tests);
  }

  std::string steps = Limited(CleanText(request.steps_summary), kMaxStepsBytes);
  while (!steps.empty() && (steps.back() == '\n' || steps.back() == ' ')) steps.pop_back();
  while (!steps.empty() && (steps.front() == '\n')) steps.erase(0, 1);
  if (!steps.empty()) {
    // Blank lines would split the section, and the last paragraph must stay the trailers.
    std::string compact;
    for (char c : steps)
      if (!(c == '\n' && !compact.empty() && compact.back() == '\n')) compact += c;
    paragraphs.push_back("Steps:\n" + compact);
  }

  std::string trailers =
      fmt::format("{}: {}", kDeploymentTrailer, TrailerValue(request.deployment_id));
  if (std::string rec_id = TrailerValue(rec.id()); !rec_id.empty())
    trailers += fmt::format("\n{}: {}", kRecommendationTrailer, rec_id);
  paragraphs.push_back(trailers);

  std::string message = subject + "\n";
  for (const auto& p : paragraphs) message += "\n" + p + "\n";
  return message;
}

bool HasDeploymentTrailer(const std::string& message, const std::string& deployment_id) {
  EnsureLibgit2();
  git_message_trailer_array trailers{};
  if (git_message_trailers(&trailers, message.c_str()) != 0) return false;
  bool found = false;
  for (size_t i = 0; i < trailers.count && !found; ++i) {
    std::string_view key = trailers.trailers[i].key;
    std::string_view value = trailers.trailers[i].value;
    found = key.size() == kDeploymentTrailer.size() &&
            std::equal(key.begin(), key.end(), kDeploymentTrailer.begin(),
                       [](char a, char b) { return std::tolower(a) == std::tolower(b); }) &&
            value == deployment_id;
  }
  git_message_trailer_array_free(&trailers);
  return found;
}

}  // namespace slipway::gitsvc
