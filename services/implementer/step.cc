#include "services/implementer/step.h"

#include <fmt/format.h>

#include "libs/changeset/change_set.h"
#include "libs/core/status.h"
#include "libs/repo/repository.h"
#include "services/implementer/providers.h"

namespace slipway::implementer {

absl::StatusOr<v1::StepResult> ImplementerStep::Handle(const v1::StepCommand& command) {
  v1::Recommendation rec;  // with the proposed files' contents, which commands do not carry
  v1::RepositoryMap map;
  v1::Analysis analysis;
  if (auto st = runtime::LoadArtifact(artifacts_, command, "recommendation", rec); !st.ok())
    return st;
  if (auto st = runtime::LoadArtifact(artifacts_, command, "repository_map", map); !st.ok())
    return st;
  if (auto st = runtime::LoadArtifact(artifacts_, command, "analysis", analysis); !st.ok())
    return st;
  auto provider = providers_->For(rec);
  if (!provider.ok()) return runtime::Failed(std::string(provider.status().message()));
  auto repo = targets_.Open(command.repository(), command.base_commit());
  if (!repo.ok())
    return runtime::Failed(std::string(repo.status().message()), IsRetryable(repo.status()));
  ImplementRequest request{rec, map, analysis, *repo, command.base_commit()};
  auto change_set = (*provider)->Implement(request);
  if (!change_set.ok()) {
    v1::StepResult failed = runtime::Failed(
        fmt::format("{} provider: {}", (*provider)->name(), change_set.status().message()),
        IsRetryable(change_set.status()));
    return failed;
  }
  if (auto st = changeset::Validate(*change_set); !st.ok())
    return runtime::Failed(fmt::format("{} provider produced an invalid change set: {}",
                                       (*provider)->name(), st.message()));
  auto digest = artifacts_.PutMessage(*change_set);
  if (!digest.ok()) return digest.status();
  std::string files;
  for (const auto& f : change_set->files()) {
    if (!files.empty()) files += ", ";
    files += f.path();
  }
  std::string usage;
  if (change_set->usage().calls() > 0)
    usage = fmt::format("; {} calls to {}, {} + {} tokens, ${:.4f}", change_set->usage().calls(),
                        change_set->usage().model(), change_set->usage().prompt_tokens(),
                        change_set->usage().completion_tokens(), change_set->usage().cost_usd());
  v1::StepResult result = runtime::Succeeded(fmt::format(
      "{} provider: {} files ({}){}", (*provider)->name(), change_set->files_size(), files, usage));
  if (change_set->has_usage()) *result.mutable_usage() = change_set->usage();
  (*result.mutable_artifacts())["change_set"] = *digest;
  return result;
}

}  // namespace slipway::implementer
