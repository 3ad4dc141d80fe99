#include "libs/repo/target.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <system_error>

#include "libs/core/status.h"

namespace slipway::repo {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kFileScheme = "file://";

bool IsCommitId(std::string_view id) {
  return id.size() == 40 &&
         std::all_of(id.begin(), id.end(), [](unsigned char c) { return std::isxdigit(c) != 0; });
}

// True when `repo` holds the commit `id` (a full 40-hex id).
bool HasCommit(const Repository& repo, std::string_view id) { return repo.ResolveCommit(id).ok(); }

absl::StatusOr<Repository> OpenLocal(const std::string& url) {
  const fs::path path =
      url.starts_with(kFileScheme) ? fs::path(url.substr(kFileScheme.size())) : fs::path(url);
  std::error_code ec;
  if (!fs::exists(path, ec))
    return absl::NotFoundError(fmt::format("repository {}: {}", RedactUrl(url),
                                           ec ? ec.message() : std::string("no such path")));
  return Repository::Open(path);
}

}  // namespace

bool IsRemoteUrl(std::string_view url) {
  if (url.starts_with(kFileScheme)) return false;
  if (url.find("://") != std::string_view::npos) return true;
  // scp-like [user@]host:path: a ':' after at least one character and before any '/'.
  const size_t colon = url.find(':');
  const size_t slash = url.find('/');
  return colon != std::string_view::npos && colon > 0 &&
         (slash == std::string_view::npos || colon < slash);
}

absl::StatusOr<Repository> Targets::Open(const std::string& url,
                                         std::string_view need_commit) const {
  if (url.empty()) return absl::InvalidArgumentError("repository URL is empty");
  if (!IsRemoteUrl(url)) return OpenLocal(url);

  const std::string shown = RedactUrl(url);
  if (config_.mirror_root.empty())
    return absl::FailedPreconditionError(
        fmt::format("repository {} is remote, and no mirror folder is configured to fetch it into "
                    "(--mirror-dir / SLIPWAY_MIRROR_DIR)",
                    shown));
  if (!need_commit.empty() && !IsCommitId(need_commit))
    return absl::InvalidArgumentError(fmt::format("repository {}: '{}' is not a 40-hex commit id",
                                                  shown, need_commit.substr(0, 64)));

  // The commit a deployment is pinned to never changes, so a mirror that has it is current
  // enough: no round trip to the remote, and a remote that is down does not stop the step.
  if (!need_commit.empty()) {
    if (auto mirror = Repository::Open(MirrorPath(url, config_.mirror_root));
        mirror.ok() && HasCommit(*mirror, need_commit))
      return mirror;
  }
  SLIPWAY_ASSIGN_OR_RETURN(fs::path path,
                           SyncMirror(url, config_.mirror_root, config_.credentials));
  SLIPWAY_ASSIGN_OR_RETURN(Repository mirror, Repository::Open(path));
  if (!need_commit.empty() && !HasCommit(mirror, need_commit))
    return absl::NotFoundError(
        fmt::format("commit {} is not in repository {} (not on any branch or tag after a fetch)",
                    need_commit, shown));
  return mirror;
}

}  // namespace slipway::repo
