#include "libs/core/text.h"

#include <cctype>

namespace slipway {
namespace {

std::string JoinWords(std::string_view text, size_t max_len, char sep) {
  std::string out;
  bool pending_sep = false;
  for (unsigned char c : text) {
    if (std::isalnum(c) && c < 0x80) {
      if (pending_sep && !out.empty()) {
        if (out.size() + 1 >= max_len) break;
        out.push_back(sep);
      }
      pending_sep = false;
      if (out.size() >= max_len) break;
      out.push_back(static_cast<char>(std::tolower(c)));
    } else {
      pending_sep = true;
    }
  }
  while (!out.empty() && out.back() == sep) out.pop_back();
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
