// The Go scaffold: a file in the package of analysis.suggested_path's folder and its tests.
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <map>

#include "libs/changeset/change_set.h"
#include "libs/code/imports.h"
#include "libs/core/text.h"
#include "libs/recommendation/recommendation.h"
#include "services/implementer/python_text.h"
#include "services/implementer/scaffold_internal.h"
#include "services/implementer/source_text.h"

namespace slipway::implementer::scaffold {
namespace {

using recommendation::QuoteForMessage;

constexpr size_t kWidth = 96;            // comment lines, after "// "
constexpr size_t kMaxPackageFiles = 64;  // .go files read to learn the package's names

// Names the generated file declares at package level. When the package already declares one
// of them, every name gets the feature's prefix (ShippingInsuranceTitle, ...).
constexpr std::string_view kDeclaredNames[] = {"Title",       "Source",       "FeatureFlag",
                                               "Requirement", "Requirements", "MissingFieldsError",
                                               "Validate",    "IsEnabled",    "Apply"};

// File name suffixes that make the go tool build a file only on one system or architecture.
constexpr std::string_view kGoos[] = {
    "aix",   "android", "darwin", "dragonfly", "freebsd", "hurd",    "illumos", "ios",     "js",
    "linux", "nacl",    "netbsd", "openbsd",   "plan9",   "solaris", "wasip1",  "windows", "zos"};
constexpr std::string_view kGoarch[] = {
    "386",     "amd64",  "amd64p32", "arm",      "armbe",     "arm64",       "arm64be", "loong64",
    "mips",    "mipsle", "mips64",   "mips64le", "mips64p32", "mips64p32le", "ppc",     "ppc64",
    "ppc64le", "riscv",  "riscv64",  "s390",     "s390x",     "sparc",       "sparc64", "wasm"};

template <size_t N>
bool OneOf(const std::string_view (&list)[N], std::string_view word) {
  return std::find(std::begin(list), std::end(list), word) != std::end(list);
}

// The go tool's file name constraints: name_GOOS, name_GOARCH, name_GOOS_GOARCH.
bool HasBuildConstraintSuffix(std::string_view stem) {
  std::vector<std::string_view> parts;
  for (size_t start = 0;;) {
    const size_t us = stem.find('_', start);
    parts.push_back(stem.substr(start, us == std::string_view::npos ? stem.npos : us - start));
    if (us == std::string_view::npos) break;
    start = us + 1;
  }
  const size_t n = parts.size();
  if (n >= 2 && (OneOf(kGoos, parts[n - 1]) || OneOf(kGoarch, parts[n - 1]))) return true;
  return n >= 3 && OneOf(kGoos, parts[n - 2]) && OneOf(kGoarch, parts[n - 1]);
}

struct GoPlan {
  std::string path;       // rates/shipping_insurance.go
  std::string dir;        // rates
  std::string stem;       // shipping_insurance
  std::string package;    // rates
  std::string test_path;  // rates/shipping_insurance_test.go
  std::string prefix;     // "" or "ShippingInsurance" when the package has one of the names
  std::string any;        // "any", or "interface{}" before Go 1.18
};

// The .go files directly in `dir` (not ignored by the go tool: no leading '.' or '_').
std::vector<std::string> GoFilesIn(const RepoFiles& files, std::string_view dir) {
  std::vector<std::string> out;
  const std::string prefix = dir.empty() ? "" : std::string(dir) + "/";
  for (auto it = files.lower_bound(prefix); it != files.end() && it->starts_with(prefix); ++it) {
    const std::string_view rest = std::string_view(*it).substr(prefix.size());
    if (rest.find('/') != std::string_view::npos || !rest.ends_with(".go")) continue;
    if (rest.starts_with(".") || rest.starts_with("_")) continue;
    out.push_back(*it);
  }
  return out;
}

// A package name from a folder or module name: lowercase letters, digits and '_'.
std::string SanitizedPackageName(std::string_view name) {
  std::string out;
  for (char c : name) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_') out.push_back(c);
  }
  if (out.empty() || out == "_") return "feature";
  if (out[0] >= '0' && out[0] <= '9') out = "pkg" + out;
  if (!IsGoIdentifier(out)) out += "pkg";
  return out;
}

// The `go 1.N` directive of the go.mod nearest above `dir`; -1 when there is no go.mod or
// it declares no version (the go tool then assumes a version older than 1.18).
absl::StatusOr<int> GoMinorVersion(const ImplementRequest& request, const RepoFiles& files,
                                   std::string_view dir, std::string* module_path) {
  std::string d(dir);
  while (true) {
    const std::string mod = d.empty() ? "go.mod" : d + "/go.mod";
    if (files.contains(mod)) {
      absl::StatusOr<std::string> text = ReadRepositoryFile(request, mod);
      if (!text.ok()) return text.status();
      int minor = -1;
      size_t start = 0;
      while (start < text->size()) {
        size_t end = text->find('\n', start);
        if (end == std::string::npos) end = text->size();
        std::string_view line = std::string_view(*text).substr(start, end - start);
        start = end + 1;
        while (!line.empty() && (line.front() == ' ' || line.front() == '\t'))
          line.remove_prefix(1);
        if (line.starts_with("module ") && module_path != nullptr) {
          std::string_view m = line.substr(7);
          while (!m.empty() && (m.front() == ' ' || m.front() == '"')) m.remove_prefix(1);
          while (!m.empty() && (m.back() == ' ' || m.back() == '"' || m.back() == '\r'))
            m.remove_suffix(1);
          *module_path = std::string(m);
        }
        if (line.starts_with("go 1.")) {
          minor = 0;
          for (char c : line.substr(5)) {
            if (c < '0' || c > '9') break;
            minor = minor * 10 + (c - '0');
          }
        }
      }
      return minor;
    }
    if (d.empty()) return -1;
    d = std::string(PathDirName(d));
  }
}

// Names a Go source declares at package level (functions, types, variables, constants),
// read line by line: enough to avoid redeclaring one.
std::set<std::string> TopLevelNames(std::string_view source) {
  std::set<std::string> names;
  auto ident = [](std::string_view s) {
    size_t n = 0;
    while (n < s.size() && (std::isalnum(static_cast<unsigned char>(s[n])) || s[n] == '_')) ++n;
    return std::string(s.substr(0, n));
  };
  bool in_group = false;
  size_t start = 0;
  while (start < source.size()) {
    size_t end = source.find('\n', start);
    if (end == std::string_view::npos) end = source.size();
    std::string_view line = source.substr(start, end - start);
    start = end + 1;
    if (in_group) {
      if (line.starts_with(")")) {
        in_group = false;
      } else if (line.starts_with("\t") && line.size() > 1 && line[1] != '\t' && line[1] != '/') {
        // `\tA, B = ...` or `\tName Type`
        std::string_view rest = line.substr(1);
        while (!rest.empty()) {
          std::string name = ident(rest);
          if (name.empty()) break;
          names.insert(name);
          rest.remove_prefix(name.size());
          while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
          if (rest.empty() || rest.front() != ',') break;
          rest.remove_prefix(1);
          while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
        }
      }
      continue;
    }
    if (line.starts_with("func ") && !line.starts_with("func (")) {
      names.insert(ident(line.substr(5)));
      continue;
    }
    for (std::string_view kw : {"type ", "var ", "const "}) {
      if (!line.starts_with(kw)) continue;
      std::string_view rest = line.substr(kw.size());
      if (rest.starts_with("(")) {
        in_group = true;
      } else {
        names.insert(ident(rest));
      }
    }
  }
  names.erase("");
  return names;
}

absl::StatusOr<GoPlan> MakeGoPlan(const ImplementRequest& request, const RepoFiles& files) {
  const v1::Analysis& analysis = request.analysis;
  GoPlan plan;
  plan.path = analysis.suggested_path().empty()
                  ? IdentifierFrom(request.recommendation.title(), 40) + ".go"
                  : analysis.suggested_path();
  if (absl::Status st = changeset::ValidateRepoPath(plan.path); !st.ok())
    return AnalysisError("suggested_path", std::string(st.message()));
  const std::string_view base = PathBaseName(plan.path);
  if (!base.ends_with(".go") || base.ends_with("_test.go") || base.starts_with(".") ||
      base.starts_with("_"))
    return AnalysisError("suggested_path",
                         fmt::format("{} is not a Go source file the go tool builds (a .go "
                                     "file, not _test.go, not starting with '.' or '_')",
                                     QuoteForMessage(plan.path)));
  plan.stem = std::string(base.substr(0, base.size() - 3));
  if (HasBuildConstraintSuffix(plan.stem))
    return AnalysisError(
        "suggested_path",
        fmt::format("{} ends in a GOOS or GOARCH suffix, so the go tool would build it only "
                    "there",
                    QuoteForMessage(plan.path)));
  plan.dir = std::string(PathDirName(plan.path));

  if (analysis.test_path().empty()) {
    plan.test_path = (plan.dir.empty() ? "" : plan.dir + "/") + plan.stem + "_test.go";
  } else {
    plan.test_path = analysis.test_path();
    if (absl::Status st = changeset::ValidateRepoPath(plan.test_path); !st.ok())
      return AnalysisError("test_path", std::string(st.message()));
    if (!plan.test_path.ends_with("_test.go") || PathDirName(plan.test_path) != plan.dir ||
        PathBaseName(plan.test_path).starts_with("_") ||
        PathBaseName(plan.test_path).starts_with("."))
      return AnalysisError(
          "test_path", fmt::format("{} is not a _test.go file in the folder of {} (Go tests "
                                   "live in their package's folder)",
                                   QuoteForMessage(plan.test_path), QuoteForMessage(plan.path)));
  }
  for (const std::string* path : {&plan.path, &plan.test_path})
    if (files.contains(*path)) return AlreadyExists(*path);

  // The package the folder's sources declare (the majority; test files count only when no
  // other file says, without their _test suffix).
  std::map<std::string, int> declared, declared_by_tests;
  std::map<std::string, std::string> sources;  // path -> content, of the folder
  std::vector<std::string> in_dir = GoFilesIn(files, plan.dir);
  if (in_dir.size() > kMaxPackageFiles) in_dir.resize(kMaxPackageFiles);
  for (const std::string& path : in_dir) {
    absl::StatusOr<std::string> text = ReadRepositoryFile(request, path);
    if (!text.ok()) return text.status();
    std::string package = code::DeclaredPackage("go", *text);
    if (package.empty()) continue;
    if (path.ends_with("_test.go")) {
      if (package.ends_with("_test")) package.resize(package.size() - 5);
      ++declared_by_tests[package];
    } else {
      ++declared[package];
    }
    sources.emplace(path, std::move(*text));
  }
  const auto& votes = declared.empty() ? declared_by_tests : declared;
  int best = 0;
  for (const auto& [package, n] : votes)
    if (n > best && IsGoIdentifier(package)) {
      best = n;
      plan.package = package;
    }
  std::string module_path;
  absl::StatusOr<int> minor = GoMinorVersion(request, files, plan.dir, &module_path);
  if (!minor.ok()) return minor.status();
  if (plan.package.empty()) {
    std::string_view name = PathBaseName(plan.dir);
    if (plan.dir.empty()) {
      name = module_path;
      if (const size_t slash = name.rfind('/'); slash != std::string_view::npos) {
        // example.com/shipping/v2: the element before the major version suffix.
        std::string_view last = name.substr(slash + 1);
        if (last.size() >= 2 && last[0] == 'v' &&
            std::all_of(last.begin() + 1, last.end(), [](char c) { return c >= '0' && c <= '9'; }))
          name = name.substr(0, slash);
        name = name.substr(name.rfind('/') + 1);
      }
    }
    plan.package = SanitizedPackageName(name);
  }
  plan.any = *minor >= 18 ? "any" : "interface{}";

  std::set<std::string> taken;
  for (const auto& [path, text] : sources) {
    if (code::DeclaredPackage("go", text) != plan.package) continue;
    std::set<std::string> names = TopLevelNames(text);
    taken.insert(names.begin(), names.end());
  }
  for (std::string_view name : kDeclaredNames)
    if (taken.contains(std::string(name))) plan.prefix = PascalCase(IdentifierFrom(plan.stem, 60));
  return plan;
}

// A paragraph of a Go doc comment: wrapped, ending in punctuation (a single line without it
// would be read as a heading), never starting a line with a character the doc comment syntax
// gives a meaning to ([link]: definitions, # headings).
bool GoLineMayStartWith(std::string_view word) {
  const char c = word.front();
  return c != '[' && c != '#';
}

void AppendParagraph(std::string& out, std::string_view text) {
  std::string clean = GoCommentText(text);
  while (!clean.empty() && (clean.back() == ' ' || clean.back() == '\n')) clean.pop_back();
  if (clean.empty()) return;
  const auto last = static_cast<unsigned char>(clean.back());
  if (last >= 0x80 || std::isalnum(last)) clean += '.';
  if (!out.empty()) out += "//\n";
  std::vector<std::string> lines = WrapWords(clean, kWidth, GoLineMayStartWith);
  if (!lines.empty() && !GoLineMayStartWith(lines.front()))
    lines.front() = "Text: " + lines.front();
  for (const std::string& line : lines) out += "// " + line + "\n";
}

// The recommendation's description, one doc paragraph per blank-line-separated block.
void AppendParagraphs(std::string& out, std::string_view text) {
  std::string block;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    start = end + 1;
    if (line.find_first_not_of(" \t\r\f\v") == std::string_view::npos) {
      AppendParagraph(out, block);
      block.clear();
    } else {
      block += std::string(line) + "\n";
    }
  }
  AppendParagraph(out, block);
}

struct Names {
  explicit Names(const GoPlan& plan)
      : title(plan.prefix + "Title"),
        source(plan.prefix + "Source"),
        flag(plan.prefix + "FeatureFlag"),
        requirement(plan.prefix + "Requirement"),
        requirements(plan.prefix + "Requirements"),
        missing(plan.prefix + "MissingFieldsError"),
        validate(plan.prefix + "Validate"),
        is_enabled(plan.prefix + "IsEnabled"),
        apply(plan.prefix + "Apply") {}
  std::string title, source, flag, requirement, requirements, missing, validate, is_enabled, apply;
};

std::string SampleValue(const Field& field, const std::string& any) {
  switch (SampleKindOf(field)) {
    case SampleKind::kBool:
      return "true";
    case SampleKind::kFloat:
      return "1.0";
    case SampleKind::kInt:
      return "1";
    case SampleKind::kList:
      return "[]" + any + "{}";
    case SampleKind::kMap:
      return "map[string]" + any + "{}";
    case SampleKind::kString:
      break;
  }
  return "\"example\"";
}

std::string SourceFile(const v1::Recommendation& rec, const v1::Analysis& analysis,
                       const GoPlan& plan) {
  const Names n(plan);
  const std::string source = SourceText(rec.source());
  std::string doc;
  AppendParagraph(doc, fmt::format("{} names the recommendation this file implements: {}", n.title,
                                   OneLine(rec.title())));
  AppendParagraphs(doc, rec.description());
  if (!source.empty()) AppendParagraph(doc, EndSentence("Source: " + source));
  if (const std::string points = IntegrationPointsSentence(analysis); !points.empty())
    AppendParagraph(doc, points);
  AppendParagraph(doc, fmt::format("Generated by Slipway's scaffold provider as a starting point: "
                                   "{} checks the data the recommendation needs, and {} does "
                                   "nothing until config[{}] is \"true\".",
                                   n.validate, n.apply, n.flag));

  const std::string& any = plan.any;
  std::string out = "package " + plan.package + "\n\nimport \"strings\"\n\n";
  out += doc;
  out += "const " + n.title + " = " + GoStringLiteral(OneLine(rec.title())) + "\n\n";
  out += "// " + n.source + " is the work the recommendation cites.\n";
  out += "const " + n.source + " = " + GoStringLiteral(source) + "\n\n";
  out += "// " + n.flag +
         " is the configuration key that turns the feature on; it is off by "
         "default.\n";
  out += "const " + n.flag + " = " + GoStringLiteral(plan.stem) + "\n\n";
  out += "// " + n.requirement +
         " is a piece of data the feature needs, as the recommendation describes it.\n";
  out += "type " + n.requirement +
         " struct {\n\tName        string\n\tType        string\n\tDescription string\n"
         "\tRequired    bool\n}\n\n";
  out += "// " + n.requirements +
         " lists the data the feature needs, in the recommendation's "
         "order.\n";
  const std::vector<Field> fields = SanitizedFields(rec);
  out += "var " + n.requirements + " = []" + n.requirement + "{" + (fields.empty() ? "" : "\n");
  for (const Field& f : fields)
    out += fmt::format("\t{{Name: {}, Type: {}, Description: {}, Required: {}}},\n",
                       GoStringLiteral(f.name), GoStringLiteral(OneLine(f.type)),
                       GoStringLiteral(OneLine(f.description)), f.required ? "true" : "false");
  out += "}\n\n";
  out += "// " + n.missing + " is the error " + n.validate +
         " returns: the required fields a record lacks.\n";
  out += "type " + n.missing + " struct {\n\tFields []string\n}\n\n";
  out += "// Error names the missing fields.\n";
  out += "func (e *" + n.missing +
         ") Error() string {\n\treturn \"missing required fields: \" + "
         "strings.Join(e.Fields, \", \")\n}\n\n";
  out += "// " + n.validate +
         " checks that record holds every required field (a nil value counts as missing).\n"
         "// It returns a *" +
         n.missing + " naming the missing fields in declaration order, or nil.\n";
  out += "func " + n.validate + "(record map[string]" + any + ") error {\n";
  out += "\tvar missing []string\n";
  out += "\tfor _, r := range " + n.requirements + " {\n";
  out += "\t\tif value, ok := record[r.Name]; r.Required && (!ok || value == nil) {\n";
  out += "\t\t\tmissing = append(missing, r.Name)\n\t\t}\n\t}\n";
  out += "\tif len(missing) > 0 {\n\t\treturn &" + n.missing + "{Fields: missing}\n\t}\n";
  out += "\treturn nil\n}\n\n";
  out += "// " + n.is_enabled + " reports whether config turns the feature on: config[" + n.flag +
         "] is \"true\",\n// \"1\", \"yes\" or \"on\" (in any case). The feature is off by "
         "default.\n";
  out += "func " + n.is_enabled + "(config map[string]string) bool {\n";
  out += "\tswitch strings.ToLower(strings.TrimSpace(config[" + n.flag + "])) {\n";
  out += "\tcase \"true\", \"1\", \"yes\", \"on\":\n\t\treturn true\n\t}\n\treturn false\n}\n\n";
  out += "// " + n.apply +
         " validates record and reports what the feature does with it: \"feature\" (the\n"
         "// flag), \"enabled\", \"applied\" (nothing is applied while the flag is off) and "
         "\"data\" (the\n// fields of record the feature knows). An invalid record is an "
         "error.\n";
  out += "func " + n.apply + "(record map[string]" + any +
         ", config map[string]string) (map[string]" + any + ", error) {\n";
  out += "\tif err := " + n.validate + "(record); err != nil {\n\t\treturn nil, err\n\t}\n";
  out += "\tdata := make(map[string]" + any + ")\n";
  out += "\tfor _, r := range " + n.requirements + " {\n";
  out += "\t\tif value, ok := record[r.Name]; ok {\n\t\t\tdata[r.Name] = value\n\t\t}\n\t}\n";
  out += "\tenabled := " + n.is_enabled + "(config)\n";
  out += "\treturn map[string]" + any + "{\n";
  out += "\t\t\"feature\": " + n.flag + ",\n";
  out += "\t\t\"enabled\": enabled,\n";
  out += "\t\t\"applied\": enabled,\n";
  out += "\t\t\"data\":    data,\n";
  out += "\t}, nil\n}\n";
  return out;
}

std::string LowerFirst(std::string s) {
  if (!s.empty() && s[0] >= 'A' && s[0] <= 'Z') s[0] = static_cast<char>(s[0] - 'A' + 'a');
  return s;
}

std::string TestFile(const v1::Recommendation& rec, const GoPlan& plan) {
  const Names n(plan);
  const std::string& any = plan.any;
  const std::string feature = PascalCase(IdentifierFrom(plan.stem, 60));
  const std::string record_fn = LowerFirst(feature) + "Record";
  const std::string equal_fn = LowerFirst(feature) + "Equal";
  const std::string required_var = LowerFirst(feature) + "Required";
  const std::vector<Field> fields = SanitizedFields(rec);
  std::string record = "map[string]" + any + "{";
  std::string required = "[]string{";
  bool first_required = true;
  for (size_t i = 0; i < fields.size(); ++i) {
    record += fmt::format("{}{}: {}", i ? ", " : "", GoStringLiteral(fields[i].name),
                          SampleValue(fields[i], any));
    if (fields[i].required) {
      required += (first_required ? "" : ", ") + GoStringLiteral(fields[i].name);
      first_required = false;
    }
  }
  record += "}";
  required += "}";
  std::string unknown_key = "not_a_requirement";
  while (std::any_of(fields.begin(), fields.end(),
                     [&](const Field& f) { return f.name == unknown_key; }))
    unknown_key += "_";
  const std::string on = "map[string]string{" + n.flag + ": \"true\"}";

  std::string out;
  out += "// Tests of " + std::string(PathBaseName(plan.path)) +
         ", generated with it by Slipway's scaffold provider.\n\n";
  out += "package " + plan.package + "\n\nimport \"testing\"\n\n";
  out += "var " + required_var + " = " + required + "\n\n";
  out += "func " + record_fn + "() map[string]" + any + " {\n\treturn " + record + "\n}\n\n";
  out += "func " + equal_fn +
         "(a, b []string) bool {\n\tif len(a) != len(b) {\n\t\treturn false\n\t}\n"
         "\tfor i := range a {\n\t\tif a[i] != b[i] {\n\t\t\treturn false\n\t\t}\n\t}\n"
         "\treturn true\n}\n\n";

  out += "func Test" + feature + "Metadata(t *testing.T) {\n";
  out += "\tif " + n.title + " != " + GoStringLiteral(OneLine(rec.title())) + " {\n";
  out += "\t\tt.Errorf(\"" + n.title + " = %q\", " + n.title + ")\n\t}\n";
  out += "\tif " + n.flag + " != " + GoStringLiteral(plan.stem) + " {\n";
  out += "\t\tt.Errorf(\"" + n.flag + " = %q\", " + n.flag + ")\n\t}\n";
  out += fmt::format(
      "\tif len({0}) != {1} {{\n\t\tt.Errorf(\"len({0}) = %d, want {1}\", "
      "len({0}))\n\t}}\n}}\n\n",
      n.requirements, fields.size());

  out += "func Test" + feature + "ValidateNamesMissingFields(t *testing.T) {\n";
  out += "\tvar got []string\n";
  out += "\tif err := " + n.validate + "(map[string]" + any + "{}); err != nil {\n";
  out += "\t\tmissing, ok := err.(*" + n.missing + ")\n";
  out += "\t\tif !ok {\n\t\t\tt.Fatalf(\"" + n.validate + ": %v, want a *" + n.missing +
         "\", err)\n\t\t}\n";
  out += "\t\tgot = missing.Fields\n\t}\n";
  out += "\tif !" + equal_fn + "(got, " + required_var + ") {\n";
  out += "\t\tt.Errorf(\"missing = %q, want %q\", got, " + required_var + ")\n\t}\n}\n\n";

  out += "func Test" + feature + "ValidateAcceptsACompleteRecord(t *testing.T) {\n";
  out += "\tif err := " + n.validate + "(" + record_fn + "()); err != nil {\n";
  out += "\t\tt.Errorf(\"" + n.validate + ": %v\", err)\n\t}\n}\n\n";

  out += "func Test" + feature + "ValidateTreatsNilAsMissing(t *testing.T) {\n";
  out += "\trecord := " + record_fn + "()\n";
  out += "\tfor _, name := range " + required_var + " {\n\t\trecord[name] = nil\n\t}\n";
  out += "\tif err := " + n.validate + "(record); (err == nil) != (len(" + required_var +
         ") == 0) {\n";
  out += "\t\tt.Errorf(\"" + n.validate + ": %v\", err)\n\t}\n}\n\n";

  out += "func Test" + feature + "IsOffByDefault(t *testing.T) {\n";
  out += "\tfor _, config := range []map[string]string{nil, {}, {" + n.flag + ": \"false\"}, {" +
         n.flag + ": \"\"}} {\n";
  out += "\t\tif " + n.is_enabled + "(config) {\n\t\t\tt.Errorf(\"" + n.is_enabled +
         "(%v) = true\", config)\n\t\t}\n\t}\n";
  out += "\tfor _, value := range []string{\"true\", \"1\", \"yes\", \" On \"} {\n";
  out += "\t\tif !" + n.is_enabled + "(map[string]string{" + n.flag + ": value}) {\n";
  out += "\t\t\tt.Errorf(\"" + n.is_enabled + " with %q = false\", value)\n\t\t}\n\t}\n}\n\n";

  out += "func Test" + feature + "ApplyDoesNothingWhileDisabled(t *testing.T) {\n";
  out += "\tresult, err := " + n.apply + "(" + record_fn + "(), nil)\n";
  out += "\tif err != nil {\n\t\tt.Fatalf(\"" + n.apply + ": %v\", err)\n\t}\n";
  out += "\tif result[\"enabled\"] != false || result[\"applied\"] != false {\n";
  out +=
      "\t\tt.Errorf(\"" + n.apply + " = %v, want enabled and applied false\", result)\n\t}\n}\n\n";

  out += "func Test" + feature + "ApplyOnAValidRecord(t *testing.T) {\n";
  out += "\trecord := " + record_fn + "()\n";
  out += "\trecord[" + GoStringLiteral(unknown_key) + "] = 1\n";
  out += "\tresult, err := " + n.apply + "(record, " + on + ")\n";
  out += "\tif err != nil {\n\t\tt.Fatalf(\"" + n.apply + ": %v\", err)\n\t}\n";
  out += "\tif result[\"feature\"] != " + n.flag + " || result[\"applied\"] != true {\n";
  out += "\t\tt.Errorf(\"" + n.apply + " = %v\", result)\n\t}\n";
  out += "\tdata, ok := result[\"data\"].(map[string]" + any + ")\n";
  out += "\tif !ok || len(data) != len(" + n.requirements + ") {\n";
  out +=
      "\t\tt.Errorf(\"data = %v, want the %d fields the feature knows\", result[\"data\"], len(" +
      n.requirements + "))\n\t}\n}\n\n";

  out += "func Test" + feature + "ApplyRejectsAnIncompleteRecord(t *testing.T) {\n";
  out += "\t_, err := " + n.apply + "(map[string]" + any + "{}, " + on + ")\n";
  out += "\tif (err != nil) != (len(" + required_var + ") > 0) {\n";
  out += "\t\tt.Errorf(\"" + n.apply + ": %v\", err)\n\t}\n}\n";
  return out;
}

}  // namespace

absl::StatusOr<v1::ChangeSet> ImplementGo(const ImplementRequest& request, const RepoFiles& files) {
  absl::StatusOr<GoPlan> plan = MakeGoPlan(request, files);
  if (!plan.ok()) return plan.status();
  const v1::Recommendation& rec = request.recommendation;
  v1::ChangeSet out;
  out.set_summary(fmt::format("scaffold: Go file {} in package {}{} for {}", plan->path,
                              plan->package,
                              plan->prefix.empty() ? "" : " (names prefixed " + plan->prefix + ")",
                              QuoteForMessage(SanitizeUtf8(rec.title()), 80)));
  AddFile(out, plan->path, SourceFile(rec, request.analysis, *plan), v1::ChangedFile::ACTION_ADD,
          false);
  return out;
}

absl::StatusOr<v1::ChangeSet> GoTests(const ImplementRequest& request, const RepoFiles& files,
                                      const v1::ChangeSet& change) {
  absl::StatusOr<GoPlan> plan = MakeGoPlan(request, files);
  if (!plan.ok()) return plan.status();
  if (absl::Status st = RequireAdded(change, plan->path); !st.ok()) return st;
  v1::ChangeSet out;
  out.set_summary(
      fmt::format("scaffold: go test file {} of package {}", plan->test_path, plan->package));
  AddFile(out, plan->test_path, TestFile(request.recommendation, *plan),
          v1::ChangedFile::ACTION_ADD, true);
  return out;
}

}  // namespace slipway::implementer::scaffold
