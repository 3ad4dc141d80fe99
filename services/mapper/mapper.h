// The repository map: what a commit holds (files, languages, packages, build systems, tests,
// entry points), computed from the committed tree only, so ignored files are never seen.
//
// Pure logic over a repo::Repository: no network, no work tree. Call from the thread that
// owns the Repository. Errors come from the repository (NOT_FOUND for an unknown commit,
// INVALID_ARGUMENT for a malformed id); hostile content (binary sources, invalid UTF-8, huge
// blobs, deep trees) never fails the map.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "libs/repo/repository.h"
#include "slipway/v1/artifacts.pb.h"

namespace slipway::mapper {

struct MapOptions {
  uint64_t max_bytes_for_line_count = 4 << 20;  // larger files: listed, not read
  bool index_integration_symbols = true;        // ctags over the files with integrations
  std::string ctags = "ctags";
  size_t max_sites_per_integration = 100;
};

// Maps the files of `commit` in `repo` (committed tree only, so .gitignore'd files are never
// seen). A commit with an empty tree gives a map with only commit and tree_hash set.
//
// FileEntry.language is left empty for files that are not source of the repository itself:
// vendored or generated paths (see IsVendoredOrGenerated), binary files and symlinks. Those
// files are listed but never counted in `languages`.
absl::StatusOr<v1::RepositoryMap> MapRepository(const repo::Repository& repo,
                                                const std::string& commit,
                                                const MapOptions& options = {});

// Language of a path from its name alone ("python", "cpp", "cmake", ...); empty when unknown.
// ".h" is "c" here; MapRepository reassigns headers to "cpp" in C++ repositories.
std::string LanguageForPath(std::string_view path);

// Code of other projects kept in the tree: node_modules/, vendor/, third_party/, dist/,
// build/, virtualenvs.
bool IsVendored(std::string_view path);
// Output of code generators: *_pb2.py, *.pb.cc, *.pb.h, *.pb.go, *.min.js, ...
bool IsGenerated(std::string_view path);
bool IsVendoredOrGenerated(std::string_view path);

// False for documentation, data and build-description languages (markdown, yaml, json, toml,
// cmake, ...), which never become the primary language.
bool IsCodeLanguage(std::string_view language);

// True for a test source by the common conventions: test_*.py, *_test.py, *_test.go,
// *.test.js, *.spec.ts, *_test.cc, *Test.java, files under __tests__/.
bool IsTestFile(std::string_view path);

}  // namespace slipway::mapper
