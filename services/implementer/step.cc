#include "services/implementer/step.h"

#include <fmt/format.h>

#include "libs/changeset/change_set.h"
#include "libs/core/status.h"
#include "libs/repo/repository.h"
#include "services/implementer/code_provider.h"

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
  auto provider = ProviderFor(rec);
  if (!provider.ok()) return runtime::Failed(std::string(provider.status().message()));
  auto repo = repo::OpenTarget(command.repository());
  if (!repo.ok()) return runtime::Failed(std::string(repo.status().message()));
  ImplementRequest request{rec, map, analysis, *repo, command.base_commit()};
  auto change_set = (*provider)->Implement(request);
  if (!change_set.ok())
    return runtime::Failed(
        fmt::format("{} provider: {}", (*provider)->name(), change_set.status().message()),
        IsRetryable(change_set.status()));
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
  v1::StepResult result = runtime::Succeeded(fmt::format(
      "{} provider: {} files ({})", (*provider)->name(), change_set->files_size(), files));
  (*result.mutable_artifacts())["change_set"] = *digest;
  return result;
}

}  // namespace slipway::implementer
