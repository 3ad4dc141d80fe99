// The analysis: where a recommendation's new code belongs in a mapped repository. Ranks the
// repository's files against the recommendation's words, hints and the integration kinds it
// calls for, using a symbol index (universal-ctags) and the import graph of every supported
// language; proposes the new code's path, import name and test path by the repository's own
// conventions, the imports it needs and the dependencies it would add.
//
// Pure logic over a RepositoryMap and a repo::Repository (to read sources); no network. Call
// from the thread that owns the Repository. Errors come from the repository (NOT_FOUND for a
// commit or file the map names but the repository lacks); unparsable sources are skipped,
// never fatal.
#pragma once

#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "libs/repo/repository.h"
#include "slipway/v1/artifacts.pb.h"
#include "slipway/v1/recommendation.pb.h"

namespace slipway::analyzer {

struct SymbolIndexOptions {
  int workers = 2;                              // ctags processes
  std::string ctags = "ctags";                  // program name or path
  const v1::SymbolIndex* previous = nullptr;    // an older index: unchanged blobs carry over
  uint64_t max_bytes = 1 << 20;                 // larger sources are not indexed
};

// The symbols of every source of `commit` the map counts as code (not vendored, generated or
// binary). Uses ctags; when ctags cannot be started the index comes from the built-in scanners
// and says so in `indexer`.
absl::StatusOr<v1::SymbolIndex> BuildSymbolIndex(const v1::RepositoryMap& map,
                                                 const repo::Repository& repo,
                                                 const std::string& commit,
                                                 const SymbolIndexOptions& options = {});

// `symbols` may be null: the built-in scanners then stand in for the index.
absl::StatusOr<v1::Analysis> Analyze(const v1::Recommendation& rec, const v1::RepositoryMap& map,
                                     const repo::Repository& repo, const std::string& commit,
                                     const v1::SymbolIndex* symbols = nullptr);

// Names defined by `def` / `async def` / `class` anywhere in a Python source, in order.
std::vector<std::string> PythonSymbols(std::string_view source);

// Lowercase words of at least three letters, identifiers split at '_' and camelCase, without
// stopwords, plurals reduced ("alerts" -> "alert", "categories" -> "category").
std::vector<std::string> Tokenize(std::string_view text);

// The dotted import name of a Python file, given the map's packages: "inventory/stock.py" ->
// "inventory.stock", "inventory/__init__.py" -> "inventory", "scripts/run.py" -> "run".
std::string PythonModuleName(const v1::RepositoryMap& map, std::string_view path);

struct ImportGraph {
  // Between the repository's own modules, sorted, unique: dotted module names for Python,
  // file paths for the other languages.
  std::vector<v1::ImportEdge> edges;
  // Third-party packages imported, by language: {"python": {"requests"}, "go": {...}}.
  std::map<std::string, std::set<std::string>> third_party;
  // How many distinct files import each file of the repository.
  std::map<std::string, int> importers;
};

// The import graph of the map's sources, read from `commit`.
absl::StatusOr<ImportGraph> BuildImportGraph(const v1::RepositoryMap& map,
                                             const repo::Repository& repo,
                                             const std::string& commit);

}  // namespace slipway::analyzer
