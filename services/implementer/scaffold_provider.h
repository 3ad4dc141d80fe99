// The "scaffold" provider: an offline, deterministic starting point for a recommendation
// (the same inputs give byte-identical files), for Python, Go and C++ built with CMake.
//
// Implement writes the source files; GenerateTests writes their tests (and, for C++, the
// CMakeLists.txt edit that registers them), recomputing the same plan from the same request,
// so it may run in another process than Implement. It refuses (FAILED_PRECONDITION) a change
// that does not add the scaffold's source file.
//
// Python: a module at analysis.suggested_path (default: <identifier of the title>.py) that
// imports the analyzer's integration modules which exist in the repository, describes the
// recommendation in its docstring, models data_requirements (a Requirement dataclass and
// REQUIRED_FIELDS) and offers validate(record), is_enabled(config) (a feature flag, off by
// default) and apply(record, config=None); its tests: a pytest file at analysis.test_path that
// imports the module by analysis.module_name and exercises every function. The tests pass
// under `python3 -m pytest` from the repository root; the test file adds the import root to
// sys.path only when the module's top-level package cannot be found (plain `pytest` with a
// tests/ folder and no conftest), and never writes a conftest.py.
//
// Go: a gofmt-clean file in the package of its folder with Title, Source, FeatureFlag,
// Requirement/Requirements, Validate, IsEnabled and Apply (prefixed with the feature's name
// when the package already declares one of them); its tests: <name>_test.go in that package,
// importing only "testing".
//
// C++: a header in the project's include layout and namespace (plus a source file added to the
// library's source list when every neighbouring header has one) declaring kTitle, kSource,
// kFeatureFlag, Requirement, requirements(), validate(), is_enabled() and apply(); its tests: a
// test program beside the existing tests, registered in the CMakeLists.txt that registers them,
// linked and registered as they are (GoogleTest only when they use it).
//
// Every text from the recommendation is escaped for the target language (quotes, backslashes,
// control characters, comment terminators, backquotes, trigraphs; invalid UTF-8 becomes
// U+FFFD), so no title can break the generated files.
//
// Other languages: UNIMPLEMENTED "scaffold provider: language '<x>' not supported yet".
// A file the scaffold would add that already exists in the commit: FAILED_PRECONDITION (the
// scaffold only adds files, apart from the CMake lists it extends). Paths or module names that
// cannot work: INVALID_ARGUMENT naming the analysis field.
#pragma once

#include <memory>

#include "services/implementer/code_provider.h"

namespace slipway::implementer {

std::unique_ptr<CodeProvider> MakeScaffoldProvider();

}  // namespace slipway::implementer
