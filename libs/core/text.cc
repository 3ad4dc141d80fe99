#include "libs/core/text.h"

#include <cctype>

namespace slipway {
namespace {

std::string JoinWords(std::string_view text, size_t max_len, char sep) {
  // Whole words while they fit; a first word longer than the limit is cut.
  std::string out;
  std::string word;
  auto flush = [&]() -> bool {
    if (word.empty()) return true;
    size_t needed = out.empty() ? word.size() : out.size() + 1 + word.size();
    if (needed > max_len) {
      if (out.empty()) out = word.substr(0, max_len);
      return false;
    }
    if (!out.empty()) out.push_back(sep);
    out += word;
    word.clear();
    return true;
  };
  for (unsigned char c : text) {
    if (c < 0x80 && std::isalnum(c)) {
      word.push_back(static_cast<char>(std::tolower(c)));
    } else if (!flush()) {
      return out;
    }
  }
  flush();
  return out;
}

}  // namespace

std::string Slugify(std::string_view text, size_t max_len) {
  std::string s = JoinWords(text, max_len, '-');
  return s.empty() ? "change" : s;
}

std::string IdentifierFrom(std::string_view text, size_t max_len) {
  std::string s = JoinWords(text, max_len, '_');
  if (s.empty()) return "change";
  if (std::isdigit(static_cast<unsigned char>(s[0]))) s = "n_" + s;
  return s;
}

size_t Utf8SequenceLength(std::string_view s, size_t i) {
  const auto c = static_cast<unsigned char>(s[i]);
  if (c < 0x80) return 1;
  size_t len = 0;
  unsigned char lo = 0x80, hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) {
    len = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    len = 3;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    len = 4;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (i + len > s.size()) return 0;
  for (size_t k = 1; k < len; ++k) {
    const auto cc = static_cast<unsigned char>(s[i + k]);
    if (cc < (k == 1 ? lo : 0x80) || cc > (k == 1 ? hi : 0xBF)) return 0;
  }
  return len;
}

size_t InvalidUtf8Offset(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    const size_t len = Utf8SequenceLength(s, i);
    if (len == 0) return i;
    i += len;
  }
  return std::string_view::npos;
}

std::string_view PathBaseName(std::string_view path) {
  size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

std::string_view PathDirName(std::string_view path) {
  size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? std::string_view() : path.substr(0, slash);
}

std::string TailUtf8(std::string_view text, size_t max_bytes) {
  if (text.size() <= max_bytes) return std::string(text);
  size_t start = text.size() - max_bytes;
  while (start < text.size() && (static_cast<unsigned char>(text[start]) & 0xC0) == 0x80) ++start;
  return std::string(text.substr(start));
}

std::string SanitizeUtf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    const size_t len = Utf8SequenceLength(text, i);
    if (len == 0) {
      out += "\xEF\xBF\xBD";  // U+FFFD
      ++i;
    } else {
      out.append(text.substr(i, len));
      i += len;
    }
  }
  return out;
}

std::string HeadUtf8(std::string_view text, size_t max_bytes) {
  if (text.size() <= max_bytes) return std::string(text);
  size_t end = max_bytes;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  return std::string(text.substr(0, end));
}

std::string ReplaceAll(std::string text, std::string_view from, std::string_view to) {
  if (from.empty()) return text;
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
    text.replace(at, from.size(), to);
  return text;
}

}  // namespace slipway
