// The git service's command-line flags (and their SLIPWAY_* environment variables), shared by
// slipway-git and by `slipway run` / `slipway dev`, which embed the service.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "absl/status/statusor.h"
#include "services/git/step.h"

namespace slipway::gitsvc {

struct GitFlags {
  GitStepOptions options;
  std::string forge_token_file;    // --forge-token-file
  std::string body_template_file;  // --pr-body-template
  int checks_timeout_s = 1800;
  double checks_poll_s = 15;
};

// Registers --branch-prefix, --author-*, and the full-pr flags (--forge-*, --push-url, --pr-*,
// --checks-*, --require-ci-pass, --keep-on-failure).
void AddGitFlags(CLI::App& app, GitFlags& flags);

// The options, after reading the token (--forge-token-file, else SLIPWAY_FORGE_TOKEN) and the
// body template file. INVALID_ARGUMENT names the flag and the file.
absl::StatusOr<GitStepOptions> ResolveGitFlags(const GitFlags& flags);

}  // namespace slipway::gitsvc
