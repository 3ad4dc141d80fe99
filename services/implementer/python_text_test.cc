#include "services/implementer/python_text.h"

#include "gtest/gtest.h"
#include "services/implementer/python_check.h"

namespace slipway::implementer {
namespace {

TEST(PythonText, StringLiteralEscapesEverythingDangerous) {
  EXPECT_EQ(PyStringLiteral("plain"), "\"plain\"");
  EXPECT_EQ(PyStringLiteral("a\"b\\c\nd\te"), R"("a\"b\\c\nd\te")");
  EXPECT_EQ(PyStringLiteral(std::string("nul\0x", 5)), R"("nul\x00x")");
  EXPECT_EQ(PyStringLiteral("\"\"\""), R"("\"\"\"")");
  EXPECT_EQ(PyStringLiteral("ünï"), "\"ünï\"");
  EXPECT_EQ(PyStringLiteral("bad\xff"), "\"bad\xEF\xBF\xBD\"");
}

TEST(PythonText, DocstringKeepsLinesButNotQuotes) {
  EXPECT_EQ(PyDocstringText("one  \ntwo \"\"\" \\ end"), "one\ntwo \\\"\\\"\\\" \\\\ end");
  EXPECT_EQ(PyDocstringText("a\rb"), "a\\rb");
}

TEST(PythonText, SanitizeUtf8ReplacesOnlyInvalidSequences) {
  EXPECT_EQ(SanitizeUtf8("héllo 😀"), "héllo 😀");
  EXPECT_EQ(SanitizeUtf8("\xc0\xaf"), "\xEF\xBF\xBD\xEF\xBF\xBD");                  // overlong '/'
  EXPECT_EQ(SanitizeUtf8("\xed\xa0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // surrogate
  EXPECT_EQ(SanitizeUtf8("\xe2\x82"), "\xEF\xBF\xBD\xEF\xBF\xBD");                  // truncated
}

TEST(PythonText, Identifiers) {
  EXPECT_TRUE(IsPyIdentifier("inventory"));
  EXPECT_TRUE(IsPyIdentifier("_x1"));
  EXPECT_FALSE(IsPyIdentifier("1x"));
  EXPECT_FALSE(IsPyIdentifier("class"));
  EXPECT_FALSE(IsPyIdentifier("a-b"));
  EXPECT_FALSE(IsPyIdentifier(""));
  EXPECT_TRUE(IsPyDottedName("inventory.pricing.rules"));
  EXPECT_FALSE(IsPyDottedName("inventory..pricing"));
  EXPECT_FALSE(IsPyDottedName("inventory.import"));
  EXPECT_FALSE(IsPyDottedName(".inventory"));
}

TEST(CheckPythonSyntax, ReportsTheLine) {
  absl::Status ok = CheckPythonSyntax("a.py", "def f():\n    return 1\n");
  if (ok.code() == absl::StatusCode::kNotFound) GTEST_SKIP() << "no python3: " << ok;
  EXPECT_TRUE(ok.ok()) << ok;
  absl::Status bad = CheckPythonSyntax("pkg/b.py", "x = 1\n\ndef f(:\n    pass\n");
  EXPECT_EQ(bad.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(bad.message().find("pkg/b.py: Python syntax error at line 3"), std::string::npos)
      << bad;
  absl::Status nul = CheckPythonSyntax("c.py", std::string("x = 1\0", 6));
  EXPECT_EQ(nul.code(), absl::StatusCode::kInvalidArgument) << nul;
  EXPECT_EQ(CheckPythonSyntax("d.py", "x = 1\n", "/nonexistent/python3").code(),
            absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace slipway::implementer
