#include "services/analyzer/step.h"

#include <fmt/format.h>

#include "libs/core/status.h"
#include "libs/repo/repository.h"
#include "services/analyzer/analyzer.h"

namespace slipway::analyzer {

absl::StatusOr<v1::StepResult> AnalyzerStep::Handle(const v1::StepCommand& command) {
  v1::RepositoryMap map;
  if (auto st = runtime::LoadArtifact(artifacts_, command, "repository_map", map); !st.ok())
    return st;
  auto repo = repo::OpenTarget(command.repository());
  if (!repo.ok()) return runtime::Failed(std::string(repo.status().message()));
  auto analysis = Analyze(command.recommendation(), map, *repo, command.base_commit());
  if (!analysis.ok()) return runtime::Failed(std::string(analysis.status().message()));
  auto digest = artifacts_.PutMessage(*analysis);
  if (!digest.ok()) return digest.status();
  std::string top = "none";
  if (analysis->integration_points_size() > 0) {
    const auto& p = analysis->integration_points(0);
    top = p.symbol().empty() ? p.file() : fmt::format("{} ({})", p.file(), p.symbol());
  }
  v1::StepResult result = runtime::Succeeded(
      fmt::format("{} integration points, best {}; new code at {}",
                  analysis->integration_points_size(), top, analysis->suggested_path()));
  (*result.mutable_artifacts())["analysis"] = *digest;
  return result;
}

}  // namespace slipway::analyzer
