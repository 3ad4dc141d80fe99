// Remote operations through libgit2: push a branch, delete a remote branch, read a remote
// branch's tip, and keep a bare mirror of a remote repository in a local cache.
//
// Nothing here writes a remote, a URL or a credential into any repository's configuration:
// every operation goes through an anonymous (or detached) libgit2 remote built for the call.
//
// Threading: every function may be called from any thread, also concurrently; each call
// opens its own libgit2 objects. PushBranch / DeleteRemoteBranch borrow `repo` for the call,
// so the caller must not use the same Repository on another thread meanwhile (see
// repository.h). SyncMirror serialises callers for the same URL, across threads and
// processes, on a lock file in the cache folder.
//
// URLs: https://, http://, ssh://, scp-like user@host:path, git://, file:// and local paths.
// Secrets never appear in errors: a URL in a message has its user info stripped and any
// occurrence of the token or of the URL's password is masked. The token is not read from the
// environment here; callers resolve it (for example from an env var or a secret file).
//
// Errors:
//   INVALID_ARGUMENT     empty URL, invalid branch name;
//   NOT_FOUND            the local branch to push does not exist; RemoteBranchTip on a branch
//                        the remote does not have; a local-path remote that does not exist;
//   FAILED_PRECONDITION  the remote rejected the update (the message carries the remote's
//                        reason, e.g. "non-fast-forward" or a hook's output); the server's
//                        certificate (or ssh host key) was not accepted;
//   UNAUTHENTICATED      the remote asked for credentials and none fit, or it refused them
//                        (each credential is offered once, never in a loop);
//   UNAVAILABLE (retryable)  transport errors: resolve, connect, TLS, protocol, I/O;
//   INTERNAL (retryable) the local repository or the mirror cache could not be written.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "libs/repo/repository.h"

namespace slipway::repo {

struct Credentials {
  // http(s): sent as the password with user "x-access-token" (GitHub and Gitea accept it),
  // or with the URL's user name when the URL names one.
  std::string token;
  // ssh: key files (paths; the public key may be empty), tried once; otherwise the ssh agent
  // when `ssh_agent` is set.
  std::string ssh_private_key;
  std::string ssh_public_key;
  std::string ssh_passphrase;
  bool ssh_agent = true;
  // ssh: the OpenSSH known_hosts file the server's host key must be listed in (see
  // known_hosts.h); "" = $HOME/.ssh/known_hosts. An unlisted host, a changed key or a
  // missing file refuse the connection before anything is sent (FAILED_PRECONDITION naming
  // the host and how to add its key).
  std::string known_hosts;
};

// Pushes refs/heads/<branch> of `repo` to refs/heads/<branch> at `remote_url`. Already up to
// date is success without a push. Unless `force`, a remote branch that is not an ancestor of
// the local tip is refused before anything is sent (FAILED_PRECONDITION naming
// "non-fast-forward"); a rejection reported by the remote (hooks, protected branches) is
// FAILED_PRECONDITION with the remote's reason and its side-band output.
[[nodiscard]] absl::Status PushBranch(const Repository& repo, std::string_view remote_url,
                                      std::string_view branch, const Credentials& creds,
                                      bool force = false);

// Deletes refs/heads/<branch> at `remote_url` (pushes ":refs/heads/<branch>"). A branch the
// remote does not have is success.
[[nodiscard]] absl::Status DeleteRemoteBranch(const Repository& repo, std::string_view remote_url,
                                              std::string_view branch, const Credentials& creds);

// The 40-hex commit id refs/heads/<branch> points to at `remote_url` (an ls-remote; no
// local repository involved). NOT_FOUND when the remote has no such branch.
[[nodiscard]] absl::StatusOr<std::string> RemoteBranchTip(std::string_view remote_url,
                                                          std::string_view branch,
                                                          const Credentials& creds);

// Keeps a bare mirror of `url` at cache_root/<first 16 hex of sha256(url without user
// info)>.git and returns its path: cloned the first time (every branch and tag), fetched
// with pruning afterwards. The mirror's HEAD follows the remote's default branch. A clone is
// built beside the final path and renamed into place, so a crash never leaves a half-made
// mirror. Callers for the same URL serialise on cache_root/<hex>.lock (flock).
//
// `depth` is accepted for the API's sake and ignored: libgit2 1.5 (Debian 12) has no shallow
// fetch (it arrived in libgit2 1.7), so mirrors are always complete.
[[nodiscard]] absl::StatusOr<std::filesystem::path> SyncMirror(
    std::string_view url, const std::filesystem::path& cache_root, const Credentials& creds,
    int depth = 0);

// The folder SyncMirror keeps the mirror of `url` in: cache_root/<first 16 hex of
// sha256(RedactUrl(url))>.git, so the same repository reached with other credentials shares
// one mirror. The folder may not exist yet. Pure: touches no file.
std::filesystem::path MirrorPath(std::string_view url, const std::filesystem::path& cache_root);

// `url` with user info removed ("https://user:tok@host/x" -> "https://host/x",
// "git@host:x" -> "host:x"); other URLs and local paths unchanged. Safe to log.
std::string RedactUrl(std::string_view url);

}  // namespace slipway::repo
