// Text helpers for writing Go and C++ source from untrusted strings (recommendation titles,
// descriptions, field names). Pure, any thread. Every function first replaces invalid UTF-8
// with U+FFFD (SanitizeUtf8), so generated files are always valid UTF-8.
#pragma once

#include <string>
#include <string_view>

namespace slipway::implementer {

// A double-quoted Go string literal (interpreted, one line) whose value is the sanitized text.
// Quotes, backslashes and control characters are escaped; backquotes are written \x60, the
// byte order mark \ufeff (the Go compiler rejects a BOM inside a file) and the '/' of `*/`
// \x2f, so that the literal can stand anywhere, even inside a comment.
std::string GoStringLiteral(std::string_view text);

// Text safe inside a Go `//` comment: newlines kept, other control characters, NUL and BOM
// become spaces, `*/` becomes `* /` and backquotes become '.
std::string GoCommentText(std::string_view text);

// A double-quoted C++ string literal (one line) whose value is the sanitized text: quotes and
// backslashes escaped, control characters as three-digit octal escapes (an octal escape never
// swallows a following digit, unlike \x), `??` written `?\?` so that no trigraph forms, and
// the '/' of `*/` written \057.
std::string CppStringLiteral(std::string_view text);

// Text safe inside a C++ `//` comment: newlines kept, other control characters become spaces,
// `*/` and `/*` are split, `??` becomes `? ?` (no trigraph, so no `??/` line splice), and a
// backslash before whitespace or at the end is followed by '.', so that no line of the
// comment, however it is wrapped, ends in a line-continuing backslash.
std::string CppCommentText(std::string_view text);

// A C++ identifier (ASCII letters, digits, '_', not starting with a digit) that is not a
// keyword or alternative token and not reserved (no "__", no leading '_' + capital).
bool IsCppIdentifier(std::string_view text);

// A Go identifier (ASCII) that is not a keyword.
bool IsGoIdentifier(std::string_view text);

}  // namespace slipway::implementer
