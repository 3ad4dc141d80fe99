// The tester's step handler: runs the repository's test command over base commit + change set
// in a sandbox and stores the TestReport ("test_report"). The step succeeds only when tests
// ran and none failed; the report (and the failing tests' names) is kept either way.
#pragma once

#include "libs/runtime/step_worker.h"
#include "libs/store/artifact_store.h"
#include "services/tester/tester.h"

namespace slipway::tester {

class TesterStep final : public runtime::StepHandler {
 public:
  TesterStep(store::ConnectionPool& pool, TesterOptions options)
      : artifacts_(pool), options_(std::move(options)) {}
  absl::StatusOr<v1::StepResult> Handle(const v1::StepCommand& command) override;

 private:
  store::ArtifactStore artifacts_;
  TesterOptions options_;
};

}  // namespace slipway::tester
