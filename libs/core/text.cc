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

std::string TailUtf8(std::string_view text, size_t max_bytes) {
  if (text.size() <= max_bytes) return std::string(text);
  size_t start = text.size() - max_bytes;
  while (start < text.size() && (static_cast<unsigned char>(text[start]) & 0xC0) == 0x80) ++start;
  return std::string(text.substr(start));
}

}  // namespace slipway
