#include "services/implementer/cmake_lists.h"

#include "gtest/gtest.h"

namespace slipway::implementer::cmake {
namespace {

std::vector<std::string> Values(const Command& c) {
  std::vector<std::string> out;
  for (const Argument& a : c.args) out.push_back(a.value);
  return out;
}

TEST(ParseCommands, ReadsArgumentsCommentsAndBlocks) {
  const std::string text =
      "cmake_minimum_required(VERSION 3.16) # trailing comment\n"
      "#[[ a bracket comment with add_test(NAME fake COMMAND fake) ]]\n"
      "Project(ledger CXX)\n"
      "add_library(ledger\n"
      "  src/a.cc   # one\n"
      "  \"src/b c.cc\"\n"
      "  [=[src/[weird].cc]=])\n"
      "if(BUILD_TESTING AND (A OR B))\n"
      "  foreach(t one two)\n"
      "    add_test(NAME ${t} COMMAND ${t} \"a \\\"q\\\"\")\n"
      "  endforeach()\n"
      "endif()\n"
      "message(STATUS done)";
  const std::vector<Command> commands = ParseCommands(text);
  ASSERT_EQ(commands.size(), 9u);
  EXPECT_EQ(commands[1].name, "project");
  EXPECT_EQ(commands[1].line, 3u);
  const Command& lib = commands[2];
  EXPECT_EQ(lib.name, "add_library");
  EXPECT_EQ(Values(lib),
            (std::vector<std::string>{"ledger", "src/a.cc", "src/b c.cc", "src/[weird].cc"}));
  EXPECT_EQ(lib.args[1].line, 5u);
  EXPECT_EQ(lib.args[2].text, "\"src/b c.cc\"");
  EXPECT_TRUE(lib.args[2].quoted);
  EXPECT_EQ(text.substr(lib.args[1].begin, lib.args[1].end - lib.args[1].begin), "src/a.cc");
  EXPECT_EQ(text.substr(lib.begin, lib.end - lib.begin).back(), ')');
  EXPECT_EQ(Values(commands[3]),
            (std::vector<std::string>{"BUILD_TESTING", "AND", "A", "OR", "B"}));
  const Command& test = commands[5];
  EXPECT_EQ(test.name, "add_test");
  EXPECT_EQ(Values(test), (std::vector<std::string>{"NAME", "${t}", "COMMAND", "${t}", "a \"q\""}));
  EXPECT_EQ(test.blocks, (std::vector<size_t>{3, 4}));
  EXPECT_EQ(commands[6].name, "endforeach");
  EXPECT_EQ(commands[6].blocks, (std::vector<size_t>{3}));
  EXPECT_TRUE(commands[8].blocks.empty());
  EXPECT_EQ(commands[8].line, 13u);
}

TEST(ParseCommands, SurvivesMalformedInput) {
  for (const char* text : {"add_library(", "add_library(\"unterminated", "#[[ open", ")))(((",
                           "foo bar baz", "endif()\nendif()", "x([==[ never closed"}) {
    (void)ParseCommands(text);
  }
  EXPECT_EQ(ParseCommands("add_library(a b").size(), 1u);
}

TEST(ResolvePath, UnderstandsTheCommonSpellings) {
  EXPECT_EQ(ResolvePath("", "include"), "include");
  EXPECT_EQ(ResolvePath("tests", "../include"), "include");
  EXPECT_EQ(ResolvePath("lib", "${CMAKE_CURRENT_SOURCE_DIR}/include"), "lib/include");
  EXPECT_EQ(ResolvePath("lib", "${CMAKE_CURRENT_LIST_DIR}"), "lib");
  EXPECT_EQ(ResolvePath("lib", "${PROJECT_SOURCE_DIR}/src"), "src");
  EXPECT_EQ(ResolvePath("lib", "$<BUILD_INTERFACE:${CMAKE_CURRENT_SOURCE_DIR}/inc>"), "lib/inc");
  EXPECT_EQ(ResolvePath("", "./src/./a.cc"), "src/a.cc");
  EXPECT_EQ(ResolvePath("", ".."), std::nullopt);
  EXPECT_EQ(ResolvePath("", "/usr/include"), std::nullopt);
  EXPECT_EQ(ResolvePath("", "${OTHER}/x"), std::nullopt);
  EXPECT_EQ(ResolvePath("", "$<INSTALL_INTERFACE:include>"), std::nullopt);
  EXPECT_EQ(ResolvePath("", "${CMAKE_CURRENT_SOURCE_DIR}x"), std::nullopt);
}

TEST(RelativePath, StepsUpWhenNeeded) {
  EXPECT_EQ(RelativePath("tests", "tests/a_test.cc"), "a_test.cc");
  EXPECT_EQ(RelativePath("", "tests/a_test.cc"), "tests/a_test.cc");
  EXPECT_EQ(RelativePath("tests/unit", "include"), "../../include");
  EXPECT_EQ(RelativePath("tests", "tests"), ".");
  EXPECT_EQ(RelativePath("tests", ""), "..");
}

TEST(QuoteArgument, QuotesOnlyWhenNeeded) {
  EXPECT_EQ(QuoteArgument("tests/a_test.cc"), "tests/a_test.cc");
  EXPECT_EQ(QuoteArgument("a b"), "\"a b\"");
  EXPECT_EQ(QuoteArgument("${x}\"\\"), "\"\\${x}\\\"\\\\\"");
  EXPECT_EQ(QuoteArgument(""), "\"\"");
}

}  // namespace
}  // namespace slipway::implementer::cmake
