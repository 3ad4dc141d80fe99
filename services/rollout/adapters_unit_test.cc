// The adapters' pure parts: configuration parsing and its errors, the nginx file's rendering
// and state line, kubectl's command lines and the steps planned from a cluster's state.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "services/rollout/adapter.h"
#include "services/rollout/command_adapter.h"
#include "services/rollout/kubernetes_adapter.h"
#include "services/rollout/nginx_adapter.h"

namespace slipway::rollout {
namespace {

using Json = nlohmann::json;
using Strings = std::vector<std::string>;

std::string ErrorOf(const absl::Status& st) { return std::string(st.message()); }

template <typename T>
std::string ErrorOf(const absl::StatusOr<T>& s) {
  return s.ok() ? "(ok)" : std::string(s.status().message());
}

// ---------------------------------------------------------------------------------------------
// MakeAdapter and shared configuration

TEST(MakeAdapter, NamesTheKindProblem) {
  EXPECT_EQ(ErrorOf(MakeAdapter(Json::object())),
            "kind: required (accepted: command, nginx, kubernetes)");
  EXPECT_EQ(ErrorOf(MakeAdapter(Json{{"kind", "ssh"}})),
            "kind: unknown value ssh (accepted: command, nginx, kubernetes)");
  EXPECT_EQ(ErrorOf(MakeAdapter(Json{{"kind", 3}})), "kind: expected a string, got number");
  EXPECT_EQ(MakeAdapter(Json::array()).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(MakeAdapter, BuildsEachKind) {
  auto command = MakeAdapter({{"kind", "command"}, {"state_file", "/tmp/x.json"}});
  ASSERT_TRUE(command.ok()) << command.status();
  EXPECT_EQ((*command)->Kind(), "command");
  auto nginx = MakeAdapter({{"kind", "nginx"},
                            {"upstream", "app"},
                            {"file", "/etc/nginx/conf.d/app.conf"},
                            {"slots", {{"blue", "127.0.0.1:8081"}, {"green", "127.0.0.1:8082"}}}});
  ASSERT_TRUE(nginx.ok()) << nginx.status();
  EXPECT_EQ((*nginx)->Kind(), "nginx");
  auto kube = MakeAdapter({{"kind", "kubernetes"},
                           {"deployment", "app"},
                           {"image", "registry/app:{version}"},
                           {"replicas", 4}});
  ASSERT_TRUE(kube.ok()) << kube.status();
  EXPECT_EQ((*kube)->Kind(), "kubernetes");
}

TEST(ConfigObject, DurationForms) {
  auto read = [](Json v) {
    const Json config = {{"timeout", v}};
    auto o = ConfigObject::Open(config, "x", {"timeout"});
    return o->Duration("timeout", std::chrono::seconds(7));
  };
  EXPECT_EQ(*read("500ms"), std::chrono::milliseconds(500));
  EXPECT_EQ(*read("30s"), std::chrono::seconds(30));
  EXPECT_EQ(*read("2m"), std::chrono::minutes(2));
  EXPECT_EQ(*read("1h"), std::chrono::hours(1));
  EXPECT_EQ(*read(1.5), std::chrono::milliseconds(1500));
  EXPECT_EQ(*read(nullptr), std::chrono::seconds(7));
  EXPECT_EQ(ErrorOf(read("soon")),
            "x.timeout: expected a duration such as \"500ms\", \"30s\", \"2m\" or a number of "
            "seconds, got \"soon\"");
  EXPECT_EQ(ErrorOf(read("25h")), "x.timeout: \"25h\" is out of range (1ms..24h)");
  EXPECT_EQ(ErrorOf(read(0)), "x.timeout: 0 is out of range (1ms..24h)");
}

TEST(ConfigObject, ArgvMustBeAnArrayOfStrings) {
  auto read = [](Json v) {
    const Json config = {{"reload", v}};
    auto o = ConfigObject::Open(config, "nginx", {"reload"});
    return o->Argv("reload");
  };
  EXPECT_EQ(*read(Json::array({"nginx", "-s", "reload"})), (Strings{"nginx", "-s", "reload"}));
  EXPECT_EQ(ErrorOf(read("nginx -s reload")),
            "nginx.reload: expected a command as an array of strings, e.g. [\"nginx\", \"-s\", "
            "\"reload\"], got string");
  EXPECT_EQ(ErrorOf(read(Json::array())),
            "nginx.reload: expected a command as an array of strings, e.g. [\"nginx\", \"-s\", "
            "\"reload\"], got an empty array");
  EXPECT_EQ(ErrorOf(read(Json::array({"nginx", 1}))),
            "nginx.reload[1]: expected a string, got number");
  EXPECT_EQ(ErrorOf(read(Json::array({""}))), "nginx.reload[0]: empty program");
}

TEST(Arguments, WeightAndTarget) {
  EXPECT_TRUE(CheckWeight(0).ok());
  EXPECT_TRUE(CheckWeight(100).ok());
  EXPECT_EQ(ErrorOf(CheckWeight(101)),
            "weight: 101 is out of range (0..100, the canary's percent)");
  EXPECT_EQ(CheckWeight(-1).code(), absl::StatusCode::kInvalidArgument);
  ReleaseTarget t;
  EXPECT_EQ(ErrorOf(CheckTarget(t, false)),
            "release_id: required (the target's recorded state is keyed by it)");
  t.release_id = "r1";
  EXPECT_TRUE(CheckTarget(t, false).ok());
  EXPECT_EQ(ErrorOf(CheckTarget(t, true)), "version: required");
}

TEST(LastLines, KeepsTheEndOnOneLine) {
  EXPECT_EQ(LastLines("a\nb\n\nc\n", 2), "b | c");
  EXPECT_EQ(LastLines("", 3), "(no output)");
  EXPECT_EQ(LastLines("only\r\n", 3), "only");
  EXPECT_LE(LastLines(std::string(10'000, 'x'), 1).size(), 2048u);
}

// ---------------------------------------------------------------------------------------------
// command

TEST(CommandConfig, ParsesHooksAndRejectsUnknownKeys) {
  auto c =
      CommandAdapter::Parse({{"kind", "command"},
                             {"hooks", {{"weight", {"/bin/w", "--to"}}, {"status", {"/bin/s"}}}},
                             {"timeout", "10s"},
                             {"state_file", "/var/lib/slipway/app.json"}});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->weight, (Strings{"/bin/w", "--to"}));
  EXPECT_EQ(c->status, (Strings{"/bin/s"}));
  EXPECT_TRUE(c->prepare.empty());
  EXPECT_EQ(c->timeout, std::chrono::seconds(10));
  EXPECT_EQ(c->state_file, "/var/lib/slipway/app.json");

  EXPECT_EQ(ErrorOf(CommandAdapter::Parse({{"kind", "command"}})), "command.state_file: required");
  EXPECT_EQ(ErrorOf(CommandAdapter::Parse(
                {{"kind", "command"}, {"state_file", "/s"}, {"hooks", {{"prepar", {"x"}}}}})),
            "command.hooks.prepar: unknown key (accepted: prepare, weight, promote, rollback, "
            "status)");
  EXPECT_EQ(
      ErrorOf(CommandAdapter::Parse({{"kind", "command"}, {"state_file", "/s"}, {"hook", 1}})),
      "command.hook: unknown key (accepted: kind, hooks, timeout, state_file)");
  EXPECT_EQ(ErrorOf(CommandAdapter::Parse({{"kind", "command"}, {"state_file", "/var/lib/"}})),
            "command.state_file: \"/var/lib/\" names a folder, not a file");
}

TEST(CommandAdapter, PlansFixedSlots) {
  CommandAdapter adapter({});
  auto slots = adapter.Plan({});
  ASSERT_TRUE(slots.ok());
  EXPECT_EQ(slots->stable, "stable");
  EXPECT_EQ(slots->canary, "canary");
}

// ---------------------------------------------------------------------------------------------
// nginx

Json NginxJson() {
  return {{"kind", "nginx"},
          {"upstream", "app"},
          {"file", "/etc/nginx/conf.d/app-upstream.conf"},
          {"slots", Json::array({{{"name", "green"}, {"address", "127.0.0.1:8082"}},
                                 {{"name", "blue"}, {"address", "127.0.0.1:8081"}}})}};
}

TEST(NginxConfig, KeepsTheArraysOrderAndDefaults) {
  auto c = NginxAdapter::Parse(NginxJson());
  ASSERT_TRUE(c.ok()) << c.status();
  ASSERT_EQ(c->slots.size(), 2u);
  EXPECT_EQ(c->slots[0].name, "green");
  EXPECT_EQ(c->slots[1].address, "127.0.0.1:8081");
  EXPECT_EQ(c->reload, (Strings{"nginx", "-s", "reload"}));
  EXPECT_TRUE(c->test.empty());
  EXPECT_EQ(c->timeout, kDefaultHookTimeout);
}

TEST(NginxConfig, NamesTheField) {
  auto with = [](const std::string& key, Json value) {
    Json j = NginxJson();
    j[key] = std::move(value);
    return ErrorOf(NginxAdapter::Parse(j));
  };
  EXPECT_EQ(with("slots", {{"a", "h:1"}, {"b", "h:2"}, {"c", "h:3"}}),
            "nginx.slots: two slots are needed, got 3");
  EXPECT_EQ(with("slots", {{"a", "h:1"}}), "nginx.slots: two slots are needed, got 1");
  EXPECT_EQ(with("slots", {{"a", "h:1"}, {"b", "h:1"}}),
            "nginx.slots: both slots have the address h:1");
  EXPECT_EQ(with("slots", {{"a", "h:1"}, {"b", "h:2; evil"}}),
            "nginx.slots.b: \"h:2; evil\" is not an address nginx's `server` takes (host:port or "
            "unix:/path, no spaces, quotes, ';', '{', '}', '#', '$')");
  EXPECT_EQ(with("slots", {{"a", "h:1"}, {"b", 2}}),
            "nginx.slots.b: expected an address string such as \"127.0.0.1:8081\", got number");
  EXPECT_EQ(with("slots", Json::array({{{"name", "a"}, {"adress", "h:1"}}})),
            "nginx.slots[0].adress: unknown key (accepted: name, address)");
  EXPECT_EQ(
      with("upstream", "app name"),
      "nginx.upstream: \"app name\" is not an upstream name (letters, digits, '.', '-', '_')");
  EXPECT_EQ(with("file", "conf.d/app.conf"),
            "nginx.file: \"conf.d/app.conf\" must be an absolute path to a file");
  EXPECT_EQ(with("reloads", Json::array({"x"})),
            "nginx.reloads: unknown key (accepted: kind, upstream, file, slots, reload, test, "
            "hooks, timeout)");
  EXPECT_EQ(with("hooks", {{"retired", {"x"}}}),
            "nginx.hooks.retired: unknown key (accepted: prepare, retire)");
  EXPECT_EQ(with("kind", "command"), "nginx.kind: \"command\" is not \"nginx\"");
  Json no_slots = NginxJson();
  no_slots.erase("slots");
  EXPECT_EQ(ErrorOf(NginxAdapter::Parse(no_slots)), "nginx.slots: two slots are needed, got none");
}

TEST(NginxRender, WeightsAndDownLines) {
  auto c = NginxAdapter::Parse(NginxJson());
  ASSERT_TRUE(c.ok());
  // green is first in the configuration; blue is live here.
  NginxAdapter::FileState state{"blue", "green", 25, "r-1", "canary", true};
  EXPECT_EQ(NginxAdapter::Render(*c, state),
            "# slipway: live=blue canary=green weight=25 release=r-1 phase=canary applied=yes\n"
            "# The upstream \"app\" of Slipway's rollout service: edits here are overwritten.\n"
            "upstream app {\n"
            "    server 127.0.0.1:8082 weight=25;\n"
            "    server 127.0.0.1:8081 weight=75;\n"
            "}\n");
  state.weight = 0;
  std::string zero = NginxAdapter::Render(*c, state);
  EXPECT_NE(zero.find("server 127.0.0.1:8082 down;"), std::string::npos) << zero;
  EXPECT_NE(zero.find("server 127.0.0.1:8081 weight=100;"), std::string::npos) << zero;
  state.weight = 100;
  std::string all = NginxAdapter::Render(*c, state);
  EXPECT_NE(all.find("server 127.0.0.1:8082 weight=100;"), std::string::npos) << all;
  EXPECT_NE(all.find("server 127.0.0.1:8081 down;"), std::string::npos) << all;
}

TEST(NginxRender, StateLineRoundTrips) {
  auto c = NginxAdapter::Parse(NginxJson());
  ASSERT_TRUE(c.ok());
  const NginxAdapter::FileState state{"green", "blue", 5, "release 7\n%x", "promoted", false};
  auto back = NginxAdapter::ReadStateLine(NginxAdapter::Render(*c, state));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->live, "green");
  EXPECT_EQ(back->canary, "blue");
  EXPECT_EQ(back->weight, 5);
  EXPECT_EQ(back->release, "release 7\n%x");
  EXPECT_EQ(back->phase, "promoted");
  EXPECT_FALSE(back->applied);
}

TEST(NginxRender, RefusesFilesThatAreNotSlipways) {
  auto foreign = NginxAdapter::ReadStateLine("upstream app { server a:1; }\n");
  EXPECT_EQ(foreign.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(ErrorOf(foreign).find("not Slipway's to overwrite"), std::string::npos);
  EXPECT_NE(
      ErrorOf(NginxAdapter::ReadStateLine(
                  "# slipway: live=a canary=b weight=250 release= phase=canary applied=yes\n"))
          .find("weight that is not 0..100"),
      std::string::npos);
  EXPECT_NE(ErrorOf(NginxAdapter::ReadStateLine("# slipway: live=a canary=b weight=2\n"))
                .find("lacks release="),
            std::string::npos);
}

// ---------------------------------------------------------------------------------------------
// kubernetes

KubernetesAdapter::Config KubeConfig(
    KubernetesAdapter::Routing routing = KubernetesAdapter::Routing::kReplicas) {
  Json j = {{"kind", "kubernetes"},
            {"kubeconfig", "/k/config"},
            {"context", "prod"},
            {"namespace", "shop"},
            {"deployment", "app"},
            {"container", "web"},
            {"image", "reg/app:{version}"},
            {"replicas", 4},
            {"timeout", "90s"}};
  if (routing == KubernetesAdapter::Routing::kIngress) {
    j["routing"] = "ingress";
    j["ingress"] = "app-canary";
  }
  auto c = KubernetesAdapter::Parse(j);
  EXPECT_TRUE(c.ok()) << c.status();
  return *c;
}

TEST(KubernetesConfig, NamesTheField) {
  auto with = [](Json changes) {
    Json j = {{"kind", "kubernetes"},
              {"deployment", "app"},
              {"image", "reg/app:{version}"},
              {"replicas", 4}};
    for (auto& [k, v] : changes.items()) {
      if (v.is_null()) {
        j.erase(k);
      } else {
        j[k] = v;
      }
    }
    return ErrorOf(KubernetesAdapter::Parse(j));
  };
  EXPECT_EQ(with({{"image", "reg/app:latest"}}),
            "kubernetes.image: \"reg/app:latest\" has no {version} to put the release's version "
            "in, e.g. \"registry/app:{version}\"");
  EXPECT_EQ(with({{"replicas", 1}}),
            "kubernetes.replicas: replica routing splits traffic by replicas and needs at least 2, "
            "got 1; use \"routing\": \"ingress\" for one replica");
  EXPECT_EQ(with({{"replicas", nullptr}}), "kubernetes.replicas: required");
  EXPECT_EQ(with({{"replicas", 2.5}}), "kubernetes.replicas: expected an integer, got 2.5");
  EXPECT_EQ(with({{"routing", "ingress"}}), "kubernetes.ingress: required");
  EXPECT_EQ(with({{"ingress", "x"}}),
            "kubernetes.ingress: only used with \"routing\": \"ingress\"");
  EXPECT_EQ(with({{"routing", "dns"}}),
            "kubernetes.routing: unknown value \"dns\" (accepted: replicas, ingress)");
  EXPECT_EQ(with({{"deployment", "App"}}).substr(0, 48),
            "kubernetes.deployment: \"App\" is not a Deployment");
  EXPECT_EQ(with({{"namespaces", "x"}}).substr(0, 44),
            "kubernetes.namespaces: unknown key (accepted");

  auto defaults = KubernetesAdapter::Parse(
      {{"kind", "kubernetes"}, {"deployment", "app"}, {"image", "r/a:{version}"}, {"replicas", 3}});
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(defaults->kubectl, "kubectl");
  EXPECT_EQ(defaults->kube_namespace, "default");
  EXPECT_EQ(defaults->container, "app");
  EXPECT_EQ(defaults->routing, KubernetesAdapter::Routing::kReplicas);
}

TEST(KubectlArgv, CommandLines) {
  const auto c = KubeConfig(KubernetesAdapter::Routing::kIngress);
  const Strings base = {"kubectl", "--kubeconfig=/k/config", "--context=prod", "--namespace=shop"};
  auto with = [&](Strings more) {
    Strings argv = base;
    argv.insert(argv.end(), more.begin(), more.end());
    return argv;
  };
  EXPECT_EQ(KubernetesAdapter::GetDeploymentsArgv(c),
            with({"get", "deployment/app", "deployment/app-canary", "-o", "json"}));
  EXPECT_EQ(KubernetesAdapter::GetIngressArgv(c),
            with({"get", "ingress/app-canary", "-o", "json"}));
  EXPECT_EQ(KubernetesAdapter::SetImageArgv(c, "app-canary", "reg/app:abc"),
            with({"set", "image", "deployment/app-canary", "web=reg/app:abc"}));
  EXPECT_EQ(KubernetesAdapter::ScaleArgv(c, "app", 3),
            with({"scale", "deployment/app", "--replicas=3"}));
  EXPECT_EQ(KubernetesAdapter::AnnotateWeightArgv(c, 25),
            with({"annotate", "ingress", "app-canary",
                  "nginx.ingress.kubernetes.io/canary-weight=25", "--overwrite"}));
  EXPECT_EQ(KubernetesAdapter::RolloutStatusArgv(c, "app"),
            with({"rollout", "status", "deployment/app", "--timeout=90s"}));

  KubernetesAdapter::Config plain = c;
  plain.kubeconfig.clear();
  plain.context.clear();
  EXPECT_EQ(KubernetesAdapter::ScaleArgv(plain, "app", 0),
            (Strings{"kubectl", "--namespace=shop", "scale", "deployment/app", "--replicas=0"}));
}

TEST(KubernetesAdapter, ImageForVersion) {
  const auto c = KubeConfig();
  EXPECT_EQ(*KubernetesAdapter::ImageFor(c, "3f2a9c1"), "reg/app:3f2a9c1");
  EXPECT_EQ(KubernetesAdapter::ImageFor(c, "v1 ; rm").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(KubernetesAdapter::ImageFor(c, "-x").ok());
  EXPECT_FALSE(KubernetesAdapter::ImageFor(c, "").ok());
}

TEST(KubernetesAdapter, SplitReplicas) {
  struct Case {
    int replicas, weight, stable, canary;
  };
  for (const Case& k : std::vector<Case>{{4, 0, 4, 0},
                                         {4, 5, 3, 1},  // at least one canary pod while w > 0
                                         {4, 25, 3, 1},
                                         {4, 50, 2, 2},
                                         {4, 95, 1, 3},  // at least one stable pod while w < 100
                                         {4, 100, 0, 4},
                                         {10, 25, 7, 3},
                                         {2, 50, 1, 1}}) {
    auto split = KubernetesAdapter::SplitReplicas(k.replicas, k.weight);
    EXPECT_EQ(split.stable, k.stable) << k.replicas << " at " << k.weight;
    EXPECT_EQ(split.canary, k.canary) << k.replicas << " at " << k.weight;
  }
}

std::string DeploymentsJson(int stable, const std::string& stable_image, int canary,
                            const std::string& canary_image) {
  auto deployment = [](const std::string& name, int replicas, const std::string& image) {
    Json containers = Json::array();
    containers.push_back({{"name", "sidecar"}, {"image", "envoy:1"}});
    containers.push_back({{"name", "web"}, {"image", image}});
    Json d = {{"kind", "Deployment"}, {"metadata", {{"name", name}}}};
    d["spec"]["replicas"] = replicas;
    d["spec"]["template"]["spec"]["containers"] = containers;
    return d;
  };
  return Json{{"kind", "List"},
              {"items", Json::array({deployment("app", stable, stable_image),
                                     deployment("app-canary", canary, canary_image)})}}
      .dump();
}

TEST(KubernetesState, ReadsReplicasImagesAndIngressWeight) {
  const auto c = KubeConfig(KubernetesAdapter::Routing::kIngress);
  const std::string ingress = Json{{"metadata",
                                    {{"annotations",
                                      {{"nginx.ingress.kubernetes.io/canary", "true"},
                                       {"nginx.ingress.kubernetes.io/canary-weight", "30"}}}}}}
                                  .dump();
  auto state =
      KubernetesAdapter::ParseState(c, DeploymentsJson(3, "reg/app:a", 1, "reg/app:b"), ingress);
  ASSERT_TRUE(state.ok()) << state.status();
  EXPECT_EQ(state->stable.replicas, 3);
  EXPECT_EQ(state->stable.image, "reg/app:a");
  EXPECT_EQ(state->canary.replicas, 1);
  EXPECT_EQ(state->canary.image, "reg/app:b");
  EXPECT_EQ(state->ingress_weight, 30);

  auto not_canary = KubernetesAdapter::ParseState(c, DeploymentsJson(3, "a", 1, "b"),
                                                  Json{{"metadata", Json::object()}}.dump());
  EXPECT_EQ(ErrorOf(not_canary),
            "Ingress app-canary lacks the annotation nginx.ingress.kubernetes.io/canary: \"true\"; "
            "without it ingress-nginx ignores the canary weight");

  auto other = KubeConfig();
  other.container = "api";
  EXPECT_EQ(ErrorOf(KubernetesAdapter::ParseState(other, DeploymentsJson(3, "a", 1, "b"), "")),
            "Deployment app has no container \"api\" (kubernetes.container; it has: sidecar, web)");
  EXPECT_EQ(ErrorOf(KubernetesAdapter::ParseState(KubeConfig(), "<html>", "")),
            "kubectl printed something other than a JSON object for the Deployments: <html>");
}

Strings Names(const std::vector<KubernetesAdapter::Step>& steps) {
  Strings names;
  for (const auto& s : steps) names.push_back(s.name);
  return names;
}

TEST(KubernetesSteps, ReplicaRouting) {
  const auto c = KubeConfig();
  const std::string v2 = "reg/app:v2";
  using State = KubernetesAdapter::ClusterState;
  auto plan = [&](const State& s, const std::string& action, int weight = 0) {
    auto steps = KubernetesAdapter::PlanSteps(c, s, action, v2, weight);
    EXPECT_TRUE(steps.ok()) << steps.status();
    return steps.ok() ? Names(*steps) : Strings{"error"};
  };

  // Prepare: only the canary's image; it stays at 0 replicas.
  State fresh{{4, "reg/app:v1"}, {0, "reg/app:v1"}, 0};
  EXPECT_EQ(plan(fresh, "prepare"), (Strings{"kubectl set image app-canary"}));
  State prepared{{4, "reg/app:v1"}, {0, v2}, 0};
  EXPECT_TRUE(plan(prepared, "prepare").empty());
  // A canary left with replicas is emptied (after the stable one is waited for) first.
  State leftover{{3, "reg/app:v1"}, {1, "reg/app:v0"}, 0};
  EXPECT_EQ(plan(leftover, "prepare"),
            (Strings{"kubectl scale app --replicas=4", "kubectl rollout status app",
                     "kubectl scale app-canary --replicas=0", "kubectl set image app-canary"}));

  // 25% of 4 replicas: the canary grows, both are waited for, then the stable one shrinks.
  EXPECT_EQ(plan(prepared, "weight", 25),
            (Strings{"kubectl scale app-canary --replicas=1", "kubectl rollout status app",
                     "kubectl rollout status app-canary", "kubectl scale app --replicas=3"}));
  State at25{{3, "reg/app:v1"}, {1, v2}, 0};
  EXPECT_TRUE(plan(at25, "weight", 25).empty());
  EXPECT_TRUE(plan(at25, "weight", 5).empty());  // 5% of 4 replicas is one pod too
  EXPECT_EQ(plan(at25, "weight", 0),
            (Strings{"kubectl scale app --replicas=4", "kubectl rollout status app",
                     "kubectl scale app-canary --replicas=0"}));

  // Promote: the new image on the stable one, which is waited for before the canary leaves.
  EXPECT_EQ(plan(at25, "promote"),
            (Strings{"kubectl set image app", "kubectl scale app --replicas=4",
                     "kubectl rollout status app", "kubectl scale app-canary --replicas=0"}));
  State promoted{{4, v2}, {0, v2}, 0};
  EXPECT_TRUE(plan(promoted, "promote").empty());
  EXPECT_EQ(plan(at25, "rollback"),
            (Strings{"kubectl scale app --replicas=4", "kubectl rollout status app",
                     "kubectl scale app-canary --replicas=0"}));
  EXPECT_TRUE(plan(prepared, "rollback").empty());

  // No weight or promotion for a canary that does not run this release.
  auto unprepared = KubernetesAdapter::PlanSteps(c, fresh, "weight", v2, 25);
  EXPECT_EQ(unprepared.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ErrorOf(unprepared),
            "kubernetes: Deployment app-canary runs reg/app:v1, not this release's reg/app:v2; "
            "call Prepare first");
  EXPECT_FALSE(KubernetesAdapter::PlanSteps(c, fresh, "promote", v2, 100).ok());
}

TEST(KubernetesSteps, IngressRouting) {
  const auto c = KubeConfig(KubernetesAdapter::Routing::kIngress);
  const std::string v2 = "reg/app:v2";
  using State = KubernetesAdapter::ClusterState;
  auto plan = [&](const State& s, const std::string& action, int weight = 0) {
    auto steps = KubernetesAdapter::PlanSteps(c, s, action, v2, weight);
    EXPECT_TRUE(steps.ok()) << steps.status();
    return steps.ok() ? Names(*steps) : Strings{"error"};
  };
  State fresh{{4, "reg/app:v1"}, {0, "reg/app:v1"}, 0};
  EXPECT_EQ(plan(fresh, "prepare"),
            (Strings{"kubectl set image app-canary", "kubectl scale app-canary --replicas=4",
                     "kubectl rollout status app-canary"}));
  State prepared{{4, "reg/app:v1"}, {4, v2}, 0};
  EXPECT_TRUE(plan(prepared, "prepare").empty());
  EXPECT_EQ(plan(prepared, "weight", 30),
            (Strings{"kubectl rollout status app-canary",
                     "kubectl annotate ingress app-canary canary-weight=30"}));
  State at30{{4, "reg/app:v1"}, {4, v2}, 30};
  EXPECT_TRUE(plan(at30, "weight", 30).empty());
  EXPECT_EQ(plan(at30, "weight", 10),
            (Strings{"kubectl annotate ingress app-canary canary-weight=10"}));
  EXPECT_EQ(plan(at30, "promote"), (Strings{"kubectl set image app", "kubectl rollout status app",
                                            "kubectl annotate ingress app-canary canary-weight=0",
                                            "kubectl scale app-canary --replicas=0"}));
  EXPECT_EQ(plan(at30, "rollback"), (Strings{"kubectl rollout status app",
                                             "kubectl annotate ingress app-canary canary-weight=0",
                                             "kubectl scale app-canary --replicas=0"}));
  // Prepare over a canary still taking traffic takes the traffic away before anything else.
  State stale{{4, "reg/app:v1"}, {4, "reg/app:v0"}, 20};
  EXPECT_EQ(plan(stale, "prepare"),
            (Strings{"kubectl annotate ingress app-canary canary-weight=0",
                     "kubectl set image app-canary", "kubectl rollout status app-canary"}));
}

}  // namespace
}  // namespace slipway::rollout
