#include "services/implementer/cmake_lists.h"

#include <algorithm>

namespace slipway::implementer::cmake {
namespace {

constexpr std::string_view kOpeners[] = {"function", "macro", "foreach", "while", "if", "block"};
constexpr std::string_view kClosers[] = {"endfunction", "endmacro", "endforeach",
                                         "endwhile",    "endif",    "endblock"};

bool IsNameStart(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool IsNameChar(char c) { return IsNameStart(c) || (c >= '0' && c <= '9'); }

template <size_t N>
bool OneOf(const std::string_view (&list)[N], std::string_view word) {
  return std::find(std::begin(list), std::end(list), word) != std::end(list);
}

class Scanner {
 public:
  explicit Scanner(std::string_view text) : t_(text) {}

  std::vector<Command> Run() {
    std::vector<Command> out;
    std::vector<size_t> blocks;
    while (i_ < t_.size()) {
      const char c = t_[i_];
      if (c == '#') {
        SkipComment();
        continue;
      }
      if (!IsNameStart(c) || (i_ > 0 && IsNameChar(t_[i_ - 1]))) {
        AdvanceTo(i_ + 1);
        continue;
      }
      const size_t start = i_;
      const size_t start_line = line_;
      size_t j = i_;
      while (j < t_.size() && IsNameChar(t_[j])) ++j;
      std::string name(t_.substr(start, j - start));
      for (char& ch : name)
        if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
      size_t k = j;
      while (k < t_.size() && (t_[k] == ' ' || t_[k] == '\t')) ++k;
      if (k >= t_.size() || t_[k] != '(') {
        AdvanceTo(j);
        continue;
      }
      AdvanceTo(k + 1);
      Command cmd;
      cmd.name = std::move(name);
      cmd.begin = start;
      cmd.line = start_line;
      ReadArguments(cmd);
      cmd.end = i_;
      if (OneOf(kClosers, cmd.name) && !blocks.empty()) blocks.pop_back();
      cmd.blocks = blocks;
      out.push_back(std::move(cmd));
      if (OneOf(kOpeners, out.back().name)) blocks.push_back(out.size() - 1);
    }
    return out;
  }

 private:
  void AdvanceTo(size_t to) {
    to = std::min(to, t_.size());
    for (; i_ < to; ++i_)
      if (t_[i_] == '\n') ++line_;
  }

  // The number of '=' of a bracket opening "[==[" at `at`; -1 when there is none.
  int BracketLevel(size_t at) const {
    if (at >= t_.size() || t_[at] != '[') return -1;
    size_t k = at + 1;
    while (k < t_.size() && t_[k] == '=') ++k;
    return k < t_.size() && t_[k] == '[' ? static_cast<int>(k - at - 1) : -1;
  }

  // Offset just past the bracket that opens at `at` with `level` '='s (the end when unclosed).
  size_t BracketEnd(size_t at, int level) const {
    const std::string close = "]" + std::string(static_cast<size_t>(level), '=') + "]";
    const size_t c = t_.find(close, at + static_cast<size_t>(level) + 2);
    return c == std::string_view::npos ? t_.size() : c + close.size();
  }

  void SkipComment() {  // at '#'
    const int level = BracketLevel(i_ + 1);
    if (level >= 0) {
      AdvanceTo(BracketEnd(i_ + 1, level));
      return;
    }
    const size_t eol = t_.find('\n', i_);
    AdvanceTo(eol == std::string_view::npos ? t_.size() : eol);
  }

  void ReadArguments(Command& cmd) {
    int depth = 1;
    while (i_ < t_.size() && depth > 0) {
      const char d = t_[i_];
      if (d == ' ' || d == '\t' || d == '\n' || d == '\r') {
        AdvanceTo(i_ + 1);
        continue;
      }
      if (d == '#') {
        SkipComment();
        continue;
      }
      if (d == '(' || d == ')') {
        depth += d == '(' ? 1 : -1;
        AdvanceTo(i_ + 1);
        continue;
      }
      Argument a;
      a.begin = i_;
      a.line = line_;
      if (d == '"') {
        AdvanceTo(i_ + 1);
        while (i_ < t_.size() && t_[i_] != '"') {
          if (t_[i_] == '\\' && i_ + 1 < t_.size()) {
            const char e = t_[i_ + 1];
            a.value += e == 'n' ? '\n' : e == 't' ? '\t' : e == 'r' ? '\r' : e;
            AdvanceTo(i_ + 2);
            continue;
          }
          a.value += t_[i_];
          AdvanceTo(i_ + 1);
        }
        AdvanceTo(i_ + 1);
        a.quoted = true;
      } else if (const int level = BracketLevel(i_); level >= 0) {
        const size_t end = BracketEnd(i_, level);
        const size_t content = i_ + static_cast<size_t>(level) + 2;
        const size_t close = std::max(content, end - std::min(end, static_cast<size_t>(level) + 2));
        a.value = std::string(t_.substr(content, close - content));
        AdvanceTo(end);
        a.quoted = true;
      } else {
        while (i_ < t_.size()) {
          const char u = t_[i_];
          if (u == ' ' || u == '\t' || u == '\n' || u == '\r' || u == '(' || u == ')') break;
          if (u == '\\' && i_ + 1 < t_.size()) {
            AdvanceTo(i_ + 2);
            continue;
          }
          AdvanceTo(i_ + 1);
        }
        a.value = std::string(t_.substr(a.begin, i_ - a.begin));
      }
      a.end = i_;
      a.text = std::string(t_.substr(a.begin, a.end - a.begin));
      cmd.args.push_back(std::move(a));
    }
  }

  std::string_view t_;
  size_t i_ = 0;
  size_t line_ = 1;
};

std::vector<std::string_view> Components(std::string_view path) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string_view::npos) slash = path.size();
    if (slash > start) out.push_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  return out;
}

}  // namespace

std::vector<Command> ParseCommands(std::string_view text) { return Scanner(text).Run(); }

std::optional<std::string> ResolvePath(std::string_view list_dir, std::string_view arg) {
  std::string_view s = arg;
  constexpr std::string_view kBuild = "$<BUILD_INTERFACE:";
  if (s.starts_with(kBuild) && s.ends_with(">"))
    s = s.substr(kBuild.size(), s.size() - kBuild.size() - 1);
  std::string_view base = list_dir;
  bool had_variable = false;
  for (std::string_view var : {"${CMAKE_CURRENT_SOURCE_DIR}", "${CMAKE_CURRENT_LIST_DIR}"}) {
    if (s.starts_with(var)) {
      s.remove_prefix(var.size());
      had_variable = true;
    }
  }
  for (std::string_view var : {"${PROJECT_SOURCE_DIR}", "${CMAKE_SOURCE_DIR}"}) {
    if (s.starts_with(var)) {
      s.remove_prefix(var.size());
      base = "";
      had_variable = true;
    }
  }
  if (had_variable) {
    if (!s.empty() && s.front() != '/') return std::nullopt;
    while (!s.empty() && s.front() == '/') s.remove_prefix(1);
  } else if (s.starts_with("/")) {
    return std::nullopt;
  }
  if (s.find("${") != std::string_view::npos || s.find("$<") != std::string_view::npos ||
      s.find("$ENV") != std::string_view::npos || s.find('\\') != std::string_view::npos)
    return std::nullopt;
  std::vector<std::string_view> parts = Components(base);
  for (std::string_view part : Components(s)) {
    if (part == ".") continue;
    if (part == "..") {
      if (parts.empty()) return std::nullopt;
      parts.pop_back();
      continue;
    }
    parts.push_back(part);
  }
  std::string out;
  for (std::string_view part : parts) {
    if (!out.empty()) out += '/';
    out += part;
  }
  return out;
}

std::string RelativePath(std::string_view from, std::string_view path) {
  const std::vector<std::string_view> a = Components(from);
  const std::vector<std::string_view> b = Components(path);
  size_t common = 0;
  while (common < a.size() && common < b.size() && a[common] == b[common]) ++common;
  std::string out;
  for (size_t k = common; k < a.size(); ++k) out += out.empty() ? ".." : "/..";
  for (size_t k = common; k < b.size(); ++k) {
    if (!out.empty()) out += '/';
    out += b[k];
  }
  return out.empty() ? "." : out;
}

std::string QuoteArgument(std::string_view text) {
  const bool plain = !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return IsNameChar(c) || c == '.' || c == '/' || c == '+' || c == '-';
  });
  if (plain) return std::string(text);
  std::string out = "\"";
  for (char c : text) {
    if (c == '\\' || c == '"' || c == '$') out += '\\';
    out += c;
  }
  return out + "\"";
}

}  // namespace slipway::implementer::cmake
