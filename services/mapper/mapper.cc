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

#include "libs/code/imports.h"
#include "libs/code/integrations.h"
#include "libs/code/manifests.h"
#include "libs/code/symbols.h"
#include "libs/core/text.h"

namespace slipway::mapper {
namespace {

constexpr size_t kBinarySniffBytes = 8192;

using slipway::PathBaseName;
using slipway::PathDirName;
using slipway::InvalidUtf8Offset;
using slipway::Utf8SequenceLength;

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
  if (language == "javascript" || language == "typescript") return {"npm", "pnpm", "yarn"};
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

// npm, pnpm or yarn (by the lockfile): "<manager> test" when package.json has a real
// scripts.test, else the runner named in devDependencies, else nothing to run.
v1::BuildSystem NodeBuildSystem(const std::string& manifest_text, std::string_view manager,
                                std::string install, std::vector<std::string>& entry_points) {
  std::string test;
  auto json = nlohmann::json::parse(manifest_text, nullptr, /*allow_exceptions=*/false);
  if (json.is_object()) {
    auto scripts = json.find("scripts");
    if (scripts != json.end() && scripts->is_object()) {
      auto t = scripts->find("test");
      if (t != scripts->end() && t->is_string() &&
          t->get<std::string>().find("no test specified") == std::string::npos)
        test = fmt::format("{} test", manager);
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
  return MakeBuildSystem(std::string(manager), "package.json", std::move(install), test);
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

bool IsVendored(std::string_view path) {
  static constexpr std::array<std::string_view, 10> kDirs = {
      "node_modules", "vendor", "third_party", "third-party",   "dist",
      "build",        ".venv",  "venv",        "site-packages", "__pycache__"};
  for (size_t start = 0;;) {
    size_t slash = path.find('/', start);
    if (slash == std::string_view::npos) return false;
    std::string_view part = path.substr(start, slash - start);
    if (std::find(kDirs.begin(), kDirs.end(), part) != kDirs.end()) return true;
    start = slash + 1;
  }
}

bool IsGenerated(std::string_view path) {
  std::string_view name = PathBaseName(path);
  return EndsWith(name, "_pb2.py") || EndsWith(name, "_pb2_grpc.py") ||
         EndsWith(name, "_pb2.pyi") || EndsWith(name, ".pb.cc") || EndsWith(name, ".pb.h") ||
         EndsWith(name, ".grpc.pb.cc") || EndsWith(name, ".grpc.pb.h") ||
         EndsWith(name, ".pb.go") || EndsWith(name, "_grpc.pb.go") || EndsWith(name, ".min.js") ||
         EndsWith(name, ".min.css") || EndsWith(name, ".generated.ts") ||
         EndsWith(name, "_generated.go") || EndsWith(name, ".g.dart");
}

bool IsVendoredOrGenerated(std::string_view path) {
  return IsVendored(path) || IsGenerated(path);
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

namespace {

// Pass 1's output beside the map: what later phases need from file contents that the map
// itself does not keep.
struct Scan {
  std::unordered_map<std::string, std::string> root_manifests;  // root build files' text
  std::vector<std::string> entry_points;
  // Files with integrations, their uses, and the content (for ctags).
  struct Site {
    std::string path;
    std::string language;
    std::vector<code::IntegrationUse> uses;
    std::string content;
  };
  std::vector<Site> sites;
  std::map<std::string, std::string> java_packages;  // folder -> declared package
  std::vector<std::string> too_big, invalid_paths, binary_sources;
  size_t symlinks = 0;
  size_t cpp_sources = 0, c_sources = 0;
};

constexpr size_t kMaxSitesKept = 5000;  // files whose content is kept for symbols
constexpr size_t kMaxSymbolsPerSite = 8;
constexpr std::array<std::string_view, 15> kRootBuildFiles = {
    "pyproject.toml", "setup.py",     "setup.cfg",        "pytest.ini",   "tox.ini",
    "CMakeLists.txt", "go.mod",       "package.json",     "Cargo.toml",   "pom.xml",
    "build.gradle",   "build.gradle.kts", "Makefile",     "noxfile.py",   "meson.build"};

// \xNN for every byte that is not part of well-formed UTF-8.
std::string EscapeInvalidUtf8(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size();) {
    size_t n = Utf8SequenceLength(s, i);
    if (n == 0) {
      out += fmt::format("\\x{:02x}", static_cast<unsigned char>(s[i]));
      ++i;
    } else {
      out.append(s.substr(i, n));
      i += n;
    }
  }
  return out;
}

// Settings the code reads at run time, by the names and folders teams use for them.
bool IsConfigPath(std::string_view path) {
  std::string_view name = PathBaseName(path);
  static const auto* names = new std::unordered_set<std::string_view>{
      ".env.example", ".env.sample", ".env.template", ".env.dist",      "settings.py",
      "config.py",    "appsettings.json", "docker-compose.yml", "docker-compose.yaml",
      "compose.yaml", "compose.yml", "nginx.conf",  "logging.conf",    "alembic.ini",
      "config.toml",  "config.yaml", "config.yml",  "config.json",     "Procfile"};
  if (names->contains(name)) return true;
  if (StartsWith(name, "application") &&
      (EndsWith(name, ".properties") || EndsWith(name, ".yml") || EndsWith(name, ".yaml")))
    return true;
  std::string ext = Lower(Extension(name));
  if (ext == ".properties" || ext == ".conf" || ext == ".env") return true;
  bool config_ext = ext == ".yaml" || ext == ".yml" || ext == ".json" || ext == ".toml" ||
                    ext == ".ini" || ext == ".cfg";
  if (!config_ext || name == "setup.cfg" || name == "tox.ini" || name == "pytest.ini") return false;
  for (std::string_view dir : {"config/", "configs/", "conf/", "settings/", "etc/"})
    if (StartsWith(path, dir) || path.find(fmt::format("/{}", dir)) != std::string_view::npos)
      return true;
  return false;
}

// A source that starts a program, judged by its name or a cue in its text.
bool IsEntryPoint(std::string_view path, std::string_view language, std::string_view content) {
  std::string_view name = PathBaseName(path);
  if (name == "__main__.py" || name == "main.py" || name == "manage.py" || name == "main.go" ||
      path == "src/main.rs" || (StartsWith(path, "src/bin/") && EndsWith(name, ".rs")))
    return true;
  if ((name == "main.cc" || name == "main.cpp" || name == "main.c") && IsCodeLanguage(language))
    return true;
  if (language == "python")
    return content.find("__name__ == \"__main__\"") != std::string_view::npos ||
           content.find("__name__ == '__main__'") != std::string_view::npos;
  if (language == "java") return content.find("static void main(") != std::string_view::npos;
  if (language == "kotlin") return content.find("\nfun main(") != std::string_view::npos;
  return false;
}

bool ParsesImports(std::string_view language) {
  return language == "python" || language == "javascript" || language == "typescript" ||
         language == "go" || language == "java" || language == "kotlin" || language == "rust" ||
         language == "c" || language == "cpp";
}

std::string Examples(const std::vector<std::string>& paths) {
  std::string out;
  for (size_t i = 0; i < paths.size() && i < 3; ++i) out += (i ? ", " : "") + paths[i];
  if (paths.size() > 3) out += fmt::format(" and {} more", paths.size() - 3);
  return out;
}

void AddManifest(const code::Manifest& m, v1::RepositoryMap& map) {
  v1::DependencyManifest* out = map.add_manifests();
  out->set_path(m.path);
  out->set_ecosystem(m.ecosystem);
  out->set_error(m.error);
  for (const code::Dependency& d : m.dependencies) {
    v1::Dependency* dep = out->add_dependencies();
    dep->set_name(d.name);
    dep->set_version(d.version);
    dep->set_scope(d.scope);
  }
}

void AddWorkflow(const code::CiWorkflow& w, v1::RepositoryMap& map) {
  v1::CiWorkflow* out = map.add_ci_workflows();
  out->set_path(w.path);
  out->set_system(w.system);
  out->set_name(w.name);
  out->set_error(w.error);
  for (const std::string& t : w.triggers) out->add_triggers(t);
  for (const code::CiJob& j : w.jobs) {
    v1::CiJob* job = out->add_jobs();
    job->set_name(j.name);
    for (const std::string& c : j.commands) job->add_commands(c);
    for (const std::string& u : j.uses) job->add_uses(u);
  }
}

// Pass 1: every file, its language, size, flags and line count; manifests, CI files,
// configuration, entry points and integrations from the contents read on the way.
absl::Status ScanFiles(const repo::Repository& repo, const std::string& commit,
                       const std::vector<repo::TreeFile>& files, const MapOptions& options,
                       v1::RepositoryMap& map, Scan& scan) {
  map.mutable_files()->Reserve(static_cast<int>(files.size()));
  for (const repo::TreeFile& f : files) {
    v1::FileEntry* e = map.add_files();
    e->set_size(f.size);
    if (InvalidUtf8Offset(f.path) != std::string::npos) {
      e->set_path(EscapeInvalidUtf8(f.path));
      e->set_raw_path(f.path);
      scan.invalid_paths.push_back(e->path());
      continue;
    }
    e->set_path(f.path);
    if (f.symlink) {  // listed, never followed, never counted
      ++scan.symlinks;
      continue;
    }
    bool vendored = IsVendored(f.path), generated = IsGenerated(f.path);
    e->set_vendored(vendored);
    e->set_generated(generated);
    std::string_view name = PathBaseName(f.path);
    std::string language = vendored || generated ? std::string() : LanguageForPath(f.path);
    if (IsBinaryExtension(Lower(Extension(name)))) {
      e->set_binary(true);
      continue;
    }
    bool root_build_file =
        f.path.find('/') == std::string::npos &&
        std::find(kRootBuildFiles.begin(), kRootBuildFiles.end(), name) != kRootBuildFiles.end();
    if (!vendored && !generated && IsConfigPath(f.path)) map.add_config_files(f.path);
    if (f.size > options.max_bytes_for_line_count) {
      scan.too_big.push_back(f.path);
    } else {
      auto content = repo.ReadBlob(f.blob_id);
      if (!content.ok())
        return absl::Status(content.status().code(),
                            fmt::format("reading {} of commit {}: {}", f.path, commit,
                                        std::string(content.status().message())));
      if (LooksBinary(*content)) {
        e->set_binary(true);
        if (IsCodeLanguage(language)) scan.binary_sources.push_back(f.path);
        continue;
      }
      e->set_lines(CountLines(*content));
      if (language.empty() && !vendored && !generated && Extension(name).empty())
        language = LanguageFromShebang(*content);
      if (!vendored && !generated) {
        if (code::IsManifestPath(f.path))
          if (auto m = code::ParseManifest(f.path, *content)) AddManifest(*m, map);
        if (code::IsCiPath(f.path))
          if (auto w = code::ParseCi(f.path, *content)) AddWorkflow(*w, map);
        if (IsCodeLanguage(language) && !IsTestFile(f.path)) {
          if (IsEntryPoint(f.path, language, *content)) scan.entry_points.push_back(f.path);
          if (ParsesImports(language)) {
            auto imports = code::ParseImports(language, *content);
            auto uses = code::ClassifyFile(language, imports, *content);
            if (language == "java" || language == "kotlin") {
              std::string package = code::DeclaredPackage(language, *content);
              if (!package.empty())
                scan.java_packages.emplace(std::string(PathDirName(f.path)), package);
            }
            if (!uses.empty())
              scan.sites.push_back(
                  {f.path, language, std::move(uses),
                   scan.sites.size() < kMaxSitesKept ? *content : std::string()});
          }
        }
      }
      if (root_build_file) scan.root_manifests.emplace(f.path, std::move(*content));
    }
    if (language == "cpp" && !EndsWith(name, ".h")) ++scan.cpp_sources;
    if (language == "c" && EndsWith(name, ".c")) ++scan.c_sources;
    e->set_language(std::move(language));
  }
  // ".h" belongs to C++ in a repository whose sources are mostly C++.
  if (scan.cpp_sources > scan.c_sources)
    for (v1::FileEntry& e : *map.mutable_files())
      if (e.language() == "c" && EndsWith(e.path(), ".h")) e.set_language("cpp");
  for (auto& site : scan.sites)
    if (site.language == "c" && EndsWith(site.path, ".h") && scan.cpp_sources > scan.c_sources)
      site.language = "cpp";
  return absl::OkStatus();
}

void AddLanguages(v1::RepositoryMap& map) {
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
}

// The module path a go.mod declares ("module example.com/shop").
std::string GoModulePath(std::string_view go_mod) {
  size_t pos = 0;
  while (pos < go_mod.size()) {
    size_t eol = go_mod.find('\n', pos);
    std::string_view line = go_mod.substr(pos, eol == std::string_view::npos ? eol : eol - pos);
    pos = eol == std::string_view::npos ? go_mod.size() : eol + 1;
    if (!StartsWith(line, "module")) continue;
    line.remove_prefix(6);
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
    size_t end = line.find_first_of(" \t\r/");
    if (end != std::string_view::npos && line[end] == '/') end = line.find_first_of(" \t\r");
    line = line.substr(0, end);
    if (line.size() >= 2 && line.front() == '"' && line.back() == '"')
      line = line.substr(1, line.size() - 2);
    return std::string(line);
  }
  return "";
}

// Modules by each language's own notion: Python packages (folders with __init__.py, named
// from the first ancestor that is not a package, so a src/ layout maps to the import name),
// Go packages (folders of .go files, named under the go.mod module path), Java and Kotlin
// packages (as the sources declare them), Node packages (folders with a package.json);
// then one module per top-level folder for the code nothing else claimed.
void AddModules(const Scan& scan, v1::RepositoryMap& map) {
  std::map<std::string, v1::Module> modules;  // by name
  std::unordered_set<std::string> claimed;
  auto claim = [&](const std::string& name, std::string_view dir, std::string_view language,
                   const std::string& file) {
    v1::Module& m = modules[name];
    if (m.name().empty()) {
      m.set_name(name);
      m.set_path(std::string(dir));
      m.set_language(std::string(language));
    }
    m.add_files(file);
    claimed.insert(file);
  };

  std::unordered_set<std::string> package_dirs;
  for (const v1::FileEntry& e : map.files())
    if (e.language() == "python" && PathBaseName(e.path()) == "__init__.py")
      package_dirs.insert(std::string(PathDirName(e.path())));
  std::unordered_map<std::string, std::string> dir_to_package;
  for (const std::string& dir : package_dirs) {
    if (dir.empty()) continue;  // __init__.py at the root is not an importable package
    std::string_view root = dir;
    while (true) {
      std::string_view parent = PathDirName(root);
      root = parent;
      if (parent.empty() || !package_dirs.contains(std::string(parent))) break;
    }
    std::string dotted = dir.substr(root.empty() ? 0 : root.size() + 1);
    std::replace(dotted.begin(), dotted.end(), '/', '.');
    dir_to_package.emplace(dir, std::move(dotted));
  }
  std::unordered_set<std::string> node_dirs;
  for (const v1::FileEntry& e : map.files())
    if (PathBaseName(e.path()) == "package.json" && !e.vendored() && e.path() != "package.json")
      node_dirs.insert(std::string(PathDirName(e.path())));

  for (const v1::FileEntry& e : map.files()) {
    const std::string& lang = e.language();
    if (!IsCodeLanguage(lang)) continue;
    std::string dir(PathDirName(e.path()));
    if (lang == "python") {
      auto it = dir_to_package.find(dir);
      if (it != dir_to_package.end()) claim(it->second, dir, lang, e.path());
    } else if (lang == "go" && !EndsWith(e.path(), "_test.go")) {
      std::string name = map.go_module().empty() ? (dir.empty() ? "." : dir)
                         : dir.empty()           ? map.go_module()
                                                 : fmt::format("{}/{}", map.go_module(), dir);
      claim(name, dir, lang, e.path());
    } else if (lang == "java" || lang == "kotlin") {
      auto it = scan.java_packages.find(dir);
      if (it != scan.java_packages.end()) claim(it->second, dir, lang, e.path());
    } else if (lang == "javascript" || lang == "typescript") {
      for (std::string_view d = dir; !d.empty(); d = PathDirName(d))
        if (node_dirs.contains(std::string(d))) {
          claim(std::string(d), d, lang, e.path());
          break;
        }
    }
  }
  // Top-level folders with code no module above claimed: one module per folder, named after
  // it, in the language most of its files have.
  std::map<std::string, std::pair<std::vector<std::string>, std::map<std::string, int>>> folders;
  for (const v1::FileEntry& e : map.files()) {
    size_t slash = e.path().find('/');
    if (slash == std::string::npos || !IsCodeLanguage(e.language()) || claimed.contains(e.path()))
      continue;
    auto& folder = folders[e.path().substr(0, slash)];
    folder.first.push_back(e.path());
    ++folder.second[e.language()];
  }
  for (auto& [name, folder] : folders) {
    if (modules.contains(name)) continue;  // a package of that name already holds it
    auto best = std::max_element(folder.second.begin(), folder.second.end(),
                                 [](const auto& a, const auto& b) { return a.second < b.second; });
    v1::Module& m = modules[name];
    m.set_name(name);
    m.set_path(name);
    m.set_language(best->first);
    for (std::string& p : folder.first) m.add_files(std::move(p));
  }
  for (auto& [name, m] : modules) *map.add_modules() = std::move(m);
}

// Test folders, the naming convention, and the build and test systems with their commands.
void AddTestsAndBuildSystems(Scan& scan, v1::RepositoryMap& map) {
  std::set<std::string> test_dirs;
  size_t py_prefix_tests = 0, py_suffix_tests = 0, cpp_cc_tests = 0, cpp_cpp_tests = 0;
  std::string first_python_test;
  std::unordered_set<std::string> paths;
  for (const v1::FileEntry& e : map.files()) {
    paths.insert(e.path());
    if (e.language().empty() || !IsTestFile(e.path())) continue;
    std::string_view name = PathBaseName(e.path());
    std::string dir(PathDirName(e.path()));
    test_dirs.insert(dir.empty() ? "." : dir);
    if (e.language() == "python") {
      if (first_python_test.empty()) first_python_test = e.path();
      (StartsWith(name, "test_") ? py_prefix_tests : py_suffix_tests)++;
    }
    if (EndsWith(name, ".cc")) ++cpp_cc_tests;
    if (EndsWith(name, ".cpp")) ++cpp_cpp_tests;
  }
  for (const std::string& d : test_dirs) map.add_test_dirs(d);

  auto has = [&](std::string_view p) { return paths.contains(std::string(p)); };
  auto text = [&](std::string_view p) {
    auto it = scan.root_manifests.find(std::string(p));
    return it == scan.root_manifests.end() ? std::string() : it->second;
  };
  {
    std::string manifest;
    for (std::string_view m :
         {"pyproject.toml", "setup.py", "setup.cfg", "pytest.ini", "tox.ini", "noxfile.py"})
      if (has(m)) {
        manifest = std::string(m);
        break;
      }
    if (manifest.empty()) manifest = first_python_test;
    if (!manifest.empty())
      *map.add_build_systems() = MakeBuildSystem("pytest", manifest, "", "python3 -m pytest -q");
    if (has("tox.ini")) *map.add_build_systems() = MakeBuildSystem("tox", "tox.ini", "", "tox");
    if (has("noxfile.py"))
      *map.add_build_systems() = MakeBuildSystem("nox", "noxfile.py", "", "nox");
  }
  if (has("CMakeLists.txt"))
    *map.add_build_systems() = MakeBuildSystem(
        "cmake", "CMakeLists.txt", "cmake -S . -B build -G Ninja && cmake --build build",
        "ctest --test-dir build --output-on-failure");
  else if (has("meson.build"))
    *map.add_build_systems() = MakeBuildSystem("meson", "meson.build",
                                               "meson setup build && meson compile -C build",
                                               "meson test -C build");
  if (has("Makefile")) {
    std::string makefile = text("Makefile");
    bool test_target = makefile.find("\ntest:") != std::string::npos ||
                       StartsWith(makefile, "test:") ||
                       makefile.find("\ncheck:") != std::string::npos;
    *map.add_build_systems() = MakeBuildSystem(
        "make", "Makefile", "make",
        test_target ? (makefile.find("\ncheck:") != std::string::npos &&
                               makefile.find("\ntest:") == std::string::npos
                           ? "make check"
                           : "make test")
                    : "");
  }
  if (has("go.mod")) {
    map.set_go_module(GoModulePath(text("go.mod")));
    *map.add_build_systems() = MakeBuildSystem("go", "go.mod", "go build ./...", "go test ./...");
  }
  if (has("package.json")) {
    std::string_view manager = has("pnpm-lock.yaml") ? "pnpm" : has("yarn.lock") ? "yarn" : "npm";
    std::string install = manager != "npm"           ? fmt::format("{} install", manager)
                          : has("package-lock.json") ? "npm ci"
                                                     : "npm install";
    *map.add_build_systems() =
        NodeBuildSystem(text("package.json"), manager, std::move(install), scan.entry_points);
  }
  if (has("Cargo.toml"))
    *map.add_build_systems() = MakeBuildSystem("cargo", "Cargo.toml", "cargo build", "cargo test");
  if (has("pom.xml")) {
    std::string mvn = has("mvnw") ? "./mvnw" : "mvn";
    *map.add_build_systems() = MakeBuildSystem("maven", "pom.xml", fmt::format("{} -q package -DskipTests", mvn),
                                               fmt::format("{} -q test", mvn));
  }
  for (std::string_view g : {"build.gradle", "build.gradle.kts"})
    if (has(g)) {
      std::string gradle = has("gradlew") ? "./gradlew" : "gradle";
      *map.add_build_systems() = MakeBuildSystem(
          "gradle", std::string(g), fmt::format("{} build -x test", gradle),
          fmt::format("{} test", gradle));
      break;
    }
  for (std::string_view want : BuildSystemsFor(map.primary_language()))
    for (const v1::BuildSystem& b : map.build_systems())
      if (map.test_command().empty() && b.name() == want) map.set_test_command(b.test_command());
  for (const v1::BuildSystem& b : map.build_systems())
    if (map.test_command().empty()) map.set_test_command(b.test_command());

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

  std::sort(scan.entry_points.begin(), scan.entry_points.end());
  scan.entry_points.erase(std::unique(scan.entry_points.begin(), scan.entry_points.end()),
                          scan.entry_points.end());
  for (const std::string& p : scan.entry_points) map.add_entry_points(p);
}

// The symbols a file defines, the one enclosing `line` first, then in order; at most `max`.
// Names carry their class scope ("Store.SaveOrder") but not the package or namespace, which
// the file's path already says.
std::vector<std::string> SiteSymbols(const std::vector<code::Symbol>& tags, uint32_t line,
                                     size_t max) {
  static const auto* kinds = new std::unordered_set<std::string_view>{
      "function", "method", "member", "class", "struct", "interface", "func", "type",
      "implementation", "trait", "enum", "object", "prototype"};
  std::unordered_set<std::string_view> namespaces;
  for (const code::Symbol& t : tags)
    if (t.kind == "package" || t.kind == "namespace" || t.kind == "module") namespaces.insert(t.name);
  auto name = [&](const code::Symbol& s) {
    std::string out;
    std::string_view scope = s.scope;
    while (!scope.empty()) {
      size_t sep = scope.find_first_of(".:");
      std::string_view part = scope.substr(0, sep);
      if (!part.empty() && !namespaces.contains(part)) out += fmt::format("{}.", part);
      if (sep == std::string_view::npos) break;
      scope.remove_prefix(sep + 1);
    }
    return out + s.name;
  };
  std::vector<const code::Symbol*> defs;
  for (const code::Symbol& t : tags)
    if (kinds->contains(t.kind)) defs.push_back(&t);
  const code::Symbol* enclosing = nullptr;
  for (const code::Symbol* d : defs)
    if (d->line <= line && (enclosing == nullptr || d->line > enclosing->line)) enclosing = d;
  std::vector<std::string> out;
  if (enclosing != nullptr) out.push_back(name(*enclosing));
  for (const code::Symbol* d : defs) {
    if (out.size() >= max) break;
    std::string n = name(*d);
    if (std::find(out.begin(), out.end(), n) == out.end()) out.push_back(std::move(n));
  }
  return out;
}

// Integration surfaces: one per (kind, library), with every file using it and, through
// ctags, the symbols those files define.
void AddIntegrations(Scan& scan, const MapOptions& options, v1::RepositoryMap& map) {
  if (scan.sites.empty()) return;
  std::unique_ptr<code::SymbolIndexer> ctags;
  if (options.index_integration_symbols) {
    auto started = code::SymbolIndexer::Start(options.ctags);
    if (started.ok())
      ctags = std::move(*started);
    else
      map.add_warnings(fmt::format("integration sites listed without their symbols: {}",
                                   std::string(started.status().message())));
  }
  std::map<std::pair<std::string, std::string>, v1::IntegrationSurface> surfaces;
  size_t dropped = 0;
  for (Scan::Site& site : scan.sites) {
    std::vector<code::Symbol> tags;
    if (ctags != nullptr && !site.content.empty()) {
      auto t = ctags->Tags(site.path, site.content);
      if (t.ok()) tags = std::move(*t);
    }
    for (const code::IntegrationUse& use : site.uses) {
      v1::IntegrationSurface& s = surfaces[{use.kind, use.library}];
      s.set_kind(use.kind);
      s.set_library(use.library);
      if (s.sites_size() >= static_cast<int>(options.max_sites_per_integration)) {
        ++dropped;
        continue;
      }
      v1::IntegrationSite* out = s.add_sites();
      out->set_file(site.path);
      out->set_evidence(use.evidence);
      out->set_line(use.line);
      for (std::string& sym : SiteSymbols(tags, use.line, kMaxSymbolsPerSite))
        out->add_symbols(std::move(sym));
    }
    site.content.clear();
  }
  for (auto& [key, s] : surfaces) *map.add_integrations() = std::move(s);
  if (dropped > 0)
    map.add_warnings(fmt::format("{} integration sites beyond {} per library not listed", dropped,
                                 options.max_sites_per_integration));
}

void AddWarnings(const Scan& scan, const MapOptions& options, v1::RepositoryMap& map) {
  if (!scan.too_big.empty())
    map.add_warnings(fmt::format("{} files over {} bytes listed with their size, not read: {}",
                                 scan.too_big.size(), options.max_bytes_for_line_count,
                                 Examples(scan.too_big)));
  if (!scan.invalid_paths.empty())
    map.add_warnings(fmt::format(
        "{} paths are not valid UTF-8, listed with \\xNN escapes and not analysed: {}",
        scan.invalid_paths.size(), Examples(scan.invalid_paths)));
  if (!scan.binary_sources.empty())
    map.add_warnings(fmt::format("{} files named as source hold binary data, not analysed: {}",
                                 scan.binary_sources.size(), Examples(scan.binary_sources)));
  if (scan.symlinks > 0)
    map.add_warnings(fmt::format("{} symbolic links listed, not followed", scan.symlinks));
  for (const v1::DependencyManifest& m : map.manifests())
    if (!m.error().empty())
      map.add_warnings(fmt::format("manifest {} did not parse: {}", m.path(), m.error()));
  for (const v1::CiWorkflow& w : map.ci_workflows())
    if (!w.error().empty())
      map.add_warnings(fmt::format("CI file {} did not parse: {}", w.path(), w.error()));
}

}  // namespace

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
  if (listed->empty()) return map;

  Scan scan;
  if (auto st = ScanFiles(repo, commit, *listed, options, map, scan); !st.ok()) return st;
  listed->clear();
  AddLanguages(map);
  AddTestsAndBuildSystems(scan, map);  // also reads the go.mod module path
  AddModules(scan, map);
  AddIntegrations(scan, options, map);
  AddWarnings(scan, options, map);
  return map;
}

}  // namespace slipway::mapper
