// The "command" adapter: the user's own commands move the traffic, one optional hook per
// action, for targets Slipway has no built-in adapter for.
//
//   {"kind": "command",
//    "hooks": {"prepare": [argv...], "weight": [...], "promote": [...], "rollback": [...],
//              "status": [...]},
//    "timeout": "120s",
//    "state_file": "/var/lib/slipway/app-production.json"}
//
// The slots are always "stable" and "canary"; what they are is the hooks' business. Every hook
// gets the action's environment (adapter.h: SLIPWAY_ACTION, SLIPWAY_WEIGHT, ...) with
// SLIPWAY_SLOT set to "canary". A `status` hook prints the canary's current share (a number
// from 0 to 100) on stdout.
//
// Idempotency comes from `state_file`, a small JSON record of the last action applied
// successfully (release id, action, weight, version), replaced atomically after each hook
// succeeds. An action the record shows as done for the same release runs nothing:
//  * Prepare: the release was prepared (or weighted) and its canary's weight is 0;
//  * SetWeight(w): the release was prepared or weighted, at weight w;
//  * Promote / Rollback: the release was promoted / rolled back.
// A release that was promoted or rolled back accepts no other action (FAILED_PRECONDITION),
// and SetWeight and Promote need the release to be prepared first. Rollback always runs
// otherwise: it is the compensation for a Prepare that failed half-way. A hook that succeeded
// just before the service was killed runs again on the replay: hooks must tolerate that.
//
// Threading and errors as in adapter.h; the state file's errors name the file.
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "services/rollout/adapter.h"

namespace slipway::rollout {

class CommandAdapter final : public Adapter {
 public:
  struct Config {
    // Empty: the action has no hook (it is recorded all the same).
    std::vector<std::string> prepare;
    std::vector<std::string> weight;
    std::vector<std::string> promote;
    std::vector<std::string> rollback;
    std::vector<std::string> status;
    std::chrono::milliseconds timeout = kDefaultHookTimeout;  // per hook
    std::filesystem::path state_file;                         // required
  };

  // The last action applied successfully, as `state_file` records it.
  struct AppliedState {
    std::string release_id;
    std::string action;  // "prepare", "weight", "promote", "rollback"
    int weight = 0;
    std::string version;
  };

  // INVALID_ARGUMENT naming the field ("command.hooks.weight: ...").
  static absl::StatusOr<Config> Parse(const nlohmann::json& config);

  explicit CommandAdapter(Config config) : config_(std::move(config)) {}

  std::string Kind() const override { return "command"; }
  absl::StatusOr<Slots> Plan(const ReleaseTarget& t) override;
  absl::StatusOr<ActionRecord> Prepare(const ReleaseTarget& t, const Slots& s) override;
  absl::StatusOr<ActionRecord> SetWeight(const ReleaseTarget& t, const Slots& s,
                                         int weight) override;
  absl::StatusOr<ActionRecord> Promote(const ReleaseTarget& t, const Slots& s) override;
  absl::StatusOr<ActionRecord> Rollback(const ReleaseTarget& t, const Slots& s) override;
  // The status hook's answer when there is one, else the recorded weight for this release (0
  // when the record is another release's).
  absl::StatusOr<int> CurrentWeight(const ReleaseTarget& t, const Slots& s) override;

  // The record in `state_file`; nullopt when there is none yet. FAILED_PRECONDITION naming
  // the file when it cannot be read or is not a record.
  absl::StatusOr<std::optional<AppliedState>> ReadState() const;

 private:
  absl::StatusOr<ActionRecord> Apply(const ReleaseTarget& t, const Slots& s,
                                     const std::string& action, int weight,
                                     const std::vector<std::string>& hook);

  Config config_;
};

}  // namespace slipway::rollout
