// The "kubernetes" adapter: two Deployments, `<deployment>` (stable) and `<deployment>-canary`,
// driven with kubectl; the traffic is split by their replica counts behind one Service
// ("routing": "replicas") or by ingress-nginx's canary weight on a canary Ingress
// ("routing": "ingress").
//
//   {"kind": "kubernetes", "kubectl": "kubectl", "kubeconfig": "", "context": "",
//    "namespace": "default", "deployment": "app", "container": "app",
//    "image": "registry/app:{version}", "replicas": 4,
//    "routing": "replicas" | "ingress", "ingress": "app-canary", "timeout": "120s"}
//
// Every action first reads both Deployments (and the Ingress) with `kubectl get -o json`, then
// runs only the commands whose effect is missing: `kubectl set image`, `kubectl scale`,
// `kubectl annotate ingress ... nginx.ingress.kubernetes.io/canary-weight=<w> --overwrite`.
// When nothing is missing nothing runs (changed=false). Before a Deployment loses replicas or
// traffic, the one taking over is waited for with `kubectl rollout status`, so capacity never
// drops while new pods start. The reads are not listed in ActionRecord::hooks; everything else
// is.
//
//  * Plan(): always stable = <deployment>, canary = <deployment>-canary (both must exist).
//  * Prepare: the canary's traffic to 0 first, then the new image on the canary; with replica
//    routing the canary stays at 0 replicas (its pods would take traffic), with ingress routing
//    it gets `replicas` replicas and weight 0.
//  * SetWeight(w): replicas: the canary gets round(replicas * w / 100), at least 1 while w > 0
//    and at most replicas - 1 while w < 100, the stable one the rest; the record's weight is the
//    share that gives. ingress: the canary weight annotation.
//  * Promote: the new image on the stable Deployment at `replicas` replicas, then the canary to
//    0 (and the ingress weight to 0).
//  * Rollback: the stable Deployment at `replicas`, the canary to 0 (and the ingress weight 0).
//  * CurrentWeight: the new version's share: the canary's replica share or ingress weight, and
//    100 once the stable Deployment runs this release's image with the canary at 0.
//
// Errors as in adapter.h. kubectl failing to reach the API server is UNAVAILABLE; a missing
// kubectl, Deployment, container or Ingress is FAILED_PRECONDITION naming it.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "services/rollout/adapter.h"

namespace slipway::rollout {

class KubernetesAdapter final : public Adapter {
 public:
  enum class Routing { kReplicas, kIngress };

  struct Config {
    std::string kubectl = "kubectl";
    std::string kubeconfig;  // "": kubectl's own default
    std::string context;     // "": the kubeconfig's current context
    std::string kube_namespace = "default";
    std::string deployment;  // the stable Deployment; the canary is "<deployment>-canary"
    std::string container;   // the container whose image is set; default: `deployment`
    std::string image;       // contains "{version}"
    int replicas = 0;        // required: each Deployment's full size
    Routing routing = Routing::kReplicas;
    std::string ingress;  // the canary Ingress, with routing kIngress
    std::chrono::milliseconds timeout = kDefaultHookTimeout;  // per kubectl command and wait
  };

  struct DeploymentState {
    int replicas = 0;
    std::string image;  // of Config::container
  };
  struct ClusterState {
    DeploymentState stable;
    DeploymentState canary;
    int ingress_weight = 0;  // routing kIngress only
  };

  // One kubectl command of an action.
  struct Step {
    std::string name;  // "kubectl scale app-canary"
    std::vector<std::string> argv;
    bool changes = true;  // false: a wait (rollout status) that changes nothing
  };

  struct ReplicaSplit {
    int stable;
    int canary;
  };

  // INVALID_ARGUMENT naming the field ("kubernetes.replicas: ...").
  static absl::StatusOr<Config> Parse(const nlohmann::json& config);

  // Config::image with "{version}" replaced; INVALID_ARGUMENT when `version` is not a valid
  // image tag (1 to 128 of letters, digits, '_', '.', '-', not starting with '.' or '-').
  static absl::StatusOr<std::string> ImageFor(const Config& config, std::string_view version);
  static ReplicaSplit SplitReplicas(int replicas, int weight);

  // The kubectl command lines: [kubectl, --kubeconfig, --context, --namespace, verb...].
  static std::vector<std::string> GetDeploymentsArgv(const Config& config);
  static std::vector<std::string> GetIngressArgv(const Config& config);
  static std::vector<std::string> SetImageArgv(const Config& config, std::string_view deployment,
                                               std::string_view image);
  static std::vector<std::string> ScaleArgv(const Config& config, std::string_view deployment,
                                            int replicas);
  static std::vector<std::string> AnnotateWeightArgv(const Config& config, int weight);
  static std::vector<std::string> RolloutStatusArgv(const Config& config,
                                                    std::string_view deployment);

  // Reads `kubectl get deployment/<d> deployment/<d>-canary -o json` and, with ingress routing,
  // `kubectl get ingress/<i> -o json`. FAILED_PRECONDITION naming what is missing or wrong.
  static absl::StatusOr<ClusterState> ParseState(const Config& config,
                                                 std::string_view deployments_json,
                                                 std::string_view ingress_json);

  // The commands that take the cluster from `state` to what `action` ("prepare", "weight",
  // "promote", "rollback") asks, in order; empty when it already is so. `image` is this
  // release's. FAILED_PRECONDITION for a weight or promotion whose canary does not run `image`.
  static absl::StatusOr<std::vector<Step>> PlanSteps(const Config& config,
                                                     const ClusterState& state,
                                                     std::string_view action,
                                                     std::string_view image, int weight);

  explicit KubernetesAdapter(Config config) : config_(std::move(config)) {}

  std::string Kind() const override { return "kubernetes"; }
  absl::StatusOr<Slots> Plan(const ReleaseTarget& t) override;
  absl::StatusOr<ActionRecord> Prepare(const ReleaseTarget& t, const Slots& s) override;
  absl::StatusOr<ActionRecord> SetWeight(const ReleaseTarget& t, const Slots& s,
                                         int weight) override;
  absl::StatusOr<ActionRecord> Promote(const ReleaseTarget& t, const Slots& s) override;
  absl::StatusOr<ActionRecord> Rollback(const ReleaseTarget& t, const Slots& s) override;
  absl::StatusOr<int> CurrentWeight(const ReleaseTarget& t, const Slots& s) override;

 private:
  absl::Status CheckSlots(const Slots& s) const;
  absl::StatusOr<ClusterState> Observe(const ReleaseTarget& t, const Slots& s) const;
  absl::StatusOr<std::string> Kubectl(const std::string& name, std::vector<std::string> argv,
                                      const HookEnvironment& env, std::vector<HookRun>& runs,
                                      bool waits = false) const;
  absl::StatusOr<ActionRecord> Apply(const ReleaseTarget& t, const Slots& s,
                                     const std::string& action, int weight);
  int Share(const ClusterState& state, std::string_view image) const;

  Config config_;
};

}  // namespace slipway::rollout
