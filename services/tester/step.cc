#include "services/tester/step.h"

#include <fmt/format.h>

#include "libs/core/status.h"
#include "libs/repo/repository.h"

namespace slipway::tester {

absl::StatusOr<v1::StepResult> TesterStep::Handle(const v1::StepCommand& command) {
  v1::RepositoryMap map;
  v1::ChangeSet change_set;
  if (auto st = runtime::LoadArtifact(artifacts_, command, "repository_map", map); !st.ok())
    return st;
  if (auto st = runtime::LoadArtifact(artifacts_, command, "change_set", change_set); !st.ok())
    return st;
  if (map.test_command().empty())
    return runtime::Failed("no test command: the mapper found no test system in this repository");
  auto repo = repo::OpenTarget(command.repository());
  if (!repo.ok()) return runtime::Failed(std::string(repo.status().message()));
  auto report = RunTests(*repo, command.base_commit(), change_set, map.test_command(), options_);
  if (!report.ok()) return report.status();
  auto digest = artifacts_.PutMessage(*report);
  if (!digest.ok()) return digest.status();

  std::string counts = fmt::format(
      "{} run, {} passed, {} failed, {} errors, {} skipped in {:.1f} s", report->total(),
      report->passed(), report->failed(), report->errors(), report->skipped(), report->seconds());
  v1::StepResult result;
  bool passed = !report->timed_out() && report->exit_code() == 0 && report->failed() == 0 &&
                report->errors() == 0 && report->total() > 0;
  if (passed) {
    result = runtime::Succeeded(counts);
  } else {
    std::string why = report->timed_out() ? "timed out" : "tests failed";
    if (report->total() == 0) why = "no tests ran";
    std::string names;
    for (const auto& f : report->failures()) {
      if (!names.empty()) names += ", ";
      names += f.classname().empty() ? f.name() : f.classname() + "::" + f.name();
    }
    result =
        runtime::Failed(fmt::format("{} ({}){}", why, counts, names.empty() ? "" : ": " + names));
    result.set_summary(counts);
  }
  // The deployment record shows the repository's own command; the stored report keeps the
  // command as run (with the tester's JUnit options).
  v1::TestReport summary = *report;
  summary.clear_output_tail();
  summary.set_command(map.test_command());
  *result.mutable_tests() = summary;
  (*result.mutable_artifacts())["test_report"] = *digest;
  return result;
}

}  // namespace slipway::tester
