// Rough, total scanning of Python sources: enough to find imports and definitions without a
// parser, and never failing on malformed or binary input.
#include <algorithm>
#include <cctype>
#include <unordered_set>

#include "services/analyzer/analyzer.h"

namespace slipway::analyzer {
namespace {

bool IsIdentStart(unsigned char c) { return std::isalpha(c) || c == '_' || c >= 0x80; }
bool IsIdentChar(unsigned char c) { return std::isalnum(c) || c == '_' || c >= 0x80; }

bool StartsWithWord(std::string_view s, std::string_view word) {
  if (s.substr(0, word.size()) != word) return false;
  return s.size() > word.size() && (s[word.size()] == ' ' || s[word.size()] == '\t');
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// A line at column 0 that starts a statement ends any open bracket: unbalanced brackets in a
// broken file must not swallow the rest of it.
bool StartsTopLevelStatement(std::string_view rest) {
  for (std::string_view w : {"import", "from", "def", "class"})
    if (StartsWithWord(rest, w)) return true;
  return false;
}

// Logical lines with comments dropped, string literals replaced by "", bracketed and
// backslash-continued lines joined.
std::vector<std::string> LogicalLines(std::string_view src) {
  std::vector<std::string> out;
  std::string cur;
  int depth = 0;
  size_t i = 0;
  const size_t n = src.size();
  while (i < n) {
    char c = src[i];
    if (c == '#') {
      while (i < n && src[i] != '\n') ++i;
      continue;
    }
    if (c == '\'' || c == '"') {
      bool triple = i + 2 < n && src[i + 1] == c && src[i + 2] == c;
      i += triple ? 3 : 1;
      while (i < n) {
        if (src[i] == '\\') {
          i += 2;
          continue;
        }
        if (triple) {
          if (src[i] == c && i + 2 < n && src[i + 1] == c && src[i + 2] == c) {
            i += 3;
            break;
          }
        } else {
          if (src[i] == c) {
            ++i;
            break;
          }
          if (src[i] == '\n') break;
        }
        ++i;
      }
      cur += "\"\"";
      continue;
    }
    if (c == '\\' && i + 1 < n && src[i + 1] == '\n') {
      cur += ' ';
      i += 2;
      continue;
    }
    if (c == '(' || c == '[' || c == '{') ++depth;
    if ((c == ')' || c == ']' || c == '}') && depth > 0) --depth;
    if (c == '\n') {
      ++i;
      if (depth > 0 && !StartsTopLevelStatement(src.substr(i))) {
        cur += ' ';
      } else {
        depth = 0;
        out.push_back(std::move(cur));
        cur.clear();
      }
      continue;
    }
    cur += c;
    ++i;
  }
  if (!cur.empty()) out.push_back(std::move(cur));
  return out;
}

}  // namespace

std::vector<std::string> PythonSymbols(std::string_view source) {
  std::vector<std::string> out;
  for (const std::string& line : LogicalLines(source)) {
    std::string_view s = Trim(line);
    if (StartsWithWord(s, "async")) s = Trim(s.substr(5));
    size_t skip = StartsWithWord(s, "def") ? 3 : StartsWithWord(s, "class") ? 5 : 0;
    if (skip == 0) continue;
    s = Trim(s.substr(skip));
    size_t end = 0;
    while (end < s.size() && IsIdentChar(static_cast<unsigned char>(s[end]))) ++end;
    if (end > 0 && IsIdentStart(static_cast<unsigned char>(s[0])))
      out.push_back(std::string(s.substr(0, end)));
  }
  return out;
}

}  // namespace slipway::analyzer
