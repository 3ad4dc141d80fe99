// The analyzer's step handler: reads the RepositoryMap, finds the integration points for the
// recommendation and stores the Analysis as an artifact ("analysis").
#pragma once

#include "libs/runtime/step_worker.h"
#include "libs/store/artifact_store.h"

namespace slipway::analyzer {

class AnalyzerStep final : public runtime::StepHandler {
 public:
  explicit AnalyzerStep(store::ConnectionPool& pool) : artifacts_(pool) {}
  absl::StatusOr<v1::StepResult> Handle(const v1::StepCommand& command) override;

 private:
  store::ArtifactStore artifacts_;
};

}  // namespace slipway::analyzer
