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

// Length of the well-formed UTF-8 sequence at `i` (no overlongs, no surrogates, at most
// U+10FFFF); 0 when the bytes there are not one.
size_t Utf8SequenceLength(std::string_view s, size_t i);

// Offset of the first byte that is not part of well-formed UTF-8; npos when all of it is.
size_t InvalidUtf8Offset(std::string_view s);

// The last component of a '/'-separated path, and everything before it ("" at the top).
std::string_view PathBaseName(std::string_view path);
std::string_view PathDirName(std::string_view path);

// `text` with every byte that does not start a well-formed UTF-8 sequence replaced by U+FFFD.
std::string SanitizeUtf8(std::string_view text);

// Keeps at most `max_bytes` of the end of `text`, cut at a UTF-8 boundary.
std::string TailUtf8(std::string_view text, size_t max_bytes);

// Keeps at most `max_bytes` of the start of `text`, cut at a UTF-8 boundary.
std::string HeadUtf8(std::string_view text, size_t max_bytes);

// `text` with every occurrence of `from` replaced by `to`, in one pass (a replacement is not
// searched again); unchanged when `from` is empty.
std::string ReplaceAll(std::string text, std::string_view from, std::string_view to);

}  // namespace slipway
