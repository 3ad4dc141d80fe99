// The git step's logic: record a change set as one commit on a deployment branch, in memory
// (never touching the work tree, the index file or HEAD), and undo it as compensation.
//
// Any thread; each call opens its own handle on the repository, so calls may run
// concurrently, also from several processes. Errors:
//   INVALID_ARGUMENT  bad request (deployment id, base commit id, change-set path, a path that
//                     collides with a file or folder of the base tree), or not a repository;
//   NOT_FOUND         the base commit is not in the repository;
//   FAILED_PRECONDITION  the branch exists and is not this deployment's (message names it),
//                     or DeleteBranch on the checked-out branch;
//   ABORTED (retryable)  the branch kept changing under concurrent writers;
//   INTERNAL (retryable) the object database or refs could not be written.
#pragma once

#include <filesystem>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "libs/repo/repository.h"
#include "services/git/request.h"
#include "slipway/v1/steps.pb.h"

namespace slipway::gitsvc {

// Creates refs/heads/<BranchName(...)> pointing to one new commit whose parent is
// base_commit and whose tree is the base tree plus the change set (existing files keep their
// mode). Idempotent: when the branch already carries this deployment's commit it is returned
// with created=false. Concurrent callers with the same request create one branch.
absl::StatusOr<v1::GitOutcome> CommitChangeSet(const CommitRequest& request);

// The commit refs/heads/<branch> of `repository` points to when its tip is a commit of
// `deployment_id` (it carries the trailer); "" when the branch is missing or not the
// deployment's.
absl::StatusOr<std::string> DeploymentTip(const repo::Repository& repository,
                                          const std::string& branch,
                                          const std::string& deployment_id);

// Compensation: deletes refs/heads/<branch> if its tip is a commit of `deployment_id`. A
// missing branch is success (already compensated).
absl::Status DeleteBranch(const std::filesystem::path& repository, const std::string& branch,
                          const std::string& deployment_id);

}  // namespace slipway::gitsvc
