#include "services/rollout/command_adapter.h"

#include <fmt/format.h>

#include <cmath>
#include <cstdlib>

#include "libs/core/status.h"

namespace slipway::rollout {
namespace {

using Json = nlohmann::json;

constexpr std::string_view kStable = "stable";
constexpr std::string_view kCanary = "canary";

bool IsCanaryPhase(std::string_view action) { return action == "prepare" || action == "weight"; }

std::string_view Finished(std::string_view action) {
  return action == "promote" ? "promoted" : "rolled back";
}

absl::Status CheckSlots(const Slots& s) {
  if (s.stable != kStable || s.canary != kCanary)
    return absl::InvalidArgumentError(fmt::format(
        "command: slots are \"stable\" and \"canary\" (as Plan() returns), got \"{}\" and \"{}\"",
        s.stable, s.canary));
  return absl::OkStatus();
}

// The status hook's stdout: one number from 0 to 100 (rounded to a whole percent).
absl::StatusOr<int> ParseWeight(std::string_view text) {
  std::string trimmed(text);
  while (!trimmed.empty() && std::isspace(static_cast<unsigned char>(trimmed.back())))
    trimmed.pop_back();
  size_t begin = 0;
  while (begin < trimmed.size() && std::isspace(static_cast<unsigned char>(trimmed[begin])))
    ++begin;
  trimmed.erase(0, begin);
  char* end = nullptr;
  const double value = std::strtod(trimmed.c_str(), &end);
  if (trimmed.empty() || end != trimmed.c_str() + trimmed.size() || !std::isfinite(value) ||
      value < 0 || value > 100) {
    return absl::FailedPreconditionError(
        fmt::format("hook status printed \"{}\", not the canary's share (a number from 0 to 100)",
                    LastLines(text, 1)));
  }
  return static_cast<int>(std::lround(value));
}

}  // namespace

absl::StatusOr<CommandAdapter::Config> CommandAdapter::Parse(const Json& config) {
  SLIPWAY_ASSIGN_OR_RETURN(
      ConfigObject top,
      ConfigObject::Open(config, "command", {"kind", "hooks", "timeout", "state_file"}));
  SLIPWAY_RETURN_IF_ERROR(CheckKind(top, "command"));
  Config c;
  SLIPWAY_ASSIGN_OR_RETURN(std::string state_file, top.String("state_file"));
  c.state_file = state_file;
  if (c.state_file.filename().empty())
    return ConfigError(top.FieldPath("state_file"),
                       fmt::format("\"{}\" names a folder, not a file", state_file));
  SLIPWAY_ASSIGN_OR_RETURN(c.timeout, top.Duration("timeout", kDefaultHookTimeout));
  if (const Json* hooks = top.Find("hooks")) {
    SLIPWAY_ASSIGN_OR_RETURN(
        ConfigObject h, ConfigObject::Open(*hooks, top.FieldPath("hooks"),
                                           {"prepare", "weight", "promote", "rollback", "status"}));
    SLIPWAY_ASSIGN_OR_RETURN(c.prepare, h.Argv("prepare"));
    SLIPWAY_ASSIGN_OR_RETURN(c.weight, h.Argv("weight"));
    SLIPWAY_ASSIGN_OR_RETURN(c.promote, h.Argv("promote"));
    SLIPWAY_ASSIGN_OR_RETURN(c.rollback, h.Argv("rollback"));
    SLIPWAY_ASSIGN_OR_RETURN(c.status, h.Argv("status"));
  }
  return c;
}

absl::StatusOr<std::optional<CommandAdapter::AppliedState>> CommandAdapter::ReadState() const {
  SLIPWAY_ASSIGN_OR_RETURN(std::optional<std::string> content,
                           ReadOptionalFile(config_.state_file));
  if (!content) return std::optional<AppliedState>();
  auto corrupt = [&](std::string_view why) {
    return absl::FailedPreconditionError(
        fmt::format("command.state_file {}: {}; it is Slipway's record of the last action applied "
                    "(restore it, or remove it to start over)",
                    config_.state_file.string(), why));
  };
  const Json j = Json::parse(*content, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return corrupt("not valid JSON");
  if (!j.is_object()) return corrupt("not a JSON object");
  AppliedState state;
  auto text = [&](const char* key, std::string& out) {
    auto it = j.find(key);
    if (it == j.end() || !it->is_string()) return false;
    out = it->get<std::string>();
    return true;
  };
  if (!text("release_id", state.release_id) || !text("action", state.action) ||
      !text("version", state.version))
    return corrupt("release_id, action and version must be strings");
  auto weight = j.find("weight");
  if (weight == j.end() || !weight->is_number_integer() || weight->get<int64_t>() < 0 ||
      weight->get<int64_t>() > 100)
    return corrupt("weight must be an integer from 0 to 100");
  state.weight = weight->get<int>();
  if (!IsCanaryPhase(state.action) && state.action != "promote" && state.action != "rollback")
    return corrupt(fmt::format("unknown action \"{}\"", state.action));
  return std::optional<AppliedState>(state);
}

absl::StatusOr<Slots> CommandAdapter::Plan(const ReleaseTarget& t) {
  return Slots{std::string(kStable), std::string(kCanary)};
}

absl::StatusOr<ActionRecord> CommandAdapter::Prepare(const ReleaseTarget& t, const Slots& s) {
  return Apply(t, s, "prepare", 0, config_.prepare);
}

absl::StatusOr<ActionRecord> CommandAdapter::SetWeight(const ReleaseTarget& t, const Slots& s,
                                                       int weight) {
  SLIPWAY_RETURN_IF_ERROR(CheckWeight(weight));
  return Apply(t, s, "weight", weight, config_.weight);
}

absl::StatusOr<ActionRecord> CommandAdapter::Promote(const ReleaseTarget& t, const Slots& s) {
  return Apply(t, s, "promote", 100, config_.promote);
}

absl::StatusOr<ActionRecord> CommandAdapter::Rollback(const ReleaseTarget& t, const Slots& s) {
  return Apply(t, s, "rollback", 0, config_.rollback);
}

absl::StatusOr<ActionRecord> CommandAdapter::Apply(const ReleaseTarget& t, const Slots& s,
                                                   const std::string& action, int weight,
                                                   const std::vector<std::string>& hook) {
  SLIPWAY_RETURN_IF_ERROR(CheckTarget(t, /*need_version=*/action == "prepare"));
  SLIPWAY_RETURN_IF_ERROR(CheckSlots(s));
  SLIPWAY_ASSIGN_OR_RETURN(std::optional<AppliedState> state, ReadState());

  ActionRecord record;
  record.action = action;
  record.weight = weight;
  const bool same_release = state && state->release_id == t.release_id;
  if (same_release && !IsCanaryPhase(state->action)) {
    if (state->action == action) {
      record.detail =
          fmt::format("release {} was already {}; nothing to do", t.release_id, Finished(action));
      return record;
    }
    return absl::FailedPreconditionError(
        fmt::format("command: release {} was already {} (recorded in {}); it cannot be {} now",
                    t.release_id, Finished(state->action), config_.state_file.string(),
                    action == "prepare"  ? "prepared again"
                    : action == "weight" ? "given traffic again"
                                         : Finished(action)));
  }
  if (same_release && IsCanaryPhase(action) && state->weight == weight) {
    record.detail =
        fmt::format("canary already at {}% for release {}; nothing to do", weight, t.release_id);
    return record;
  }
  if (!same_release && (action == "weight" || action == "promote")) {
    return absl::FailedPreconditionError(
        fmt::format("command: release {} was not prepared on this target ({}); call Prepare first",
                    t.release_id,
                    state ? fmt::format("{} records release {}'s {}", config_.state_file.string(),
                                        state->release_id, state->action)
                          : fmt::format("{} does not exist yet", config_.state_file.string())));
  }

  record.changed = true;
  std::string ran;
  if (!hook.empty()) {
    HookCall call{action, hook, ActionEnvironment(t, s, action, kCanary, weight), config_.timeout};
    absl::StatusOr<std::string> out = RunHook(call, record.hooks);
    if (!out.ok()) return WithContext(out.status(), "command");
    ran = fmt::format("hook {} ran", action);
  } else {
    ran = fmt::format("no {} hook configured", action);
  }
  const Json next = {
      {"release_id", t.release_id}, {"action", action}, {"weight", weight}, {"version", t.version}};
  if (absl::Status st = WriteFileAtomically(
          config_.state_file, next.dump(2, ' ', false, Json::error_handler_t::replace) + "\n");
      !st.ok()) {
    // The hook did its work; only the record is missing, so a replay runs it again.
    return absl::FailedPreconditionError(fmt::format(
        "command: {} succeeded but its record could not be kept: {}", ran, st.message()));
  }
  record.detail = fmt::format("{}; canary at {}%{}", ran, weight,
                              action == "promote"    ? ", promoted"
                              : action == "rollback" ? ", rolled back"
                                                     : "");
  return record;
}

absl::StatusOr<int> CommandAdapter::CurrentWeight(const ReleaseTarget& t, const Slots& s) {
  SLIPWAY_RETURN_IF_ERROR(CheckTarget(t, /*need_version=*/false));
  SLIPWAY_RETURN_IF_ERROR(CheckSlots(s));
  SLIPWAY_ASSIGN_OR_RETURN(std::optional<AppliedState> state, ReadState());
  const bool same_release = state && state->release_id == t.release_id;
  if (!config_.status.empty()) {
    std::vector<HookRun> runs;
    const int recorded = same_release ? state->weight : 0;
    HookCall call{"status", config_.status, ActionEnvironment(t, s, "status", kCanary, recorded),
                  config_.timeout};
    absl::StatusOr<std::string> out = RunHook(call, runs);
    if (!out.ok()) return WithContext(out.status(), "command");
    absl::StatusOr<int> weight = ParseWeight(*out);
    if (!weight.ok()) return WithContext(weight.status(), "command");
    return *weight;
  }
  return same_release ? state->weight : 0;
}

}  // namespace slipway::rollout
