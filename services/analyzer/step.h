// The analyzer's step handler: reads the RepositoryMap, builds (or finds, by tree hash) the
// symbol index, finds the integration points for the recommendation and stores the Analysis
// as an artifact ("analysis").
#pragma once

#include <string>

#include "libs/repo/repository.h"
#include "libs/repo/target.h"
#include "libs/runtime/step_worker.h"
#include "libs/store/artifact_store.h"
#include "slipway/v1/artifacts.pb.h"

namespace slipway::analyzer {

struct AnalyzerOptions {
  int symbol_workers = 2;       // ctags processes per index build
  std::string ctags = "ctags";  // program name or path
};

class AnalyzerStep final : public runtime::StepHandler {
 public:
  // `targets` must outlive the step.
  AnalyzerStep(store::ConnectionPool& pool, AnalyzerOptions options, const repo::Targets& targets)
      : artifacts_(pool), options_(std::move(options)), targets_(targets) {}
  absl::StatusOr<v1::StepResult> Handle(const v1::StepCommand& command) override;

 private:
  absl::StatusOr<v1::SymbolIndex> SymbolsFor(const v1::StepCommand& command,
                                             const v1::RepositoryMap& map,
                                             const repo::Repository& repo, bool& cached);

  store::ArtifactStore artifacts_;
  AnalyzerOptions options_;
  const repo::Targets& targets_;
};

}  // namespace slipway::analyzer
