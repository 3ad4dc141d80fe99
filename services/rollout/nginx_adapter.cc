#include "services/rollout/nginx_adapter.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <optional>
#include <set>

#include "libs/core/status.h"

namespace slipway::rollout {
namespace {

using Json = nlohmann::json;

constexpr std::string_view kStatePrefix = "# slipway:";

bool IsSlotName(std::string_view s) {
  return !s.empty() && s.size() <= 64 && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
  });
}

bool IsUpstreamName(std::string_view s) {
  return !s.empty() && s.size() <= 128 && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
  });
}

// An address goes into the file verbatim: nothing that could end the directive or the block.
bool IsAddress(std::string_view s) {
  return !s.empty() && s.size() <= 256 && std::all_of(s.begin(), s.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u > 0x20 && u < 0x7f && c != ';' && c != '{' && c != '}' && c != '#' && c != '"' &&
           c != '\'' && c != '\\' && c != '$';
  });
}

// Release ids are written into the state line percent-encoded: it holds no spaces or newlines.
std::string EncodeRelease(std::string_view id) {
  std::string out;
  for (char c : id) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || c == '-' || c == '_' || c == '.' || c == ':') {
      out.push_back(c);
    } else {
      out += fmt::format("%{:02X}", u);
    }
  }
  return out;
}

std::optional<std::string> DecodeRelease(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out.push_back(text[i]);
      continue;
    }
    unsigned value = 0;
    if (i + 2 >= text.size()) return std::nullopt;
    auto [ptr, ec] = std::from_chars(text.data() + i + 1, text.data() + i + 3, value, 16);
    if (ec != std::errc() || ptr != text.data() + i + 3) return std::nullopt;
    out.push_back(static_cast<char>(value));
    i += 2;
  }
  return out;
}

// Everything after the state line: what nginx reads.
std::string_view Body(std::string_view content) {
  const size_t nl = content.find('\n');
  return nl == std::string_view::npos ? std::string_view() : content.substr(nl + 1);
}

absl::Status ReadSlots(const Json& value, const std::string& field,
                       std::vector<NginxAdapter::Slot>& slots) {
  if (value.is_object()) {
    for (const auto& [name, address] : value.items()) {
      if (!address.is_string())
        return ConfigError(fmt::format("{}.{}", field, name),
                           fmt::format("expected an address string such as \"127.0.0.1:8081\", "
                                       "got {}",
                                       address.type_name()));
      slots.push_back({name, address.get<std::string>()});
    }
  } else if (value.is_array()) {
    for (size_t i = 0; i < value.size(); ++i) {
      const std::string item = fmt::format("{}[{}]", field, i);
      SLIPWAY_ASSIGN_OR_RETURN(ConfigObject slot,
                               ConfigObject::Open(value[i], item, {"name", "address"}));
      SLIPWAY_ASSIGN_OR_RETURN(std::string name, slot.String("name"));
      SLIPWAY_ASSIGN_OR_RETURN(std::string address, slot.String("address"));
      slots.push_back({name, address});
    }
  } else {
    return ConfigError(field, fmt::format("expected an object of slot name to address, or an "
                                          "array of {{\"name\", \"address\"}}, got {}",
                                          value.type_name()));
  }
  if (slots.size() != 2)
    return ConfigError(field, fmt::format("two slots are needed, got {}", slots.size()));
  for (const auto& slot : slots) {
    if (!IsSlotName(slot.name))
      return ConfigError(
          field, fmt::format("slot name \"{}\" must be 1 to 64 letters, digits, "
                             "'-' or '_'",
                             Json(slot.name).dump(-1, ' ', false, Json::error_handler_t::replace)));
    if (!IsAddress(slot.address))
      return ConfigError(
          fmt::format("{}.{}", field, slot.name),
          fmt::format("{} is not an address nginx's `server` takes (host:port or unix:/path, no "
                      "spaces, quotes, ';', '{{', '}}', '#', '$')",
                      Json(slot.address).dump(-1, ' ', false, Json::error_handler_t::replace)));
  }
  if (slots[0].name == slots[1].name)
    return ConfigError(field, fmt::format("both slots are named \"{}\"", slots[0].name));
  if (slots[0].address == slots[1].address)
    return ConfigError(field, fmt::format("both slots have the address {}", slots[0].address));
  return absl::OkStatus();
}

}  // namespace

// What `file` holds now.
struct NginxAdapter::Current {
  std::optional<std::string> content;  // nullopt: no file
  std::optional<FileState> state;      // set whenever content is
};

// What an action wants the file to say, and the hook that runs once nginx serves it.
struct NginxAdapter::Change {
  std::string action;
  FileState target;
  int canary_weight;  // ActionRecord::weight: the share of slots.canary
  std::optional<HookCall> hook_after = std::nullopt;  // prepare / retire
  std::string hook_slot = {};                         // the slot that hook acts on
};

absl::StatusOr<NginxAdapter::Config> NginxAdapter::Parse(const Json& config) {
  SLIPWAY_ASSIGN_OR_RETURN(
      ConfigObject top, ConfigObject::Open(config, "nginx",
                                           {"kind", "upstream", "file", "slots", "reload", "test",
                                            "hooks", "timeout"}));
  SLIPWAY_RETURN_IF_ERROR(CheckKind(top, "nginx"));
  Config c;
  SLIPWAY_ASSIGN_OR_RETURN(c.upstream, top.String("upstream"));
  if (!IsUpstreamName(c.upstream))
    return ConfigError(
        top.FieldPath("upstream"),
        fmt::format("\"{}\" is not an upstream name (letters, digits, '.', '-', '_')", c.upstream));
  SLIPWAY_ASSIGN_OR_RETURN(std::string file, top.String("file"));
  c.file = file;
  if (!c.file.is_absolute() || c.file.filename().empty())
    return ConfigError(top.FieldPath("file"),
                       fmt::format("\"{}\" must be an absolute path to a file", file));
  const Json* slots = top.Find("slots");
  if (slots == nullptr)
    return ConfigError(top.FieldPath("slots"), "two slots are needed, got none");
  SLIPWAY_RETURN_IF_ERROR(ReadSlots(*slots, top.FieldPath("slots"), c.slots));
  if (top.Find("reload") != nullptr) {
    SLIPWAY_ASSIGN_OR_RETURN(c.reload, top.Argv("reload"));
  }
  SLIPWAY_ASSIGN_OR_RETURN(c.test, top.Argv("test"));
  SLIPWAY_ASSIGN_OR_RETURN(c.timeout, top.Duration("timeout", kDefaultHookTimeout));
  if (const Json* hooks = top.Find("hooks")) {
    SLIPWAY_ASSIGN_OR_RETURN(
        ConfigObject h, ConfigObject::Open(*hooks, top.FieldPath("hooks"), {"prepare", "retire"}));
    SLIPWAY_ASSIGN_OR_RETURN(c.prepare_hook, h.Argv("prepare"));
    SLIPWAY_ASSIGN_OR_RETURN(c.retire_hook, h.Argv("retire"));
  }
  return c;
}

std::string NginxAdapter::Render(const Config& config, const FileState& state) {
  std::string out =
      fmt::format("{} live={} canary={} weight={} release={} phase={} applied={}\n", kStatePrefix,
                  state.live, state.canary, state.weight, EncodeRelease(state.release), state.phase,
                  state.applied ? "yes" : "no");
  out += fmt::format(
      "# The upstream \"{}\" of Slipway's rollout service: edits here are overwritten.\n",
      config.upstream);
  out += fmt::format("upstream {} {{\n", config.upstream);
  for (const Slot& slot : config.slots) {
    const int weight = slot.name == state.live ? 100 - state.weight : state.weight;
    if (weight == 0) {
      out += fmt::format("    server {} down;\n", slot.address);
    } else {
      out += fmt::format("    server {} weight={};\n", slot.address, weight);
    }
  }
  out += "}\n";
  return out;
}

absl::StatusOr<NginxAdapter::FileState> NginxAdapter::ReadStateLine(std::string_view content) {
  const std::string_view line = content.substr(0, content.find('\n'));
  if (line.substr(0, kStatePrefix.size()) != kStatePrefix)
    return absl::FailedPreconditionError(
        fmt::format("its first line is not Slipway's state line (\"{} live=...\"), so the file is "
                    "not Slipway's to overwrite: move it away or point nginx.file elsewhere",
                    kStatePrefix));
  FileState state;
  std::set<std::string, std::less<>> seen;
  std::string_view rest = line.substr(kStatePrefix.size());
  auto bad = [&](std::string_view why) {
    return absl::FailedPreconditionError(
        fmt::format("its state line \"{}\" {}", LastLines(line, 1), why));
  };
  while (!rest.empty()) {
    const size_t start = rest.find_first_not_of(' ');
    if (start == std::string_view::npos) break;
    rest.remove_prefix(start);
    const size_t end = std::min(rest.find(' '), rest.size());
    const std::string_view item = rest.substr(0, end);
    rest.remove_prefix(end);
    const size_t eq = item.find('=');
    if (eq == std::string_view::npos) return bad(fmt::format("has \"{}\" without '='", item));
    const std::string_view key = item.substr(0, eq), value = item.substr(eq + 1);
    seen.insert(std::string(key));
    if (key == "live") {
      state.live = value;
    } else if (key == "canary") {
      state.canary = value;
    } else if (key == "weight") {
      auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), state.weight);
      if (ec != std::errc() || ptr != value.data() + value.size() || state.weight < 0 ||
          state.weight > 100)
        return bad("has a weight that is not 0..100");
    } else if (key == "release") {
      std::optional<std::string> release = DecodeRelease(value);
      if (!release) return bad("has a malformed release");
      state.release = *release;
    } else if (key == "phase") {
      if (value != kPhaseCanary && value != kPhasePromoted && value != kPhaseRolledBack)
        return bad(fmt::format("has an unknown phase \"{}\"", value));
      state.phase = value;
    } else if (key == "applied") {
      if (value != "yes" && value != "no") return bad("has applied= other than yes or no");
      state.applied = value == "yes";
    }
  }
  for (std::string_view key : {"live", "canary", "weight", "release", "phase", "applied"})
    if (!seen.contains(key)) return bad(fmt::format("lacks {}=", key));
  return state;
}

const NginxAdapter::Slot& NginxAdapter::SlotNamed(std::string_view name) const {
  return config_.slots[0].name == name ? config_.slots[0] : config_.slots[1];
}

absl::StatusOr<NginxAdapter::Current> NginxAdapter::ReadCurrent() const {
  const std::string file = config_.file.string();
  absl::StatusOr<std::optional<std::string>> content = ReadOptionalFile(config_.file);
  if (!content.ok()) return WithContext(content.status(), "nginx.file");
  Current current;
  current.content = std::move(*content);
  if (!current.content) return current;
  absl::StatusOr<FileState> state = ReadStateLine(*current.content);
  if (!state.ok()) return WithContext(state.status(), "nginx.file " + file);
  for (const std::string* slot : {&state->live, &state->canary}) {
    if (*slot != config_.slots[0].name && *slot != config_.slots[1].name)
      return absl::FailedPreconditionError(fmt::format(
          "nginx.file {}: records slot \"{}\", which nginx.slots does not have ({}, {}); the "
          "slots were renamed while a release was using them",
          file, *slot, config_.slots[0].name, config_.slots[1].name));
  }
  current.state = std::move(*state);
  return current;
}

absl::Status NginxAdapter::CheckSlots(const Slots& s) const {
  auto known = [&](const std::string& name) {
    return name == config_.slots[0].name || name == config_.slots[1].name;
  };
  if (!known(s.stable) || !known(s.canary) || s.stable == s.canary)
    return absl::InvalidArgumentError(
        fmt::format("nginx: slots must be the two configured ones ({}, {}) as Plan() returned "
                    "them, got stable \"{}\" and canary \"{}\"",
                    config_.slots[0].name, config_.slots[1].name, s.stable, s.canary));
  return absl::OkStatus();
}

absl::Status NginxAdapter::CheckAllowed(const Current& current, const ReleaseTarget& t,
                                        const Slots& s, std::string_view action) const {
  const std::string file = config_.file.string();
  const bool needs_prepare = action == "weight" || action == "promote";
  if (!current.state) {
    if (needs_prepare)
      return absl::FailedPreconditionError(
          fmt::format("nginx: release {} was not prepared on this target ({} does not exist); "
                      "call Prepare first",
                      t.release_id, file));
    return absl::OkStatus();
  }
  const FileState& st = *current.state;
  if (st.release == t.release_id) {
    if (st.phase != kPhaseCanary) {
      const std::string_view finished = st.phase == kPhasePromoted ? "promote" : "rollback";
      if (action != finished)
        return absl::FailedPreconditionError(
            fmt::format("nginx: release {} was already {} ({}); it accepts no {} now", t.release_id,
                        st.phase == kPhasePromoted ? "promoted" : "rolled back", file, action));
    }
    // Promoted, the live slot is the release's canary; otherwise still its stable one.
    const std::string& expected_live = st.phase == kPhasePromoted ? s.canary : s.stable;
    if (st.live != expected_live)
      return absl::FailedPreconditionError(fmt::format(
          "nginx: {} records {} as live for release {}, which does not match the slots given "
          "(stable {}, canary {}); pass the slots Plan() returned for this release",
          file, st.live, t.release_id, s.stable, s.canary));
    return absl::OkStatus();
  }
  if (needs_prepare)
    return absl::FailedPreconditionError(fmt::format(
        "nginx: release {} was not prepared on this target ({} records release {}); call Prepare "
        "first",
        t.release_id, file, st.release.empty() ? "(none)" : st.release));
  if (st.live != s.stable)
    return absl::FailedPreconditionError(fmt::format(
        "nginx: slot {} is live ({} records release {}), so it cannot be release {}'s canary; the "
        "slots are stale: Plan() again",
        st.live, file, st.release.empty() ? "(none)" : st.release, t.release_id));
  return absl::OkStatus();
}

std::string NginxAdapter::Describe(const FileState& state) const {
  std::string out = fmt::format("upstream {}:", config_.upstream);
  for (const Slot& slot : config_.slots) {
    const int weight = slot.name == state.live ? 100 - state.weight : state.weight;
    out += fmt::format(" {} {}{},", slot.name, weight == 0 ? "down" : std::to_string(weight),
                       slot.name == state.live ? " (live)" : "");
  }
  out.pop_back();
  return out;
}

absl::StatusOr<Slots> NginxAdapter::Plan(const ReleaseTarget& t) {
  SLIPWAY_ASSIGN_OR_RETURN(Current current, ReadCurrent());
  const std::string& live = current.state ? current.state->live : config_.slots[0].name;
  const std::string& other =
      live == config_.slots[0].name ? config_.slots[1].name : config_.slots[0].name;
  return Slots{live, other};
}

absl::StatusOr<ActionRecord> NginxAdapter::Prepare(const ReleaseTarget& t, const Slots& s) {
  SLIPWAY_RETURN_IF_ERROR(CheckTarget(t, /*need_version=*/true));
  Change change{"prepare", {s.stable, s.canary, 0, t.release_id, std::string(kPhaseCanary)}, 0};
  if (!config_.prepare_hook.empty()) {
    change.hook_after = SlotHook(t, s, "prepare", 0, s.canary);
    change.hook_slot = s.canary;
  }
  return Apply(t, s, change);
}

HookCall NginxAdapter::SlotHook(const ReleaseTarget& t, const Slots& s, std::string_view action,
                                int weight, const std::string& slot) const {
  const bool prepare = action == "prepare";
  HookEnvironment env = ActionEnvironment(t, s, action, slot, weight);
  env.emplace_back("SLIPWAY_ADDRESS", SlotNamed(slot).address);
  return {prepare ? "prepare" : "retire", prepare ? config_.prepare_hook : config_.retire_hook,
          std::move(env), config_.timeout};
}

absl::StatusOr<ActionRecord> NginxAdapter::SetWeight(const ReleaseTarget& t, const Slots& s,
                                                     int weight) {
  SLIPWAY_RETURN_IF_ERROR(CheckTarget(t, /*need_version=*/false));
  SLIPWAY_RETURN_IF_ERROR(CheckWeight(weight));
  Change change{
      "weight", {s.stable, s.canary, weight, t.release_id, std::string(kPhaseCanary)}, weight};
  return Apply(t, s, change);
}

absl::StatusOr<ActionRecord> NginxAdapter::Promote(const ReleaseTarget& t, const Slots& s) {
  SLIPWAY_RETURN_IF_ERROR(CheckTarget(t, /*need_version=*/false));
  // Recorded from the new live slot's side: it takes everything, the old one is down.
  Change change{"promote", {s.canary, s.stable, 0, t.release_id, std::string(kPhasePromoted)}, 100};
  if (!config_.retire_hook.empty()) {
    change.hook_after = SlotHook(t, s, "promote", 100, s.stable);
    change.hook_slot = s.stable;
  }
  return Apply(t, s, change);
}

absl::StatusOr<ActionRecord> NginxAdapter::Rollback(const ReleaseTarget& t, const Slots& s) {
  SLIPWAY_RETURN_IF_ERROR(CheckTarget(t, /*need_version=*/false));
  Change change{
      "rollback", {s.stable, s.canary, 0, t.release_id, std::string(kPhaseRolledBack)}, 0};
  if (!config_.retire_hook.empty()) {
    change.hook_after = SlotHook(t, s, "rollback", 0, s.canary);
    change.hook_slot = s.canary;
  }
  return Apply(t, s, change);
}

absl::StatusOr<ActionRecord> NginxAdapter::Apply(const ReleaseTarget& t, const Slots& s,
                                                 const Change& change) {
  SLIPWAY_RETURN_IF_ERROR(CheckSlots(s));
  SLIPWAY_ASSIGN_OR_RETURN(Current current, ReadCurrent());
  SLIPWAY_RETURN_IF_ERROR(CheckAllowed(current, t, s, change.action));

  ActionRecord record;
  record.action = change.action;
  record.weight = change.canary_weight;
  FileState done = change.target;
  done.applied = true;
  const std::string final_content = Render(config_, done);
  if (current.content == final_content) {
    record.detail = fmt::format("{}; already so, nothing to do", Describe(done));
    return record;
  }
  record.changed = true;
  FileState pending = change.target;
  pending.applied = false;
  const std::string pending_content = Render(config_, pending);
  // nginx already serves this block when the file held it and its last action completed.
  const bool served =
      current.state && current.state->applied && Body(*current.content) == Body(pending_content);
  const std::string file = config_.file.string();

  if (served && !change.hook_after) {
    // Nothing to reload and nothing to run: only the record changes.
    absl::Status st = WriteFileAtomically(config_.file, final_content);
    if (!st.ok()) return WithContext(st, "nginx");
    record.detail =
        fmt::format("{}; nginx already serves this upstream, no reload", Describe(done));
    return record;
  }
  if (current.content != pending_content) {
    absl::Status st = WriteFileAtomically(config_.file, pending_content);
    if (!st.ok()) return WithContext(st, "nginx");
  }
  std::vector<std::string> steps;
  if (!served) {
    auto restore = [&](const absl::Status& failure, std::string_view what) -> absl::Status {
      absl::Status back = current.content ? WriteFileAtomically(config_.file, *current.content)
                                          : RemoveFile(config_.file);
      if (!back.ok())
        return absl::Status(failure.code(),
                            fmt::format("nginx: {} failed, and {} could not be put back ({}): {}",
                                        what, file, back.message(), failure.message()));
      return absl::Status(failure.code(), fmt::format("nginx: {} failed; {} was put back as it "
                                                      "was: {}",
                                                      what, file, failure.message()));
    };
    const HookEnvironment env =
        ActionEnvironment(t, s, change.action, s.canary, change.canary_weight);
    if (!config_.test.empty()) {
      absl::StatusOr<std::string> out =
          RunHook({"test", config_.test, env, config_.timeout}, record.hooks);
      if (!out.ok()) return restore(out.status(), "the configuration test");
    }
    absl::StatusOr<std::string> out =
        RunHook({"reload", config_.reload, env, config_.timeout}, record.hooks);
    if (!out.ok()) {
      // The file was fine; nginx could not be told (not running, no permission to signal it).
      return restore(absl::UnavailableError(out.status().message()), "the reload");
    }
    steps.push_back("nginx reloaded");
  } else {
    steps.push_back("nginx already serves this upstream, no reload");
  }
  if (change.hook_after) {
    absl::StatusOr<std::string> out = RunHook(*change.hook_after, record.hooks);
    if (!out.ok())
      return WithContext(out.status(), fmt::format("nginx: {}; {}, but then", Describe(done),
                                                   fmt::join(steps, ", ")));
    steps.push_back(fmt::format("hook {} ran for {}", change.hook_after->name, change.hook_slot));
  }
  absl::Status st = WriteFileAtomically(config_.file, final_content);
  if (!st.ok()) return WithContext(st, "nginx: the action succeeded but could not be recorded");
  record.detail = fmt::format("{}; {}", Describe(done), fmt::join(steps, "; "));
  return record;
}

absl::StatusOr<int> NginxAdapter::CurrentWeight(const ReleaseTarget& t, const Slots& s) {
  SLIPWAY_RETURN_IF_ERROR(CheckSlots(s));
  SLIPWAY_ASSIGN_OR_RETURN(Current current, ReadCurrent());
  if (!current.state) return 0;
  return current.state->live == s.canary ? 100 - current.state->weight : current.state->weight;
}

}  // namespace slipway::rollout
