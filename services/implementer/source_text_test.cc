#include "services/implementer/source_text.h"

#include "gtest/gtest.h"

namespace slipway::implementer {
namespace {

TEST(GoStringLiteral, EscapesWhatGoWouldReadDifferently) {
  EXPECT_EQ(GoStringLiteral("plain ünï 😀"), "\"plain ünï 😀\"");
  EXPECT_EQ(GoStringLiteral("a\"b\\c\nd\re\tf"), "\"a\\\"b\\\\c\\nd\\re\\tf\"");
  EXPECT_EQ(GoStringLiteral(std::string("nul\0x", 5)), "\"nul\\x00x\"");
  EXPECT_EQ(GoStringLiteral("`raw` */"), "\"\\x60raw\\x60 *\\x2f\"");
  EXPECT_EQ(GoStringLiteral("bom\xEF\xBB\xBFhere"), "\"bom\\ufeffhere\"");
  EXPECT_EQ(GoStringLiteral("bad \xff\xfe end"), "\"bad \xEF\xBF\xBD\xEF\xBF\xBD end\"");
  EXPECT_EQ(GoStringLiteral("del\x7f"), "\"del\\x7f\"");
}

TEST(GoCommentText, KeepsNewlinesOnly) {
  EXPECT_EQ(GoCommentText("a */ b\n`c`\t\x01 \xEF\xBB\xBF\xff"), "a * / b\n'c'    \xEF\xBF\xBD");
  EXPECT_EQ(GoCommentText("***/"), "*** /");
}

TEST(CppStringLiteral, EscapesWithoutTrigraphsOrGreedyHex) {
  EXPECT_EQ(CppStringLiteral("plain ünï"), "\"plain ünï\"");
  EXPECT_EQ(CppStringLiteral("a\"b\\c"), "\"a\\\"b\\\\c\"");
  // Octal escapes stop after three digits, so a digit that follows stays a digit.
  EXPECT_EQ(CppStringLiteral(std::string("\0"
                                         "1\n2",
                                         4)),
            "\"\\0001\\0122\"");
  EXPECT_EQ(CppStringLiteral("what?\?/ ?\?\?="), "\"what?\\?/ ?\\?\\?=\"");
  EXPECT_EQ(CppStringLiteral("x\xc3"), "\"x\xEF\xBF\xBD\"");
  EXPECT_EQ(CppStringLiteral("a */ b"), "\"a *\\057 b\"");
}

TEST(CppCommentText, NeverEndsACommentOrALine) {
  const std::string out = CppCommentText("a */ b /* c ?\?/ d ?\?\?/ e\\\nf \\ g\\\x01");
  EXPECT_EQ(out.find("*/"), std::string::npos) << out;
  EXPECT_EQ(out.find("/*"), std::string::npos) << out;
  EXPECT_EQ(out.find("?\?"), std::string::npos) << out;
  EXPECT_EQ(out.find("\\\n"), std::string::npos) << out;
  EXPECT_EQ(out.find("\\ "), std::string::npos) << out;
  EXPECT_NE(out.back(), '\\') << out;
  EXPECT_EQ(CppCommentText("line one\nline two"), "line one\nline two");
}

TEST(Identifiers, KeywordsAndReservedNamesAreNot) {
  EXPECT_TRUE(IsCppIdentifier("ledger"));
  EXPECT_TRUE(IsCppIdentifier("monthly_interest_2"));
  for (const char* bad : {"", "2fa", "class", "and", "std", "a__b", "_Upper", "a-b", "ünï"})
    EXPECT_FALSE(IsCppIdentifier(bad)) << bad;
  EXPECT_TRUE(IsGoIdentifier("rates"));
  for (const char* bad : {"", "_", "type", "func", "9x", "a.b"})
    EXPECT_FALSE(IsGoIdentifier(bad)) << bad;
}

}  // namespace
}  // namespace slipway::implementer
