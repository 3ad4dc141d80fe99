// The implementer's step handler: asks the recommendation's provider for a change set and
// stores it ("change_set") once every path in it is valid. The model usage of the provider
// (llm) is reported on the step result and kept on the change set.
#pragma once

#include <memory>

#include "libs/repo/target.h"
#include "libs/runtime/step_worker.h"
#include "libs/store/artifact_store.h"
#include "services/implementer/providers.h"

namespace slipway::implementer {

class ImplementerStep final : public runtime::StepHandler {
 public:
  // `targets` must outlive the step.
  ImplementerStep(store::ConnectionPool& pool, std::shared_ptr<const Providers> providers,
                  const repo::Targets& targets)
      : artifacts_(pool), providers_(std::move(providers)), targets_(targets) {}
  absl::StatusOr<v1::StepResult> Handle(const v1::StepCommand& command) override;

 private:
  store::ArtifactStore artifacts_;
  std::shared_ptr<const Providers> providers_;
  const repo::Targets& targets_;
};

}  // namespace slipway::implementer
