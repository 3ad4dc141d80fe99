#include "services/mapper/mapper.h"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/harness/harness.h"

namespace slipway::mapper {
namespace {

namespace fs = std::filesystem;

using slipway::testing::Files;

// A throw-away git repository with one commit of the given files, and its map.
class FixtureRepo {
 public:
  explicit FixtureRepo(const Files& files, const Files& symlinks = {}) : git_(files, symlinks) {
    EXPECT_TRUE(git_.ok()) << "fixture repository not created";
  }

  v1::RepositoryMap Map(const MapOptions& options = {}) const {
    auto map = MapRepository(git_.repo(), git_.commit(), options);
    EXPECT_TRUE(map.ok()) << map.status();
    return map.ok() ? *map : v1::RepositoryMap();
  }
  const repo::Repository& repo() const { return git_.repo(); }
  const std::string& commit() const { return git_.commit(); }

 private:
  slipway::testing::GitFixture git_;
};

const v1::FileEntry* FindFile(const v1::RepositoryMap& map, const std::string& path) {
  for (const auto& f : map.files())
    if (f.path() == path) return &f;
  return nullptr;
}

const v1::Module* FindModule(const v1::RepositoryMap& map, const std::string& name) {
  for (const auto& m : map.modules())
    if (m.name() == name) return &m;
  return nullptr;
}

const v1::BuildSystem* FindBuild(const v1::RepositoryMap& map, const std::string& name) {
  for (const auto& b : map.build_systems())
    if (b.name() == name) return &b;
  return nullptr;
}

std::vector<std::string> Strings(const google::protobuf::RepeatedPtrField<std::string>& r) {
  return {r.begin(), r.end()};
}

TEST(LanguageForPath, ByExtensionAndName) {
  EXPECT_EQ(LanguageForPath("a/b.py"), "python");
  EXPECT_EQ(LanguageForPath("x.CPP"), "cpp");
  EXPECT_EQ(LanguageForPath("lib/CMakeLists.txt"), "cmake");
  EXPECT_EQ(LanguageForPath("notes.txt"), "text");
  EXPECT_EQ(LanguageForPath("web/app.tsx"), "typescript");
  EXPECT_EQ(LanguageForPath("Makefile"), "make");
  EXPECT_EQ(LanguageForPath("LICENSE"), "");
  EXPECT_EQ(LanguageForPath(".bashrc"), "");
}

TEST(IsVendoredOrGenerated, Paths) {
  EXPECT_TRUE(IsVendoredOrGenerated("node_modules/left-pad/index.js"));
  EXPECT_TRUE(IsVendoredOrGenerated("web/node_modules/x.js"));
  EXPECT_TRUE(IsVendoredOrGenerated("api/service_pb2.py"));
  EXPECT_TRUE(IsVendoredOrGenerated("gen/a.pb.cc"));
  EXPECT_TRUE(IsVendoredOrGenerated("third_party/zlib/zlib.h"));
  EXPECT_FALSE(IsVendoredOrGenerated("src/vendors.py"));
  EXPECT_FALSE(IsVendoredOrGenerated("build.py"));
  EXPECT_FALSE(IsVendoredOrGenerated("pkg/builder/x.py"));
}

TEST(IsTestFile, Conventions) {
  EXPECT_TRUE(IsTestFile("tests/test_stock.py"));
  EXPECT_TRUE(IsTestFile("pkg/stock_test.py"));
  EXPECT_TRUE(IsTestFile("pkg/x_test.go"));
  EXPECT_TRUE(IsTestFile("web/a.spec.ts"));
  EXPECT_TRUE(IsTestFile("web/__tests__/a.js"));
  EXPECT_TRUE(IsTestFile("tests/integration.rs"));
  EXPECT_FALSE(IsTestFile("src/lib.rs"));
  EXPECT_FALSE(IsTestFile("pkg/testing.py"));
  EXPECT_FALSE(IsTestFile("pkg/contest.py"));
}

TEST(MapRepository, PythonPackagesTestsAndEntryPoints) {
  FixtureRepo fx(Files{{"pyproject.toml", "[project]\nname = 'shop'\n"},
                       {"README.md", "# Shop\n"},
                       {"inventory/__init__.py", ""},
                       {"inventory/stock.py", "def restock():\n    pass\n"},
                       {"inventory/__main__.py", "print('hi')\n"},
                       {"inventory/pricing/__init__.py", ""},
                       {"inventory/pricing/rules.py", "X = 1\n"},
                       {"src/billing/__init__.py", ""},
                       {"src/billing/invoice.py", "class Invoice: pass\n"},
                       {"tests/test_stock.py", "def test_restock():\n    assert True\n"},
                       {"scripts/run.sh", "#!/bin/sh\necho hi\n"}});
  v1::RepositoryMap map = fx.Map();
  EXPECT_EQ(map.commit(), fx.commit());
  EXPECT_EQ(map.tree_hash().size(), 40u);
  EXPECT_EQ(map.files_size(), 11);
  EXPECT_EQ(map.primary_language(), "python");

  const v1::Module* inventory = FindModule(map, "inventory");
  ASSERT_NE(inventory, nullptr);
  EXPECT_EQ(inventory->path(), "inventory");
  EXPECT_EQ(inventory->language(), "python");
  EXPECT_EQ(Strings(inventory->files()),
            (std::vector<std::string>{"inventory/__init__.py", "inventory/__main__.py",
                                      "inventory/stock.py"}));
  const v1::Module* pricing = FindModule(map, "inventory.pricing");
  ASSERT_NE(pricing, nullptr);
  EXPECT_EQ(Strings(pricing->files()), (std::vector<std::string>{"inventory/pricing/__init__.py",
                                                                 "inventory/pricing/rules.py"}));
  // src/ layout: the import name starts below src.
  const v1::Module* billing = FindModule(map, "billing");
  ASSERT_NE(billing, nullptr);
  EXPECT_EQ(billing->path(), "src/billing");
  EXPECT_EQ(FindModule(map, "src"), nullptr);
  // A folder of code without packages is a folder module.
  const v1::Module* scripts = FindModule(map, "scripts");
  ASSERT_NE(scripts, nullptr);
  EXPECT_EQ(scripts->language(), "shell");

  const v1::BuildSystem* pytest = FindBuild(map, "pytest");
  ASSERT_NE(pytest, nullptr);
  EXPECT_EQ(pytest->manifest(), "pyproject.toml");
  EXPECT_EQ(pytest->test_command(), "python3 -m pytest -q");
  EXPECT_EQ(map.test_command(), "python3 -m pytest -q");
  EXPECT_EQ(map.build_systems_size(), 1);
  EXPECT_EQ(Strings(map.test_dirs()), std::vector<std::string>{"tests"});
  EXPECT_EQ(map.test_file_pattern(), "test_*.py");
  EXPECT_EQ(Strings(map.entry_points()), std::vector<std::string>{"inventory/__main__.py"});
}

TEST(MapRepository, PytestFromTestFilesAlone) {
  FixtureRepo fx(Files{{"app.py", "import os\n"}, {"check/app_test.py", "def test_x(): pass\n"}});
  v1::RepositoryMap map = fx.Map();
  const v1::BuildSystem* pytest = FindBuild(map, "pytest");
  ASSERT_NE(pytest, nullptr);
  EXPECT_EQ(pytest->manifest(), "check/app_test.py");
  EXPECT_EQ(map.test_file_pattern(), "*_test.py");
  EXPECT_EQ(Strings(map.test_dirs()), std::vector<std::string>{"check"});
  // No package anywhere: top-level folders with code are the modules.
  ASSERT_EQ(map.modules_size(), 1);
  EXPECT_EQ(map.modules(0).name(), "check");
}

TEST(MapRepository, LanguagesAndLineCounts) {
  FixtureRepo fx(Files{{"a.py", "one\ntwo\nthree\n"},
                       {"b.py", "x = 1\ny = 2"},  // no trailing newline: still two lines
                       {"c.sh", "echo\n"},
                       {"doc.md", "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n"},
                       {"empty.py", ""},
                       {"tool", "#!/usr/bin/env python3\nprint(1)\n"},
                       {"LICENSE", "MIT\n"}});
  v1::RepositoryMap map = fx.Map();
  EXPECT_EQ(FindFile(map, "a.py")->lines(), 3u);
  EXPECT_EQ(FindFile(map, "b.py")->lines(), 2u);
  EXPECT_EQ(FindFile(map, "b.py")->size(), 11u);
  EXPECT_EQ(FindFile(map, "empty.py")->lines(), 0u);
  EXPECT_EQ(FindFile(map, "tool")->language(), "python");
  EXPECT_EQ(FindFile(map, "LICENSE")->language(), "");
  EXPECT_EQ(FindFile(map, "LICENSE")->lines(), 1u);
  ASSERT_EQ(map.languages_size(), 3);
  EXPECT_EQ(map.languages(0).language(), "markdown");
  EXPECT_EQ(map.languages(0).lines(), 10u);
  EXPECT_EQ(map.languages(1).language(), "python");
  EXPECT_EQ(map.languages(1).files(), 4u);
  EXPECT_EQ(map.languages(1).lines(), 7u);
  EXPECT_EQ(map.languages(2).language(), "shell");
  // Markdown has the most lines but is not code.
  EXPECT_EQ(map.primary_language(), "python");
  EXPECT_EQ(Strings(map.entry_points()), std::vector<std::string>{});
}

TEST(MapRepository, HostileContent) {
  std::string binary_py = "import os\n";
  binary_py += std::string("\0\x01\x02", 3);
  std::string invalid_utf8 = "x = '\xff\xfe\xc3'\n\xc3\n";
  std::string big(5000, 'a');
  big += "\n";
  FixtureRepo fx(Files{{"pkg/__init__.py", ""},
                       {"pkg/blob.py", binary_py},
                       {"pkg/latin.py", invalid_utf8},
                       {"pkg/big.py", big},
                       {"logo.png", "not really a png\n"},
                       {"a/b/c/d/e/f/g/h/i/j/k/deep.py", "x\n"},
                       {"node_modules/lib/index.js", "module.exports = 1;\n"},
                       {"api/service_pb2.py", "x = 1\n"}},
                 {{"link.py", "pkg/latin.py"}, {"dangling.py", "/etc/passwd"}});
  v1::RepositoryMap map = fx.Map(MapOptions{.max_bytes_for_line_count = 1000});
  const v1::FileEntry* blob = FindFile(map, "pkg/blob.py");
  ASSERT_NE(blob, nullptr);
  EXPECT_TRUE(blob->binary());
  EXPECT_EQ(blob->lines(), 0u);
  EXPECT_EQ(blob->language(), "");
  EXPECT_EQ(FindFile(map, "pkg/latin.py")->lines(), 2u);
  EXPECT_FALSE(FindFile(map, "pkg/latin.py")->binary());
  // Above max_bytes_for_line_count: listed with its size and language, lines not counted.
  const v1::FileEntry* big_entry = FindFile(map, "pkg/big.py");
  EXPECT_EQ(big_entry->size(), 5001u);
  EXPECT_EQ(big_entry->lines(), 0u);
  EXPECT_EQ(big_entry->language(), "python");
  EXPECT_TRUE(FindFile(map, "logo.png")->binary());
  EXPECT_EQ(FindFile(map, "a/b/c/d/e/f/g/h/i/j/k/deep.py")->lines(), 1u);
  // Symlinks are listed, never followed nor counted.
  const v1::FileEntry* link = FindFile(map, "link.py");
  ASSERT_NE(link, nullptr);
  EXPECT_EQ(link->language(), "");
  EXPECT_EQ(link->lines(), 0u);
  EXPECT_EQ(link->size(), std::string("pkg/latin.py").size());
  ASSERT_NE(FindFile(map, "dangling.py"), nullptr);
  // Vendored and generated files are listed without a language.
  EXPECT_EQ(FindFile(map, "node_modules/lib/index.js")->language(), "");
  EXPECT_EQ(FindFile(map, "api/service_pb2.py")->language(), "");
  for (const auto& l : map.languages()) EXPECT_NE(l.language(), "javascript");
  ASSERT_GE(map.languages_size(), 1);
  EXPECT_EQ(map.languages(0).language(), "python");
  EXPECT_EQ(map.languages(0).files(), 4u);  // __init__, latin, big, deep
}

TEST(MapRepository, EmptyTreeGivesEmptyMap) {
  FixtureRepo fx(Files{});
  v1::RepositoryMap map = fx.Map();
  EXPECT_EQ(map.commit(), fx.commit());
  EXPECT_EQ(map.tree_hash(), "4b825dc642cb6eb9a060e54bf8d69288fbee4904");  // git's empty tree
  EXPECT_EQ(map.files_size(), 0);
  EXPECT_EQ(map.languages_size(), 0);
  EXPECT_EQ(map.primary_language(), "");
  EXPECT_EQ(map.test_command(), "");
}

TEST(MapRepository, UnknownCommitIsAnError) {
  FixtureRepo fx(Files{{"a.py", "x\n"}});
  auto map = MapRepository(fx.repo(), std::string(40, 'a'));
  EXPECT_EQ(map.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(MapRepository(fx.repo(), "HEAD").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(MapRepository, CMakeProject) {
  FixtureRepo fx(Files{{"CMakeLists.txt", "project(x)\nadd_executable(x main.cc)\n"},
                       {"src/main.cc", "#include \"util.h\"\nint main() { return 0; }\n"},
                       {"src/util.h", "#pragma once\nint f();\n"},
                       {"src/util.cc", "int f() { return 1; }\n"},
                       {"src/util_test.cc", "int main() {}\n"},
                       {"build/generated.cc", "int g;\n"}});
  v1::RepositoryMap map = fx.Map();
  EXPECT_EQ(map.primary_language(), "cpp");
  EXPECT_EQ(FindFile(map, "src/util.h")->language(), "cpp");
  EXPECT_EQ(FindFile(map, "build/generated.cc")->language(), "");
  const v1::BuildSystem* cmake = FindBuild(map, "cmake");
  ASSERT_NE(cmake, nullptr);
  EXPECT_EQ(cmake->build_command(), "cmake -S . -B build -G Ninja && cmake --build build");
  EXPECT_EQ(cmake->test_command(), "ctest --test-dir build --output-on-failure");
  EXPECT_EQ(map.test_command(), cmake->test_command());
  EXPECT_EQ(map.test_file_pattern(), "*_test.cc");
  EXPECT_EQ(Strings(map.test_dirs()), std::vector<std::string>{"src"});
  EXPECT_EQ(Strings(map.entry_points()), std::vector<std::string>{"src/main.cc"});
  const v1::Module* src = FindModule(map, "src");
  ASSERT_NE(src, nullptr);
  EXPECT_EQ(src->language(), "cpp");
  EXPECT_EQ(src->files_size(), 4);
}

TEST(MapRepository, GoModule) {
  FixtureRepo fx(Files{{"go.mod", "module example.com/x\n\ngo 1.21\n"},
                       {"cmd/tool/main.go", "package main\nfunc main() {}\n"},
                       {"store/store.go", "package store\n"},
                       {"store/store_test.go", "package store\n"},
                       {"vendor/github.com/y/y.go", "package y\n"}});
  v1::RepositoryMap map = fx.Map();
  EXPECT_EQ(map.primary_language(), "go");
  const v1::BuildSystem* go = FindBuild(map, "go");
  ASSERT_NE(go, nullptr);
  EXPECT_EQ(go->manifest(), "go.mod");
  EXPECT_EQ(map.test_command(), "go test ./...");
  EXPECT_EQ(map.test_file_pattern(), "*_test.go");
  EXPECT_EQ(Strings(map.test_dirs()), std::vector<std::string>{"store"});
  EXPECT_EQ(Strings(map.entry_points()), std::vector<std::string>{"cmd/tool/main.go"});
  EXPECT_EQ(FindModule(map, "vendor"), nullptr);
}

TEST(MapRepository, NodeWithTestScript) {
  FixtureRepo fx(Files{
      {"package.json", R"({"name": "x", "bin": {"x": "bin/x.js"}, "scripts": {"test": "jest"}})"},
      {"src/index.js", "module.exports = {};\n"},
      {"src/__tests__/index.js", "test('x', () => {});\n"}});
  v1::RepositoryMap map = fx.Map();
  EXPECT_EQ(map.primary_language(), "javascript");
  const v1::BuildSystem* npm = FindBuild(map, "npm");
  ASSERT_NE(npm, nullptr);
  EXPECT_EQ(npm->test_command(), "npm test");
  EXPECT_EQ(map.test_command(), "npm test");
  EXPECT_EQ(Strings(map.test_dirs()), std::vector<std::string>{"src/__tests__"});
  EXPECT_EQ(Strings(map.entry_points()), std::vector<std::string>{"bin/x.js"});
}

TEST(MapRepository, NodeWithoutTestScript) {
  FixtureRepo fx(Files{
      {"package.json",
       R"({"name": "x", "scripts": {"test": "echo \"Error: no test specified\" && exit 1"}})"},
      {"index.js", "module.exports = {};\n"}});
  v1::RepositoryMap map = fx.Map();
  const v1::BuildSystem* npm = FindBuild(map, "npm");
  ASSERT_NE(npm, nullptr);
  EXPECT_EQ(npm->test_command(), "");
  EXPECT_EQ(map.test_command(), "");

  FixtureRepo jest(
      Files{{"package.json", R"({"devDependencies": {"jest": "^29"}})"}, {"index.js", "x\n"}});
  EXPECT_EQ(FindBuild(jest.Map(), "npm")->test_command(), "npx jest");

  FixtureRepo broken(Files{{"package.json", "{not json"}, {"index.js", "x\n"}});
  ASSERT_NE(FindBuild(broken.Map(), "npm"), nullptr);
  EXPECT_EQ(FindBuild(broken.Map(), "npm")->test_command(), "");
}

TEST(MapRepository, CargoCrate) {
  FixtureRepo fx(Files{{"Cargo.toml", "[package]\nname = \"x\"\n"},
                       {"src/main.rs", "fn main() {}\n"},
                       {"src/lib.rs", "pub fn f() {}\n"},
                       {"tests/it.rs", "#[test] fn t() {}\n"}});
  v1::RepositoryMap map = fx.Map();
  EXPECT_EQ(map.primary_language(), "rust");
  const v1::BuildSystem* cargo = FindBuild(map, "cargo");
  ASSERT_NE(cargo, nullptr);
  EXPECT_EQ(cargo->test_command(), "cargo test");
  EXPECT_EQ(map.test_command(), "cargo test");
  EXPECT_EQ(Strings(map.test_dirs()), std::vector<std::string>{"tests"});
  EXPECT_EQ(Strings(map.entry_points()), std::vector<std::string>{"src/main.rs"});
}

TEST(MapRepository, TestCommandFollowsPrimaryLanguage) {
  // A Go service with a Python helper script and its test: go wins by lines.
  FixtureRepo fx(Files{{"go.mod", "module x\n"},
                       {"main.go", "package main\n\nfunc main() {\n}\n\nfunc a() {}\n"},
                       {"tools/test_gen.py", "x = 1\n"}});
  v1::RepositoryMap map = fx.Map();
  EXPECT_EQ(map.primary_language(), "go");
  EXPECT_EQ(map.build_systems_size(), 2);
  EXPECT_EQ(map.build_systems(0).name(), "pytest");
  EXPECT_EQ(map.test_command(), "go test ./...");
}

}  // namespace
}  // namespace slipway::mapper
