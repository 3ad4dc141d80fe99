// Import statements of source files in every supported language, and their resolution to the
// repository's own files. Rough, total scanners: no parser, comments and string literals
// skipped, never failing on malformed, binary or invalid UTF-8 input (malformed statements are
// skipped). Pure functions; safe from any thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace slipway::code {

// One imported module, package, crate or header, as written in the source.
//
//   python      `from ..pkg.mod import a, b` -> target "pkg.mod", level 2, names {a, b};
//               `import a.b as c` -> target "a.b"
//   javascript  `import x, {y} from "./util"`, `require("lodash/fp")`, `import("./lazy")`,
//   typescript  `export * from "../api"` -> target "./util", "lodash/fp", ...
//   go          `import "net/http"`, grouped and aliased imports -> "net/http"
//   java        `import a.b.C;`, `import static a.b.C.m;`, `import a.b.*;` -> "a.b.C",
//   kotlin      "a.b.C.m", "a.b.*"
//   rust        `use crate::store::{Db, Row};` -> target "crate::store", names {Db, Row};
//               `use serde::Serialize;` -> "serde::Serialize"; `extern crate x;` -> "x";
//               `mod util;` -> target "self::util" (a submodule declared, not inline)
//   c, cpp      `#include "db/conn.h"` -> "db/conn.h", local_include; `<vector>` -> "vector"
struct Import {
  std::string target;
  int level = 0;                   // Python relative imports only
  std::vector<std::string> names;  // imported names where the syntax lists them; never "*"
  uint32_t line = 0;               // 1-based line of the statement
  bool local_include = false;      // C/C++: the "..." form
  bool operator==(const Import&) const = default;
};

// Imports of `source` written in `language` (the mapper's language names: "python",
// "javascript", "typescript", "go", "java", "kotlin", "rust", "c", "cpp"). Empty for other
// languages.
std::vector<Import> ParseImports(std::string_view language, std::string_view source);

// The package a Java/Kotlin source declares (`package a.b;`), or a Go source's package clause
// (`package store`); empty when none.
std::string DeclaredPackage(std::string_view language, std::string_view source);

// Resolves imports to the repository's own files, per language:
//   python      dotted names against package folders (with __init__.py; src/ layouts and
//               top-level modules too); relative imports from the importing file's package
//   js/ts       relative specifiers against the importer's folder, trying the extensions
//               .ts .tsx .js .jsx .mjs .cjs and index files
//   go          import paths under the go.mod module path -> the package folder's .go files
//               (tests excluded)
//   java/kotlin a.b.C -> the file declaring class C in package a.b (found by path suffix
//               a/b/C.java or .kt); a.b.* -> every file of that package folder
//   rust        crate::, self::, super:: paths and `mod x;` -> x.rs or x/mod.rs
//   c/cpp       "x.h" relative to the includer, then from the repository root, then any unique
//               file whose path ends with /x.h
class ImportResolver {
 public:
  // `files`: every path of the repository (forward slashes, repository-relative).
  // `go_module`: the module path declared by the root go.mod, "" when there is none.
  // `java_packages`: for Java/Kotlin files, the package each declares (path -> "a.b"); may be
  // empty, then folders stand for packages.
  ImportResolver(const std::vector<std::string>& files, std::string go_module,
                 std::unordered_map<std::string, std::string> java_packages = {});

  // The repository files `imp`, found in `from_path`, refers to; empty when it is external
  // (standard library or third party) or cannot be resolved.
  std::vector<std::string> Resolve(std::string_view language, std::string_view from_path,
                                   const Import& imp) const;

  // The third-party package an unresolved import names, by the ecosystem's convention:
  // python "requests" (for "requests.adapters"), js "lodash" or "@scope/pkg" (for
  // "@scope/pkg/sub"), go "github.com/a/b" (the first three path elements on hosting sites,
  // else the whole path), java/kotlin the import's package ("org.springframework.web"), rust
  // the crate ("serde"), c/cpp the header as written. Empty for the standard library and
  // builtins (Python's stdlib, node: and Node builtins, Go's std, java./javax./kotlin.,
  // std/core/alloc, C and C++ standard headers), for relative imports, and for imports that
  // resolve inside the repository.
  std::string ExternalPackage(std::string_view language, std::string_view from_path,
                              const Import& imp) const;

  // The Python module name of a file ("pkg/sub/mod.py" -> "pkg.sub.mod", "pkg/__init__.py"
  // -> "pkg", "src/pkg/a.py" -> "pkg.a" when src/ is not a package); empty for non-Python.
  std::string PythonModuleName(std::string_view path) const;

 private:
  struct Impl;
  std::shared_ptr<const Impl> impl_;
};

}  // namespace slipway::code
