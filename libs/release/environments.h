// Where a deployment's commit is released: the environments, in order (by default staging,
// then production), each with its target adapter, its strategy (canary steps or blue-green),
// its metric analysis and its approval gate.
//
// Read from YAML by the orchestrator (LoadEnvironments); each environment travels to the rollout
// service as JSON in its commands (Environment::source) and is read back there with
// EnvironmentFromJson, so both sides always use the same text. Every error is
// INVALID_ARGUMENT naming the environment and the key ("environments[1] (production):
// approval.required: ...").
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "libs/analysis/analysis.h"

namespace slipway::release {

// "500ms", "30s", "5m", "2h", "1h30m"; a bare number is seconds. INVALID_ARGUMENT otherwise.
absl::StatusOr<std::chrono::milliseconds> ParseDuration(std::string_view text);
// 2h, 30s, 1.5s, 250ms: the shortest of those forms.
std::string FormatDuration(std::chrono::milliseconds d);

struct Approval {
  // Distinct approvers needed; 0: the environment starts on its own.
  uint32_t required = 0;
  std::vector<std::string> approvers;  // who may approve; empty: anyone who gives a name
  std::chrono::milliseconds timeout = std::chrono::hours(2);  // then the deployment EXPIRES
  // The merge of the deployment's pull request (reported by the forge's webhook) counts as
  // the approval of the one who merged it.
  bool on_merge = false;
};

struct Step {
  enum class Kind { kWeight, kPause, kAnalysis };
  Kind kind = Kind::kWeight;
  uint32_t weight = 0;                 // kWeight: percent to the new version
  std::chrono::milliseconds pause{0};  // kPause: for this long ...
  bool until_approved = false;         // ... or until `slipway approve` (gate step-<n>)
  uint32_t count = 0;                  // kAnalysis: measurements (0: the analysis's)
};

struct Strategy {
  std::string kind = "canary";  // or "blue-green"
  // canary: the steps in order; the default is 5% → 25% → 50% → 100% with an analysis after
  // each of the first three. blue-green: derived (analysis on the new version, switch,
  // analysis, keep the old version for keep_old, retire it).
  std::vector<Step> steps;
  std::chrono::milliseconds keep_old{0};  // blue-green: how long the old version stays up
};

struct Analysis {
  std::string prometheus;  // base URL; empty: no analysis (weights and pauses only)
  std::chrono::milliseconds interval{30'000};
  uint32_t count = 3;  // measurements an analysis step needs
  // Every metric is measured every `interval` while the new version takes traffic; queries
  // may say {{canary}} and {{stable}}, replaced by the slots' names.
  std::vector<analysis::MetricSpec> metrics;
  // What an inconclusive analysis does: "rollback" (default) or "pause" (wait for approval
  // to go on; `slipway rollback` aborts).
  std::string on_inconclusive = "rollback";
};

struct Environment {
  std::string name;
  std::string target;       // what it releases to (rollbacks and DORA metrics are per target)
  bool auto_deploy = true;  // starts when the previous environment succeeded (else approval)
  Approval approval;
  nlohmann::json adapter;  // {"kind": "command" | "nginx" | "kubernetes", ...}
  Strategy strategy;
  Analysis analysis;
  nlohmann::json source;  // this environment as configured, for the rollout service
};

// `environments:` list from YAML text; no file or an empty list means no releases.
absl::StatusOr<std::vector<Environment>> ParseEnvironments(std::string_view yaml);
absl::StatusOr<std::vector<Environment>> LoadEnvironments(const std::filesystem::path& file);
// One environment from its `source` (the JSON form of its YAML).
absl::StatusOr<Environment> EnvironmentFromJson(const nlohmann::json& source);

// The gate names: "" opens the environment, "step-<n>" a pause until approval at step n.
std::string GateName(size_t step_index);

}  // namespace slipway::release
