// The "nginx" adapter: two slots (e.g. blue and green), each an address nginx proxies to, and
// one upstream block whose server weights split the traffic between them.
//
//   {"kind": "nginx", "upstream": "app", "file": "/etc/nginx/conf.d/app-upstream.conf",
//    "slots": {"blue": "127.0.0.1:8081", "green": "127.0.0.1:8082"},
//    "reload": ["nginx", "-s", "reload"],                 (the default)
//    "test": ["nginx", "-t"],                             (optional)
//    "hooks": {"prepare": [...], "retire": [...]},        (optional)
//    "timeout": "120s"}                                   (per hook, reload and test)
//
// `slots` may also be an array, [{"name": "blue", "address": "127.0.0.1:8081"}, ...]. The first
// slot is live while `file` does not exist yet. nlohmann::json keeps an object's keys sorted,
// so with the object form that is the alphabetically first name; the array form keeps the
// order as written.
//
// The adapter owns `file`: one upstream block after a first line recording the state, e.g.
//
//   # slipway: live=blue canary=green weight=25 release=r-17 phase=canary applied=yes
//   upstream app {
//       server 127.0.0.1:8081 weight=75;
//       server 127.0.0.1:8082 weight=25;
//   }
//
// Canary weight w gives the live slot weight 100-w and the other w; a slot with weight 0 is
// marked `down` (nginx has no weight 0). nginx's weighted round robin (with one worker) then
// sends exactly w of every 100 requests to the canary. A file without that first line is not
// Slipway's, and is never overwritten (FAILED_PRECONDITION).
//
// An action writes the file with applied=no (atomically: temporary file and rename), runs
// `test` and `reload` unless nginx already serves the same upstream block, runs its hook, and
// finally rewrites the line with applied=yes. When the file already reads as the action would
// leave it, with applied=yes, nothing runs (changed=false). A service killed in between leaves
// applied=no behind, so the replay reloads and runs the hook again. When `test` or `reload`
// fails the previous file is put back and nothing else runs.
//
//  * Plan(): live = the recorded live slot (the first slot without a file); canary = the other.
//  * Prepare: canary weight 0 (the slot receives nothing before anything is deployed into it),
//    then the `prepare` hook for the canary slot (SLIPWAY_SLOT, SLIPWAY_ADDRESS).
//  * SetWeight(w): canary weight w.
//  * Promote: all traffic on the canary slot, which is recorded as live; then the `retire`
//    hook for the old live slot.
//  * Rollback: all traffic on the stable slot; then the `retire` hook for the canary slot.
// A promoted or rolled-back release accepts only the same action again; SetWeight and Promote
// need the release to be prepared; and when the file records another release, slots whose
// canary is the live slot are stale (FAILED_PRECONDITION: Plan() again).
#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "services/rollout/adapter.h"

namespace slipway::rollout {

class NginxAdapter final : public Adapter {
 public:
  struct Slot {
    std::string name;     // letters, digits, '-' and '_'
    std::string address;  // as nginx's `server` takes it: "127.0.0.1:8081", "unix:/run/a.sock"
  };

  struct Config {
    std::string upstream;
    std::filesystem::path file;
    std::vector<Slot> slots;  // two, in the configuration's order
    std::vector<std::string> reload = {"nginx", "-s", "reload"};
    std::vector<std::string> test;  // empty: no configuration test
    std::vector<std::string> prepare_hook;
    std::vector<std::string> retire_hook;
    std::chrono::milliseconds timeout = kDefaultHookTimeout;
  };

  // What the first line of `file` records.
  struct FileState {
    std::string live;    // the slot holding the stable version
    std::string canary;  // the other slot
    int weight = 0;      // the canary's share
    std::string release;
    std::string phase;  // kPhaseCanary, kPhasePromoted or kPhaseRolledBack
    bool applied = true;
  };
  static constexpr std::string_view kPhaseCanary = "canary";
  static constexpr std::string_view kPhasePromoted = "promoted";
  static constexpr std::string_view kPhaseRolledBack = "rolled-back";

  // INVALID_ARGUMENT naming the field ("nginx.slots: two slots are needed, got 3").
  static absl::StatusOr<Config> Parse(const nlohmann::json& config);

  // The whole file for `state`: the state line, then the upstream block.
  static std::string Render(const Config& config, const FileState& state);
  // The state line of `content` (the file's first line). FAILED_PRECONDITION when there is none
  // or it cannot be read.
  static absl::StatusOr<FileState> ReadStateLine(std::string_view content);

  explicit NginxAdapter(Config config) : config_(std::move(config)) {}

  std::string Kind() const override { return "nginx"; }
  absl::StatusOr<Slots> Plan(const ReleaseTarget& t) override;
  absl::StatusOr<ActionRecord> Prepare(const ReleaseTarget& t, const Slots& s) override;
  absl::StatusOr<ActionRecord> SetWeight(const ReleaseTarget& t, const Slots& s,
                                         int weight) override;
  absl::StatusOr<ActionRecord> Promote(const ReleaseTarget& t, const Slots& s) override;
  absl::StatusOr<ActionRecord> Rollback(const ReleaseTarget& t, const Slots& s) override;
  // The share `file` gives slots.canary (0 without a file).
  absl::StatusOr<int> CurrentWeight(const ReleaseTarget& t, const Slots& s) override;

 private:
  struct Current;
  struct Change;

  absl::StatusOr<Current> ReadCurrent() const;
  absl::Status CheckSlots(const Slots& s) const;
  absl::Status CheckAllowed(const Current& current, const ReleaseTarget& t, const Slots& s,
                            std::string_view action) const;
  const Slot& SlotNamed(std::string_view name) const;
  // The prepare hook (for action "prepare") or the retire hook, acting on `slot`.
  HookCall SlotHook(const ReleaseTarget& t, const Slots& s, std::string_view action, int weight,
                    const std::string& slot) const;
  absl::StatusOr<ActionRecord> Apply(const ReleaseTarget& t, const Slots& s, const Change& change);
  std::string Describe(const FileState& state) const;

  Config config_;
};

}  // namespace slipway::rollout
