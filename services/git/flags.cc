#include "services/git/flags.h"

#include <fmt/format.h>

#include <fstream>
#include <sstream>

#include "libs/runtime/runtime.h"

namespace slipway::gitsvc {
namespace {

constexpr size_t kMaxFileBytes = 256 * 1024;

absl::StatusOr<std::string> ReadSmallFile(const std::string& flag, const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::InvalidArgumentError(fmt::format("{}: cannot read {}", flag, path));
  std::ostringstream text;
  text << in.rdbuf();
  std::string s = text.str();
  if (s.size() > kMaxFileBytes)
    return absl::InvalidArgumentError(
        fmt::format("{}: {} is {} bytes, limit {}", flag, path, s.size(), kMaxFileBytes));
  return s;
}

}  // namespace

void AddGitFlags(CLI::App& app, GitFlags& f) {
  GitStepOptions& o = f.options;
  PullRequestOptions& pr = o.pull_request;
  app.add_option("--branch-prefix", o.branch_prefix, "branch name prefix (slipway)")
      ->envname("SLIPWAY_BRANCH_PREFIX");
  app.add_option("--author-name", o.author_name, "commit author name")
      ->envname("SLIPWAY_AUTHOR_NAME");
  app.add_option("--author-email", o.author_email, "commit author email")
      ->envname("SLIPWAY_AUTHOR_EMAIL");
  app.add_option("--forge-api-url", pr.forge_api_url,
                 "GitHub REST API root (default https://api.github.com; GitHub Enterprise "
                 "https://host/api/v3, Gitea/Forgejo https://host/api/v1)")
      ->envname("SLIPWAY_FORGE_API_URL");
  app.add_option("--forge-token-file", f.forge_token_file,
                 "file holding the forge token (the token itself: SLIPWAY_FORGE_TOKEN)")
      ->envname("SLIPWAY_FORGE_TOKEN_FILE");
  app.add_option("--forge-repo", pr.forge_repo,
                 "owner/name on the forge, when the push URL does not say it")
      ->envname("SLIPWAY_FORGE_REPO");
  app.add_option("--push-url", pr.push_url,
                 "where full-pr pushes (default: the target URL, or its origin)")
      ->envname("SLIPWAY_PUSH_URL");
  app.add_option("--pr-labels", pr.labels, "labels of the pull request (slipway)")
      ->envname("SLIPWAY_PR_LABELS")
      ->delimiter(',');
  app.add_option("--pr-reviewers", pr.reviewers, "reviewers (user logins)")
      ->envname("SLIPWAY_PR_REVIEWERS")
      ->delimiter(',');
  app.add_option("--pr-team-reviewers", pr.team_reviewers, "reviewing teams (slugs)")
      ->envname("SLIPWAY_PR_TEAM_REVIEWERS")
      ->delimiter(',');
  app.add_flag("--pr-draft", pr.draft, "open pull requests as drafts")->envname("SLIPWAY_PR_DRAFT");
  app.add_option("--pr-title-prefix", pr.title_prefix, "put before each pull request title")
      ->envname("SLIPWAY_PR_TITLE_PREFIX");
  app.add_option("--pr-body-template", f.body_template_file,
                 "Markdown file with {{placeholders}} for the pull request body")
      ->envname("SLIPWAY_PR_BODY_TEMPLATE");
  app.add_option("--trace-url", pr.trace_url,
                 "link to a deployment's trace, {trace_id} replaced (e.g. "
                 "http://localhost:16686/trace/{trace_id})")
      ->envname("SLIPWAY_TRACE_URL");
  app.add_option("--checks-timeout", f.checks_timeout_s,
                 "seconds to follow a pull request's checks (1800)")
      ->envname("SLIPWAY_CHECKS_TIMEOUT")
      ->check(CLI::PositiveNumber);
  app.add_option("--checks-poll", f.checks_poll_s, "seconds between reads of the checks (15)")
      ->envname("SLIPWAY_CHECKS_POLL")
      ->check(CLI::PositiveNumber);
  app.add_flag("--require-ci-pass", pr.require_ci_pass,
               "fail (and compensate) a full-pr deployment whose checks do not pass")
      ->envname("SLIPWAY_REQUIRE_CI_PASS");
  app.add_flag("--keep-on-failure", pr.keep_on_failure,
               "leave the branch and pull request of a failed full-pr deployment")
      ->envname("SLIPWAY_KEEP_ON_FAILURE");
}

absl::StatusOr<GitStepOptions> ResolveGitFlags(const GitFlags& f) {
  GitStepOptions o = f.options;
  o.pull_request.checks_timeout = std::chrono::seconds(f.checks_timeout_s);
  o.pull_request.checks_poll =
      std::chrono::milliseconds(static_cast<int64_t>(f.checks_poll_s * 1000));
  // As with the git token, a file named explicitly wins over the environment.
  auto token = runtime::ReadToken("--forge-token-file (SLIPWAY_FORGE_TOKEN_FILE)",
                                  f.forge_token_file, "SLIPWAY_FORGE_TOKEN");
  if (!token.ok()) return token.status();
  o.pull_request.forge_token = std::move(*token);
  if (!f.body_template_file.empty()) {
    auto text = ReadSmallFile("--pr-body-template", f.body_template_file);
    if (!text.ok()) return text.status();
    o.pull_request.body_template = *text;
  }
  return o;
}

}  // namespace slipway::gitsvc
