// A reader of CMake's language, enough to learn a project's conventions from its
// CMakeLists.txt files and to edit them in place: the commands, their arguments as written and
// unquoted, their byte offsets, and the blocks (function, macro, foreach, if, ...) around them.
// No evaluation: variables and generator expressions stay as written.
//
// Pure, any thread; never fails (malformed input gives the commands that could be read).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace slipway::implementer::cmake {

struct Argument {
  std::string text;   // as written, quotes included
  std::string value;  // quotes removed, \" \\ \n \t \; escapes of quoted arguments applied
  size_t begin = 0;   // byte offsets of `text` in the file
  size_t end = 0;
  size_t line = 0;  // 1-based
  bool quoted = false;
};

struct Command {
  std::string name;  // lowercase
  std::vector<Argument> args;
  size_t begin = 0;  // offset of the name
  size_t end = 0;    // offset just past the closing parenthesis
  size_t line = 0;   // 1-based line of the name
  // Indexes (into the ParseCommands result) of the commands that open the blocks around this
  // one, outermost first: function, macro, foreach, while, if, block.
  std::vector<size_t> blocks;
};

std::vector<Command> ParseCommands(std::string_view text);

// A path argument of a CMakeLists.txt in folder `list_dir` (repository-relative, "" at the
// root) as a repository-relative path: relative paths and ${CMAKE_CURRENT_SOURCE_DIR},
// ${CMAKE_CURRENT_LIST_DIR}, ${PROJECT_SOURCE_DIR}, ${CMAKE_SOURCE_DIR} and
// $<BUILD_INTERFACE:...> are understood (the project's source dir is taken as the repository
// root). nullopt for anything else (other variables, absolute paths, paths leaving the
// repository).
std::optional<std::string> ResolvePath(std::string_view list_dir, std::string_view arg);

// `path` relative to the folder `from` (both repository-relative), with ".." steps when it is
// not below it; "." for the folder itself.
std::string RelativePath(std::string_view from, std::string_view path);

// An argument for a path or name: as is when it holds only letters, digits and _ . / + -,
// else quoted with \ " $ escaped.
std::string QuoteArgument(std::string_view text);

}  // namespace slipway::implementer::cmake
