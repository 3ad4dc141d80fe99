// The C++ scaffold for CMake projects: a header (with a source file when the project's
// convention asks for one) and a test program registered with CTest beside the existing tests.
#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <optional>

#include "libs/changeset/change_set.h"
#include "libs/code/imports.h"
#include "libs/core/text.h"
#include "libs/recommendation/recommendation.h"
#include "services/implementer/cmake_lists.h"
#include "services/implementer/python_text.h"
#include "services/implementer/scaffold_internal.h"
#include "services/implementer/source_text.h"

namespace slipway::implementer::scaffold {
namespace {

using recommendation::QuoteForMessage;

constexpr size_t kWidth = 96;               // comment lines, after "// "
constexpr size_t kMaxListFiles = 200;       // CMakeLists.txt files read
constexpr size_t kMaxScannedSources = 200;  // sources read for namespaces and include roots

constexpr std::string_view kHeaderExts[] = {".h", ".hh", ".hpp", ".hxx", ".h++"};
constexpr std::string_view kSourceExts[] = {".cc", ".cpp", ".cxx", ".c++"};
// Folders of other projects' code: their CMakeLists.txt say nothing of this project's.
constexpr std::string_view kForeignDirs[] = {"third_party", "thirdparty", "vendor", "external",
                                             "extern",      "_deps",      "build",  "deps"};

template <size_t N>
bool OneOf(const std::string_view (&list)[N], std::string_view word) {
  return std::find(std::begin(list), std::end(list), word) != std::end(list);
}

std::string_view Extension(std::string_view path) {
  const std::string_view base = PathBaseName(path);
  const size_t dot = base.rfind('.');
  return dot == std::string_view::npos || dot == 0 ? std::string_view() : base.substr(dot);
}
std::string_view Stem(std::string_view path) {
  const std::string_view base = PathBaseName(path);
  return base.substr(0, base.size() - Extension(path).size());
}
bool IsHeader(std::string_view path) { return OneOf(kHeaderExts, Extension(path)); }
bool IsSource(std::string_view path) { return OneOf(kSourceExts, Extension(path)); }

std::string JoinPath(std::string_view dir, std::string_view name) {
  return dir.empty() ? std::string(name) : fmt::format("{}/{}", dir, name);
}

bool InForeignDir(std::string_view path) {
  const std::string wrapped = fmt::format("/{}", PathDirName(path));
  for (std::string_view dir : kForeignDirs)
    if (wrapped.find(fmt::format("/{}/", dir)) != std::string::npos ||
        wrapped.ends_with(fmt::format("/{}", dir)))
      return true;
  return false;
}

// Paths the scaffold writes into CMake commands and #include lines unquoted.
bool IsPlainPath(std::string_view path) {
  return std::all_of(path.begin(), path.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == '/' || c == '-' || c == '+';
  });
}

bool IsBelow(std::string_view path, std::string_view dir) {
  return dir.empty() ||
         (path.size() > dir.size() && path.starts_with(dir) && path[dir.size()] == '/');
}

// ---------------------------------------------------------------------------------------------
// What the project's CMakeLists.txt files say.

struct ListFile {
  std::string path;  // tests/CMakeLists.txt
  std::string dir;   // tests
  std::string text;
  std::vector<cmake::Command> commands;
};

// A source argument of a library: where it is written, and the file it names.
struct SourceArg {
  size_t list = 0;     // index into Project::lists
  size_t command = 0;  // index into that file's commands
  size_t arg = 0;
  std::string path;  // repository-relative
};

struct Library {
  std::string name;
  bool interface = false;
  std::vector<std::string> public_includes;  // PUBLIC and INTERFACE, repository-relative
  std::vector<std::string> private_includes;
  std::vector<SourceArg> sources;  // literal sources, in order
};

// A command that registers a test with CTest.
struct Registration {
  size_t list = 0;
  size_t command = 0;
  std::string target;  // the executable, as written
  enum Kind { kAddTestNamed, kAddTestPlain, kGtestDiscover, kGtestAdd } kind = kAddTestNamed;
};

struct Project {
  std::vector<ListFile> lists;
  std::map<std::string, Library> libraries;
  std::map<std::string, std::string> aliases;  // alias -> library
  std::set<std::string> targets;
  std::vector<std::pair<std::string, std::string>> directory_includes;  // list dir, include dir
  std::vector<Registration> registrations;
  bool uses_gtest = false;
  bool testing_enabled_at_root = false;
  std::string name;  // project()

  const ListFile* Root() const {
    for (const ListFile& l : lists)
      if (l.path == "CMakeLists.txt") return &l;
    return nullptr;
  }
};

// The values of a `set(VAR ...)` in the same file, for sources listed through a variable.
const cmake::Command* SetCommand(const ListFile& list, std::string_view variable) {
  for (const cmake::Command& c : list.commands)
    if (c.name == "set" && !c.args.empty() && c.args[0].value == variable) return &c;
  return nullptr;
}

void AddSources(const Project& project, size_t list_index, size_t command_index, size_t first_arg,
                Library& library) {
  const ListFile& list = project.lists[list_index];
  const cmake::Command& command = list.commands[command_index];
  for (size_t a = first_arg; a < command.args.size(); ++a) {
    const cmake::Argument& arg = command.args[a];
    const std::string& v = arg.value;
    if (v.size() > 3 && v.starts_with("${") && v.ends_with("}") &&
        v.find("${", 2) == std::string::npos) {
      const std::string variable = v.substr(2, v.size() - 3);
      const cmake::Command* set = SetCommand(list, variable);
      if (set == nullptr) continue;
      const size_t set_index = static_cast<size_t>(set - list.commands.data());
      for (size_t s = 1; s < set->args.size(); ++s) {
        if (set->args[s].value == "CACHE" || set->args[s].value == "PARENT_SCOPE") break;
        if (!IsSource(set->args[s].value) && !IsHeader(set->args[s].value)) continue;
        if (auto path = cmake::ResolvePath(list.dir, set->args[s].value))
          library.sources.push_back({list_index, set_index, s, *path});
      }
      continue;
    }
    if (!IsSource(v) && !IsHeader(v)) continue;
    if (auto path = cmake::ResolvePath(list.dir, v))
      library.sources.push_back({list_index, command_index, a, *path});
  }
}

absl::StatusOr<Project> ReadProject(const ImplementRequest& request, const RepoFiles& files) {
  Project project;
  for (const std::string& path : files) {
    if (PathBaseName(path) != "CMakeLists.txt" || InForeignDir(path)) continue;
    if (project.lists.size() == kMaxListFiles) break;
    absl::StatusOr<std::string> text = ReadRepositoryFile(request, path);
    if (!text.ok()) return text.status();
    ListFile list;
    list.path = path;
    list.dir = std::string(PathDirName(path));
    list.commands = cmake::ParseCommands(*text);
    list.text = std::move(*text);
    project.lists.push_back(std::move(list));
  }
  // Targets first, so that target_* commands anywhere find them.
  for (size_t li = 0; li < project.lists.size(); ++li) {
    const ListFile& list = project.lists[li];
    for (size_t ci = 0; ci < list.commands.size(); ++ci) {
      const cmake::Command& c = list.commands[ci];
      if (c.args.empty()) continue;
      const std::string& first = c.args[0].value;
      if (c.name == "project" && list.path == "CMakeLists.txt") project.name = first;
      if (c.name == "find_package" && (first == "GTest" || first == "GTEST" || first == "gtest"))
        project.uses_gtest = true;
      if ((c.name == "enable_testing" || (c.name == "include" && first == "CTest")) &&
          list.path == "CMakeLists.txt")
        project.testing_enabled_at_root = true;
      if (c.name == "add_executable") project.targets.insert(first);
      if (c.name != "add_library") continue;
      project.targets.insert(first);
      if (c.args.size() >= 3 && c.args[1].value == "ALIAS") {
        project.aliases[first] = c.args[2].value;
        continue;
      }
      if (std::any_of(c.args.begin(), c.args.end(),
                      [](const cmake::Argument& a) { return a.value == "IMPORTED"; }))
        continue;
      Library library;
      library.name = first;
      size_t a = 1;
      while (a < c.args.size() &&
             (c.args[a].value == "STATIC" || c.args[a].value == "SHARED" ||
              c.args[a].value == "MODULE" || c.args[a].value == "OBJECT" ||
              c.args[a].value == "INTERFACE" || c.args[a].value == "EXCLUDE_FROM_ALL")) {
        library.interface = library.interface || c.args[a].value == "INTERFACE";
        ++a;
      }
      AddSources(project, li, ci, a, library);
      project.libraries[first] = std::move(library);
    }
  }
  for (size_t li = 0; li < project.lists.size(); ++li) {
    const ListFile& list = project.lists[li];
    for (size_t ci = 0; ci < list.commands.size(); ++ci) {
      const cmake::Command& c = list.commands[ci];
      if (c.name == "include_directories") {
        for (const cmake::Argument& a : c.args)
          if (auto dir = cmake::ResolvePath(list.dir, a.value))
            project.directory_includes.emplace_back(list.dir, *dir);
        continue;
      }
      if (c.name == "add_test" && !c.args.empty()) {
        Registration r{li, ci, "", Registration::kAddTestPlain};
        if (c.args[0].value == "NAME") {
          r.kind = Registration::kAddTestNamed;
          for (size_t a = 1; a + 1 < c.args.size(); ++a)
            if (c.args[a].value == "COMMAND") r.target = c.args[a + 1].text;
        } else if (c.args.size() >= 2) {
          r.target = c.args[1].text;
        }
        constexpr std::string_view kTargetFile = "$<TARGET_FILE:";
        if (r.target.starts_with(kTargetFile) && r.target.ends_with(">"))
          r.target = r.target.substr(kTargetFile.size(), r.target.size() - kTargetFile.size() - 1);
        if (!r.target.empty()) project.registrations.push_back(r);
        continue;
      }
      if (c.name == "gtest_discover_tests" && !c.args.empty()) {
        project.registrations.push_back({li, ci, c.args[0].text, Registration::kGtestDiscover});
        continue;
      }
      if (c.name == "gtest_add_tests" && !c.args.empty()) {
        std::string target = c.args[0].text;
        for (size_t a = 0; a + 1 < c.args.size(); ++a)
          if (c.args[a].value == "TARGET") target = c.args[a + 1].text;
        project.registrations.push_back({li, ci, target, Registration::kGtestAdd});
        continue;
      }
      if (c.args.empty()) continue;
      auto lib = project.libraries.find(c.args[0].value);
      if (lib == project.libraries.end()) continue;
      if (c.name == "target_sources") {
        size_t a = 1;
        while (a < c.args.size() && (c.args[a].value == "PRIVATE" || c.args[a].value == "PUBLIC" ||
                                     c.args[a].value == "INTERFACE"))
          ++a;
        AddSources(project, li, ci, a, lib->second);
      } else if (c.name == "target_include_directories") {
        bool is_public = lib->second.interface;
        for (size_t a = 1; a < c.args.size(); ++a) {
          const std::string& v = c.args[a].value;
          if (v == "PUBLIC" || v == "INTERFACE") {
            is_public = true;
          } else if (v == "PRIVATE") {
            is_public = false;
          } else if (v != "SYSTEM" && v != "BEFORE" && v != "AFTER") {
            if (auto dir = cmake::ResolvePath(list.dir, v))
              (is_public ? lib->second.public_includes : lib->second.private_includes)
                  .push_back(*dir);
          }
        }
      }
    }
  }
  return project;
}

// ---------------------------------------------------------------------------------------------
// What the project's sources say: namespaces, include guards, include spellings.

// `source` with comments, string and character literals and preprocessor lines blanked, so
// that braces and keywords can be counted.
std::string CodeOnly(std::string_view s) {
  std::string out(s.size(), ' ');
  size_t i = 0;
  bool line_start = true;
  while (i < s.size()) {
    const char c = s[i];
    if (c == '\n') {
      out[i++] = '\n';
      line_start = true;
      continue;
    }
    if (line_start && c == '#') {  // a directive, with its continuation lines
      while (i < s.size() && s[i] != '\n') i += (s[i] == '\\' && i + 1 < s.size()) ? 2 : 1;
      continue;
    }
    if (c != ' ' && c != '\t') line_start = false;
    if (c == '/' && i + 1 < s.size() && s[i + 1] == '/') {
      while (i < s.size() && s[i] != '\n') ++i;
      continue;
    }
    if (c == '/' && i + 1 < s.size() && s[i + 1] == '*') {
      const size_t end = s.find("*/", i + 2);
      for (size_t k = i; k < (end == std::string_view::npos ? s.size() : end + 2); ++k)
        if (s[k] == '\n') out[k] = '\n';
      i = end == std::string_view::npos ? s.size() : end + 2;
      continue;
    }
    if (c == '"' && i > 0 && s[i - 1] == 'R') {  // R"delim( ... )delim"
      const size_t open = s.find('(', i);
      if (open != std::string_view::npos) {
        const std::string close_raw = ")" + std::string(s.substr(i + 1, open - i - 1)) + "\"";
        const size_t end = s.find(close_raw, open);
        const size_t stop = end == std::string_view::npos ? s.size() : end + close_raw.size();
        for (size_t k = i; k < stop; ++k)
          if (s[k] == '\n') out[k] = '\n';
        i = stop;
        continue;
      }
    }
    if (c == '"' || c == '\'') {
      ++i;
      while (i < s.size() && s[i] != c && s[i] != '\n') i += s[i] == '\\' ? 2 : 1;
      ++i;
      continue;
    }
    out[i] = c;
    ++i;
  }
  return out;
}

bool IsIdentStart(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool IsIdentChar(char c) { return IsIdentStart(c) || (c >= '0' && c <= '9'); }

// The named namespaces a source opens first at file scope, nested ones included:
// `namespace a { namespace b {` and `namespace a::b {` give {"a", "b"}.
std::vector<std::string> NamespaceChain(std::string_view source) {
  const std::string code = CodeOnly(source);
  size_t i = 0;
  int depth = 0;
  auto skip_space = [&] {
    while (i < code.size() &&
           (code[i] == ' ' || code[i] == '\t' || code[i] == '\n' || code[i] == '\r'))
      ++i;
  };
  auto word = [&] {
    const size_t start = i;
    while (i < code.size() && IsIdentChar(code[i])) ++i;
    return code.substr(start, i - start);
  };
  // At `namespace`'s end: the names up to '{', or empty when this is no named definition.
  auto names = [&] {
    std::vector<std::string> chain;
    while (true) {
      skip_space();
      if (i >= code.size() || !IsIdentStart(code[i])) return std::vector<std::string>{};
      chain.push_back(word());
      skip_space();
      if (code.compare(i, 2, "::") == 0) {
        i += 2;
        continue;
      }
      if (i < code.size() && code[i] == '{') {
        ++i;
        return chain;
      }
      return std::vector<std::string>{};
    }
  };
  while (i < code.size()) {
    const char c = code[i];
    if (c == '{' || c == '}') {
      depth += c == '{' ? 1 : -1;
      ++i;
      continue;
    }
    if (!IsIdentStart(c) || (i > 0 && IsIdentChar(code[i - 1]))) {
      ++i;
      continue;
    }
    const std::string w = word();
    if (depth != 0 || w != "namespace") continue;
    std::vector<std::string> chain = names();
    if (chain.empty()) {
      skip_space();
      if (i < code.size() && code[i] == '{') {  // anonymous namespace
        ++depth;
        ++i;
      }
      continue;
    }
    while (true) {  // directly nested namespaces
      const size_t at = i;
      skip_space();
      if (code.compare(i, 9, "namespace") != 0 ||
          (i + 9 < code.size() && IsIdentChar(code[i + 9]))) {
        i = at;
        break;
      }
      i += 9;
      std::vector<std::string> more = names();
      if (more.empty()) break;
      chain.insert(chain.end(), more.begin(), more.end());
    }
    return chain;
  }
  return {};
}

struct SourceFacts {
  std::string namespace_chain;  // "ledger" or "a::b", the most common; "" when none
  bool pragma_once = true;      // else include guards
  bool guard_trailing_underscore = false;
  std::string include_root;  // from the #include lines that name headers of the folder
  bool include_root_found = false;
};

absl::StatusOr<SourceFacts> ReadSourceFacts(const ImplementRequest& request, const RepoFiles& files,
                                            std::string_view header_dir) {
  // The folder's files first, then the project's other C++ files (tests last).
  std::vector<std::string> near, far;
  std::vector<std::string> dir_headers;
  for (const std::string& f : files) {
    if ((!IsHeader(f) && !IsSource(f)) || InForeignDir(f)) continue;
    const bool in_dir = PathDirName(f) == header_dir;
    if (in_dir && IsHeader(f)) dir_headers.push_back(f);
    (in_dir ? near : far).push_back(f);
  }
  std::stable_partition(far.begin(), far.end(),
                        [](const std::string& f) { return f.find("test") == std::string::npos; });
  std::map<std::string, int> chains_near, chains_far, roots;
  int pragma = 0, guards = 0, trailing = 0;
  size_t read = 0;
  for (const std::vector<std::string>* group : {&near, &far}) {
    for (const std::string& path : *group) {
      if (read++ == kMaxScannedSources) break;
      absl::StatusOr<std::string> text = ReadRepositoryFile(request, path);
      if (!text.ok()) return text.status();
      std::vector<std::string> chain = NamespaceChain(*text);
      if (!chain.empty() && path.find("test") == std::string::npos) {
        std::string joined;
        for (const std::string& n : chain) joined += (joined.empty() ? "" : "::") + n;
        ++(group == &near ? chains_near : chains_far)[joined];
      }
      if (IsHeader(path)) {
        if (text->find("#pragma once") != std::string::npos) {
          ++pragma;
        } else if (size_t at = text->find("#ifndef "); at != std::string::npos) {
          ++guards;
          const size_t eol = text->find_first_of("\r\n", at);
          std::string_view guard = std::string_view(*text).substr(at + 8, eol - at - 8);
          while (!guard.empty() && guard.back() == ' ') guard.remove_suffix(1);
          trailing += guard.ends_with("_") ? 1 : 0;
        }
      }
      for (const code::Import& imp : code::ParseImports("cpp", *text)) {
        if (!imp.local_include) continue;
        for (const std::string& h : dir_headers) {
          if (h == imp.target) {
            ++roots[""];
          } else if (h.ends_with("/" + imp.target)) {
            std::string root = h.substr(0, h.size() - imp.target.size() - 1);
            // Relative to the includer's own folder is no include root.
            if (root != PathDirName(path)) ++roots[root];
          }
        }
      }
    }
  }
  SourceFacts facts;
  const auto& chains = chains_near.empty() ? chains_far : chains_near;
  int best = 0;
  for (const auto& [chain, n] : chains)
    if (n > best) {
      best = n;
      facts.namespace_chain = chain;
    }
  facts.pragma_once = pragma >= guards;
  facts.guard_trailing_underscore = trailing * 2 > guards;
  best = 0;
  for (const auto& [root, n] : roots)
    if (n > best) {
      best = n;
      facts.include_root = root;
      facts.include_root_found = true;
    }
  return facts;
}

// ---------------------------------------------------------------------------------------------
// The plan.

struct CppPlan {
  std::string header;                   // include/ledger/interest.h
  std::string include;                  // ledger/interest.h, as #include spells it
  std::string include_root;             // include
  std::string stem;                     // interest
  std::vector<std::string> namespaces;  // {"ledger", "interest"}: the surrounding ones, then
                                        // the feature's own
  std::string flag;
  bool pragma_once = true;
  std::string guard;
  std::string owner;  // the library whose include folders hold the header ("" when none)
  // A source file, when the owner lists its sources and every header beside this one has one.
  std::string source;
  std::string library_list;          // the CMakeLists.txt that lists the owner's sources
  std::string library_list_content;  // with the new source added
  size_t test_list = 0;              // index into Project::lists of the tests' CMakeLists.txt
  bool has_test_list = false;
};

struct TestPlan {
  std::string path;          // tests/interest_test.cpp
  std::string list;          // tests/CMakeLists.txt
  std::string list_content;  // with the test registered
  std::string target;
  bool gtest = false;
};

std::string Guard(std::string_view include, bool trailing_underscore) {
  std::string out;
  for (char c : include) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    out += (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ? c : '_';
  }
  if (out.empty() || !(out[0] >= 'A' && out[0] <= 'Z')) out = "H_" + out;
  return trailing_underscore ? out + "_" : out;
}

// The header extension the folder (else the project) uses most; ".h" when none.
std::string HeaderExtension(const RepoFiles& files, std::string_view dir) {
  std::map<std::string, int> in_dir, all;
  for (const std::string& f : files) {
    if (!IsHeader(f) || InForeignDir(f)) continue;
    ++all[std::string(Extension(f))];
    if (PathDirName(f) == dir) ++in_dir[std::string(Extension(f))];
  }
  const auto& counts = in_dir.empty() ? all : in_dir;
  std::string ext = ".h";
  int best = 0;
  for (const auto& [e, n] : counts)
    if (n > best) {
      best = n;
      ext = e;
    }
  return ext;
}

// The header for a suggested source file: beside it when its folder holds headers, else in
// the folder that holds the headers of its neighbours (src/x.cc -> include/lib/x.h).
std::string HeaderFor(const RepoFiles& files, std::string_view source) {
  const std::string_view dir = PathDirName(source);
  const std::string_view stem = Stem(source);
  std::set<std::string_view> neighbours;  // stems of the folder's sources
  bool dir_has_headers = false;
  for (const std::string& f : files) {
    if (PathDirName(f) != dir) continue;
    dir_has_headers = dir_has_headers || IsHeader(f);
    if (IsSource(f)) neighbours.insert(Stem(f));
  }
  std::map<std::string, int> header_dirs;
  for (const std::string& h : files)
    if (IsHeader(h) && PathDirName(h) != dir && neighbours.contains(Stem(h)) && !InForeignDir(h))
      ++header_dirs[std::string(PathDirName(h))];
  std::string header_dir(dir);
  if (!dir_has_headers) {
    int best = 0;
    for (const auto& [d, n] : header_dirs)
      if (n > best) {
        best = n;
        header_dir = d;
      }
  }
  return JoinPath(header_dir, std::string(stem) + HeaderExtension(files, header_dir));
}

// The CMakeLists.txt holding the most test registrations (the shallowest on a tie).
std::optional<size_t> TestList(const Project& project) {
  std::map<size_t, int> counts;
  for (const Registration& r : project.registrations) ++counts[r.list];
  std::optional<size_t> best;
  for (const auto& [list, n] : counts) {
    if (!best) {
      best = list;
      continue;
    }
    const std::string& a = project.lists[list].path;
    const std::string& b = project.lists[*best].path;
    const int nb = counts[*best];
    const auto depth = [](const std::string& p) { return std::count(p.begin(), p.end(), '/'); };
    if (n > nb || (n == nb && (depth(a) < depth(b) || (depth(a) == depth(b) && a < b))))
      best = list;
  }
  return best;
}

// A source argument like `existing` (same folder spelling, same variables) naming `file_name`.
std::string SiblingArgument(std::string_view existing, std::string_view file_name) {
  const size_t slash = existing.rfind('/');
  return slash == std::string_view::npos
             ? std::string(file_name)
             : fmt::format("{}/{}", existing.substr(0, slash), file_name);
}

absl::StatusOr<CppPlan> MakeCppPlan(const ImplementRequest& request, const RepoFiles& files,
                                    const Project& project) {
  const v1::Analysis& analysis = request.analysis;
  CppPlan plan;
  const std::string suggested = analysis.suggested_path().empty()
                                    ? IdentifierFrom(request.recommendation.title(), 40) + ".h"
                                    : analysis.suggested_path();
  if (absl::Status st = changeset::ValidateRepoPath(suggested); !st.ok())
    return AnalysisError("suggested_path", std::string(st.message()));
  if (!IsPlainPath(suggested))
    return AnalysisError("suggested_path",
                         fmt::format("{} has characters the scaffold does not write into "
                                     "#include lines and CMake files (letters, digits and "
                                     "_ . / + - only)",
                                     QuoteForMessage(suggested)));
  if (IsHeader(suggested)) {
    plan.header = suggested;
  } else if (IsSource(suggested)) {
    plan.header = HeaderFor(files, suggested);
  } else {
    return AnalysisError("suggested_path", fmt::format("{} is not a C++ header or source file",
                                                       QuoteForMessage(suggested)));
  }
  if (files.contains(plan.header)) return AlreadyExists(plan.header);
  plan.stem = std::string(Stem(plan.header));
  const std::string header_dir(PathDirName(plan.header));

  absl::StatusOr<SourceFacts> facts = ReadSourceFacts(request, files, header_dir);
  if (!facts.ok()) return facts.status();

  // The include root: the longest folder a library or a directory adds to the include path
  // that holds the header; else the spelling the sources use; else include/ or the folder.
  std::string root;
  bool found = false;
  auto consider = [&](const std::string& dir, const std::string& library) {
    if (dir != header_dir && !IsBelow(header_dir, dir)) return;
    if (found && dir.size() <= root.size()) return;
    root = dir;
    found = true;
    plan.owner = library;
  };
  for (const auto& [name, library] : project.libraries) {
    for (const std::string& d : library.public_includes) consider(d, name);
    for (const std::string& d : library.private_includes) consider(d, name);
  }
  for (const auto& [list_dir, dir] : project.directory_includes) consider(dir, "");
  if (!found && facts->include_root_found) {
    root = facts->include_root;
    found = true;
  }
  if (!found) {
    const size_t at = ("/" + header_dir + "/").rfind("/include/");
    root = at == std::string::npos ? header_dir : header_dir.substr(0, at + 7);
  }
  plan.include_root = root;
  plan.include = root.empty() ? plan.header : plan.header.substr(root.size() + 1);
  // No library by include folders: the one that lists a source beside the header.
  if (plan.owner.empty()) {
    for (const auto& [name, library] : project.libraries)
      for (const SourceArg& s : library.sources)
        if (plan.owner.empty() && PathDirName(s.path) == header_dir) plan.owner = name;
  }

  std::string feature = IdentifierFrom(plan.stem, 60);
  if (!IsCppIdentifier(feature)) feature += "_feature";
  if (!facts->namespace_chain.empty()) {
    std::string_view chain = facts->namespace_chain;
    while (!chain.empty()) {
      const size_t sep = chain.find("::");
      plan.namespaces.emplace_back(chain.substr(0, sep));
      chain = sep == std::string_view::npos ? std::string_view() : chain.substr(sep + 2);
    }
  } else {
    // A sanitised namespace: the include's first folder (ledger/x.h), else the project's name.
    const size_t slash = plan.include.find('/');
    std::string outer =
        IdentifierFrom(slash == std::string::npos ? std::string_view(project.name)
                                                  : std::string_view(plan.include).substr(0, slash),
                       40);
    if (outer != "change" && IsCppIdentifier(outer) && outer != feature)
      plan.namespaces.push_back(outer);
  }
  plan.namespaces.push_back(feature);
  plan.flag = feature;
  plan.pragma_once = facts->pragma_once;
  plan.guard = Guard(plan.include, facts->guard_trailing_underscore);

  if (std::optional<size_t> tests = TestList(project)) {
    plan.test_list = *tests;
    plan.has_test_list = true;
  } else if (const ListFile* root_list = project.Root()) {
    plan.test_list = static_cast<size_t>(root_list - project.lists.data());
    plan.has_test_list = true;
  }

  // A source file only where the convention is clear: the owner is built from listed sources,
  // every header beside the new one has a listed source of the same name, and the list is not
  // in the tests' CMakeLists.txt (GenerateTests edits that one; a change set holds a file once).
  auto owner = project.libraries.find(plan.owner);
  if (owner != project.libraries.end() && !owner->second.interface &&
      !owner->second.sources.empty()) {
    const Library& library = owner->second;
    int headers = 0, paired = 0;
    const SourceArg* sibling = nullptr;
    for (const std::string& f : files) {
      if (PathDirName(f) != header_dir || !IsHeader(f)) continue;
      ++headers;
      for (const SourceArg& s : library.sources) {
        if (IsSource(s.path) && Stem(s.path) == Stem(f)) {
          ++paired;
          if (sibling == nullptr) sibling = &s;
          break;
        }
      }
    }
    const bool same_list = plan.has_test_list && sibling != nullptr &&
                           project.lists[sibling->list].path == project.lists[plan.test_list].path;
    if (headers > 0 && paired == headers && sibling != nullptr && !same_list) {
      const ListFile& list = project.lists[sibling->list];
      const cmake::Command& command = list.commands[sibling->command];
      const std::string name = plan.stem + std::string(Extension(sibling->path));
      plan.source = JoinPath(PathDirName(sibling->path), name);
      if (files.contains(plan.source)) return AlreadyExists(plan.source);
      // After the command's last source argument, on a line of its own when they are.
      size_t last = sibling->arg;
      for (size_t a = sibling->arg; a < command.args.size(); ++a)
        if (IsSource(command.args[a].value) || IsHeader(command.args[a].value)) last = a;
      const cmake::Argument& after = command.args[last];
      const std::string argument = SiblingArgument(command.args[sibling->arg].text, name);
      std::string insertion;
      const bool own_lines = last > 0 && command.args[last - 1].line != after.line;
      if (own_lines) {
        const size_t line_start = list.text.rfind('\n', after.begin);
        const size_t from = line_start == std::string::npos ? 0 : line_start + 1;
        insertion = "\n" + list.text.substr(from, after.begin - from) + argument;
      } else {
        insertion = " " + argument;
      }
      plan.library_list = list.path;
      plan.library_list_content = list.text;
      plan.library_list_content.insert(after.end, insertion);
    }
  }
  return plan;
}

// The commands of `list` that configure target `target` (as written) the way a new test
// should be configured too, their arguments after the target copied, except those that use a
// variable of the block around them (a foreach variable, a function's parameters).
struct Exemplar {
  std::vector<std::string> link;          // target_link_libraries arguments
  std::vector<std::string> other;         // whole commands with "@TARGET@" for the target
  std::vector<std::string> include_dirs;  // repository-relative, from target_include_directories
  std::optional<std::string> source_dir;  // the folder of its first source, when known
  std::string source_ext;                 // and that source's extension
  Registration::Kind kind = Registration::kAddTestNamed;
};

Exemplar ReadExemplar(const Project& project, const Registration& r) {
  Exemplar ex;
  ex.kind = r.kind;
  const ListFile& list = project.lists[r.list];
  std::vector<std::string> block_variables;
  for (size_t b : list.commands[r.command].blocks) {
    const cmake::Command& opener = list.commands[b];
    if (opener.name == "foreach" && !opener.args.empty()) {
      block_variables.push_back("${" + opener.args[0].value + "}");
    } else if ((opener.name == "function" || opener.name == "macro") && !opener.args.empty()) {
      for (size_t a = 1; a < opener.args.size(); ++a)
        block_variables.push_back("${" + opener.args[a].value + "}");
      for (const char* v : {"${ARGN}", "${ARGV}", "${ARGC}"}) block_variables.push_back(v);
    }
  }
  auto uses_block_variable = [&](const std::string& text) {
    return std::any_of(block_variables.begin(), block_variables.end(),
                       [&](const std::string& v) { return text.find(v) != std::string::npos; });
  };
  for (const cmake::Command& c : list.commands) {
    if (c.args.empty() || c.args[0].text != r.target) continue;
    if (c.name == "add_executable") {
      for (size_t a = 1; a < c.args.size(); ++a) {
        const std::string& v = c.args[a].value;
        if (!IsSource(v)) continue;
        // "tests/${name}.cpp": the folder is known even when the name is a variable.
        const std::string_view dir = PathDirName(v);
        ex.source_dir =
            dir.empty() ? std::optional<std::string>(list.dir) : cmake::ResolvePath(list.dir, dir);
        ex.source_ext = std::string(Extension(v));
        break;
      }
      continue;
    }
    const bool link = c.name == "target_link_libraries";
    const bool copied =
        link || c.name == "target_include_directories" || c.name == "target_compile_features" ||
        c.name == "target_compile_definitions" || c.name == "target_compile_options";
    if (!copied) continue;
    std::vector<std::string> args;
    for (size_t a = 1; a < c.args.size(); ++a) {
      if (uses_block_variable(c.args[a].text)) continue;
      args.push_back(c.args[a].text);
      if (c.name == "target_include_directories")
        if (auto dir = cmake::ResolvePath(list.dir, c.args[a].value))
          ex.include_dirs.push_back(*dir);
    }
    if (link) {
      ex.link.insert(ex.link.end(), args.begin(), args.end());
    } else if (!args.empty()) {
      std::string command = c.name + "(@TARGET@";
      for (const std::string& a : args) command += " " + a;
      ex.other.push_back(command + ")");
    }
  }
  return ex;
}

absl::StatusOr<TestPlan> MakeTestPlan(const ImplementRequest& request, const RepoFiles& files,
                                      const Project& project, const CppPlan& plan) {
  if (!plan.has_test_list)
    return absl::FailedPreconditionError(
        "scaffold provider: no CMakeLists.txt at the repository root; the C++ scaffold "
        "registers its tests with CMake");
  TestPlan test;
  const ListFile& list = project.lists[plan.test_list];
  test.list = list.path;
  const Registration* first = nullptr;
  for (const Registration& r : project.registrations)
    if (r.list == plan.test_list && first == nullptr) first = &r;
  Exemplar ex;
  if (first != nullptr) ex = ReadExemplar(project, *first);

  const auto mentions_gtest = [](const std::string& arg) {
    const std::string lower = Lowercase(arg);
    return lower.find("gtest") != std::string::npos;
  };
  test.gtest =
      project.uses_gtest && (first == nullptr || first->kind == Registration::kGtestDiscover ||
                             first->kind == Registration::kGtestAdd ||
                             std::any_of(ex.link.begin(), ex.link.end(), mentions_gtest));

  // The test's path: the analysis' when it names a C++ source, else beside the existing tests
  // and named like them.
  const std::string& suggested = request.analysis.test_path();
  if (!suggested.empty()) {
    if (absl::Status st = changeset::ValidateRepoPath(suggested); !st.ok())
      return AnalysisError("test_path", std::string(st.message()));
    if (!IsSource(suggested) || !IsPlainPath(suggested))
      return AnalysisError("test_path",
                           fmt::format("{} is not a C++ source file name the scaffold writes "
                                       "into CMake (.cc, .cpp, .cxx; letters, digits and _ . / "
                                       "+ - only)",
                                       QuoteForMessage(suggested)));
    test.path = suggested;
  } else {
    std::string dir = ex.source_dir.value_or(list.dir);
    if (first == nullptr && list.path == "CMakeLists.txt") {
      dir = "tests";
      for (const std::string& f : files)
        if (f.starts_with("test/")) dir = "test";
    }
    int prefixed = 0, suffixed = 0;
    std::map<std::string, int> exts;
    for (const std::string& f : files) {
      if (PathDirName(f) != dir || !IsSource(f)) continue;
      const std::string_view base = PathBaseName(f);
      prefixed += base.starts_with("test_") ? 1 : 0;
      suffixed += Stem(f).ends_with("_test") || Stem(f).ends_with("_unittest") ? 1 : 0;
      ++exts[std::string(Extension(f))];
    }
    if (exts.empty() && !ex.source_ext.empty()) ++exts[ex.source_ext];
    if (exts.empty()) {  // the project's own source extension
      for (const std::string& f : files)
        if (IsSource(f) && !InForeignDir(f)) ++exts[std::string(Extension(f))];
    }
    std::string ext = ".cc";
    int best = 0;
    for (const auto& [e, n] : exts)
      if (n > best) {
        best = n;
        ext = e;
      }
    test.path =
        JoinPath(dir, prefixed > suffixed ? "test_" + plan.stem + ext : plan.stem + "_test" + ext);
  }
  if (files.contains(test.path)) return AlreadyExists(test.path);

  test.target = std::string(Stem(test.path));
  for (int n = 2; project.targets.contains(test.target); ++n)
    test.target = fmt::format("{}_{}", Stem(test.path), n);

  // Link: as the existing test does, plus the header's library, plus gtest_main for GoogleTest.
  std::vector<std::string> link = ex.link;
  auto links = [&](const std::string& library) {
    return std::any_of(link.begin(), link.end(), [&](const std::string& a) {
      auto alias = project.aliases.find(a);
      return a == library || (alias != project.aliases.end() && alias->second == library);
    });
  };
  if (!plan.owner.empty() && !links(plan.owner)) link.push_back(plan.owner);
  if (test.gtest && std::none_of(link.begin(), link.end(), [](const std::string& a) {
        const std::string lower = Lowercase(a);
        return lower.find("gtest_main") != std::string::npos ||
               lower.find("gtest::main") != std::string::npos;
      }))
    link.push_back("GTest::gtest_main");
  // The existing test's signature (plain or keywords) carries over; a new list gets PRIVATE.
  if (ex.link.empty() && !link.empty()) link.insert(link.begin(), "PRIVATE");

  // The include root is reachable through the owner's public folders, a directory's
  // include_directories, or the existing test's own; else the test adds it.
  bool reachable = std::find(ex.include_dirs.begin(), ex.include_dirs.end(), plan.include_root) !=
                   ex.include_dirs.end();
  if (auto owner = project.libraries.find(plan.owner); owner != project.libraries.end())
    reachable = reachable || std::find(owner->second.public_includes.begin(),
                                       owner->second.public_includes.end(),
                                       plan.include_root) != owner->second.public_includes.end();
  for (const auto& [list_dir, dir] : project.directory_includes)
    reachable = reachable ||
                (dir == plan.include_root && (list_dir == list.dir || IsBelow(list.dir, list_dir)));

  std::string block = list.text;
  if (!block.empty() && block.back() != '\n') block += '\n';
  block +=
      fmt::format("\n# Tests of {}, generated by Slipway's scaffold provider.\n", plan.include);
  if (first == nullptr && list.path == "CMakeLists.txt" && !project.testing_enabled_at_root)
    block += "enable_testing()\n";
  block += fmt::format("add_executable({} {})\n", test.target,
                       cmake::QuoteArgument(cmake::RelativePath(list.dir, test.path)));
  if (!link.empty()) {
    block += "target_link_libraries(" + test.target;
    for (const std::string& a : link) block += " " + a;
    block += ")\n";
  }
  for (std::string command : ex.other) {
    command.replace(command.find("@TARGET@"), 8, test.target);
    block += command + "\n";
  }
  if (!reachable) {
    const std::string rel = cmake::RelativePath(list.dir, plan.include_root);
    block += fmt::format("target_include_directories({} PRIVATE ${{CMAKE_CURRENT_SOURCE_DIR}}{})\n",
                         test.target, rel == "." ? "" : "/" + rel);
  }
  switch (first == nullptr ? Registration::kAddTestNamed : first->kind) {
    case Registration::kGtestDiscover:
      block += fmt::format("gtest_discover_tests({})\n", test.target);
      break;
    case Registration::kGtestAdd:
      block += fmt::format("gtest_add_tests(TARGET {})\n", test.target);
      break;
    case Registration::kAddTestPlain:
      block += fmt::format("add_test({0} {0})\n", test.target);
      break;
    case Registration::kAddTestNamed:
      block += fmt::format("add_test(NAME {0} COMMAND {0})\n", test.target);
      break;
  }
  test.list_content = std::move(block);
  return test;
}

// ---------------------------------------------------------------------------------------------
// The files.

void AppendComment(std::string& out, std::string_view text) {
  const std::string clean = CppCommentText(text);
  size_t start = 0;
  bool first_paragraph = out.empty();
  std::string block;
  auto flush = [&] {
    std::vector<std::string> lines = WrapWords(block, kWidth);
    block.clear();
    if (lines.empty()) return;
    if (!first_paragraph) out += "//\n";
    first_paragraph = false;
    for (const std::string& line : lines) out += "// " + line + "\n";
  };
  while (start <= clean.size()) {
    size_t end = clean.find('\n', start);
    if (end == std::string::npos) end = clean.size();
    const std::string line = clean.substr(start, end - start);
    start = end + 1;
    if (line.find_first_not_of(" \t\r") == std::string::npos) {
      flush();
    } else {
      block += line + "\n";
    }
  }
  flush();
}

std::string SampleValue(const Field& field) {
  switch (SampleKindOf(field)) {
    case SampleKind::kBool:
      return "true";
    case SampleKind::kFloat:
      return "1.0";
    case SampleKind::kInt:
      return "1";
    case SampleKind::kList:
      return "[]";
    case SampleKind::kMap:
      return "{}";
    case SampleKind::kString:
      break;
  }
  return "example";
}

std::string OpenNamespaces(const CppPlan& plan) {
  std::string out;
  for (const std::string& n : plan.namespaces) out += "namespace " + n + " {\n";
  return out;
}

std::string CloseNamespaces(const CppPlan& plan) {
  std::string out;
  for (auto it = plan.namespaces.rbegin(); it != plan.namespaces.rend(); ++it)
    out += "}  // namespace " + *it + "\n";
  return out;
}

std::string QualifiedNamespace(const CppPlan& plan) {
  std::string out;
  for (const std::string& n : plan.namespaces) out += "::" + n;
  return out;
}

// The definitions, `inline` in a header-only scaffold.
std::string Definitions(const v1::Recommendation& rec, bool in_header) {
  const std::string inl = in_header ? "inline " : "";
  std::string out;
  out += inl + "const std::vector<Requirement>& requirements() {\n";
  out += "  static const std::vector<Requirement> kRequirements = {\n";
  for (const Field& f : SanitizedFields(rec))
    out += fmt::format("      {{{}, {}, {}, {}}},\n", CppStringLiteral(f.name),
                       CppStringLiteral(OneLine(f.type)), CppStringLiteral(OneLine(f.description)),
                       f.required ? "true" : "false");
  out += "  };\n  return kRequirements;\n}\n\n";
  out += inl + R"TPL(std::vector<std::string> validate(const Record& record) {
  std::vector<std::string> missing;
  for (const Requirement& r : requirements()) {
    if (r.required && record.find(r.name) == record.end()) missing.push_back(r.name);
  }
  return missing;
}

)TPL";
  out += inl + R"TPL(bool is_enabled(const Config& config) {
  const auto it = config.find(kFeatureFlag);
  if (it == config.end()) return false;
  std::string value;
  for (char c : it->second) {
    if (c == ' ' || c == '\t') continue;
    value += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return value == "true" || value == "1" || value == "yes" || value == "on";
}

)TPL";
  // The default argument belongs to the declaration: the definition itself in a header.
  out += in_header
             ? "inline Result apply(const Record& record, const Config& config = Config()) {\n"
             : "Result apply(const Record& record, const Config& config) {\n";
  out += R"TPL(  Result result;
  result.missing = validate(record);
  result.enabled = is_enabled(config);
  result.valid = result.missing.empty();
  result.applied = result.enabled && result.valid;
  for (const Requirement& r : requirements()) {
    const auto it = record.find(r.name);
    if (it != record.end()) result.data.insert(*it);
  }
  return result;
}
)TPL";
  return out;
}

std::string HeaderFile(const v1::Recommendation& rec, const v1::Analysis& analysis,
                       const CppPlan& plan) {
  const bool header_only = plan.source.empty();
  const std::string source = SourceText(rec.source());
  std::string out;
  const std::string title = OneLine(rec.title());
  AppendComment(out, title.empty() ? title : EndSentence(title));
  AppendComment(out, rec.description());
  if (!source.empty()) AppendComment(out, EndSentence("Source: " + source));
  if (const std::string points = IntegrationPointsSentence(analysis); !points.empty())
    AppendComment(out, points);
  AppendComment(out,
                "Generated by Slipway's scaffold provider as a starting point: validate() checks "
                "the data the recommendation needs, and apply() does nothing until "
                "config[kFeatureFlag] is \"true\".");
  if (plan.pragma_once) {
    out += "#pragma once\n\n";
  } else {
    out += "#ifndef " + plan.guard + "\n#define " + plan.guard + "\n\n";
  }
  if (header_only) out += "#include <cctype>\n";
  out += "#include <map>\n#include <string>\n#include <vector>\n\n";
  out += OpenNamespaces(plan) + "\n";
  out += "// The recommendation this code implements, and the work it cites.\n";
  out += "constexpr char kTitle[] = " + CppStringLiteral(OneLine(rec.title())) + ";\n";
  out += "constexpr char kSource[] = " + CppStringLiteral(source) + ";\n";
  out +=
      "// The configuration key that turns the feature on (\"true\", \"1\", \"yes\" or "
      "\"on\"); off by default.\n";
  out += "constexpr char kFeatureFlag[] = " + CppStringLiteral(plan.flag) + ";\n\n";
  out += R"TPL(// A piece of data the feature needs, as the recommendation describes it.
struct Requirement {
  const char* name;
  const char* type;
  const char* description;
  bool required;
};

// A record: field name -> value. A field is missing when its key is absent.
using Record = std::map<std::string, std::string>;
// Configuration: key -> value.
using Config = std::map<std::string, std::string>;

// What apply() did with a record.
struct Result {
  bool enabled = false;              // the flag is on
  bool valid = false;                // no required field is missing
  bool applied = false;              // enabled and valid; nothing is applied while the flag is off
  std::vector<std::string> missing;  // the required fields the record lacks, in order
  Record data;                       // the fields of the record the feature knows
};

)TPL";
  if (header_only) {
    out +=
        "// requirements(): the data the feature needs, in the recommendation's order.\n"
        "// validate(): the required fields `record` lacks, in that order.\n"
        "// is_enabled(): whether `config` turns the feature on.\n"
        "// apply(): validates `record` and reports what the feature does with it.\n";
    out += Definitions(rec, true);
  } else {
    out += R"TPL(// The data the feature needs, in the recommendation's order.
const std::vector<Requirement>& requirements();

// The required fields `record` lacks, in declaration order.
std::vector<std::string> validate(const Record& record);

// Whether `config` turns the feature on: config[kFeatureFlag] is "true", "1", "yes" or "on"
// (in any case).
bool is_enabled(const Config& config);

// Validates `record` and reports what the feature does with it.
Result apply(const Record& record, const Config& config = Config());
)TPL";
  }
  out += "\n" + CloseNamespaces(plan);
  if (!plan.pragma_once) out += "\n#endif  // " + plan.guard + "\n";
  return out;
}

std::string SourceFile(const v1::Recommendation& rec, const CppPlan& plan) {
  std::string out;
  AppendComment(out, "The scaffold declared in " + plan.include +
                         ", generated with it by Slipway's scaffold provider.");
  out += "#include \"" + plan.include + "\"\n\n#include <cctype>\n\n";
  out += OpenNamespaces(plan) + "\n";
  out += Definitions(rec, false);
  out += "\n" + CloseNamespaces(plan);
  return out;
}

std::string TestFile(const v1::Recommendation& rec, const CppPlan& plan, const TestPlan& test) {
  const std::vector<Field> fields = SanitizedFields(rec);
  std::string record = "{";
  std::string required = "{";
  bool first_required = true;
  for (size_t i = 0; i < fields.size(); ++i) {
    record += fmt::format("{}{{{}, {}}}", i ? ", " : "", CppStringLiteral(fields[i].name),
                          CppStringLiteral(SampleValue(fields[i])));
    if (fields[i].required) {
      required += (first_required ? "" : ", ") + CppStringLiteral(fields[i].name);
      first_required = false;
    }
  }
  record += "}";
  required += "}";
  std::string unknown_key = "not_a_requirement";
  while (std::any_of(fields.begin(), fields.end(),
                     [&](const Field& f) { return f.name == unknown_key; }))
    unknown_key += "_";
  const std::string title = CppStringLiteral(OneLine(rec.title()));
  const std::string flag = CppStringLiteral(plan.flag);
  const std::string count = fmt::format("{}u", fields.size());

  std::string out;
  AppendComment(out, "Tests of " + plan.include + ", generated with it by Slipway's scaffold " +
                         (test.gtest ? "provider."
                                     : "provider. A plain program: it prints every check that "
                                       "fails and exits non-zero if one does."));
  out += "#include \"" + plan.include + "\"\n\n";
  if (test.gtest) {
    const std::string suite = PascalCase(plan.flag) + "Test";
    out += "#include <gtest/gtest.h>\n\n#include <string>\n#include <vector>\n\nnamespace {\n\n";
    out += "namespace feature = " + QualifiedNamespace(plan) + ";\n\n";
    out += "feature::Record ValidRecord() { return " + record + "; }\n\n";
    out += "const std::vector<std::string> kRequired = " + required + ";\n\n";
    out += "TEST(" + suite + ", Metadata) {\n";
    out += "  EXPECT_EQ(std::string(feature::kTitle), " + title + ");\n";
    out += "  EXPECT_EQ(std::string(feature::kFeatureFlag), " + flag + ");\n";
    out += "  EXPECT_EQ(feature::requirements().size(), " + count + ");\n}\n\n";
    out += "TEST(" + suite + ", ValidateListsMissingRequiredFields) {\n";
    out += "  EXPECT_EQ(feature::validate({}), kRequired);\n";
    out += "  EXPECT_TRUE(feature::validate(ValidRecord()).empty());\n}\n\n";
    out += "TEST(" + suite + ", DisabledByDefault) {\n";
    out += "  EXPECT_FALSE(feature::is_enabled({}));\n";
    out += "  EXPECT_FALSE(feature::is_enabled({{feature::kFeatureFlag, \"false\"}}));\n";
    out += "  EXPECT_TRUE(feature::is_enabled({{feature::kFeatureFlag, \"true\"}}));\n";
    out += "  EXPECT_TRUE(feature::is_enabled({{feature::kFeatureFlag, \" On \"}}));\n}\n\n";
    out += "TEST(" + suite + ", ApplyDoesNothingWhileDisabled) {\n";
    out += "  const feature::Result result = feature::apply(ValidRecord());\n";
    out +=
        "  EXPECT_TRUE(result.valid);\n  EXPECT_FALSE(result.enabled);\n"
        "  EXPECT_FALSE(result.applied);\n}\n\n";
    out += "TEST(" + suite + ", ApplyOnAValidRecord) {\n";
    out += "  feature::Record record = ValidRecord();\n";
    out += "  record[" + CppStringLiteral(unknown_key) + "] = \"1\";\n";
    out +=
        "  const feature::Result result = feature::apply(record, {{feature::kFeatureFlag, "
        "\"true\"}});\n";
    out += "  EXPECT_TRUE(result.applied);\n  EXPECT_TRUE(result.missing.empty());\n";
    out += "  EXPECT_EQ(result.data, ValidRecord());\n}\n\n";
    out += "TEST(" + suite + ", ApplyReportsMissingFields) {\n";
    out +=
        "  const feature::Result result = feature::apply({}, {{feature::kFeatureFlag, "
        "\"true\"}});\n";
    out += "  EXPECT_EQ(result.missing, kRequired);\n";
    out += "  EXPECT_EQ(result.applied, kRequired.empty());\n";
    out += "  EXPECT_TRUE(result.data.empty());\n}\n\n}  // namespace\n";
    return out;
  }
  out += "#include <cstdio>\n#include <string>\n#include <vector>\n\nnamespace {\n\n";
  out += "int failures = 0;\n\n";
  out += "void Check(bool ok, const char* what, int line) {\n  if (ok) return;\n";
  out += "  std::fprintf(stderr, \"%s:%d: check failed: %s\\n\", __FILE__, line, what);\n";
  out += "  ++failures;\n}\n\n}  // namespace\n\n";
  out += "#define SCAFFOLD_CHECK(condition) Check((condition), #condition, __LINE__)\n\n";
  out += "int main() {\n";
  out += "  namespace feature = " + QualifiedNamespace(plan) + ";\n";
  out += "  const feature::Record valid = " + record + ";\n";
  out += "  const std::vector<std::string> required = " + required + ";\n\n";
  out += "  SCAFFOLD_CHECK(std::string(feature::kTitle) == " + title + ");\n";
  out += "  SCAFFOLD_CHECK(std::string(feature::kFeatureFlag) == " + flag + ");\n";
  out += "  SCAFFOLD_CHECK(feature::requirements().size() == " + count + ");\n\n";
  out += "  SCAFFOLD_CHECK(feature::validate({}) == required);\n";
  out += "  SCAFFOLD_CHECK(feature::validate(valid).empty());\n\n";
  out += "  SCAFFOLD_CHECK(!feature::is_enabled({}));\n";
  out += "  SCAFFOLD_CHECK(!feature::is_enabled({{feature::kFeatureFlag, \"false\"}}));\n";
  out += "  SCAFFOLD_CHECK(feature::is_enabled({{feature::kFeatureFlag, \"true\"}}));\n";
  out += "  SCAFFOLD_CHECK(feature::is_enabled({{feature::kFeatureFlag, \" On \"}}));\n\n";
  out += "  const feature::Result off = feature::apply(valid);\n";
  out += "  SCAFFOLD_CHECK(off.valid && !off.enabled && !off.applied);\n\n";
  out += "  feature::Record extended = valid;\n";
  out += "  extended[" + CppStringLiteral(unknown_key) + "] = \"1\";\n";
  out +=
      "  const feature::Result on = feature::apply(extended, {{feature::kFeatureFlag, "
      "\"true\"}});\n";
  out += "  SCAFFOLD_CHECK(on.valid && on.enabled && on.applied);\n";
  out += "  SCAFFOLD_CHECK(on.missing.empty());\n";
  out += "  SCAFFOLD_CHECK(on.data == valid);\n\n";
  out +=
      "  const feature::Result incomplete = feature::apply({}, {{feature::kFeatureFlag, "
      "\"true\"}});\n";
  out += "  SCAFFOLD_CHECK(incomplete.missing == required);\n";
  out += "  SCAFFOLD_CHECK(incomplete.applied == required.empty());\n";
  out += "  SCAFFOLD_CHECK(incomplete.data.empty());\n\n";
  out += "  if (failures > 0) {\n";
  out += "    std::fprintf(stderr, \"%d check(s) failed\\n\", failures);\n    return 1;\n  }\n";
  out += "  std::printf(\"all checks passed\\n\");\n  return 0;\n}\n";
  return out;
}

}  // namespace

absl::StatusOr<v1::ChangeSet> ImplementCpp(const ImplementRequest& request,
                                           const RepoFiles& files) {
  absl::StatusOr<Project> project = ReadProject(request, files);
  if (!project.ok()) return project.status();
  absl::StatusOr<CppPlan> plan = MakeCppPlan(request, files, *project);
  if (!plan.ok()) return plan.status();
  const v1::Recommendation& rec = request.recommendation;
  v1::ChangeSet out;
  std::string ns;
  for (const std::string& n : plan->namespaces) ns += (ns.empty() ? "" : "::") + n;
  out.set_summary(
      fmt::format("scaffold: C++ {} {} (#include \"{}\", namespace {}){} for {}",
                  plan->source.empty() ? "header-only" : "header", plan->header, plan->include, ns,
                  plan->source.empty()
                      ? ""
                      : fmt::format(", source {} listed in {}", plan->source, plan->library_list),
                  QuoteForMessage(SanitizeUtf8(rec.title()), 80)));
  AddFile(out, plan->header, HeaderFile(rec, request.analysis, *plan), v1::ChangedFile::ACTION_ADD,
          false);
  if (!plan->source.empty()) {
    AddFile(out, plan->source, SourceFile(rec, *plan), v1::ChangedFile::ACTION_ADD, false);
    AddFile(out, plan->library_list, plan->library_list_content, v1::ChangedFile::ACTION_MODIFY,
            false);
  }
  return out;
}

absl::StatusOr<v1::ChangeSet> CppTests(const ImplementRequest& request, const RepoFiles& files,
                                       const v1::ChangeSet& change) {
  absl::StatusOr<Project> project = ReadProject(request, files);
  if (!project.ok()) return project.status();
  absl::StatusOr<CppPlan> plan = MakeCppPlan(request, files, *project);
  if (!plan.ok()) return plan.status();
  if (absl::Status st = RequireAdded(change, plan->header); !st.ok()) return st;
  absl::StatusOr<TestPlan> test = MakeTestPlan(request, files, *project, *plan);
  if (!test.ok()) return test.status();
  v1::ChangeSet out;
  out.set_summary(fmt::format("scaffold: {} test {} (target {}) registered in {}",
                              test->gtest ? "GoogleTest" : "plain CTest", test->path, test->target,
                              test->list));
  AddFile(out, test->path, TestFile(request.recommendation, *plan, *test),
          v1::ChangedFile::ACTION_ADD, true);
  AddFile(out, test->list, test->list_content, v1::ChangedFile::ACTION_MODIFY, false);
  return out;
}

}  // namespace slipway::implementer::scaffold
