#include "services/implementer/file_checks.h"

#include <fmt/format.h>
#include <stdlib.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <unordered_map>

#include "libs/changeset/change_set.h"
#include "libs/code/imports.h"
#include "libs/code/manifests.h"
#include "libs/core/status.h"
#include "libs/core/text.h"
#include "services/implementer/proposed_provider.h"
#include "services/implementer/python_check.h"
#include "services/implementer/tool_run.h"
#include "services/mapper/mapper.h"

namespace slipway::implementer {
namespace {

namespace fs = std::filesystem;

constexpr size_t kMaxToolOutput = 1500;

class TempDir {
 public:
  static absl::StatusOr<TempDir> Make() {
    std::string templ = (fs::temp_directory_path() / "slipway-check-XXXXXX").string();
    if (::mkdtemp(templ.data()) == nullptr)
      return absl::InternalError(fmt::format("cannot create a folder for the checks: {}", templ));
    return TempDir(fs::path(templ));
  }
  TempDir(TempDir&& other) noexcept : path_(std::move(other.path_)) { other.path_.clear(); }
  TempDir(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  explicit TempDir(fs::path p) : path_(std::move(p)) {}
  fs::path path_;
};

std::string Extension(std::string_view path) {
  std::string base(PathBaseName(path));
  size_t dot = base.rfind('.');
  if (dot == std::string::npos || dot == 0) return "";
  std::string ext = base.substr(dot);
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return ext;
}

// The tool's output with the temp folder's prefix removed, so messages name repository paths.
std::string CleanOutput(std::string out, const fs::path& root) {
  const std::string prefix = root.string() + "/";
  for (size_t at; (at = out.find(prefix)) != std::string::npos;) out.erase(at, prefix.size());
  while (!out.empty() && std::isspace(static_cast<unsigned char>(out.back()))) out.pop_back();
  if (out.size() > kMaxToolOutput) out = out.substr(0, kMaxToolOutput) + "...";
  return out;
}

// Package names as the ecosystem compares them: PyPI ignores case and treats -, _ and . alike.
std::string NormalizeName(std::string_view ecosystem, std::string_view name) {
  std::string out(name);
  if (ecosystem == "pypi") {
    for (char& c : out) {
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (c == '_' || c == '.') c = '-';
    }
  }
  return out;
}

// Python import names whose distribution is named otherwise.
std::string_view PythonDistribution(std::string_view import_name) {
  static const std::map<std::string_view, std::string_view> kNames = {
      {"yaml", "pyyaml"},
      {"PIL", "pillow"},
      {"sklearn", "scikit-learn"},
      {"cv2", "opencv-python"},
      {"bs4", "beautifulsoup4"},
      {"dateutil", "python-dateutil"},
      {"jwt", "pyjwt"},
      {"google", "google-cloud"},
      {"psycopg2", "psycopg2-binary"},
      {"dotenv", "python-dotenv"},
      {"magic", "python-magic"},
      {"attr", "attrs"}};
  auto it = kNames.find(import_name);
  return it == kNames.end() ? import_name : it->second;
}

std::string_view EcosystemOf(std::string_view language) {
  if (language == "python") return "pypi";
  if (language == "javascript" || language == "typescript") return "npm";
  if (language == "go") return "go";
  if (language == "rust") return "cargo";
  return "";
}

bool IsRelative(std::string_view language, const code::Import& imp) {
  if (language == "python") return imp.level > 0;
  if (language == "javascript" || language == "typescript")
    return imp.target.starts_with("./") || imp.target.starts_with("../") || imp.target == "." ||
           imp.target == "..";
  if (language == "c" || language == "cpp") return imp.local_include;
  if (language == "rust")
    return imp.target.starts_with("crate::") || imp.target.starts_with("self::") ||
           imp.target.starts_with("super::");
  return false;
}

struct Context {
  const ImplementRequest& request;
  const FileRules& rules;
  std::set<std::string> base_files;
  std::set<std::string> base_dirs;
};

void CheckShape(const std::vector<AnswerFile>& files, const Context& ctx,
                std::vector<std::string>& problems) {
  if (files.size() > ctx.rules.max_files)
    problems.push_back(fmt::format("{} files written; at most {} are accepted", files.size(),
                                   ctx.rules.max_files));
  size_t total = 0;
  std::set<std::string_view> seen;
  for (const AnswerFile& f : files) {
    total += f.content.size();
    if (absl::Status st = changeset::ValidateRepoPath(f.path); !st.ok()) {
      problems.push_back(std::string(st.message()));
      continue;
    }
    if (!seen.insert(f.path).second) problems.push_back(fmt::format("{}: written twice", f.path));
    for (const std::string& bad : ctx.rules.forbidden)
      if (f.path == bad || (bad.ends_with('/') && f.path.starts_with(bad)))
        problems.push_back(fmt::format("{}: this path may not be changed", f.path));
    const std::string ext = Extension(f.path);
    const std::string base(PathBaseName(f.path));
    const auto& exts = ctx.rules.allowed_extensions;
    const auto& names = ctx.rules.allowed_names;
    if (std::find(names.begin(), names.end(), base) == names.end() &&
        std::find(exts.begin(), exts.end(), ext) == exts.end())
      problems.push_back(fmt::format("{}: files of this kind may not be written (accepted: {})",
                                     f.path, fmt::join(exts, " ")));
    if (f.content.size() > ctx.rules.max_file_bytes)
      problems.push_back(fmt::format("{}: {} bytes; at most {} are accepted", f.path,
                                     f.content.size(), ctx.rules.max_file_bytes));
    if (f.content.find('\0') != std::string::npos ||
        InvalidUtf8Offset(f.content) != std::string::npos)
      problems.push_back(fmt::format("{}: not UTF-8 text", f.path));
    if (ctx.base_dirs.contains(f.path))
      problems.push_back(fmt::format("{}: a folder of that name exists", f.path));
    for (size_t slash = f.path.find('/'); slash != std::string::npos;
         slash = f.path.find('/', slash + 1))
      if (ctx.base_files.contains(f.path.substr(0, slash)))
        problems.push_back(
            fmt::format("{}: {} is a file, not a folder", f.path, f.path.substr(0, slash)));
  }
  if (total > ctx.rules.max_total_bytes)
    problems.push_back(fmt::format("{} bytes written in all; at most {} are accepted", total,
                                   ctx.rules.max_total_bytes));
}

// Syntax of every file by its language's own tool; `root` holds base + also_present + files
// when a compiler needs the repository's headers, else only the files.
void CheckSyntax(const std::vector<AnswerFile>& files, const fs::path& root, const Context& ctx,
                 std::vector<std::string>& problems, std::vector<std::string>& notes) {
  std::set<std::string> missing;
  auto run = [&](const std::vector<std::string>& argv,
                 const std::string& path) -> std::optional<ToolResult> {
    if (missing.contains(argv[0])) return std::nullopt;
    auto r = RunTool(argv, root, ctx.rules.tool_timeout);
    if (r.status().code() == absl::StatusCode::kNotFound) {
      missing.insert(argv[0]);
      notes.push_back(fmt::format("{} is not installed: syntax not checked", argv[0]));
      return std::nullopt;
    }
    if (!r.ok()) {
      notes.push_back(fmt::format("{}: {}", path, r.status().message()));
      return std::nullopt;
    }
    return *r;
  };
  for (const AnswerFile& f : files) {
    const std::string language = mapper::LanguageForPath(f.path);
    if (language == "python") {
      absl::Status st = CheckPythonSyntax(f.path, f.content);
      if (st.code() == absl::StatusCode::kInvalidArgument) {
        problems.push_back(std::string(st.message()));
      } else if (st.code() == absl::StatusCode::kNotFound) {
        if (missing.insert("python3").second)
          notes.push_back("python3 is not installed: syntax not checked");
      } else if (!st.ok()) {
        notes.push_back(std::string(st.message()));
      }
    } else if (language == "go") {
      if (auto r = run({"gofmt", "-e", "-l", f.path}, f.path); r && r->exit_code != 0)
        problems.push_back(
            fmt::format("{}: Go syntax error:\n{}", f.path, CleanOutput(r->output, root)));
    } else if (Extension(f.path) == ".js" || Extension(f.path) == ".mjs" ||
               Extension(f.path) == ".cjs") {
      if (auto r = run({"node", "--check", f.path}, f.path); r && r->exit_code != 0)
        problems.push_back(
            fmt::format("{}: JavaScript syntax error:\n{}", f.path, CleanOutput(r->output, root)));
    } else if (language == "c" || language == "cpp") {
      const std::string ext = Extension(f.path);
      const bool header = ext == ".h" || ext == ".hh" || ext == ".hpp" || ext == ".hxx";
      std::vector<std::string> argv = {language == "c" && !header ? "gcc" : "g++", "-fsyntax-only",
                                       "-w"};
      if (header) {
        argv.push_back("-x");
        argv.push_back(language == "c" ? "c" : "c++");
      }
      if (language == "cpp" || header) argv.push_back("-std=c++20");
      for (const char* dir : {".", "include", "src"}) argv.push_back(fmt::format("-I{}", dir));
      std::string parent = fs::path(f.path).parent_path().string();
      if (!parent.empty()) argv.push_back("-I" + parent);
      argv.push_back(f.path);
      auto r = run(argv, f.path);
      if (!r || r->exit_code == 0) continue;
      std::string out = CleanOutput(r->output, root);
      // A third-party header this machine lacks says nothing about the file's syntax.
      if (out.find("No such file or directory") != std::string::npos &&
          out.find("fatal error: ") != std::string::npos &&
          out.find(" error: ") == out.rfind(" error: ")) {
        size_t at = out.find("fatal error: ");
        notes.push_back(fmt::format("{}: not compiled here: {}", f.path,
                                    out.substr(at + 13, out.find('\n', at) - at - 13)));
        continue;
      }
      problems.push_back(fmt::format("{}: does not compile:\n{}", f.path, out));
    }
  }
}

void CheckImports(const std::vector<AnswerFile>& files, const v1::ChangeSet& also_present,
                  const Context& ctx, std::vector<std::string>& problems) {
  std::vector<std::string> all(ctx.base_files.begin(), ctx.base_files.end());
  for (const auto& f : also_present.files()) all.push_back(f.path());
  for (const AnswerFile& f : files) all.push_back(f.path);
  std::unordered_map<std::string, std::string> java_packages;
  for (const AnswerFile& f : files) {
    std::string lang = mapper::LanguageForPath(f.path);
    if (lang == "java" || lang == "kotlin")
      java_packages[f.path] = code::DeclaredPackage(lang, f.content);
  }
  code::ImportResolver resolver(all, ctx.request.map.go_module(), java_packages);

  // Declared dependencies by ecosystem, and the text of manifests the change itself edits.
  std::map<std::string, std::set<std::string>> declared;
  for (const v1::DependencyManifest& m : ctx.request.map.manifests())
    for (const v1::Dependency& d : m.dependencies())
      declared[m.ecosystem()].insert(NormalizeName(m.ecosystem(), d.name()));
  for (const v1::DependencyNeed& n : ctx.request.analysis.dependencies())
    if (n.declared()) declared[n.ecosystem()].insert(NormalizeName(n.ecosystem(), n.name()));
  std::string edited_manifests;
  for (const AnswerFile& f : files)
    if (code::IsManifestPath(f.path)) edited_manifests += f.content + "\n";
  for (const auto& f : also_present.files())
    if (code::IsManifestPath(f.path())) edited_manifests += f.content() + "\n";

  for (const AnswerFile& f : files) {
    const std::string language = mapper::LanguageForPath(f.path);
    const std::string_view ecosystem = EcosystemOf(language);
    for (const code::Import& imp : code::ParseImports(language, f.content)) {
      if (!resolver.Resolve(language, f.path, imp).empty()) continue;
      std::string pkg = resolver.ExternalPackage(language, f.path, imp);
      if (pkg.empty()) {
        bool internal_go = language == "go" && !ctx.request.map.go_module().empty() &&
                           (imp.target == ctx.request.map.go_module() ||
                            imp.target.starts_with(ctx.request.map.go_module() + "/"));
        if (IsRelative(language, imp) || internal_go)
          problems.push_back(fmt::format("{} line {}: imports {}, which is not in the repository",
                                         f.path, imp.line, imp.target));
        continue;
      }
      if (ecosystem.empty()) continue;  // C/C++, Java, Kotlin: packages are not named by manifests
      std::string name = language == "python" ? std::string(PythonDistribution(pkg)) : pkg;
      if (declared[std::string(ecosystem)].contains(NormalizeName(ecosystem, name))) continue;
      if (language == "go" && declared["go"].contains(pkg)) continue;
      if (edited_manifests.find(pkg) != std::string::npos ||
          edited_manifests.find(name) != std::string::npos)
        continue;
      problems.push_back(fmt::format(
          "{} line {}: imports {}, which no manifest of the repository declares; use what the "
          "repository has, or add it to the manifest",
          f.path, imp.line, pkg));
    }
  }
}

}  // namespace

absl::StatusOr<FileCheckOutcome> CheckModelFiles(const std::vector<AnswerFile>& files,
                                                 const ImplementRequest& request,
                                                 const v1::ChangeSet& also_present,
                                                 const FileRules& rules) {
  SLIPWAY_ASSIGN_OR_RETURN(std::vector<repo::TreeFile> tree,
                           request.repo.ListFiles(request.commit));
  Context ctx{request, rules, {}, {}};
  for (const repo::TreeFile& f : tree) {
    ctx.base_files.insert(f.path);
    for (size_t slash = f.path.find('/'); slash != std::string::npos;
         slash = f.path.find('/', slash + 1))
      ctx.base_dirs.insert(f.path.substr(0, slash));
  }
  FileCheckOutcome out;
  if (files.empty()) out.problems.push_back("the answer has no files");
  CheckShape(files, ctx, out.problems);
  if (!out.problems.empty()) return out;  // later checks assume sane paths and sizes

  for (const AnswerFile& f : files) {
    v1::ChangedFile* c = out.change.add_files();
    c->set_path(f.path);
    c->set_content(f.content);
    c->set_action(ctx.base_files.contains(f.path) ? v1::ChangedFile::ACTION_MODIFY
                                                  : v1::ChangedFile::ACTION_ADD);
    c->set_is_test(mapper::IsTestFile(f.path) || LooksLikeTestPath(f.path));
  }
  if (rules.import_check) CheckImports(files, also_present, ctx, out.problems);
  if (rules.syntax_check) {
    SLIPWAY_ASSIGN_OR_RETURN(TempDir dir, TempDir::Make());
    const bool needs_tree = std::any_of(files.begin(), files.end(), [](const AnswerFile& f) {
      std::string l = mapper::LanguageForPath(f.path);
      return l == "c" || l == "cpp";
    });
    if (needs_tree) SLIPWAY_RETURN_IF_ERROR(request.repo.Checkout(request.commit, dir.path()));
    SLIPWAY_RETURN_IF_ERROR(changeset::ApplyToDirectory(also_present, dir.path()));
    SLIPWAY_RETURN_IF_ERROR(changeset::ApplyToDirectory(out.change, dir.path()));
    CheckSyntax(files, dir.path(), ctx, out.problems, out.notes);
  }
  return out;
}

}  // namespace slipway::implementer
