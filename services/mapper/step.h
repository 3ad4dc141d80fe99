// The mapper's step handler: maps the repository at the deployment's base commit and stores
// the RepositoryMap as an artifact ("repository_map").
#pragma once

#include "libs/repo/target.h"
#include "libs/runtime/step_worker.h"
#include "libs/store/artifact_store.h"

namespace slipway::mapper {

class MapperStep final : public runtime::StepHandler {
 public:
  // `targets` must outlive the step.
  MapperStep(store::ConnectionPool& pool, const repo::Targets& targets)
      : artifacts_(pool), targets_(targets) {}
  absl::StatusOr<v1::StepResult> Handle(const v1::StepCommand& command) override;

 private:
  store::ArtifactStore artifacts_;
  const repo::Targets& targets_;
};

}  // namespace slipway::mapper
