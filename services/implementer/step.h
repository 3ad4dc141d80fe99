// The implementer's step handler: asks the recommendation's provider for a change set and
// stores it ("change_set") once every path in it is valid.
#pragma once

#include "libs/runtime/step_worker.h"
#include "libs/store/artifact_store.h"

namespace slipway::implementer {

class ImplementerStep final : public runtime::StepHandler {
 public:
  explicit ImplementerStep(store::ConnectionPool& pool) : artifacts_(pool) {}
  absl::StatusOr<v1::StepResult> Handle(const v1::StepCommand& command) override;

 private:
  store::ArtifactStore artifacts_;
};

}  // namespace slipway::implementer
