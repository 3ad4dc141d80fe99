#include "services/git/step.h"

#include <fmt/format.h>

#include "libs/core/status.h"
#include "libs/repo/repository.h"
#include "services/git/commit.h"

namespace slipway::gitsvc {

absl::StatusOr<v1::StepResult> GitStep::Handle(const v1::StepCommand& command) {
  CommitRequest req;
  if (auto st = runtime::LoadArtifact(artifacts_, command, "change_set", req.change_set); !st.ok())
    return st;
  if (auto st = runtime::LoadArtifact(artifacts_, command, "test_report", req.tests); !st.ok())
    return st;
  v1::RepositoryMap map;
  v1::Analysis analysis;
  if (auto st = runtime::LoadArtifact(artifacts_, command, "repository_map", map); !st.ok())
    return st;
  if (auto st = runtime::LoadArtifact(artifacts_, command, "analysis", analysis); !st.ok())
    return st;
  auto repo = repo::OpenTarget(command.repository());
  if (!repo.ok()) return runtime::Failed(std::string(repo.status().message()));
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
  v1::StepResult result = runtime::Succeeded(
      fmt::format("{} {} on {}", outcome->created() ? "committed" : "found existing commit",
                  outcome->commit().substr(0, 12), outcome->branch()));
  *result.mutable_git() = *outcome;
  return result;
}

}  // namespace slipway::gitsvc
