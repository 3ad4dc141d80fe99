// Targets: opens the repository a deployment targets. A local path (or file:// URL) is opened
// in place; a remote URL (https://, http://, ssh://, git://, scp-like user@host:path) is
// opened through a bare mirror kept under the configured mirror folder (see SyncMirror in
// remote.h), with the configured credentials.
//
// One Targets object is built at a service's start from its flags and shared by every
// worker thread: it holds configuration only, so Open may be called concurrently (callers
// for the same URL serialise on the mirror's lock file, also across processes).
//
// Errors of Open: as Repository::Open and SyncMirror give them, plus
//   NOT_FOUND            a local path that does not exist; `need_commit` missing from the
//                        remote even after a fetch;
//   FAILED_PRECONDITION  a remote URL when no mirror folder is configured;
//   INVALID_ARGUMENT     an empty URL; for a remote URL, a `need_commit` that is not 40 hex.
// A failure to reach the remote is UNAVAILABLE and retryable (see remote.h).
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "libs/repo/remote.h"
#include "libs/repo/repository.h"

namespace slipway::repo {

struct TargetConfig {
  std::filesystem::path mirror_root;  // "" = remote URLs are refused
  Credentials credentials;            // for fetches of remote targets, and the git step's push
};

// True for URLs with a scheme other than file://, and for scp-like "[user@]host:path" (no
// '/' before the ':'); false for local paths and file:// URLs.
bool IsRemoteUrl(std::string_view url);

class Targets {
 public:
  Targets() = default;  // local paths only
  explicit Targets(TargetConfig config) : config_(std::move(config)) {}

  // Opens `url`. For a remote URL: when `need_commit` (40-hex) is given and the mirror
  // already has it, the mirror is opened without contacting the remote; otherwise the mirror
  // is synced first (safety-pre passes no commit, so each deployment starts from the
  // remote's current state).
  absl::StatusOr<Repository> Open(const std::string& url, std::string_view need_commit = {}) const;

  const TargetConfig& config() const { return config_; }

 private:
  TargetConfig config_;
};

}  // namespace slipway::repo
