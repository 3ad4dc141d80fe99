#include "services/analyzer/analyzer.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <functional>
#include <mutex>
#include <map>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "libs/code/imports.h"
#include "libs/code/integrations.h"
#include "libs/code/symbols.h"
#include "libs/core/text.h"
#include "services/mapper/mapper.h"

namespace slipway::analyzer {
namespace {

// Sources larger than this are not read: generated tables, data dumps, minified bundles.
constexpr uint64_t kMaxAnalyzedBytes = 1 << 20;
constexpr int kMaxIntegrationPoints = 5;
constexpr int kMaxImports = 2;

// Weights of the relevance score; hints dominate, words in the file only break ties.
constexpr double kHintExact = 10.0;
constexpr double kHintParent = 8.0;
constexpr double kHintInside = 6.0;
constexpr double kPathWord = 2.0;
constexpr double kSymbolWord = 1.5;
constexpr double kMaxWeak = 2.0;
constexpr double kKindMatch = 3.0;  // the file already does what the recommendation asks for
constexpr double kMaxImported = 0.5;  // many importers: an established place, a tie-breaker

using slipway::PathBaseName;
using slipway::PathDirName;

std::string_view StripExtension(std::string_view path) {
  size_t dot = path.rfind('.');
  size_t slash = path.rfind('/');
  if (dot == std::string_view::npos || (slash != std::string_view::npos && dot < slash))
    return path;
  return path.substr(0, dot);
}

std::string_view Extension(std::string_view path) {
  std::string_view stem = StripExtension(path);
  return path.substr(stem.size());
}

bool StartsWith(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

std::string JoinPath(std::string_view dir, std::string_view name) {
  return dir.empty() ? std::string(name) : fmt::format("{}/{}", dir, name);
}

std::string Join(const std::vector<std::string>& parts, std::string_view sep) {
  std::string out;
  for (const std::string& p : parts) {
    if (!out.empty()) out += sep;
    out += p;
  }
  return out;
}

const std::unordered_set<std::string_view>& Stopwords() {
  static const auto* set = new std::unordered_set<std::string_view>{
      "the",     "and",    "for",     "with",    "that",    "this",     "these",     "those",
      "from",    "into",   "onto",    "when",    "then",    "than",     "should",    "would",
      "could",   "will",   "shall",   "can",     "may",     "might",    "must",      "are",
      "was",     "were",   "been",    "being",   "have",    "has",      "had",       "not",
      "but",     "all",    "any",     "each",    "every",   "per",      "its",       "our",
      "their",   "them",   "they",    "there",   "here",    "which",    "what",      "who",
      "whom",    "whose",  "where",   "why",     "how",     "also",     "more",      "most",
      "some",    "such",   "only",    "other",   "own",     "same",     "very",      "just",
      "over",    "about",  "after",   "before",  "your",    "you",      "use",       "using",
      "used",    "add",    "adding",  "new",     "feature", "support",  "implement", "allow",
      "make",    "need",   "able",    "via",     "one",     "two",      "etc",       "like",
      "get",     "set",    "self",    "none",    "true",    "false",    "return",    "def",
      "class",   "import", "pass",    "elif",    "else",    "lambda",   "yield",     "async",
      "await",   "print",  "str",     "int",     "init",    "cls",      "raise",     "while",
      "try",     "except", "finally", "assert",  "global",  "nonlocal", "del",       "is",
      "func",    "var",    "const",   "let",     "void",    "static",   "public",    "private",
      "std",     "string", "include", "package", "fn",      "pub",      "mut",       "impl",
      "returns", "value",  "values",  "data",    "type"};
  return *set;
}

// "alerts" -> "alert", "categories" -> "category", "boxes" -> "box"; "status", "class",
// "analysis" stay.
std::string Singular(std::string w) {
  auto ends = [&](std::string_view s) {
    return w.size() >= s.size() && std::string_view(w).substr(w.size() - s.size()) == s;
  };
  if (w.size() > 4 && ends("ies")) return w.substr(0, w.size() - 3) + "y";
  if (w.size() > 4 && (ends("sses") || ends("xes") || ends("ches") || ends("shes")))
    return w.substr(0, w.size() - 2);
  if (w.size() > 3 && ends("s") && !ends("ss") && !ends("us") && !ends("is"))
    return w.substr(0, w.size() - 1);
  return w;
}

// Calls `fn` with each normalised word of `text`.
void ForEachWord(std::string_view text, const std::function<void(std::string)>& fn) {
  auto emit = [&](std::string_view piece) {
    if (piece.size() < 3) return;
    std::string w(piece);
    for (char& c : w) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (Stopwords().contains(w)) return;
    w = Singular(std::move(w));
    if (w.size() < 3 || Stopwords().contains(w)) return;
    fn(std::move(w));
  };
  auto is_alpha = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); };
  auto is_upper = [](char c) { return c >= 'A' && c <= 'Z'; };
  size_t i = 0;
  while (i < text.size()) {
    if (!is_alpha(text[i])) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < text.size() && is_alpha(text[j])) ++j;
    // Split the run at camelCase boundaries: "lowStock" | "HTTPServer" -> "HTTP", "Server".
    size_t start = i;
    for (size_t k = i + 1; k < j; ++k) {
      bool boundary =
          (is_upper(text[k]) && !is_upper(text[k - 1])) ||
          (is_upper(text[k]) && k + 1 < j && !is_upper(text[k + 1]) && is_upper(text[k - 1]));
      if (boundary) {
        emit(text.substr(start, k - start));
        start = k;
      }
    }
    emit(text.substr(start, j - start));
    i = j;
  }
}

// Python packages and module names of a map, indexed once.
class PythonIndex {
 public:
  explicit PythonIndex(const v1::RepositoryMap& map) {
    std::unordered_set<std::string> paths;
    for (const v1::FileEntry& f : map.files())
      if (f.language() == "python") paths.insert(f.path());
    for (const v1::Module& m : map.modules())
      if (m.language() == "python" && paths.contains(JoinPath(m.path(), "__init__.py")))
        dir_to_package_.emplace(m.path(), m.name());
    for (const v1::FileEntry& f : map.files()) {
      if (f.language() != "python") continue;
      std::string name = ModuleName(f.path());
      if (name.empty()) continue;
      module_to_file_.emplace(name, f.path());
      top_names_.insert(name.substr(0, name.find('.')));
    }
  }

  bool HasPackages() const { return !dir_to_package_.empty(); }

  // Dotted package holding `path`; empty outside packages.
  std::string PackageOf(std::string_view path) const {
    auto it = dir_to_package_.find(std::string(PathDirName(path)));
    return it == dir_to_package_.end() ? std::string() : it->second;
  }

  std::string PackageAt(std::string_view dir) const {
    auto it = dir_to_package_.find(std::string(dir));
    return it == dir_to_package_.end() ? std::string() : it->second;
  }

  std::string ModuleName(std::string_view path) const {
    std::string stem(StripExtension(PathBaseName(path)));
    std::string package = PackageOf(path);
    if (package.empty()) return stem;
    return stem == "__init__" ? package : fmt::format("{}.{}", package, stem);
  }

  bool IsModule(const std::string& dotted) const { return module_to_file_.contains(dotted); }

  // The longest prefix of `dotted` that is a module of the repository; empty if none.
  std::string Resolve(std::string dotted) const {
    while (!dotted.empty()) {
      if (IsModule(dotted)) return dotted;
      size_t dot = dotted.rfind('.');
      if (dot == std::string::npos) break;
      dotted.resize(dot);
    }
    return "";
  }

  bool IsTopName(const std::string& name) const { return top_names_.contains(name); }

  // Top-level packages by number of files, largest first.
  std::string LargestTopPackageDir(const v1::RepositoryMap& map) const {
    const v1::Module* best = nullptr;
    for (const v1::Module& m : map.modules())
      if (m.language() == "python" && dir_to_package_.contains(m.path()) &&
          m.name().find('.') == std::string::npos &&
          (best == nullptr || m.files_size() > best->files_size()))
        best = &m;
    return best ? best->path() : std::string();
  }

 private:
  std::unordered_map<std::string, std::string> dir_to_package_;
  std::unordered_map<std::string, std::string> module_to_file_;
  std::unordered_set<std::string> top_names_;
};

// Definitions in a non-Python source, by the keywords most languages share.
std::vector<std::string> GenericSymbols(std::string_view source) {
  static constexpr std::string_view kKeywords[] = {"func",   "function",  "fn",       "class",
                                                   "struct", "interface", "type",     "def",
                                                   "enum",   "trait",     "namespace"};
  std::vector<std::string> out;
  size_t i = 0;
  auto ident = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
  while (i < source.size()) {
    if (!ident(source[i]) || (i > 0 && ident(source[i - 1]))) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < source.size() && ident(source[j])) ++j;
    std::string_view word = source.substr(i, j - i);
    i = j;
    if (std::find(std::begin(kKeywords), std::end(kKeywords), word) == std::end(kKeywords))
      continue;
    while (j < source.size() && (source[j] == ' ' || source[j] == '\t')) ++j;
    // Go methods: func (r *Recv) Name(
    if (word == "func" && j < source.size() && source[j] == '(') {
      size_t close = source.find(')', j);
      if (close == std::string_view::npos || close - j > 200) continue;
      j = close + 1;
      while (j < source.size() && source[j] == ' ') ++j;
    }
    size_t k = j;
    while (k < source.size() && ident(source[k])) ++k;
    if (k > j && !std::isdigit(static_cast<unsigned char>(source[j])))
      out.push_back(std::string(source.substr(j, k - j)));
    i = k;
  }
  // C and C++ functions carry no keyword: "Type Name(" at the start of a line.
  size_t pos = 0;
  while (pos < source.size()) {
    size_t eol = source.find('\n', pos);
    std::string_view line = source.substr(pos, eol == std::string_view::npos ? eol : eol - pos);
    pos = eol == std::string_view::npos ? source.size() : eol + 1;
    if (line.empty() || line[0] == ' ' || line[0] == '\t' || line[0] == '#' || line[0] == '/')
      continue;
    size_t paren = line.find('(');
    if (paren == std::string_view::npos || paren == 0) continue;
    size_t end = paren;
    size_t start = end;
    while (start > 0 && (ident(line[start - 1]) || line[start - 1] == ':')) --start;
    std::string_view name = line.substr(start, end - start);
    size_t colon = name.rfind(':');
    if (colon != std::string_view::npos) name = name.substr(colon + 1);
    if (start == 0 || name.empty() || std::isdigit(static_cast<unsigned char>(name[0]))) continue;
    out.push_back(std::string(name));
  }
  return out;
}

struct Candidate {
  std::string path;
  std::string module;
  double score = 0;
  std::string symbol;
  uint32_t line = 0;
  std::string kind;
  std::vector<std::string> reasons;
};

// A definition of a source, from the symbol index or the built-in scanners.
struct Def {
  std::string name;
  uint32_t line = 0;
};

struct Query {
  std::unordered_set<std::string> words;
  std::vector<std::string> hint_modules;
  // For each hint module, the repository module it names or lies in ("pkg.mod.func" ->
  // "pkg.mod"); empty when it names none.
  std::vector<std::string> resolved_hint_modules;
  std::vector<std::string> hint_files;
  std::vector<code::KindCue> kinds;  // integration kinds the words call for, strongest first
};

Query MakeQuery(const v1::Recommendation& rec) {
  Query q;
  auto add = [&](std::string w) { q.words.insert(std::move(w)); };
  ForEachWord(rec.title(), add);
  ForEachWord(rec.description(), add);
  for (const std::string& k : rec.hints().keywords()) ForEachWord(k, add);
  for (const std::string& m : rec.hints().modules()) {
    std::string_view s = m;
    while (!s.empty() && (s.back() == '.' || s.back() == '/')) s.remove_suffix(1);
    if (!s.empty()) q.hint_modules.push_back(std::string(s));
  }
  for (const std::string& f : rec.hints().files()) {
    std::string_view s = f;
    while (StartsWith(s, "./")) s.remove_prefix(2);
    while (!s.empty() && s.back() == '/') s.remove_suffix(1);
    if (!s.empty()) q.hint_files.push_back(std::string(s));
  }
  std::vector<std::string> words;
  auto add_word = [&](std::string w) { words.push_back(std::move(w)); };
  ForEachWord(rec.title(), add_word);
  ForEachWord(rec.description(), add_word);
  for (const std::string& k : rec.hints().keywords()) ForEachWord(k, add_word);
  q.kinds = code::KindsForWords(words);
  return q;
}

std::vector<std::string> MatchedWords(std::string_view text, const Query& q) {
  std::set<std::string> hit;
  ForEachWord(text, [&](std::string w) {
    if (q.words.contains(w)) hit.insert(std::move(w));
  });
  return {hit.begin(), hit.end()};
}

// Scores one source file against the query; `python` selects dotted-name hint matching.
// `kinds` are the integrations the file uses: (kind, library).
void Score(Candidate& c, std::string_view source, const std::vector<Def>& symbols,
           const std::vector<std::pair<std::string, std::string>>& kinds, const Query& q,
           bool python) {
  double hint = 0;
  std::string hint_reason;
  auto consider = [&](double s, std::string reason) {
    if (s > hint) {
      hint = s;
      hint_reason = std::move(reason);
    }
  };
  for (const std::string& hm : q.hint_modules) {
    if (python) {
      const std::string& resolved = q.resolved_hint_modules[&hm - q.hint_modules.data()];
      if (c.module == hm)
        consider(kHintExact, fmt::format("matches hint module {}", hm));
      else if (c.module == resolved)
        consider(kHintParent, fmt::format("matches hint module {}", hm));
      else if (StartsWith(c.module, hm + "."))
        consider(kHintInside, fmt::format("inside hinted package {}", hm));
    } else {
      std::string as_path = hm;
      for (size_t p; (p = as_path.find("::")) != std::string::npos;) as_path.replace(p, 2, "/");
      std::replace(as_path.begin(), as_path.end(), '.', '/');
      std::string_view stem = StripExtension(c.path);
      if (stem == as_path || (stem.size() > as_path.size() &&
                              stem.substr(stem.size() - as_path.size() - 1) == "/" + as_path))
        consider(kHintExact, fmt::format("matches hint module {}", hm));
      else if (StartsWith(c.path, as_path + "/") ||
               c.path.find("/" + as_path + "/") != std::string::npos)
        consider(kHintInside, fmt::format("inside hinted module {}", hm));
    }
  }
  for (const std::string& hf : q.hint_files) {
    if (c.path == hf)
      consider(kHintExact, fmt::format("matches hint file {}", hf));
    else if (StartsWith(c.path, hf + "/"))
      consider(kHintInside, fmt::format("inside hinted folder {}", hf));
  }
  if (hint > 0) {
    c.score += hint;
    c.reasons.push_back(std::move(hint_reason));
  }

  for (const code::KindCue& cue : q.kinds) {
    auto it = std::find_if(kinds.begin(), kinds.end(),
                           [&](const auto& k) { return k.first == cue.kind; });
    if (it == kinds.end()) continue;
    c.score += kKindMatch;
    c.kind = cue.kind;
    c.reasons.push_back(
        fmt::format("uses {} for {} (asked for by \"{}\")", it->second, cue.kind, cue.word));
    break;  // the strongest kind the file serves
  }

  std::vector<std::string> path_words = MatchedWords(StripExtension(c.path), q);
  if (!path_words.empty()) {
    c.score += kPathWord * static_cast<double>(path_words.size());
    c.reasons.push_back(fmt::format("path mentions {}", Join(path_words, ", ")));
  }

  std::set<std::string> symbol_words;
  std::vector<std::string> matching_symbols;
  size_t best = 0;
  for (const Def& d : symbols) {
    std::vector<std::string> words = MatchedWords(d.name, q);
    if (words.empty()) continue;
    symbol_words.insert(words.begin(), words.end());
    if (std::find(matching_symbols.begin(), matching_symbols.end(), d.name) ==
        matching_symbols.end())
      matching_symbols.push_back(d.name);
    if (words.size() > best) {
      best = words.size();
      c.symbol = d.name;
      c.line = d.line;
    }
  }
  if (!symbol_words.empty()) {
    c.score += kSymbolWord * static_cast<double>(symbol_words.size());
    std::vector<std::string> shown;
    for (size_t i = 0; i < matching_symbols.size() && i < 3; ++i)
      shown.push_back(matching_symbols[i] + "()");
    c.reasons.push_back(fmt::format("defines {}", Join(shown, ", ")));
  }

  size_t total = 0, hits = 0;
  std::map<std::string, size_t> counts;
  ForEachWord(source, [&](std::string w) {
    ++total;
    if (q.words.contains(w)) {
      ++hits;
      ++counts[w];
    }
  });
  if (hits > 0) {
    c.score +=
        std::min(kMaxWeak, 10.0 * static_cast<double>(hits) / static_cast<double>(total + 10));
    std::vector<std::string> shown;
    for (const auto& [w, n] : counts) shown.push_back(fmt::format("{} ×{}", w, n));
    if (shown.size() > 4) shown.resize(4);
    c.reasons.push_back(fmt::format("mentions {}", Join(shown, ", ")));
  }
}

bool UnderTestFolder(std::string_view path) {
  std::string_view dir = PathDirName(path);
  std::string wrapped = fmt::format("/{}/", dir);
  return wrapped.find("/tests/") != std::string::npos ||
         wrapped.find("/test/") != std::string::npos ||
         wrapped.find("/__tests__/") != std::string::npos;
}

bool IsCandidatePath(std::string_view path) {
  std::string_view name = PathBaseName(path);
  return !mapper::IsTestFile(path) && !UnderTestFolder(path) && name != "setup.py" &&
         name != "conftest.py" && name != "noxfile.py";
}

std::string DefaultExtension(std::string_view language) {
  static const std::map<std::string_view, std::string_view> kExt = {
      {"python", ".py"},     {"cpp", ".cc"},        {"c", ".c"},         {"go", ".go"},
      {"javascript", ".js"}, {"typescript", ".ts"}, {"java", ".java"},   {"kotlin", ".kt"},
      {"rust", ".rs"},       {"shell", ".sh"},      {"ruby", ".rb"},     {"php", ".php"},
      {"csharp", ".cs"},     {"swift", ".swift"},   {"scala", ".scala"}, {"lua", ".lua"}};
  auto it = kExt.find(language);
  return it == kExt.end() ? std::string() : std::string(it->second);
}

std::string PascalCase(std::string_view identifier) {
  std::string out;
  bool upper = true;
  for (char c : identifier) {
    if (c == '_') {
      upper = true;
      continue;
    }
    out += upper ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c;
    upper = false;
  }
  return out;
}

void RankInto(std::vector<Candidate>& candidates, v1::Analysis& analysis) {
  std::sort(candidates.begin(), candidates.end(), [](const Candidate& a, const Candidate& b) {
    if (a.score != b.score) return a.score > b.score;
    return a.path < b.path;
  });
  for (const Candidate& c : candidates) {
    if (c.score <= 0 || analysis.integration_points_size() >= kMaxIntegrationPoints) break;
    v1::IntegrationPoint* ip = analysis.add_integration_points();
    ip->set_file(c.path);
    ip->set_symbol(c.symbol);
    ip->set_module(c.module);
    ip->set_score(std::round(c.score * 1000) / 1000);
    ip->set_reason(Join(c.reasons, "; "));
    ip->set_kind(c.kind);
    ip->set_line(c.line);
  }
}

// `name`, or name_2, name_3, ... when `dir/name<ext>` already exists.
std::string FreeName(const std::unordered_set<std::string>& paths, std::string_view dir,
                     const std::string& name, std::string_view ext) {
  std::string candidate = name;
  for (int i = 2; paths.contains(JoinPath(dir, candidate + std::string(ext))); ++i)
    candidate = fmt::format("{}_{}", name, i);
  return candidate;
}

void SuggestPython(const v1::RepositoryMap& map, const PythonIndex& index,
                   const std::unordered_set<std::string>& paths, const std::string& identifier,
                   v1::Analysis& analysis) {
  std::string dir;
  if (analysis.integration_points_size() > 0) {
    const v1::IntegrationPoint& top = analysis.integration_points(0);
    dir = std::string(PathDirName(top.file()));
    if (index.PackageAt(dir).empty() && !index.HasPackages()) dir.clear();
  } else {
    dir = index.LargestTopPackageDir(map);
  }
  std::string package = index.PackageAt(dir);
  std::string name = FreeName(paths, dir, identifier, ".py");
  analysis.set_suggested_path(JoinPath(dir, name + ".py"));
  analysis.set_module_name(package.empty() ? name : fmt::format("{}.{}", package, name));

  std::string test_name = map.test_file_pattern() == "*_test.py" ? fmt::format("{}_test.py", name)
                                                                 : fmt::format("test_{}.py", name);
  // The repository's own test layout: a tests/ (or test/) folder of Python tests, mirroring
  // the package when it already does.
  std::set<std::string> python_test_dirs;
  for (const v1::FileEntry& f : map.files())
    if (f.language() == "python" && mapper::IsTestFile(f.path()))
      python_test_dirs.insert(std::string(PathDirName(f.path())));
  std::string test_dir;
  bool found = false;
  for (std::string_view root : {"tests", "test"}) {
    std::string mirror = JoinPath(root, package.empty() ? "" : package);
    std::replace(mirror.begin(), mirror.end(), '.', '/');
    if (!package.empty() && python_test_dirs.contains(mirror)) {
      test_dir = mirror;
      found = true;
      break;
    }
  }
  if (!found) {
    for (const std::string& d : python_test_dirs) {
      std::string_view last = PathBaseName(d);
      if ((last == "tests" || last == "test") &&
          (!found || std::count(d.begin(), d.end(), '/') <
                         std::count(test_dir.begin(), test_dir.end(), '/'))) {
        test_dir = d;
        found = true;
      }
    }
  }
  if (!found) test_dir = dir;
  analysis.set_test_path(JoinPath(test_dir, test_name));
}

// The go tool builds name_GOOS.go and name_GOARCH.go only on that system or architecture.
bool GoBuildConstrained(std::string_view name) {
  static const std::set<std::string_view> kSuffixes = {
      "aix",     "android", "darwin",   "dragonfly", "freebsd", "hurd",    "illumos", "ios",
      "js",      "linux",   "nacl",     "netbsd",    "openbsd", "plan9",   "solaris", "wasip1",
      "windows", "zos",     "386",      "amd64",     "arm",     "arm64",   "loong64", "mips",
      "mipsle",  "mips64",  "mips64le", "ppc64",     "ppc64le", "riscv64", "s390x",   "wasm"};
  const size_t us = name.rfind('_');
  return us != std::string_view::npos && kSuffixes.contains(name.substr(us + 1));
}

bool IsCppHeaderPath(std::string_view path) {
  std::string_view ext = Extension(path);
  return ext == ".h" || ext == ".hh" || ext == ".hpp" || ext == ".hxx";
}

// The most frequent key; `fallback` when there is none. Ties go to the first in order.
std::string MostFrequent(const std::map<std::string, int>& counts, std::string fallback) {
  int best = 0;
  for (const auto& [key, n] : counts)
    if (n > best) {
      best = n;
      fallback = key;
    }
  return fallback;
}

// C++: the new code is a header beside the headers of the code it integrates with (their
// include/<project>/ folder when the sources live apart), named by the include path after
// include/; its test goes where the repository keeps its C++ tests, named like them.
void SuggestCpp(const v1::RepositoryMap& map, const std::unordered_set<std::string>& paths,
                const std::string& identifier, v1::Analysis& analysis) {
  std::map<std::string, int> header_exts, source_exts;
  std::map<std::string, int> test_dirs, prefixed;
  std::map<std::string, std::map<std::string, int>> test_exts;
  for (const v1::FileEntry& f : map.files()) {
    if (f.language() != "cpp" || f.vendored() || f.generated()) continue;
    std::string ext(Extension(f.path()));
    if (IsCppHeaderPath(f.path())) {
      ++header_exts[ext];
      continue;
    }
    ++source_exts[ext];
    if (mapper::IsTestFile(f.path()) || UnderTestFolder(f.path())) {
      std::string dir(PathDirName(f.path()));
      ++test_dirs[dir];
      ++test_exts[dir][ext];
      if (PathBaseName(f.path()).starts_with("test_")) ++prefixed[dir];
    }
  }
  const std::string header_ext = MostFrequent(header_exts, ".h");
  const std::string source_ext = MostFrequent(source_exts, ".cc");

  std::string dir;
  if (analysis.integration_points_size() > 0) {
    const std::string& file = analysis.integration_points(0).file();
    dir = std::string(PathDirName(file));
    if (!IsCppHeaderPath(file)) {
      // The header of the same name, preferably under an include/ folder.
      std::string_view stem = PathBaseName(StripExtension(file));
      bool found = false;
      for (const v1::FileEntry& f : map.files()) {
        if (!IsCppHeaderPath(f.path()) || PathBaseName(StripExtension(f.path())) != stem) continue;
        const bool include = ("/" + f.path()).find("/include/") != std::string::npos;
        if (!found || include) dir = std::string(PathDirName(f.path()));
        found = true;
        if (include) break;
      }
    }
  } else {
    for (const v1::Module& m : map.modules())
      if (m.language() == "cpp") {
        dir = m.path();
        break;
      }
  }
  std::string name = FreeName(paths, dir, identifier, header_ext);
  std::string path = JoinPath(dir, name + header_ext);
  analysis.set_suggested_path(path);
  const size_t include = ("/" + path).rfind("/include/");
  analysis.set_module_name(include == std::string::npos ? path : path.substr(include + 8));

  std::string test_dir;
  int best = 0;
  for (const auto& [d, n] : test_dirs) {
    if (n > best || (n == best && std::count(d.begin(), d.end(), '/') <
                                      std::count(test_dir.begin(), test_dir.end(), '/'))) {
      best = n;
      test_dir = d;
    }
  }
  std::string test_ext = source_ext;
  if (best == 0) {
    test_dir = dir;
    for (const std::string& d : map.test_dirs())
      if (d == "tests" || d == "test") test_dir = d;
  } else {
    test_ext = MostFrequent(test_exts[test_dir], source_ext);
  }
  const bool prefix = prefixed[test_dir] * 2 > test_dirs[test_dir];
  analysis.set_test_path(
      JoinPath(test_dir, prefix ? "test_" + name + test_ext : name + "_test" + test_ext));
}

void SuggestOther(const v1::RepositoryMap& map, const std::string& language,
                  const std::unordered_set<std::string>& paths, const std::string& identifier,
                  v1::Analysis& analysis) {
  // The extension the repository already uses most for this language's sources.
  std::map<std::string, int> ext_counts;
  for (const v1::FileEntry& f : map.files()) {
    if (f.language() != language) continue;
    std::string ext(Extension(f.path()));
    if (ext == ".h" || ext == ".hpp" || ext == ".hh" || ext == ".hxx" || ext == ".d.ts") continue;
    ++ext_counts[ext];
  }
  std::string ext = DefaultExtension(language);
  int best = 0;
  for (const auto& [e, n] : ext_counts)
    if (n > best && !e.empty()) {
      best = n;
      ext = e;
    }
  if (ext.empty()) ext = ".txt";
  std::string dir;
  if (analysis.integration_points_size() > 0) {
    dir = std::string(PathDirName(analysis.integration_points(0).file()));
  } else {
    for (const v1::Module& m : map.modules())
      if (m.language() == language) {
        dir = m.path();
        break;
      }
  }
  bool pascal = language == "java" || language == "kotlin" || language == "csharp";
  std::string base = pascal ? PascalCase(identifier) : identifier;
  if (language == "go" && GoBuildConstrained(base)) base += "_feature";
  std::string name = FreeName(paths, dir, base, ext);
  std::string path = JoinPath(dir, name + ext);
  analysis.set_suggested_path(path);
  if (language == "go") {
    // Go imports packages: the folder's import path under the module.
    analysis.set_module_name(map.go_module().empty() ? (dir.empty() ? "." : dir)
                             : dir.empty()           ? map.go_module()
                                                     : fmt::format("{}/{}", map.go_module(), dir));
  } else {
    analysis.set_module_name(std::string(StripExtension(path)));
  }
  std::string test;
  if (language == "go") {
    test = JoinPath(dir, name + "_test.go");
  } else if (language == "cpp" || language == "c") {
    test = JoinPath(dir, name + "_test" + ext);
  } else if (language == "javascript" || language == "typescript") {
    test = JoinPath(dir, name + ".test" + ext);
  } else if (language == "rust") {
    bool has_tests = std::any_of(map.test_dirs().begin(), map.test_dirs().end(),
                                 [](const std::string& d) { return d == "tests"; });
    test = has_tests ? fmt::format("tests/{}.rs", name) : path;
  } else if (pascal) {
    std::string test_dir = dir;
    size_t main = test_dir.find("src/main/");
    if (main != std::string::npos) test_dir.replace(main, 9, "src/test/");
    test = JoinPath(test_dir, name + "Test" + ext);
  } else {
    test = JoinPath(dir, "test_" + name + ext);
  }
  analysis.set_test_path(test);
}

bool Analysable(const v1::FileEntry& f) {
  return !f.binary() && !f.language().empty() && f.raw_path().empty() && !f.vendored() &&
         !f.generated() && f.size() <= kMaxAnalyzedBytes;
}

bool HasImportScanner(std::string_view language) {
  return language == "python" || language == "javascript" || language == "typescript" ||
         language == "go" || language == "java" || language == "kotlin" || language == "rust" ||
         language == "c" || language == "cpp";
}

std::vector<std::string> AllPaths(const v1::RepositoryMap& map) {
  std::vector<std::string> paths;
  paths.reserve(static_cast<size_t>(map.files_size()));
  for (const v1::FileEntry& f : map.files()) paths.push_back(f.path());
  return paths;
}

// The import graph, built one source at a time.
class GraphBuilder {
 public:
  explicit GraphBuilder(const code::ImportResolver& resolver) : resolver_(resolver) {}

  void Add(const v1::FileEntry& f, std::string_view source) {
    const std::string& language = f.language();
    if (!HasImportScanner(language)) return;
    std::set<std::string> targets;
    for (const code::Import& imp : code::ParseImports(language, source)) {
      std::vector<std::string> files = resolver_.Resolve(language, f.path(), imp);
      if (files.empty()) {
        std::string external = resolver_.ExternalPackage(language, f.path(), imp);
        if (!external.empty()) graph_.third_party[language].insert(std::move(external));
        continue;
      }
      for (std::string& to : files)
        if (to != f.path()) targets.insert(std::move(to));
    }
    for (const std::string& to : targets) {
      ++graph_.importers[to];
      edges_.emplace(Node(language, f.path()), Node(language, to));
    }
  }

  ImportGraph Finish() {
    for (const auto& [from, to] : edges_) {
      v1::ImportEdge e;
      e.set_from(from);
      e.set_to(to);
      graph_.edges.push_back(std::move(e));
    }
    return std::move(graph_);
  }

 private:
  std::string Node(std::string_view language, const std::string& path) const {
    if (language != "python") return path;
    std::string name = resolver_.PythonModuleName(path);
    return name.empty() ? path : name;
  }

  const code::ImportResolver& resolver_;
  std::set<std::pair<std::string, std::string>> edges_;
  ImportGraph graph_;
};

// Symbols of one source: from the index when it has the file, else the built-in scanners.
class Definitions {
 public:
  explicit Definitions(const v1::SymbolIndex* index) {
    if (index == nullptr) return;
    for (const v1::FileSymbols& f : index->files()) by_path_.emplace(f.path(), &f);
  }

  std::vector<Def> Of(const v1::FileEntry& f, std::string_view source) const {
    std::vector<Def> out;
    auto it = by_path_.find(f.path());
    if (it != by_path_.end()) {
      for (const v1::SymbolEntry& s : it->second->symbols())
        if (s.kind() != "import" && s.kind() != "variable" && s.kind() != "local" &&
            s.kind() != "parameter" && s.kind() != "namespace" && s.kind() != "package")
          out.push_back({s.name(), s.line()});
      return out;
    }
    for (std::string& name :
         f.language() == "python" ? PythonSymbols(source) : GenericSymbols(source))
      out.push_back({std::move(name), 0});
    return out;
  }

 private:
  std::unordered_map<std::string, const v1::FileSymbols*> by_path_;
};

std::string EcosystemOf(std::string_view language, const v1::RepositoryMap& map) {
  if (language == "python") return "pypi";
  if (language == "javascript" || language == "typescript") return "npm";
  if (language == "go") return "go";
  if (language == "rust") return "cargo";
  if (language == "java" || language == "kotlin") {
    for (const v1::DependencyManifest& m : map.manifests())
      if (m.ecosystem() == "gradle") return "gradle";
    return "maven";
  }
  if (language == "c" || language == "cpp") return "cmake";
  return "";
}

// Ecosystems whose manifests declare dependencies for `ecosystem`'s code.
bool SameFamily(std::string_view manifest_ecosystem, std::string_view ecosystem) {
  if (manifest_ecosystem == ecosystem) return true;
  auto jvm = [](std::string_view e) { return e == "maven" || e == "gradle"; };
  auto native = [](std::string_view e) { return e == "cmake" || e == "conan" || e == "vcpkg"; };
  return (jvm(manifest_ecosystem) && jvm(ecosystem)) ||
         (native(manifest_ecosystem) && native(ecosystem));
}

// The name a manifest declares for a library the code imports: Python's import names differ
// from their distributions' ("sklearn" is scikit-learn); the others use one name for both.
std::string DistributionName(std::string_view ecosystem, std::string_view library) {
  if (ecosystem != "pypi") return std::string(library);
  static const auto* aliases = new std::unordered_map<std::string_view, std::string_view>{
      {"sklearn", "scikit-learn"},     {"yaml", "pyyaml"},
      {"cv2", "opencv-python"},        {"PIL", "pillow"},
      {"bs4", "beautifulsoup4"},       {"dateutil", "python-dateutil"},
      {"jwt", "pyjwt"},                {"dotenv", "python-dotenv"},
      {"google.cloud.storage", "google-cloud-storage"},
      {"google.cloud", "google-cloud-storage"},
      {"confluent_kafka", "confluent-kafka"},
      {"kafka", "kafka-python"},       {"grpc", "grpcio"},
      {"psycopg2", "psycopg2"},        {"MySQLdb", "mysqlclient"},
      {"nats", "nats-py"},             {"azure.storage.blob", "azure-storage-blob"}};
  auto it = aliases->find(library);
  if (it != aliases->end()) return std::string(it->second);
  std::string top(library.substr(0, library.find('.')));
  return top;
}

// Comparable form of a dependency name within an ecosystem: pypi names are case-, '-', '_'
// and '.'-insensitive (PEP 503); maven compares artifact ids; CMake package and pkg-config
// names drop a "lib" prefix and case.
std::string NormalName(std::string_view ecosystem, std::string_view name) {
  std::string n;
  if (ecosystem == "maven" || ecosystem == "gradle") {
    size_t colon = name.find(':');
    if (colon != std::string_view::npos) name = name.substr(colon + 1);
  }
  for (char c : name) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (ecosystem == "pypi" && (c == '_' || c == '.')) c = '-';
    n += c;
  }
  if ((ecosystem == "cmake" || ecosystem == "conan" || ecosystem == "vcpkg") &&
      StartsWith(n, "lib"))
    n = n.substr(3);
  if (ecosystem == "pypi") {
    if (n == "psycopg2-binary") n = "psycopg2";
    if (n == "psycopg-binary") n = "psycopg";
  }
  return n;
}

// The manifest declaring `name` for `ecosystem`, or "" when none does.
std::string DeclaringManifest(const v1::RepositoryMap& map, std::string_view ecosystem,
                              std::string_view name) {
  std::string want = NormalName(ecosystem, name);
  for (const v1::DependencyManifest& m : map.manifests()) {
    if (!SameFamily(m.ecosystem(), ecosystem)) continue;
    for (const v1::Dependency& d : m.dependencies())
      if (NormalName(ecosystem, d.name()) == want) return m.path();
  }
  return "";
}

// Where a new dependency of `ecosystem` goes: the shallowest manifest of that family, a
// pyproject.toml before a requirements file.
std::string ManifestToExtend(const v1::RepositoryMap& map, std::string_view ecosystem) {
  const v1::DependencyManifest* best = nullptr;
  auto depth = [](const std::string& p) { return std::count(p.begin(), p.end(), '/'); };
  for (const v1::DependencyManifest& m : map.manifests()) {
    if (!SameFamily(m.ecosystem(), ecosystem)) continue;
    if (best == nullptr || depth(m.path()) < depth(best->path()) ||
        (depth(m.path()) == depth(best->path()) &&
         PathBaseName(m.path()) == "pyproject.toml"))
      best = &m;
  }
  return best == nullptr ? std::string() : best->path();
}

// The dependencies the new code would use: those the recommendation names, and for each
// integration kind it calls for, the library the repository already uses for that kind, or
// the conventional one for the language when it uses none.
void AddDependencies(const v1::Recommendation& rec, const v1::RepositoryMap& map,
                     const Query& q, const std::string& language,
                     const code::ImportResolver& resolver, v1::Analysis& analysis) {
  std::string ecosystem = EcosystemOf(language, map);
  std::set<std::string> seen;
  auto need = [&](const std::string& name, std::string reason) {
    if (name.empty() || !seen.insert(NormalName(ecosystem, name)).second) return;
    v1::DependencyNeed* d = analysis.add_dependencies();
    d->set_name(name);
    d->set_ecosystem(ecosystem);
    std::string declared = DeclaringManifest(map, ecosystem, name);
    d->set_declared(!declared.empty());
    d->set_manifest(declared.empty() ? ManifestToExtend(map, ecosystem) : declared);
    d->set_reason(std::move(reason));
  };
  for (const std::string& dep : rec.hints().dependencies())
    need(dep, "named by the recommendation");
  std::set<std::string> site_languages;
  for (const code::KindCue& cue : q.kinds) {
    analysis.add_kinds(cue.kind);
    // The library with the most sites in this language's files.
    const v1::IntegrationSurface* used = nullptr;
    for (const v1::IntegrationSurface& s : map.integrations()) {
      if (s.kind() != cue.kind) continue;
      bool same_language = std::any_of(s.sites().begin(), s.sites().end(), [&](const auto& site) {
        return mapper::LanguageForPath(site.file()) == language ||
               (language == "cpp" && mapper::LanguageForPath(site.file()) == "c");
      });
      if (same_language && (used == nullptr || s.sites_size() > used->sites_size())) used = &s;
    }
    if (used != nullptr) {
      code::Import as_import;
      as_import.target = used->library();
      // Standard-library integrations (sqlite3, net/http, java.sql) add nothing.
      if (resolver.ExternalPackage(language, "", as_import).empty()) continue;
      need(DistributionName(ecosystem, used->library()),
           fmt::format("the repository already uses {} for {} ({} files)", used->library(),
                       cue.kind, used->sites_size()));
      continue;
    }
    std::string library = code::DefaultLibrary(language, cue.kind, cue.word);
    if (!library.empty())
      need(library, fmt::format("{} for \"{}\": the repository has no {} library yet",
                                cue.kind, cue.word, cue.kind));
  }
}

// How the new code at `from` imports the integration point `to`, in the language's syntax.
std::string ImportSpec(std::string_view language, const v1::RepositoryMap& map,
                       const std::unordered_set<std::string>& paths, std::string_view from,
                       const v1::IntegrationPoint& to) {
  std::string_view from_dir = PathDirName(from), to_dir = PathDirName(to.file());
  if (language == "python") return to.module();
  if (language == "go") {
    if (from_dir == to_dir) return "";
    if (map.go_module().empty()) return std::string(to_dir);
    return to_dir.empty() ? map.go_module() : fmt::format("{}/{}", map.go_module(), to_dir);
  }
  if (language == "java" || language == "kotlin") {
    if (from_dir == to_dir) return "";  // same package: no import
    std::string cls(StripExtension(PathBaseName(to.file())));
    for (const v1::Module& m : map.modules())
      if (m.path() == to_dir && m.name().find('/') == std::string::npos && m.name() != m.path())
        return fmt::format("{}.{}", m.name(), cls);
    return cls;
  }
  if (language == "javascript" || language == "typescript") {
    // A relative specifier from the new file's folder, without the extension.
    std::vector<std::string_view> a, b;
    for (std::string_view d = from_dir; !d.empty(); d = PathDirName(d)) a.insert(a.begin(), PathBaseName(d));
    for (std::string_view d = to_dir; !d.empty(); d = PathDirName(d)) b.insert(b.begin(), PathBaseName(d));
    size_t common = 0;
    while (common < a.size() && common < b.size() && a[common] == b[common]) ++common;
    std::string spec;
    for (size_t i = common; i < a.size(); ++i) spec += "../";
    if (spec.empty()) spec = "./";
    for (size_t i = common; i < b.size(); ++i) spec += fmt::format("{}/", b[i]);
    return spec + std::string(StripExtension(PathBaseName(to.file())));
  }
  if (language == "rust") {
    std::string_view p = StripExtension(to.file());
    size_t src = p.find("src/");
    if (src == std::string_view::npos) return "";
    p = p.substr(src + 4);
    if (p == "lib" || p == "main") return "crate";
    std::string out = "crate";
    for (size_t start = 0; start <= p.size();) {
      size_t slash = p.find('/', start);
      std::string_view part = p.substr(start, slash == std::string_view::npos ? p.npos : slash - start);
      if (part != "mod") out += fmt::format("::{}", part);
      if (slash == std::string_view::npos) break;
      start = slash + 1;
    }
    return out;
  }
  if (language == "c" || language == "cpp") {
    std::string_view stem = StripExtension(to.file());
    for (std::string_view ext : {".h", ".hpp", ".hh", ".hxx"}) {
      std::string header = fmt::format("{}{}", stem, ext);
      if (paths.contains(header)) return header;
    }
    std::string_view ext = Extension(to.file());
    return ext == ".h" || ext == ".hpp" || ext == ".hh" ? to.file() : "";
  }
  return "";
}

void AddImports(std::string_view language, const v1::RepositoryMap& map,
                const std::unordered_set<std::string>& paths, v1::Analysis& analysis) {
  auto add = [&](const std::string& spec) {
    if (spec.empty() || analysis.imports_size() >= kMaxImports + 2) return;
    if (std::find(analysis.imports().begin(), analysis.imports().end(), spec) ==
        analysis.imports().end())
      analysis.add_imports(spec);
  };
  int from_points = 0;
  for (const v1::IntegrationPoint& ip : analysis.integration_points()) {
    if (from_points >= kMaxImports) break;
    std::string spec = ImportSpec(language, map, paths, analysis.suggested_path(), ip);
    if (spec.empty()) continue;
    add(spec);
    ++from_points;
  }
}

}  // namespace

std::vector<std::string> Tokenize(std::string_view text) {
  std::vector<std::string> out;
  ForEachWord(text, [&](std::string w) { out.push_back(std::move(w)); });
  return out;
}

std::string PythonModuleName(const v1::RepositoryMap& map, std::string_view path) {
  return PythonIndex(map).ModuleName(path);
}

absl::StatusOr<v1::SymbolIndex> BuildSymbolIndex(const v1::RepositoryMap& map,
                                                 const repo::Repository& repo,
                                                 const std::string& commit,
                                                 const SymbolIndexOptions& options) {
  v1::SymbolIndex index;
  index.set_tree_hash(map.tree_hash());
  auto listed = repo.ListFiles(commit);
  if (!listed.ok()) return listed.status();
  std::unordered_map<std::string, const repo::TreeFile*> tree;
  for (const repo::TreeFile& f : *listed) tree.emplace(f.path, &f);
  std::unordered_map<std::string, const v1::FileSymbols*> previous;
  if (options.previous != nullptr)
    for (const v1::FileSymbols& f : options.previous->files()) previous.emplace(f.path(), &f);

  // Which files, and which of them an older index already holds at the same blob.
  std::vector<std::pair<const v1::FileEntry*, const repo::TreeFile*>> todo;
  for (const v1::FileEntry& f : map.files()) {
    if (!Analysable(f) || !mapper::IsCodeLanguage(f.language()) ||
        f.size() > options.max_bytes)
      continue;
    auto t = tree.find(f.path());
    if (t == tree.end()) continue;
    auto p = previous.find(f.path());
    v1::FileSymbols* out = index.add_files();
    out->set_path(f.path());
    out->set_blob(t->second->blob_id);
    if (p != previous.end() && p->second->blob() == t->second->blob_id) {
      *out->mutable_symbols() = p->second->symbols();
      continue;
    }
    todo.emplace_back(&f, t->second);
  }
  std::unordered_map<std::string, v1::FileSymbols*> slots;
  for (v1::FileSymbols& f : *index.mutable_files()) slots.emplace(f.path(), &f);

  std::mutex mu;
  uint32_t failed = 0;
  auto indexer = code::ParallelIndexer::Start(
      std::max(1, options.workers),
      [&](size_t id, absl::StatusOr<std::vector<code::Symbol>> tags) {
        std::lock_guard lock(mu);
        if (!tags.ok()) {
          ++failed;
          return;
        }
        v1::FileSymbols* out = slots[todo[id].first->path()];
        for (const code::Symbol& t : *tags) {
          v1::SymbolEntry* e = out->add_symbols();
          e->set_name(t.name);
          e->set_kind(t.kind);
          e->set_line(t.line);
          e->set_scope(t.scope);
          e->set_signature(t.signature);
        }
      },
      options.ctags);
  bool builtin = !indexer.ok();
  index.set_indexer(builtin ? "built-in scanner" : "universal-ctags");
  for (size_t i = 0; i < todo.size(); ++i) {
    auto content = repo.ReadBlob(todo[i].second->blob_id);
    if (!content.ok()) return content.status();
    if (!builtin) {
      (*indexer)->Submit(i, todo[i].first->path(), std::move(*content));
      continue;
    }
    v1::FileSymbols* out = slots[todo[i].first->path()];
    const std::string& language = todo[i].first->language();
    for (std::string& name :
         language == "python" ? PythonSymbols(*content) : GenericSymbols(*content)) {
      v1::SymbolEntry* e = out->add_symbols();
      e->set_name(std::move(name));
      e->set_kind(language == "python" ? "definition" : "symbol");
    }
  }
  if (!builtin) (*indexer)->Finish();
  index.set_failed_files(failed);
  return index;
}

absl::StatusOr<ImportGraph> BuildImportGraph(const v1::RepositoryMap& map,
                                             const repo::Repository& repo,
                                             const std::string& commit) {
  code::ImportResolver resolver(AllPaths(map), map.go_module());
  GraphBuilder graph(resolver);
  for (const v1::FileEntry& f : map.files()) {
    if (!Analysable(f) || !HasImportScanner(f.language())) continue;
    auto source = repo.ReadFile(commit, f.path());
    if (!source.ok()) return source.status();
    graph.Add(f, *source);
  }
  return graph.Finish();
}

absl::StatusOr<v1::Analysis> Analyze(const v1::Recommendation& rec, const v1::RepositoryMap& map,
                                     const repo::Repository& repo, const std::string& commit,
                                     const v1::SymbolIndex* symbols) {
  v1::Analysis analysis;
  std::string language = map.primary_language().empty() ? "python" : map.primary_language();
  analysis.set_language(language);
  analysis.set_symbols_from(symbols == nullptr ? "built-in scanner" : symbols->indexer());
  Query query = MakeQuery(rec);
  const bool python = language == "python";

  std::unordered_set<std::string> paths;
  for (const v1::FileEntry& f : map.files()) paths.insert(f.path());
  PythonIndex index(map);
  for (const std::string& hm : query.hint_modules)
    query.resolved_hint_modules.push_back(index.Resolve(hm));
  code::ImportResolver resolver(AllPaths(map), map.go_module());
  GraphBuilder graph(resolver);
  Definitions definitions(symbols);
  std::unordered_map<std::string, std::vector<std::pair<std::string, std::string>>> file_kinds;
  for (const v1::IntegrationSurface& s : map.integrations())
    for (const v1::IntegrationSite& site : s.sites())
      file_kinds[site.file()].emplace_back(s.kind(), s.library());

  std::vector<Candidate> candidates;
  for (const v1::FileEntry& f : map.files()) {
    if (!Analysable(f)) continue;
    bool candidate =
        f.language() == language &&
        (IsCandidatePath(f.path()) || std::find(query.hint_files.begin(), query.hint_files.end(),
                                                f.path()) != query.hint_files.end());
    bool graph_source = HasImportScanner(f.language());
    if (!candidate && !graph_source) continue;
    auto source = repo.ReadFile(commit, f.path());
    if (!source.ok())
      return absl::Status(source.status().code(),
                          fmt::format("analyzing {} at {}: {}", f.path(), commit,
                                      std::string(source.status().message())));
    if (graph_source) graph.Add(f, *source);
    if (!candidate) continue;
    Candidate c;
    c.path = f.path();
    if (python) {
      c.module = index.ModuleName(f.path());
    } else {
      std::string_view dir = PathDirName(f.path());
      c.module = std::string(dir.empty() ? StripExtension(f.path()) : dir);
    }
    std::vector<Def> defs = definitions.Of(f, *source);
    // A package marker with no definitions is no place to integrate with; its package's
    // modules are (a hint naming the package reaches them as "inside").
    if (python && PathBaseName(f.path()) == "__init__.py" && defs.empty()) continue;
    static const std::vector<std::pair<std::string, std::string>> kNone;
    auto kinds = file_kinds.find(f.path());
    Score(c, *source, defs, kinds == file_kinds.end() ? kNone : kinds->second, query, python);
    if (c.score > 0) candidates.push_back(std::move(c));
  }
  ImportGraph g = graph.Finish();
  // Among files that match, the ones many others import are the established places to extend.
  for (Candidate& c : candidates) {
    auto it = g.importers.find(c.path);
    if (it == g.importers.end() || it->second < 2) continue;
    c.score += std::min(kMaxImported, 0.15 * std::log2(static_cast<double>(it->second)));
    c.reasons.push_back(fmt::format("imported by {} files", it->second));
  }
  RankInto(candidates, analysis);
  for (v1::ImportEdge& e : g.edges) *analysis.add_import_graph() = std::move(e);

  std::string identifier = IdentifierFrom(rec.title().empty() ? rec.description() : rec.title());
  if (python)
    SuggestPython(map, index, paths, identifier, analysis);
  else if (language == "cpp")
    SuggestCpp(map, paths, identifier, analysis);
  else
    SuggestOther(map, language, paths, identifier, analysis);
  AddImports(language, map, paths, analysis);
  AddDependencies(rec, map, query, language, resolver, analysis);
  return analysis;
}

}  // namespace slipway::analyzer
