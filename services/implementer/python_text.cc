#include "services/implementer/python_text.h"

#include <fmt/format.h>

#include <array>

#include "libs/core/text.h"

namespace slipway::implementer {
namespace {

// Escapes for one byte of sanitized text; `keep_newlines` for docstrings.
void AppendEscaped(std::string& out, char c, bool keep_newlines) {
  switch (c) {
    case '\\':
      out += "\\\\";
      return;
    case '"':
      out += "\\\"";
      return;
    case '\n':
      out += keep_newlines ? "\n" : "\\n";
      return;
    case '\r':
      out += "\\r";
      return;
    case '\t':
      out += "\\t";
      return;
    default:
      break;
  }
  const auto u = static_cast<unsigned char>(c);
  if (u < 0x20 || u == 0x7f) {
    out += fmt::format("\\x{:02x}", u);
  } else {
    out.push_back(c);
  }
}

}  // namespace

std::string PyStringLiteral(std::string_view text) {
  std::string out = "\"";
  for (char c : SanitizeUtf8(text)) AppendEscaped(out, c, /*keep_newlines=*/false);
  out += "\"";
  return out;
}

std::string PyDocstringText(std::string_view text) {
  std::string escaped;
  for (char c : SanitizeUtf8(text)) AppendEscaped(escaped, c, /*keep_newlines=*/true);
  // Drop trailing blanks of each line: linters complain and nothing is lost.
  std::string out;
  size_t start = 0;
  while (start <= escaped.size()) {
    size_t end = escaped.find('\n', start);
    if (end == std::string::npos) end = escaped.size();
    size_t last = end;
    while (last > start && escaped[last - 1] == ' ') --last;
    out.append(escaped, start, last - start);
    if (end == escaped.size()) break;
    out.push_back('\n');
    start = end + 1;
  }
  return out;
}

bool IsPyIdentifier(std::string_view text) {
  static constexpr std::array<std::string_view, 35> kKeywords = {
      "False", "None",     "True",  "and",    "as",   "assert", "async",  "await",    "break",
      "class", "continue", "def",   "del",    "elif", "else",   "except", "finally",  "for",
      "from",  "global",   "if",    "import", "in",   "is",     "lambda", "nonlocal", "not",
      "or",    "pass",     "raise", "return", "try",  "while",  "with",   "yield"};
  if (text.empty()) return false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    const bool digit = c >= '0' && c <= '9';
    if (!alpha && !(digit && i > 0)) return false;
  }
  for (std::string_view k : kKeywords)
    if (text == k) return false;
  return true;
}

bool IsPyDottedName(std::string_view text) {
  size_t start = 0;
  while (true) {
    const size_t dot = text.find('.', start);
    const std::string_view part =
        text.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (!IsPyIdentifier(part)) return false;
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

}  // namespace slipway::implementer
