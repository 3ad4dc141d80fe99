// The git service's step handler: one commit of the change set on the deployment's branch
// (`<prefix>/<slug>-<short id>`), with a structured message summarising every step. A replayed
// command finds the branch it made and reports it instead of committing again.
#pragma once

#include "libs/runtime/step_worker.h"
#include "libs/store/artifact_store.h"

namespace slipway::gitsvc {

struct GitStepOptions {
  std::string branch_prefix = "slipway";
  std::string author_name = "Slipway";
  std::string author_email = "slipway@localhost";
};

class GitStep final : public runtime::StepHandler {
 public:
  GitStep(store::ConnectionPool& pool, GitStepOptions options)
      : artifacts_(pool), options_(std::move(options)) {}
  absl::StatusOr<v1::StepResult> Handle(const v1::StepCommand& command) override;

 private:
  store::ArtifactStore artifacts_;
  GitStepOptions options_;
};

}  // namespace slipway::gitsvc
