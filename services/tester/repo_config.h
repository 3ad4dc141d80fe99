// `.slipway.yaml`: what a target repository says about how Slipway should test it.
//
//   test:
//     command: "make test"        # replaces the mapper's test command
//     timeout_seconds: 300        # > 0; capped by the service's own limit
//     coverage: true              # measure coverage when the framework allows it
//     env: {PYTHONPATH: src}      # added to the sandbox's environment
//   gates:
//     require_all_pass: true
//     min_changed_coverage: 0.8   # 0..1 of the changed executable lines; 0 turns it off
//
// Every key is optional; an absent file means "no opinion". Read from the base commit (never
// from the change set, which could otherwise loosen its own gates).
//
// Pure parsing plus one read through libs/repo; any thread (the Repository as libs/repo says).
// INVALID_ARGUMENT, with a message naming the file, the key path and what was expected, for:
// YAML that does not parse (with line and column), an unknown key at any level (listing the
// accepted ones), a value of the wrong type or out of range, a file over kMaxRepoConfigBytes,
// and a .slipway.yaml that is a symbolic link or a folder. Errors reading the commit are
// returned as libs/repo gives them.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "libs/repo/repository.h"

namespace slipway::tester {

inline constexpr std::string_view kRepoConfigPath = ".slipway.yaml";
inline constexpr size_t kMaxRepoConfigBytes = 64 * 1024;

struct RepoConfig {
  bool present = false;  // the file exists at the commit

  std::optional<std::string> test_command;
  std::optional<std::chrono::milliseconds> test_timeout;
  std::optional<bool> coverage;
  std::vector<std::pair<std::string, std::string>> env;  // in file order

  std::optional<bool> require_all_pass;
  std::optional<double> min_changed_coverage;
};

absl::StatusOr<RepoConfig> ParseRepoConfig(std::string_view yaml);

// Reads kRepoConfigPath at `commit`; an absent file is an empty RepoConfig.
absl::StatusOr<RepoConfig> LoadRepoConfig(const repo::Repository& repo, std::string_view commit);

}  // namespace slipway::tester
