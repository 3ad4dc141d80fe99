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

const v1::DependencyManifest* FindManifest(const v1::RepositoryMap& map, const std::string& path) {
  for (const auto& m : map.manifests())
    if (m.path() == path) return &m;
  return nullptr;
}

const v1::IntegrationSurface* FindIntegration(const v1::RepositoryMap& map,
                                              const std::string& kind,
                                              const std::string& library) {
  for (const auto& i : map.integrations())
    if (i.kind() == kind && i.library() == library) return &i;
  return nullptr;
}

std::vector<std::string> DependencyNames(const v1::DependencyManifest& m) {
  std::vector<std::string> out;
  for (const auto& d : m.dependencies()) out.push_back(d.name());
  return out;
}

bool HasWarning(const v1::RepositoryMap& map, const std::string& part) {
  return std::any_of(map.warnings().begin(), map.warnings().end(),
                     [&](const std::string& w) { return w.find(part) != std::string::npos; });
}

// A Go service as teams write them: module, packages, a database and an HTTP server, CI,
// configuration.
TEST(MapRepository, GoServiceWithIntegrationsManifestsAndCi) {
  FixtureRepo fx(Files{
      {"go.mod",
       "module example.com/orders\n\ngo 1.21\n\nrequire (\n\tgithub.com/jackc/pgx/v5 v5.5.0\n"
       "\tgithub.com/go-chi/chi/v5 v5.0.10 // indirect\n)\n"},
      {"cmd/server/main.go",
       "package main\n\nimport (\n\t\"net/http\"\n\n\t\"example.com/orders/store\"\n)\n\n"
       "func main() {\n\ts := store.New()\n\thttp.HandleFunc(\"/orders\", s.Handle)\n"
       "\thttp.ListenAndServe(\":8080\", nil)\n}\n"},
      {"store/store.go",
       "package store\n\nimport (\n\t\"context\"\n\n\t\"github.com/jackc/pgx/v5\"\n)\n\n"
       "type Store struct{ conn *pgx.Conn }\n\n"
       "func New() *Store { return &Store{} }\n\n"
       "func (s *Store) SaveOrder(ctx context.Context, id string) error {\n"
       "\t_, err := s.conn.Exec(ctx, \"insert into orders values ($1)\", id)\n\treturn err\n}\n"},
      {"store/store_test.go", "package store\n"},
      {"config/app.yaml", "listen: :8080\n"},
      {".env.example", "DATABASE_URL=\n"},
      {".github/workflows/ci.yml",
       "name: ci\non: [push, pull_request]\njobs:\n  test:\n    runs-on: ubuntu-latest\n"
       "    steps:\n      - uses: actions/checkout@v4\n      - run: go vet ./...\n"
       "      - run: go test ./...\n"}});
  v1::RepositoryMap map = fx.Map();
  EXPECT_EQ(map.primary_language(), "go");
  EXPECT_EQ(map.go_module(), "example.com/orders");
  ASSERT_NE(FindModule(map, "example.com/orders/store"), nullptr);
  EXPECT_EQ(FindModule(map, "example.com/orders/store")->path(), "store");
  EXPECT_EQ(FindBuild(map, "go")->build_command(), "go build ./...");

  const v1::DependencyManifest* gomod = FindManifest(map, "go.mod");
  ASSERT_NE(gomod, nullptr);
  EXPECT_EQ(gomod->ecosystem(), "go");
  EXPECT_EQ(DependencyNames(*gomod),
            (std::vector<std::string>{"github.com/jackc/pgx/v5", "github.com/go-chi/chi/v5"}));

  ASSERT_EQ(map.ci_workflows_size(), 1);
  const v1::CiWorkflow& ci = map.ci_workflows(0);
  EXPECT_EQ(ci.system(), "github-actions");
  EXPECT_EQ(Strings(ci.triggers()), (std::vector<std::string>{"push", "pull_request"}));
  ASSERT_EQ(ci.jobs_size(), 1);
  EXPECT_EQ(Strings(ci.jobs(0).commands()),
            (std::vector<std::string>{"go vet ./...", "go test ./..."}));

  EXPECT_EQ(Strings(map.config_files()),
            (std::vector<std::string>{".env.example", "config/app.yaml"}));

  const v1::IntegrationSurface* db = FindIntegration(map, "database", "github.com/jackc/pgx/v5");
  ASSERT_NE(db, nullptr);
  ASSERT_EQ(db->sites_size(), 1);
  EXPECT_EQ(db->sites(0).file(), "store/store.go");
  EXPECT_GT(db->sites(0).line(), 0u);
  // The symbols behind the site, from ctags.
  std::vector<std::string> symbols = Strings(db->sites(0).symbols());
  EXPECT_NE(std::find(symbols.begin(), symbols.end(), "Store.SaveOrder"), symbols.end())
      << ::testing::PrintToString(symbols) << db->DebugString();
  const v1::IntegrationSurface* http = FindIntegration(map, "http-server", "net/http");
  ASSERT_NE(http, nullptr);
  EXPECT_EQ(http->sites(0).file(), "cmd/server/main.go");
  EXPECT_EQ(Strings(map.entry_points()), std::vector<std::string>{"cmd/server/main.go"});
}

TEST(MapRepository, JavaMavenProject) {
  FixtureRepo fx(Files{
      {"pom.xml",
       "<project><dependencies>"
       "<dependency><groupId>org.postgresql</groupId><artifactId>postgresql</artifactId>"
       "<version>42.7.1</version></dependency>"
       "<dependency><groupId>org.junit.jupiter</groupId><artifactId>junit-jupiter</artifactId>"
       "<scope>test</scope></dependency></dependencies></project>"},
      {"mvnw", "#!/bin/sh\n"},
      {"src/main/java/com/shop/App.java",
       "package com.shop;\n\npublic class App {\n  public static void main(String[] a) {}\n}\n"},
      {"src/main/java/com/shop/db/OrderDao.java",
       "package com.shop.db;\n\nimport java.sql.Connection;\n\npublic class OrderDao {\n"
       "  public void save(Connection c) {}\n}\n"},
      {"src/test/java/com/shop/AppTest.java", "package com.shop;\nclass AppTest {}\n"}});
  v1::RepositoryMap map = fx.Map();
  EXPECT_EQ(map.primary_language(), "java");
  const v1::BuildSystem* maven = FindBuild(map, "maven");
  ASSERT_NE(maven, nullptr);
  EXPECT_EQ(maven->test_command(), "./mvnw -q test");
  EXPECT_EQ(map.test_command(), "./mvnw -q test");
  EXPECT_EQ(map.test_file_pattern(), "*Test.java");
  ASSERT_NE(FindModule(map, "com.shop.db"), nullptr);
  EXPECT_EQ(FindModule(map, "com.shop.db")->path(), "src/main/java/com/shop/db");
  EXPECT_EQ(Strings(map.entry_points()),
            std::vector<std::string>{"src/main/java/com/shop/App.java"});
  const v1::DependencyManifest* pom = FindManifest(map, "pom.xml");
  ASSERT_NE(pom, nullptr);
  ASSERT_EQ(pom->dependencies_size(), 2);
  EXPECT_EQ(pom->dependencies(1).scope(), "test");
  const v1::IntegrationSurface* jdbc = FindIntegration(map, "database", "java.sql");
  ASSERT_NE(jdbc, nullptr) << map.DebugString();
  EXPECT_EQ(jdbc->sites(0).file(), "src/main/java/com/shop/db/OrderDao.java");
}

TEST(MapRepository, TypeScriptWorkspaceWithPnpm) {
  FixtureRepo fx(Files{
      {"package.json", R"({"name": "shop", "scripts": {"test": "vitest run"},
                           "devDependencies": {"vitest": "^1"}})"},
      {"pnpm-lock.yaml", "lockfileVersion: '6.0'\n"},
      {"packages/api/package.json",
       R"({"name": "@shop/api", "dependencies": {"express": "^4.18.0", "pg": "^8"}})"},
      {"packages/api/src/server.ts",
       "import express from 'express';\nimport { Pool } from 'pg';\n\n"
       "export function start(): void {\n  const app = express();\n  app.listen(3000);\n}\n"},
      {"packages/api/src/server.test.ts", "import { start } from './server';\n"},
      {"packages/web/dist/bundle.min.js", "var a=1;\n"}});
  v1::RepositoryMap map = fx.Map();
  EXPECT_EQ(map.primary_language(), "typescript");
  const v1::BuildSystem* pnpm = FindBuild(map, "pnpm");
  ASSERT_NE(pnpm, nullptr);
  EXPECT_EQ(pnpm->build_command(), "pnpm install");
  EXPECT_EQ(map.test_command(), "pnpm test");
  ASSERT_NE(FindModule(map, "packages/api"), nullptr);
  EXPECT_EQ(FindModule(map, "packages/api")->language(), "typescript");
  const v1::FileEntry* bundle = FindFile(map, "packages/web/dist/bundle.min.js");
  EXPECT_TRUE(bundle->vendored());
  EXPECT_TRUE(bundle->generated());
  const v1::DependencyManifest* api = FindManifest(map, "packages/api/package.json");
  ASSERT_NE(api, nullptr);
  EXPECT_EQ(DependencyNames(*api), (std::vector<std::string>{"express", "pg"}));
  ASSERT_NE(FindIntegration(map, "http-server", "express"), nullptr);
  ASSERT_NE(FindIntegration(map, "database", "pg"), nullptr);
}

TEST(MapRepository, PythonIntegrationsAndDeclaredDependencies) {
  FixtureRepo fx(Files{
      {"requirements.txt", "flask>=3\nconfluent-kafka==2.3.0  # events\n"},
      {"requirements-dev.txt", "pytest\n"},
      {"app/__init__.py", ""},
      {"app/web.py",
       "from flask import Flask\n\napp = Flask(__name__)\n\n@app.route('/')\n"
       "def index():\n    return 'ok'\n\nif __name__ == '__main__':\n    app.run()\n"},
      {"app/events.py",
       "from confluent_kafka import Producer\n\nclass Events:\n    def publish(self, e):\n"
       "        Producer({}).produce('t', e)\n"},
      {"tests/test_web.py", "import app.web\n"}});
  v1::RepositoryMap map = fx.Map();
  const v1::DependencyManifest* req = FindManifest(map, "requirements.txt");
  ASSERT_NE(req, nullptr);
  EXPECT_EQ(req->ecosystem(), "pypi");
  EXPECT_EQ(DependencyNames(*req), (std::vector<std::string>{"flask", "confluent-kafka"}));
  const v1::DependencyManifest* dev = FindManifest(map, "requirements-dev.txt");
  ASSERT_NE(dev, nullptr);
  EXPECT_NE(dev->dependencies(0).scope(), "runtime");
  const v1::IntegrationSurface* kafka = FindIntegration(map, "message-queue", "confluent-kafka");
  ASSERT_NE(kafka, nullptr) << map.DebugString();
  EXPECT_EQ(kafka->sites(0).file(), "app/events.py");
  EXPECT_EQ(kafka->sites(0).line(), 1u);
  EXPECT_EQ(Strings(kafka->sites(0).symbols()), (std::vector<std::string>{"Events", "Events.publish"}));
  ASSERT_NE(FindIntegration(map, "http-server", "flask"), nullptr);
  // An entry point by its __main__ guard.
  EXPECT_EQ(Strings(map.entry_points()), std::vector<std::string>{"app/web.py"});
}

TEST(MapRepository, SymbolsAreOptional) {
  // Without ctags the integration sites are still listed, and the map says why they have no
  // symbols.
  FixtureRepo fx(Files{{"db.py", "import sqlite3\n\ndef open_db():\n    pass\n"}});
  v1::RepositoryMap map = fx.Map(MapOptions{.ctags = "/nonexistent/ctags"});
  const v1::IntegrationSurface* db = FindIntegration(map, "database", "sqlite3");
  ASSERT_NE(db, nullptr);
  EXPECT_EQ(db->sites(0).symbols_size(), 0);
  EXPECT_TRUE(HasWarning(map, "without their symbols")) << map.DebugString();
}

TEST(MapRepository, HostilePathsAndSizes) {
  std::string deep;
  for (int i = 0; i < 25; ++i) deep += "d" + std::to_string(i) + "/";
  FixtureRepo fx(Files{{"ok.py", "x = 1\n"},
                       {std::string("bad\xff\xfe name.py"), "y = 2\n"},
                       {deep + "leaf.py", "z = 3\n"},
                       {"big.py", std::string(3000, '#') + "\n"},
                       {"blob.py", std::string("\x7f" "ELF\0\0\x01", 7)},
                       {"pyproject.toml", "[project\nname = 'broken"}},
                 {{"loop_a", "loop_b"}, {"loop_b", "loop_a"}, {"self", "."}});
  v1::RepositoryMap map = fx.Map(MapOptions{.max_bytes_for_line_count = 2000});
  // The map serialises and parses back: every string in it is valid UTF-8.
  std::string wire;
  ASSERT_TRUE(map.SerializeToString(&wire));
  v1::RepositoryMap back;
  ASSERT_TRUE(back.ParseFromString(wire));
  const v1::FileEntry* bad = FindFile(map, "bad\\xff\\xfe name.py");
  ASSERT_NE(bad, nullptr);
  EXPECT_EQ(bad->raw_path(), "bad\xff\xfe name.py");
  EXPECT_EQ(bad->language(), "");
  EXPECT_EQ(FindFile(map, deep + "leaf.py")->lines(), 1u);
  EXPECT_EQ(FindFile(map, "blob.py")->language(), "");
  EXPECT_TRUE(FindFile(map, "blob.py")->binary());
  EXPECT_TRUE(HasWarning(map, "1 paths are not valid UTF-8")) << map.DebugString();
  EXPECT_TRUE(HasWarning(map, "1 files over 2000 bytes")) << map.DebugString();
  EXPECT_TRUE(HasWarning(map, "hold binary data")) << map.DebugString();
  EXPECT_TRUE(HasWarning(map, "3 symbolic links")) << map.DebugString();
  EXPECT_TRUE(HasWarning(map, "manifest pyproject.toml did not parse")) << map.DebugString();
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
