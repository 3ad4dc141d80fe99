#include "libs/code/symbols.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <random>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "fmt/format.h"

namespace slipway::code {

// Printed by gtest when a comparison of symbols fails.
void PrintTo(const Symbol& symbol, std::ostream* out) {
  *out << fmt::format("{{{}, {}, line {}, scope '{}', signature '{}'}}", symbol.name, symbol.kind,
                      symbol.line, symbol.scope, symbol.signature);
}

namespace {

using ::testing::TestWithParam;

std::unique_ptr<SymbolIndexer> StartIndexer(const std::string& program = "ctags") {
  absl::StatusOr<std::unique_ptr<SymbolIndexer>> indexer = SymbolIndexer::Start(program);
  EXPECT_TRUE(indexer.ok()) << indexer.status();
  return indexer.ok() ? *std::move(indexer) : nullptr;
}

std::vector<std::string> Names(const std::vector<Symbol>& symbols) {
  std::vector<std::string> names;
  for (const Symbol& symbol : symbols) names.push_back(symbol.name);
  return names;
}

// Child processes of this test process, zombies included: each indexer must kill and reap its
// ctags when it goes away.
std::vector<std::string> ChildProcesses() {
  std::vector<std::string> children;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
    std::ifstream file(task.path() / "children");
    for (std::string pid; file >> pid;) children.push_back(pid);
  }
  return children;
}

// A directory of its own for each test, removed afterwards.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::path(::testing::TempDir()) / "symbols_XXXXXX");
    path_ = ::mkdtemp(pattern.data());
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::filesystem::path& path() const { return path_; }

  // Writes an executable shell script and returns its path.
  std::string Script(const std::string& name, const std::string& body) const {
    const std::filesystem::path script = path_ / name;
    std::ofstream(script) << "#!/bin/sh\n" << body;
    ::chmod(script.c_str(), 0755);
    return script.string();
  }

 private:
  std::filesystem::path path_;
};

constexpr char kProgramLine[] =
    R"(echo '{"_type": "program", "name": "Universal Ctags", "version": "5.9.0"}')";

// A stand-in for ctags that answers every request with one tag named "fake", and misbehaves on
// request lines naming "hang", "deaf" (closes its input, keeps running), "crash", "error" or
// "latin".
std::string FakeCtags(const TempDir& dir) {
  return dir.Script("fake-ctags", fmt::format(R"({}
while IFS= read -r request; do
  case "$request" in
    *hang*) exec sleep 60 ;;
    *deaf*) exec sleep 60 <&- ;;
    *crash*) echo 'ctags: crashed on purpose' >&2; exit 3 ;;
    *error*) echo '{{"_type": "error", "message": "invalid json", "fatal": true}}'; continue ;;
  esac
  size=$(echo "$request" | sed 's/.*"size":\([0-9]*\).*/\1/')
  head -c "$size" >/dev/null
  case "$request" in
    *latin*) printf '{{"_type": "tag", "name": "caf\351", "line": 2, "kind": "function"}}\n' ;;
    *) echo '{{"_type": "tag", "name": "fake", "line": 1, "kind": "function"}}' ;;
  esac
  echo '{{"_type": "completed", "command": "generate-tags"}}'
done
)",
                                              kProgramLine));
}

const std::vector<Symbol> kFakeAnswer = {{"fake", "function", 1, "", ""}};

struct LanguageCase {
  std::string language;
  std::string path;
  std::string source;
  std::vector<Symbol> expected;
};

// What universal-ctags 5.9 reports for one small file of each language.
const LanguageCase kLanguages[] = {
    {"Python",
     "shop/cart.py",
     "class Cart:\n"
     "    limit = 3\n"
     "    def total(self, tax):\n"
     "        return tax\n"
     "\n"
     "def make(sku, count=1):\n"
     "    return Cart()\n",
     {{"Cart", "class", 1, "", ""},
      {"limit", "variable", 2, "Cart", ""},
      {"total", "member", 3, "Cart", "(self, tax)"},
      {"make", "function", 6, "", "(sku, count=1)"}}},
    {"Cpp",
     "src/cart.cc",
     "namespace shop {\n"
     "class Cart {\n"
     " public:\n"
     "  int Total(int tax) const;\n"
     " private:\n"
     "  int items_;\n"
     "};\n"
     "int Cart::Total(int tax) const { return tax; }\n"
     "enum Color { kRed };\n"
     "}  // namespace shop\n"
     "#define MAXN 10\n",
     {{"shop", "namespace", 1, "", ""},
      {"Cart", "class", 2, "shop", ""},
      {"items_", "member", 6, "shop::Cart", ""},
      {"Total", "function", 8, "shop::Cart", "(int tax) const"},
      {"Color", "enum", 9, "shop", ""},
      {"kRed", "enumerator", 9, "shop::Color", ""},
      {"MAXN", "macro", 11, "", ""}}},
    {"Go",
     "cart.go",
     "package shop\n"
     "\n"
     "type Cart struct {\n"
     "\tItems int\n"
     "}\n"
     "\n"
     "func (c *Cart) Total(tax int) int { return tax }\n"
     "\n"
     "func New() *Cart { return nil }\n",
     {{"shop", "package", 1, "", ""},
      {"Cart", "struct", 3, "shop", ""},
      {"Items", "member", 4, "shop.Cart", ""},
      {"Total", "func", 7, "shop.Cart", "(tax int)"},
      {"New", "func", 9, "shop", "()"}}},
    {"Java",
     "src/shop/Cart.java",
     "package shop;\n"
     "\n"
     "public class Cart {\n"
     "  private int items;\n"
     "  public int total(int tax) { return tax; }\n"
     "  interface Visitor { void visit(); }\n"
     "}\n",
     {{"shop", "package", 1, "", ""},
      {"Cart", "class", 3, "", ""},
      {"items", "field", 4, "Cart", ""},
      {"total", "method", 5, "Cart", "(int tax)"},
      {"Visitor", "interface", 6, "Cart", ""},
      {"visit", "method", 6, "Cart.Visitor", "()"}}},
    {"JavaScript",
     "web/cart.js",
     "class Cart {\n"
     "  total(tax) { return tax; }\n"
     "}\n"
     "function make(sku) { return new Cart(); }\n"
     "const limit = 3;\n",
     {{"Cart", "class", 1, "", ""},
      {"total", "method", 2, "Cart", "(tax)"},
      {"make", "function", 4, "", "(sku)"},
      {"limit", "constant", 5, "", ""}}},
    {"TypeScript",
     "web/cart.ts",
     "interface Item { sku: string; }\n"
     "export class Cart {\n"
     "  total(tax: number): number { return tax; }\n"
     "}\n"
     "export function make(sku: string): Cart { return new Cart(); }\n"
     "type Id = string;\n",
     {{"Item", "interface", 1, "", ""},
      {"sku", "property", 1, "Item", ""},
      {"Cart", "class", 2, "", ""},
      {"total", "method", 3, "Cart", ""},
      {"make", "function", 5, "", ""},
      {"Id", "alias", 6, "", ""}}},
    {"Rust",
     "src/cart.rs",
     "struct Cart { items: u32 }\n"
     "\n"
     "impl Cart {\n"
     "    fn total(&self, tax: u32) -> u32 { tax }\n"
     "}\n"
     "\n"
     "trait Shape { fn area(&self) -> f64; }\n",
     {{"Cart", "struct", 1, "", ""},
      {"items", "field", 1, "Cart", ""},
      {"Cart", "implementation", 3, "", ""},
      {"total", "method", 4, "Cart", "(&self, tax: u32) -> u32"},
      {"Shape", "interface", 7, "", ""},
      {"area", "method", 7, "Shape", "(&self) -> f64"}}},
    {"Kotlin",
     "app/Cart.kt",
     "package shop\n"
     "\n"
     "class Cart(val items: Int) {\n"
     "    fun total(tax: Int): Int = tax\n"
     "}\n"
     "\n"
     "fun make(): Cart = Cart(0)\n"
     "object Registry\n",
     {{"shop", "package", 1, "", ""},
      {"Cart", "class", 3, "shop", ""},
      {"items", "constant", 3, "shop.Cart", ""},
      {"total", "method", 4, "shop.Cart", ""},
      {"make", "method", 7, "shop", ""},
      {"Registry", "object", 8, "shop", ""}}},
};

class LanguageTest : public TestWithParam<LanguageCase> {};

TEST_P(LanguageTest, ReportsNamesKindsLinesAndScopes) {
  const LanguageCase& file = GetParam();
  std::unique_ptr<SymbolIndexer> indexer = StartIndexer();
  ASSERT_NE(indexer, nullptr);
  absl::StatusOr<std::vector<Symbol>> symbols = indexer->Tags(file.path, file.source);
  ASSERT_TRUE(symbols.ok()) << symbols.status();
  EXPECT_EQ(*symbols, file.expected);
}

INSTANTIATE_TEST_SUITE_P(UniversalCtags, LanguageTest, ::testing::ValuesIn(kLanguages),
                         [](const auto& info) { return info.param.language; });

TEST(SymbolIndexerTest, AnswersManyFilesInTurn) {
  std::unique_ptr<SymbolIndexer> indexer = StartIndexer();
  ASSERT_NE(indexer, nullptr);
  for (int round = 0; round < 3; ++round) {
    for (const LanguageCase& file : kLanguages) {
      absl::StatusOr<std::vector<Symbol>> symbols = indexer->Tags(file.path, file.source);
      ASSERT_TRUE(symbols.ok()) << symbols.status();
      EXPECT_EQ(*symbols, file.expected) << file.language;
    }
  }
}

TEST(SymbolIndexerTest, ParserFollowsTheFileName) {
  std::unique_ptr<SymbolIndexer> indexer = StartIndexer();
  ASSERT_NE(indexer, nullptr);
  const std::string python = "def make():\n    pass\n";
  absl::StatusOr<std::vector<Symbol>> unknown = indexer->Tags("notes.txt", python);
  ASSERT_TRUE(unknown.ok()) << unknown.status();
  EXPECT_TRUE(unknown->empty());
  // No extension: ctags does not guess from the content.
  absl::StatusOr<std::vector<Symbol>> bare =
      indexer->Tags("bin/tool", "#!/usr/bin/python\n" + python);
  ASSERT_TRUE(bare.ok()) << bare.status();
  EXPECT_TRUE(bare->empty());
  // Only the last path component counts.
  absl::StatusOr<std::vector<Symbol>> nested = indexer->Tags("pkg.go/tools.py", python);
  ASSERT_TRUE(nested.ok()) << nested.status();
  EXPECT_EQ(Names(*nested), std::vector<std::string>{"make"});
  absl::StatusOr<std::vector<Symbol>> makefile =
      indexer->Tags("build/Makefile", "all:\n\tcc x.c\n");
  ASSERT_TRUE(makefile.ok()) << makefile.status();
  EXPECT_EQ(*makefile, (std::vector<Symbol>{{"all", "target", 1, "", ""}}));
}

TEST(SymbolIndexerTest, OddPathsAreSentSafely) {
  std::unique_ptr<SymbolIndexer> indexer = StartIndexer();
  ASSERT_NE(indexer, nullptr);
  const std::string python = "def make():\n    pass\n";
  for (const std::string& path :
       {std::string("we\"ird\\na\nme.py"), std::string("caf\xe9/\xff\xfe.py"),
        std::string("d\xc3\xa9j\xc3\xa0.py"), std::string("tab\tand\r.py")}) {
    absl::StatusOr<std::vector<Symbol>> symbols = indexer->Tags(path, python);
    ASSERT_TRUE(symbols.ok()) << symbols.status();
    EXPECT_EQ(Names(*symbols), std::vector<std::string>{"make"});
  }
  absl::StatusOr<std::vector<Symbol>> directory = indexer->Tags("src/", python);
  ASSERT_TRUE(directory.ok()) << directory.status();
  EXPECT_TRUE(directory->empty());
}

TEST(SymbolIndexerTest, BinaryContentIsAccepted) {
  std::unique_ptr<SymbolIndexer> indexer = StartIndexer();
  ASSERT_NE(indexer, nullptr);
  std::mt19937 random(7);
  std::string binary(64 * 1024, '\0');
  for (char& c : binary) c = static_cast<char>(random());
  for (const char* path : {"blob.c", "blob.py", "blob.js", "blob.bin"}) {
    absl::StatusOr<std::vector<Symbol>> symbols = indexer->Tags(path, binary);
    EXPECT_TRUE(symbols.ok()) << path << ": " << symbols.status();
  }
  absl::StatusOr<std::vector<Symbol>> after = indexer->Tags("a.py", "def ok():\n    pass\n");
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ(Names(*after), std::vector<std::string>{"ok"});
}

TEST(SymbolIndexerTest, InvalidUtf8InContent) {
  std::unique_ptr<SymbolIndexer> indexer = StartIndexer();
  ASSERT_NE(indexer, nullptr);
  const std::string latin1 =
      "def caf\xe9():\n    pass\n"
      "class K\xff\xfe:\n    pass\n"
      "# \xc0\xaf overlong, \xed\xa0\x80 surrogate\n"
      "def ok():\n    return '\xe9t\xe9'\n";
  absl::StatusOr<std::vector<Symbol>> symbols = indexer->Tags("latin1.py", latin1);
  ASSERT_TRUE(symbols.ok()) << symbols.status();
  // ctags 5.9 drops tags whose names are not UTF-8; the rest come through.
  EXPECT_EQ(*symbols, (std::vector<Symbol>{{"ok", "function", 6, "", "()"}}));
}

TEST(SymbolIndexerTest, EmptyFileHasNoTags) {
  std::unique_ptr<SymbolIndexer> indexer = StartIndexer();
  ASSERT_NE(indexer, nullptr);
  absl::StatusOr<std::vector<Symbol>> symbols = indexer->Tags("empty.py", "");
  ASSERT_TRUE(symbols.ok()) << symbols.status();
  EXPECT_TRUE(symbols->empty());
}

TEST(SymbolIndexerTest, FilesOverMaxBytesHaveNoTags) {
  std::unique_ptr<SymbolIndexer> indexer = StartIndexer();
  ASSERT_NE(indexer, nullptr);
  const std::string source = "def f(): 1";
  indexer->set_max_bytes(source.size());
  absl::StatusOr<std::vector<Symbol>> at_limit = indexer->Tags("a.py", source);
  ASSERT_TRUE(at_limit.ok()) << at_limit.status();
  EXPECT_EQ(Names(*at_limit), std::vector<std::string>{"f"});
  absl::StatusOr<std::vector<Symbol>> over = indexer->Tags("a.py", source + "\n");
  ASSERT_TRUE(over.ok()) << over.status();
  EXPECT_TRUE(over->empty());
}

TEST(SymbolIndexerTest, FiveMegabyteSource) {
  std::unique_ptr<SymbolIndexer> indexer = StartIndexer();
  ASSERT_NE(indexer, nullptr);
  indexer->set_max_bytes(8 << 20);
  std::string source;
  int functions = 0;
  while (source.size() < (5u << 20)) {
    source += fmt::format("def function_{}(a, b):\n    return a + b\n\n", functions++);
  }
  absl::StatusOr<std::vector<Symbol>> symbols = indexer->Tags("big.py", source);
  ASSERT_TRUE(symbols.ok()) << symbols.status();
  ASSERT_EQ(symbols->size(), static_cast<size_t>(functions));
  EXPECT_EQ(symbols->front(), (Symbol{"function_0", "function", 1, "", "(a, b)"}));
  EXPECT_EQ(symbols->back(), (Symbol{fmt::format("function_{}", functions - 1), "function",
                                     static_cast<uint32_t>(3 * functions - 2), "", "(a, b)"}));
}

TEST(SymbolIndexerStartTest, UnknownProgramFailsNamingIt) {
  absl::StatusOr<std::unique_ptr<SymbolIndexer>> indexer =
      SymbolIndexer::Start("no-such-ctags-program");
  ASSERT_EQ(indexer.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(indexer.status().message().find("no-such-ctags-program"), std::string::npos);

  indexer = SymbolIndexer::Start("/nonexistent/dir/ctags");
  ASSERT_EQ(indexer.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(indexer.status().message().find("/nonexistent/dir/ctags"), std::string::npos);
}

TEST(SymbolIndexerStartTest, ProgramThatExitsFails) {
  TempDir dir;
  absl::StatusOr<std::unique_ptr<SymbolIndexer>> indexer = SymbolIndexer::Start(dir.Script(
      "old-ctags", "echo \"ctags: unrecognized option '--_interactive'\" >&2\nexit 1\n"));
  ASSERT_EQ(indexer.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(indexer.status().message().find("unrecognized option"), std::string::npos)
      << indexer.status();
  EXPECT_NE(indexer.status().message().find("exited with status 1"), std::string::npos)
      << indexer.status();
}

TEST(SymbolIndexerStartTest, ProgramWithoutJsonProgramLineFails) {
  TempDir dir;
  absl::StatusOr<std::unique_ptr<SymbolIndexer>> indexer =
      SymbolIndexer::Start(dir.Script("chatty", "echo 'hello'\nexec cat\n"));
  ASSERT_EQ(indexer.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(indexer.status().message().find("hello"), std::string::npos) << indexer.status();
}

TEST(SymbolIndexerFailureTest, StallGivesDeadlineExceededAndNextCallWorks) {
  TempDir dir;
  std::unique_ptr<SymbolIndexer> indexer = StartIndexer(FakeCtags(dir));
  ASSERT_NE(indexer, nullptr);
  indexer->set_timeout_ms(300);
  EXPECT_EQ(indexer->Tags("first.py", "x = 1\n").value_or(std::vector<Symbol>{}), kFakeAnswer);
  absl::StatusOr<std::vector<Symbol>> stalled = indexer->Tags("hang.py", "x = 1\n");
  EXPECT_EQ(stalled.status().code(), absl::StatusCode::kDeadlineExceeded) << stalled.status();
  EXPECT_NE(stalled.status().message().find("hang.py"), std::string::npos);
  absl::StatusOr<std::vector<Symbol>> next = indexer->Tags("next.py", "x = 1\n");
  ASSERT_TRUE(next.ok()) << next.status();
  EXPECT_EQ(*next, kFakeAnswer);
  // A stall in the middle of a large write is caught too.
  stalled = indexer->Tags("hang.py", std::string(1 << 20, 'x'));
  EXPECT_EQ(stalled.status().code(), absl::StatusCode::kDeadlineExceeded) << stalled.status();
  EXPECT_EQ(indexer->Tags("next.py", "x = 1\n").value_or(std::vector<Symbol>{}), kFakeAnswer);
  indexer.reset();
  EXPECT_TRUE(ChildProcesses().empty());
}

TEST(SymbolIndexerFailureTest, ClosedInputGivesInternalWithoutSigpipe) {
  TempDir dir;
  std::unique_ptr<SymbolIndexer> indexer = StartIndexer(FakeCtags(dir));
  ASSERT_NE(indexer, nullptr);
  indexer->set_timeout_ms(2000);
  // The fake closes its input after the request line, while most of the megabyte is still
  // unwritten: the write fails with EPIPE, which must not kill this process with SIGPIPE.
  absl::StatusOr<std::vector<Symbol>> refused = indexer->Tags("deaf.py", std::string(1 << 20, 'x'));
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kInternal) << refused.status();
  EXPECT_NE(refused.status().message().find("stopped reading its input"), std::string::npos)
      << refused.status();
  EXPECT_EQ(indexer->Tags("next.py", "x = 1\n").value_or(std::vector<Symbol>{}), kFakeAnswer);
  indexer.reset();
  EXPECT_TRUE(ChildProcesses().empty());
}

TEST(SymbolIndexerFailureTest, CrashGivesInternalAndNextCallWorks) {
  TempDir dir;
  std::unique_ptr<SymbolIndexer> indexer = StartIndexer(FakeCtags(dir));
  ASSERT_NE(indexer, nullptr);
  indexer->set_timeout_ms(2000);
  absl::StatusOr<std::vector<Symbol>> crashed =
      indexer->Tags("crash.py", std::string(1 << 20, 'x'));
  EXPECT_EQ(crashed.status().code(), absl::StatusCode::kInternal) << crashed.status();
  EXPECT_NE(crashed.status().message().find("crash.py"), std::string::npos);
  EXPECT_EQ(indexer->Tags("next.py", "x = 1\n").value_or(std::vector<Symbol>{}), kFakeAnswer);

  crashed = indexer->Tags("crash.py", "x = 1\n");
  EXPECT_EQ(crashed.status().code(), absl::StatusCode::kInternal) << crashed.status();
  EXPECT_NE(crashed.status().message().find("crashed on purpose"), std::string::npos)
      << crashed.status();
  EXPECT_EQ(indexer->Tags("next.py", "x = 1\n").value_or(std::vector<Symbol>{}), kFakeAnswer);

  absl::StatusOr<std::vector<Symbol>> reported = indexer->Tags("error.py", "x = 1\n");
  EXPECT_EQ(reported.status().code(), absl::StatusCode::kInternal) << reported.status();
  EXPECT_EQ(indexer->Tags("next.py", "x = 1\n").value_or(std::vector<Symbol>{}), kFakeAnswer);
  indexer.reset();
  EXPECT_TRUE(ChildProcesses().empty());
}

TEST(SymbolIndexerFailureTest, InvalidUtf8InAnswerIsReplaced) {
  TempDir dir;
  std::unique_ptr<SymbolIndexer> indexer = StartIndexer(FakeCtags(dir));
  ASSERT_NE(indexer, nullptr);
  absl::StatusOr<std::vector<Symbol>> symbols = indexer->Tags("latin.py", "x = 1\n");
  ASSERT_TRUE(symbols.ok()) << symbols.status();
  EXPECT_EQ(*symbols, (std::vector<Symbol>{{"caf\xEF\xBF\xBD", "function", 2, "", ""}}));
}

TEST(ParallelIndexerTest, AnswersEveryFileExactlyOnce) {
  constexpr size_t kFiles = 500;
  std::mutex mutex;
  std::map<size_t, std::vector<Symbol>> answers;
  size_t calls = 0;
  absl::StatusOr<std::unique_ptr<ParallelIndexer>> indexer =
      ParallelIndexer::Start(2, [&](size_t id, absl::StatusOr<std::vector<Symbol>> tags) {
        std::lock_guard lock(mutex);
        ++calls;
        answers[id] = tags.ok() ? *std::move(tags) : std::vector<Symbol>{};
      });
  ASSERT_TRUE(indexer.ok()) << indexer.status();
  for (size_t id = 0; id < kFiles; ++id) {
    (*indexer)->Submit(id, fmt::format("pkg/m{}.py", id),
                       fmt::format("\nclass C{}:\n    def run(self):\n        pass\n", id));
  }
  (*indexer)->Finish();
  std::lock_guard lock(mutex);
  EXPECT_EQ(calls, kFiles);
  ASSERT_EQ(answers.size(), kFiles);
  for (const auto& [id, symbols] : answers) {
    const std::vector<Symbol> expected = {{fmt::format("C{}", id), "class", 2, "", ""},
                                          {"run", "member", 3, fmt::format("C{}", id), "(self)"}};
    EXPECT_EQ(symbols, expected) << "file " << id;
  }
}

TEST(ParallelIndexerTest, DestructorWaitsForSubmittedFiles) {
  std::atomic<int> answered = 0;
  {
    absl::StatusOr<std::unique_ptr<ParallelIndexer>> indexer = ParallelIndexer::Start(
        2, [&](size_t, absl::StatusOr<std::vector<Symbol>> tags) { answered += tags.ok(); });
    ASSERT_TRUE(indexer.ok()) << indexer.status();
    for (size_t id = 0; id < 20; ++id) (*indexer)->Submit(id, "a.py", "def f():\n    pass\n");
  }
  EXPECT_EQ(answered, 20);
  EXPECT_TRUE(ChildProcesses().empty());
}

TEST(ParallelIndexerTest, StartFailsWhenCtagsCannotStart) {
  auto ignore = [](size_t, absl::StatusOr<std::vector<Symbol>>) {};
  absl::StatusOr<std::unique_ptr<ParallelIndexer>> indexer =
      ParallelIndexer::Start(2, ignore, "no-such-ctags-program");
  EXPECT_EQ(indexer.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ParallelIndexer::Start(0, ignore).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace slipway::code
