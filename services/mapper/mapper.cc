#include "services/mapper/mapper.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "libs/core/text.h"

namespace slipway::mapper {
namespace {

constexpr size_t kBinarySniffBytes = 8192;

using slipway::PathBaseName;
using slipway::PathDirName;

std::string_view Extension(std::string_view name) {
  size_t dot = name.rfind('.');
  return dot == std::string_view::npos || dot == 0 ? std::string_view() : name.substr(dot);
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

bool StartsWith(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }
bool EndsWith(std::string_view s, std::string_view p) {
  return s.size() >= p.size() && s.substr(s.size() - p.size()) == p;
}

const std::unordered_map<std::string_view, std::string_view>& ExtensionLanguages() {
  static const auto* table = new std::unordered_map<std::string_view, std::string_view>{
      {".py", "python"},
      {".pyi", "python"},
      {".c", "c"},
      {".h", "c"},
      {".cc", "cpp"},
      {".cpp", "cpp"},
      {".cxx", "cpp"},
      {".c++", "cpp"},
      {".hh", "cpp"},
      {".hpp", "cpp"},
      {".hxx", "cpp"},
      {".ipp", "cpp"},
      {".go", "go"},
      {".js", "javascript"},
      {".mjs", "javascript"},
      {".cjs", "javascript"},
      {".jsx", "javascript"},
      {".ts", "typescript"},
      {".tsx", "typescript"},
      {".mts", "typescript"},
      {".cts", "typescript"},
      {".java", "java"},
      {".kt", "kotlin"},
      {".kts", "kotlin"},
      {".rs", "rust"},
      {".sh", "shell"},
      {".bash", "shell"},
      {".zsh", "shell"},
      {".md", "markdown"},
      {".markdown", "markdown"},
      {".rst", "restructuredtext"},
      {".yml", "yaml"},
      {".yaml", "yaml"},
      {".json", "json"},
      {".toml", "toml"},
      {".cmake", "cmake"},
      {".rb", "ruby"},
      {".php", "php"},
      {".cs", "csharp"},
      {".swift", "swift"},
      {".scala", "scala"},
      {".lua", "lua"},
      {".pl", "perl"},
      {".pm", "perl"},
      {".r", "r"},
      {".html", "html"},
      {".htm", "html"},
      {".css", "css"},
      {".scss", "css"},
      {".sql", "sql"},
      {".proto", "protobuf"},
      {".xml", "xml"},
      {".txt", "text"},
      {".ini", "ini"},
      {".cfg", "ini"},
  };
  return *table;
}

// Extensions never worth reading: their content is binary by construction.
bool IsBinaryExtension(std::string_view ext) {
  static const auto* set = new std::unordered_set<std::string_view>{
      ".png", ".jpg", ".jpeg", ".gif", ".bmp", ".ico",   ".webp",   ".pdf",   ".zip",
      ".gz",  ".tgz", ".bz2",  ".xz",  ".7z",  ".jar",   ".war",    ".whl",   ".class",
      ".so",  ".a",   ".o",    ".dll", ".exe", ".dylib", ".woff",   ".woff2", ".ttf",
      ".otf", ".mp3", ".mp4",  ".mov", ".pyc", ".db",    ".sqlite", ".bin"};
  return set->contains(ext);
}

const std::set<std::string_view>& NonCodeLanguages() {
  static const auto* set = new std::set<std::string_view>{"markdown",   "restructuredtext",
                                                          "yaml",       "json",
                                                          "toml",       "text",
                                                          "xml",        "ini",
                                                          "html",       "css",
                                                          "cmake",      "make",
                                                          "dockerfile", "protobuf",
                                                          "sql"};
  return *set;
}

// Language of an extensionless script from its "#!" line.
std::string LanguageFromShebang(std::string_view content) {
  if (!StartsWith(content, "#!")) return "";
  std::string_view line = content.substr(0, content.find('\n'));
  if (line.find("python") != std::string_view::npos) return "python";
  if (line.find("node") != std::string_view::npos) return "javascript";
  if (line.find("bash") != std::string_view::npos || EndsWith(line, "/sh") ||
      line.find("/sh ") != std::string_view::npos || line.find(" sh") != std::string_view::npos)
    return "shell";
  return "";
}

uint32_t CountLines(std::string_view content) {
  uint64_t n = static_cast<uint64_t>(std::count(content.begin(), content.end(), '\n'));
  if (!content.empty() && content.back() != '\n') ++n;
  return static_cast<uint32_t>(std::min<uint64_t>(n, std::numeric_limits<uint32_t>::max()));
}

bool LooksBinary(std::string_view content) {
  std::string_view head = content.substr(0, kBinarySniffBytes);
  return std::memchr(head.data(), '\0', head.size()) != nullptr;
}

// Which build system's test command applies to the primary language.
std::vector<std::string_view> BuildSystemsFor(std::string_view language) {
  if (language == "python") return {"pytest"};
  if (language == "cpp" || language == "c") return {"cmake"};
  if (language == "go") return {"go"};
  if (language == "javascript" || language == "typescript") return {"npm"};
  if (language == "rust") return {"cargo"};
  if (language == "java" || language == "kotlin") return {"maven", "gradle"};
  return {};
}

v1::BuildSystem MakeBuildSystem(std::string name, std::string manifest, std::string build,
                                std::string test) {
  v1::BuildSystem b;
  b.set_name(std::move(name));
  b.set_manifest(std::move(manifest));
  b.set_build_command(std::move(build));
  b.set_test_command(std::move(test));
  return b;
}

// npm: "npm test" when package.json has a real scripts.test, else the runner named in
// devDependencies, else nothing to run.
v1::BuildSystem NodeBuildSystem(const std::string& manifest_text,
                                std::vector<std::string>& entry_points) {
  std::string test;
  auto json = nlohmann::json::parse(manifest_text, nullptr, /*allow_exceptions=*/false);
  if (json.is_object()) {
    auto scripts = json.find("scripts");
    if (scripts != json.end() && scripts->is_object()) {
      auto t = scripts->find("test");
      if (t != scripts->end() && t->is_string() &&
          t->get<std::string>().find("no test specified") == std::string::npos)
        test = "npm test";
    }
    if (test.empty()) {
      for (const char* section : {"devDependencies", "dependencies"}) {
        auto deps = json.find(section);
        if (deps == json.end() || !deps->is_object()) continue;
        if (deps->contains("jest"))
          test = "npx jest";
        else if (deps->contains("vitest"))
          test = "npx vitest run";
        else if (deps->contains("mocha"))
          test = "npx mocha";
        if (!test.empty()) break;
      }
    }
    auto bin = json.find("bin");
    if (bin != json.end()) {
      if (bin->is_string()) entry_points.push_back(bin->get<std::string>());
      if (bin->is_object())
        for (const auto& [name, value] : bin->items())
          if (value.is_string()) entry_points.push_back(value.get<std::string>());
    }
  }
  return MakeBuildSystem("npm", "package.json", "npm install", test);
}

}  // namespace

std::string LanguageForPath(std::string_view path) {
  std::string_view name = PathBaseName(path);
  if (name == "CMakeLists.txt") return "cmake";
  if (name == "Makefile" || name == "GNUmakefile" || EndsWith(name, ".mk")) return "make";
  if (name == "Dockerfile" || StartsWith(name, "Dockerfile.")) return "dockerfile";
  std::string ext = Lower(Extension(name));
  auto it = ExtensionLanguages().find(ext);
  return it == ExtensionLanguages().end() ? std::string() : std::string(it->second);
}

bool IsVendoredOrGenerated(std::string_view path) {
  static constexpr std::array<std::string_view, 10> kDirs = {
      "node_modules", "vendor", "third_party", "third-party",   "dist",
      "build",        ".venv",  "venv",        "site-packages", "__pycache__"};
  size_t start = 0;
  while (true) {
    size_t slash = path.find('/', start);
    if (slash == std::string_view::npos) break;
    std::string_view part = path.substr(start, slash - start);
    if (std::find(kDirs.begin(), kDirs.end(), part) != kDirs.end()) return true;
    start = slash + 1;
  }
  std::string_view name = path.substr(start);
  return EndsWith(name, "_pb2.py") || EndsWith(name, "_pb2_grpc.py") ||
         EndsWith(name, "_pb2.pyi") || EndsWith(name, ".pb.cc") || EndsWith(name, ".pb.h") ||
         EndsWith(name, ".pb.go") || EndsWith(name, ".min.js");
}

bool IsCodeLanguage(std::string_view language) {
  return !language.empty() && !NonCodeLanguages().contains(language);
}

bool IsTestFile(std::string_view path) {
  std::string_view name = PathBaseName(path);
  if (path.find("__tests__/") != std::string_view::npos) return !LanguageForPath(path).empty();
  if (EndsWith(name, ".py")) return StartsWith(name, "test_") || EndsWith(name, "_test.py");
  if (EndsWith(name, "_test.go")) return true;
  for (std::string_view ext : {".js", ".jsx", ".ts", ".tsx", ".mjs"})
    if (EndsWith(name, fmt::format(".test{}", ext)) || EndsWith(name, fmt::format(".spec{}", ext)))
      return true;
  for (std::string_view suffix : {"_test.cc", "_test.cpp", "_unittest.cc", "_test.c"})
    if (EndsWith(name, suffix)) return true;
  if (EndsWith(name, "Test.java") || EndsWith(name, "Test.kt")) return true;
  // Rust integration tests: tests/*.rs at the crate root.
  if (EndsWith(name, ".rs")) {
    std::string_view dir = PathDirName(path);
    return dir == "tests" || EndsWith(dir, "/tests");
  }
  return false;
}

absl::StatusOr<v1::RepositoryMap> MapRepository(const repo::Repository& repo,
                                                const std::string& commit,
                                                const MapOptions& options) {
  v1::RepositoryMap map;
  auto tree = repo.TreeId(commit);
  if (!tree.ok()) return tree.status();
  auto listed = repo.ListFiles(commit);
  if (!listed.ok()) return listed.status();
  map.set_commit(commit);
  map.set_tree_hash(*tree);
  std::vector<repo::TreeFile>& files = *listed;
  if (files.empty()) return map;

  // Root manifests are read once they are known; keep their text here.
  std::unordered_map<std::string, std::string> root_manifests;
  static constexpr std::array<std::string_view, 12> kManifests = {
      "pyproject.toml", "setup.py",       "setup.cfg",    "pytest.ini",
      "tox.ini",        "CMakeLists.txt", "go.mod",       "package.json",
      "Cargo.toml",     "pom.xml",        "build.gradle", "build.gradle.kts"};

  // Pass 1: every file, its language, size, binary flag and line count.
  size_t cpp_sources = 0, c_sources = 0;
  map.mutable_files()->Reserve(static_cast<int>(files.size()));
  for (const repo::TreeFile& f : files) {
    v1::FileEntry* e = map.add_files();
    e->set_path(f.path);
    e->set_size(f.size);
    if (f.symlink) continue;  // listed, never followed, never counted
    bool vendored = IsVendoredOrGenerated(f.path);
    std::string language = vendored ? std::string() : LanguageForPath(f.path);
    std::string_view name = PathBaseName(f.path);
    bool is_manifest = f.path.find('/') == std::string::npos &&
                       std::find(kManifests.begin(), kManifests.end(), name) != kManifests.end();
    if (IsBinaryExtension(Lower(Extension(name)))) {
      e->set_binary(true);
      continue;
    }
    if (f.size <= options.max_bytes_for_line_count) {
      auto content = repo.ReadBlob(f.blob_id);
      if (!content.ok())
        return absl::Status(content.status().code(),
                            fmt::format("reading {} of commit {}: {}", f.path, commit,
                                        std::string(content.status().message())));
      if (LooksBinary(*content)) {
        e->set_binary(true);
        continue;
      }
      e->set_lines(CountLines(*content));
      if (language.empty() && !vendored && Extension(name).empty())
        language = LanguageFromShebang(*content);
      if (is_manifest) root_manifests.emplace(f.path, std::move(*content));
    }
    if (language == "cpp" && !EndsWith(name, ".h")) ++cpp_sources;
    if (language == "c" && EndsWith(name, ".c")) ++c_sources;
    e->set_language(std::move(language));
  }
  // ".h" belongs to C++ in a repository whose sources are mostly C++.
  if (cpp_sources > c_sources)
    for (v1::FileEntry& e : *map.mutable_files())
      if (e.language() == "c" && EndsWith(e.path(), ".h")) e.set_language("cpp");

  // Languages.
  std::map<std::string, std::pair<uint32_t, uint64_t>> stats;
  for (const v1::FileEntry& e : map.files()) {
    if (e.language().empty()) continue;
    auto& s = stats[e.language()];
    ++s.first;
    s.second += e.lines();
  }
  std::vector<v1::LanguageStat> langs;
  for (const auto& [language, s] : stats) {
    v1::LanguageStat l;
    l.set_language(language);
    l.set_files(s.first);
    l.set_lines(s.second);
    langs.push_back(std::move(l));
  }
  std::stable_sort(langs.begin(), langs.end(), [](const auto& a, const auto& b) {
    if (a.lines() != b.lines()) return a.lines() > b.lines();
    return a.files() > b.files();
  });
  for (auto& l : langs) {
    if (map.primary_language().empty() && IsCodeLanguage(l.language()))
      map.set_primary_language(l.language());
    *map.add_languages() = std::move(l);
  }

  // Python packages: folders holding __init__.py. The dotted name starts below the first
  // ancestor that is not a package, so a src/ layout maps to the import name.
  std::unordered_set<std::string> package_dirs;
  for (const v1::FileEntry& e : map.files())
    if (e.language() == "python" && PathBaseName(e.path()) == "__init__.py")
      package_dirs.insert(std::string(PathDirName(e.path())));
  std::map<std::string, v1::Module> packages;  // by dotted name
  std::unordered_map<std::string, std::string> dir_to_package;
  for (const std::string& dir : package_dirs) {
    if (dir.empty()) continue;  // __init__.py at the root is not an importable package
    std::string_view root = dir;
    while (true) {
      std::string_view parent = PathDirName(root);
      if (parent.empty() || !package_dirs.contains(std::string(parent))) {
        root = parent;
        break;
      }
      root = parent;
    }
    std::string dotted = dir.substr(root.empty() ? 0 : root.size() + 1);
    std::replace(dotted.begin(), dotted.end(), '/', '.');
    v1::Module& m = packages[dotted];
    m.set_name(dotted);
    m.set_path(dir);
    m.set_language("python");
    dir_to_package.emplace(dir, dotted);
  }
  for (const v1::FileEntry& e : map.files()) {
    if (e.language() != "python") continue;
    auto it = dir_to_package.find(std::string(PathDirName(e.path())));
    if (it != dir_to_package.end()) packages[it->second].add_files(e.path());
  }
  // Top-level folders with code and no Python package inside: one module per folder.
  std::set<std::string> folders_with_packages;
  for (const std::string& dir : package_dirs)
    if (!dir.empty()) folders_with_packages.insert(dir.substr(0, dir.find('/')));
  std::map<std::string, std::pair<std::vector<std::string>, std::map<std::string, int>>> folders;
  for (const v1::FileEntry& e : map.files()) {
    size_t slash = e.path().find('/');
    if (slash == std::string::npos || !IsCodeLanguage(e.language())) continue;
    std::string top = e.path().substr(0, slash);
    if (folders_with_packages.contains(top)) continue;
    auto& folder = folders[top];
    folder.first.push_back(e.path());
    ++folder.second[e.language()];
  }
  for (auto& [name, m] : packages) *map.add_modules() = std::move(m);
  for (auto& [name, folder] : folders) {
    v1::Module* m = map.add_modules();
    m->set_name(name);
    m->set_path(name);
    auto best = std::max_element(folder.second.begin(), folder.second.end(),
                                 [](const auto& a, const auto& b) { return a.second < b.second; });
    m->set_language(best->first);
    for (std::string& p : folder.first) m->add_files(std::move(p));
  }

  // Tests, entry points.
  std::set<std::string> test_dirs;
  size_t py_prefix_tests = 0, py_suffix_tests = 0, cpp_cc_tests = 0, cpp_cpp_tests = 0;
  std::string first_python_test;
  std::vector<std::string> entry_points;
  std::unordered_set<std::string> paths;
  for (const v1::FileEntry& e : map.files()) {
    paths.insert(e.path());
    if (e.language().empty()) continue;
    std::string_view path = e.path();
    std::string_view name = PathBaseName(path);
    if (IsTestFile(path)) {
      std::string dir(PathDirName(path));
      test_dirs.insert(dir.empty() ? "." : dir);
      if (e.language() == "python") {
        if (first_python_test.empty()) first_python_test = e.path();
        (StartsWith(name, "test_") ? py_prefix_tests : py_suffix_tests)++;
      }
      if (EndsWith(name, ".cc")) ++cpp_cc_tests;
      if (EndsWith(name, ".cpp")) ++cpp_cpp_tests;
      continue;
    }
    bool entry = name == "__main__.py" || name == "main.py" || name == "manage.py" ||
                 name == "main.go" || path == "src/main.rs" ||
                 (StartsWith(path, "src/bin/") && EndsWith(name, ".rs")) ||
                 ((name == "main.cc" || name == "main.cpp" || name == "main.c") &&
                  IsCodeLanguage(e.language()));
    if (entry) entry_points.push_back(e.path());
  }
  map.clear_test_dirs();
  for (const std::string& d : test_dirs) map.add_test_dirs(d);

  // Build systems.
  auto has = [&](std::string_view p) { return paths.contains(std::string(p)); };
  {
    std::string manifest;
    for (std::string_view m : {"pyproject.toml", "setup.py", "setup.cfg", "pytest.ini", "tox.ini"})
      if (has(m)) {
        manifest = std::string(m);
        break;
      }
    if (manifest.empty()) manifest = first_python_test;
    if (!manifest.empty())
      *map.add_build_systems() = MakeBuildSystem("pytest", manifest, "", "python3 -m pytest -q");
  }
  if (has("CMakeLists.txt"))
    *map.add_build_systems() = MakeBuildSystem(
        "cmake", "CMakeLists.txt", "cmake -S . -B build -G Ninja && cmake --build build",
        "ctest --test-dir build --output-on-failure");
  if (has("go.mod"))
    *map.add_build_systems() = MakeBuildSystem("go", "go.mod", "", "go test ./...");
  if (has("package.json")) {
    auto it = root_manifests.find("package.json");
    *map.add_build_systems() =
        NodeBuildSystem(it == root_manifests.end() ? std::string() : it->second, entry_points);
  }
  if (has("Cargo.toml"))
    *map.add_build_systems() = MakeBuildSystem("cargo", "Cargo.toml", "", "cargo test");
  if (has("pom.xml"))
    *map.add_build_systems() = MakeBuildSystem("maven", "pom.xml", "", "mvn -q test");
  for (std::string_view g : {"build.gradle", "build.gradle.kts"})
    if (has(g)) {
      *map.add_build_systems() = MakeBuildSystem("gradle", std::string(g), "",
                                                 has("gradlew") ? "./gradlew test" : "gradle test");
      break;
    }
  for (std::string_view want : BuildSystemsFor(map.primary_language()))
    for (const v1::BuildSystem& b : map.build_systems())
      if (map.test_command().empty() && b.name() == want) map.set_test_command(b.test_command());
  for (const v1::BuildSystem& b : map.build_systems())
    if (map.test_command().empty()) map.set_test_command(b.test_command());

  std::sort(entry_points.begin(), entry_points.end());
  entry_points.erase(std::unique(entry_points.begin(), entry_points.end()), entry_points.end());
  for (std::string& p : entry_points) map.add_entry_points(std::move(p));

  const std::string& lang = map.primary_language();
  if (lang == "python")
    map.set_test_file_pattern(py_suffix_tests > py_prefix_tests ? "*_test.py" : "test_*.py");
  else if (lang == "go")
    map.set_test_file_pattern("*_test.go");
  else if (lang == "javascript")
    map.set_test_file_pattern("*.test.js");
  else if (lang == "typescript")
    map.set_test_file_pattern("*.test.ts");
  else if (lang == "cpp")
    map.set_test_file_pattern(cpp_cpp_tests > cpp_cc_tests ? "*_test.cpp" : "*_test.cc");
  else if (lang == "c")
    map.set_test_file_pattern("*_test.c");
  else if (lang == "rust")
    map.set_test_file_pattern("tests/*.rs");
  else if (lang == "java")
    map.set_test_file_pattern("*Test.java");
  else if (lang == "kotlin")
    map.set_test_file_pattern("*Test.kt");
  return map;
}

}  // namespace slipway::mapper
