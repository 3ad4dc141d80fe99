// The "scaffold" provider: an offline, deterministic starting point for a recommendation
// (the same inputs give byte-identical files).
//
// Python: a module at analysis.suggested_path (default: <identifier of the title>.py) that
// imports the analyzer's integration modules which exist in the repository, describes the
// recommendation in its docstring, models data_requirements (a Requirement dataclass and
// REQUIRED_FIELDS) and offers validate(record), is_enabled(config) (a feature flag, off by
// default) and apply(record, config=None); plus a pytest file at analysis.test_path that
// imports the module by analysis.module_name and exercises every function. The tests pass
// under `python3 -m pytest` from the repository root; the test file adds the import root to
// sys.path only when the module's top-level package cannot be found (plain `pytest` with a
// tests/ folder and no conftest), and never writes a conftest.py.
//
// Every text from the recommendation is escaped for Python (quotes, backslashes, control
// characters; invalid UTF-8 becomes U+FFFD), so no title can break the generated files.
//
// Other languages: UNIMPLEMENTED "scaffold provider: language '<x>' not supported yet".
// A suggested or test path that already exists in the commit: FAILED_PRECONDITION (the
// scaffold only adds files). Paths or module names that cannot work: INVALID_ARGUMENT naming
// the analysis field.
#pragma once

#include <memory>

#include "services/implementer/code_provider.h"

namespace slipway::implementer {

std::unique_ptr<CodeProvider> MakeScaffoldProvider();

}  // namespace slipway::implementer
