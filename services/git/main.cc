// slipway-git: branches and commits change sets in target repositories; in full-pr mode pushes
// them, opens their pull requests, follows their checks and undoes them on failure.
#include <CLI/CLI.hpp>

#include "libs/runtime/step_host.h"
#include "services/git/flags.h"
#include "services/git/step.h"

int main(int argc, char** argv) {
  using namespace slipway;
  gitsvc::GitFlags flags;
  return runtime::StepServiceMain(
      argc, argv, "git", [&](CLI::App& app) { gitsvc::AddGitFlags(app, flags); },
      [&](store::ConnectionPool& pool,
          const repo::Targets& targets) -> absl::StatusOr<std::unique_ptr<runtime::StepHandler>> {
        auto options = gitsvc::ResolveGitFlags(flags);
        if (!options.ok()) return options.status();
        auto step = gitsvc::GitStep::Create(pool, *options, targets);
        if (!step.ok()) return step.status();
        return std::unique_ptr<runtime::StepHandler>(std::move(*step));
      });
}
