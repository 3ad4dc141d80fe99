// The full-pr half of the git service: push the deployment branch, open (or find) its pull
// request, follow the checks of its commit, and undo both as compensation.
//
// Any thread; the Repository is borrowed for the call (see libs/repo). Every operation may be
// replayed: a branch already on the remote at the same commit is not pushed again, an open
// pull request of the same head is found instead of opening a second one, and compensation of
// something already gone succeeds.
//
// Errors keep the codes of libs/repo/remote.h and libs/forge/forge.h, so their retryability
// carries over: UNAVAILABLE and RESOURCE_EXHAUSTED are worth another attempt; a rejected push
// (FAILED_PRECONDITION with the remote's reason), bad credentials (UNAUTHENTICATED,
// PERMISSION_DENIED) and a refused request (INVALID_ARGUMENT) are not. Messages name the
// operation and never hold credentials.
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "libs/forge/forge.h"
#include "libs/repo/remote.h"
#include "libs/repo/repository.h"
#include "slipway/v1/steps.pb.h"

namespace slipway::gitsvc {

// Where a deployment's branch goes and where its pull request lives.
struct PublishTarget {
  std::string push_url;  // may carry no credentials; they come from `credentials`
  repo::Credentials credentials;
  forge::RepoRef forge_repo;
};

// The URL to push to for a target: `target_url` itself when it is remote, otherwise the URL
// of the local repository's "origin" remote. FAILED_PRECONDITION when a local repository has
// no origin.
absl::StatusOr<std::string> DefaultPushUrl(const std::string& target_url,
                                           const repo::Repository& repository);

// The branch HEAD names ("main"), for the pull request's base. NOT_FOUND for a detached or
// unborn HEAD.
absl::StatusOr<std::string> HeadBranch(const repo::Repository& repository);

// Pushes refs/heads/<branch> (which must point to `commit`) and opens the pull request of
// `spec` (spec.head = branch). A remote branch at another commit is refused, naming both
// commits, rather than overwritten. Returns pushed, remote (without credentials) and
// pull_request set.
absl::StatusOr<v1::GitOutcome> Publish(const repo::Repository& repository,
                                       const PublishTarget& target, forge::Forge& forge,
                                       const std::string& branch, const std::string& commit,
                                       const forge::PullRequestSpec& spec);

// Reads the checks of `sha` every `poll` until they are no longer pending or `deadline`
// passes (then the verdict is "pending" with what was still running). Errors of the forge
// end the wait and are returned. `sleep` waits between reads (tests may shorten it);
// `wanted`, asked before each wait, ends it early with CANCELLED when it returns false (the
// deployment was cancelled or failed meanwhile).
using Sleeper = std::function<void(std::chrono::milliseconds)>;
absl::StatusOr<v1::ChecksVerdict> FollowChecks(forge::Forge& forge, const forge::RepoRef& repo,
                                               const std::string& sha,
                                               std::chrono::steady_clock::time_point deadline,
                                               std::chrono::milliseconds poll,
                                               const Sleeper& sleep = {},
                                               const std::function<bool()>& wanted = {});

struct CompensationRequest {
  std::string branch;
  std::string commit;         // the deployment's commit; "" when the git step did not report one
  std::string deployment_id;  // the local branch is deleted only if its tip is this deployment's
  std::string reason;         // put in the pull request's closing comment
  bool keep = false;          // leave branch and pull request as they are
};

// Closes the open pull request of the branch (after a comment giving the reason), deletes the
// remote branch when its tip is still the deployment's commit (a branch someone pushed to is
// left, and the detail says so), and deletes the local branch of `repository` when it is the
// deployment's. `repository` may be null (nothing local to clean).
absl::StatusOr<v1::CompensationOutcome> Compensate(const repo::Repository* repository,
                                                   const PublishTarget& target, forge::Forge* forge,
                                                   const CompensationRequest& request);

}  // namespace slipway::gitsvc
