#include "services/git/step.h"

#include <fmt/format.h>
#include <google/protobuf/util/time_util.h>
#include <spdlog/spdlog.h>

#include "libs/core/status.h"
#include "libs/forge/github_forge.h"
#include "libs/repo/repository.h"
#include "services/git/commit.h"
#include "services/git/message.h"
#include "slipway/v1/deployments.pb.h"

namespace slipway::gitsvc {
namespace {

using google::protobuf::util::TimeUtil;

// Time kept back from the command's deadline to report the verdict before the saga gives up.
constexpr std::chrono::seconds kReportMargin{30};

std::string ReplaceAll(std::string text, std::string_view from, std::string_view to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
    text.replace(at, from.size(), to);
  return text;
}

// The forge's host for a push URL ("github.com" for https://github.com/o/r and git@github.com:o/r).
std::string HostOf(std::string_view url) {
  if (size_t scheme = url.find("://"); scheme != url.npos) {
    url.remove_prefix(scheme + 3);
    url = url.substr(0, url.find('/'));
    if (size_t at = url.rfind('@'); at != url.npos) url.remove_prefix(at + 1);
    return std::string(url.substr(0, url.find(':')));
  }
  url = url.substr(0, url.find(':'));
  if (size_t at = url.rfind('@'); at != url.npos) url.remove_prefix(at + 1);
  return std::string(url);
}

// Time left before `command`'s deadline, less the margin to report in.
std::chrono::steady_clock::time_point DeadlineOf(const v1::StepCommand& command,
                                                 std::chrono::seconds limit) {
  auto now = std::chrono::steady_clock::now();
  auto deadline = now + limit;
  if (command.has_deadline()) {
    const auto left =
        std::chrono::milliseconds(TimeUtil::TimestampToMilliseconds(command.deadline())) -
        std::chrono::duration_cast<std::chrono::milliseconds>(
            std::chrono::system_clock::now().time_since_epoch()) -
        kReportMargin;
    deadline = std::min(deadline, now + std::max(left, std::chrono::milliseconds(0)));
  }
  return deadline;
}

}  // namespace

absl::StatusOr<std::unique_ptr<GitStep>> GitStep::Create(store::ConnectionPool& pool,
                                                         GitStepOptions options,
                                                         const repo::Targets& targets,
                                                         std::shared_ptr<forge::Forge> forge) {
  PullRequestTemplate body = PullRequestTemplate::Default();
  if (!options.pull_request.body_template.empty()) {
    auto parsed = PullRequestTemplate::Parse(options.pull_request.body_template);
    if (!parsed.ok())
      return absl::InvalidArgumentError(
          fmt::format("--pr-body-template: {}", parsed.status().message()));
    body = std::move(*parsed);
  }
  if (options.pull_request.checks_poll.count() <= 0)
    return absl::InvalidArgumentError("--checks-poll: must be above 0");
  if (!options.pull_request.forge_repo.empty()) {
    const auto& name = options.pull_request.forge_repo;
    if (auto ref = forge::ParseRepoUrl("https://forge/" + name);
        !ref.ok() || ref->FullName() != name)
      return absl::InvalidArgumentError(
          fmt::format("--forge-repo: '{}' is not owner/name", name.substr(0, 200)));
  }
  std::string token = options.pull_request.forge_token.empty() ? targets.config().credentials.token
                                                               : options.pull_request.forge_token;
  if (!forge && !token.empty()) {
    forge::GitHubConfig config;
    if (!options.pull_request.forge_api_url.empty())
      config.api_url = options.pull_request.forge_api_url;
    config.token = token;
    auto made = forge::MakeGitHubForge(config);
    if (!made.ok())
      return absl::InvalidArgumentError(
          fmt::format("--forge-api-url / forge token: {}", made.status().message()));
    forge = std::move(*made);
  }
  return std::unique_ptr<GitStep>(
      new GitStep(pool, std::move(options), targets, std::move(forge), std::move(body)));
}

absl::StatusOr<v1::StepResult> GitStep::Handle(const v1::StepCommand& command) {
  switch (command.step()) {
    case v1::STEP_GIT:
      return Commit(command);
    case v1::STEP_CHECKS:
      return Checks(command);
    case v1::STEP_COMPENSATE:
      return Compensate(command);
    default:
      return runtime::Failed(
          fmt::format("the git service does not handle step {}", static_cast<int>(command.step())));
  }
}

absl::StatusOr<forge::Forge*> GitStep::ForgeFor(const std::string& push_url) const {
  if (!forge_)
    return absl::FailedPreconditionError(
        "full-pr needs a forge token: set SLIPWAY_FORGE_TOKEN (or --forge-token-file, or the git "
        "token SLIPWAY_GIT_TOKEN)");
  if (options_.pull_request.forge_api_url.empty() && HostOf(push_url) != "github.com")
    return absl::FailedPreconditionError(fmt::format(
        "full-pr: {} is not on github.com; set --forge-api-url to its forge's API (GitHub "
        "Enterprise https://host/api/v3, Gitea and Forgejo https://host/api/v1)",
        repo::RedactUrl(push_url)));
  return forge_.get();
}

absl::StatusOr<PublishTarget> GitStep::TargetFor(const std::string& target_url,
                                                 const repo::Repository* repository) const {
  PublishTarget target;
  target.credentials = targets_.config().credentials;
  if (!options_.pull_request.push_url.empty()) {
    target.push_url = options_.pull_request.push_url;
  } else if (repository != nullptr) {
    auto url = DefaultPushUrl(target_url, *repository);
    if (!url.ok()) return url.status();
    target.push_url = *url;
  } else if (repo::IsRemoteUrl(target_url)) {
    target.push_url = target_url;
  }
  const std::string& named = options_.pull_request.forge_repo;
  auto ref = named.empty() ? forge::ParseRepoUrl(target.push_url)
                           : forge::ParseRepoUrl("https://forge/" + named);
  if (!ref.ok())
    return absl::FailedPreconditionError(
        fmt::format("full-pr: cannot tell the forge repository from {}: {}; pass --forge-repo "
                    "owner/name",
                    repo::RedactUrl(target.push_url), ref.status().message()));
  target.forge_repo = *ref;
  return target;
}

absl::StatusOr<v1::StepResult> GitStep::Commit(const v1::StepCommand& command) {
  CommitRequest req;
  SLIPWAY_RETURN_IF_ERROR(runtime::LoadArtifact(artifacts_, command, "change_set", req.change_set));
  SLIPWAY_RETURN_IF_ERROR(runtime::LoadArtifact(artifacts_, command, "test_report", req.tests));
  v1::RepositoryMap map;
  v1::Analysis analysis;
  SLIPWAY_RETURN_IF_ERROR(runtime::LoadArtifact(artifacts_, command, "repository_map", map));
  SLIPWAY_RETURN_IF_ERROR(runtime::LoadArtifact(artifacts_, command, "analysis", analysis));
  std::optional<v1::SafetyVerdict> safety;
  if (v1::SafetyVerdict verdict;
      runtime::LoadArtifact(artifacts_, command, "safety_verdict", verdict).ok())
    safety = verdict;
  auto repo = targets_.Open(command.repository(), command.base_commit());
  if (!repo.ok()) return repo.status();
  req.repository = repo->path();
  req.base_commit = command.base_commit();
  req.deployment_id = command.deployment_id();
  req.recommendation = command.recommendation();
  req.tests.set_command(map.test_command());  // the repository's command, not the rewritten one
  req.branch_prefix = options_.branch_prefix;
  req.author_name = options_.author_name;
  req.author_email = options_.author_email;
  std::string points;
  for (const auto& p : analysis.integration_points()) {
    if (!points.empty()) points += ", ";
    points += p.symbol().empty() ? p.file() : fmt::format("{}:{}", p.file(), p.symbol());
  }
  req.steps_summary = fmt::format(
      "map: {} files, {} ({})\nanalyze: integration points {}\nimplement: {} files by the {} "
      "provider\ntest: {} run, {} passed, {} failed in {:.1f} s ({})",
      map.files_size(), map.primary_language(), map.test_command(),
      points.empty() ? "none" : points, req.change_set.files_size(), req.change_set.provider(),
      req.tests.total(), req.tests.passed(), req.tests.failed(), req.tests.seconds(),
      req.tests.command());
  auto outcome = CommitChangeSet(req);
  if (!outcome.ok()) return outcome.status();
  const std::string committed =
      fmt::format("{} {} on {}", outcome->created() ? "committed" : "found existing commit",
                  outcome->commit().substr(0, 12), outcome->branch());
  if (command.mode() != v1::MODE_FULL_PR) {
    v1::StepResult result = runtime::Succeeded(committed);
    *result.mutable_git() = *outcome;
    return result;
  }

  // full-pr: push the branch and open its pull request. A failure still reports the branch and
  // commit, so that compensation knows what to undo.
  auto fail = [&](const absl::Status& st) {
    v1::StepResult result = runtime::Failed(std::string(st.message()), IsRetryable(st));
    *result.mutable_git() = *outcome;
    return result;
  };
  auto target = TargetFor(command.repository(), &*repo);
  if (!target.ok()) return fail(target.status());
  auto forge = ForgeFor(target->push_url);
  if (!forge.ok()) return fail(forge.status());

  PullRequestFacts facts;
  facts.deployment_id = command.deployment_id();
  facts.trace_id = command.trace_id();
  if (!options_.pull_request.trace_url.empty() && !command.trace_id().empty())
    facts.trace_url = ReplaceAll(options_.pull_request.trace_url, "{trace_id}", command.trace_id());
  facts.branch = outcome->branch();
  facts.commit = outcome->commit();
  facts.base_commit = command.base_commit();
  facts.base_branch = command.recommendation().target().base_branch();
  if (facts.base_branch.empty()) {
    auto head = HeadBranch(*repo);
    if (!head.ok())
      return fail(absl::FailedPreconditionError(
          fmt::format("full-pr: no base branch for the pull request ({}); set target.base_branch",
                      head.status().message())));
    facts.base_branch = *head;
  }
  facts.recommendation = command.recommendation();
  facts.provider = req.change_set.provider();
  auto stats = DiffStats(*repo, command.base_commit(), outcome->commit());
  if (!stats.ok()) return stats.status();
  facts.files = std::move(*stats);
  facts.analysis = analysis;
  facts.tests = req.tests;
  facts.safety = safety;
  facts.steps.assign(command.previous().begin(), command.previous().end());

  forge::PullRequestSpec spec;
  spec.title = PullRequestTitle(command.recommendation(), options_.pull_request.title_prefix);
  spec.body = body_.Render(facts);
  spec.head = outcome->branch();
  spec.base = facts.base_branch;
  spec.draft = options_.pull_request.draft;
  spec.labels = options_.pull_request.labels;
  spec.reviewers = options_.pull_request.reviewers;
  spec.team_reviewers = options_.pull_request.team_reviewers;
  auto published = Publish(*repo, *target, **forge, outcome->branch(), outcome->commit(), spec);
  if (!published.ok()) return fail(published.status());
  v1::GitOutcome git = *outcome;
  git.MergeFrom(*published);
  const auto& pr = git.pull_request();
  v1::StepResult result = runtime::Succeeded(
      fmt::format("{}; pushed to {}; pull request #{} {} ({})", committed, git.remote(),
                  pr.number(), pr.created() ? "opened" : "already open", pr.url()));
  *result.mutable_git() = git;
  return result;
}

absl::StatusOr<v1::StepResult> GitStep::Checks(const v1::StepCommand& command) {
  const auto& git = command.git();
  if (git.commit().empty() || !git.has_pull_request())
    return runtime::Failed("checks: the git step reported no pushed commit and pull request");
  auto target = TargetFor(command.repository(), nullptr);
  if (!target.ok()) return runtime::Failed(std::string(target.status().message()));
  auto forge = ForgeFor(target->push_url);
  if (!forge.ok()) return runtime::Failed(std::string(forge.status().message()));
  const auto& o = options_.pull_request;
  // Stop waiting as soon as the saga moved on (cancelled): its compensation command waits
  // behind this one in the same partition.
  auto wanted = [&] {
    bool current = true;
    absl::Status st = pool_.Transact([&](pqxx::work& tx) {
      auto r = tx.exec_params(
          "SELECT 1 FROM deployments WHERE id = $1::uuid AND status = $2 AND current_step = $3 "
          "AND attempt = $4",
          command.deployment_id(), static_cast<int>(v1::DEPLOYMENT_STATUS_RUNNING),
          static_cast<int>(command.step()), command.attempt());
      current = !r.empty();
      return absl::OkStatus();
    });
    return !st.ok() || current;  // a database hiccup is no reason to stop
  };
  auto verdict = FollowChecks(**forge, target->forge_repo, git.commit(),
                              DeadlineOf(command, o.checks_timeout), o.checks_poll, {}, wanted);
  if (!verdict.ok()) return verdict.status();
  verdict->set_required(o.require_ci_pass);
  const std::string line =
      fmt::format("checks of pull request #{}: {} ({}) after {:.1f} s", git.pull_request().number(),
                  verdict->state(), verdict->detail(), verdict->waited_seconds());
  const bool passed = verdict->state() == "success";
  v1::StepResult result =
      passed || !o.require_ci_pass
          ? runtime::Succeeded(passed ? line : line + "; not required (require_ci_pass is off)")
          : runtime::Failed(line + (verdict->state() == "pending"
                                        ? "; the deadline passed and require_ci_pass is on"
                                        : "; require_ci_pass is on"));
  result.mutable_git()->set_branch(git.branch());
  result.mutable_git()->set_commit(git.commit());
  *result.mutable_git()->mutable_checks() = *verdict;
  return result;
}

absl::StatusOr<v1::StepResult> GitStep::Compensate(const v1::StepCommand& command) {
  const auto& git = command.git();
  CompensationRequest request;
  request.branch = git.branch();
  request.commit = git.commit();
  request.deployment_id = command.deployment_id();
  request.reason = command.reason();
  request.keep = options_.pull_request.keep_on_failure;
  if (request.branch.empty())
    request.branch = BranchName(options_.branch_prefix, command.recommendation().title(),
                                command.deployment_id());
  // The repository may be gone or unreachable; the remote and the forge can still be cleaned.
  std::optional<repo::Repository> local;
  if (auto opened = targets_.Open(command.repository(), command.base_commit()); opened.ok())
    local = std::move(*opened);
  else
    spdlog::warn("compensate {}: repository not opened: {}", command.deployment_id(),
                 opened.status().message());
  PublishTarget target;
  forge::Forge* forge = nullptr;
  if (auto t = TargetFor(command.repository(), local ? &*local : nullptr); t.ok()) {
    target = *t;
    if (auto f = ForgeFor(target.push_url); f.ok()) forge = *f;
  } else {
    // Nothing was published without a target; only the local branch remains to undo.
    spdlog::warn("compensate {}: {}", command.deployment_id(), t.status().message());
  }
  auto outcome = gitsvc::Compensate(local ? &*local : nullptr, target, forge, request);
  if (!outcome.ok()) return outcome.status();
  v1::StepResult result = runtime::Succeeded(fmt::format("compensated: {}", outcome->detail()));
  result.mutable_git()->set_branch(request.branch);
  *result.mutable_git()->mutable_compensation() = *outcome;
  return result;
}

}  // namespace slipway::gitsvc
