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

// The pull request's default base: for a clone the branch refs/remotes/origin/HEAD names,
// else the branch HEAD names ("main"). NOT_FOUND for a detached or unborn HEAD.
absl::StatusOr<std::string> HeadBranch(const repo::Repository& repository);

// Pushes refs/heads/<branch> (which must point to `commit`) and opens the pull request of
// `spec` (spec.head = branch). A remote branch at another commit is refused, naming both
// commits, rather than overwritten. Returns pushed, remote (without credentials) and
// pull_request set.
absl::StatusOr<v1::GitOutcome> Publish(const repo::Repository& repository,
                                       const PublishTarget& target, forge::Forge& forge,
                                       const std::string& branch, const std::string& commit,
                                       const forge::PullRequestSpec& spec);

// One read of the checks of `sha` (commit statuses and check runs together): "success",
// "failure" or "pending", with the names of the failed and pending ones. Errors of the forge
// are returned as it gives them.
absl::StatusOr<v1::ChecksVerdict> ReadChecks(forge::Forge& forge, const forge::RepoRef& repo,
                                             const std::string& sha);

struct CompensationRequest {
  std::string branch;
  std::string commit;         // the deployment's commit; "" when the git step did not report one
  uint64_t pull_request = 0;  // the number the git step opened or found; 0 when unknown
  std::string deployment_id;  // the local branch is deleted only if its tip is this deployment's
  std::string reason;         // put in the pull request's closing comment
  bool keep = false;          // leave branch and pull request as they are
};

// Closes the open pull request of the branch when it is the deployment's (the number recorded,
// or else a head at the deployment's commit) and then comments with the reason; deletes the
// remote branch when its tip is still the deployment's commit (a branch someone pushed to is
// left, and the detail says so), and deletes the local branch of `repository` when it is the
// deployment's. `repository` may be null (nothing local to clean); `forge` null or an empty
// push URL mean that side was never published.
absl::StatusOr<v1::CompensationOutcome> Compensate(const repo::Repository* repository,
                                                   const PublishTarget& target, forge::Forge* forge,
                                                   const CompensationRequest& request);

}  // namespace slipway::gitsvc
