// The analysis: where a recommendation's new code belongs in a mapped repository. Builds the
// Python import graph, ranks the repository's modules against the recommendation's words and
// hints, and proposes the new module's path, import name and test path.
//
// Pure logic over a RepositoryMap and a repo::Repository (to read sources); no network. Call
// from the thread that owns the Repository. Python is first-class; other languages get
// path and symbol matching only. Errors come from the repository (NOT_FOUND for a commit or
// file the map names but the repository lacks); unparsable sources are skipped, never fatal.
#pragma once

#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "libs/repo/repository.h"
#include "slipway/v1/artifacts.pb.h"
#include "slipway/v1/recommendation.pb.h"

namespace slipway::analyzer {

absl::StatusOr<v1::Analysis> Analyze(const v1::Recommendation& rec, const v1::RepositoryMap& map,
                                     const repo::Repository& repo, const std::string& commit);

// One import statement target, as written: `from ..pkg.mod import a, b` gives level 2,
// module "pkg.mod", names {"a", "b"}; `import a.b as c` gives level 0, module "a.b".
struct PythonImport {
  int level = 0;
  std::string module;
  std::vector<std::string> names;  // empty for `import x`; never holds "*"
  bool operator==(const PythonImport&) const = default;
};

// Every import statement of a Python source, skipping comments and string literals, joining
// parenthesised and backslash-continued lines. Never fails: malformed statements are skipped.
std::vector<PythonImport> ParsePythonImports(std::string_view source);

// Names defined by `def` / `async def` / `class` anywhere in a Python source, in order.
std::vector<std::string> PythonSymbols(std::string_view source);

// Lowercase words of at least three letters, identifiers split at '_' and camelCase, without
// stopwords, plurals reduced ("alerts" -> "alert", "categories" -> "category").
std::vector<std::string> Tokenize(std::string_view text);

// The dotted import name of a Python file, given the map's packages: "inventory/stock.py" ->
// "inventory.stock", "inventory/__init__.py" -> "inventory", "scripts/run.py" -> "run".
std::string PythonModuleName(const v1::RepositoryMap& map, std::string_view path);

struct ImportGraph {
  std::vector<v1::ImportEdge> edges;  // between modules of the repository, sorted, unique
  std::set<std::string> third_party;  // top-level names neither in the repository nor stdlib
};

// The import graph of the map's Python files, read from `commit`.
absl::StatusOr<ImportGraph> BuildImportGraph(const v1::RepositoryMap& map,
                                             const repo::Repository& repo,
                                             const std::string& commit);

}  // namespace slipway::analyzer
