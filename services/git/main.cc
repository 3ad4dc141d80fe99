// slipway-git: branches and commits change sets in target repositories.
#include <CLI/CLI.hpp>

#include "libs/runtime/step_host.h"
#include "services/git/step.h"

int main(int argc, char** argv) {
  using namespace slipway;
  gitsvc::GitStepOptions o;
  auto options = [&](CLI::App& app) {
    app.add_option("--branch-prefix", o.branch_prefix, "branch name prefix (slipway)")
        ->envname("SLIPWAY_BRANCH_PREFIX");
    app.add_option("--author-name", o.author_name, "commit author name")
        ->envname("SLIPWAY_AUTHOR_NAME");
    app.add_option("--author-email", o.author_email, "commit author email")
        ->envname("SLIPWAY_AUTHOR_EMAIL");
  };
  return runtime::StepServiceMain(
      argc, argv, "git", options,
      [&](store::ConnectionPool& pool) -> absl::StatusOr<std::unique_ptr<runtime::StepHandler>> {
        return std::make_unique<gitsvc::GitStep>(pool, o);
      });
}
