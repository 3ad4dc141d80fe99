#include "services/rollout/rollout.h"

#include <fmt/format.h>
#include <google/protobuf/util/time_util.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cmath>
#include <functional>
#include <nlohmann/json.hpp>

#include "libs/analysis/analysis.h"
#include "libs/audit/audit.h"
#include "libs/core/ids.h"
#include "libs/core/status.h"
#include "libs/core/text.h"
#include "libs/prometheus/prometheus.h"
#include "libs/release/environments.h"
#include "services/rollout/adapter.h"
#include "slipway/v1/deployments.pb.h"

namespace slipway::rollout {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;
using Clock = std::chrono::system_clock;
using google::protobuf::util::TimeUtil;
using release::Environment;
using release::Step;

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now().time_since_epoch())
      .count();
}

google::protobuf::Timestamp FromMs(int64_t ms) { return TimeUtil::MillisecondsToTimestamp(ms); }

// NaN and ±Inf survive JSON as text.
json ValueJson(double v) { return std::isfinite(v) ? json(v) : json(fmt::format("{}", v)); }
double ValueFrom(const json& j) {
  if (j.is_number()) return j.get<double>();
  if (j.is_string()) return std::strtod(j.get<std::string>().c_str(), nullptr);
  return NAN;
}

// The release's progress, saved in releases.state after every action.
struct State {
  bool planned = false;
  Slots slots;
  bool prepared = false;
  uint32_t step = 0;    // the strategy step in progress
  uint32_t weight = 0;  // applied
  int intent = -1;      // a weight being applied (recorded before the adapter is called)
  int64_t pause_until = 0;
  bool paused = false;            // waiting on a gate (audit written once)
  std::string inconclusive_gate;  // on_inconclusive: pause — the gate that lets it go on
  // The analysis window: measurements since the last weight change or the last decision,
  // one list per metric.
  std::vector<std::vector<analysis::Measurement>> window;
  int64_t next_measure_at = 0;
  uint32_t measured = 0;  // measurements in all
  bool rolling_back = false;
  std::string final_status;  // how the release ends once rolled back: "failed" after an error
  json cause = json::object();
  int64_t started_at = 0;
  std::string repository, branch;  // a rollback: where the restored version came from

  json ToJson() const {
    json w = json::array();
    for (const auto& metric : window) {
      json list = json::array();
      for (const auto& m : metric) {
        json values = json::array();
        for (double v : m.values) values.push_back(ValueJson(v));
        json item = {{"v", values}};
        if (!m.error.ok()) item["e"] = std::string(m.error.message());
        list.push_back(item);
      }
      w.push_back(list);
    }
    return {{"planned", planned},
            {"stable", slots.stable},
            {"canary", slots.canary},
            {"prepared", prepared},
            {"step", step},
            {"weight", weight},
            {"intent", intent},
            {"pause_until", pause_until},
            {"paused", paused},
            {"inconclusive_gate", inconclusive_gate},
            {"window", w},
            {"next_measure_at", next_measure_at},
            {"measured", measured},
            {"rolling_back", rolling_back},
            {"final_status", final_status},
            {"cause", cause},
            {"started_at", started_at},
            {"repository", repository},
            {"branch", branch}};
  }

  static State FromJson(const json& j) {
    State s;
    if (!j.is_object()) return s;
    s.planned = j.value("planned", false);
    s.slots.stable = j.value("stable", "");
    s.slots.canary = j.value("canary", "");
    s.prepared = j.value("prepared", false);
    s.step = j.value("step", 0u);
    s.weight = j.value("weight", 0u);
    s.intent = j.value("intent", -1);
    s.pause_until = j.value("pause_until", int64_t{0});
    s.paused = j.value("paused", false);
    s.inconclusive_gate = j.value("inconclusive_gate", "");
    for (const auto& metric : j.value("window", json::array())) {
      std::vector<analysis::Measurement> list;
      for (const auto& item : metric) {
        analysis::Measurement m;
        for (const auto& v : item.value("v", json::array())) m.values.push_back(ValueFrom(v));
        if (item.contains("e")) m.error = absl::UnavailableError(item["e"].get<std::string>());
        list.push_back(std::move(m));
      }
      s.window.push_back(std::move(list));
    }
    s.next_measure_at = j.value("next_measure_at", int64_t{0});
    s.measured = j.value("measured", 0u);
    s.rolling_back = j.value("rolling_back", false);
    s.final_status = j.value("final_status", "");
    s.cause = j.value("cause", json::object());
    s.started_at = j.value("started_at", int64_t{0});
    s.repository = j.value("repository", "");
    s.branch = j.value("branch", "");
    return s;
  }
};

struct Release {
  std::string id;
  std::string status;  // progressing, succeeded, rolled-back, failed
  std::string previous_version;
  std::string reason;
  State state;
  int64_t breach_at = 0, restored_at = 0, finished_at = 0;
};

json HooksJson(const ActionRecord& r) {
  json hooks = json::array();
  for (const auto& h : r.hooks)
    hooks.push_back({{"name", h.name},
                     {"exit_code", h.exit_code},
                     {"ms", h.ms},
                     {"output", HeadUtf8(h.output, 4096)}});
  return hooks;
}

// Queries with {{canary}} / {{stable}} replaced by the slots' names (escaped for PromQL).
std::string Bind(const std::string& query, const Slots& slots) {
  std::string out = ReplaceAll(query, "{{canary}}", analysis::EscapePromQlString(slots.canary));
  return ReplaceAll(out, "{{stable}}", analysis::EscapePromQlString(slots.stable));
}

class Run {
 public:
  Run(store::ConnectionPool& pool, const RolloutOptions& options, const v1::StepCommand& cmd,
      Environment env, std::unique_ptr<Adapter> adapter)
      : pool_(pool),
        options_(options),
        cmd_(cmd),
        env_(std::move(env)),
        adapter_(std::move(adapter)) {
    target_.deployment_id = cmd.deployment_id();
    target_.environment = env_.name;
    target_.version = cmd.git().commit();
    target_.branch = cmd.git().branch();
    target_.repository = cmd.repository();
    if (!cmd.rollback_to_release().empty()) {
      // A one-click rollback: the earlier version straight back, no analysis.
      kind_ = "rollback";
      env_.strategy.kind = "rollback";
      env_.strategy.steps = {{.kind = Step::Kind::kWeight, .weight = 100}};
      env_.analysis.metrics.clear();
    }
  }

  absl::StatusOr<v1::StepResult> Go() {
    // Only the command the saga waits on acts: an earlier poll still in the topic after a
    // cancel, an expiry or an approval changes nothing (its result is ignored as late).
    auto current = Current();
    if (!current.ok()) return current.status();
    if (!*current) {
      v1::StepResult r = runtime::Failed("superseded: the deployment has moved on", false);
      r.set_summary(r.error());
      return r;
    }
    if (cmd_.abort() && !Exists()) {  // nothing was released here: nothing to undo
      v1::StepResult r = runtime::Failed(
          fmt::format("{}: aborted before anything was released", env_.name), false);
      r.set_summary(r.error());
      r.mutable_release()->set_environment(env_.name);
      r.mutable_release()->set_status("rolled-back");
      return r;
    }
    if (auto st = LoadOrCreate(); !st.ok()) return st;
    if (!busy_.empty()) {
      v1::StepResult r;
      r.set_summary(fmt::format("{}: waiting for the release of deployment {} to {} to end",
                                env_.name, busy_, env_.target));
      r.set_poll_after_ms(5000);
      return r;
    }
    target_.release_id = rel_.id;
    target_.previous_version = rel_.previous_version;
    if (rel_.status == "succeeded" && cmd_.abort()) {
      // Promoted before the abort arrived: what runs now is the new version, and undoing it
      // is a rollback to the release before (slipway rollback), not an abort.
      v1::StepResult r = runtime::Failed(
          fmt::format("{}: {} was promoted before the abort and serves all traffic; `slipway "
                      "rollback` returns to the release before it",
                      env_.name, target_.version.substr(0, 12)),
          false);
      r.set_summary(r.error());
      Fill(*r.mutable_release(), "promoted before the abort");
      return r;
    }
    if (rel_.status != "progressing") return Outcome();  // a replay of a finished release
    // One replica at a time: a lease on the release, renewed by every command.
    auto leased = Lease();
    if (!leased.ok()) return leased.status();
    if (!*leased) {
      v1::StepResult r;
      r.set_summary(fmt::format("{}: another replica is acting on release {}", env_.name, rel_.id));
      r.set_poll_after_ms(1000);
      return r;
    }
    // Let go of the lease when this command is done, however it ends.
    struct Unlease {
      Run* run;
      ~Unlease() {
        (void)run->pool_.Transact([&](pqxx::work& tx) -> absl::Status {
          tx.exec_params(
              "UPDATE releases SET lease_until = NULL WHERE id = $1::uuid AND lease_owner = $2",
              run->rel_.id, run->options_.replica);
          return absl::OkStatus();
        });
      }
    } unlease{this};
    if (rel_.state.rolling_back) return RollBack(rel_.reason);
    if (cmd_.abort()) {
      rel_.state.cause = {{"reason", cmd_.reason()}, {"actor", cmd_.actor()}};
      return RollBack(cmd_.reason().empty() ? "aborted" : cmd_.reason());
    }
    const auto started = std::chrono::steady_clock::now();
    for (int guard = 0; guard < 1000; ++guard) {
      auto next = Advance();
      if (!next.ok()) return next.status();
      if (*next) return **next;
      // Long hooks: hand back to the saga rather than outlive the command's deadline.
      if (std::chrono::steady_clock::now() - started > std::chrono::seconds(20))
        return Wait("going on", NowMs());
    }
    return absl::InternalError("the release made no progress in 1000 actions");
  }

 private:
  using Answer = std::optional<v1::StepResult>;

  // Whether this command is the one the saga waits on now.
  absl::StatusOr<bool> Current() {
    bool current = false;
    auto st = pool_.Transact([&](pqxx::work& tx) -> absl::Status {
      auto r = tx.exec_params(
          "SELECT checks_polls, environment, attempt, current_step FROM deployments "
          "WHERE id = $1::uuid",
          cmd_.deployment_id());
      current = !r.empty() && r[0][0].as<uint32_t>() == cmd_.poll() &&
                r[0][1].as<std::string>() == cmd_.environment() &&
                r[0][2].as<uint32_t>() == cmd_.attempt() &&
                r[0][3].as<int>() == static_cast<int>(v1::STEP_ROLLOUT);
      return absl::OkStatus();
    });
    if (!st.ok()) return st;
    return current;
  }

  bool Exists() {
    bool exists = false;
    auto st = pool_.Transact([&](pqxx::work& tx) -> absl::Status {
      exists = !Select(tx).empty();
      return absl::OkStatus();
    });
    return !st.ok() || exists;  // when in doubt, go the long way
  }

  // Takes (or renews) the release's lease for this replica for a minute.
  absl::StatusOr<bool> Lease() {
    bool got = false;
    auto st = pool_.Transact([&](pqxx::work& tx) -> absl::Status {
      auto r = tx.exec_params(
          "UPDATE releases SET lease_owner = $2, lease_until = now() + interval '60 seconds' "
          "WHERE id = $1::uuid AND (lease_until IS NULL OR lease_until < now() OR "
          "lease_owner = $2) RETURNING id",
          rel_.id, options_.replica);
      got = !r.empty();
      return absl::OkStatus();
    });
    if (!st.ok()) return st;
    return got;
  }

  absl::Status LoadOrCreate() {
    return pool_.Transact([&](pqxx::work& tx) -> absl::Status {
      auto found = Select(tx);
      if (!found.empty()) return Read(found[0]);
      // One release at a time per target and environment.
      tx.exec_params("SELECT pg_advisory_xact_lock(hashtext($1))",
                     "slipway-release:" + env_.target + "/" + env_.name);
      // (A release whose deployment ended — its rollback given up — holds nothing.)
      auto busy = tx.exec_params(
          "SELECT r.deployment_id::text FROM releases r JOIN deployments d ON "
          "d.id = r.deployment_id WHERE r.target = $1 AND r.environment = $2 AND "
          "r.status = 'progressing' AND r.deployment_id <> $3::uuid AND d.status IN ($4, $5, $6) "
          "LIMIT 1",
          env_.target, env_.name, cmd_.deployment_id(),
          static_cast<int>(v1::DEPLOYMENT_STATUS_RUNNING),
          static_cast<int>(v1::DEPLOYMENT_STATUS_COMPENSATING),
          static_cast<int>(v1::DEPLOYMENT_STATUS_AWAITING_APPROVAL));
      if (!busy.empty()) {
        busy_ = busy[0][0].as<std::string>();
        return absl::OkStatus();
      }
      auto prev = tx.exec_params(
          "SELECT version FROM releases WHERE target = $1 AND environment = $2 AND "
          "status = 'succeeded' ORDER BY seq DESC LIMIT 1",
          env_.target, env_.name);
      std::string previous = prev.empty() ? "" : prev[0][0].as<std::string>();
      std::string version = target_.version;
      if (kind_ == "rollback") {  // the restored release's version, from its own repository
        auto to = tx.exec_params(
            "SELECT r.version, d.repository, d.branch FROM releases r JOIN deployments d ON "
            "d.id = r.deployment_id WHERE r.id = $1::uuid",
            cmd_.rollback_to_release());
        if (to.empty())
          return absl::FailedPreconditionError(
              fmt::format("release {} to return to is not recorded", cmd_.rollback_to_release()));
        previous = target_.version;
        version = to[0][0].as<std::string>();
      }
      State state;
      if (kind_ == "rollback") {
        auto to = tx.exec_params(
            "SELECT d.repository, d.branch FROM releases r JOIN deployments d ON "
            "d.id = r.deployment_id WHERE r.id = $1::uuid",
            cmd_.rollback_to_release());
        state.repository = to[0][0].as<std::string>();
        state.branch = to[0][1].as<std::string>();
      }
      state.started_at = NowMs();
      tx.exec_params(
          "INSERT INTO releases (id, deployment_id, environment, target, kind, strategy, "
          "version, previous_version, status, config, state) VALUES ($1::uuid, $2::uuid, $3, $4, "
          "$5, $6, $7, $8, 'progressing', $9, $10) ON CONFLICT DO NOTHING",
          NewUuid(), cmd_.deployment_id(), env_.name, env_.target, kind_, env_.strategy.kind,
          version, previous, env_.source.dump(), state.ToJson().dump());
      found = Select(tx);
      if (found.empty()) return absl::AbortedError("release row vanished; retry");
      if (auto st = Read(found[0]); !st.ok()) return st;
      return Audit(tx, kind_ == "rollback" ? "rollback-started" : "release-started",
                   fmt::format("{} of {} to {} ({})", env_.strategy.kind,
                               target_.version.substr(0, 12), env_.name, env_.target),
                   {{"version", target_.version},
                    {"previous_version", previous},
                    {"strategy", env_.strategy.kind},
                    {"adapter", adapter_->Kind()}});
    });
  }

  pqxx::result Select(pqxx::work& tx) {
    return tx.exec_params(
        "SELECT id::text, status, previous_version, reason, state, "
        "COALESCE(extract(epoch from breach_at) * 1000, 0)::bigint, "
        "COALESCE(extract(epoch from restored_at) * 1000, 0)::bigint, "
        "COALESCE(extract(epoch from finished_at) * 1000, 0)::bigint, version, config "
        "FROM releases WHERE deployment_id = $1::uuid AND environment = $2 AND kind = $3",
        cmd_.deployment_id(), env_.name, kind_);
  }

  absl::Status Read(const pqxx::row& r) {
    rel_.id = r[0].as<std::string>();
    rel_.status = r[1].as<std::string>();
    rel_.previous_version = r[2].as<std::string>();
    rel_.reason = r[3].as<std::string>();
    try {
      rel_.state = State::FromJson(json::parse(r[4].as<std::string>()));
    } catch (const std::exception& e) {
      return absl::DataLossError(
          fmt::format("release {}: state unreadable: {}", rel_.id, e.what()));
    }
    rel_.breach_at = r[5].as<int64_t>();
    rel_.restored_at = r[6].as<int64_t>();
    rel_.finished_at = r[7].as<int64_t>();
    target_.version = r[8].as<std::string>();
    // The configuration the release started with, whatever the orchestrator says now.
    if (auto stored = json::parse(r[9].as<std::string>(), nullptr, false);
        stored.is_object() && stored != env_.source) {
      auto env = release::EnvironmentFromJson(stored);
      if (env.ok()) {
        std::string strategy = env_.strategy.kind;
        auto steps = env_.strategy.steps;
        const bool rollback = kind_ == "rollback";
        env_ = std::move(*env);
        if (rollback) {
          env_.strategy.kind = strategy;
          env_.strategy.steps = steps;
          env_.analysis.metrics.clear();
        }
      }
    }
    if (!rel_.state.repository.empty()) {  // a rollback: the restored release's repository
      target_.repository = rel_.state.repository;
      target_.branch = rel_.state.branch;
    }
    return absl::OkStatus();
  }

  absl::Status Audit(pqxx::work& tx, const std::string& action, const std::string& reason,
                     json evidence) {
    audit::Entry e;
    e.actor = options_.actor;
    e.action = action;
    e.deployment_id = cmd_.deployment_id();
    e.release_id = rel_.id;
    e.environment = env_.name;
    e.reason = reason;
    e.evidence = std::move(evidence);
    auto rec = audit::Append(tx, e);
    return rec.ok() ? absl::OkStatus() : rec.status();
  }

  // Saves the state (and the status columns), with an audit entry when `action` is given.
  absl::Status Save(const std::string& action = "", const std::string& reason = "",
                    json evidence = json::object(),
                    const std::function<void(pqxx::work&)>& also = nullptr) {
    return pool_.Transact([&](pqxx::work& tx) -> absl::Status {
      if (also) also(tx);
      tx.exec_params(
          "UPDATE releases SET state = $2, status = $3, reason = $4, "
          "breach_at = CASE WHEN $5::bigint > 0 THEN to_timestamp($5::bigint / 1000.0) END, "
          "restored_at = CASE WHEN $6::bigint > 0 THEN to_timestamp($6::bigint / 1000.0) END, "
          "finished_at = CASE WHEN $7::bigint > 0 THEN to_timestamp($7::bigint / 1000.0) END "
          "WHERE id = $1::uuid",
          rel_.id, rel_.state.ToJson().dump(), rel_.status, rel_.reason, rel_.breach_at,
          rel_.restored_at, rel_.finished_at);
      if (action.empty()) return absl::OkStatus();
      return Audit(tx, action, reason, std::move(evidence));
    });
  }

  const std::vector<Step>& Steps() const { return env_.strategy.steps; }

  // One action, or an answer when the release must wait or is over.
  absl::StatusOr<Answer> Advance() {
    State& s = rel_.state;
    if (!s.planned) {
      auto slots = adapter_->Plan(target_);
      if (!slots.ok()) return Fail("plan", slots.status());
      s.slots = *slots;
      s.planned = true;
      if (auto st =
              Save("planned",
                   fmt::format("new version in {}, stable in {}", s.slots.canary, s.slots.stable),
                   {{"canary", s.slots.canary}, {"stable", s.slots.stable}});
          !st.ok())
        return st;
      return Answer();
    }
    if (!s.prepared) {
      auto rec = adapter_->Prepare(target_, s.slots);
      if (!rec.ok()) return Fail("prepare", rec.status());
      s.prepared = true;
      if (auto st = Save("prepared", rec->detail,
                         {{"changed", rec->changed}, {"hooks", HooksJson(*rec)}});
          !st.ok())
        return st;
      return Answer();
    }
    if (s.intent >= 0) {  // a weight was being applied when the last run stopped
      auto applied = ApplyWeight(static_cast<uint32_t>(s.intent));
      if (!applied.ok()) return applied.status();
      if (*applied) return applied;
      return Answer();
    }
    if (!s.inconclusive_gate.empty()) {  // an inconclusive analysis waits for a person
      for (const auto& g : cmd_.approved_gates())
        if (g == s.inconclusive_gate) {
          std::string gate = std::move(s.inconclusive_gate);
          s.inconclusive_gate.clear();
          ResetWindow();
          if (auto st = Save("resumed", fmt::format("{} approved", gate), {{"gate", gate}});
              !st.ok())
            return st;
          return Answer();
        }
      v1::StepResult r = Progress(fmt::format("analysis inconclusive at {}%", s.weight));
      r.set_awaiting_gate(s.inconclusive_gate);
      return Answer(r);
    }
    // Measure when a measurement is due.
    if (Measuring() && NowMs() >= s.next_measure_at) {
      auto decided = Measure();
      if (!decided.ok()) return decided.status();
      if (*decided) return decided;
    }
    if (s.step >= Steps().size()) return Promote();
    const Step& step = Steps()[s.step];
    switch (step.kind) {
      case Step::Kind::kWeight: {
        if (s.weight != step.weight) {
          s.intent = static_cast<int>(step.weight);
          if (auto st = Save(); !st.ok()) return st;
          auto applied = ApplyWeight(step.weight);
          if (!applied.ok() || *applied) return applied;
        }
        ++s.step;
        if (auto st = Save(); !st.ok()) return st;
        return Answer();
      }
      case Step::Kind::kPause: {
        if (step.until_approved) {
          std::string gate = release::GateName(s.step);
          for (const auto& g : cmd_.approved_gates())
            if (g == gate) {
              ++s.step;
              s.paused = false;
              if (auto st = Save("resumed", fmt::format("{} approved", gate), {{"gate", gate}});
                  !st.ok())
                return st;
              return Answer();
            }
          if (!s.paused) {
            s.paused = true;
            if (auto st = Save("paused", fmt::format("at {}% until approved ({})", s.weight, gate),
                               {{"gate", gate}, {"weight", s.weight}});
                !st.ok())
              return st;
          }
          v1::StepResult r = Progress(fmt::format("paused at {}% until approved", s.weight));
          r.set_awaiting_gate(gate);
          return Answer(r);
        }
        if (s.pause_until == 0) {
          s.pause_until = NowMs() + step.pause.count();
          if (auto st =
                  Save("paused",
                       fmt::format("at {}% for {}", s.weight, release::FormatDuration(step.pause)),
                       {{"weight", s.weight}, {"ms", step.pause.count()}});
              !st.ok())
            return st;
        }
        if (NowMs() >= s.pause_until) {
          s.pause_until = 0;
          ++s.step;
          if (auto st = Save(); !st.ok()) return st;
          return Answer();
        }
        return Answer(Wait(fmt::format("at {}%, paused", s.weight), s.pause_until));
      }
      case Step::Kind::kAnalysis:
        // Measure() passes the step once the window's measurements succeed.
        return Answer(Wait(fmt::format("at {}%, analysing ({} of {} measurements)", s.weight,
                                       WindowSize(), StepCount()),
                           0));
    }
    return absl::InternalError("unknown strategy step");
  }

  bool Measuring() const {
    const State& s = rel_.state;
    if (env_.analysis.prometheus.empty() || env_.analysis.metrics.empty()) return false;
    bool analysing = s.step < Steps().size() && Steps()[s.step].kind == Step::Kind::kAnalysis;
    return s.weight > 0 || analysing;
  }

  uint32_t StepCount() const {
    const State& s = rel_.state;
    if (s.step < Steps().size() && Steps()[s.step].kind == Step::Kind::kAnalysis &&
        Steps()[s.step].count > 0)
      return Steps()[s.step].count;
    return env_.analysis.count;
  }

  size_t WindowSize() const {
    size_t n = 0;
    for (const auto& metric : rel_.state.window) n = std::max(n, metric.size());
    return n;
  }

  void ResetWindow() {
    rel_.state.window.assign(env_.analysis.metrics.size(), {});
    rel_.state.next_measure_at = NowMs() + env_.analysis.interval.count();
  }

  // Applies `weight`; an answer when that failed and the release was rolled back.
  absl::StatusOr<Answer> ApplyWeight(uint32_t weight) {
    State& s = rel_.state;
    auto rec = adapter_->SetWeight(target_, s.slots, static_cast<int>(weight));
    if (!rec.ok()) return Fail("weight", rec.status());
    s.weight = weight;
    s.intent = -1;
    ResetWindow();
    if (auto st =
            Save("weight-set", fmt::format("{}% to {}: {}", weight, s.slots.canary, rec->detail),
                 {{"weight", weight}, {"changed", rec->changed}, {"hooks", HooksJson(*rec)}});
        !st.ok())
      return st;
    return Answer();
  }

  // Takes one measurement of every metric and acts on the verdict.
  absl::StatusOr<Answer> Measure() {
    State& s = rel_.state;
    if (s.window.size() != env_.analysis.metrics.size())
      s.window.assign(env_.analysis.metrics.size(), {});
    prometheus::Client client({.base_url = env_.analysis.prometheus,
                               .timeout = std::min<std::chrono::milliseconds>(
                                   env_.analysis.interval, std::chrono::milliseconds(10'000)),
                               .bearer_token = options_.prometheus_token});
    std::vector<analysis::MetricSpec> specs = env_.analysis.metrics;
    std::vector<analysis::MetricVerdict> verdicts;
    json values = json::object();
    for (size_t i = 0; i < specs.size(); ++i) {
      specs[i].count = StepCount();
      // Before it takes traffic (blue-green's first analysis) the new version has no
      // requests to judge: a metric without data passes; health checks still judge it.
      if (s.weight == 0) specs[i].no_data = analysis::NoDataPolicy::kPass;
      analysis::Measurement m = client.Measure(Bind(specs[i].query, s.slots));
      s.window[i].push_back(m);
      verdicts.push_back(analysis::Evaluate(specs[i], s.window[i]));
      values[specs[i].name] = m.error.ok()
                                  ? (m.values.empty() ? json(nullptr) : ValueJson(m.values[0]))
                                  : json(std::string(m.error.message()));
    }
    ++s.measured;
    s.next_measure_at = NowMs() + env_.analysis.interval.count();
    auto verdict = analysis::Combine(specs, verdicts);
    const bool analysing = s.step < Steps().size() && Steps()[s.step].kind == Step::Kind::kAnalysis;
    using analysis::Outcome;
    if (verdict.outcome == Outcome::kFailed || (verdict.outcome == Outcome::kInconclusive &&
                                                env_.analysis.on_inconclusive == "rollback")) {
      for (size_t i = 0; i < specs.size(); ++i) {
        if (verdicts[i].outcome != verdict.outcome) continue;
        const auto& spec = specs[i];
        rel_.state.cause = {
            {"metric", spec.name},
            {"value", ValueJson(verdicts[i].last_value)},
            {"condition",
             spec.failure
                 ? analysis::FormatCondition(*spec.failure)
                 : (spec.success ? "not " + analysis::FormatCondition(*spec.success) : "")},
            {"reason", verdicts[i].reason},
            {"outcome", std::string(analysis::OutcomeName(verdict.outcome))}};
        break;
      }
      rel_.breach_at = NowMs();
      s.rolling_back = true;
      rel_.reason = fmt::format("analysis {} at {}%: {}", analysis::OutcomeName(verdict.outcome),
                                s.weight, verdict.reason);
      if (auto st = Save("analysis", rel_.reason,
                         {{"outcome", std::string(analysis::OutcomeName(verdict.outcome))},
                          {"weight", s.weight},
                          {"values", values},
                          {"cause", s.cause}});
          !st.ok())
        return st;
      auto r = RollBack(rel_.reason);
      if (!r.ok()) return r.status();
      return Answer(*r);
    }
    if (verdict.outcome == Outcome::kInconclusive) {  // on_inconclusive: pause
      s.inconclusive_gate = fmt::format("inconclusive-{}", s.measured);
      if (auto st = Save("paused",
                         fmt::format("analysis inconclusive at {}%: {}; approve to go on", s.weight,
                                     verdict.reason),
                         {{"gate", s.inconclusive_gate}, {"values", values}});
          !st.ok())
        return st;
      return Answer();
    }
    std::string action;
    if (verdict.outcome == Outcome::kSuccessful) {
      action = "analysis";
      ResetWindow();
      if (analysing) ++s.step;
    }
    if (auto st =
            Save(action,
                 action.empty() ? "" : fmt::format("passed at {}%: {}", s.weight, verdict.reason),
                 {{"outcome", std::string(analysis::OutcomeName(verdict.outcome))},
                  {"weight", s.weight},
                  {"values", values}});
        !st.ok())
      return st;
    return Answer();
  }

  absl::StatusOr<Answer> Promote() {
    State& s = rel_.state;
    auto rec = adapter_->Promote(target_, s.slots);
    if (!rec.ok()) return Fail("promote", rec.status());
    s.weight = 100;
    rel_.status = "succeeded";
    rel_.finished_at = NowMs();
    std::function<void(pqxx::work&)> also;
    if (kind_ == "rollback") {
      // Restored: from the request to the earlier version serving everything. The release it
      // replaced counts as a failed change.
      rel_.breach_at = s.started_at;
      rel_.restored_at = rel_.finished_at;
      also = [&](pqxx::work& tx) {
        tx.exec_params(
            "UPDATE releases SET status = 'rolled-back', reason = $3 WHERE deployment_id = "
            "$1::uuid AND environment = $2 AND kind = 'release' AND status = 'succeeded'",
            cmd_.deployment_id(), env_.name,
            fmt::format("rolled back to {} by release {}", target_.version.substr(0, 12), rel_.id));
      };
    }
    if (auto st = Save(
            kind_ == "rollback" ? "rolled-back" : "promoted",
            fmt::format("{} serves all traffic in {}", target_.version.substr(0, 12), env_.name),
            {{"changed", rec->changed},
             {"hooks", HooksJson(*rec)},
             {"slot", s.slots.canary},
             {"version", target_.version}},
            also);
        !st.ok())
      return st;
    return Answer(Outcome());
  }

  // All traffic back on the stable version. A failed rollback is retried (the state says so).
  absl::StatusOr<v1::StepResult> RollBack(const std::string& reason,
                                          const std::string& final_status = "") {
    State& s = rel_.state;
    if (!final_status.empty()) s.final_status = final_status;
    if (!s.rolling_back) {
      s.rolling_back = true;
      rel_.reason = reason;
      if (rel_.breach_at == 0) rel_.breach_at = NowMs();
      if (auto st = Save(); !st.ok()) return st;
    }
    if (s.planned) {
      auto rec = adapter_->Rollback(target_, s.slots);
      if (!rec.ok()) {
        auto st = rec.status();
        return runtime::Failed(
            fmt::format("rollback in {} failed, traffic may still reach the new version: {}",
                        env_.name, std::string(st.message())),
            true);
      }
      s.weight = 0;
      rel_.restored_at = NowMs();
      rel_.status = s.final_status.empty() ? "rolled-back" : s.final_status;
      rel_.finished_at = rel_.restored_at;
      s.rolling_back = false;
      if (auto st = Save("rolled-back", reason,
                         {{"cause", s.cause},
                          {"breach_to_restored_ms", rel_.restored_at - rel_.breach_at},
                          {"changed", rec->changed},
                          {"hooks", HooksJson(*rec)}});
          !st.ok())
        return st;
    } else {
      rel_.status = s.final_status.empty() ? "rolled-back" : s.final_status;
      rel_.finished_at = rel_.restored_at = NowMs();
      s.rolling_back = false;
      if (auto st = Save("rolled-back", reason, {{"cause", s.cause}}); !st.ok()) return st;
    }
    return Outcome();
  }

  // An adapter action failed. A transient failure (a hook killed by its timeout, an API out
  // of reach) is retried by the saga, which rolls the release back when the retries run out;
  // any other failure rolls it back now and the release ends as failed.
  absl::StatusOr<Answer> Fail(const std::string& action, const absl::Status& error) {
    std::string why = fmt::format("{} failed: {}", action, std::string(error.message()));
    if (IsRetryable(error))
      return Answer(runtime::Failed(fmt::format("{}: {}", env_.name, why), true));
    rel_.state.cause = {{"action", action}, {"reason", why}};
    auto r = RollBack(why, "failed");
    if (!r.ok()) return r.status();
    return Answer(*r);
  }

  v1::StepResult Progress(const std::string& detail) {
    v1::StepResult r;
    r.set_ok(false);
    r.set_summary(fmt::format("{}: {}", env_.name, detail));
    Fill(*r.mutable_release(), detail);
    return r;
  }

  // A poll: wait until `until_ms` or the next measurement, whichever is first.
  v1::StepResult Wait(const std::string& detail, int64_t until_ms) {
    int64_t due = until_ms;
    if (Measuring() && (due == 0 || rel_.state.next_measure_at < due))
      due = rel_.state.next_measure_at;
    if (due == 0) due = NowMs() + 1000;
    v1::StepResult r = Progress(detail);
    r.set_poll_after_ms(static_cast<uint32_t>(std::clamp<int64_t>(due - NowMs(), 10, 3'600'000)));
    return r;
  }

  void Fill(v1::ReleaseOutcome& o, const std::string& detail) const {
    const State& s = rel_.state;
    o.set_release_id(rel_.id);
    o.set_environment(env_.name);
    o.set_target(env_.target);
    o.set_strategy(env_.strategy.kind);
    o.set_version(target_.version);
    o.set_previous_version(rel_.previous_version);
    const bool waiting = s.paused || !s.inconclusive_gate.empty();
    o.set_status(waiting && rel_.status == "progressing" ? "paused" : rel_.status);
    o.set_weight(s.weight);
    o.set_step(s.step);
    o.set_steps(static_cast<uint32_t>(Steps().size()));
    o.set_detail(detail);
    o.set_measurements(s.measured);
    if (s.started_at) *o.mutable_started_at() = FromMs(s.started_at);
    if (rel_.finished_at) *o.mutable_finished_at() = FromMs(rel_.finished_at);
    if (rel_.breach_at) *o.mutable_breach_at() = FromMs(rel_.breach_at);
    if (rel_.restored_at) *o.mutable_restored_at() = FromMs(rel_.restored_at);
    if (s.cause.contains("reason")) {
      auto* c = o.mutable_cause();
      c->set_metric(s.cause.value("metric", ""));
      c->set_value(s.cause.contains("value") ? ValueFrom(s.cause["value"]) : NAN);
      c->set_condition(s.cause.value("condition", ""));
      c->set_reason(s.cause.value("reason", ""));
    }
  }

  // The answer for a finished release.
  v1::StepResult Outcome() {
    v1::StepResult r;
    if (rel_.status == "succeeded") {
      r = runtime::Succeeded(fmt::format("{}: {} serves all traffic ({}, {} measurements)",
                                         env_.name, target_.version.substr(0, 12),
                                         env_.strategy.kind, rel_.state.measured));
      Fill(*r.mutable_release(), "promoted");
    } else {
      r = runtime::Failed(fmt::format("{}: {}: {}", env_.name,
                                      rel_.status == "failed" ? "release failed, traffic on the "
                                                                "stable version"
                                                              : "rolled back",
                                      rel_.reason));
      r.set_summary(r.error());
      Fill(*r.mutable_release(), rel_.reason);
    }
    return r;
  }

  store::ConnectionPool& pool_;
  const RolloutOptions& options_;
  const v1::StepCommand& cmd_;
  Environment env_;
  std::unique_ptr<Adapter> adapter_;
  ReleaseTarget target_;
  Release rel_;
  std::string busy_;              // another deployment's release holds the target
  std::string kind_ = "release";  // or "rollback": an earlier version restored
};

}  // namespace

RolloutStep::RolloutStep(store::ConnectionPool& pool, RolloutOptions options)
    : pool_(pool), options_(std::move(options)) {
  if (options_.replica.empty()) {
    char host[256] = {};
    ::gethostname(host, sizeof host - 1);
    options_.replica = fmt::format("{}:{}", host, ::getpid());
  }
}

absl::StatusOr<v1::StepResult> RolloutStep::Handle(const v1::StepCommand& command) {
  if (command.step() != v1::STEP_ROLLOUT)
    return runtime::Failed(fmt::format("the rollout service does not handle step {}",
                                       static_cast<int>(command.step())));
  json source;
  try {
    source = json::parse(command.environment_config());
  } catch (const std::exception& e) {
    return runtime::Failed(fmt::format("environment {}: configuration is not JSON: {}",
                                       command.environment(), e.what()));
  }
  auto env = release::EnvironmentFromJson(source);
  if (!env.ok()) return runtime::Failed(std::string(env.status().message()));
  if (command.git().commit().empty())
    return runtime::Failed("nothing to release: the deployment has no commit");
  auto adapter = MakeAdapter(env->adapter);
  if (!adapter.ok())
    return runtime::Failed(fmt::format("environment {}: adapter: {}", env->name,
                                       std::string(adapter.status().message())));
  Run run(pool_, options_, command, std::move(*env), std::move(*adapter));
  return run.Go();
}

}  // namespace slipway::rollout
