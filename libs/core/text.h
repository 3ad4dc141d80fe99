// Small text helpers shared by services that name things after a recommendation.
#pragma once

#include <string>
#include <string_view>

namespace slipway {

// Lowercase ASCII words joined by '-', at most `max_len` characters, never empty ("change"
// when nothing usable is left). Safe for branch names, file names and shell arguments.
std::string Slugify(std::string_view text, size_t max_len = 40);

// Same words joined by '_' (a valid identifier in Python, C++, Go, ...; never starts with a digit).
std::string IdentifierFrom(std::string_view text, size_t max_len = 40);

// Keeps at most `max_bytes` of the end of `text`, cut at a UTF-8 boundary.
std::string TailUtf8(std::string_view text, size_t max_bytes);

}  // namespace slipway
