// slipway-map-bench: how long the mapper and the analyzer take on repositories of 1k to 100k
// files, against git's own floors (ls-files, ls-tree, archive), and how much memory they need.
// A program that prints figures, not a test.
//
// Synthetic repositories are written with `git fast-import` (one commit, packed) under
// --work-dir and reused on the next run. Each measurement of the mapper runs in a fresh child
// process (this program with --map-once), so nothing cached in a process helps the cold
// figure; the operating system's page cache is warm in every run.
#include <fmt/format.h>
#include <sys/wait.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "libs/repo/repository.h"
#include "services/analyzer/analyzer.h"
#include "services/mapper/mapper.h"

namespace {

namespace fs = std::filesystem;
using namespace slipway;
using Clock = std::chrono::steady_clock;

// Bumped whenever the generator changes, so that older synthetic repositories are rebuilt.
constexpr char kCompleteMarker[] = "slipway-map-bench-complete-v2";

double MsSince(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

double Median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

std::string Quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

int Run(const std::string& cmd) { return std::system((cmd + " >/dev/null 2>&1").c_str()); }

// Runs `cmd`, reads all of its output, returns the wall time in ms and the output's size and
// NUL count (with -z: the number of entries). A negative time when the command failed.
struct CommandFigures {
  double ms = -1;
  uint64_t bytes = 0;
  uint64_t nuls = 0;
};
CommandFigures TimeCommand(const std::string& cmd) {
  CommandFigures f;
  auto t0 = Clock::now();
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return f;
  std::vector<char> buf(1 << 16);
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) {
    f.bytes += n;
    f.nuls +=
        static_cast<uint64_t>(std::count(buf.begin(), buf.begin() + static_cast<long>(n), '\0'));
  }
  int rc = pclose(p);
  if (rc == 0) f.ms = MsSince(t0);
  return f;
}

// Median over `runs` of the command's wall time; the figures of the last run.
CommandFigures TimeCommandMedian(const std::string& cmd, int runs) {
  std::vector<double> ms;
  CommandFigures last;
  for (int i = 0; i < runs; ++i) {
    last = TimeCommand(cmd);
    if (last.ms < 0) return last;
    ms.push_back(last.ms);
  }
  last.ms = Median(ms);
  return last;
}

uint64_t PeakRssKib() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmHWM:", 0) == 0) return std::stoull(line.substr(6));
  return 0;
}

// ---------------------------------------------------------------------------------------------
// Synthetic repository: a monorepo with a Python src layout, C++ libraries, Go packages, a
// TypeScript/JavaScript front end, docs, configuration, scripts and a few binary assets,
// 50-200 files per folder, three levels of nesting below each area.

class SyntheticRepo {
 public:
  SyntheticRepo(FILE* out, size_t target) : out_(out), target_(target), rng_(20240917) {}

  void Write() {
    const std::string message = "synthetic map benchmark\n";
    fmt::print(out_,
               "commit refs/heads/main\n"
               "committer Slipway Bench <bench@slipway.invalid> 1700000000 +0000\n"
               "data {}\n{}",
               message.size(), message);
    Root();
    // Share of the files per area; the rest of the target goes to Python.
    const std::vector<std::pair<double, void (SyntheticRepo::*)(size_t)>> areas = {
        {0.25, &SyntheticRepo::Cpp},    {0.15, &SyntheticRepo::Go},
        {0.15, &SyntheticRepo::Web},    {0.05, &SyntheticRepo::Docs},
        {0.04, &SyntheticRepo::Config}, {0.01, &SyntheticRepo::Scripts},
        {0.005, &SyntheticRepo::Assets}};
    for (const auto& [share, area] : areas)
      (this->*area)(static_cast<size_t>(share * static_cast<double>(target_)));
    Python(target_ - count_);
  }

  size_t count() const { return count_; }

 private:
  int Uniform(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }

  void Emit(const std::string& path, const std::string& content, bool executable = false) {
    if (count_ >= target_) return;
    fmt::print(out_, "M {} inline {}\ndata {}\n", executable ? "100755" : "100644", path,
               content.size());
    fwrite(content.data(), 1, content.size(), out_);
    fputc('\n', out_);
    ++count_;
  }

  // Folder `i` of an area: area/mod<a>/sub<b>/pkg<c>; one folder in eight (the third, so
  // that small repositories have tests too) holds tests.
  struct Folder {
    std::string mod, sub, leaf;
    bool tests = false;
    std::string Path(const std::string& area) const {
      return fmt::format("{}/{}/{}/{}", area, mod, sub, leaf);
    }
  };
  static Folder FolderAt(int i) {
    Folder f{fmt::format("mod{}", i / 64), fmt::format("sub{}", (i / 8) % 8), "", i % 8 == 2};
    f.leaf = f.tests ? "tests" : fmt::format("pkg{}", i % 8);
    return f;
  }

  // Calls fill(folder, files_in_folder) until `budget` files are spent.
  template <typename Fill>
  void Folders(size_t budget, Fill fill) {
    size_t end = std::min(target_, count_ + budget);
    for (int i = 0; count_ < end; ++i) {
      size_t n = std::min<size_t>(static_cast<size_t>(Uniform(50, 200)), end - count_);
      size_t before = count_;
      fill(FolderAt(i), n);
      if (count_ == before) break;
    }
  }

  void Root() {
    Emit("README.md",
         "# Synthetic monorepo\n\nGenerated by slipway-map-bench.\n\n## Layout\n\n"
         "- python/src: the service\n- cpp: native libraries\n- go: the agent\n"
         "- web: the front end\n");
    Emit("pyproject.toml",
         "[project]\nname = \"synthetic\"\nversion = \"0.1.0\"\nrequires-python = \">=3.10\"\n"
         "dependencies = [\"requests>=2\", \"pydantic>=2\"]\n\n[tool.pytest.ini_options]\n"
         "testpaths = [\"python/tests\"]\n");
    Emit("CMakeLists.txt",
         "cmake_minimum_required(VERSION 3.20)\nproject(synthetic CXX)\nset(CMAKE_CXX_STANDARD "
         "20)\nenable_testing()\nadd_subdirectory(cpp)\n");
    Emit("go.mod", "module example.com/synthetic\n\ngo 1.21\n\nrequire golang.org/x/sync v0.5.0\n");
    Emit("package.json",
         "{\n  \"name\": \"synthetic-web\",\n  \"private\": true,\n  \"scripts\": {\n    "
         "\"build\": \"tsc -b\",\n    \"test\": \"jest\"\n  },\n  \"devDependencies\": {\n    "
         "\"jest\": \"^29.0.0\",\n    \"typescript\": \"^5.3.0\"\n  }\n}\n");
    Emit(".github/workflows/ci.yml",
         "name: ci\non: [push]\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n"
         "      - uses: actions/checkout@v4\n      - run: python3 -m pytest -q\n");
    Emit(".gitignore", "build/\nnode_modules/\n__pycache__/\n*.pyc\n");
  }

  std::string PythonModule(const std::string& package, int i, int siblings) {
    std::string s = fmt::format(
        "\"\"\"{}.module_{}: synthetic code for the map benchmark.\"\"\"\n"
        "from __future__ import annotations\n\nimport dataclasses\nimport logging\n"
        "from typing import Iterable\n\n{}",
        package, i,
        // One module in ten talks to a database, one in ten calls HTTP: integration sites.
        i % 10 == 0   ? "import sqlalchemy\n\n"
        : i % 10 == 5 ? "import requests\n\n"
                      : "");
    if (siblings > 1) {
      int j = (i + 1) % siblings;
      s += fmt::format("from .module_{} import helper_{}_0\n", j, j);
    }
    s += "\nLOG = logging.getLogger(__name__)\n";
    for (int b = 0, blocks = Uniform(2, 22); b < blocks; ++b)
      s += fmt::format(
          "\n\n@dataclasses.dataclass\nclass Record{0}_{1}:\n    key: str\n    value: int = "
          "{2}\n\n\ndef helper_{0}_{1}(items: Iterable[int]) -> int:\n    total = 0\n"
          "    for item in items:\n        if item % {3} == 0:\n            LOG.debug(\"skip "
          "%s\", item)\n            continue\n        total += item * {2}\n    return total\n",
          i, b, Uniform(1, 1000), Uniform(2, 9));
    return s;
  }

  void Python(size_t budget) {
    Emit("python/src/synthetic/__init__.py", "\"\"\"The synthetic service.\"\"\"\n");
    Emit("python/src/synthetic/__main__.py",
         "from synthetic.app import main\n\nif __name__ == \"__main__\":\n    main()\n");
    std::map<std::string, bool> inits;
    Folders(budget, [&](const Folder& f, size_t n) {
      std::string base = "python/src/synthetic";
      for (const std::string& part : {f.mod, f.sub}) {
        base += "/" + part;
        if (!inits[base]) {
          inits[base] = true;
          Emit(base + "/__init__.py", "");
        }
      }
      if (f.tests) {
        std::string dir = fmt::format("python/tests/{}/{}", f.mod, f.sub);
        for (size_t k = 0; k < n; ++k)
          Emit(fmt::format("{}/test_case_{}.py", dir, k),
               fmt::format("import pytest\n\nfrom synthetic.{0}.{1}.pkg0.module_0 import "
                           "helper_0_0\n\n\ndef test_case_{2}():\n    assert helper_0_0([1, 2, "
                           "3]) >= 0\n\n\n@pytest.mark.parametrize(\"n\", [1, 2, 3])\ndef "
                           "test_param_{2}(n):\n    assert helper_0_0([n]) >= 0\n",
                           f.mod, f.sub, k));
        return;
      }
      std::string dir = base + "/" + f.leaf;
      std::string package = "synthetic." + f.mod + "." + f.sub + "." + f.leaf;
      Emit(dir + "/__init__.py", fmt::format("from .module_0 import helper_0_0\n"));
      int modules = static_cast<int>(n) - 1;
      for (int k = 0; k < modules; ++k)
        Emit(fmt::format("{}/module_{}.py", dir, k), PythonModule(package, k, modules));
    });
  }

  void Cpp(size_t budget) {
    Emit("cpp/CMakeLists.txt", "add_subdirectory(src)\nadd_subdirectory(tests)\n");
    Folders(budget, [&](const Folder& f, size_t n) {
      std::string dir = f.Path("cpp");
      Emit(dir + "/CMakeLists.txt",
           fmt::format("file(GLOB SOURCES *.cc)\nadd_library({}_{}_{} ${{SOURCES}})\n", f.mod,
                       f.sub, f.leaf));
      if (f.tests) {
        for (size_t k = 0; k + 1 < n; ++k)
          Emit(
              fmt::format("{}/widget_{}_test.cc", dir, k),
              fmt::format("#include <gtest/gtest.h>\n\n#include \"cpp/{0}/{1}/pkg0/widget_{2}.h\"\n"
                          "\nTEST(Widget{2}, Describes) {{\n  synthetic::pkg0::Widget{2} w({2});\n"
                          "  EXPECT_FALSE(w.Describe().empty());\n}}\n",
                          f.mod, f.sub, k));
        return;
      }
      for (size_t k = 0; k + 1 < n; k += 2) {
        std::string name = fmt::format("widget_{}", k);
        Emit(fmt::format("{}/{}.h", dir, name),
             fmt::format("#pragma once\n\n#include <cstdint>\n#include <string>\n\nnamespace "
                         "synthetic::{0} {{\n\nclass Widget{1} {{\n public:\n  explicit "
                         "Widget{1}(int64_t seed);\n  std::string Describe() const;\n  int64_t "
                         "Score(int64_t x) const;\n\n private:\n  int64_t seed_;\n}};\n\n}}  // "
                         "namespace synthetic::{0}\n",
                         f.leaf, k));
        std::string cc = fmt::format(
            "#include \"{}/{}.h\"\n\n#include <fmt/format.h>\n\n#include <algorithm>\n"
            "#include <vector>\n\nnamespace synthetic::{} {{\n",
            dir, name, f.leaf);
        for (int b = 0, blocks = Uniform(2, 20); b < blocks; ++b)
          cc += fmt::format(
              "\nint64_t Helper{0}_{1}(const std::vector<int64_t>& v) {{\n  int64_t total = "
              "0;\n  for (int64_t x : v) {{\n    if (x % {2} == 0) continue;\n    total += x * "
              "{3};\n  }}\n  return total;\n}}\n",
              k, b, Uniform(2, 9), Uniform(1, 1000));
        cc += fmt::format(
            "\nWidget{0}::Widget{0}(int64_t seed) : seed_(seed) {{}}\n\nstd::string "
            "Widget{0}::Describe() const {{ return fmt::format(\"widget {{}}\", seed_); }}\n\n"
            "}}  // namespace synthetic::{1}\n",
            k, f.leaf);
        Emit(fmt::format("{}/{}.cc", dir, name), cc);
      }
    });
  }

  void Go(size_t budget) {
    Emit("go/cmd/agent/main.go",
         "package main\n\nimport \"example.com/synthetic/go/pkg/mod0/sub0/pkg0\"\n\nfunc main() "
         "{ pkg0.Run() }\n");
    Folders(budget, [&](const Folder& f, size_t n) {
      std::string dir = f.Path("go/pkg");
      for (size_t k = 0; k < n; ++k) {
        bool test = f.tests || k % 4 == 3;
        std::string s = fmt::format("package {}\n\nimport (\n\t\"fmt\"\n\t\"strings\"\n{}{})\n",
                                    f.leaf, test ? "\t\"testing\"\n" : "",
                                    !test && k % 10 == 1 ? "\t\"database/sql\"\n" : "");
        for (int b = 0, blocks = Uniform(2, 20); b < blocks; ++b)
          s += test ? fmt::format(
                          "\nfunc TestCase{}_{}(t *testing.T) {{\n\tif got := "
                          "strings.Repeat(\"x\", {}); len(got) == 0 {{\n\t\tt.Fatal("
                          "fmt.Sprint(got))\n\t}}\n}}\n",
                          k, b, Uniform(1, 9))
                    : fmt::format(
                          "\n// Helper{0}_{1} sums the items it is given.\nfunc "
                          "Helper{0}_{1}(items []int) string {{\n\ttotal := 0\n\tfor _, "
                          "item := range items {{\n\t\ttotal += item * {2}\n\t}}\n\treturn "
                          "strings.TrimSpace(fmt.Sprint(total))\n}}\n",
                          k, b, Uniform(1, 1000));
        Emit(fmt::format("{}/file_{}{}.go", dir, k, test ? "_test" : ""), s);
      }
    });
  }

  void Web(size_t budget) {
    Emit("web/tsconfig.json",
         "{\n  \"compilerOptions\": {\"strict\": true, \"jsx\": \"react\"}\n}\n");
    Folders(budget, [&](const Folder& f, size_t n) {
      std::string dir = f.tests ? fmt::format("web/src/{}/{}/__tests__", f.mod, f.sub)
                                : fmt::format("web/src/{}/{}/{}", f.mod, f.sub, f.leaf);
      for (size_t k = 0; k < n; ++k) {
        if (f.tests) {
          Emit(fmt::format("{}/component{}.test.ts", dir, k),
               fmt::format("import {{ helper{0}_0 }} from '../pkg0/component{0}';\n\n"
                           "describe('component {0}', () => {{\n  it('adds', () => {{\n    "
                           "expect(helper{0}_0([1, 2])).toBeGreaterThan(0);\n  }});\n}});\n",
                           k));
          continue;
        }
        const char* ext = k % 5 == 4 ? "js" : (k % 5 == 3 ? "tsx" : "ts");
        std::string s = fmt::format("import {{ format }} from '../../util/format';\n{}\n",
                                    k % 10 == 2 ? "import axios from 'axios';\n" : "");
        for (int b = 0, blocks = Uniform(2, 20); b < blocks; ++b)
          s += fmt::format(
              "\nexport function helper{0}_{1}(items{3}) {{\n  let total = 0;\n  for (const "
              "item of items) {{\n    if (item % {2} === 0) continue;\n    total += item;\n  }}\n"
              "  return format(total);\n}}\n",
              k, b, Uniform(2, 9), std::string(ext) == "js" ? "" : ": number[]");
        Emit(fmt::format("{}/component{}.{}", dir, k, ext), s);
      }
    });
  }

  void Docs(size_t budget) {
    Folders(budget, [&](const Folder& f, size_t n) {
      for (size_t k = 0; k < n; ++k) {
        std::string s = fmt::format("# {} {} page {}\n", f.mod, f.leaf, k);
        for (int b = 0, blocks = Uniform(2, 15); b < blocks; ++b)
          s += fmt::format(
              "\n## Section {}\n\nThis section explains how the {} part handles "
              "item {} and why it is\nlimited to {} entries per request.\n",
              b, f.sub, b * 7, Uniform(10, 500));
        Emit(fmt::format("{}/page_{}.md", f.Path("docs"), k), s);
      }
    });
  }

  void Config(size_t budget) {
    Folders(budget, [&](const Folder& f, size_t n) {
      for (size_t k = 0; k < n; ++k) {
        std::string s = fmt::format(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {}-{}\n"
            "data:\n",
            f.leaf, k);
        for (int b = 0, blocks = Uniform(3, 30); b < blocks; ++b)
          s += fmt::format("  key_{}: \"{}\"\n", b, Uniform(0, 100000));
        Emit(fmt::format("{}/config_{}.yaml", f.Path("deploy"), k), s);
      }
    });
  }

  void Scripts(size_t budget) {
    for (size_t k = 0; k < budget; ++k)
      Emit(fmt::format("scripts/tool_{}", k),
           k % 2 ? fmt::format("#!/usr/bin/env python3\nimport sys\n\nprint({})\nsys.exit(0)\n", k)
                 : fmt::format("#!/bin/bash\nset -euo pipefail\necho {}\n", k),
           /*executable=*/true);
  }

  void Assets(size_t budget) {
    for (size_t k = 0; k < budget; ++k) {
      std::string png("\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16);
      png.resize(static_cast<size_t>(Uniform(200, 4000)), '\0');
      for (size_t b = 16; b < png.size(); b += 3) png[b] = static_cast<char>(Uniform(0, 255));
      Emit(fmt::format("web/assets/icon_{}.png", k), png);
    }
  }

  FILE* out_;
  size_t target_;
  size_t count_ = 0;
  std::mt19937_64 rng_;
};

// The synthetic repository of `files` files under `work_dir`, generated unless a complete one
// is already there. Returns its path, or an empty path on failure.
fs::path EnsureSynthetic(const fs::path& work_dir, size_t files) {
  fs::path dir = work_dir / fmt::format("synthetic-{}", files);
  if (fs::exists(dir / ".git" / kCompleteMarker)) return dir;
  std::error_code ec;
  fs::remove_all(dir, ec);
  fs::create_directories(dir, ec);
  if (ec || Run(fmt::format("git init -q -b main {}", Quote(dir.string()))) != 0) return {};
  auto t0 = Clock::now();
  FILE* p = popen(fmt::format("git -C {} fast-import --quiet", Quote(dir.string())).c_str(), "w");
  if (!p) return {};
  static char buf[1 << 20];
  setvbuf(p, buf, _IOFBF, sizeof buf);
  SyntheticRepo repo(p, files);
  repo.Write();
  if (pclose(p) != 0) return {};
  // An index, so that `git ls-files` has something to list; the work tree stays empty.
  if (Run(fmt::format("git -C {} read-tree HEAD", Quote(dir.string()))) != 0) return {};
  std::ofstream(dir / ".git" / kCompleteMarker) << repo.count() << "\n";
  std::cerr << fmt::format("generated {} ({} files) in {:.1f} s with git fast-import\n",
                           dir.string(), repo.count(), MsSince(t0) / 1000);
  return dir;
}

// ---------------------------------------------------------------------------------------------
// --map-once: the child. Prints key=value figures on one line.

int MapOnce(const std::string& path, const std::string& rev, bool analyze) {
  auto t0 = Clock::now();
  auto repo = repo::Repository::Open(path);
  if (!repo.ok()) {
    std::cerr << repo.status() << "\n";
    return 1;
  }
  double open_ms = MsSince(t0);
  auto commit = repo->ResolveCommit(rev);
  if (!commit.ok()) {
    std::cerr << commit.status() << "\n";
    return 1;
  }
  t0 = Clock::now();
  auto cold = mapper::MapRepository(*repo, *commit);
  double cold_ms = MsSince(t0);
  if (!cold.ok()) {
    std::cerr << cold.status() << "\n";
    return 1;
  }
  uint64_t hwm_kib = PeakRssKib();

  t0 = Clock::now();
  auto warm = mapper::MapRepository(*repo, *commit);
  double warm_ms = MsSince(t0);
  if (!warm.ok()) {
    std::cerr << warm.status() << "\n";
    return 1;
  }

  // The cache key: the tree id, on a Repository opened afresh (what the step does).
  t0 = Clock::now();
  auto fresh = repo::Repository::Open(path);
  double reopen_ms = MsSince(t0);
  t0 = Clock::now();
  auto tree = fresh->TreeId(*commit);
  double tree_id_ms = MsSince(t0);
  if (!tree.ok()) {
    std::cerr << tree.status() << "\n";
    return 1;
  }

  // Phases of a warm map: listing the tree, reading every blob the mapper reads; the rest is
  // the mapper's own work (classification, protobuf, modules, build systems).
  t0 = Clock::now();
  auto files = repo->ListFiles(*commit);
  double list_ms = MsSince(t0);
  if (!files.ok()) return 1;
  t0 = Clock::now();
  uint64_t read_bytes = 0;
  for (const repo::TreeFile& f : *files) {
    if (f.symlink || f.size > mapper::MapOptions{}.max_bytes_for_line_count) continue;
    auto blob = repo->ReadBlob(f.blob_id);
    if (blob.ok()) read_bytes += blob->size();
  }
  double read_ms = MsSince(t0);

  std::cout << fmt::format(
      "files={} open_ms={:.3f} cold_ms={:.3f} hwm_kib={} warm_ms={:.3f} reopen_ms={:.3f} "
      "tree_id_ms={:.3f} list_ms={:.3f} read_ms={:.3f} read_bytes={} languages={} modules={} "
      "primary={} build_systems={} test_dirs={} integrations={} manifests={} ",
      cold->files_size(), open_ms, cold_ms, hwm_kib, warm_ms, reopen_ms, tree_id_ms, list_ms,
      read_ms, read_bytes, cold->languages_size(), cold->modules_size(),
      cold->primary_language().empty() ? "-" : cold->primary_language(), cold->build_systems_size(),
      cold->test_dirs_size(), cold->integrations_size(), cold->manifests_size());
  if (!analyze) {
    std::cout << "\n";
    return 0;
  }

  // The analyzer on the same tree: the symbol index from nothing (ctags over every source),
  // then one analysis.
  v1::Recommendation rec;
  rec.set_title("Cache widget scores in Redis");
  rec.set_description(
      "Store each widget's score in a Redis cache and expire it after an hour, so that "
      "repeated requests skip the computation.");
  t0 = Clock::now();
  auto index = analyzer::BuildSymbolIndex(*cold, *repo, *commit);
  double index_ms = MsSince(t0);
  if (!index.ok()) {
    std::cerr << index.status() << "\n";
    return 1;
  }
  size_t symbols = 0;
  for (const auto& f : index->files()) symbols += static_cast<size_t>(f.symbols_size());
  t0 = Clock::now();
  auto analysis = analyzer::Analyze(rec, *cold, *repo, *commit, &*index);
  double analyze_ms = MsSince(t0);
  if (!analysis.ok()) {
    std::cerr << analysis.status() << "\n";
    return 1;
  }
  std::cout << fmt::format(
      "index_ms={:.3f} indexed_files={} symbols={} analyze_ms={:.3f} total_hwm_kib={} "
      "best={}\n",
      index_ms, index->files_size(), symbols, analyze_ms, PeakRssKib(),
      analysis->integration_points_size() ? analysis->integration_points(0).file() : "-");
  return 0;
}

std::map<std::string, std::string> ParseFigures(const std::string& line) {
  std::map<std::string, std::string> out;
  std::istringstream in(line);
  std::string kv;
  while (in >> kv) {
    size_t eq = kv.find('=');
    if (eq != std::string::npos) out[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// The parent: floors, children, table.

struct Row {
  std::string name;
  uint64_t files = 0;
  double ls_files_ms = 0, ls_tree_ms = 0, archive_ms = 0;
  double tree_id_ms = 0, cold_ms = 0, warm_ms = 0, list_ms = 0, read_ms = 0;
  double peak_mib = 0, read_mib = 0;
  std::string summary;
  bool analyzed = false;
  double index_ms = 0, analyze_ms = 0, total_peak_mib = 0;
  uint64_t indexed_files = 0, symbols = 0;
  std::string best;
};

bool Measure(const fs::path& self, const std::string& name, const fs::path& path,
             const std::string& rev, int runs, bool analyze, Row& row) {
  std::string q = Quote(path.string());
  row.name = name;
  CommandFigures ls_files = TimeCommandMedian(fmt::format("git -C {} ls-files -z", q), runs);
  // A bare repository has no index: ls-files succeeds and lists nothing.
  row.ls_files_ms = ls_files.nuls == 0 ? -1 : ls_files.ms;
  row.ls_tree_ms =
      TimeCommandMedian(fmt::format("git -C {} ls-tree -r -l -z {}", q, Quote(rev)), runs).ms;
  row.archive_ms =
      TimeCommandMedian(fmt::format("git -C {} archive --format=tar {}", q, Quote(rev)), runs).ms;

  std::vector<double> cold, warm, tree_id, list, read, peak, index, analysis, total_peak;
  for (int i = 0; i < runs; ++i) {
    FILE* p = popen(fmt::format("{} --map-once {} --commit {}{}", Quote(self.string()), q,
                                Quote(rev), analyze ? "" : " --no-analysis")
                        .c_str(),
                    "r");
    if (!p) return false;
    std::string out;
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    if (pclose(p) != 0) {
      std::cerr << fmt::format("mapping {} failed\n", path.string());
      return false;
    }
    auto f = ParseFigures(out);
    cold.push_back(std::stod(f["cold_ms"]));
    warm.push_back(std::stod(f["warm_ms"]));
    tree_id.push_back(std::stod(f["tree_id_ms"]));
    list.push_back(std::stod(f["list_ms"]));
    read.push_back(std::stod(f["read_ms"]));
    peak.push_back(std::stod(f["hwm_kib"]) / 1024);
    row.files = std::stoull(f["files"]);
    row.read_mib = std::stod(f["read_bytes"]) / (1 << 20);
    row.summary = fmt::format(
        "primary {}, {} languages, {} modules, {} build systems, {} test dirs, {} integration "
        "surfaces, {} manifests",
        f["primary"], f["languages"], f["modules"], f["build_systems"], f["test_dirs"],
        f["integrations"], f["manifests"]);
    if (analyze) {
      row.analyzed = true;
      index.push_back(std::stod(f["index_ms"]));
      analysis.push_back(std::stod(f["analyze_ms"]));
      total_peak.push_back(std::stod(f["total_hwm_kib"]) / 1024);
      row.indexed_files = std::stoull(f["indexed_files"]);
      row.symbols = std::stoull(f["symbols"]);
      row.best = f["best"];
    }
  }
  if (analyze) {
    row.index_ms = Median(index);
    row.analyze_ms = Median(analysis);
    row.total_peak_mib = *std::max_element(total_peak.begin(), total_peak.end());
  }
  row.cold_ms = Median(cold);
  row.warm_ms = Median(warm);
  row.tree_id_ms = Median(tree_id);
  row.list_ms = Median(list);
  row.read_ms = Median(read);
  row.peak_mib = *std::max_element(peak.begin(), peak.end());
  return true;
}

// A git floor's time; "-" when the command failed (ls-files in a bare repository).
std::string Ms(double ms) { return ms < 0 ? std::string("-") : fmt::format("{:.1f}ms", ms); }

void PrintTable(const std::vector<Row>& rows, int runs) {
  std::cout << fmt::format(
      "\nmedian of {} runs; cold = first MapRepository in a fresh process (page cache warm); "
      "again = a second MapRepository in that process (no cache: the services' cache hit costs "
      "the tree id plus one artifact_index lookup, measured by repositories_integration_test)\n\n",
      runs);
  std::cout << fmt::format("{:<24} {:>8} {:>10} {:>10} {:>10} {:>9} {:>10} {:>10} {:>9} {:>10}\n",
                           "repository", "files", "ls-files", "ls-tree", "archive", "tree id",
                           "map cold", "files/s", "peak MiB", "map again");
  for (const Row& r : rows)
    std::cout << fmt::format(
        "{:<24} {:>8} {:>10} {:>10} {:>10} {:>7.3f}ms {:>8.1f}ms {:>10.0f} {:>9.1f} "
        "{:>8.1f}ms\n",
        r.name, r.files, Ms(r.ls_files_ms), Ms(r.ls_tree_ms), Ms(r.archive_ms), r.tree_id_ms,
        r.cold_ms, r.cold_ms > 0 ? static_cast<double>(r.files) / (r.cold_ms / 1000) : 0,
        r.peak_mib, r.warm_ms);
  std::cout << fmt::format("\nwhere a second map goes\n{:<24} {:>10} {:>12} {:>10} {:>10}\n",
                           "repository", "list tree", "read blobs", "blob MiB", "the rest");
  for (const Row& r : rows)
    std::cout << fmt::format("{:<24} {:>8.1f}ms {:>10.1f}ms {:>10.1f} {:>8.1f}ms\n", r.name,
                             r.list_ms, r.read_ms, r.read_mib,
                             std::max(0.0, r.warm_ms - r.list_ms - r.read_ms));
  if (std::any_of(rows.begin(), rows.end(), [](const Row& r) { return r.analyzed; })) {
    std::cout << fmt::format(
        "\nthe analyzer (symbol index from nothing with ctags, then one analysis)\n"
        "{:<24} {:>10} {:>10} {:>11} {:>10} {:>12} {:>9}\n",
        "repository", "sources", "symbols", "index", "files/s", "analysis", "peak MiB");
    for (const Row& r : rows)
      if (r.analyzed)
        std::cout << fmt::format(
            "{:<24} {:>10} {:>10} {:>9.1f}ms {:>10.0f} {:>10.1f}ms {:>9.1f}\n", r.name,
            r.indexed_files, r.symbols, r.index_ms,
            r.index_ms > 0 ? static_cast<double>(r.indexed_files) / (r.index_ms / 1000) : 0,
            r.analyze_ms, r.total_peak_mib);
  }
  std::cout << "\n";
  for (const Row& r : rows)
    std::cout << fmt::format("{}: {}{}\n", r.name, r.summary,
                             r.analyzed ? fmt::format("; best integration point {}", r.best) : "");
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Slipway benchmark: the mapper on synthetic and real repositories"};
  std::vector<size_t> sizes = {1000, 10000, 100000};
  std::string work_dir = (fs::temp_directory_path() / "slipway-map-bench").string();
  std::vector<std::string> repos;
  std::string rev = "HEAD";
  std::string map_once;
  int runs = 3;
  app.add_option("--sizes", sizes, "files per synthetic repository (1000,10000,100000)")
      ->delimiter(',')
      ->check(CLI::Range(size_t{10}, size_t{2000000}));
  app.add_option("--work-dir", work_dir, "where synthetic repositories are kept and reused");
  app.add_option("--repo", repos,
                 "also measure this repository (repeatable); alone, skips "
                 "the synthetic ones unless --sizes is given");
  app.add_option("--commit", rev, "revision of --repo to map (HEAD)");
  app.add_option("--runs", runs, "runs per measurement; medians are printed (3)")
      ->check(CLI::Range(1, 100));
  bool no_analysis = false;
  app.add_flag("--no-analysis", no_analysis, "measure the mapper only");
  app.add_option("--map-once", map_once, "")->group("");  // the child's mode
  CLI11_PARSE(app, argc, argv);

  if (!map_once.empty()) return MapOnce(map_once, rev, !no_analysis);

  fs::path self = fs::read_symlink("/proc/self/exe");
  if (!repos.empty() && app.count("--sizes") == 0) sizes.clear();
  std::vector<Row> rows;
  for (size_t n : sizes) {
    fs::path dir = EnsureSynthetic(work_dir, n);
    if (dir.empty()) {
      std::cerr << fmt::format("generating the {}-file repository under {} failed\n", n, work_dir);
      return 1;
    }
    Row row;
    if (!Measure(self, fmt::format("synthetic-{}", n), dir, "HEAD", runs, !no_analysis, row))
      return 1;
    rows.push_back(row);
  }
  for (const std::string& r : repos) {
    Row row;
    if (!Measure(self, fs::path(r).filename().string(), r, rev, runs, !no_analysis, row)) return 1;
    rows.push_back(row);
  }
  PrintTable(rows, runs);
  return 0;
}
