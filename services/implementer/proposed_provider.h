// The "proposed" provider: the change set is the recommendation's proposed_files, checked.
//
// Each path must pass changeset::ValidateRepoPath and appear once; the action is MODIFY when
// the path is a file of the base commit and ADD otherwise (a path that is a folder of the
// commit, or lies under one of its files, is refused). Python files are parsed by python3
// (`ast.parse`) when an interpreter is found, and a syntax error is INVALID_ARGUMENT naming
// the file and the line ("proposed_files[1].content: pkg/x.py: Python syntax error at line 3,
// column 8: invalid syntax"). Without python3 the check is skipped and the summary says so.
// GenerateTests adds nothing: the tests are whatever the recommendation carries.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "services/implementer/code_provider.h"

namespace slipway::implementer {

struct ProposedOptions {
  std::string python = "python3";  // looked up on PATH
  bool check_python_syntax = true;
};

std::unique_ptr<CodeProvider> MakeProposedProvider(ProposedOptions options = {});

// True for paths that hold tests by the usual conventions of the languages Slipway knows:
// folders tests/, test/, __tests__/, spec/; test_*.py, *_test.py, conftest.py, *_test.go,
// *.test.js (and .ts, .jsx, .tsx, .mjs, .cjs), *.spec.js (...), *_test.cc, *_unittest.cc,
// *Test.java, *Tests.java, *Test.kt, *_spec.rb, *_test.rs.
bool LooksLikeTestPath(std::string_view path);

}  // namespace slipway::implementer
