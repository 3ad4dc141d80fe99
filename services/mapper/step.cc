#include "services/mapper/step.h"

#include <fmt/format.h>

#include "libs/core/status.h"
#include "services/mapper/mapper.h"

namespace slipway::mapper {
namespace {
constexpr char kCacheKind[] = "repository_map/v2";  // by tree; bumped with the map's content
constexpr char kCommitKind[] = "repository_map_commit/v2";  // by commit: the map as stored
}  // namespace

absl::StatusOr<v1::StepResult> MapperStep::Handle(const v1::StepCommand& command) {
  // A commit mapped before costs one lookup: its map is already stored under its digest.
  if (!command.base_commit().empty()) {
    if (auto hit = artifacts_.Lookup(kCommitKind, command.base_commit()); hit.ok()) {
      v1::StepResult result = runtime::Succeeded(
          fmt::format("the map of {} (cached by commit)", command.base_commit().substr(0, 12)));
      (*result.mutable_artifacts())["repository_map"] = *hit;
      return result;
    }
  }
  auto repo = targets_.Open(command.repository(), command.base_commit());
  if (!repo.ok())
    return runtime::Failed(std::string(repo.status().message()), IsRetryable(repo.status()));
  // The map depends only on the tree: another commit of the same tree costs a lookup and a copy.
  auto tree = repo->TreeId(command.base_commit());
  if (!tree.ok()) return runtime::Failed(std::string(tree.status().message()));
  v1::RepositoryMap map;
  bool cached = false;
  if (auto hit = artifacts_.Lookup(kCacheKind, *tree); hit.ok()) {
    cached = artifacts_.GetMessage(*hit, map).ok();
  }
  if (!cached) {
    auto mapped = MapRepository(*repo, command.base_commit());
    if (!mapped.ok()) return runtime::Failed(std::string(mapped.status().message()));
    map = std::move(*mapped);
  }
  map.set_commit(command.base_commit());  // the same tree may sit under several commits
  auto digest = artifacts_.PutMessage(map);
  if (!digest.ok()) return digest.status();
  if (!cached)
    if (auto st = artifacts_.Remember(kCacheKind, *tree, *digest); !st.ok()) return st;
  if (auto st = artifacts_.Remember(kCommitKind, command.base_commit(), *digest); !st.ok())
    return st;
  v1::StepResult result = runtime::Succeeded(fmt::format(
      "{} files, primary language {}, {} modules, tests: {}{}", map.files_size(),
      map.primary_language().empty() ? "unknown" : map.primary_language(), map.modules_size(),
      map.test_command().empty() ? "none found" : map.test_command(),
      cached ? " (cached by tree)" : ""));
  (*result.mutable_artifacts())["repository_map"] = *digest;
  return result;
}

}  // namespace slipway::mapper
