// Adapters move a service's traffic between two slots, one running the stable version and one
// the new version, on one kind of target: the user's own commands ("command"), an nginx
// upstream ("nginx") or a pair of Kubernetes Deployments ("kubernetes"). The rollout service
// calls Plan() once per release and records the slots, then Prepare, SetWeight for each step,
// and Promote or Rollback.
//
// Idempotency: the rollout service keeps no state in memory and may be killed at any point,
// after which it calls the same action again. Every action reads the target's state first;
// when the target already is as asked it runs nothing and reports changed=false, otherwise it
// brings the target there. A side effect cut short by the kill (a hook whose success was not
// yet recorded, a written file not yet reloaded) is done again, so hooks must tolerate being
// run again after an interruption.
//
// Threading: an adapter holds only its configuration; its actions may run on any thread, but
// the caller acts on one target from one thread at a time (the rollout service serialises the
// actions of a release). Actions block for as long as their hooks run.
//
// Errors: INVALID_ARGUMENT for a bad configuration (naming the field) or bad arguments;
// FAILED_PRECONDITION when a hook, kubectl or the nginx configuration test fails, or when the
// target's recorded state rules the action out (a finished release, slots that are no longer
// the planned ones); UNAVAILABLE (retryable) when a hook is killed by its timeout or a signal,
// or the Kubernetes API cannot be reached. A failing hook's error names the hook, its exit
// status and the last lines of its output.
#pragma once

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace slipway::rollout {

// Who and what an action is for; every field goes to hooks as environment variables.
struct ReleaseTarget {
  std::string deployment_id;
  std::string release_id;
  std::string environment;
  std::string version;  // the commit being released
  std::string previous_version;
  std::string repository;
  std::string branch;
};

// Where the new version runs and where the stable one does. Decided once per release by
// Plan() and recorded by the caller, then passed back unchanged to every later action (also
// after a restart).
struct Slots {
  std::string stable;
  std::string canary;
};

struct HookRun {
  std::string name;
  std::vector<std::string> argv;
  int exit_code = -1;  // 128 + signal when a signal ended it; -1 when it never ran
  std::string output;  // stdout and stderr as they came, capped at 64 KiB with a note
  double ms = 0;
};

struct ActionRecord {
  std::string action;    // "prepare", "weight", "promote", "rollback"
  bool changed = false;  // false: the target already was so; nothing was run
  int weight = -1;       // the canary's share after the action (0..100)
  // One line for people and the audit trail, e.g.
  // "upstream app: green 25, blue 75; nginx reloaded".
  std::string detail;
  std::vector<HookRun> hooks;
};

class Adapter {
 public:
  virtual ~Adapter() = default;
  virtual std::string Kind() const = 0;  // "command", "nginx", "kubernetes"
  // Reads the target's state: which slot is live now; the new version goes to the other one.
  virtual absl::StatusOr<Slots> Plan(const ReleaseTarget& t) = 0;
  // Brings the new version up in slots.canary, receiving no traffic.
  virtual absl::StatusOr<ActionRecord> Prepare(const ReleaseTarget& t, const Slots& s) = 0;
  // Sends `weight` percent (0..100) of the traffic to slots.canary, the rest to slots.stable.
  virtual absl::StatusOr<ActionRecord> SetWeight(const ReleaseTarget& t, const Slots& s,
                                                 int weight) = 0;
  // The new version is the stable one now (all traffic on slots.canary, which becomes the live
  // slot); the old slot is retired.
  virtual absl::StatusOr<ActionRecord> Promote(const ReleaseTarget& t, const Slots& s) = 0;
  // All traffic back to slots.stable; the new version in slots.canary is retired.
  virtual absl::StatusOr<ActionRecord> Rollback(const ReleaseTarget& t, const Slots& s) = 0;
  // The canary's share of traffic the target has now (for checks and resumption).
  virtual absl::StatusOr<int> CurrentWeight(const ReleaseTarget& t, const Slots& s) = 0;
};

// {"kind": "command"|"nginx"|"kubernetes", ...that kind's keys}. INVALID_ARGUMENT naming the
// field for a missing or unknown kind and for anything the kind's Parse() rejects.
absl::StatusOr<std::unique_ptr<Adapter>> MakeAdapter(const nlohmann::json& config);

// ---------------------------------------------------------------------------------------------
// What the adapters share: running hooks, their environment, reading configuration, files.

inline constexpr std::chrono::milliseconds kDefaultHookTimeout{120'000};
// HookRun::output keeps at most this much: the first quarter and the last three quarters, the
// middle replaced by a note saying how much was dropped.
inline constexpr size_t kHookOutputLimit = 64 * 1024;
// A hook's stdout is read back (a status hook's weight, kubectl's JSON) up to this much.
inline constexpr size_t kHookStdoutLimit = 8 * 1024 * 1024;

using HookEnvironment = std::vector<std::pair<std::string, std::string>>;

// SLIPWAY_ACTION, SLIPWAY_DEPLOYMENT_ID, SLIPWAY_RELEASE_ID, SLIPWAY_ENVIRONMENT,
// SLIPWAY_VERSION, SLIPWAY_PREVIOUS_VERSION, SLIPWAY_REPOSITORY, SLIPWAY_BRANCH,
// SLIPWAY_WEIGHT, SLIPWAY_SLOT (the slot acted on), SLIPWAY_STABLE_SLOT, SLIPWAY_CANARY_SLOT.
HookEnvironment ActionEnvironment(const ReleaseTarget& t, const Slots& s, std::string_view action,
                                  std::string_view slot, int weight);

struct HookCall {
  std::string name;               // for people: "prepare", "reload", "kubectl scale"
  std::vector<std::string> argv;  // argv[0] is looked up on PATH when it has no '/'
  HookEnvironment env;            // on top of the service's own environment
  std::chrono::milliseconds timeout = kDefaultHookTimeout;
};

// Runs `call` with fork/exec (no shell), stdin from /dev/null, in a session and process group
// of its own, stdout and stderr captured. At the timeout the group gets SIGTERM and, 2 s later,
// SIGKILL. The hook is killed too if the calling thread dies (a killed service must not leave
// a hook running beside the one its replay starts). Processes the hook leaves behind after it
// exits are left running (a hook may start a server), but their output is no longer read 200 ms
// after the hook's exit.
//
// Appends the run to `runs` once the hook started, and returns its stdout when it exits 0.
// Errors name the hook, the program and, for a failure, its exit status and the last lines of
// its output: FAILED_PRECONDITION when it cannot be started (not found, not executable) or
// exits non-zero; UNAVAILABLE when its timeout or a signal ended it; INTERNAL when no pipe or
// process could be made.
absl::StatusOr<std::string> RunHook(const HookCall& call, std::vector<HookRun>& runs);

// The last `max_lines` non-empty lines of `output`, at most 2 KiB, joined with " | ": for error
// messages that must stay on one line.
std::string LastLines(std::string_view output, size_t max_lines = 8);

// Reads the fields of one configuration object, which must outlive it. Every error is
// INVALID_ARGUMENT and starts with the field's path, e.g. "nginx.slots: two slots are needed,
// got 3".
class ConfigObject {
 public:
  // Fails unless `value` is an object whose keys are all in `known`; the unknown key is named
  // along with the accepted ones.
  static absl::StatusOr<ConfigObject> Open(const nlohmann::json& value, std::string path,
                                           std::vector<std::string_view> known);

  const std::string& path() const { return path_; }
  std::string FieldPath(std::string_view key) const;
  // The member, or nullptr when it is absent or null.
  const nlohmann::json* Find(std::string_view key) const;

  // A string; `fallback` when absent, an error when absent without one. Empty strings are
  // refused unless `allow_empty`.
  absl::StatusOr<std::string> String(std::string_view key,
                                     std::optional<std::string> fallback = std::nullopt,
                                     bool allow_empty = false) const;
  // A command: a non-empty array of strings with a non-empty first element. Absent: empty.
  absl::StatusOr<std::vector<std::string>> Argv(std::string_view key) const;
  // An integer within [min, max]; `fallback` when absent, an error when absent without one.
  absl::StatusOr<int> Int(std::string_view key, int min, int max,
                          std::optional<int> fallback = std::nullopt) const;
  // "500ms", "30s", "2m", "1h" or a number of seconds; more than 0 and at most 24 hours.
  absl::StatusOr<std::chrono::milliseconds> Duration(std::string_view key,
                                                     std::chrono::milliseconds fallback) const;

 private:
  ConfigObject(const nlohmann::json* value, std::string path) : value_(value), path_(path) {}

  const nlohmann::json* value_;
  std::string path_;
};

// `status` with "<context>: " before its message, same code.
absl::Status WithContext(const absl::Status& status, std::string_view context);

// OK when `kind` is absent or is `expected` (a kind's Parse may be given the whole
// {"kind": ...} object, or the object without it).
absl::Status CheckKind(const ConfigObject& config, std::string_view expected);

// INVALID_ARGUMENT "<field>: <problem>".
absl::Status ConfigError(std::string_view field, std::string_view problem);

// INVALID_ARGUMENT naming the first field an action cannot do without: release_id always,
// version when `need_version`.
absl::Status CheckTarget(const ReleaseTarget& t, bool need_version);

// INVALID_ARGUMENT unless 0 <= weight <= 100.
absl::Status CheckWeight(int weight);

// The file's content; nullopt when it does not exist. FAILED_PRECONDITION naming the file when
// it exists but cannot be read.
absl::StatusOr<std::optional<std::string>> ReadOptionalFile(const std::filesystem::path& path);

// Replaces `path` with `content` so that readers see the old or the new content, never a mix:
// a temporary file in the same folder (".<name>.slipway-<pid>.tmp", which no "*.conf" pattern
// matches), flushed to disk, renamed over `path`. Creates missing folders. FAILED_PRECONDITION
// naming the file on failure.
absl::Status WriteFileAtomically(const std::filesystem::path& path, std::string_view content);

// Removes `path`; a file that is already gone is fine.
absl::Status RemoveFile(const std::filesystem::path& path);

}  // namespace slipway::rollout
