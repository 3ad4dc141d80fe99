#include "services/rollout/kubernetes_adapter.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>

#include "libs/core/status.h"
#include "libs/core/text.h"

namespace slipway::rollout {
namespace {

using Json = nlohmann::json;

constexpr std::string_view kCanarySuffix = "-canary";
constexpr std::string_view kCanaryAnnotation = "nginx.ingress.kubernetes.io/canary";
constexpr std::string_view kWeightAnnotation = "nginx.ingress.kubernetes.io/canary-weight";
constexpr std::string_view kWeightTotalAnnotation =
    "nginx.ingress.kubernetes.io/canary-weight-total";
// kubectl's own deadline for a wait is the configured timeout; ours leaves it time to say so.
constexpr std::chrono::milliseconds kWaitMargin{15'000};

// A DNS-1123 label (max 63) or, with dots allowed, a subdomain (max 253).
bool IsDnsName(std::string_view s, bool dots, size_t max) {
  if (s.empty() || s.size() > max) return false;
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (!alnum(s.front()) || !alnum(s.back())) return false;
  return std::all_of(s.begin(), s.end(),
                     [&](char c) { return alnum(c) || c == '-' || (dots && c == '.'); });
}

bool IsImageTag(std::string_view s) {
  if (s.empty() || s.size() > 128 || s.front() == '.' || s.front() == '-') return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-';
  });
}

std::string CanaryName(const KubernetesAdapter::Config& c) {
  return c.deployment + std::string(kCanarySuffix);
}

// Failures of kubectl that another attempt may get past: the API server out of reach or busy,
// pods not ready in time.
bool LooksTransient(std::string_view output) {
  for (std::string_view marker :
       {"Unable to connect to the server", "connection refused", "i/o timeout",
        "was refused - did you specify the right host or port",  // kubectl before 1.2x
        "TLS handshake timeout", "ServiceUnavailable", "the server is currently unable",
        "context deadline exceeded", "timed out waiting for the condition", "no route to host",
        "connection reset by peer", "etcdserver: request timed out"})
    if (output.find(marker) != std::string_view::npos) return true;
  return false;
}

absl::StatusOr<Json> ParseJson(std::string_view text, std::string_view what) {
  Json j = Json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object())
    return absl::FailedPreconditionError(fmt::format(
        "kubectl printed something other than a JSON object for {}: {}", what, LastLines(text, 3)));
  return j;
}

absl::StatusOr<KubernetesAdapter::DeploymentState> ReadDeployment(
    const KubernetesAdapter::Config& config, const Json& list, const std::string& name) {
  const Json* found = nullptr;
  auto matches = [&](const Json& item) {
    const Json* meta = item.is_object() && item.contains("metadata") ? &item["metadata"] : nullptr;
    return meta && meta->is_object() && meta->value("name", "") == name;
  };
  if (list.contains("items") && list["items"].is_array()) {
    for (const Json& item : list["items"])
      if (matches(item)) found = &item;
  } else if (matches(list)) {
    found = &list;
  }
  if (found == nullptr)
    return absl::FailedPreconditionError(
        fmt::format("Deployment {} was not found in namespace {}", name, config.kube_namespace));
  KubernetesAdapter::DeploymentState state;
  const Json spec = found->value("spec", Json::object());
  // The API server defaults an absent replica count to 1.
  state.replicas = spec.contains("replicas") && spec["replicas"].is_number_integer()
                       ? spec["replicas"].get<int>()
                       : 1;
  const Json containers = spec.value("template", Json::object())
                              .value("spec", Json::object())
                              .value("containers", Json::array());
  std::vector<std::string> names;
  for (const Json& c : containers) {
    if (!c.is_object()) continue;
    names.push_back(c.value("name", ""));
    if (names.back() == config.container) {
      state.image = c.value("image", "");
      return state;
    }
  }
  return absl::FailedPreconditionError(fmt::format(
      "Deployment {} has no container \"{}\" (kubernetes.container; it has: {})", name,
      config.container, names.empty() ? "none" : fmt::format("{}", fmt::join(names, ", "))));
}

}  // namespace

absl::StatusOr<KubernetesAdapter::Config> KubernetesAdapter::Parse(const Json& config) {
  SLIPWAY_ASSIGN_OR_RETURN(
      ConfigObject top,
      ConfigObject::Open(config, "kubernetes",
                         {"kind", "kubectl", "kubeconfig", "context", "namespace", "deployment",
                          "container", "image", "replicas", "routing", "ingress", "timeout"}));
  SLIPWAY_RETURN_IF_ERROR(CheckKind(top, "kubernetes"));
  Config c;
  SLIPWAY_ASSIGN_OR_RETURN(c.kubectl, top.String("kubectl", "kubectl"));
  SLIPWAY_ASSIGN_OR_RETURN(c.kubeconfig, top.String("kubeconfig", "", /*allow_empty=*/true));
  SLIPWAY_ASSIGN_OR_RETURN(c.context, top.String("context", "", /*allow_empty=*/true));
  SLIPWAY_ASSIGN_OR_RETURN(c.kube_namespace, top.String("namespace", "default"));
  if (!IsDnsName(c.kube_namespace, /*dots=*/false, 63))
    return ConfigError(top.FieldPath("namespace"),
                       fmt::format("\"{}\" is not a namespace name (lower-case letters, digits "
                                   "and '-', at most 63)",
                                   c.kube_namespace));
  SLIPWAY_ASSIGN_OR_RETURN(c.deployment, top.String("deployment"));
  if (!IsDnsName(c.deployment, /*dots=*/true, 253 - kCanarySuffix.size()))
    return ConfigError(top.FieldPath("deployment"),
                       fmt::format("\"{}\" is not a Deployment name (lower-case letters, digits, "
                                   "'-' and '.', at most {} so that \"{}-canary\" fits)",
                                   c.deployment, 253 - kCanarySuffix.size(), c.deployment));
  SLIPWAY_ASSIGN_OR_RETURN(c.container, top.String("container", c.deployment));
  if (!IsDnsName(c.container, /*dots=*/false, 63))
    return ConfigError(top.FieldPath("container"),
                       fmt::format("\"{}\" is not a container name", c.container));
  SLIPWAY_ASSIGN_OR_RETURN(c.image, top.String("image"));
  if (c.image.find("{version}") == std::string::npos)
    return ConfigError(top.FieldPath("image"),
                       fmt::format("\"{}\" has no {{version}} to put the release's version in, "
                                   "e.g. \"registry/app:{{version}}\"",
                                   c.image));
  if (std::any_of(c.image.begin(), c.image.end(),
                  [](char c) { return std::isspace(static_cast<unsigned char>(c)); }))
    return ConfigError(top.FieldPath("image"), "must not contain spaces");
  SLIPWAY_ASSIGN_OR_RETURN(std::string routing, top.String("routing", "replicas"));
  if (routing == "replicas") {
    c.routing = Routing::kReplicas;
  } else if (routing == "ingress") {
    c.routing = Routing::kIngress;
  } else {
    return ConfigError(top.FieldPath("routing"),
                       fmt::format("unknown value \"{}\" (accepted: replicas, ingress)", routing));
  }
  SLIPWAY_ASSIGN_OR_RETURN(c.replicas, top.Int("replicas", 1, 1000));
  if (c.routing == Routing::kReplicas && c.replicas < 2)
    return ConfigError(top.FieldPath("replicas"),
                       fmt::format("replica routing splits traffic by replicas and needs at least "
                                   "2, got {}; use \"routing\": \"ingress\" for one replica",
                                   c.replicas));
  if (c.routing == Routing::kIngress) {
    SLIPWAY_ASSIGN_OR_RETURN(c.ingress, top.String("ingress"));
    if (!IsDnsName(c.ingress, /*dots=*/true, 253))
      return ConfigError(top.FieldPath("ingress"),
                         fmt::format("\"{}\" is not an Ingress name", c.ingress));
  } else if (top.Find("ingress") != nullptr) {
    return ConfigError(top.FieldPath("ingress"), "only used with \"routing\": \"ingress\"");
  }
  SLIPWAY_ASSIGN_OR_RETURN(c.timeout, top.Duration("timeout", kDefaultHookTimeout));
  return c;
}

absl::StatusOr<std::string> KubernetesAdapter::ImageFor(const Config& config,
                                                        std::string_view version) {
  if (!IsImageTag(version))
    return absl::InvalidArgumentError(
        fmt::format("version: \"{}\" cannot be an image tag (1 to 128 letters, digits, '_', '.', "
                    "'-', not starting with '.' or '-')",
                    LastLines(version, 1)));
  return ReplaceAll(config.image, "{version}", version);
}

KubernetesAdapter::ReplicaSplit KubernetesAdapter::SplitReplicas(int replicas, int weight) {
  if (weight <= 0) return {replicas, 0};
  if (weight >= 100) return {0, replicas};
  int canary = static_cast<int>(std::lround(replicas * weight / 100.0));
  canary = std::clamp(canary, 1, std::max(1, replicas - 1));
  return {replicas - canary, canary};
}

namespace {

std::vector<std::string> Base(const KubernetesAdapter::Config& c) {
  std::vector<std::string> argv = {c.kubectl};
  if (!c.kubeconfig.empty()) argv.push_back("--kubeconfig=" + c.kubeconfig);
  if (!c.context.empty()) argv.push_back("--context=" + c.context);
  argv.push_back("--namespace=" + c.kube_namespace);
  return argv;
}

std::vector<std::string> With(std::vector<std::string> argv,
                              std::initializer_list<std::string> more) {
  argv.insert(argv.end(), more.begin(), more.end());
  return argv;
}

}  // namespace

std::vector<std::string> KubernetesAdapter::GetDeploymentsArgv(const Config& c) {
  return With(Base(c),
              {"get", "deployment/" + c.deployment, "deployment/" + CanaryName(c), "-o", "json"});
}

std::vector<std::string> KubernetesAdapter::GetIngressArgv(const Config& c) {
  return With(Base(c), {"get", "ingress/" + c.ingress, "-o", "json"});
}

std::vector<std::string> KubernetesAdapter::SetImageArgv(const Config& c,
                                                         std::string_view deployment,
                                                         std::string_view image) {
  return With(Base(c), {"set", "image", fmt::format("deployment/{}", deployment),
                        fmt::format("{}={}", c.container, image)});
}

std::vector<std::string> KubernetesAdapter::ScaleArgv(const Config& c, std::string_view deployment,
                                                      int replicas) {
  return With(Base(c), {"scale", fmt::format("deployment/{}", deployment),
                        fmt::format("--replicas={}", replicas)});
}

std::vector<std::string> KubernetesAdapter::AnnotateWeightArgv(const Config& c, int weight) {
  return With(Base(c), {"annotate", "ingress", c.ingress,
                        fmt::format("{}={}", kWeightAnnotation, weight), "--overwrite"});
}

std::vector<std::string> KubernetesAdapter::RolloutStatusArgv(const Config& c,
                                                              std::string_view deployment) {
  const auto seconds = std::chrono::ceil<std::chrono::seconds>(c.timeout).count();
  return With(Base(c), {"rollout", "status", fmt::format("deployment/{}", deployment),
                        fmt::format("--timeout={}s", seconds)});
}

absl::StatusOr<KubernetesAdapter::ClusterState> KubernetesAdapter::ParseState(
    const Config& config, std::string_view deployments_json, std::string_view ingress_json) {
  SLIPWAY_ASSIGN_OR_RETURN(Json list, ParseJson(deployments_json, "the Deployments"));
  ClusterState state;
  SLIPWAY_ASSIGN_OR_RETURN(state.stable, ReadDeployment(config, list, config.deployment));
  SLIPWAY_ASSIGN_OR_RETURN(state.canary, ReadDeployment(config, list, CanaryName(config)));
  if (config.routing != Routing::kIngress) return state;

  SLIPWAY_ASSIGN_OR_RETURN(Json ingress, ParseJson(ingress_json, "the Ingress"));
  const Json annotations =
      ingress.value("metadata", Json::object()).value("annotations", Json::object());
  auto annotation = [&](std::string_view key) -> std::string {
    auto it = annotations.find(key);
    return it != annotations.end() && it->is_string() ? it->get<std::string>() : "";
  };
  if (annotation(kCanaryAnnotation) != "true")
    return absl::FailedPreconditionError(fmt::format(
        "Ingress {} lacks the annotation {}: \"true\"; without it ingress-nginx ignores the "
        "canary weight",
        config.ingress, kCanaryAnnotation));
  if (const std::string total = annotation(kWeightTotalAnnotation);
      !total.empty() && total != "100")
    return absl::FailedPreconditionError(
        fmt::format("Ingress {} sets {}: \"{}\"; Slipway's weights are percent (remove it or set "
                    "100)",
                    config.ingress, kWeightTotalAnnotation, total));
  const std::string weight = annotation(kWeightAnnotation);
  if (!weight.empty()) {
    auto [ptr, ec] =
        std::from_chars(weight.data(), weight.data() + weight.size(), state.ingress_weight);
    if (ec != std::errc() || ptr != weight.data() + weight.size() || state.ingress_weight < 0 ||
        state.ingress_weight > 100)
      return absl::FailedPreconditionError(
          fmt::format("Ingress {} has {}: \"{}\", not a weight from 0 to 100", config.ingress,
                      kWeightAnnotation, weight));
  }
  return state;
}

absl::StatusOr<std::vector<KubernetesAdapter::Step>> KubernetesAdapter::PlanSteps(
    const Config& config, const ClusterState& state, std::string_view action,
    std::string_view image, int weight) {
  const std::string stable = config.deployment, canary = CanaryName(config);
  const int full = config.replicas;
  const bool ingress = config.routing == Routing::kIngress;
  std::vector<Step> steps;
  auto scale = [&](const std::string& d, int n) {
    steps.push_back({fmt::format("kubectl scale {} --replicas={}", d, n), ScaleArgv(config, d, n)});
  };
  auto set_image = [&](const std::string& d) {
    steps.push_back({fmt::format("kubectl set image {}", d), SetImageArgv(config, d, image)});
  };
  auto wait = [&](const std::string& d) {
    steps.push_back({fmt::format("kubectl rollout status {}", d), RolloutStatusArgv(config, d),
                     /*changes=*/false});
  };
  auto annotate = [&](int w) {
    steps.push_back({fmt::format("kubectl annotate ingress {} canary-weight={}", config.ingress, w),
                     AnnotateWeightArgv(config, w)});
  };
  // Replica moves: growth first, then a wait on every Deployment keeping replicas, then shrinking,
  // so the capacity serving traffic never drops while new pods start.
  auto rebalance = [&](int to_stable, int to_canary) {
    if (state.stable.replicas < to_stable) scale(stable, to_stable);
    if (state.canary.replicas < to_canary) scale(canary, to_canary);
    const bool shrink_stable = state.stable.replicas > to_stable;
    const bool shrink_canary = state.canary.replicas > to_canary;
    if (!shrink_stable && !shrink_canary) return;
    if (to_stable > 0) wait(stable);
    if (to_canary > 0) wait(canary);
    if (shrink_stable) scale(stable, to_stable);
    if (shrink_canary) scale(canary, to_canary);
  };
  auto not_prepared = [&] {
    return absl::FailedPreconditionError(
        fmt::format("kubernetes: Deployment {} runs {}, not this release's {}; call Prepare "
                    "first",
                    canary, state.canary.image, image));
  };

  if (action == "prepare") {
    if (ingress) {
      if (state.ingress_weight != 0) annotate(0);
      if (state.canary.image != image) set_image(canary);
      if (state.canary.replicas != full) scale(canary, full);
      if (!steps.empty()) wait(canary);
    } else {
      // Pods of the canary take traffic as soon as they run: it stays at 0 replicas.
      rebalance(full, 0);
      if (state.canary.image != image) set_image(canary);
    }
  } else if (action == "weight") {
    if (state.canary.image != image) return not_prepared();
    if (ingress) {
      if (weight > 0 && state.canary.replicas != full) scale(canary, full);
      if (weight > state.ingress_weight || (weight > 0 && !steps.empty())) wait(canary);
      if (weight != state.ingress_weight) annotate(weight);
    } else {
      const ReplicaSplit split = SplitReplicas(full, weight);
      rebalance(split.stable, split.canary);
    }
  } else if (action == "promote") {
    if (state.canary.image != image && state.stable.image != image) return not_prepared();
    if (state.stable.image != image) set_image(stable);
    if (ingress) {
      if (state.stable.replicas != full) scale(stable, full);
      if (state.ingress_weight != 0 || state.canary.replicas != 0) wait(stable);
      if (state.ingress_weight != 0) annotate(0);
      if (state.canary.replicas != 0) scale(canary, 0);
    } else {
      // A new image on a Deployment already at full size rolls its pods: the canary sheds its
      // replicas only after the wait on the stable one.
      rebalance(full, 0);
    }
  } else if (action == "rollback") {
    if (ingress) {
      if (state.stable.replicas != full) scale(stable, full);
      if (state.ingress_weight != 0 || state.canary.replicas != 0) wait(stable);
      if (state.ingress_weight != 0) annotate(0);
      if (state.canary.replicas != 0) scale(canary, 0);
    } else {
      rebalance(full, 0);
    }
  } else {
    return absl::InvalidArgumentError(fmt::format("kubernetes: unknown action \"{}\"", action));
  }
  if (std::none_of(steps.begin(), steps.end(), [](const Step& s) { return s.changes; }))
    steps.clear();
  return steps;
}

absl::Status KubernetesAdapter::CheckSlots(const Slots& s) const {
  if (s.stable != config_.deployment || s.canary != CanaryName(config_))
    return absl::InvalidArgumentError(fmt::format(
        "kubernetes: slots are the Deployments \"{}\" and \"{}\" (as Plan() returns), got \"{}\" "
        "and \"{}\"",
        config_.deployment, CanaryName(config_), s.stable, s.canary));
  return absl::OkStatus();
}

absl::StatusOr<std::string> KubernetesAdapter::Kubectl(const std::string& name,
                                                       std::vector<std::string> argv,
                                                       const HookEnvironment& env,
                                                       std::vector<HookRun>& runs,
                                                       bool waits) const {
  HookCall call{name, std::move(argv), env,
                waits ? config_.timeout + kWaitMargin : config_.timeout};
  const size_t before = runs.size();
  absl::StatusOr<std::string> out = RunHook(call, runs);
  if (out.ok()) return out;
  if (runs.size() == before)  // never started
    return WithContext(out.status(), "kubernetes (is kubectl installed? see kubernetes.kubectl)");
  if (out.status().code() == absl::StatusCode::kFailedPrecondition &&
      LooksTransient(runs.back().output))
    return absl::UnavailableError(fmt::format("kubernetes: {}", out.status().message()));
  return WithContext(out.status(), "kubernetes");
}

absl::StatusOr<KubernetesAdapter::ClusterState> KubernetesAdapter::Observe(const ReleaseTarget& t,
                                                                           const Slots& s) const {
  std::vector<HookRun> reads;
  const HookEnvironment env;  // kubectl reads need nothing of the release
  SLIPWAY_ASSIGN_OR_RETURN(
      std::string deployments,
      Kubectl("kubectl get deployments", GetDeploymentsArgv(config_), env, reads));
  std::string ingress;
  if (config_.routing == Routing::kIngress) {
    SLIPWAY_ASSIGN_OR_RETURN(ingress,
                             Kubectl("kubectl get ingress", GetIngressArgv(config_), env, reads));
  }
  absl::StatusOr<ClusterState> state = ParseState(config_, deployments, ingress);
  if (!state.ok()) return WithContext(state.status(), "kubernetes");
  return state;
}

int KubernetesAdapter::Share(const ClusterState& state, std::string_view image) const {
  const bool promoted = !image.empty() && state.stable.image == image &&
                        (config_.routing == Routing::kIngress ? state.ingress_weight == 0
                                                              : state.canary.replicas == 0);
  if (promoted) return 100;
  if (config_.routing == Routing::kIngress) return state.ingress_weight;
  const int total = state.stable.replicas + state.canary.replicas;
  if (total <= 0) return 0;
  return static_cast<int>(std::lround(state.canary.replicas * 100.0 / total));
}

absl::StatusOr<Slots> KubernetesAdapter::Plan(const ReleaseTarget& t) {
  const Slots s{config_.deployment, CanaryName(config_)};
  SLIPWAY_RETURN_IF_ERROR(Observe(t, s).status());
  return s;
}

absl::StatusOr<ActionRecord> KubernetesAdapter::Prepare(const ReleaseTarget& t, const Slots& s) {
  return Apply(t, s, "prepare", 0);
}

absl::StatusOr<ActionRecord> KubernetesAdapter::SetWeight(const ReleaseTarget& t, const Slots& s,
                                                          int weight) {
  SLIPWAY_RETURN_IF_ERROR(CheckWeight(weight));
  return Apply(t, s, "weight", weight);
}

absl::StatusOr<ActionRecord> KubernetesAdapter::Promote(const ReleaseTarget& t, const Slots& s) {
  return Apply(t, s, "promote", 100);
}

absl::StatusOr<ActionRecord> KubernetesAdapter::Rollback(const ReleaseTarget& t, const Slots& s) {
  return Apply(t, s, "rollback", 0);
}

absl::StatusOr<ActionRecord> KubernetesAdapter::Apply(const ReleaseTarget& t, const Slots& s,
                                                      const std::string& action, int weight) {
  // A rollback needs no image: it only takes the canary away.
  const bool needs_image = action != "rollback";
  SLIPWAY_RETURN_IF_ERROR(CheckTarget(t, needs_image));
  SLIPWAY_RETURN_IF_ERROR(CheckSlots(s));
  std::string image;
  if (needs_image) {
    SLIPWAY_ASSIGN_OR_RETURN(image, ImageFor(config_, t.version));
  }
  SLIPWAY_ASSIGN_OR_RETURN(ClusterState state, Observe(t, s));
  SLIPWAY_ASSIGN_OR_RETURN(std::vector<Step> steps,
                           PlanSteps(config_, state, action, image, weight));

  ActionRecord record;
  record.action = action;
  record.weight = weight;
  if (action == "weight" && config_.routing == Routing::kReplicas) {
    const ReplicaSplit split = SplitReplicas(config_.replicas, weight);
    record.weight = static_cast<int>(std::lround(split.canary * 100.0 / config_.replicas));
  }
  if (steps.empty()) {
    record.detail = fmt::format("{}: {} replicas, {}: {} replicas{}; already so, nothing to do",
                                s.stable, state.stable.replicas, s.canary, state.canary.replicas,
                                config_.routing == Routing::kIngress
                                    ? fmt::format(", canary weight {}", state.ingress_weight)
                                    : "");
    return record;
  }
  record.changed = true;
  const HookEnvironment env = ActionEnvironment(t, s, action, s.canary, weight);
  std::vector<std::string> done;
  for (const Step& step : steps) {
    absl::StatusOr<std::string> out =
        Kubectl(step.name, step.argv, env, record.hooks, /*waits=*/!step.changes);
    if (!out.ok())
      return WithContext(
          out.status(),
          fmt::format("{} ({})", action,
                      done.empty() ? std::string("nothing done before")
                                   : fmt::format("done before: {}", fmt::join(done, "; "))));
    done.push_back(step.name.substr(std::string_view("kubectl ").size()));
  }
  record.detail = fmt::format("canary at {}%: {}", record.weight, fmt::join(done, "; "));
  return record;
}

absl::StatusOr<int> KubernetesAdapter::CurrentWeight(const ReleaseTarget& t, const Slots& s) {
  SLIPWAY_RETURN_IF_ERROR(CheckSlots(s));
  std::string image;
  if (!t.version.empty()) {
    SLIPWAY_ASSIGN_OR_RETURN(image, ImageFor(config_, t.version));
  }
  SLIPWAY_ASSIGN_OR_RETURN(ClusterState state, Observe(t, s));
  return Share(state, image);
}

}  // namespace slipway::rollout
