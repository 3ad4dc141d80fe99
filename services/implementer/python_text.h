// Text helpers for writing Python source from untrusted strings. Pure, any thread.
#pragma once

#include <string>
#include <string_view>

#include "libs/core/text.h"  // SanitizeUtf8

namespace slipway::implementer {

// A double-quoted Python string literal whose value is SanitizeUtf8(text). Backslashes,
// quotes, newlines and other control characters are escaped; the literal is one line.
std::string PyStringLiteral(std::string_view text);

// Text safe inside a """docstring""": newlines kept (trailing spaces dropped), backslashes,
// double quotes and other control characters escaped, invalid UTF-8 replaced.
std::string PyDocstringText(std::string_view text);

// An ASCII Python identifier that is not a keyword.
bool IsPyIdentifier(std::string_view text);

// Identifiers joined by '.' ("inventory.pricing").
bool IsPyDottedName(std::string_view text);

}  // namespace slipway::implementer
