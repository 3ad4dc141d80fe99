// The parsers against reports the real tools write: coverage.py through pytest-cov, `go test
// -coverprofile` and gcovr over a g++ --coverage build. Each test builds a tiny project in a
// temporary folder, runs the tool and checks the lines it knows to be covered or not. A tool
// that is not installed skips its test.
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "gtest/gtest.h"
#include "libs/coverage/coverage.h"

namespace slipway::coverage {
namespace {

namespace fs = std::filesystem;
using Lines = std::map<uint32_t, uint64_t>;

std::string ShellQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

// Runs `command` with /bin/sh; its exit status, -1 when it did not exit normally.
int Shell(const std::string& command) {
  int status = std::system(command.c_str());
  if (status == -1 || !WIFEXITED(status)) return -1;
  return WEXITSTATUS(status);
}

bool Installed(const std::string& program) {
  return Shell("command -v " + ShellQuote(program) + " >/dev/null 2>&1") == 0;
}

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void WriteFile(const fs::path& path, std::string_view text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << text;
}

class ToolsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string templ = (fs::temp_directory_path() / "slipway-coverage-tools-XXXXXX").string();
    ASSERT_NE(::mkdtemp(templ.data()), nullptr);
    // Tools record resolved paths (coverage.py's <source> is the real path of the cwd).
    dir_ = fs::canonical(templ);
  }

  void TearDown() override {
    // Go makes parts of its caches read-only.
    Shell("chmod -R u+w " + ShellQuote(dir_.string()) + " 2>/dev/null");
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  // Runs `command` in dir_ with its output in a log; on failure the log is the test's message.
  ::testing::AssertionResult Run(const std::string& command) {
    const fs::path log = dir_ / "tool.log";
    int code = Shell("cd " + ShellQuote(dir_.string()) + " && ( " + command + " ) > " +
                     ShellQuote(log.string()) + " 2>&1");
    if (code == 0) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << "`" << command << "` exited with " << code << ":\n"
                                         << ReadFile(log);
  }

  fs::path dir_;
};

// A python3 that can run pytest with pytest-cov (the one on PATH may be a private build).
std::string PythonWithPytestCov() {
  for (const char* candidate : {"python3", "/usr/bin/python3"}) {
    if (Shell(std::string(candidate) + " -c 'import pytest, pytest_cov' >/dev/null 2>&1") == 0)
      return candidate;
  }
  return {};
}

TEST_F(ToolsTest, CoveragePyThroughPytestCov) {
  const std::string python = PythonWithPytestCov();
  if (python.empty()) GTEST_SKIP() << "no python3 with pytest and pytest-cov (python3-pytest-cov)";

  WriteFile(dir_ / "pkg" / "__init__.py", "");
  WriteFile(dir_ / "pkg" / "discount.py",
            "def discount(price, percent):\n"             // 1
            "    if percent <= 0:\n"                      // 2
            "        return price\n"                      // 3
            "    if percent >= 100:\n"                    // 4
            "        return 0\n"                          // 5 never reached
            "    return price * (100 - percent) / 100\n"  // 6
            "\n"
            "\n"
            "def unused():\n"    // 9
            "    return 42\n");  // 10 never reached
  WriteFile(dir_ / "tests" / "test_discount.py",
            "from pkg.discount import discount\n"
            "\n"
            "\n"
            "def test_discount():\n"
            "    assert discount(100, 10) == 90\n"
            "    assert discount(100, 0) == 100\n");
  ASSERT_TRUE(Run("PYTHONDONTWRITEBYTECODE=1 PYTHONPATH=. " + python +
                  " -m pytest -q -p no:cacheprovider --cov=. --cov-report=xml:cov.xml tests"));

  auto hits = ParseCobertura(ReadFile(dir_ / "cov.xml"), dir_.string());
  ASSERT_TRUE(hits.ok()) << hits.status();
  ASSERT_TRUE(hits->files.contains("pkg/discount.py"));
  EXPECT_EQ(hits->files.at("pkg/discount.py"),
            (Lines{{1, 1}, {2, 1}, {3, 1}, {4, 1}, {5, 0}, {6, 1}, {9, 1}, {10, 0}}));
  EXPECT_TRUE(hits->files.contains("tests/test_discount.py"));

  // The same report read against another root keeps nothing.
  auto elsewhere = ParseCobertura(ReadFile(dir_ / "cov.xml"), (dir_ / "elsewhere").string());
  ASSERT_TRUE(elsewhere.ok()) << elsewhere.status();
  EXPECT_TRUE(elsewhere->files.empty());
}

TEST_F(ToolsTest, GoTestCoverProfile) {
  if (!Installed("go")) GTEST_SKIP() << "go is not installed (golang-go)";

  WriteFile(dir_ / "go.mod", "module example.com/shop\n\ngo 1.19\n");
  WriteFile(dir_ / "shop" / "price.go",
            "package shop\n"                             // 1
            "\n"                                         // 2
            "// Discount applies a percentage.\n"        // 3
            "func Discount(price, percent int) int {\n"  // 4
            "\tif percent <= 0 {\n"                      // 5
            "\t\treturn price\n"                         // 6 never reached
            "\t}\n"                                      // 7
            "\tif percent >= 100 {\n"                    // 8
            "\t\treturn 0\n"                             // 9 never reached
            "\t}\n"                                      // 10
            "\treturn price * (100 - percent) / 100\n"   // 11
            "}\n");
  WriteFile(dir_ / "shop" / "price_test.go",
            "package shop\n"
            "\n"
            "import \"testing\"\n"
            "\n"
            "func TestDiscount(t *testing.T) {\n"
            "\tif Discount(100, 10) != 90 || Discount(100, 20) != 80 {\n"
            "\t\tt.Fatal(\"wrong discount\")\n"
            "\t}\n"
            "}\n");
  const std::string env =
      "env HOME=" + ShellQuote((dir_ / "home").string()) +
      " GOPATH=" + ShellQuote((dir_ / "home" / "go").string()) +
      " GOCACHE=" + ShellQuote((dir_ / "gocache").string()) +
      " GOFLAGS=-mod=mod GO111MODULE=on GOPROXY=off GOTOOLCHAIN=local CGO_ENABLED=0 ";
  ASSERT_TRUE(Run(env + "go test -coverprofile=set.out ./..."));
  ASSERT_TRUE(Run(env + "go test -covermode=count -coverprofile=count.out ./..."));

  auto set = ParseGoCoverProfile(ReadFile(dir_ / "set.out"), "example.com/shop");
  ASSERT_TRUE(set.ok()) << set.status();
  ASSERT_EQ(set->files.size(), 1u);
  // Lines 5 and 8 end a run block and start a skipped one: covered.
  EXPECT_EQ(set->files.at("shop/price.go"),
            (Lines{{4, 1}, {5, 1}, {6, 0}, {7, 0}, {8, 1}, {9, 0}, {10, 0}, {11, 1}}));

  auto count = ParseGoCoverProfile(ReadFile(dir_ / "count.out"), "example.com/shop");
  ASSERT_TRUE(count.ok()) << count.status();
  EXPECT_EQ(count->files.at("shop/price.go"),
            (Lines{{4, 2}, {5, 2}, {6, 0}, {7, 0}, {8, 2}, {9, 0}, {10, 0}, {11, 2}}));

  // Read as another module's profile, nothing is in this repository.
  auto other = ParseGoCoverProfile(ReadFile(dir_ / "set.out"), "example.com/other");
  ASSERT_TRUE(other.ok()) << other.status();
  EXPECT_TRUE(other->files.empty());
}

TEST_F(ToolsTest, GcovrOverGccCoverage) {
  if (!Installed("g++")) GTEST_SKIP() << "g++ is not installed";
  if (!Installed("gcovr")) GTEST_SKIP() << "gcovr is not installed";

  WriteFile(dir_ / "src" / "calc.cc",
            "#include <cstdio>\n"                          // 1
            "\n"                                           // 2
            "int Clamp(int v, int lo, int hi) {\n"         // 3
            "  if (v < lo) {\n"                            // 4
            "    return lo;\n"                             // 5 never reached
            "  }\n"                                        // 6
            "  if (v > hi) {\n"                            // 7
            "    return hi;\n"                             // 8
            "  }\n"                                        // 9
            "  return v;\n"                                // 10 never reached
            "}\n"                                          // 11
            "\n"                                           // 12
            "int main() {\n"                               // 13
            "  std::printf(\"%d\\n\", Clamp(5, 0, 3));\n"  // 14
            "  return 0;\n"                                // 15
            "}\n");
  ASSERT_TRUE(
      Run("mkdir -p build && g++ --coverage -O0 -o build/calc src/calc.cc && "
          "./build/calc && gcovr --cobertura -r . -o cov.xml"));

  auto hits = ParseCobertura(ReadFile(dir_ / "cov.xml"), dir_.string());
  ASSERT_TRUE(hits.ok()) << hits.status();
  ASSERT_TRUE(hits->files.contains("src/calc.cc")) << ReadFile(dir_ / "cov.xml");
  const Lines& calc = hits->files.at("src/calc.cc");
  for (uint32_t covered : {4u, 7u, 8u, 14u, 15u}) {
    ASSERT_TRUE(calc.contains(covered)) << covered;
    EXPECT_GT(calc.at(covered), 0u) << covered;
  }
  for (uint32_t uncovered : {5u, 10u}) {
    ASSERT_TRUE(calc.contains(uncovered)) << uncovered;
    EXPECT_EQ(calc.at(uncovered), 0u) << uncovered;
  }
  for (uint32_t blank : {1u, 2u, 6u, 9u, 12u}) EXPECT_FALSE(calc.contains(blank)) << blank;

  // gcovr with its root below the repository, run from the repository root.
  ASSERT_TRUE(Run("gcovr --cobertura -r src -o cov-src.xml . "));
  auto below = ParseCobertura(ReadFile(dir_ / "cov-src.xml"), dir_.string());
  ASSERT_TRUE(below.ok()) << below.status();
  ASSERT_TRUE(below->files.contains("src/calc.cc")) << ReadFile(dir_ / "cov-src.xml");
  EXPECT_EQ(below->files.at("src/calc.cc"), calc);
}

}  // namespace
}  // namespace slipway::coverage
