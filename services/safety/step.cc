#include "services/safety/step.h"

#include <fmt/format.h>

#include "libs/changeset/change_set.h"
#include "libs/core/status.h"
#include "libs/recommendation/recommendation.h"

namespace slipway::safety {

absl::StatusOr<v1::StepResult> SafetyStep::Handle(const v1::StepCommand& command) {
  switch (command.step()) {
    case v1::STEP_SAFETY_PRE:
      return Before(command);
    case v1::STEP_SAFETY_POST:
      return After(command);
    default:
      return runtime::Failed(
          fmt::format("safety does not handle step {}", v1::Step_Name(command.step())));
  }
}

absl::StatusOr<v1::StepResult> SafetyStep::Before(const v1::StepCommand& command) {
  v1::Recommendation rec;
  if (auto st = runtime::LoadArtifact(artifacts_, command, "recommendation", rec); !st.ok())
    return st;
  if (auto st = recommendation::Validate(rec); !st.ok())
    return runtime::Failed(std::string(st.message()));
  // No base commit yet: the target is fetched, so the deployment starts from its current state.
  auto repo = targets_.Open(command.repository(), command.base_commit());
  if (!repo.ok())
    return runtime::Failed(fmt::format("repository unreachable: {}", repo.status().message()),
                           IsRetryable(repo.status()));
  std::string base = rec.target().base_branch().empty() ? "HEAD" : rec.target().base_branch();
  auto commit = repo->ResolveCommit(base);
  if (!commit.ok())
    return runtime::Failed(fmt::format("target.base_branch: {}", commit.status().message()));
  auto breaker = breaker_.Check();
  if (!breaker.ok()) return breaker.status();
  if (!breaker->allowed) return runtime::Failed(breaker->reason);
  v1::StepResult result = runtime::Succeeded(fmt::format(
      "recommendation valid; base {} at {}; {}", base, commit->substr(0, 12), breaker->reason));
  result.set_base_commit(*commit);
  return result;
}

absl::StatusOr<v1::StepResult> SafetyStep::After(const v1::StepCommand& command) {
  v1::ChangeSet change_set;
  if (auto st = runtime::LoadArtifact(artifacts_, command, "change_set", change_set); !st.ok())
    return st;
  v1::SafetyVerdict verdict = ScanChangeSet(change_set, options_.scan);
  if (auto st = changeset::Validate(change_set); !st.ok()) {
    auto* f = verdict.add_findings();
    f->set_rule("invalid-path");
    f->set_detail(std::string(st.message()));
    verdict.set_passed(false);
  }
  auto digest = artifacts_.PutMessage(verdict);
  if (!digest.ok()) return digest.status();
  v1::StepResult result;
  if (verdict.passed()) {
    result = runtime::Succeeded(
        fmt::format("{} files scanned: no secrets, no unsafe paths", change_set.files_size()));
  } else {
    std::string list;
    for (const auto& f : verdict.findings()) {
      if (!list.empty()) list += "; ";
      list += f.line() ? fmt::format("{} in {}:{} ({})", f.rule(), f.file(), f.line(), f.detail())
                       : fmt::format("{} in {} ({})", f.rule(), f.file(), f.detail());
    }
    result = runtime::Failed(fmt::format("{} finding(s): {}", verdict.findings_size(), list));
  }
  *result.mutable_verdict() = verdict;
  (*result.mutable_artifacts())["safety_verdict"] = *digest;
  return result;
}

}  // namespace slipway::safety
