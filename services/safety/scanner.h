// Change-set scanning for the safety step: secrets in file contents and paths a change set
// must not write.
//
// Pure functions, any thread, no I/O. Linear in the size of the change set (hand-written
// matchers, no regular expressions), so a 1 MiB file scans in milliseconds.
//
// A Finding names the rule, the file, the 1-based line and a detail for people; the detail
// never contains the secret itself, only a redacted hint such as "AKIA…(20 chars)".
//
// Rules: private-key, aws-access-key, github-token, slack-token, google-api-key, stripe-key,
// jwt, high-entropy (an assignment to a password/secret/token/api_key/key name of a value of at
// least `min_entropy_value_bytes` whose Shannon entropy is above `entropy_threshold`),
// path-escape (changeset::ValidateRepoPath refuses the path), forbidden-path (under one of
// `forbidden_prefixes`), sensitive-file (id_rsa, *.p12, ...), duplicate-path, truncated (more
// findings than `max_findings`).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "slipway/v1/artifacts.pb.h"

namespace slipway::safety {

struct ScanOptions {
  // Compared case-insensitively; a path equal to a prefix without its trailing '/' matches too.
  std::vector<std::string> forbidden_prefixes = {".github/workflows/", ".git/"};
  double entropy_threshold = 4.0;       // bits per char, for assignments of >= 20 chars
  size_t min_entropy_value_bytes = 20;  // shorter assigned values are not judged
  size_t max_findings = 200;            // then one "truncated" finding ends the list
};

// Finds secrets and unsafe paths in the change set. verdict.passed == findings.empty().
v1::SafetyVerdict ScanChangeSet(const v1::ChangeSet& change_set, const ScanOptions& options = {});

// The path rules for one file (path-escape, forbidden-path, sensitive-file).
std::vector<v1::Finding> ScanPath(std::string_view path, const ScanOptions& options = {});

// The content rules for one file; `path` only fills Finding.file.
std::vector<v1::Finding> ScanContent(std::string_view path, std::string_view content,
                                     const ScanOptions& options = {});

// Shannon entropy of the bytes of `text`, in bits per byte (0 for empty text).
double ShannonEntropy(std::string_view text);

}  // namespace slipway::safety
