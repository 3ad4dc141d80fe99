#include "services/implementer/source_text.h"

#include <fmt/format.h>

#include <algorithm>
#include <iterator>

#include "services/implementer/python_text.h"

namespace slipway::implementer {
namespace {

constexpr std::string_view kBom = "\xEF\xBB\xBF";  // U+FEFF

bool IsControl(unsigned char u) { return u < 0x20 || u == 0x7f; }

bool IsAsciiIdentifier(std::string_view text) {
  if (text.empty() || (text[0] >= '0' && text[0] <= '9')) return false;
  return std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  });
}

// Replaces every occurrence of `from` until none is left (so "???" cannot leave a "??").
void ReplaceAll(std::string& s, std::string_view from, std::string_view to) {
  for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at))
    s.replace(at, from.size(), to);
}

}  // namespace

std::string GoStringLiteral(std::string_view text) {
  const std::string clean = SanitizeUtf8(text);
  std::string out = "\"";
  for (size_t i = 0; i < clean.size(); ++i) {
    const char c = clean[i];
    const auto u = static_cast<unsigned char>(c);
    if (std::string_view(clean).substr(i, kBom.size()) == kBom) {
      out += "\\ufeff";
      i += kBom.size() - 1;
    } else if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '`' || IsControl(u) || (c == '/' && i > 0 && clean[i - 1] == '*')) {
      out += fmt::format("\\x{:02x}", u);
    } else {
      out.push_back(c);
    }
  }
  return out + "\"";
}

std::string GoCommentText(std::string_view text) {
  std::string out = SanitizeUtf8(text);
  ReplaceAll(out, kBom, " ");
  for (char& c : out) {
    if (c == '\n') continue;
    if (IsControl(static_cast<unsigned char>(c))) c = ' ';
    if (c == '`') c = '\'';
  }
  ReplaceAll(out, "*/", "* /");
  return out;
}

std::string CppStringLiteral(std::string_view text) {
  const std::string clean = SanitizeUtf8(text);
  std::string out = "\"";
  for (size_t i = 0; i < clean.size(); ++i) {
    const char c = clean[i];
    const auto u = static_cast<unsigned char>(c);
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '?' && i > 0 && clean[i - 1] == '?') {
      out += "\\?";
    } else if (c == '/' && i > 0 && clean[i - 1] == '*') {
      out += "\\057";
    } else if (IsControl(u)) {
      out += fmt::format("\\{:03o}", u);
    } else {
      out.push_back(c);
    }
  }
  return out + "\"";
}

std::string CppCommentText(std::string_view text) {
  std::string clean = SanitizeUtf8(text);
  for (char& c : clean)
    if (c != '\n' && IsControl(static_cast<unsigned char>(c))) c = ' ';
  ReplaceAll(clean, "*/", "* /");
  ReplaceAll(clean, "/*", "/ *");
  ReplaceAll(clean, "??", "? ?");
  std::string out;
  for (size_t i = 0; i < clean.size(); ++i) {
    out.push_back(clean[i]);
    if (clean[i] == '\\' && (i + 1 == clean.size() || clean[i + 1] == ' ' || clean[i + 1] == '\n'))
      out.push_back('.');
  }
  return out;
}

bool IsCppIdentifier(std::string_view text) {
  static constexpr std::string_view kReserved[] = {
      "alignas",       "alignof",     "and",
      "and_eq",        "asm",         "auto",
      "bitand",        "bitor",       "bool",
      "break",         "case",        "catch",
      "char",          "char8_t",     "char16_t",
      "char32_t",      "class",       "compl",
      "concept",       "const",       "consteval",
      "constexpr",     "constinit",   "const_cast",
      "continue",      "co_await",    "co_return",
      "co_yield",      "decltype",    "default",
      "delete",        "do",          "double",
      "dynamic_cast",  "else",        "enum",
      "explicit",      "export",      "extern",
      "false",         "float",       "for",
      "friend",        "goto",        "if",
      "inline",        "int",         "long",
      "mutable",       "namespace",   "new",
      "noexcept",      "not",         "not_eq",
      "nullptr",       "operator",    "or",
      "or_eq",         "private",     "protected",
      "public",        "register",    "reinterpret_cast",
      "requires",      "return",      "short",
      "signed",        "sizeof",      "static",
      "static_assert", "static_cast", "struct",
      "switch",        "template",    "this",
      "thread_local",  "throw",       "true",
      "try",           "typedef",     "typeid",
      "typename",      "union",       "unsigned",
      "using",         "virtual",     "void",
      "volatile",      "wchar_t",     "while",
      "xor",           "xor_eq",      "std",
      "final",         "override",    "import",
      "module"};
  if (!IsAsciiIdentifier(text)) return false;
  if (text.find("__") != std::string_view::npos) return false;
  if (text.size() > 1 && text[0] == '_' && text[1] >= 'A' && text[1] <= 'Z') return false;
  return std::find(std::begin(kReserved), std::end(kReserved), text) == std::end(kReserved);
}

bool IsGoIdentifier(std::string_view text) {
  static constexpr std::string_view kKeywords[] = {
      "break",  "case",        "chan", "const",   "continue", "default", "defer",
      "else",   "fallthrough", "for",  "func",    "go",       "goto",    "if",
      "import", "interface",   "map",  "package", "range",    "return",  "select",
      "struct", "switch",      "type", "var"};
  return IsAsciiIdentifier(text) && text != "_" &&
         std::find(std::begin(kKeywords), std::end(kKeywords), text) == std::end(kKeywords);
}

}  // namespace slipway::implementer
