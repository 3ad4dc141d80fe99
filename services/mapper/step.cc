#include "services/mapper/step.h"

#include <fmt/format.h>

#include "libs/core/status.h"
#include "libs/repo/repository.h"
#include "services/mapper/mapper.h"

namespace slipway::mapper {

absl::StatusOr<v1::StepResult> MapperStep::Handle(const v1::StepCommand& command) {
  auto repo = repo::OpenTarget(command.repository());
  if (!repo.ok()) return runtime::Failed(std::string(repo.status().message()));
  auto map = MapRepository(*repo, command.base_commit());
  if (!map.ok()) return runtime::Failed(std::string(map.status().message()));
  auto digest = artifacts_.PutMessage(*map);
  if (!digest.ok()) return digest.status();
  v1::StepResult result = runtime::Succeeded(fmt::format(
      "{} files, primary language {}, {} modules, tests: {}", map->files_size(),
      map->primary_language().empty() ? "unknown" : map->primary_language(), map->modules_size(),
      map->test_command().empty() ? "none found" : map->test_command()));
  (*result.mutable_artifacts())["repository_map"] = *digest;
  return result;
}

}  // namespace slipway::mapper
