#include "libs/code/parse_text.h"

#include <algorithm>
#include <array>

#include "libs/core/text.h"

namespace slipway::code::parse {

namespace {
constexpr std::size_t kMaxErrorLength = 240;
}  // namespace

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

std::string ShortError(std::string_view message) {
  std::string out;
  for (char c : message) {
    if (out.size() >= kMaxErrorLength) break;
    out.push_back(c == '\n' || c == '\r' ? ' ' : c);
  }
  return SanitizeUtf8(Trim(out));
}

std::vector<std::string_view> PathComponents(std::string_view path) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= path.size(); ++i) {
    if (i == path.size() || path[i] == '/' || path[i] == '\\') {
      std::string_view part = path.substr(start, i - start);
      if (!part.empty() && part != ".") parts.push_back(part);
      start = i + 1;
    }
  }
  return parts;
}

bool IsVendoredDir(std::string_view dir) {
  static constexpr std::array<std::string_view, 6> kVendored = {
      "node_modules", "vendor", "third_party", "third-party", ".venv", "venv"};
  return std::find(kVendored.begin(), kVendored.end(), dir) != kVendored.end();
}

}  // namespace slipway::code::parse
