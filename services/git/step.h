// The git service's step handler, for its three steps:
//  * git: one commit of the change set on the deployment's branch
//    (`<prefix>/<slug>-<short id>`), with a structured message summarising every step; in
//    full-pr mode the branch is then pushed and its pull request opened (or found). A replayed
//    command finds the branch, the pushed commit and the pull request it made.
//  * checks (full-pr): one read of the commit statuses and check runs of the pushed commit;
//    while they are pending (and --checks-timeout has not passed since the first read) the
//    result asks the saga to send the step again after --checks-poll, so no worker waits.
//    With require_ci_pass anything but success fails it.
//  * compensate (full-pr): closes the pull request with a comment giving the reason and
//    deletes the branch, unless configured to keep them.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "libs/forge/forge.h"
#include "libs/repo/target.h"
#include "libs/runtime/step_worker.h"
#include "libs/store/artifact_store.h"
#include "services/git/publish.h"
#include "services/git/pull_request.h"

namespace slipway::gitsvc {

struct PullRequestOptions {
  // GitHub REST API root: "" = https://api.github.com, for remotes on github.com; GitHub
  // Enterprise "https://host/api/v3", Gitea/Forgejo "https://host/api/v1".
  std::string forge_api_url;
  std::string forge_token;  // "" = the git token (the credentials of the targets)
  std::string forge_repo;   // "owner/name" when the push URL does not say it
  std::string push_url;     // "" = the target URL when remote, else its "origin"
  std::vector<std::string> labels = {"slipway"};
  std::vector<std::string> reviewers;
  std::vector<std::string> team_reviewers;
  bool draft = false;
  std::string title_prefix;
  std::string body_template;  // Markdown with {{placeholders}}; "" = the default template
  std::string trace_url;      // "{trace_id}" is replaced; "" = no link in the body
  std::chrono::seconds checks_timeout{1800};
  std::chrono::milliseconds checks_poll{15'000};
  bool require_ci_pass = false;  // a checks verdict other than success fails the deployment
  bool keep_on_failure = false;  // compensation leaves the branch and pull request
};

struct GitStepOptions {
  std::string branch_prefix = "slipway";
  std::string author_name = "Slipway";
  std::string author_email = "slipway@localhost";
  PullRequestOptions pull_request;
};

class GitStep final : public runtime::StepHandler {
 public:
  // Validates the options (the body template, the forge's URL) and builds the forge client
  // when a token is configured. `forge` replaces that client (tests). INVALID_ARGUMENT names
  // the option at fault.
  static absl::StatusOr<std::unique_ptr<GitStep>> Create(store::ConnectionPool& pool,
                                                         GitStepOptions options,
                                                         const repo::Targets& targets,
                                                         std::shared_ptr<forge::Forge> forge = {});

  absl::StatusOr<v1::StepResult> Handle(const v1::StepCommand& command) override;

 private:
  GitStep(store::ConnectionPool& pool, GitStepOptions options, const repo::Targets& targets,
          std::shared_ptr<forge::Forge> forge, PullRequestTemplate body)
      : artifacts_(pool),
        options_(std::move(options)),
        targets_(targets),
        forge_(std::move(forge)),
        body_(std::move(body)) {}

  absl::StatusOr<v1::StepResult> Commit(const v1::StepCommand& command);
  absl::StatusOr<v1::StepResult> Checks(const v1::StepCommand& command);
  absl::StatusOr<v1::StepResult> Compensate(const v1::StepCommand& command);
  // Where the branch goes and where its pull request is, for a target opened as `repository`.
  absl::StatusOr<PublishTarget> TargetFor(const std::string& target_url,
                                          const repo::Repository* repository) const;
  absl::StatusOr<forge::Forge*> ForgeFor(const std::string& push_url) const;

  store::ArtifactStore artifacts_;
  GitStepOptions options_;
  const repo::Targets& targets_;
  std::shared_ptr<forge::Forge> forge_;
  PullRequestTemplate body_;
};

}  // namespace slipway::gitsvc
