// Forge: the seam between Slipway's git service and the place a repository is hosted (GitHub,
// GitHub Enterprise, Gitea/Forgejo). It opens pull requests, reads the checks of a commit and
// cleans up after itself.
//
// Contract for every implementation:
//   * Thread-safe: one object is shared by every thread of a service; calls block their caller.
//   * Idempotent where a step may be replayed: OpenPullRequest finds the pull request a
//     previous attempt opened, ClosePullRequest of a closed one and DeleteBranch of a branch
//     already gone succeed.
//   * Errors are absl::Status: UNAUTHENTICATED (bad token), PERMISSION_DENIED (the token may
//     not do this), NOT_FOUND, INVALID_ARGUMENT (the forge rejected the request, with its
//     reason), RESOURCE_EXHAUSTED (rate limited; retryable), UNAVAILABLE (the forge or the
//     network failed; retryable), DATA_LOSS (an answer that cannot be understood). Messages
//     name the operation and never hold credentials.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace slipway::forge {

// A repository on a forge: "owner/name".
struct RepoRef {
  std::string owner;
  std::string name;

  std::string FullName() const { return owner + "/" + name; }
  friend bool operator==(const RepoRef&, const RepoRef&) = default;
};

// The owner and name in a clone URL: https://github.com/o/r(.git), http://127.0.0.1:8080/o/r.git
// (any path prefix before the last two components is allowed, as on a self-hosted forge),
// git@host:o/r.git and ssh://git@host[:port]/o/r.git. INVALID_ARGUMENT for anything else,
// including an empty owner or name and a name of "." or "..".
absl::StatusOr<RepoRef> ParseRepoUrl(std::string_view url);

struct PullRequestSpec {
  std::string title;
  std::string body;
  std::string head;  // branch in the same repository
  std::string base;  // branch the change is proposed for
  bool draft = false;
  std::vector<std::string> labels;
  std::vector<std::string> reviewers;       // user logins
  std::vector<std::string> team_reviewers;  // team slugs
};

struct PullRequest {
  uint64_t number = 0;
  std::string html_url;
  std::string state;  // "open" or "closed"
  std::string head;
  std::string base;
  std::string head_sha;
  bool draft = false;
  bool merged = false;
};

enum class ChecksState { kPending, kSuccess, kFailure };

std::string_view ChecksStateName(ChecksState state);  // "pending", "success", "failure"

// The verdict over a commit's statuses and check runs together.
struct CheckSummary {
  ChecksState state = ChecksState::kPending;
  size_t total = 0;                 // statuses + check runs
  std::vector<std::string> failed;  // names (status context or check-run name)
  std::vector<std::string> pending;
  std::string detail;  // one line for people, e.g. "3 checks: 1 failed (build), 2 passed"
};

class Forge {
 public:
  virtual ~Forge() = default;

  // The open pull request from `head` (a branch of `repo`) into `base` ("" for any base).
  // NOT_FOUND when there is none.
  [[nodiscard]] virtual absl::StatusOr<PullRequest> FindPullRequest(const RepoRef& repo,
                                                                    std::string_view head,
                                                                    std::string_view base) = 0;

  // Opens a pull request, or finds the open one a previous attempt made for the same head
  // (then `second` is false and title, body and draft are left as they are). Labels and
  // reviewers of the spec are added to it when missing, in both cases.
  [[nodiscard]] virtual absl::StatusOr<std::pair<PullRequest, bool>> OpenPullRequest(
      const RepoRef& repo, const PullRequestSpec& spec) = 0;

  // Combined commit statuses and check runs of `sha`: failure if any failed, errored, was
  // cancelled or timed out; else pending if any is queued or running; else success. A commit
  // with no checks at all is a success with total 0 (detail says so).
  [[nodiscard]] virtual absl::StatusOr<CheckSummary> Checks(const RepoRef& repo,
                                                            std::string_view sha) = 0;

  // Adds a comment to pull request `number`.
  [[nodiscard]] virtual absl::Status Comment(const RepoRef& repo, uint64_t number,
                                             std::string_view body) = 0;

  // Closes pull request `number` without merging; OK when it is already closed.
  [[nodiscard]] virtual absl::Status ClosePullRequest(const RepoRef& repo, uint64_t number) = 0;

  // Deletes `branch`; OK when it does not exist (any more).
  [[nodiscard]] virtual absl::Status DeleteBranch(const RepoRef& repo, std::string_view branch) = 0;
};

}  // namespace slipway::forge
