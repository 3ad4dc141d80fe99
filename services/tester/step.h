// The tester's step handler: reads the repository's .slipway.yaml at the base commit; when the
// change set carries no tests, asks the deployment's provider (the implementer's, by the same
// choice) to write them and stores the change set with them ("change_set", for the steps after
// this one); runs the test command over base commit + change set in a sandbox, and stores the
// TestReport ("test_report"). The step succeeds only when the gates pass; the report (and the
// failing tests' names and the gates' verdict) is kept either way.
//
// Handle runs on the step worker's thread, one command at a time. A .slipway.yaml that does
// not parse, or no test command at all, fails the step (not retryable); infrastructure errors
// are returned as Status for the worker to retry when they are retryable.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "libs/repo/target.h"
#include "libs/runtime/step_worker.h"
#include "libs/store/artifact_store.h"
#include "services/implementer/providers.h"
#include "services/tester/repo_config.h"
#include "services/tester/tester.h"
#include "slipway/v1/artifacts.pb.h"
#include "slipway/v1/steps.pb.h"

namespace slipway::tester {

// The service's configuration of how repositories are tested; a repository's .slipway.yaml
// overrides it key by key.
struct TestPolicy {
  bool require_all_pass = true;
  double min_changed_coverage = 0.8;  // 0..1; 0 turns the coverage gate off
  bool coverage = true;
  // Run when neither the mapper nor .slipway.yaml names a test command (source
  // "configuration"); empty: such a repository fails the step.
  std::string default_test_command;
};

// The mapper's test command as the tester runs it: for build systems whose tests need a build
// first (cmake, meson), the build command and then the test command.
std::string MapperTestCommand(const v1::RepositoryMap& map);

// What to run, from .slipway.yaml over the mapper's findings over the policy. FAILED_PRECONDITION
// (message for a person) when there is no test command from any source.
absl::StatusOr<TestRunRequest> BuildRunRequest(const v1::RepositoryMap& map,
                                               const RepoConfig& config, const TestPolicy& policy);

// The step's outcome for a report: succeeded when the gates passed, failed otherwise with an
// error naming why, the counts, the failing tests and the gates' verdict.
v1::StepResult StepResultFor(const v1::TestReport& report);

class TesterStep final : public runtime::StepHandler {
 public:
  // `providers` write the tests of changes that carry none; null: tests are never generated.
  // `targets` must outlive the step.
  TesterStep(store::ConnectionPool& pool, TesterOptions options, const repo::Targets& targets,
             TestPolicy policy = {},
             std::shared_ptr<const implementer::Providers> providers = nullptr)
      : artifacts_(pool),
        options_(std::move(options)),
        targets_(targets),
        policy_(std::move(policy)),
        providers_(std::move(providers)) {}
  absl::StatusOr<v1::StepResult> Handle(const v1::StepCommand& command) override;

 private:
  // Adds the provider's tests to `change_set` when it has none. Returns the test files added
  // (empty when none were needed or the provider wrote none) and their model usage; a
  // provider failure is a step failure.
  struct Generated {
    std::vector<std::string> paths;
    v1::ModelUsage usage;
    std::string failure;  // non-empty: fail the step with this
    bool retryable = false;
  };
  absl::StatusOr<Generated> GenerateTests(const v1::StepCommand& command,
                                          const repo::Repository& repo,
                                          const v1::RepositoryMap& map, v1::ChangeSet& change_set);

  store::ArtifactStore artifacts_;
  TesterOptions options_;
  const repo::Targets& targets_;
  TestPolicy policy_;
  std::shared_ptr<const implementer::Providers> providers_;
};

}  // namespace slipway::tester
