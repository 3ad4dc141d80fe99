#include "services/tester/step.h"

#include <fmt/format.h>

#include <algorithm>

#include "libs/changeset/change_set.h"
#include "libs/core/status.h"
#include "libs/repo/repository.h"

namespace slipway::tester {

std::string MapperTestCommand(const v1::RepositoryMap& map) {
  const std::string& test = map.test_command();
  for (const v1::BuildSystem& b : map.build_systems()) {
    if (b.test_command() != test || b.build_command().empty()) continue;
    // A fresh worktree has no build folder: ctest and meson test would find nothing to run.
    if (b.name() == "cmake" || b.name() == "meson")
      return fmt::format("{} && {}", b.build_command(), test);
  }
  return test;
}

absl::StatusOr<TestRunRequest> BuildRunRequest(const v1::RepositoryMap& map,
                                               const RepoConfig& config, const TestPolicy& policy) {
  TestRunRequest request;
  if (config.test_command) {
    request.command = *config.test_command;
    request.command_source = std::string(kSourceRepoConfig);
  } else if (!map.test_command().empty()) {
    request.command = MapperTestCommand(map);
    request.command_source = std::string(kSourceMapper);
  } else if (!policy.default_test_command.empty()) {
    request.command = policy.default_test_command;
    request.command_source = std::string(kSourceConfiguration);
  } else {
    return absl::FailedPreconditionError(fmt::format(
        "no test command: the mapper found no test system in this repository and it has no "
        "test.command in {}",
        kRepoConfigPath));
  }
  request.gates.set_require_all_pass(config.require_all_pass.value_or(policy.require_all_pass));
  request.gates.set_min_changed_coverage(
      config.min_changed_coverage.value_or(policy.min_changed_coverage));
  request.coverage = config.coverage.value_or(policy.coverage);
  request.go_module = map.go_module();
  request.env = config.env;
  if (config.test_timeout) request.timeout = *config.test_timeout;
  return request;
}

v1::StepResult StepResultFor(const v1::TestReport& report) {
  std::string counts = fmt::format(
      "{} run, {} passed, {} failed, {} errors, {} skipped in {:.1f} s", report.total(),
      report.passed(), report.failed(), report.errors(), report.skipped(), report.seconds());
  if (report.gates_passed()) {
    v1::StepResult result = runtime::Succeeded(fmt::format("{}; {}", counts, report.verdict()));
    return result;
  }
  const bool all_passed = !report.timed_out() && report.exit_code() == 0 && report.failed() == 0 &&
                          report.errors() == 0 && report.total() > 0;
  std::string why = "gates not met";
  if (!all_passed) why = report.timed_out() ? "timed out" : "tests failed";
  if (report.total() == 0) why = "no tests ran";
  std::string names;
  for (const auto& f : report.failures()) {
    if (!names.empty()) names += ", ";
    names += f.classname().empty() ? f.name() : f.classname() + "::" + f.name();
  }
  v1::StepResult result = runtime::Failed(fmt::format(
      "{} ({}){}; gates {}", why, counts, names.empty() ? "" : ": " + names, report.verdict()));
  result.set_summary(counts);
  return result;
}

absl::StatusOr<TesterStep::Generated> TesterStep::GenerateTests(const v1::StepCommand& command,
                                                                const repo::Repository& repo,
                                                                const v1::RepositoryMap& map,
                                                                v1::ChangeSet& change_set) {
  Generated out;
  const bool has_tests = std::any_of(change_set.files().begin(), change_set.files().end(),
                                     [](const v1::ChangedFile& f) { return f.is_test(); });
  if (has_tests || !providers_) return out;
  v1::Recommendation rec;  // in full: commands carry it without the proposed files' contents
  v1::Analysis analysis;
  if (auto st = runtime::LoadArtifact(artifacts_, command, "recommendation", rec); !st.ok())
    return st;
  if (auto st = runtime::LoadArtifact(artifacts_, command, "analysis", analysis); !st.ok())
    return st;
  auto provider = providers_->For(rec);
  if (!provider.ok()) {
    out.failure = std::string(provider.status().message());
    return out;
  }
  implementer::ImplementRequest request{rec, map, analysis, repo, command.base_commit()};
  auto tests = (*provider)->GenerateTests(request, change_set);
  if (!tests.ok()) {
    out.failure = fmt::format("{} provider could not write the tests: {}", (*provider)->name(),
                              tests.status().message());
    out.retryable = IsRetryable(tests.status());
    return out;
  }
  out.usage = tests->usage();
  for (const v1::ChangedFile& f : tests->files()) {
    auto same = std::find_if(change_set.mutable_files()->begin(), change_set.mutable_files()->end(),
                             [&](const v1::ChangedFile& c) { return c.path() == f.path(); });
    if (same != change_set.mutable_files()->end()) {
      *same = f;  // a build file the tests must modify after the change did
    } else {
      *change_set.add_files() = f;
    }
    if (f.is_test()) out.paths.push_back(f.path());
  }
  if (absl::Status st = changeset::Validate(change_set); !st.ok()) {
    out.failure =
        fmt::format("{} provider wrote invalid tests: {}", (*provider)->name(), st.message());
    return out;
  }
  // The change set's usage is the deployment's so far: the llm provider's budget reads it.
  runtime::AddUsage(*change_set.mutable_usage(), out.usage);
  return out;
}

absl::StatusOr<v1::StepResult> TesterStep::Handle(const v1::StepCommand& command) {
  // 1. Inputs: the mapper's findings and the change set.
  v1::RepositoryMap map;
  v1::ChangeSet change_set;
  if (auto st = runtime::LoadArtifact(artifacts_, command, "repository_map", map); !st.ok())
    return st;
  if (auto st = runtime::LoadArtifact(artifacts_, command, "change_set", change_set); !st.ok())
    return st;
  auto repo = targets_.Open(command.repository(), command.base_commit());
  if (!repo.ok())
    return runtime::Failed(std::string(repo.status().message()), IsRetryable(repo.status()));

  // 2. What to run: the repository's .slipway.yaml (from the base commit) over the mapper's
  // command over this service's policy.
  auto config = LoadRepoConfig(*repo, command.base_commit());
  if (!config.ok()) {
    if (config.status().code() == absl::StatusCode::kInvalidArgument)
      return runtime::Failed(std::string(config.status().message()));
    return config.status();
  }
  auto request = BuildRunRequest(map, *config, policy_);
  if (!request.ok()) return runtime::Failed(std::string(request.status().message()));

  // 3. Tests of the change, when it carries none, from the deployment's provider.
  auto generated = GenerateTests(command, *repo, map, change_set);
  if (!generated.ok()) return generated.status();
  if (!generated->failure.empty()) {
    v1::StepResult failed = runtime::Failed(generated->failure, generated->retryable);
    if (generated->usage.calls() > 0) *failed.mutable_usage() = generated->usage;
    return failed;
  }
  std::string change_digest;
  if (!generated->paths.empty() || generated->usage.calls() > 0) {
    auto stored = artifacts_.PutMessage(change_set);
    if (!stored.ok()) return stored.status();
    change_digest = *stored;
  }

  // 4. Run and judge.
  auto report = RunTests(*repo, command.base_commit(), change_set, *request, options_);
  if (!report.ok()) return report.status();
  for (const std::string& p : generated->paths) report->add_generated_tests(p);
  if (generated->usage.calls() > 0) *report->mutable_usage() = generated->usage;
  auto digest = artifacts_.PutMessage(*report);
  if (!digest.ok()) return digest.status();

  // 5. Record: the deployment shows the repository's own command; the stored report keeps the
  // command as run (with the tester's result and coverage options).
  v1::StepResult result = StepResultFor(*report);
  v1::TestReport summary = *report;
  summary.clear_output_tail();
  summary.set_command(request->command);
  *result.mutable_tests() = summary;
  (*result.mutable_artifacts())["test_report"] = *digest;
  if (!change_digest.empty()) (*result.mutable_artifacts())["change_set"] = change_digest;
  if (generated->usage.calls() > 0) *result.mutable_usage() = generated->usage;
  if (!generated->paths.empty())
    result.set_summary(fmt::format("{}; tests written by the provider: {}", result.summary(),
                                   fmt::join(generated->paths, ", ")));
  return result;
}

}  // namespace slipway::tester
