#include "libs/release/environments.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <charconv>
#include <cmath>
#include <fstream>
#include <set>
#include <sstream>

#include "libs/core/status.h"

namespace slipway::release {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

// YAML to JSON: scalars that read as numbers or booleans become those; the rest strings.
json ToJson(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map: {
      json out = json::object();
      for (const auto& kv : node) out[kv.first.as<std::string>()] = ToJson(kv.second);
      return out;
    }
    case YAML::NodeType::Sequence: {
      json out = json::array();
      for (const auto& item : node) out.push_back(ToJson(item));
      return out;
    }
    case YAML::NodeType::Scalar: {
      const std::string& text = node.Scalar();
      if (node.Tag() == "!") return text;  // quoted: a string whatever it looks like
      if (text == "true") return true;
      if (text == "false") return false;
      int64_t i = 0;
      auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), i);
      if (ec == std::errc() && p == text.data() + text.size()) return i;
      double d = 0;
      auto [q, ec2] = std::from_chars(text.data(), text.data() + text.size(), d);
      if (ec2 == std::errc() && q == text.data() + text.size() && std::isfinite(d)) return d;
      return text;
    }
    default:
      return nullptr;
  }
}

// Reads one object's keys, naming the path in every error; unknown keys are errors.
class Reader {
 public:
  Reader(const json& j, std::string path) : j_(j), path_(std::move(path)) {}

  absl::Status Expect(std::initializer_list<std::string_view> known) const {
    if (!j_.is_object()) return Error("", "expected a mapping");
    for (auto it = j_.begin(); it != j_.end(); ++it) {
      bool ok = false;
      for (auto k : known) ok = ok || it.key() == k;
      if (!ok) return Error(it.key(), "unknown key");
    }
    return absl::OkStatus();
  }
  bool Has(const std::string& key) const { return j_.contains(key) && !j_[key].is_null(); }
  const json& At(const std::string& key) const { return j_[key]; }

  absl::Status String(const std::string& key, std::string& out) const {
    if (!Has(key)) return absl::OkStatus();
    const json& v = j_[key];
    if (v.is_string())
      out = v.get<std::string>();
    else if (v.is_number() || v.is_boolean())
      out = v.dump();
    else
      return Error(key, "expected text");
    return absl::OkStatus();
  }
  absl::Status Bool(const std::string& key, bool& out) const {
    if (!Has(key)) return absl::OkStatus();
    if (!j_[key].is_boolean()) return Error(key, "expected true or false");
    out = j_[key].get<bool>();
    return absl::OkStatus();
  }
  absl::Status Count(const std::string& key, uint32_t& out, uint32_t max = 1'000'000) const {
    if (!Has(key)) return absl::OkStatus();
    const json& v = j_[key];
    if (!v.is_number_integer() || v.get<int64_t>() < 0 || v.get<int64_t>() > max)
      return Error(key, fmt::format("expected a whole number from 0 to {}", max));
    out = static_cast<uint32_t>(v.get<int64_t>());
    return absl::OkStatus();
  }
  absl::Status Duration(const std::string& key, std::chrono::milliseconds& out) const {
    if (!Has(key)) return absl::OkStatus();
    std::string text;
    if (auto st = String(key, text); !st.ok()) return st;
    auto d = ParseDuration(text);
    if (!d.ok()) return Error(key, std::string(d.status().message()));
    out = *d;
    return absl::OkStatus();
  }
  absl::Status Strings(const std::string& key, std::vector<std::string>& out) const {
    if (!Has(key)) return absl::OkStatus();
    const json& v = j_[key];
    if (!v.is_array()) return Error(key, "expected a list of names");
    for (const auto& item : v) {
      if (!item.is_string() || item.get<std::string>().empty())
        return Error(key, "expected a list of names");
      out.push_back(item.get<std::string>());
    }
    return absl::OkStatus();
  }
  absl::Status Error(std::string_view key, std::string_view what) const {
    return absl::InvalidArgumentError(
        fmt::format("{}{}{}: {}", path_, key.empty() ? "" : ".", key, what));
  }
  std::string Path(std::string_view key) const { return fmt::format("{}.{}", path_, key); }

 private:
  const json& j_;
  std::string path_;
};

absl::StatusOr<analysis::NoDataPolicy> NoData(const Reader& r, const std::string& text) {
  if (text == "fail") return analysis::NoDataPolicy::kFail;
  if (text == "pass") return analysis::NoDataPolicy::kPass;
  if (text == "inconclusive") return analysis::NoDataPolicy::kInconclusive;
  return r.Error("no_data", fmt::format("'{}': expected fail, pass or inconclusive", text));
}

absl::StatusOr<analysis::MetricSpec> ParseMetric(const json& j, const std::string& path,
                                                 const Analysis& defaults,
                                                 const std::string& target) {
  Reader r(j, path);
  SLIPWAY_RETURN_IF_ERROR(
      r.Expect({"name", "template", "selector", "stable_selector", "window", "query", "success",
                "failure", "failure_limit", "inconclusive_limit", "consecutive_failures",
                "consecutive_error_limit", "no_data", "count"}));
  std::string name, templ, query, window = "1m";
  std::string selector =
      fmt::format("service=\"{}\",slot=\"{{{{canary}}}}\"", analysis::EscapePromQlString(target));
  std::string stable =
      fmt::format("service=\"{}\",slot=\"{{{{stable}}}}\"", analysis::EscapePromQlString(target));
  SLIPWAY_RETURN_IF_ERROR(r.String("name", name));
  SLIPWAY_RETURN_IF_ERROR(r.String("template", templ));
  SLIPWAY_RETURN_IF_ERROR(r.String("query", query));
  SLIPWAY_RETURN_IF_ERROR(r.String("selector", selector));
  SLIPWAY_RETURN_IF_ERROR(r.String("stable_selector", stable));
  SLIPWAY_RETURN_IF_ERROR(r.String("window", window));
  analysis::MetricSpec spec;
  if (!templ.empty()) {
    if (!query.empty()) return r.Error("query", "a template has its own query");
    if (templ == "error-rate")
      spec = analysis::ErrorRateForSelector(selector, window);
    else if (templ == "latency-regression")
      spec = analysis::LatencyRegressionForSelectors(selector, stable, window);
    else if (templ == "health-check")
      spec = analysis::HealthCheckForSelector(selector);
    else
      return r.Error("template", fmt::format("'{}': expected error-rate, latency-regression or "
                                             "health-check",
                                             templ));
  } else {
    if (query.empty()) return r.Error("query", "required (or a template)");
    if (name.empty()) return r.Error("name", "required with a query");
    spec.query = query;
  }
  if (!name.empty()) spec.name = name;
  spec.interval = defaults.interval;
  spec.count = defaults.count;
  SLIPWAY_RETURN_IF_ERROR(r.Count("count", spec.count));
  for (const char* key : {"success", "failure"}) {
    std::string text;
    SLIPWAY_RETURN_IF_ERROR(r.String(key, text));
    if (text.empty()) continue;
    auto c = analysis::ParseCondition(text);
    if (!c.ok()) return r.Error(key, std::string(c.status().message()));
    (std::string_view(key) == "success" ? spec.success : spec.failure) = *c;
  }
  SLIPWAY_RETURN_IF_ERROR(r.Count("failure_limit", spec.failure_limit));
  SLIPWAY_RETURN_IF_ERROR(r.Count("inconclusive_limit", spec.inconclusive_limit));
  SLIPWAY_RETURN_IF_ERROR(r.Count("consecutive_error_limit", spec.consecutive_error_limit));
  SLIPWAY_RETURN_IF_ERROR(r.Bool("consecutive_failures", spec.consecutive_failures));
  if (r.Has("no_data")) {
    std::string text;
    SLIPWAY_RETURN_IF_ERROR(r.String("no_data", text));
    auto p = NoData(r, text);
    if (!p.ok()) return p.status();
    spec.no_data = *p;
  }
  if (!spec.success && !spec.failure)
    return r.Error("failure", "a metric needs a success or a failure condition");
  return spec;
}

absl::Status ParseAnalysis(const json& j, const std::string& path, const std::string& target,
                           Analysis& out) {
  Reader r(j, path);
  SLIPWAY_RETURN_IF_ERROR(
      r.Expect({"prometheus", "interval", "count", "metrics", "on_inconclusive"}));
  SLIPWAY_RETURN_IF_ERROR(r.String("prometheus", out.prometheus));
  SLIPWAY_RETURN_IF_ERROR(r.Duration("interval", out.interval));
  if (out.interval < 100ms) return r.Error("interval", "at least 100ms");
  SLIPWAY_RETURN_IF_ERROR(r.Count("count", out.count, 10'000));
  if (out.count == 0) return r.Error("count", "at least 1");
  SLIPWAY_RETURN_IF_ERROR(r.String("on_inconclusive", out.on_inconclusive));
  if (out.on_inconclusive != "rollback" && out.on_inconclusive != "pause")
    return r.Error("on_inconclusive", "expected rollback or pause");
  if (out.prometheus.empty()) return r.Error("prometheus", "required (the base URL)");
  json metrics = r.Has("metrics") ? r.At("metrics") : json::array();
  if (!metrics.is_array()) return r.Error("metrics", "expected a list");
  if (metrics.empty())  // the common rollback triggers
    metrics = json::array({{{"template", "error-rate"}},
                           {{"template", "latency-regression"}},
                           {{"template", "health-check"}}});
  std::set<std::string> names;
  for (size_t i = 0; i < metrics.size(); ++i) {
    auto spec = ParseMetric(metrics[i], fmt::format("{}.metrics[{}]", path, i), out, target);
    if (!spec.ok()) return spec.status();
    if (!names.insert(spec->name).second)
      return r.Error(fmt::format("metrics[{}]", i), fmt::format("'{}' twice", spec->name));
    out.metrics.push_back(std::move(*spec));
  }
  return absl::OkStatus();
}

std::vector<Step> DefaultCanary() {
  std::vector<Step> steps;
  for (uint32_t w : {5u, 25u, 50u}) {
    steps.push_back({.kind = Step::Kind::kWeight, .weight = w});
    steps.push_back({.kind = Step::Kind::kAnalysis});
  }
  steps.push_back({.kind = Step::Kind::kWeight, .weight = 100});
  return steps;
}

absl::Status ParseStrategy(const json& j, const std::string& path, Strategy& out) {
  Reader r(j, path);
  SLIPWAY_RETURN_IF_ERROR(r.Expect({"canary", "blue_green"}));
  if (r.Has("canary") && r.Has("blue_green")) return r.Error("", "canary or blue_green, not both");
  if (r.Has("blue_green")) {
    out.kind = "blue-green";
    Reader b(r.At("blue_green"), r.Path("blue_green"));
    SLIPWAY_RETURN_IF_ERROR(b.Expect({"keep_old"}));
    out.keep_old = 5min;
    SLIPWAY_RETURN_IF_ERROR(b.Duration("keep_old", out.keep_old));
    // Analysis on the new version before it takes traffic, the switch, analysis after it.
    out.steps = {{.kind = Step::Kind::kAnalysis},
                 {.kind = Step::Kind::kWeight, .weight = 100},
                 {.kind = Step::Kind::kAnalysis},
                 {.kind = Step::Kind::kPause, .pause = out.keep_old}};
    return absl::OkStatus();
  }
  out.kind = "canary";
  if (!r.Has("canary")) {
    out.steps = DefaultCanary();
    return absl::OkStatus();
  }
  Reader c(r.At("canary"), r.Path("canary"));
  SLIPWAY_RETURN_IF_ERROR(c.Expect({"steps"}));
  if (!c.Has("steps")) {
    out.steps = DefaultCanary();
    return absl::OkStatus();
  }
  const json& steps = c.At("steps");
  if (!steps.is_array() || steps.empty()) return c.Error("steps", "expected a non-empty list");
  uint32_t last = 0;
  for (size_t i = 0; i < steps.size(); ++i) {
    Reader s(steps[i], fmt::format("{}.canary.steps[{}]", path, i));
    SLIPWAY_RETURN_IF_ERROR(s.Expect({"weight", "pause", "analysis"}));
    if (steps[i].size() != 1) return s.Error("", "one of weight, pause or analysis");
    Step step;
    if (s.Has("weight")) {
      step.kind = Step::Kind::kWeight;
      SLIPWAY_RETURN_IF_ERROR(s.Count("weight", step.weight, 100));
      if (step.weight < last) return s.Error("weight", "weights only grow during a canary");
      last = step.weight;
    } else if (s.Has("pause")) {
      step.kind = Step::Kind::kPause;
      std::string text;
      SLIPWAY_RETURN_IF_ERROR(s.String("pause", text));
      if (text == "approval") {
        step.until_approved = true;
      } else {
        SLIPWAY_RETURN_IF_ERROR(s.Duration("pause", step.pause));
      }
    } else {
      step.kind = Step::Kind::kAnalysis;
      const json& a = s.At("analysis");
      if (a.is_object()) {
        Reader ar(a, s.Path("analysis"));
        SLIPWAY_RETURN_IF_ERROR(ar.Expect({"count"}));
        SLIPWAY_RETURN_IF_ERROR(ar.Count("count", step.count, 10'000));
      } else if (!(a.is_boolean() && a.get<bool>())) {
        return s.Error("analysis", "expected true or {count: N}");
      }
    }
    out.steps.push_back(step);
  }
  if (last != 100) out.steps.push_back({.kind = Step::Kind::kWeight, .weight = 100});
  return absl::OkStatus();
}

absl::StatusOr<Environment> ParseEnvironment(const json& j, const std::string& path) {
  Reader r(j, path);
  SLIPWAY_RETURN_IF_ERROR(
      r.Expect({"name", "target", "auto_deploy", "approval", "adapter", "strategy", "analysis"}));
  Environment env;
  env.source = j;
  SLIPWAY_RETURN_IF_ERROR(r.String("name", env.name));
  if (env.name.empty()) return r.Error("name", "required");
  for (char c : env.name)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_')
      return r.Error("name", "letters, digits, '-' and '_' only");
  env.target = env.name;
  SLIPWAY_RETURN_IF_ERROR(r.String("target", env.target));
  // Production needs a named approver unless configured otherwise.
  if (env.name == "production") env.approval.required = 1;
  if (r.Has("approval")) {
    Reader a(r.At("approval"), r.Path("approval"));
    SLIPWAY_RETURN_IF_ERROR(a.Expect({"required", "approvers", "timeout", "on_merge"}));
    SLIPWAY_RETURN_IF_ERROR(a.Bool("on_merge", env.approval.on_merge));
    SLIPWAY_RETURN_IF_ERROR(a.Count("required", env.approval.required, 100));
    SLIPWAY_RETURN_IF_ERROR(a.Strings("approvers", env.approval.approvers));
    SLIPWAY_RETURN_IF_ERROR(a.Duration("timeout", env.approval.timeout));
    if (env.approval.timeout <= std::chrono::milliseconds(0))
      return a.Error("timeout", "must be more than 0 (how long an approval may take)");
    if (!env.approval.approvers.empty() && env.approval.required > env.approval.approvers.size())
      return a.Error("required", fmt::format("{} approvals needed but only {} approvers named",
                                             env.approval.required, env.approval.approvers.size()));
  }
  env.auto_deploy = env.approval.required == 0;
  SLIPWAY_RETURN_IF_ERROR(r.Bool("auto_deploy", env.auto_deploy));
  if (env.auto_deploy && env.approval.required > 0)
    return r.Error("auto_deploy", "cannot be true while approval.required > 0");
  if (!env.auto_deploy && env.approval.required == 0) env.approval.required = 1;
  if (!r.Has("adapter") || !r.At("adapter").is_object() || !r.At("adapter").contains("kind"))
    return r.Error("adapter", "required: {kind: command | nginx | kubernetes, ...}");
  env.adapter = r.At("adapter");
  SLIPWAY_RETURN_IF_ERROR(ParseStrategy(r.Has("strategy") ? r.At("strategy") : json::object(),
                                        r.Path("strategy"), env.strategy));
  if (r.Has("analysis"))
    SLIPWAY_RETURN_IF_ERROR(
        ParseAnalysis(r.At("analysis"), r.Path("analysis"), env.target, env.analysis));
  if (env.analysis.prometheus.empty() &&
      (env.strategy.kind == "blue-green" || !r.Has("strategy") ||
       !r.At("strategy").contains("canary") || !r.At("strategy")["canary"].contains("steps"))) {
    // The derived steps without an analysis: blue-green switches at once; the default canary
    // pauses a minute at each weight instead.
    std::vector<Step> steps;
    for (Step s : env.strategy.steps) {
      if (s.kind == Step::Kind::kAnalysis) {
        if (env.strategy.kind == "blue-green") continue;
        s = {.kind = Step::Kind::kPause, .pause = std::chrono::minutes(1)};
      }
      steps.push_back(s);
    }
    env.strategy.steps = std::move(steps);
  }
  for (size_t i = 0; i < env.strategy.steps.size(); ++i) {
    const Step& s = env.strategy.steps[i];
    if (s.kind == Step::Kind::kAnalysis && env.analysis.prometheus.empty())
      return r.Error("analysis", fmt::format("required: strategy step {} is an analysis", i));
  }
  return env;
}

}  // namespace

absl::StatusOr<std::chrono::milliseconds> ParseDuration(std::string_view text) {
  auto bad = [&] {
    return absl::InvalidArgumentError(
        fmt::format("'{}' is not a duration (e.g. 500ms, 30s, 5m, 2h)", text.substr(0, 64)));
  };
  if (text.empty()) return bad();
  double total_ms = 0;
  size_t i = 0;
  bool any = false;
  while (i < text.size()) {
    size_t start = i;
    while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.'))
      ++i;
    if (i == start) return bad();
    double value = 0;
    auto [p, ec] = std::from_chars(text.data() + start, text.data() + i, value);
    if (ec != std::errc() || p != text.data() + i) return bad();
    size_t unit_start = i;
    while (i < text.size() && std::isalpha(static_cast<unsigned char>(text[i]))) ++i;
    std::string_view unit = text.substr(unit_start, i - unit_start);
    double scale = 0;
    if (unit == "ms")
      scale = 1;
    else if (unit == "s" || (unit.empty() && !any && i == text.size()))
      scale = 1000;
    else if (unit == "m")
      scale = 60'000;
    else if (unit == "h")
      scale = 3'600'000;
    else if (unit == "d")
      scale = 86'400'000;
    else
      return bad();
    total_ms += value * scale;
    any = true;
  }
  if (!std::isfinite(total_ms) || total_ms > 1e13) return bad();
  return std::chrono::milliseconds(static_cast<int64_t>(std::llround(total_ms)));
}

std::string FormatDuration(std::chrono::milliseconds d) {
  int64_t ms = d.count();
  if (ms % 3'600'000 == 0 && ms != 0) return fmt::format("{}h", ms / 3'600'000);
  if (ms % 60'000 == 0 && ms != 0) return fmt::format("{}m", ms / 60'000);
  if (ms % 1000 == 0) return fmt::format("{}s", ms / 1000);
  if (ms > 1000) return fmt::format("{}s", static_cast<double>(ms) / 1000.0);
  return fmt::format("{}ms", ms);
}

std::string GateName(size_t step_index) { return fmt::format("step-{}", step_index); }

absl::StatusOr<std::vector<Environment>> ParseEnvironments(std::string_view yaml) {
  json doc;
  try {
    YAML::Node root = YAML::Load(std::string(yaml));
    doc = ToJson(root);
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(fmt::format("not YAML: {}", e.what()));
  }
  std::vector<Environment> out;
  if (doc.is_null()) return out;
  Reader r(doc, "");
  if (!doc.is_object()) return absl::InvalidArgumentError("expected a mapping with environments");
  for (auto it = doc.begin(); it != doc.end(); ++it)
    if (it.key() != "environments")
      return absl::InvalidArgumentError(fmt::format("{}: unknown key", it.key()));
  if (!r.Has("environments")) return out;
  const json& list = r.At("environments");
  if (!list.is_array()) return absl::InvalidArgumentError("environments: expected a list");
  std::set<std::string> names;
  for (size_t i = 0; i < list.size(); ++i) {
    std::string path = fmt::format("environments[{}]", i);
    if (list[i].is_object() && list[i].contains("name") && list[i]["name"].is_string())
      path += fmt::format(" ({})", list[i]["name"].get<std::string>());
    auto env = ParseEnvironment(list[i], path);
    if (!env.ok()) return env.status();
    if (!names.insert(env->name).second)
      return absl::InvalidArgumentError(fmt::format("{}: name '{}' twice", path, env->name));
    out.push_back(std::move(*env));
  }
  return out;
}

absl::StatusOr<std::vector<Environment>> LoadEnvironments(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) return absl::InvalidArgumentError(fmt::format("{}: cannot be read", file.string()));
  std::stringstream text;
  text << in.rdbuf();
  auto envs = ParseEnvironments(text.str());
  if (!envs.ok())
    return absl::InvalidArgumentError(
        fmt::format("{}: {}", file.string(), std::string(envs.status().message())));
  return envs;
}

absl::StatusOr<Environment> EnvironmentFromJson(const json& source) {
  std::string path = "environment";
  if (source.is_object() && source.contains("name") && source["name"].is_string())
    path = source["name"].get<std::string>();
  return ParseEnvironment(source, path);
}

}  // namespace slipway::release
