#include "services/git/step.h"

#include <fmt/format.h>
#include <google/protobuf/util/time_util.h>
#include <spdlog/spdlog.h>

#include "libs/core/status.h"
#include "libs/core/text.h"
#include "libs/forge/github_forge.h"
#include "libs/repo/repository.h"
#include "services/git/commit.h"
#include "services/git/message.h"

namespace slipway::gitsvc {
namespace {

using google::protobuf::util::TimeUtil;

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

// "owner/name" as a forge repository (the same rules as the last two parts of a URL).
absl::StatusOr<forge::RepoRef> RepoNamed(std::string_view name) {
  return forge::ParseRepoUrl("https://forge/" + std::string(name));
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
    if (auto ref = RepoNamed(name); !ref.ok() || ref->FullName() != name)
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
  if (!forge)
    spdlog::info(
        "no forge token (SLIPWAY_FORGE_TOKEN, --forge-token-file or SLIPWAY_GIT_TOKEN): "
        "full-pr deployments will fail at the git step");
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
  auto ref = named.empty() ? forge::ParseRepoUrl(target.push_url) : RepoNamed(named);
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
  const bool remote = repo::IsRemoteUrl(command.repository());
  if (remote && command.mode() != v1::MODE_FULL_PR)
    return runtime::Failed(fmt::format(
        "local-commit of a remote repository ({}) would only write this service's mirror; use "
        "full-pr, or a local clone as the target",
        repo::RedactUrl(command.repository())));
  // full-pr of a remote target syncs the mirror first, so that a replay (perhaps on another
  // replica) finds the branch an earlier attempt pushed instead of committing again.
  auto repo = targets_.Open(command.repository(), remote ? "" : command.base_commit());
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
  if (git.commit().empty() || !git.has_pull_request() || git.remote().empty())
    return runtime::Failed("checks: the git step reported no pushed commit and pull request");
  // Where the git step published, as it recorded it.
  auto forge_repo = RepoNamed(git.pull_request().repo());
  if (!forge_repo.ok()) return runtime::Failed(std::string(forge_repo.status().message()));
  auto forge = ForgeFor(git.remote());
  if (!forge.ok()) return runtime::Failed(std::string(forge.status().message()));
  const auto& o = options_.pull_request;
  const auto now = std::chrono::system_clock::now();
  const auto started = command.has_checks_started()
                           ? std::chrono::system_clock::time_point(std::chrono::milliseconds(
                                 TimeUtil::TimestampToMilliseconds(command.checks_started())))
                           : now;
  const double waited = std::max(0.0, std::chrono::duration<double>(now - started).count());
  const uint64_t number = git.pull_request().number();

  v1::StepResult result;
  auto verdict = ReadChecks(**forge, *forge_repo, git.commit());
  if (!verdict.ok()) {
    // Required checks that cannot be read fail the gate (after the saga's retries of a
    // transient error); otherwise the pull request stands and the record says why.
    if (o.require_ci_pass) return verdict.status();
    v1::ChecksVerdict unknown;
    unknown.set_state("unknown");
    unknown.set_detail(std::string(verdict.status().message()));
    verdict = unknown;
  }
  verdict->set_required(o.require_ci_pass);
  verdict->set_waited_seconds(waited);
  const std::string line = fmt::format("checks of pull request #{}: {} ({}) after {:.1f} s", number,
                                       verdict->state(), verdict->detail(), waited);
  const bool pending = verdict->state() == "pending";
  if (pending && waited < static_cast<double>(o.checks_timeout.count())) {
    result = runtime::Failed(line);
    result.set_summary(line);
    result.set_poll_after_ms(static_cast<uint32_t>(o.checks_poll.count()));
  } else if (verdict->state() == "success" || !o.require_ci_pass) {
    result = runtime::Succeeded(
        verdict->state() == "success" ? line : line + "; not required (require_ci_pass is off)");
  } else {
    result = runtime::Failed(line + (pending ? "; the deadline passed and require_ci_pass is on"
                                             : "; require_ci_pass is on"));
  }
  *result.mutable_git()->mutable_checks() = *verdict;
  return result;
}

absl::StatusOr<v1::StepResult> GitStep::Compensate(const v1::StepCommand& command) {
  const auto& git = command.git();
  CompensationRequest request;
  request.branch = git.branch();
  request.commit = git.commit();
  request.pull_request = git.pull_request().number();
  request.deployment_id = command.deployment_id();
  request.reason = command.reason();
  request.keep = options_.pull_request.keep_on_failure;
  if (request.branch.empty())
    request.branch = BranchName(options_.branch_prefix, command.recommendation().title(),
                                command.deployment_id());
  const bool published = git.pushed() || git.has_pull_request();
  // The local (or mirror) branch; a repository that is gone leaves nothing local to undo, but
  // a transient error is worth another attempt.
  std::optional<repo::Repository> local;
  if (auto opened = targets_.Open(command.repository(), command.base_commit()); opened.ok()) {
    local = std::move(*opened);
  } else if (IsRetryable(opened.status())) {
    return opened.status();
  } else {
    spdlog::warn("compensate {}: repository not opened: {}", command.deployment_id(),
                 opened.status().message());
  }
  PublishTarget target;
  forge::Forge* forge = nullptr;
  if (published) {
    // Undo what the git step recorded, where it recorded it.
    target.credentials = targets_.config().credentials;
    target.push_url = options_.pull_request.push_url;
    if (target.push_url.empty() && local) {
      auto url = DefaultPushUrl(command.repository(), *local);
      if (url.ok()) target.push_url = *url;
    }
    if (target.push_url.empty() && repo::IsRemoteUrl(command.repository()))
      target.push_url = command.repository();
    if (target.push_url.empty())
      return runtime::Failed(fmt::format(
          "compensate: branch {} was pushed to {}, which cannot be reached from here; delete it "
          "there by hand",
          request.branch, git.remote()));
    if (git.has_pull_request()) {
      auto ref = RepoNamed(git.pull_request().repo());
      auto f = ForgeFor(git.remote());
      if (!ref.ok() || !f.ok())
        return runtime::Failed(fmt::format(
            "compensate: pull request #{} on {} cannot be closed from here ({}); close it by hand",
            request.pull_request, git.pull_request().repo(),
            !ref.ok() ? ref.status().message() : f.status().message()));
      target.forge_repo = *ref;
      forge = *f;
    }
  }
  auto outcome = gitsvc::Compensate(local ? &*local : nullptr, target, forge, request);
  if (!outcome.ok()) return outcome.status();
  v1::StepResult result = runtime::Succeeded(fmt::format("compensated: {}", outcome->detail()));
  *result.mutable_git()->mutable_compensation() = *outcome;
  return result;
}

}  // namespace slipway::gitsvc
