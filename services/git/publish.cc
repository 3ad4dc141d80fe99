#include "services/git/publish.h"

#include <fmt/format.h>
#include <git2.h>
#include <spdlog/spdlog.h>

#include <memory>
#include <thread>

#include "libs/core/status.h"
#include "libs/core/text.h"
#include "libs/repo/target.h"
#include "services/git/commit.h"
#include "services/git/message.h"

namespace slipway::gitsvc {
namespace {

using RefPtr = std::unique_ptr<git_reference, decltype(&git_reference_free)>;
using RemotePtr = std::unique_ptr<git_remote, decltype(&git_remote_free)>;

// `status` with `what` in front of its message, still retryable when it was.
absl::Status Annotate(const absl::Status& status, std::string_view what) {
  absl::Status out(status.code(), fmt::format("{}: {}", what, status.message()));
  return IsRetryable(status) ? Retryable(std::move(out)) : out;
}

// The reason as a Markdown quote: every line quoted, at most kMaxReasonBytes.
constexpr size_t kMaxReasonBytes = 2000;
std::string Quoted(std::string_view reason) {
  std::string text = SanitizeUtf8(HeadUtf8(reason, kMaxReasonBytes));
  if (reason.size() > kMaxReasonBytes) text += " …";
  std::string out = "> ";
  for (char c : text) {
    if (c == '\n')
      out += "\n> ";
    else if (c != '\r')
      out += c;
  }
  return out;
}

v1::ChecksVerdict ToVerdict(const forge::CheckSummary& summary) {
  v1::ChecksVerdict v;
  v.set_state(std::string(forge::ChecksStateName(summary.state)));
  v.set_total(static_cast<uint32_t>(summary.total));
  for (const auto& f : summary.failed) v.add_failed(f);
  for (const auto& p : summary.pending) v.add_pending(p);
  v.set_detail(summary.detail);
  return v;
}

}  // namespace

absl::StatusOr<std::string> DefaultPushUrl(const std::string& target_url,
                                           const repo::Repository& repository) {
  if (repo::IsRemoteUrl(target_url)) return target_url;
  git_remote* raw = nullptr;
  if (git_remote_lookup(&raw, repository.raw(), "origin") != 0) {
    return absl::FailedPreconditionError(fmt::format(
        "full-pr: the repository at {} has no 'origin' remote to push to; add one or pass "
        "--push-url",
        target_url));
  }
  RemotePtr remote(raw, git_remote_free);
  const char* url = git_remote_pushurl(remote.get());
  if (url == nullptr) url = git_remote_url(remote.get());
  if (url == nullptr || *url == '\0')
    return absl::FailedPreconditionError(
        fmt::format("full-pr: the 'origin' remote of {} has no URL", target_url));
  return std::string(url);
}

absl::StatusOr<std::string> HeadBranch(const repo::Repository& repository) {
  git_reference* raw = nullptr;
  // A clone: the remote's default branch, not whatever the user has checked out.
  if (git_reference_lookup(&raw, repository.raw(), "refs/remotes/origin/HEAD") == 0) {
    RefPtr origin(raw, git_reference_free);
    constexpr std::string_view kOrigin = "refs/remotes/origin/";
    if (git_reference_type(origin.get()) == GIT_REFERENCE_SYMBOLIC) {
      std::string target = git_reference_symbolic_target(origin.get());
      if (target.starts_with(kOrigin)) return target.substr(kOrigin.size());
    }
  }
  raw = nullptr;
  if (git_reference_lookup(&raw, repository.raw(), "HEAD") != 0)
    return absl::NotFoundError(repo::GitError("HEAD"));
  RefPtr head(raw, git_reference_free);
  if (git_reference_type(head.get()) != GIT_REFERENCE_SYMBOLIC)
    return absl::NotFoundError("HEAD is detached: it names no branch");
  std::string target = git_reference_symbolic_target(head.get());
  constexpr std::string_view kHeads = "refs/heads/";
  if (!target.starts_with(kHeads))
    return absl::NotFoundError(fmt::format("HEAD points to {}, not a branch", target));
  return target.substr(kHeads.size());
}

absl::StatusOr<v1::GitOutcome> Publish(const repo::Repository& repository,
                                       const PublishTarget& target, forge::Forge& forge,
                                       const std::string& branch, const std::string& commit,
                                       const forge::PullRequestSpec& spec) {
  const std::string remote = repo::RedactUrl(target.push_url);
  auto tip = repo::RemoteBranchTip(target.push_url, branch, target.credentials);
  if (tip.ok() && *tip != commit) {
    return absl::FailedPreconditionError(fmt::format(
        "push {} to {}: the remote branch points to {}, not this deployment's commit {} "
        "(someone else pushed to it); not overwriting",
        branch, remote, tip->substr(0, 12), commit.substr(0, 12)));
  }
  if (!tip.ok() && tip.status().code() != absl::StatusCode::kNotFound)
    return Annotate(tip.status(), fmt::format("read {} at {}", branch, remote));
  if (!tip.ok()) {
    if (auto st = repo::PushBranch(repository, target.push_url, branch, target.credentials);
        !st.ok())
      return Annotate(st, fmt::format("push {} to {}", branch, remote));
  }
  v1::GitOutcome out;
  out.set_pushed(true);
  out.set_remote(remote);
  auto opened = forge.OpenPullRequest(target.forge_repo, spec);
  if (!opened.ok())
    return Annotate(opened.status(),
                    fmt::format("open pull request on {}", target.forge_repo.FullName()));
  const auto& [pr, created] = *opened;
  auto* info = out.mutable_pull_request();
  info->set_number(pr.number);
  info->set_url(pr.html_url);
  info->set_created(created);
  info->set_state(pr.state);
  info->set_draft(pr.draft);
  info->set_repo(target.forge_repo.FullName());
  return out;
}

absl::StatusOr<v1::ChecksVerdict> ReadChecks(forge::Forge& forge, const forge::RepoRef& repo,
                                             const std::string& sha) {
  auto summary = forge.Checks(repo, sha);
  if (!summary.ok())
    return Annotate(summary.status(), fmt::format("read the checks of {}", sha.substr(0, 12)));
  return ToVerdict(*summary);
}

absl::StatusOr<v1::CompensationOutcome> Compensate(const repo::Repository* repository,
                                                   const PublishTarget& target, forge::Forge* forge,
                                                   const CompensationRequest& request) {
  v1::CompensationOutcome out;
  if (request.keep) {
    out.set_kept(true);
    out.set_detail(
        fmt::format("kept branch {} and its pull request, as configured", request.branch));
    return out;
  }
  std::vector<std::string> done;
  std::string commit = request.commit;
  if (commit.empty() && repository != nullptr)
    commit = DeploymentTip(*repository, request.branch, request.deployment_id).value_or("");

  if (forge != nullptr) {
    auto pr = forge->FindPullRequest(target.forge_repo, request.branch, "");
    const bool ours =
        pr.ok() && (request.pull_request != 0 ? pr->number == request.pull_request
                                              : !commit.empty() && pr->head_sha == commit);
    if (pr.ok() && !ours) {
      done.push_back(fmt::format("left pull request #{}: it is not this deployment's", pr->number));
    } else if (pr.ok()) {
      // Closed first: a retry after a failed comment finds nothing open, so no comment is
      // ever posted twice.
      if (auto st = forge->ClosePullRequest(target.forge_repo, pr->number); !st.ok())
        return Annotate(st, fmt::format("close pull request #{}", pr->number));
      const std::string comment =
          fmt::format("Slipway closed this pull request: deployment {} did not complete.\n\n{}",
                      request.deployment_id,
                      Quoted(request.reason.empty() ? "no reason given" : request.reason));
      if (auto st = forge->Comment(target.forge_repo, pr->number, comment); !st.ok())
        spdlog::warn("compensate {}: closed pull request #{} but could not comment: {}",
                     request.deployment_id, pr->number, st.message());
      out.set_pull_request_closed(true);
      done.push_back(fmt::format("closed pull request #{}", pr->number));
    } else if (pr.status().code() != absl::StatusCode::kNotFound) {
      return Annotate(pr.status(), fmt::format("find the pull request of {}", request.branch));
    } else {
      done.push_back("no open pull request");
    }
  }

  const std::string remote = repo::RedactUrl(target.push_url);
  bool remote_gone = false;
  if (!target.push_url.empty()) {
    auto tip = repo::RemoteBranchTip(target.push_url, request.branch, target.credentials);
    if (!tip.ok() && tip.status().code() == absl::StatusCode::kNotFound) {
      remote_gone = true;
      done.push_back(fmt::format("{} is not on {}", request.branch, remote));
    } else if (!tip.ok()) {
      return Annotate(tip.status(), fmt::format("read {} at {}", request.branch, remote));
    } else if (commit.empty() || *tip != commit) {
      done.push_back(fmt::format("left {} on {}: it points to {}, not this deployment's commit",
                                 request.branch, remote, tip->substr(0, 12)));
    } else if (repository == nullptr) {
      done.push_back(fmt::format("left {} on {}: no local repository to push the deletion from",
                                 request.branch, remote));
    } else {
      if (auto st = repo::DeleteRemoteBranch(*repository, target.push_url, request.branch,
                                             target.credentials);
          !st.ok())
        return Annotate(st, fmt::format("delete {} on {}", request.branch, remote));
      remote_gone = true;
      done.push_back(fmt::format("deleted {} on {}", request.branch, remote));
    }
  } else {
    remote_gone = true;
    done.push_back("nothing was pushed");
  }

  bool local_gone = true;
  if (repository != nullptr) {
    if (auto st = DeleteBranch(repository->path(), request.branch, request.deployment_id);
        !st.ok()) {
      // A foreign or checked-out branch is left as it is; that is a fact to report, not a
      // failure to retry.
      if (st.code() != absl::StatusCode::kFailedPrecondition) return st;
      local_gone = false;
      done.push_back(fmt::format("left the local branch: {}", st.message()));
    }
  }
  out.set_branch_deleted(remote_gone && local_gone);
  std::string detail;
  for (const auto& d : done) detail += (detail.empty() ? "" : "; ") + d;
  out.set_detail(detail);
  return out;
}

}  // namespace slipway::gitsvc
