// Text helpers shared by the manifest and CI parsers of libs/code (not part of its API).
// Pure functions, any thread.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace slipway::code::parse {

bool IsSpace(char c);
std::string_view Trim(std::string_view s);
// A parser's error message on one line, at most 240 bytes, valid UTF-8.
std::string ShortError(std::string_view message);
// The components of a '/' or '\\' separated path, without empty and "." ones.
std::vector<std::string_view> PathComponents(std::string_view path);
// node_modules, vendor, third_party, third-party, .venv, venv.
bool IsVendoredDir(std::string_view dir);

}  // namespace slipway::code::parse
