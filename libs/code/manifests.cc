#include "libs/code/manifests.h"

#include <fmt/format.h>
#include <toml++/toml.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstddef>
#include <exception>
#include <nlohmann/json.hpp>
#include <optional>
#include <pugixml.hpp>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "libs/code/parse_text.h"
#include "libs/core/text.h"

namespace slipway::code {
namespace {

using parse::IsSpace;
using parse::IsVendoredDir;
using parse::PathComponents;
using parse::ShortError;
using parse::Trim;

// A generated or hostile manifest must not make the result unbounded.
constexpr std::size_t kMaxDependencies = 10000;
// Resolving `install_requires=NAME` searches the file for NAME; a few mentions are all a real
// setup.py has, and the bound keeps a pathological one linear.
constexpr int kMaxSetupPyOccurrences = 16;

// ---------------------------------------------------------------------------------------------
// Text helpers

bool IsAlnum(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsIdentStart(char c) { return std::isalpha(static_cast<unsigned char>(c)) != 0 || c == '_'; }
bool IsIdentChar(char c) { return IsAlnum(c) || c == '_'; }

std::string ToLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::vector<std::string_view> SplitLines(std::string_view text) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    std::size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.push_back(line);
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
  return lines;
}

std::vector<std::string_view> SplitWhitespace(std::string_view text) {
  std::vector<std::string_view> words;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && IsSpace(text[i])) ++i;
    std::size_t start = i;
    while (i < text.size() && !IsSpace(text[i])) ++i;
    if (i > start) words.push_back(text.substr(start, i - start));
  }
  return words;
}

// Removes a `#` comment that starts the line or follows whitespace, the rule pip and INI-like
// files share; a `#` glued to a word (`...#egg=name`) is data.
std::string_view StripHashComment(std::string_view line) {
  for (std::size_t i = 0; i < line.size(); ++i) {
    if (line[i] == '#' && (i == 0 || IsSpace(line[i - 1]))) return line.substr(0, i);
  }
  return line;
}

// ---------------------------------------------------------------------------------------------
// Which manifest a path is

enum class Kind {
  kRequirements,
  kPyproject,
  kSetupCfg,
  kSetupPy,
  kPipfile,
  kPackageJson,
  kGoMod,
  kCargo,
  kPom,
  kGradle,
  kCMake,
  kConan,
  kVcpkg,
};

std::optional<Kind> Classify(std::string_view path) {
  std::vector<std::string_view> parts = PathComponents(path);
  if (parts.empty()) return std::nullopt;
  for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
    if (IsVendoredDir(parts[i])) return std::nullopt;
  }
  std::string_view base = parts.back();
  std::string_view parent = parts.size() >= 2 ? parts[parts.size() - 2] : std::string_view();

  if (base == "pyproject.toml") return Kind::kPyproject;
  if (base == "setup.cfg") return Kind::kSetupCfg;
  if (base == "setup.py") return Kind::kSetupPy;
  if (base == "Pipfile") return Kind::kPipfile;
  if (base == "package.json") return Kind::kPackageJson;
  if (base == "go.mod") return Kind::kGoMod;
  if (base == "Cargo.toml") return Kind::kCargo;
  if (base == "pom.xml") return Kind::kPom;
  if (base == "build.gradle" || base == "build.gradle.kts") return Kind::kGradle;
  if (base == "CMakeLists.txt") return Kind::kCMake;
  if (base == "conanfile.txt") return Kind::kConan;
  if (base == "vcpkg.json") return Kind::kVcpkg;
  if (base.ends_with(".txt")) {
    // requirements.txt, requirements-dev.txt, test-requirements.txt, requirements/base.txt
    if (base.starts_with("requirements") || base.ends_with("requirements.txt") ||
        parent == "requirements") {
      return Kind::kRequirements;
    }
  }
  return std::nullopt;
}

std::string EcosystemOf(Kind kind) {
  switch (kind) {
    case Kind::kRequirements:
    case Kind::kPyproject:
    case Kind::kSetupCfg:
    case Kind::kSetupPy:
    case Kind::kPipfile:
      return "pypi";
    case Kind::kPackageJson:
      return "npm";
    case Kind::kGoMod:
      return "go";
    case Kind::kCargo:
      return "cargo";
    case Kind::kPom:
      return "maven";
    case Kind::kGradle:
      return "gradle";
    case Kind::kCMake:
      return "cmake";
    case Kind::kConan:
      return "conan";
    case Kind::kVcpkg:
      return "vcpkg";
  }
  return "";
}

// ---------------------------------------------------------------------------------------------
// Collecting dependencies: first (name, scope) wins, bounded.

class DependencySink {
 public:
  void Add(std::string_view name, std::string_view version, std::string_view scope) {
    std::string clean_name = SanitizeUtf8(Trim(name));
    if (clean_name.empty() || deps_.size() >= kMaxDependencies) return;
    if (!seen_.emplace(clean_name, std::string(scope)).second) return;
    deps_.push_back(
        Dependency{std::move(clean_name), SanitizeUtf8(Trim(version)), std::string(scope)});
  }
  std::vector<Dependency> Take() { return std::move(deps_); }

 private:
  std::set<std::pair<std::string, std::string>> seen_;
  std::vector<Dependency> deps_;
};

// ---------------------------------------------------------------------------------------------
// Python: PEP 508 requirement strings, shared by every Python manifest.

bool IsPythonNameChar(char c) { return IsAlnum(c) || c == '.' || c == '_' || c == '-'; }

struct Requirement {
  std::string name;
  std::string version;
};

// `name[extras] (specifiers) ; markers` or `name @ url`. Markers and extras say when and how a
// package is installed, not which one, so only the name and the specifier are kept.
std::optional<Requirement> ParsePep508(std::string_view text) {
  text = Trim(StripHashComment(text));
  if (text.empty() || !IsAlnum(text.front())) return std::nullopt;
  std::size_t end = 0;
  while (end < text.size() && IsPythonNameChar(text[end])) ++end;
  Requirement req{std::string(text.substr(0, end)), ""};
  std::string_view rest = Trim(text.substr(end));
  if (rest.starts_with('[')) {
    std::size_t close = rest.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    rest = Trim(rest.substr(close + 1));
  }
  if (rest.starts_with('@')) return req;  // a direct URL reference pins no version
  rest = Trim(rest.substr(0, rest.find(';')));
  if (rest.size() >= 2 && rest.front() == '(' && rest.back() == ')') {
    rest = Trim(rest.substr(1, rest.size() - 2));
  }
  if (!rest.empty() && rest.find_first_of("<>=!~") != 0) return std::nullopt;
  req.version = std::string(rest);
  return req;
}

// pip accepts `...#egg=name` on URLs and editable paths; that is the only name they carry.
std::string EggName(std::string_view spec) {
  std::size_t pos = spec.find("#egg=");
  if (pos == std::string_view::npos) return "";
  spec.remove_prefix(pos + 5);
  std::size_t end = 0;
  while (end < spec.size() && IsPythonNameChar(spec[end])) ++end;
  return std::string(spec.substr(0, end));
}

bool LooksLikeUrlOrPath(std::string_view spec) {
  return spec.find("://") != std::string_view::npos || spec.starts_with("git+") ||
         spec.starts_with("hg+") || spec.starts_with("svn+") || spec.starts_with("bzr+") ||
         spec.starts_with("file:") || spec.starts_with('.') || spec.starts_with('/') ||
         spec.starts_with('~');
}

// The scope a requirements file's own name implies: requirements-dev.txt, test-requirements.txt,
// requirements/tests.txt. Whole words only, so "latest" is not a test file.
std::string RequirementsScope(std::string_view path) {
  std::vector<std::string_view> parts = PathComponents(path);
  std::string base = parts.empty() ? "" : ToLower(parts.back());
  std::set<std::string> words;
  std::string word;
  for (char c : base) {
    if (IsAlnum(c)) {
      word.push_back(c);
    } else if (!word.empty()) {
      words.insert(word);
      word.clear();
    }
  }
  if (!word.empty()) words.insert(word);
  for (const char* dev : {"dev", "devel", "develop", "development"}) {
    if (words.contains(dev)) return "dev";
  }
  for (const char* test : {"test", "tests", "testing"}) {
    if (words.contains(test)) return "test";
  }
  return "runtime";
}

void ParseRequirementsTxt(std::string_view path, std::string_view content, DependencySink& out) {
  const std::string scope = RequirementsScope(path);
  // pip joins backslash-continued lines before it looks at comments.
  std::vector<std::string> logical;
  std::string pending;
  for (std::string_view line : SplitLines(content)) {
    if (!line.empty() && line.back() == '\\') {
      pending.append(line.substr(0, line.size() - 1));
      continue;
    }
    pending.append(line);
    logical.push_back(std::move(pending));
    pending.clear();
  }
  if (!pending.empty()) logical.push_back(std::move(pending));

  for (const std::string& raw : logical) {
    std::string_view line = Trim(StripHashComment(raw));
    if (line.empty()) continue;
    if (line.starts_with("-e") || line.starts_with("--editable")) {
      out.Add(EggName(line), "", scope);
      continue;
    }
    if (line.starts_with('-')) continue;  // -r/-c includes, index options: not packages
    // Per-requirement options such as --hash follow the requirement itself.
    for (std::string_view option : {" --", "\t--"}) {
      std::size_t pos = line.find(option);
      if (pos != std::string_view::npos) line = Trim(line.substr(0, pos));
    }
    std::string_view first_word = line.substr(0, line.find_first_of(" \t"));
    if (LooksLikeUrlOrPath(first_word)) {
      out.Add(EggName(first_word), "", scope);
      continue;
    }
    if (std::optional<Requirement> req = ParsePep508(line)) out.Add(req->name, req->version, scope);
  }
}

// ---------------------------------------------------------------------------------------------
// TOML manifests: pyproject.toml, Pipfile, Cargo.toml

std::string ParseToml(std::string_view content, toml::table& table) {
  try {
    table = toml::parse(content);
    return "";
  } catch (const toml::parse_error& e) {
    return ShortError(
        fmt::format("line {}: {}", e.source().begin.line, std::string_view(e.description())));
  }
}

// toml++ keeps keys sorted; dependencies are reported in the order the file lists them.
std::vector<std::pair<std::string, const toml::node*>> InFileOrder(const toml::table* table) {
  std::vector<std::pair<std::string, const toml::node*>> entries;
  if (table == nullptr) return entries;
  std::vector<std::pair<toml::source_position, std::size_t>> order;
  for (auto&& [key, node] : *table) {
    order.emplace_back(key.source().begin, entries.size());
    entries.emplace_back(std::string(key.str()), &node);
  }
  std::stable_sort(order.begin(), order.end(), [](const auto& a, const auto& b) {
    return std::pair(a.first.line, a.first.column) < std::pair(b.first.line, b.first.column);
  });
  std::vector<std::pair<std::string, const toml::node*>> sorted;
  sorted.reserve(entries.size());
  for (const auto& [position, index] : order) sorted.push_back(std::move(entries[index]));
  return sorted;
}

const toml::table* TableAt(const toml::node* node) {
  return node == nullptr ? nullptr : node->as_table();
}

const toml::table* TableAt(const toml::table* table, std::string_view key) {
  return table == nullptr ? nullptr : TableAt(table->get(key));
}

std::string StringAt(const toml::node* node) {
  if (node == nullptr || !node->is_string()) return "";
  return node->as_string()->get();
}

std::string StringAt(const toml::table* table, std::string_view key) {
  return table == nullptr ? "" : StringAt(table->get(key));
}

void AddPep508Array(const toml::node* node, std::string_view scope, DependencySink& out) {
  const toml::array* array = node == nullptr ? nullptr : node->as_array();
  if (array == nullptr) return;
  for (const toml::node& item : *array) {
    if (!item.is_string()) continue;  // e.g. {include-group = "..."} in dependency groups
    if (std::optional<Requirement> req = ParsePep508(item.as_string()->get())) {
      out.Add(req->name, req->version, scope);
    }
  }
}

// Poetry and Pipenv write `name = "constraint"` or `name = { version = "...", ... }`; a git or
// path dependency has no version. Poetry also allows a list of such tables (one per marker).
void AddNameVersionTable(const toml::table* table, std::string_view scope, DependencySink& out,
                         std::string_view skip = "") {
  for (const auto& [name, node] : InFileOrder(table)) {
    if (!skip.empty() && name == skip) continue;
    const toml::node* spec = node;
    if (const toml::array* alternatives = node->as_array();
        alternatives != nullptr && !alternatives->empty()) {
      spec = alternatives->get(0);
    }
    std::string version = StringAt(spec);
    std::string_view effective_scope = scope;
    if (const toml::table* details = TableAt(spec)) {
      version = StringAt(details, "version");
      const toml::node* optional = details->get("optional");
      if (optional != nullptr && optional->value_or(false)) effective_scope = "optional";
    }
    out.Add(name, version, effective_scope);
  }
}

void ParsePyproject(const toml::table& root, DependencySink& out) {
  if (const toml::table* project = TableAt(&root, "project")) {
    AddPep508Array(project->get("dependencies"), "runtime", out);
    for (const auto& [extra, node] : InFileOrder(TableAt(project, "optional-dependencies"))) {
      AddPep508Array(node, "optional", out);
    }
  }
  const toml::table* tool = TableAt(&root, "tool");
  if (const toml::table* poetry = TableAt(tool, "poetry")) {
    // "python" is the interpreter constraint, not a package.
    AddNameVersionTable(TableAt(poetry, "dependencies"), "runtime", out, "python");
    AddNameVersionTable(TableAt(poetry, "dev-dependencies"), "dev", out, "python");
    for (const auto& [group, node] : InFileOrder(TableAt(poetry, "group"))) {
      AddNameVersionTable(TableAt(TableAt(node), "dependencies"), "dev", out, "python");
    }
  }
  if (const toml::table* pdm = TableAt(tool, "pdm")) {
    for (const auto& [group, node] : InFileOrder(TableAt(pdm, "dev-dependencies"))) {
      AddPep508Array(node, "dev", out);
    }
  }
  for (const auto& [group, node] : InFileOrder(TableAt(&root, "dependency-groups"))) {
    AddPep508Array(node, "dev", out);
  }
  if (const toml::table* build = TableAt(&root, "build-system")) {
    AddPep508Array(build->get("requires"), "build", out);
  }
}

void ParsePipfile(const toml::table& root, DependencySink& out) {
  AddNameVersionTable(TableAt(&root, "packages"), "runtime", out);
  AddNameVersionTable(TableAt(&root, "dev-packages"), "dev", out);
}

void AddCargoSection(const toml::table* section, std::string_view scope, DependencySink& out) {
  for (const auto& [key, node] : InFileOrder(section)) {
    std::string name = key;
    std::string version = StringAt(node);
    if (const toml::table* details = TableAt(node)) {
      // `alias = { package = "real-name", ... }`: the crate is the package, not the alias.
      if (std::string package = StringAt(details, "package"); !package.empty()) name = package;
      version = StringAt(details, "version");
    }
    out.Add(name, version, scope);
  }
}

void AddCargoSections(const toml::table* table, DependencySink& out) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 5> kSections = {{
      {"dependencies", "runtime"},
      {"dev-dependencies", "dev"},
      {"dev_dependencies", "dev"},
      {"build-dependencies", "build"},
      {"build_dependencies", "build"},
  }};
  for (const auto& [section, scope] : kSections) {
    AddCargoSection(TableAt(table, section), scope, out);
  }
}

void ParseCargo(const toml::table& root, DependencySink& out) {
  AddCargoSections(&root, out);
  // [target.'cfg(unix)'.dependencies] and [target.x86_64-pc-windows-gnu.dependencies]
  for (const auto& [target, node] : InFileOrder(TableAt(&root, "target"))) {
    AddCargoSections(TableAt(node), out);
  }
  // A virtual workspace declares the versions its members share here; `members` are paths.
  AddCargoSection(TableAt(TableAt(&root, "workspace"), "dependencies"), "runtime", out);
}

// ---------------------------------------------------------------------------------------------
// setup.cfg: INI read by hand, following configparser's rules that matter here.

struct IniEntry {
  std::string section;
  std::string key;
  std::string value;  // continuation lines joined with '\n'
};

std::vector<IniEntry> ParseIni(std::string_view content) {
  std::vector<IniEntry> entries;
  std::string section;
  bool in_entry = false;
  for (std::string_view line : SplitLines(content)) {
    std::string_view trimmed = Trim(line);
    if (trimmed.empty() || trimmed.starts_with('#') || trimmed.starts_with(';')) continue;
    bool indented = IsSpace(line.front());
    if (indented && in_entry) {
      entries.back().value.append("\n").append(trimmed);
      continue;
    }
    if (trimmed.starts_with('[')) {
      std::size_t close = trimmed.find(']');
      section = std::string(Trim(
          trimmed.substr(1, close == std::string_view::npos ? std::string_view::npos : close - 1)));
      in_entry = false;
      continue;
    }
    std::size_t sep = trimmed.find_first_of("=:");
    if (sep == std::string_view::npos) {
      in_entry = false;
      continue;
    }
    entries.push_back(IniEntry{section, ToLower(Trim(trimmed.substr(0, sep))),
                               std::string(Trim(trimmed.substr(sep + 1)))});
    in_entry = true;
  }
  return entries;
}

// setuptools reads a requirement list as one per line when the value spans lines, otherwise as
// `;`-separated; that is why markers only work in the multi-line form.
void AddSetupCfgList(std::string_view value, std::string_view scope, DependencySink& out) {
  if (value.starts_with("file:")) return;  // points at another file
  const char separator = value.find('\n') != std::string_view::npos ? '\n' : ';';
  std::size_t start = 0;
  while (start <= value.size()) {
    std::size_t end = value.find(separator, start);
    if (end == std::string_view::npos) end = value.size();
    std::string_view item = Trim(value.substr(start, end - start));
    if (!item.empty() && !item.starts_with('#')) {
      if (std::optional<Requirement> req = ParsePep508(item)) {
        out.Add(req->name, req->version, scope);
      }
    }
    start = end + 1;
  }
}

void ParseSetupCfg(std::string_view content, DependencySink& out) {
  for (const IniEntry& entry : ParseIni(content)) {
    if (entry.section == "options") {
      if (entry.key == "install_requires") AddSetupCfgList(entry.value, "runtime", out);
      if (entry.key == "tests_require") AddSetupCfgList(entry.value, "test", out);
      if (entry.key == "setup_requires") AddSetupCfgList(entry.value, "build", out);
    } else if (entry.section == "options.extras_require") {
      AddSetupCfgList(entry.value, "optional", out);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// setup.py: no Python is run; the requirement lists are read from the literal source.

struct PyToken {
  enum class Type { kName, kString, kPunct };
  Type type;
  std::string text;  // a string's contents without quotes
};

std::vector<PyToken> TokenizePython(std::string_view src) {
  std::vector<PyToken> tokens;
  std::size_t i = 0;
  while (i < src.size()) {
    char c = src[i];
    if (IsSpace(c) || c == '\\') {
      ++i;
    } else if (c == '#') {
      while (i < src.size() && src[i] != '\n') ++i;
    } else if (c == '\'' || c == '"') {
      const bool triple = src.substr(i, 3) == std::string(3, c);
      const std::size_t quote_len = triple ? 3 : 1;
      const std::string_view closing = src.substr(i, quote_len);
      std::string text;
      i += quote_len;
      while (i < src.size()) {
        if (src[i] == '\\' && i + 1 < src.size()) {
          text.push_back(src[i + 1]);
          i += 2;
        } else if (src.substr(i, quote_len) == closing) {
          i += quote_len;
          break;
        } else if (!triple && src[i] == '\n') {
          break;  // unterminated single-line string
        } else {
          text.push_back(src[i++]);
        }
      }
      tokens.push_back({PyToken::Type::kString, std::move(text)});
    } else if (IsIdentStart(c)) {
      std::size_t start = i;
      while (i < src.size() && IsIdentChar(src[i])) ++i;
      std::string_view word = src.substr(start, i - start);
      // String prefixes (r"", b'', f"", rb"") belong to the string that follows.
      const bool prefix = word.size() <= 2 && i < src.size() && (src[i] == '"' || src[i] == '\'') &&
                          word.find_first_not_of("rRbBuUfF") == std::string_view::npos;
      if (!prefix) tokens.push_back({PyToken::Type::kName, std::string(word)});
    } else {
      tokens.push_back({PyToken::Type::kPunct, std::string(1, c)});
      ++i;
    }
  }
  return tokens;
}

bool IsPunct(const std::vector<PyToken>& tokens, std::size_t i, char c) {
  return i < tokens.size() && tokens[i].type == PyToken::Type::kPunct && tokens[i].text[0] == c;
}

bool IsOpen(char c) { return c == '[' || c == '(' || c == '{'; }
bool IsClose(char c) { return c == ']' || c == ')' || c == '}'; }

// The string literals directly inside the bracketed literal opening at `open` (a list or tuple),
// or, for a dict, the values: strings after ':' and the strings of list values.
void CollectLiteralStrings(const std::vector<PyToken>& tokens, std::size_t open,
                           std::vector<std::string>& strings) {
  const bool dict = IsPunct(tokens, open, '{');
  int depth = 0;
  for (std::size_t i = open; i < tokens.size(); ++i) {
    const PyToken& token = tokens[i];
    if (token.type == PyToken::Type::kPunct) {
      if (IsOpen(token.text[0])) ++depth;
      if (IsClose(token.text[0]) && --depth == 0) return;
      continue;
    }
    if (token.type != PyToken::Type::kString) continue;
    if (!dict && depth == 1) strings.push_back(token.text);
    if (dict && ((depth == 1 && IsPunct(tokens, i - 1, ':')) || depth == 2)) {
      strings.push_back(token.text);
    }
  }
}

// `keyword = [...]`, `"keyword": [...]`, or `keyword = NAME` where `NAME = [...]` is assigned
// somewhere in the file.
std::vector<std::string> SetupPyList(const std::vector<PyToken>& tokens, std::string_view keyword) {
  std::vector<std::string> strings;
  int occurrences = 0;
  for (std::size_t i = 0; i + 2 < tokens.size() && occurrences < kMaxSetupPyOccurrences; ++i) {
    const PyToken& token = tokens[i];
    if (token.type == PyToken::Type::kPunct || token.text != keyword) continue;
    if (!IsPunct(tokens, i + 1, '=') && !IsPunct(tokens, i + 1, ':')) continue;
    if (IsPunct(tokens, i + 2, '=')) continue;  // a comparison, not an assignment
    ++occurrences;
    std::size_t value = i + 2;
    if (tokens[value].type == PyToken::Type::kName) {
      const std::string& variable = tokens[value].text;
      for (std::size_t j = 0; j + 2 < tokens.size(); ++j) {
        if (tokens[j].type == PyToken::Type::kName && tokens[j].text == variable &&
            IsPunct(tokens, j + 1, '=') && !IsPunct(tokens, j + 2, '=') &&
            tokens[j + 2].type == PyToken::Type::kPunct && IsOpen(tokens[j + 2].text[0])) {
          CollectLiteralStrings(tokens, j + 2, strings);
          break;
        }
      }
    } else if (tokens[value].type == PyToken::Type::kPunct && IsOpen(tokens[value].text[0])) {
      CollectLiteralStrings(tokens, value, strings);
    }
  }
  return strings;
}

void ParseSetupPy(std::string_view content, DependencySink& out) {
  const std::vector<PyToken> tokens = TokenizePython(content);
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 4> kLists = {{
      {"install_requires", "runtime"},
      {"setup_requires", "build"},
      {"tests_require", "test"},
      {"extras_require", "optional"},
  }};
  for (const auto& [keyword, scope] : kLists) {
    for (const std::string& text : SetupPyList(tokens, keyword)) {
      if (std::optional<Requirement> req = ParsePep508(text)) {
        out.Add(req->name, req->version, scope);
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// JSON manifests: package.json, vcpkg.json

using OrderedJson = nlohmann::ordered_json;

// Parsing without exceptions discards the message; a SAX pass that ignores everything but the
// error recovers it, still without throwing.
class JsonErrorCatcher : public nlohmann::json_sax<OrderedJson> {
 public:
  bool null() override { return true; }
  bool boolean(bool) override { return true; }
  bool number_integer(number_integer_t) override { return true; }
  bool number_unsigned(number_unsigned_t) override { return true; }
  bool number_float(number_float_t, const string_t&) override { return true; }
  bool string(string_t&) override { return true; }
  bool binary(binary_t&) override { return true; }
  bool start_object(std::size_t) override { return true; }
  bool key(string_t&) override { return true; }
  bool end_object() override { return true; }
  bool start_array(std::size_t) override { return true; }
  bool end_array() override { return true; }
  bool parse_error(std::size_t, const std::string&,
                   const nlohmann::detail::exception& error) override {
    message_ = error.what();
    return false;
  }
  const std::string& message() const { return message_; }

 private:
  std::string message_;
};

std::string ParseJson(std::string_view content, OrderedJson& json) {
  json = OrderedJson::parse(content, nullptr, /*allow_exceptions=*/false);
  if (!json.is_discarded()) {
    return json.is_object() ? "" : "top level is not a JSON object";
  }
  JsonErrorCatcher catcher;
  OrderedJson::sax_parse(content, &catcher);
  return ShortError(catcher.message().empty() ? "invalid JSON" : catcher.message());
}

void ParsePackageJson(const OrderedJson& root, DependencySink& out) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 4> kSections = {{
      {"dependencies", "runtime"},
      {"devDependencies", "dev"},
      {"peerDependencies", "optional"},
      {"optionalDependencies", "optional"},
  }};
  for (const auto& [section, scope] : kSections) {
    auto it = root.find(section);
    if (it == root.end() || !it->is_object()) continue;
    for (const auto& [name, version] : it->items()) {
      out.Add(name, version.is_string() ? version.get_ref<const std::string&>() : "", scope);
    }
  }
}

void ParseVcpkg(const OrderedJson& root, DependencySink& out) {
  auto deps = root.find("dependencies");
  if (deps == root.end() || !deps->is_array()) return;
  for (const OrderedJson& dep : *deps) {
    if (dep.is_string()) {
      out.Add(dep.get_ref<const std::string&>(), "", "runtime");
      continue;
    }
    if (!dep.is_object()) continue;
    auto name = dep.find("name");
    if (name == dep.end() || !name->is_string()) continue;
    auto version = dep.find("version>=");
    auto host = dep.find("host");
    // Host dependencies are tools run during the build (for example code generators).
    const bool is_host = host != dep.end() && host->is_boolean() && host->get<bool>();
    out.Add(name->get_ref<const std::string&>(),
            version != dep.end() && version->is_string() ? version->get_ref<const std::string&>()
                                                         : std::string(),
            is_host ? "build" : "runtime");
  }
}

// ---------------------------------------------------------------------------------------------
// go.mod

std::string_view Unquote(std::string_view s) {
  if (s.size() >= 2 && (s.front() == '"' || s.front() == '`') && s.back() == s.front()) {
    return s.substr(1, s.size() - 2);
  }
  return s;
}

void ParseGoMod(std::string_view content, DependencySink& out) {
  enum class Block { kNone, kRequire, kOther };
  Block block = Block::kNone;
  for (std::string_view line : SplitLines(content)) {
    // `// indirect` marks a transitive requirement; it is still a requirement of the module.
    std::string_view code = Trim(line.substr(0, line.find("//")));
    if (code.empty()) continue;
    if (block != Block::kNone) {
      if (code.starts_with(')')) {
        block = Block::kNone;
      } else if (block == Block::kRequire) {
        std::vector<std::string_view> words = SplitWhitespace(code);
        out.Add(Unquote(words[0]), words.size() > 1 ? words[1] : "", "runtime");
      }
      continue;
    }
    std::size_t end = 0;
    while (end < code.size() && IsIdentChar(code[end])) ++end;
    std::string_view verb = code.substr(0, end);
    std::string_view rest = Trim(code.substr(end));
    if (rest.starts_with('(')) {
      block = verb == "require" ? Block::kRequire : Block::kOther;
      continue;
    }
    if (verb != "require") continue;  // module, go, toolchain, replace, exclude, retract
    std::vector<std::string_view> words = SplitWhitespace(rest);
    if (!words.empty()) out.Add(Unquote(words[0]), words.size() > 1 ? words[1] : "", "runtime");
  }
}

// ---------------------------------------------------------------------------------------------
// pom.xml

void ParsePom(const pugi::xml_document& doc, DependencySink& out) {
  // Only the project's own dependencies: dependencyManagement pins versions without depending,
  // and plugin dependencies belong to the build tool.
  pugi::xml_node deps = doc.child("project").child("dependencies");
  for (pugi::xml_node dep : deps.children("dependency")) {
    std::string_view group = Trim(dep.child_value("groupId"));
    std::string_view artifact = Trim(dep.child_value("artifactId"));
    if (artifact.empty()) continue;
    std::string scope = ToLower(Trim(dep.child_value("scope")));
    std::string_view our_scope = scope == "test"       ? "test"
                                 : scope == "provided" ? "build"
                                                       : "runtime";
    out.Add(fmt::format("{}:{}", group, artifact), dep.child_value("version"), our_scope);
  }
}

// ---------------------------------------------------------------------------------------------
// Gradle (Groovy and Kotlin DSL): dependency declarations found by scanning tokens.

struct GradleToken {
  enum class Type { kName, kString, kPunct, kNewline };
  Type type;
  std::string text;
};

std::vector<GradleToken> TokenizeGradle(std::string_view src) {
  std::vector<GradleToken> tokens;
  std::size_t i = 0;
  while (i < src.size()) {
    char c = src[i];
    if (c == '\n') {
      tokens.push_back({GradleToken::Type::kNewline, ""});
      ++i;
    } else if (IsSpace(c)) {
      ++i;
    } else if (src.substr(i, 2) == "//") {
      while (i < src.size() && src[i] != '\n') ++i;
    } else if (src.substr(i, 2) == "/*") {
      std::size_t end = src.find("*/", i + 2);
      i = end == std::string_view::npos ? src.size() : end + 2;
    } else if (c == '\'' || c == '"') {
      const bool triple = src.substr(i, 3) == std::string(3, c);
      const std::size_t quote_len = triple ? 3 : 1;
      const std::string closing(quote_len, c);
      std::size_t start = i + quote_len;
      std::size_t j = start;
      while (j < src.size() && src.substr(j, quote_len) != closing) {
        if (!triple && src[j] == '\n') break;
        j += src[j] == '\\' ? 2 : 1;
      }
      j = std::min(j, src.size());
      tokens.push_back({GradleToken::Type::kString, std::string(src.substr(start, j - start))});
      i = std::min(src.size(), j + quote_len);
    } else if (IsIdentStart(c)) {
      std::size_t start = i;
      while (i < src.size() && IsIdentChar(src[i])) ++i;
      tokens.push_back({GradleToken::Type::kName, std::string(src.substr(start, i - start))});
    } else {
      tokens.push_back({GradleToken::Type::kPunct, std::string(1, c)});
      ++i;
    }
  }
  return tokens;
}

// The configuration a declaration belongs to, by its base name: `implementation`,
// `testImplementation`, `androidTestImplementation`, `kaptTest`, ...
std::optional<std::string> GradleScope(std::string_view name) {
  static constexpr std::array<std::string_view, 12> kBases = {"implementation",
                                                              "api",
                                                              "compileOnly",
                                                              "runtimeOnly",
                                                              "annotationProcessor",
                                                              "kapt",
                                                              "ksp",
                                                              "compile",
                                                              "runtime",
                                                              "classpath",
                                                              "compileOnlyApi",
                                                              "developmentOnly"};
  std::optional<std::string_view> base;
  for (std::string_view candidate : kBases) {
    if (name == candidate) {
      base = candidate;
      break;
    }
    // Variant prefixed form: testImplementation, debugApi.
    std::string capitalized(candidate);
    capitalized[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(capitalized[0])));
    if (name.size() > capitalized.size() && name.ends_with(capitalized) &&
        std::islower(static_cast<unsigned char>(name[0]))) {
      base = candidate;
      break;
    }
    // Suffixed form of annotation processors: kaptTest, kspAndroidTest.
    if ((candidate == "kapt" || candidate == "ksp") && name.size() > candidate.size() &&
        name.starts_with(candidate) &&
        std::isupper(static_cast<unsigned char>(name[candidate.size()]))) {
      base = candidate;
      break;
    }
  }
  if (!base) return std::nullopt;
  if (name.starts_with("test") || name.find("Test") != std::string_view::npos) return "test";
  if (*base == "compileOnly" || *base == "compileOnlyApi" || *base == "annotationProcessor" ||
      *base == "kapt" || *base == "ksp" || *base == "classpath") {
    return "build";
  }
  return "runtime";
}

// "group:artifact[:version[:classifier]][@ext]"; project(":core") and files() are not modules.
bool AddGradleCoordinate(std::string_view text, std::string_view scope, DependencySink& out) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= text.size(); ++i) {
    if (i == text.size() || text[i] == ':') {
      parts.push_back(text.substr(start, i - start));
      start = i + 1;
    }
  }
  if (parts.size() < 2 || parts.size() > 4 || parts[0].empty() || parts[1].empty()) return false;
  for (std::string_view part : parts) {
    if (part.find_first_of(" \t\n/") != std::string_view::npos) return false;
  }
  std::string_view artifact = parts[1].substr(0, parts[1].find('@'));
  std::string_view version = parts.size() > 2 ? parts[2].substr(0, parts[2].find('@')) : "";
  out.Add(fmt::format("{}:{}", parts[0], artifact), version, scope);
  return true;
}

void ParseGradle(std::string_view content, DependencySink& out) {
  using Type = GradleToken::Type;
  const std::vector<GradleToken> tokens = TokenizeGradle(content);
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    if (tokens[i].type != Type::kName) continue;
    if (i > 0 && tokens[i - 1].type == Type::kPunct && tokens[i - 1].text == ".") continue;
    std::optional<std::string> scope = GradleScope(tokens[i].text);
    if (!scope || i + 1 >= tokens.size()) continue;
    const GradleToken& next = tokens[i + 1];
    const bool parenthesized = next.type == Type::kPunct && next.text == "(";
    if (!parenthesized && next.type != Type::kString && next.type != Type::kName) continue;

    // The arguments: up to the matching ')' or, without parentheses, to the end of the line
    // (a trailing comma continues the list onto the next line).
    std::vector<const GradleToken*> args;
    int depth = 0;
    std::size_t j = i + 1;
    for (; j < tokens.size(); ++j) {
      const GradleToken& token = tokens[j];
      if (token.type == Type::kPunct && token.text == "(") ++depth;
      if (token.type == Type::kPunct && token.text == ")" && --depth <= 0 && parenthesized) break;
      if (token.type == Type::kPunct && token.text == "{" && depth == 0) break;
      // Without parentheses a statement also ends at `;` or at the close of its block.
      if (token.type == Type::kPunct && (token.text == ";" || token.text == "}") && depth <= 0 &&
          !parenthesized) {
        break;
      }
      if (token.type == Type::kNewline && depth <= 0 && !parenthesized) {
        if (args.empty() || args.back()->text != ",") break;
        continue;
      }
      if (token.type != Type::kNewline) args.push_back(&token);
    }
    bool found = false;
    for (const GradleToken* arg : args) {
      if (arg->type == Type::kString) found |= AddGradleCoordinate(arg->text, *scope, out);
    }
    if (!found) {
      // Map notation: group: 'g', name: 'a', version: 'v' (or `=` in Kotlin).
      std::string group, name, version;
      for (std::size_t k = 0; k + 2 < args.size(); ++k) {
        if (args[k]->type != Type::kName || args[k + 2]->type != Type::kString) continue;
        if (args[k + 1]->text != ":" && args[k + 1]->text != "=") continue;
        if (args[k]->text == "group") group = args[k + 2]->text;
        if (args[k]->text == "name") name = args[k + 2]->text;
        if (args[k]->text == "version") version = args[k + 2]->text;
      }
      if (!group.empty() && !name.empty()) {
        out.Add(fmt::format("{}:{}", group, name), version, *scope);
      }
    }
    i = j > i ? j - 1 : i;
  }
}

// ---------------------------------------------------------------------------------------------
// CMakeLists.txt: command invocations read with CMake's own lexical rules.

struct CMakeCommand {
  std::string name;  // lower case: CMake command names are case-insensitive
  std::vector<std::string> args;
};

// Length of a bracket opener `[==[` at `i`, or 0.
std::size_t BracketOpenLength(std::string_view src, std::size_t i) {
  if (i >= src.size() || src[i] != '[') return 0;
  std::size_t j = i + 1;
  while (j < src.size() && src[j] == '=') ++j;
  return j < src.size() && src[j] == '[' ? j - i + 1 : 0;
}

// Skips a bracket argument or comment whose opener at `i` is `open_len` long; returns its body.
std::string_view SkipBracket(std::string_view src, std::size_t& i, std::size_t open_len) {
  std::string closing = "]" + std::string(open_len - 2, '=') + "]";
  std::size_t start = i + open_len;
  std::size_t end = src.find(closing, start);
  if (end == std::string_view::npos) {
    i = src.size();
    return src.substr(start);
  }
  i = end + closing.size();
  return src.substr(start, end - start);
}

void SkipCMakeComment(std::string_view src, std::size_t& i) {
  if (std::size_t open = BracketOpenLength(src, i + 1)) {
    ++i;
    SkipBracket(src, i, open);
    return;
  }
  while (i < src.size() && src[i] != '\n') ++i;
}

std::vector<CMakeCommand> ParseCMakeCommands(std::string_view src) {
  std::vector<CMakeCommand> commands;
  std::size_t i = 0;
  while (i < src.size()) {
    char c = src[i];
    if (c == '#') {
      SkipCMakeComment(src, i);
      continue;
    }
    if (!IsIdentStart(c)) {
      ++i;
      continue;
    }
    std::size_t start = i;
    while (i < src.size() && IsIdentChar(src[i])) ++i;
    std::string name = ToLower(src.substr(start, i - start));
    while (i < src.size() && (src[i] == ' ' || src[i] == '\t')) ++i;
    if (i >= src.size() || src[i] != '(') continue;
    ++i;
    CMakeCommand command{std::move(name), {}};
    int depth = 1;
    while (i < src.size() && depth > 0) {
      c = src[i];
      if (IsSpace(c)) {
        ++i;
      } else if (c == '#') {
        SkipCMakeComment(src, i);
      } else if (c == '(') {
        ++depth;
        ++i;
      } else if (c == ')') {
        --depth;
        ++i;
      } else if (c == '"') {
        std::string arg;
        for (++i; i < src.size() && src[i] != '"'; ++i) {
          if (src[i] == '\\' && i + 1 < src.size()) ++i;
          arg.push_back(src[i]);
        }
        ++i;
        command.args.push_back(std::move(arg));
      } else if (std::size_t open = BracketOpenLength(src, i)) {
        command.args.emplace_back(SkipBracket(src, i, open));
      } else {
        std::size_t arg_start = i;
        while (i < src.size() && !IsSpace(src[i]) && src[i] != '(' && src[i] != ')') ++i;
        command.args.emplace_back(src.substr(arg_start, i - arg_start));
      }
    }
    commands.push_back(std::move(command));
  }
  return commands;
}

// "1.2", "3", "1.70.0", "3.1...3.5": a version, not a keyword such as REQUIRED or COMPONENTS.
bool IsVersionNumber(std::string_view s) {
  if (s.empty() || !IsDigit(s.front())) return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return IsDigit(c) || c == '.'; });
}

// `gh:fmtlib/fmt#7.1.3`, `gh:nlohmann/json@3.10.5`, `https://host/x/y.git@1.0`
void AddCpmShorthand(std::string_view spec, DependencySink& out) {
  std::size_t at = spec.find_last_of("@#");
  std::string_view version = at == std::string_view::npos ? "" : spec.substr(at + 1);
  std::string_view location = spec.substr(0, at);
  std::string_view name = location.substr(location.find_last_of("/:") + 1);
  if (name.ends_with(".git")) name.remove_suffix(4);
  out.Add(name, version, "runtime");
}

// Value after `keyword` in a keyword-style argument list, "" when absent.
std::string KeywordValue(const std::vector<std::string>& args, std::string_view keyword) {
  for (std::size_t i = 0; i + 1 < args.size(); ++i) {
    if (args[i] == keyword) return args[i + 1];
  }
  return "";
}

void AddPkgConfigModules(const std::vector<std::string>& args, DependencySink& out) {
  static constexpr std::array<std::string_view, 6> kOptions = {
      "REQUIRED",        "QUIET", "NO_CMAKE_PATH", "NO_CMAKE_ENVIRONMENT_PATH",
      "IMPORTED_TARGET", "GLOBAL"};
  // args[0] is the variable prefix; an operator written apart (`glib-2.0 >= 2.10`) is glued
  // back to its module.
  std::vector<std::string> specs;
  for (std::size_t i = 1; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg.empty() || std::find(kOptions.begin(), kOptions.end(), arg) != kOptions.end()) {
      continue;
    }
    const bool is_operator = !arg.empty() && arg.find_first_not_of("<>=") == std::string::npos;
    const bool after_operator =
        !specs.empty() && std::string_view("<>=").find(specs.back().back()) != std::string::npos;
    if (!specs.empty() && (is_operator || after_operator)) {
      specs.back() += arg;
      continue;
    }
    specs.push_back(arg);
  }
  for (const std::string& spec : specs) {
    std::size_t op = spec.find_first_of("<>=");
    out.Add(std::string_view(spec).substr(0, op),
            op == std::string::npos ? "" : std::string_view(spec).substr(op), "runtime");
  }
}

void ParseCMake(std::string_view content, DependencySink& out) {
  for (const CMakeCommand& command : ParseCMakeCommands(content)) {
    const std::vector<std::string>& args = command.args;
    if (args.empty()) continue;
    // A name computed from variables says nothing about what is found.
    const bool variable_name = args[0].find("${") != std::string::npos;
    if (command.name == "find_package" && !variable_name) {
      out.Add(args[0], args.size() > 1 && IsVersionNumber(args[1]) ? args[1] : "", "runtime");
    } else if (command.name == "pkg_check_modules" || command.name == "pkg_search_module") {
      AddPkgConfigModules(args, out);
    } else if (command.name == "fetchcontent_declare" && !variable_name) {
      out.Add(args[0], KeywordValue(args, "GIT_TAG"), "runtime");
    } else if (command.name == "cpmaddpackage" || command.name == "cpmfindpackage") {
      if (args[0] == "NAME") {
        std::string version = KeywordValue(args, "VERSION");
        if (version.empty()) version = KeywordValue(args, "GIT_TAG");
        out.Add(KeywordValue(args, "NAME"), version, "runtime");
      } else if (args.size() == 1) {
        AddCpmShorthand(args[0], out);
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// conanfile.txt

void ParseConanfile(std::string_view content, DependencySink& out) {
  std::string_view scope;
  for (std::string_view line : SplitLines(content)) {
    std::string_view trimmed = Trim(line);
    if (trimmed.empty() || trimmed.starts_with('#')) continue;
    if (trimmed.starts_with('[')) {
      std::string_view section = trimmed.substr(1, trimmed.find(']') - 1);
      scope = section == "requires"                                       ? "runtime"
              : section == "tool_requires" || section == "build_requires" ? "build"
              : section == "test_requires"                                ? "test"
                                                                          : "";
      continue;
    }
    if (scope.empty()) continue;
    // name/version[@user/channel][#revision]
    std::size_t slash = trimmed.find('/');
    std::string_view name = trimmed.substr(0, slash);
    std::string_view version = slash == std::string_view::npos ? "" : trimmed.substr(slash + 1);
    version = version.substr(0, version.find_first_of("@#"));
    out.Add(name, version, scope);
  }
}

// ---------------------------------------------------------------------------------------------

// Reads `content` as `kind`; returns why it did not parse, "" when it did.
std::string ParseInto(Kind kind, std::string_view path, std::string_view content,
                      DependencySink& out) {
  switch (kind) {
    case Kind::kRequirements:
      ParseRequirementsTxt(path, content, out);
      return "";
    case Kind::kSetupCfg:
      ParseSetupCfg(content, out);
      return "";
    case Kind::kSetupPy:
      ParseSetupPy(content, out);
      return "";
    case Kind::kGoMod:
      ParseGoMod(content, out);
      return "";
    case Kind::kGradle:
      ParseGradle(content, out);
      return "";
    case Kind::kCMake:
      ParseCMake(content, out);
      return "";
    case Kind::kConan:
      ParseConanfile(content, out);
      return "";
    case Kind::kPyproject:
    case Kind::kPipfile:
    case Kind::kCargo: {
      toml::table root;
      std::string error = ParseToml(content, root);
      if (!error.empty()) return error;
      if (kind == Kind::kPyproject) ParsePyproject(root, out);
      if (kind == Kind::kPipfile) ParsePipfile(root, out);
      if (kind == Kind::kCargo) ParseCargo(root, out);
      return "";
    }
    case Kind::kPackageJson:
    case Kind::kVcpkg: {
      OrderedJson root;
      std::string error = ParseJson(content, root);
      if (!error.empty()) return error;
      if (kind == Kind::kPackageJson) ParsePackageJson(root, out);
      if (kind == Kind::kVcpkg) ParseVcpkg(root, out);
      return "";
    }
    case Kind::kPom: {
      pugi::xml_document doc;
      pugi::xml_parse_result result = doc.load_buffer(content.data(), content.size());
      // pugixml keeps what it read before an error, so the dependencies seen so far count.
      ParsePom(doc, out);
      if (!result) {
        return ShortError(fmt::format("{} at offset {}", result.description(), result.offset));
      }
      if (!doc.child("project")) return "no <project> root element";
      return "";
    }
  }
  return "";
}

}  // namespace

bool IsManifestPath(std::string_view path) { return Classify(path).has_value(); }

std::optional<Manifest> ParseManifest(std::string_view path, std::string_view content) {
  try {
    std::optional<Kind> kind = Classify(path);
    if (!kind) return std::nullopt;
    if (content.starts_with("\xEF\xBB\xBF")) content.remove_prefix(3);  // UTF-8 byte order mark
    Manifest manifest;
    manifest.path = std::string(path);
    manifest.ecosystem = EcosystemOf(*kind);
    DependencySink sink;
    try {
      manifest.error = ParseInto(*kind, path, content, sink);
    } catch (const std::exception& e) {
      manifest.error = ShortError(e.what());
    }
    manifest.dependencies = sink.Take();
    return manifest;
  } catch (...) {
    // Only allocation can fail out here; the caller still learns which file it was, if memory
    // allows even that.
    try {
      Manifest manifest;
      manifest.path = std::string(path);
      manifest.error = "out of memory while reading the manifest";
      return manifest;
    } catch (...) {
      return std::nullopt;
    }
  }
}

}  // namespace slipway::code
