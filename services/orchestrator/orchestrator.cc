#include "services/orchestrator/orchestrator.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <google/protobuf/util/time_util.h>
#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>
#include <thread>

#include "libs/audit/audit.h"
#include "libs/core/ids.h"
#include "libs/core/status.h"
#include "libs/core/text.h"
#include "libs/dora/dora.h"
#include "libs/recommendation/recommendation.h"
#include "libs/runtime/step_worker.h"
#include "libs/store/artifact_store.h"

namespace slipway::orchestrator {
namespace {

using namespace std::chrono_literals;
using google::protobuf::util::TimeUtil;

constexpr char kConsumer[] = "orchestrator";
constexpr char kSource[] = "slipway-orchestrator";

// The columns every query of a deployment reads, in this order.
constexpr char kColumns[] =
    "id::text, repository, mode, status, current_step, attempt, recommendation, base_commit, "
    "branch, commit_id, artifacts::text, tests, error, failed_step, rejected_field, trace_id, "
    "extract(epoch from created_at), extract(epoch from updated_at), version, seq, usage, git, "
    "final_status, checks_polls, environment, gate, "
    "COALESCE(extract(epoch from step_deadline), 0), rollback_to";

struct Row {
  std::string id;
  std::string repository;
  v1::Mode mode = v1::MODE_UNSPECIFIED;
  v1::DeploymentStatus status = v1::DEPLOYMENT_STATUS_UNSPECIFIED;
  v1::Step step = v1::STEP_UNSPECIFIED;
  uint32_t attempt = 0;
  std::string recommendation;  // serialized
  std::string base_commit;
  std::string branch;
  std::string commit;
  nlohmann::json artifacts;
  std::string tests;  // serialized TestReport
  std::string error;
  v1::Step failed_step = v1::STEP_UNSPECIFIED;
  std::string rejected_field;
  std::string trace_id;
  double created_at = 0, updated_at = 0;
  int64_t version = 0;
  int64_t seq = 0;
  std::string usage;  // serialized ModelUsage, summed over every step result
  std::string git;    // serialized GitOutcome, merged from the git service's results
  // While COMPENSATING: how the deployment ends once compensation is done.
  v1::DeploymentStatus final_status = v1::DEPLOYMENT_STATUS_UNSPECIFIED;
  // Reads of the checks so far that found them pending; for a rollout, its commands so far.
  uint32_t checks_polls = 0;
  std::string environment;  // the environment being released to
  std::string gate;         // while AWAITING_APPROVAL: the gate waited on
  double deadline = 0;      // the step's (or the approval's) deadline, epoch seconds
  std::string rollback_to;  // a one-click rollback in progress: the release restored
};

Row ReadRow(const pqxx::row& r) {
  Row row;
  row.id = r[0].as<std::string>();
  row.repository = r[1].as<std::string>();
  row.mode = static_cast<v1::Mode>(r[2].as<int>());
  row.status = static_cast<v1::DeploymentStatus>(r[3].as<int>());
  row.step = static_cast<v1::Step>(r[4].as<int>());
  row.attempt = r[5].as<uint32_t>();
  row.recommendation = pqxx::binarystring(r[6]).str();
  row.base_commit = r[7].as<std::string>();
  row.branch = r[8].as<std::string>();
  row.commit = r[9].as<std::string>();
  row.artifacts = nlohmann::json::parse(r[10].as<std::string>());
  if (!r[11].is_null()) row.tests = pqxx::binarystring(r[11]).str();
  row.error = r[12].as<std::string>();
  row.failed_step = static_cast<v1::Step>(r[13].as<int>());
  row.rejected_field = r[14].as<std::string>();
  row.trace_id = r[15].as<std::string>();
  row.created_at = r[16].as<double>();
  row.updated_at = r[17].as<double>();
  row.version = r[18].as<int64_t>();
  row.seq = r[19].as<int64_t>();
  if (!r[20].is_null()) row.usage = pqxx::binarystring(r[20]).str();
  if (!r[21].is_null()) row.git = pqxx::binarystring(r[21]).str();
  row.final_status = static_cast<v1::DeploymentStatus>(r[22].as<int>());
  row.checks_polls = r[23].as<uint32_t>();
  row.environment = r[24].as<std::string>();
  row.gate = r[25].as<std::string>();
  row.deadline = r[26].as<double>();
  row.rollback_to = r[27].as<std::string>();
  return row;
}

std::optional<Row> Load(pqxx::work& tx, const std::string& id, bool for_update) {
  auto r = tx.exec_params(fmt::format("SELECT {} FROM deployments WHERE id = $1::uuid{}", kColumns,
                                      for_update ? " FOR UPDATE" : ""),
                          id);
  if (r.empty()) return std::nullopt;
  return ReadRow(r[0]);
}

google::protobuf::Timestamp FromEpoch(double seconds) {
  return TimeUtil::NanosecondsToTimestamp(static_cast<int64_t>(seconds * 1e9));
}

const release::Environment* FindEnvironment(const SagaConfig& config, const std::string& name) {
  for (const auto& env : config.environments)
    if (env.name == name) return &env;
  return nullptr;
}

// Approvals a gate needs: the environment's count, and at least one for a pause.
uint32_t Required(const release::Environment& env) {
  return std::max<uint32_t>(1, env.approval.required);
}

// Who approved `gate` of the deployment's environment, oldest first (only approvers that the
// environment names, when it names any).
std::vector<std::string> ApprovedBy(pqxx::work& tx, const Row& row, const release::Environment& env,
                                    const std::string& gate) {
  auto r = tx.exec_params(
      "SELECT approver FROM approvals WHERE deployment_id = $1::uuid AND environment = $2 AND "
      "gate = $3 ORDER BY approved_at, approver",
      row.id, env.name, gate);
  std::vector<std::string> out;
  for (const auto& a : r) {
    std::string who = a[0].as<std::string>();
    const auto& allowed = env.approval.approvers;
    if (allowed.empty() || std::find(allowed.begin(), allowed.end(), who) != allowed.end())
      out.push_back(who);
  }
  return out;
}

bool GateApproved(pqxx::work& tx, const Row& row, const release::Environment& env,
                  const std::string& gate) {
  return ApprovedBy(tx, row, env, gate).size() >= Required(env);
}

v1::Deployment ToProto(pqxx::work& tx, const Row& row, const SagaConfig& config) {
  v1::Deployment d;
  d.set_id(row.id);
  d.mutable_recommendation()->ParseFromString(row.recommendation);
  d.set_repository(row.repository);
  d.set_mode(row.mode);
  d.set_status(row.status);
  d.set_current_step(row.step);
  d.set_error(row.error);
  d.set_failed_step(row.failed_step);
  d.set_base_commit(row.base_commit);
  d.set_branch(row.branch);
  d.set_commit(row.commit);
  if (!row.tests.empty()) d.mutable_tests()->ParseFromString(row.tests);
  if (!row.usage.empty()) d.mutable_usage()->ParseFromString(row.usage);
  if (!row.git.empty()) d.mutable_git()->ParseFromString(row.git);
  for (auto it = row.artifacts.begin(); it != row.artifacts.end(); ++it)
    (*d.mutable_artifacts())[it.key()] = it.value().get<std::string>();
  *d.mutable_created_at() = FromEpoch(row.created_at);
  *d.mutable_updated_at() = FromEpoch(row.updated_at);
  d.set_trace_id(row.trace_id);
  d.set_rejected_field(row.rejected_field);
  auto steps = tx.exec_params(
      "SELECT step, status, attempt, extract(epoch from started_at), "
      "extract(epoch from finished_at), duration_ms, handler_ms, summary, error, worker, "
      "environment FROM deployment_steps WHERE deployment_id = $1::uuid "
      "ORDER BY started_at, step, attempt",
      row.id);
  for (const auto& s : steps) {
    auto* rec = d.add_steps();
    rec->set_step(static_cast<v1::Step>(s[0].as<int>()));
    rec->set_status(s[1].as<std::string>());
    rec->set_attempt(s[2].as<uint32_t>());
    *rec->mutable_started_at() = FromEpoch(s[3].as<double>());
    if (!s[4].is_null()) *rec->mutable_finished_at() = FromEpoch(s[4].as<double>());
    if (!s[5].is_null()) rec->set_duration_ms(s[5].as<double>());
    if (!s[6].is_null()) rec->set_handler_ms(s[6].as<double>());
    rec->set_summary(s[7].as<std::string>());
    rec->set_error(s[8].as<std::string>());
    rec->set_worker(s[9].as<std::string>());
    rec->set_environment(s[10].as<std::string>());
  }
  d.set_environment(row.environment);
  auto releases = tx.exec_params(
      "SELECT id::text, environment, target, strategy, version, previous_version, status, "
      "state, reason, extract(epoch from created_at), "
      "COALESCE(extract(epoch from finished_at), 0), COALESCE(extract(epoch from breach_at), 0), "
      "COALESCE(extract(epoch from restored_at), 0), kind "
      "FROM releases WHERE deployment_id = $1::uuid ORDER BY seq",
      row.id);
  for (const auto& r : releases) {
    auto* o = d.add_releases();
    o->set_release_id(r[0].as<std::string>());
    o->set_environment(r[1].as<std::string>());
    o->set_target(r[2].as<std::string>());
    o->set_strategy(r[13].as<std::string>() == "rollback" ? "rollback" : r[3].as<std::string>());
    o->set_version(r[4].as<std::string>());
    o->set_previous_version(r[5].as<std::string>());
    o->set_status(r[6].as<std::string>());
    o->set_detail(r[8].as<std::string>());
    *o->mutable_started_at() = FromEpoch(r[9].as<double>());
    if (r[10].as<double>() > 0) *o->mutable_finished_at() = FromEpoch(r[10].as<double>());
    if (r[11].as<double>() > 0) *o->mutable_breach_at() = FromEpoch(r[11].as<double>());
    if (r[12].as<double>() > 0) *o->mutable_restored_at() = FromEpoch(r[12].as<double>());
    auto state = nlohmann::json::parse(r[7].as<std::string>(), nullptr, false);
    if (state.is_object()) {
      o->set_weight(state.value("weight", 0u));
      o->set_step(state.value("step", 0u));
      o->set_measurements(state.value("measured", 0u));
      if (state.value("paused", false) && o->status() == "progressing") o->set_status("paused");
      auto cause = state.value("cause", nlohmann::json::object());
      if (cause.is_object() && cause.contains("reason")) {
        auto* c = o->mutable_cause();
        c->set_metric(cause.value("metric", ""));
        const auto& v = cause.contains("value") ? cause["value"] : nlohmann::json();
        c->set_value(v.is_number() ? v.get<double>() : std::nan(""));
        c->set_condition(cause.value("condition", ""));
        c->set_reason(cause.value("reason", ""));
      }
    }
    if (const auto* env = FindEnvironment(config, o->environment()))
      o->set_steps(static_cast<uint32_t>(env->strategy.steps.size()));
  }
  if (row.status == v1::DEPLOYMENT_STATUS_AWAITING_APPROVAL) {
    auto* a = d.mutable_approval();
    a->set_environment(row.environment);
    a->set_gate(row.gate);
    if (const auto* env = FindEnvironment(config, row.environment)) {
      a->set_required(Required(*env));
      for (const auto& who : env->approval.approvers) a->add_approvers(who);
      for (const auto& who : ApprovedBy(tx, row, *env, row.gate)) a->add_approved_by(who);
    }
    if (row.deadline > 0) *a->mutable_expires_at() = FromEpoch(row.deadline);
  }
  return d;
}

void Touch(pqxx::work& tx, const std::string& id) {
  tx.exec_params(
      "UPDATE deployments SET version = version + 1, updated_at = now() WHERE id = $1::uuid", id);
}

// Publishes a small DeploymentUpdate on slipway.events.v1 for dashboards and other watchers.
void AnnounceUpdate(pqxx::work& tx, const Row& row, v1::DeploymentStatus status, v1::Step step,
                    const std::string& kind, const std::string& error) {
  v1::DeploymentUpdate update;
  update.set_kind(kind);
  auto* d = update.mutable_deployment();
  d->set_id(row.id);
  d->set_repository(row.repository);
  d->set_mode(row.mode);
  d->set_status(status);
  d->set_current_step(step);
  d->set_error(error);
  d->set_trace_id(row.trace_id);
  bus::Message m;
  m.topic = bus::kEventsTopic;
  m.key = row.id;
  m.payload = update.SerializeAsString();
  m.headers = bus::CloudEventHeaders(NewUuid(), bus::kTypeDeploymentUpdated, kSource,
                                     bus::MakeTraceparent(row.trace_id, NewSpanId()));
  store::EnqueueOutbox(tx, m);
}

}  // namespace

Orchestrator::Orchestrator(store::ConnectionPool& pool, store::OutboxRelay& relay,
                           SagaConfig config)
    : pool_(pool), relay_(relay), config_(std::move(config)) {}

namespace {

// The id of the command the saga waits on for `step` / `attempt`: "<id>/<step>/<attempt>", and
// for a later read of the checks "/p<poll>" after it.
// A rollout's is "<id>/rollout-<environment>/<attempt>", with "/p<n>" for its later commands.
std::string CommandId(const Row& row, v1::Step step, uint32_t attempt) {
  std::string name = StepName(step);
  if (step == v1::STEP_ROLLOUT) name += "-" + row.environment;
  std::string id = fmt::format("{}/{}/{}", row.id, name, attempt);
  if ((step == v1::STEP_CHECKS || step == v1::STEP_ROLLOUT) && row.checks_polls > 0)
    id += fmt::format("/p{}", row.checks_polls);
  return id;
}

// The environment column of `step`'s records: the rollout's environment, else "".
std::string StepEnvironment(const Row& row, v1::Step step) {
  return step == v1::STEP_ROLLOUT ? row.environment : "";
}

// Queues the command for `step` (attempt `attempt`) after `delay`, and records the attempt.
void Dispatch(pqxx::work& tx, const Row& row, const SagaConfig& config, v1::Step step,
              uint32_t attempt, std::chrono::milliseconds delay,
              v1::DeploymentStatus status = v1::DEPLOYMENT_STATUS_RUNNING,
              const std::string& reason = "") {
  v1::StepCommand cmd;
  cmd.set_command_id(CommandId(row, step, attempt));
  cmd.set_deployment_id(row.id);
  cmd.set_step(step);
  cmd.set_attempt(attempt);
  cmd.mutable_recommendation()->ParseFromString(row.recommendation);
  // Proposed files can be large: they travel by digest (artifact "recommendation").
  for (auto& f : *cmd.mutable_recommendation()->mutable_proposed_files()) f.clear_content();
  cmd.set_repository(row.repository);
  cmd.set_base_commit(row.base_commit);
  cmd.set_mode(row.mode);
  cmd.set_trace_id(row.trace_id);
  cmd.set_reason(reason);
  for (auto it = row.artifacts.begin(); it != row.artifacts.end(); ++it)
    (*cmd.mutable_artifacts())[it.key()] = it.value().get<std::string>();
  if (!row.git.empty()) cmd.mutable_git()->ParseFromString(row.git);
  if (step == v1::STEP_ROLLOUT) {
    cmd.set_environment(row.environment);
    if (const auto* env = FindEnvironment(config, row.environment)) {
      cmd.set_environment_config(env->source.dump());
      auto gates = tx.exec_params(
          "SELECT DISTINCT gate FROM approvals WHERE deployment_id = $1::uuid AND "
          "environment = $2 ORDER BY gate",
          row.id, row.environment);
      for (const auto& g : gates)
        if (GateApproved(tx, row, *env, g[0].as<std::string>()))
          cmd.add_approved_gates(g[0].as<std::string>());
    }
    cmd.set_poll(row.checks_polls);
    // While COMPENSATING, the release is rolled back (cancelled, expired, or asked to).
    cmd.set_abort(status == v1::DEPLOYMENT_STATUS_COMPENSATING);
    cmd.set_rollback_to_release(row.rollback_to);
    cmd.set_actor("slipway-orchestrator");
  }
  if (step == v1::STEP_CHECKS) {
    // The wait for the checks started with the first read, retries and polls included.
    auto first = tx.exec_params(
        "SELECT extract(epoch from COALESCE(min(started_at), now())) FROM deployment_steps "
        "WHERE deployment_id = $1::uuid AND step = $2",
        row.id, static_cast<int>(step));
    *cmd.mutable_checks_started() =
        TimeUtil::NanosecondsToTimestamp(static_cast<int64_t>(first[0][0].as<double>() * 1e9));
    cmd.set_poll(row.checks_polls);
  }
  if (step == v1::STEP_GIT) {
    // The pull request describes every step: the last successful attempt of each.
    auto done = tx.exec_params(
        "SELECT step, attempt, COALESCE(duration_ms, 0), summary FROM deployment_steps "
        "WHERE deployment_id = $1::uuid AND status = 'succeeded' ORDER BY started_at, step",
        row.id);
    for (const auto& r : done) {
      auto* p = cmd.add_previous();
      p->set_step(static_cast<v1::Step>(r[0].as<int>()));
      p->set_attempt(r[1].as<uint32_t>());
      p->set_duration_ms(r[2].as<double>());
      p->set_summary(r[3].as<std::string>());
    }
  }
  auto timeout = TimeoutFor(config, step);
  *cmd.mutable_deadline() = TimeUtil::MillisecondsToTimestamp(
      std::chrono::duration_cast<std::chrono::milliseconds>(
          (std::chrono::system_clock::now() + delay + timeout).time_since_epoch())
          .count());
  bus::Message m;
  m.topic = bus::CommandTopic(ServiceFor(step));
  m.key = row.id;
  m.payload = cmd.SerializeAsString();
  m.headers = bus::CloudEventHeaders(cmd.command_id(), bus::kTypeStepCommand, kSource,
                                     bus::MakeTraceparent(row.trace_id, NewSpanId()));
  store::EnqueueOutbox(tx, m, delay);
  double delay_s = static_cast<double>(delay.count()) / 1000.0;
  double timeout_s = static_cast<double>(timeout.count()) / 1000.0;
  tx.exec_params(
      "INSERT INTO deployment_steps (deployment_id, step, attempt, status, started_at, "
      "environment) VALUES ($1::uuid, $2, $3, 'running', now() + make_interval(secs => $4), $5) "
      "ON CONFLICT DO NOTHING",
      row.id, static_cast<int>(step), attempt, delay_s, StepEnvironment(row, step));
  tx.exec_params(
      "UPDATE deployments SET status = $2, current_step = $3, attempt = $4, "
      "step_started_at = now() + make_interval(secs => $5), "
      "step_deadline = now() + make_interval(secs => $6) WHERE id = $1::uuid",
      row.id, static_cast<int>(status), static_cast<int>(step), attempt, delay_s,
      delay_s + timeout_s);
  Touch(tx, row.id);
  const bool poll = (step == v1::STEP_CHECKS || step == v1::STEP_ROLLOUT) && row.checks_polls > 0;
  AnnounceUpdate(tx, row, status, step,
                 poll ? (step == v1::STEP_CHECKS ? "checks-polled" : "rollout-polled")
                      : (attempt > 1 ? "step-retried" : "step-started"),
                 status == v1::DEPLOYMENT_STATUS_COMPENSATING ? reason : "");
}

// Starts the oldest queued deployment of `repository`, if any and if none is running.
void ReleaseQueue(pqxx::work& tx, const std::string& repository, const SagaConfig& config) {
  // A deployment waiting for approval holds its repository too: its release is not over.
  auto running = tx.exec_params(
      "SELECT 1 FROM deployments WHERE repository = $1 AND status IN ($2, $3, $4) LIMIT 1",
      repository, static_cast<int>(v1::DEPLOYMENT_STATUS_RUNNING),
      static_cast<int>(v1::DEPLOYMENT_STATUS_COMPENSATING),
      static_cast<int>(v1::DEPLOYMENT_STATUS_AWAITING_APPROVAL));
  if (!running.empty()) return;
  auto next =
      tx.exec_params(fmt::format("SELECT {} FROM deployments WHERE repository = $1 AND status = $2 "
                                 "ORDER BY seq LIMIT 1 FOR UPDATE",
                                 kColumns),
                     repository, static_cast<int>(v1::DEPLOYMENT_STATUS_QUEUED));
  if (next.empty()) return;
  Row row = ReadRow(next[0]);
  Dispatch(tx, row, config, v1::STEP_SAFETY_PRE, 1, 0ms);
}

void LockRepository(pqxx::work& tx, const std::string& repository) {
  tx.exec_params("SELECT pg_advisory_xact_lock(hashtext($1))", repository);
}

// Commands not yet published (a retry waiting for its backoff) must not run any more.
void DropQueuedCommands(pqxx::work& tx, const Row& row) {
  tx.exec_params(
      "DELETE FROM outbox WHERE key = $1 AND published_at IS NULL AND topic LIKE "
      "'slipway.commands.%'",
      row.id);
}

void Finish(pqxx::work& tx, const Row& row, v1::DeploymentStatus status, v1::Step failed_step,
            const std::string& error, const SagaConfig& config) {
  DropQueuedCommands(tx, row);
  tx.exec_params(
      "UPDATE deployments SET status = $2, failed_step = $3, error = $4, finished_at = now(), "
      "step_deadline = NULL WHERE id = $1::uuid",
      row.id, static_cast<int>(status), static_cast<int>(failed_step), error);
  Touch(tx, row.id);
  AnnounceUpdate(tx, row, status, row.step, "finished", error);
  LockRepository(tx, row.repository);
  ReleaseQueue(tx, row.repository, config);
}

// Ends a deployment that failed or was cancelled (`status`). A full-pr deployment that got as
// far as the git step may have pushed a branch and opened a pull request: it becomes
// COMPENSATING and the git service undoes them first (STEP_COMPENSATE); the result of that
// step finishes it with `status`.
void AbortRelease(pqxx::work& tx, Row& row, const SagaConfig& config, v1::DeploymentStatus status,
                  const std::string& error);

void FailOrCompensate(pqxx::work& tx, const Row& row, v1::DeploymentStatus status,
                      v1::Step failed_step, const std::string& error, const SagaConfig& config) {
  if (row.step == v1::STEP_ROLLOUT && row.status == v1::DEPLOYMENT_STATUS_RUNNING) {
    // The release may have moved traffic: it is rolled back before the deployment ends.
    Row copy = row;
    AbortRelease(tx, copy, config, status, error);
    return;
  }
  if (!NeedsCompensation(row.mode, row.step)) {
    Finish(tx, row, status, failed_step, error, config);
    return;
  }
  DropQueuedCommands(tx, row);
  tx.exec_params(
      "UPDATE deployments SET final_status = $2, failed_step = $3, error = $4 WHERE id = $1::uuid",
      row.id, static_cast<int>(status), static_cast<int>(failed_step), error);
  Dispatch(tx, row, config, v1::STEP_COMPENSATE, 1, std::chrono::milliseconds(0),
           v1::DEPLOYMENT_STATUS_COMPENSATING, error);
}

absl::Status AuditEntry(pqxx::work& tx, const Row& row, const std::string& actor,
                        const std::string& action, const std::string& reason,
                        nlohmann::json evidence = nlohmann::json::object()) {
  audit::Entry e;
  e.actor = actor;
  e.action = action;
  e.deployment_id = row.id;
  e.environment = row.environment;
  e.reason = reason;
  e.evidence = std::move(evidence);
  auto r = audit::Append(tx, e);
  return r.ok() ? absl::OkStatus() : r.status();
}

// The deployment waits for approval of `gate` in its environment until the approval times out.
absl::Status AwaitApproval(pqxx::work& tx, Row& row, const release::Environment& env,
                           const std::string& gate) {
  row.gate = gate;
  row.status = v1::DEPLOYMENT_STATUS_AWAITING_APPROVAL;
  tx.exec_params(
      "UPDATE deployments SET status = $2, current_step = $3, gate = $4, "
      "step_deadline = now() + make_interval(secs => $5) WHERE id = $1::uuid",
      row.id, static_cast<int>(row.status), static_cast<int>(v1::STEP_ROLLOUT), gate,
      static_cast<double>(env.approval.timeout.count()) / 1000.0);
  Touch(tx, row.id);
  std::string what = gate.empty() ? fmt::format("release to {}", env.name)
                                  : fmt::format("{} of the release to {}", gate, env.name);
  AnnounceUpdate(tx, row, row.status, v1::STEP_ROLLOUT, "approval-requested", "");
  nlohmann::json approvers = env.approval.approvers;
  return AuditEntry(tx, row, kSource, "approval-requested",
                    fmt::format("{} needs {} approval(s) within {}", what, Required(env),
                                release::FormatDuration(env.approval.timeout)),
                    {{"gate", gate},
                     {"required", Required(env)},
                     {"approvers", approvers},
                     {"timeout_ms", env.approval.timeout.count()}});
}

// Starts the release to environment `index`: at once when it deploys on its own or is
// approved already, else it waits for approval.
absl::Status EnterEnvironment(pqxx::work& tx, Row& row, const SagaConfig& config, size_t index) {
  const release::Environment& env = config.environments[index];
  row.environment = env.name;
  row.checks_polls = 0;
  row.gate.clear();
  tx.exec_params(
      "UPDATE deployments SET environment = $2, gate = '', checks_polls = 0 WHERE id = $1::uuid",
      row.id, env.name);
  if (env.auto_deploy || GateApproved(tx, row, env, "")) {
    Dispatch(tx, row, config, v1::STEP_ROLLOUT, 1, std::chrono::milliseconds(0));
    return absl::OkStatus();
  }
  return AwaitApproval(tx, row, env, "");
}

size_t EnvironmentIndex(const SagaConfig& config, const std::string& name) {
  for (size_t i = 0; i < config.environments.size(); ++i)
    if (config.environments[i].name == name) return i;
  return config.environments.size();
}

// Rolls back the release in progress (its traffic goes back to the stable version), then the
// deployment ends as `status`.
void AbortRelease(pqxx::work& tx, Row& row, const SagaConfig& config, v1::DeploymentStatus status,
                  const std::string& error) {
  DropQueuedCommands(tx, row);
  tx.exec_params(
      "UPDATE deployment_steps SET status = 'cancelled', finished_at = now() "
      "WHERE deployment_id = $1::uuid AND status = 'running'",
      row.id);
  tx.exec_params(
      "UPDATE deployments SET final_status = $2, failed_step = $3, error = $4, gate = '', "
      "checks_polls = checks_polls + 1 WHERE id = $1::uuid",
      row.id, static_cast<int>(status), static_cast<int>(v1::STEP_ROLLOUT), error);
  row.final_status = status;
  row.error = error;
  ++row.checks_polls;
  const uint32_t attempt = std::max<uint32_t>(row.attempt, 1);
  Dispatch(tx, row, config, v1::STEP_ROLLOUT, attempt, std::chrono::milliseconds(0),
           v1::DEPLOYMENT_STATUS_COMPENSATING, error);
  // The same attempt's record shows the rollback (it was just marked cancelled).
  tx.exec_params(
      "UPDATE deployment_steps SET status = 'running', finished_at = NULL, "
      "summary = 'rolling back: ' || $4 WHERE deployment_id = $1::uuid AND step = $2 AND "
      "attempt = $3 AND environment = $5",
      row.id, static_cast<int>(v1::STEP_ROLLOUT), attempt, HeadUtf8(error, 300), row.environment);
}

// True when traffic of the deployment's release may be on the new version: a rollout command
// ran, or the deployment waits at a pause inside it.
bool ReleaseInProgress(const Row& row) {
  if (row.step != v1::STEP_ROLLOUT) return false;
  if (row.status == v1::DEPLOYMENT_STATUS_RUNNING) return true;
  return row.status == v1::DEPLOYMENT_STATUS_AWAITING_APPROVAL && !row.gate.empty();
}

// The deployment an earlier submission with `request_id` created.
absl::Status SameRequest(pqxx::work& tx, const std::string& request_id, std::string& id) {
  auto r = tx.exec_params("SELECT id::text FROM deployments WHERE request_id = $1", request_id);
  if (r.empty()) return absl::AbortedError("request id conflict without a row; retry");
  id = r[0][0].as<std::string>();
  return absl::OkStatus();
}

absl::Status NotAnId(const std::string& id) {
  return absl::InvalidArgumentError(
      fmt::format("'{}' is not a deployment id (expected a UUID)", id.substr(0, 64)));
}

// How a COMPENSATING deployment ends.
v1::DeploymentStatus FinalStatus(const Row& row) {
  switch (row.final_status) {
    case v1::DEPLOYMENT_STATUS_CANCELLED:
    case v1::DEPLOYMENT_STATUS_ROLLED_BACK:
    case v1::DEPLOYMENT_STATUS_EXPIRED:
      return row.final_status;
    default:
      return v1::DEPLOYMENT_STATUS_FAILED;
  }
}

// `stored` (a serialized GitOutcome) updated with what a git service result reports: each part
// the result carries replaces the stored one (a retried step reports its parts whole).
std::string MergeGit(const std::string& stored, const v1::GitOutcome& update) {
  v1::GitOutcome git;
  if (!stored.empty()) git.ParseFromString(stored);
  if (!update.commit().empty()) {  // the git step's own report
    git.set_branch(update.branch());
    git.set_commit(update.commit());
    git.set_created(update.created());
  }
  if (update.pushed()) {
    git.set_pushed(true);
    git.set_remote(update.remote());
  }
  if (update.has_pull_request()) *git.mutable_pull_request() = update.pull_request();
  if (update.has_checks()) *git.mutable_checks() = update.checks();
  if (update.has_compensation()) *git.mutable_compensation() = update.compensation();
  return git.SerializeAsString();
}

std::string Truncated(const std::string& s, size_t max) {
  if (s.size() <= max) return s;
  size_t cut = max;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  return s.substr(0, cut) + fmt::format("… ({} bytes in all)", s.size());
}

}  // namespace

absl::StatusOr<v1::Deployment> Orchestrator::Submit(const v1::SubmitRequest& request) {
  recommendation::Limits limits;
  v1::Recommendation rec;
  absl::Status invalid = absl::OkStatus();
  if (!request.recommendation_json().empty()) {
    auto parsed = recommendation::ParseJson(request.recommendation_json(), limits);
    if (parsed.ok())
      rec = std::move(*parsed);
    else
      invalid = parsed.status();
  } else {
    rec = request.recommendation();
  }
  if (invalid.ok()) invalid = recommendation::Validate(rec, limits);
  std::string repository = request.repository().empty() ? rec.target().url() : request.repository();
  v1::Mode mode = request.mode() != v1::MODE_UNSPECIFIED ? request.mode() : rec.mode();
  if (mode == v1::MODE_UNSPECIFIED) mode = v1::MODE_LOCAL_COMMIT;
  if (invalid.ok() && repository.empty())
    invalid = recommendation::InvalidFieldError(
        "target.url", "target.url: required (the repository to change; or pass --repo)");
  if (invalid.ok() && !v1::Mode_IsValid(mode))
    invalid = recommendation::InvalidFieldError(
        "mode", fmt::format("mode: unknown value {}", static_cast<int>(mode)));
  if (!v1::Mode_IsValid(mode)) mode = v1::MODE_UNSPECIFIED;

  if (!invalid.ok()) {
    // Keep what a person needs to see the rejection, not a 10 MiB payload.
    rec.set_title(Truncated(rec.title(), 1024));
    rec.set_description(Truncated(rec.description(), 4096));
    rec.clear_proposed_files();
  }

  std::string id = NewUuid();
  std::string trace_id = NewTraceId();
  absl::Status st = pool_.Transact([&](pqxx::work& tx) -> absl::Status {
    if (!request.request_id().empty()) {
      auto existing = tx.exec_params("SELECT id::text FROM deployments WHERE request_id = $1",
                                     request.request_id());
      if (!existing.empty()) {
        id = existing[0][0].as<std::string>();
        return absl::OkStatus();
      }
    }
    std::string rec_bytes = rec.SerializeAsString();
    std::optional<std::string> request_id;
    if (!request.request_id().empty()) request_id = request.request_id();
    if (!invalid.ok()) {
      auto inserted = tx.exec_params(
          "INSERT INTO deployments (id, request_id, repository, mode, status, recommendation, "
          "error, rejected_field, trace_id, finished_at) "
          "VALUES ($1::uuid, $2, $3, $4, $5, $6, $7, $8, $9, now()) "
          "ON CONFLICT (request_id) DO NOTHING",
          id, request_id, repository, static_cast<int>(mode),
          static_cast<int>(v1::DEPLOYMENT_STATUS_REJECTED), pqxx::binarystring(rec_bytes),
          std::string(invalid.message()), recommendation::FieldOf(invalid), trace_id);
      if (inserted.affected_rows() == 0) return SameRequest(tx, request.request_id(), id);
      return absl::OkStatus();
    }
    nlohmann::json artifacts = {
        {"recommendation",
         store::PutArtifact(tx, rec_bytes,
                            "application/protobuf; type=slipway.v1.Recommendation")}};
    LockRepository(tx, repository);
    auto inserted = tx.exec_params(
        "INSERT INTO deployments (id, request_id, repository, mode, status, recommendation, "
        "artifacts, trace_id) VALUES ($1::uuid, $2, $3, $4, $5, $6, $7::jsonb, $8) "
        "ON CONFLICT (request_id) DO NOTHING",
        id, request_id, repository, static_cast<int>(mode),
        static_cast<int>(v1::DEPLOYMENT_STATUS_QUEUED), pqxx::binarystring(rec_bytes),
        artifacts.dump(), trace_id);
    // A concurrent submission with the same request id won: answer with its deployment.
    if (inserted.affected_rows() == 0) return SameRequest(tx, request.request_id(), id);
    ReleaseQueue(tx, repository, config_);
    return absl::OkStatus();
  });
  if (!st.ok()) return st;
  relay_.Wake();
  if (!invalid.ok())
    spdlog::info("deployment {} rejected: {}", id, std::string(invalid.message()));
  else
    spdlog::info("deployment {} submitted for {}", id, repository);
  return Get(id);
}

absl::Status Orchestrator::OnRecommendation(const bus::Message& message) {
  v1::SubmitRequest request;
  std::string content_type = message.Header("content-type").value_or("application/json");
  if (content_type.find("json") != std::string::npos) {
    request.set_recommendation_json(message.payload);
  } else if (!request.mutable_recommendation()->ParseFromString(message.payload)) {
    request.set_recommendation_json(message.payload);  // let the JSON parser name the problem
  }
  request.set_request_id("kafka:" +
                         message.Header("ce_id").value_or(fmt::format(
                             "{}/{}/{}", message.topic, message.partition, message.offset)));
  auto d = Submit(request);
  if (!d.ok()) return d.status();
  if (d->status() == v1::DEPLOYMENT_STATUS_REJECTED)
    return absl::InvalidArgumentError(fmt::format("recommendation rejected (deployment {}): {}",
                                                  d->id(), std::string(d->error())));
  return absl::OkStatus();
}

absl::Status Orchestrator::OnEvent(const bus::Message& message) {
  if (message.Header("ce_type").value_or("") != bus::kTypeStepResult) return absl::OkStatus();
  v1::StepResult result;
  if (!result.ParseFromString(message.payload) || !IsUuid(result.deployment_id()))
    return absl::InvalidArgumentError("payload is not a slipway.v1.StepResult");
  std::string event_id = message.Header("ce_id").value_or("result:" + result.command_id());
  absl::Status st = pool_.Transact([&](pqxx::work& tx) -> absl::Status {
    if (!store::RecordInbox(tx, kConsumer, event_id)) return absl::OkStatus();
    auto loaded = Load(tx, result.deployment_id(), true);
    if (!loaded) {
      spdlog::warn("result for unknown deployment {}", result.deployment_id());
      return absl::OkStatus();
    }
    Row row = std::move(*loaded);
    const bool polled = result.step() == v1::STEP_CHECKS || result.step() == v1::STEP_ROLLOUT;
    const bool poll_again =
        polled && (result.poll_after_ms() > 0 || !result.awaiting_gate().empty());
    if (row.step == result.step() && row.attempt == result.attempt() &&
        result.command_id() != CommandId(row, row.step, row.attempt)) {
      spdlog::info("deployment {}: late result {} ignored", row.id, result.command_id());
      return absl::OkStatus();
    }
    if (poll_again) {
      // Not decided yet: the step stays running; its summary says what the checks (or the
      // release) are doing.
      if (row.status == v1::DEPLOYMENT_STATUS_RUNNING && row.step == result.step() &&
          row.attempt == result.attempt()) {
        tx.exec_params(
            "UPDATE deployment_steps SET summary = $4 WHERE deployment_id = $1::uuid AND "
            "step = $2 AND attempt = $3 AND environment = $5",
            row.id, static_cast<int>(result.step()), result.attempt(), result.summary(),
            StepEnvironment(row, row.step));
        if (result.has_git()) {
          row.git = MergeGit(row.git, result.git());
          tx.exec_params("UPDATE deployments SET git = $2 WHERE id = $1::uuid", row.id,
                         pqxx::binarystring(row.git));
        }
        ++row.checks_polls;
        tx.exec_params("UPDATE deployments SET checks_polls = $2 WHERE id = $1::uuid", row.id,
                       static_cast<int>(row.checks_polls));
        if (!result.awaiting_gate().empty()) {
          const auto* env = FindEnvironment(config_, row.environment);
          if (env == nullptr) return absl::InternalError("environment vanished from the config");
          return AwaitApproval(tx, row, *env, result.awaiting_gate());
        }
        Dispatch(tx, row, config_, row.step, row.attempt,
                 std::chrono::milliseconds(result.poll_after_ms()));
      }
      return absl::OkStatus();
    }
    tx.exec_params(
        "UPDATE deployment_steps SET status = $4, finished_at = now(), "
        "duration_ms = extract(epoch from now() - started_at) * 1000, handler_ms = $5, "
        "summary = $6, error = $7, worker = $8 "
        "WHERE deployment_id = $1::uuid AND step = $2 AND attempt = $3 AND status = 'running' "
        "AND environment = $9",
        row.id, static_cast<int>(result.step()), result.attempt(),
        std::string(result.ok() ? "succeeded" : "failed"),
        static_cast<double>(result.handler_micros()) / 1000.0, result.summary(), result.error(),
        result.worker(), StepEnvironment(row, result.step()));
    const bool compensating = row.status == v1::DEPLOYMENT_STATUS_COMPENSATING;
    if ((row.status != v1::DEPLOYMENT_STATUS_RUNNING && !compensating) ||
        row.step != result.step() || row.attempt != result.attempt()) {
      spdlog::info("deployment {}: late result for {} attempt {} ignored", row.id,
                   StepName(result.step()), result.attempt());
      return absl::OkStatus();
    }
    // Keep what the step produced, also when it failed (a failing test is named here).
    for (const auto& [name, digest] : result.artifacts()) row.artifacts[name] = digest;
    if (!result.base_commit().empty()) row.base_commit = result.base_commit();
    tx.exec_params(
        "UPDATE deployments SET artifacts = $2::jsonb, base_commit = $3, "
        "branch = COALESCE(NULLIF($4, ''), branch), "
        "commit_id = COALESCE(NULLIF($5, ''), commit_id) WHERE id = $1::uuid",
        row.id, row.artifacts.dump(), row.base_commit, result.git().branch(),
        result.git().commit());
    if (result.has_git()) {
      row.git = MergeGit(row.git, result.git());
      tx.exec_params("UPDATE deployments SET git = $2 WHERE id = $1::uuid", row.id,
                     pqxx::binarystring(row.git));
    }
    if (result.has_tests())
      tx.exec_params("UPDATE deployments SET tests = $2 WHERE id = $1::uuid", row.id,
                     pqxx::binarystring(result.tests().SerializeAsString()));
    if (result.usage().calls() > 0) {
      // Every attempt's model calls cost money, failed ones too: sum them all.
      v1::ModelUsage usage;
      if (!row.usage.empty()) usage.ParseFromString(row.usage);
      runtime::AddUsage(usage, result.usage());
      tx.exec_params("UPDATE deployments SET usage = $2 WHERE id = $1::uuid", row.id,
                     pqxx::binarystring(usage.SerializeAsString()));
    }
    if (compensating) {
      // A rollout's compensation is the rollback of its release.
      // A rollout's compensation is the rollback of its release: done only when the release
      // says so (a release promoted before the abort is not undone).
      const bool undone = row.step == v1::STEP_ROLLOUT
                              ? (result.release().status() == "rolled-back" ||
                                 result.release().status() == "failed")
                              : result.ok();
      // Traffic may still be on the new version while a rollback fails for a reason that may
      // pass: it is retried for as long as it takes, never abandoned.
      const bool keep_trying = row.step == v1::STEP_ROLLOUT && result.retryable();
      if (undone || !result.retryable() || (row.attempt >= config_.max_attempts && !keep_trying)) {
        std::string error = row.error;
        if (!undone) error += fmt::format(" (compensation failed: {})", result.error());
        Finish(tx, row, FinalStatus(row), row.failed_step, error, config_);
      } else {
        tx.exec_params(
            "UPDATE deployment_steps SET status = 'retrying' WHERE deployment_id = $1::uuid AND "
            "step = $2 AND attempt = $3 AND environment = $4",
            row.id, static_cast<int>(row.step), row.attempt, StepEnvironment(row, row.step));
        Dispatch(tx, row, config_, row.step, row.attempt + 1, RetryDelay(config_, row.attempt + 1),
                 v1::DEPLOYMENT_STATUS_COMPENSATING, row.error);
      }
    } else if (result.ok()) {
      if (row.step == v1::STEP_ROLLOUT && !row.rollback_to.empty()) {
        // A one-click rollback: the earlier version is live again.
        Finish(tx, row, v1::DEPLOYMENT_STATUS_ROLLED_BACK, v1::STEP_UNSPECIFIED, row.error,
               config_);
        return absl::OkStatus();
      }
      if (row.step == v1::STEP_ROLLOUT) {
        // The next environment, or done.
        size_t next = EnvironmentIndex(config_, row.environment) + 1;
        if (next < config_.environments.size()) return EnterEnvironment(tx, row, config_, next);
        Finish(tx, row, v1::DEPLOYMENT_STATUS_SUCCEEDED, v1::STEP_UNSPECIFIED, "", config_);
        return absl::OkStatus();
      }
      v1::Step next = NextStep(row.mode, row.step);
      if (next == v1::STEP_UNSPECIFIED && Releases(config_, row.mode))
        return EnterEnvironment(tx, row, config_, 0);
      if (next == v1::STEP_UNSPECIFIED)
        Finish(tx, row, v1::DEPLOYMENT_STATUS_SUCCEEDED, v1::STEP_UNSPECIFIED, "", config_);
      else
        Dispatch(tx, row, config_, next, 1, 0ms);
    } else if (result.retryable() && row.attempt < config_.max_attempts) {
      tx.exec_params(
          "UPDATE deployment_steps SET status = 'retrying' WHERE deployment_id = $1::uuid AND "
          "step = $2 AND attempt = $3 AND environment = $4",
          row.id, static_cast<int>(row.step), row.attempt, StepEnvironment(row, row.step));
      Dispatch(tx, row, config_, row.step, row.attempt + 1, RetryDelay(config_, row.attempt + 1));
    } else if (row.step == v1::STEP_ROLLOUT && result.release().status() == "rolled-back") {
      // The analysis failed: traffic is back on the stable version.
      Finish(tx, row, v1::DEPLOYMENT_STATUS_ROLLED_BACK, row.step, result.error(), config_);
    } else if (row.step == v1::STEP_ROLLOUT && result.release().status() == "failed") {
      // An action failed and the release was rolled back: nothing more to undo.
      Finish(tx, row, v1::DEPLOYMENT_STATUS_FAILED, row.step, result.error(), config_);
    } else {
      FailOrCompensate(tx, row, v1::DEPLOYMENT_STATUS_FAILED, row.step,
                       fmt::format("{}: {}", StepName(row.step), result.error()), config_);
    }
    return absl::OkStatus();
  });
  if (st.ok()) relay_.Wake();
  return st;
}

absl::StatusOr<int> Orchestrator::ExpireDeadlines() {
  int handled = 0;
  absl::Status st = pool_.Transact([&](pqxx::work& tx) -> absl::Status {
    auto rows = tx.exec_params(
        fmt::format("SELECT {} FROM deployments WHERE status IN ($1, $2, $3) AND step_deadline < "
                    "now() ORDER BY step_deadline LIMIT 20 FOR UPDATE SKIP LOCKED",
                    kColumns),
        static_cast<int>(v1::DEPLOYMENT_STATUS_RUNNING),
        static_cast<int>(v1::DEPLOYMENT_STATUS_COMPENSATING),
        static_cast<int>(v1::DEPLOYMENT_STATUS_AWAITING_APPROVAL));
    for (const auto& r : rows) {
      Row row = ReadRow(r);
      if (row.status == v1::DEPLOYMENT_STATUS_AWAITING_APPROVAL) {
        // Nobody approved in time: the deployment expires (a release paused half-way is
        // rolled back first).
        const auto* env = FindEnvironment(config_, row.environment);
        std::string why = fmt::format(
            "approval of {}{} not given within {}", row.environment,
            row.gate.empty() ? "" : " (" + row.gate + ")",
            env ? release::FormatDuration(env->approval.timeout) : std::string("its time"));
        if (auto st = AuditEntry(tx, row, kSource, "approval-expired", why, {{"gate", row.gate}});
            !st.ok())
          return st;
        if (ReleaseInProgress(row))
          AbortRelease(tx, row, config_, v1::DEPLOYMENT_STATUS_EXPIRED, why);
        else
          Finish(tx, row, v1::DEPLOYMENT_STATUS_EXPIRED, v1::STEP_ROLLOUT, why, config_);
        ++handled;
        continue;
      }
      auto timeout = TimeoutFor(config_, row.step);
      std::string why = fmt::format("no result within {} s", timeout.count() / 1000.0);
      tx.exec_params(
          "UPDATE deployment_steps SET status = 'timed-out', finished_at = now(), error = $4, "
          "duration_ms = extract(epoch from now() - started_at) * 1000 "
          "WHERE deployment_id = $1::uuid AND step = $2 AND attempt = $3 AND environment = $5",
          row.id, static_cast<int>(row.step), row.attempt, why, StepEnvironment(row, row.step));
      const bool compensating = row.status == v1::DEPLOYMENT_STATUS_COMPENSATING;
      // A rollback (a COMPENSATING rollout) is retried for as long as it takes.
      if (row.attempt < config_.max_attempts || (compensating && row.step == v1::STEP_ROLLOUT)) {
        spdlog::warn("deployment {}: {} attempt {}: {}; retrying", row.id, StepName(row.step),
                     row.attempt, why);
        Dispatch(tx, row, config_, row.step, row.attempt + 1, RetryDelay(config_, row.attempt + 1),
                 row.status, compensating ? row.error : "");
      } else if (compensating) {
        Finish(tx, row, FinalStatus(row), row.failed_step,
               fmt::format("{} (compensation: {} after {} attempts)", row.error, why, row.attempt),
               config_);
      } else {
        FailOrCompensate(
            tx, row, v1::DEPLOYMENT_STATUS_FAILED, row.step,
            fmt::format("{}: {} (after {} attempts)", StepName(row.step), why, row.attempt),
            config_);
      }
      ++handled;
    }
    return absl::OkStatus();
  });
  if (!st.ok()) return st;
  if (handled) relay_.Wake();
  return handled;
}

absl::StatusOr<v1::Deployment> Orchestrator::Cancel(const std::string& id,
                                                    const std::string& reason) {
  if (!IsUuid(id)) return NotAnId(id);
  absl::Status st = pool_.Transact([&](pqxx::work& tx) -> absl::Status {
    // Same lock order as every other path: the repository's lock, then the row.
    auto repo = tx.exec_params("SELECT repository FROM deployments WHERE id = $1::uuid", id);
    if (repo.empty()) return absl::NotFoundError(fmt::format("deployment {} not found", id));
    LockRepository(tx, repo[0][0].as<std::string>());
    auto loaded = Load(tx, id, true);
    if (!loaded) return absl::NotFoundError(fmt::format("deployment {} not found", id));
    if (IsTerminal(loaded->status) || loaded->status == v1::DEPLOYMENT_STATUS_COMPENSATING)
      return absl::FailedPreconditionError(
          fmt::format("deployment {} already {}", id, StatusName(loaded->status)));
    std::string why = reason.empty() ? "cancelled" : "cancelled: " + reason;
    if (ReleaseInProgress(*loaded)) {  // traffic goes back to the stable version first
      AbortRelease(tx, *loaded, config_, v1::DEPLOYMENT_STATUS_CANCELLED, why);
      return AuditEntry(tx, *loaded, kSource, "aborted", why);
    }
    tx.exec_params(
        "UPDATE deployment_steps SET status = 'cancelled', finished_at = now() "
        "WHERE deployment_id = $1::uuid AND status = 'running'",
        id);
    FailOrCompensate(tx, *loaded, v1::DEPLOYMENT_STATUS_CANCELLED, v1::STEP_UNSPECIFIED, why,
                     config_);
    return absl::OkStatus();
  });
  if (!st.ok()) return st;
  relay_.Wake();
  return Get(id);
}

absl::StatusOr<v1::Deployment> Orchestrator::Approve(const v1::ApproveRequest& request) {
  const std::string& id = request.id();
  if (!IsUuid(id)) return NotAnId(id);
  if (request.approver().empty())
    return absl::InvalidArgumentError("approver: required (who approves)");
  absl::Status st = pool_.Transact([&](pqxx::work& tx) -> absl::Status {
    auto repo = tx.exec_params("SELECT repository FROM deployments WHERE id = $1::uuid", id);
    if (repo.empty()) return absl::NotFoundError(fmt::format("deployment {} not found", id));
    LockRepository(tx, repo[0][0].as<std::string>());
    auto loaded = Load(tx, id, true);
    if (!loaded) return absl::NotFoundError(fmt::format("deployment {} not found", id));
    Row row = std::move(*loaded);
    if (row.status != v1::DEPLOYMENT_STATUS_AWAITING_APPROVAL)
      return absl::FailedPreconditionError(
          fmt::format("deployment {} is {}, not awaiting approval", id, StatusName(row.status)));
    if (!request.environment().empty() && request.environment() != row.environment)
      return absl::FailedPreconditionError(
          fmt::format("deployment {} waits for approval of {}, not {}", id, row.environment,
                      request.environment()));
    const auto* env = FindEnvironment(config_, row.environment);
    if (env == nullptr)
      return absl::FailedPreconditionError(
          fmt::format("environment {} is not configured here", row.environment));
    const auto& allowed = env->approval.approvers;
    if (!allowed.empty() &&
        std::find(allowed.begin(), allowed.end(), request.approver()) == allowed.end())
      return absl::PermissionDeniedError(
          fmt::format("{} may not approve releases to {} (approvers: {})", request.approver(),
                      env->name, fmt::join(allowed, ", ")));
    auto inserted = tx.exec_params(
        "INSERT INTO approvals (deployment_id, environment, gate, approver, comment) "
        "VALUES ($1::uuid, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
        id, row.environment, row.gate, request.approver(), request.comment());
    if (inserted.affected_rows() == 0) return absl::OkStatus();  // approved already
    auto by = ApprovedBy(tx, row, *env, row.gate);
    if (auto a = AuditEntry(
            tx, row, request.approver(), "approved",
            request.comment().empty() ? "approved" : request.comment(),
            {{"gate", row.gate}, {"approvals", by.size()}, {"required", Required(*env)}});
        !a.ok())
      return a;
    if (by.size() < Required(*env)) {  // more approvals needed
      Touch(tx, row.id);
      return absl::OkStatus();
    }
    if (row.gate.empty()) {
      tx.exec_params("UPDATE deployments SET status = $2 WHERE id = $1::uuid", row.id,
                     static_cast<int>(v1::DEPLOYMENT_STATUS_RUNNING));
      Dispatch(tx, row, config_, v1::STEP_ROLLOUT, 1, 0ms);
    } else {  // a pause inside the release: the same rollout step goes on
      ++row.checks_polls;
      tx.exec_params("UPDATE deployments SET checks_polls = $2, gate = '' WHERE id = $1::uuid",
                     row.id, static_cast<int>(row.checks_polls));
      Dispatch(tx, row, config_, v1::STEP_ROLLOUT, std::max<uint32_t>(row.attempt, 1), 0ms);
    }
    return absl::OkStatus();
  });
  if (!st.ok()) return st;
  relay_.Wake();
  return Get(id);
}

absl::StatusOr<v1::Deployment> Orchestrator::Rollback(const v1::RollbackRequest& request) {
  if (request.reason().empty())
    return absl::InvalidArgumentError("reason: required (why the release is rolled back)");
  if (request.id().empty() == request.target().empty())
    return absl::InvalidArgumentError("give a deployment id or a target, not both");
  if (!request.id().empty() && !IsUuid(request.id())) return NotAnId(request.id());
  std::string actor = request.actor().empty() ? "unknown" : request.actor();
  std::string id = request.id();
  absl::Status st = pool_.Transact([&](pqxx::work& tx) -> absl::Status {
    std::string environment = request.environment();
    if (id.empty()) {  // the deployment whose release of the target is live
      if (environment.empty()) environment = "production";
      auto live = tx.exec_params(
          "SELECT deployment_id::text FROM releases WHERE target = $1 AND environment = $2 AND "
          "status = 'succeeded' ORDER BY seq DESC LIMIT 1",
          request.target(), environment);
      if (live.empty())
        return absl::NotFoundError(
            fmt::format("no successful release of {} in {}", request.target(), environment));
      id = live[0][0].as<std::string>();
    }
    auto repo = tx.exec_params("SELECT repository FROM deployments WHERE id = $1::uuid", id);
    if (repo.empty()) return absl::NotFoundError(fmt::format("deployment {} not found", id));
    LockRepository(tx, repo[0][0].as<std::string>());
    auto loaded = Load(tx, id, true);
    if (!loaded) return absl::NotFoundError(fmt::format("deployment {} not found", id));
    Row row = std::move(*loaded);
    if (ReleaseInProgress(row)) {  // traffic back to the stable version, now
      if (!request.to_release().empty())
        return absl::FailedPreconditionError(fmt::format(
            "deployment {} is releasing: rolling back returns to the stable version; --to is "
            "for a finished release",
            id));
      std::string why = fmt::format("rolled back by {}: {}", actor, request.reason());
      if (auto a = AuditEntry(tx, row, actor, "rollback-requested", request.reason()); !a.ok())
        return a;
      AbortRelease(tx, row, config_, v1::DEPLOYMENT_STATUS_ROLLED_BACK, why);
      return absl::OkStatus();
    }
    if (!IsTerminal(row.status))
      return absl::FailedPreconditionError(fmt::format(
          "deployment {} is {}: it has no release to roll back yet", id, StatusName(row.status)));
    // A finished release: put an earlier successful release's version back in its place.
    if (environment.empty()) {
      auto last = tx.exec_params(
          "SELECT environment FROM releases WHERE deployment_id = $1::uuid AND kind = 'release' "
          "AND status = 'succeeded' ORDER BY seq DESC LIMIT 1",
          id);
      if (last.empty())
        return absl::FailedPreconditionError(
            fmt::format("deployment {} released nothing that could be rolled back", id));
      environment = last[0][0].as<std::string>();
    }
    const auto* env = FindEnvironment(config_, environment);
    if (env == nullptr)
      return absl::FailedPreconditionError(
          fmt::format("environment {} is not configured here", environment));
    auto mine = tx.exec_params(
        "SELECT seq, version FROM releases WHERE deployment_id = $1::uuid AND environment = $2 "
        "AND kind = 'release' AND status = 'succeeded'",
        id, environment);
    if (mine.empty())
      return absl::FailedPreconditionError(fmt::format(
          "deployment {} has no successful release in {} to roll back", id, environment));
    auto live = tx.exec_params(
        "SELECT deployment_id::text, seq FROM releases WHERE target = $1 AND environment = $2 "
        "AND status = 'succeeded' ORDER BY seq DESC LIMIT 1",
        env->target, environment);
    if (live.empty() || live[0][1].as<int64_t>() != mine[0][0].as<int64_t>())
      return absl::FailedPreconditionError(fmt::format(
          "deployment {}'s release is no longer live in {} (deployment {}'s is): roll that back",
          id, environment, live.empty() ? std::string("none") : live[0][0].as<std::string>()));
    const int64_t live_seq = mine[0][0].as<int64_t>();
    const std::string live_version = mine[0][1].as<std::string>();
    pqxx::result to;
    if (!request.to_release().empty()) {
      if (!IsUuid(request.to_release()))
        return absl::InvalidArgumentError(
            fmt::format("to_release '{}' is not a release id", request.to_release().substr(0, 64)));
      to = tx.exec_params(
          "SELECT id::text, version FROM releases WHERE id = $1::uuid AND target = $2 AND "
          "environment = $3 AND status = 'succeeded' AND seq < $4",
          request.to_release(), env->target, environment, live_seq);
      if (to.empty())
        return absl::FailedPreconditionError(
            fmt::format("release {} is not an earlier successful release of {} in {}",
                        request.to_release(), env->target, environment));
    } else {
      to = tx.exec_params(
          "SELECT id::text, version FROM releases WHERE target = $1 AND environment = $2 AND "
          "status = 'succeeded' AND seq < $3 AND version <> $4 ORDER BY seq DESC LIMIT 1",
          env->target, environment, live_seq, live_version);
      if (to.empty())
        return absl::FailedPreconditionError(fmt::format(
            "no earlier successful release of {} in {} to return to", env->target, environment));
    }
    std::string release = to[0][0].as<std::string>();
    std::string why = fmt::format("rolled back by {} to release {} ({}): {}", actor, release,
                                  to[0][1].as<std::string>().substr(0, 12), request.reason());
    row.environment = environment;
    row.rollback_to = release;
    row.checks_polls = 0;
    row.error = why;
    tx.exec_params(
        "UPDATE deployments SET environment = $2, rollback_to = $3, checks_polls = 0, gate = '', "
        "error = $4, failed_step = 0, final_status = 0, finished_at = NULL WHERE id = $1::uuid",
        id, environment, release, why);
    if (auto a = AuditEntry(tx, row, actor, "rollback-requested", request.reason(),
                            {{"to_release", release}, {"to_version", to[0][1].as<std::string>()}});
        !a.ok())
      return a;
    // A new attempt of the environment's rollout step: its own command id and record.
    auto attempts = tx.exec_params(
        "SELECT COALESCE(max(attempt), 0) FROM deployment_steps WHERE deployment_id = $1::uuid "
        "AND step = $2 AND environment = $3",
        id, static_cast<int>(v1::STEP_ROLLOUT), environment);
    Dispatch(tx, row, config_, v1::STEP_ROLLOUT, attempts[0][0].as<uint32_t>() + 1, 0ms);
    return absl::OkStatus();
  });
  if (!st.ok()) return st;
  relay_.Wake();
  return Get(id);
}

absl::StatusOr<std::string> Orchestrator::OnPullRequestMerged(const std::string& repo,
                                                              uint64_t number,
                                                              const std::string& merged_by,
                                                              const std::string& merge_commit) {
  if (repo.empty() || number == 0 || merged_by.empty())
    return absl::InvalidArgumentError("a merge needs the repository, the number and who merged");
  std::string outcome;
  absl::Status st = pool_.Transact([&](pqxx::work& tx) -> absl::Status {
    // The pull request is recorded inside the deployment's git outcome: look among the
    // deployments that are not finished and have one.
    auto rows = tx.exec_params(
        fmt::format("SELECT {} FROM deployments WHERE git IS NOT NULL AND status IN ($1, $2, $3) "
                    "ORDER BY seq DESC",
                    kColumns),
        static_cast<int>(v1::DEPLOYMENT_STATUS_RUNNING),
        static_cast<int>(v1::DEPLOYMENT_STATUS_AWAITING_APPROVAL),
        static_cast<int>(v1::DEPLOYMENT_STATUS_QUEUED));
    std::optional<Row> found;
    for (const auto& r : rows) {
      Row row = ReadRow(r);
      v1::GitOutcome git;
      if (!git.ParseFromString(row.git) || !git.has_pull_request()) continue;
      if (git.pull_request().number() == number && git.pull_request().repo() == repo) {
        found = std::move(row);
        break;
      }
    }
    if (!found)
      return absl::NotFoundError(
          fmt::format("no deployment in progress opened pull request {}#{}", repo, number));
    LockRepository(tx, found->repository);
    auto loaded = Load(tx, found->id, true);  // again, under the repository's lock
    if (!loaded) return absl::NotFoundError("the deployment vanished");
    Row row = std::move(*loaded);
    std::vector<std::string> approved, refused;
    for (const auto& env : config_.environments) {
      if (!env.approval.on_merge) continue;
      const auto& allowed = env.approval.approvers;
      if (!allowed.empty() &&
          std::find(allowed.begin(), allowed.end(), merged_by) == allowed.end()) {
        refused.push_back(env.name);
        continue;
      }
      auto inserted = tx.exec_params(
          "INSERT INTO approvals (deployment_id, environment, gate, approver, comment) "
          "VALUES ($1::uuid, $2, '', $3, $4) ON CONFLICT DO NOTHING",
          row.id, env.name, merged_by,
          fmt::format("merged pull request #{} ({})", number, merge_commit.substr(0, 12)));
      if (inserted.affected_rows() == 0) continue;
      approved.push_back(env.name);
      Row for_env = row;
      for_env.environment = env.name;
      if (auto a = AuditEntry(tx, for_env, merged_by, "approved",
                              fmt::format("merged pull request {}#{}", repo, number),
                              {{"gate", ""},
                               {"pull_request", number},
                               {"repository", repo},
                               {"merge_commit", merge_commit}});
          !a.ok())
        return a;
    }
    outcome = fmt::format(
        "deployment {}: approved by the merge: {}{}", row.id,
        approved.empty() ? "nothing" : fmt::format("{}", fmt::join(approved, ", ")),
        refused.empty()
            ? ""
            : fmt::format("; {} may not approve {}", merged_by, fmt::join(refused, ", ")));
    // A release waiting at an environment the merge approved goes on.
    if (row.status == v1::DEPLOYMENT_STATUS_AWAITING_APPROVAL && row.gate.empty()) {
      const auto* env = FindEnvironment(config_, row.environment);
      if (env != nullptr && GateApproved(tx, row, *env, "")) {
        tx.exec_params("UPDATE deployments SET status = $2 WHERE id = $1::uuid", row.id,
                       static_cast<int>(v1::DEPLOYMENT_STATUS_RUNNING));
        Dispatch(tx, row, config_, v1::STEP_ROLLOUT, 1, 0ms);
        outcome += fmt::format("; the release to {} starts", env->name);
      } else {
        Touch(tx, row.id);
      }
    }
    return absl::OkStatus();
  });
  if (!st.ok()) return st;
  relay_.Wake();
  return outcome;
}

absl::StatusOr<v1::ListAuditResponse> Orchestrator::ListAudit(const v1::ListAuditRequest& request) {
  if (!request.deployment_id().empty() && !IsUuid(request.deployment_id()))
    return NotAnId(request.deployment_id());
  int limit =
      request.limit() == 0 ? 100 : static_cast<int>(std::min<uint32_t>(request.limit(), 10'000));
  v1::ListAuditResponse out;
  absl::Status st = pool_.Transact([&](pqxx::work& tx) -> absl::Status {
    auto records = audit::List(tx, request.deployment_id(), limit);
    if (!records.ok()) return records.status();
    for (const auto& r : *records) {
      auto* e = out.add_entries();
      e->set_seq(r.seq);
      *e->mutable_at() = TimeUtil::MicrosecondsToTimestamp(
          std::chrono::duration_cast<std::chrono::microseconds>(r.at.time_since_epoch()).count());
      e->set_actor(r.entry.actor);
      e->set_action(r.entry.action);
      e->set_deployment_id(r.entry.deployment_id);
      e->set_release_id(r.entry.release_id);
      e->set_environment(r.entry.environment);
      e->set_reason(r.entry.reason);
      e->set_evidence(r.entry.evidence.dump());
      e->set_hash(r.hash);
    }
    return absl::OkStatus();
  });
  if (!st.ok()) return st;
  return out;
}

absl::StatusOr<v1::VerifyAuditResponse> Orchestrator::VerifyAudit() {
  v1::VerifyAuditResponse out;
  absl::Status st = pool_.Transact([&](pqxx::work& tx) -> absl::Status {
    auto v = audit::Verify(tx);
    if (!v.ok()) return v.status();
    out.set_ok(v->ok);
    out.set_entries(v->entries);
    out.set_first_bad_seq(v->first_bad_seq);
    out.set_problem(v->problem);
    out.set_head_hash(v->head_hash);
    return absl::OkStatus();
  });
  if (!st.ok()) return st;
  return out;
}

absl::StatusOr<v1::DoraMetrics> Orchestrator::Dora(const v1::DoraRequest& request) {
  dora::Query q;
  q.environment = request.environment().empty() ? "production" : request.environment();
  q.target = request.target();
  uint32_t days = request.days() == 0 ? 30 : std::min<uint32_t>(request.days(), 3650);
  q.until = std::chrono::system_clock::now();
  q.since = q.until - std::chrono::hours(24) * days;
  v1::DoraMetrics out;
  absl::Status st = pool_.Transact([&](pqxx::work& tx) -> absl::Status {
    auto m = dora::Compute(tx, q);
    if (!m.ok()) return m.status();
    out.set_environment(q.environment);
    out.set_target(q.target);
    out.set_days(days);
    out.set_releases(m->releases);
    out.set_successful(m->successful);
    out.set_failed(m->failed);
    out.set_deployments_per_day(m->deployments_per_day);
    out.set_lead_time_median_seconds(m->lead_time_median_s);
    out.set_lead_time_p90_seconds(m->lead_time_p90_s);
    out.set_change_failure_rate(m->change_failure_rate);
    out.set_time_to_restore_median_seconds(m->time_to_restore_median_s);
    out.set_time_to_restore_p90_seconds(m->time_to_restore_p90_s);
    out.set_restores(m->restores);
    return absl::OkStatus();
  });
  if (!st.ok()) return st;
  return out;
}

absl::StatusOr<std::string> Orchestrator::MetricsText() {
  dora::Query q;
  q.environment = config_.environments.empty() ? "production" : config_.environments.back().name;
  q.until = std::chrono::system_clock::now();
  q.since = q.until - std::chrono::hours(24 * 30);
  std::string out;
  absl::Status st = pool_.Transact([&](pqxx::work& tx) -> absl::Status {
    out = "# HELP slipway_deployments Deployments by status.\n# TYPE slipway_deployments gauge\n";
    auto counts = tx.exec("SELECT status, count(*) FROM deployments GROUP BY status ORDER BY 1");
    for (const auto& r : counts)
      out += fmt::format("slipway_deployments{{status=\"{}\"}} {}\n",
                         StatusName(static_cast<v1::DeploymentStatus>(r[0].as<int>())),
                         r[1].as<int64_t>());
    auto m = dora::Compute(tx, q);
    if (!m.ok()) return m.status();
    out += dora::ToPrometheusText(*m, q);
    return absl::OkStatus();
  });
  if (!st.ok()) return st;
  return out;
}

absl::StatusOr<v1::Deployment> Orchestrator::Get(const std::string& id) {
  if (!IsUuid(id)) return NotAnId(id);
  v1::Deployment out;
  absl::Status st = pool_.Transact([&](pqxx::work& tx) -> absl::Status {
    auto row = Load(tx, id, false);
    if (!row) return absl::NotFoundError(fmt::format("deployment {} not found", id));
    out = ToProto(tx, *row, config_);
    return absl::OkStatus();
  });
  if (!st.ok()) return st;
  return out;
}

absl::StatusOr<int64_t> Orchestrator::Version(const std::string& id) {
  if (!IsUuid(id)) return NotAnId(id);
  int64_t version = -1;
  absl::Status st = pool_.Transact([&](pqxx::work& tx) -> absl::Status {
    auto r = tx.exec_params("SELECT version FROM deployments WHERE id = $1::uuid", id);
    if (r.empty()) return absl::NotFoundError(fmt::format("deployment {} not found", id));
    version = r[0][0].as<int64_t>();
    return absl::OkStatus();
  });
  if (!st.ok()) return st;
  return version;
}

absl::StatusOr<v1::ListResponse> Orchestrator::List(const v1::ListRequest& request) {
  uint32_t size = request.page_size() == 0 ? 50 : std::min<uint32_t>(request.page_size(), 500);
  int64_t before = std::numeric_limits<int64_t>::max();
  if (!request.page_token().empty()) {
    try {
      before = std::stoll(request.page_token());
    } catch (...) {
      return absl::InvalidArgumentError(
          fmt::format("page_token '{}' is not one this server issued", request.page_token()));
    }
  }
  v1::ListResponse out;
  absl::Status st = pool_.Transact([&](pqxx::work& tx) -> absl::Status {
    auto rows = tx.exec_params(
        fmt::format("SELECT {} FROM deployments WHERE seq < $1 AND ($2 = 0 OR status = $2) "
                    "AND ($3 = '' OR repository = $3) ORDER BY seq DESC LIMIT $4",
                    kColumns),
        before, static_cast<int>(request.status()), request.repository(),
        static_cast<int>(size) + 1);
    for (size_t i = 0; i < rows.size() && i < size; ++i) {
      Row row = ReadRow(rows[i]);
      *out.add_deployments() = ToProto(tx, row, config_);
      if (i + 1 == size && rows.size() > size) out.set_next_page_token(std::to_string(row.seq));
    }
    return absl::OkStatus();
  });
  if (!st.ok()) return st;
  return out;
}

absl::Status Orchestrator::RunConsumer(const bus::BusConfig& config, bus::Producer& producer,
                                       const std::atomic<bool>& stop) {
  auto consumer = bus::Consumer::Create(config, "slipway-orchestrator",
                                        {bus::kEventsTopic, bus::kRecommendationsTopic});
  if (!consumer.ok()) return consumer.status();
  (*consumer)->ForEach(stop, [&](const bus::Message& m) {
    // Deployment updates share the events topic; they are not for the saga. Their offsets are
    // covered by the next commit of a message that is (a redelivered one is ignored again).
    if (m.topic == bus::kEventsTopic && m.Header("ce_type") != bus::kTypeStepResult) return;
    for (auto backoff = 100ms;; backoff = std::min(backoff * 2, std::chrono::milliseconds(5000))) {
      absl::Status st = m.topic == bus::kRecommendationsTopic ? OnRecommendation(m) : OnEvent(m);
      if (st.ok() || !IsRetryable(st)) {
        if (!st.ok()) {
          // Rejected or unreadable: the dead-letter topic keeps it, with the reason. Until it
          // does, the offset stays uncommitted, so a restart sees the message again.
          bool parked = false;
          while (
              !(parked = runtime::SendToDeadLetter(producer, m, std::string(st.message())).ok()) &&
              !stop.load())
            std::this_thread::sleep_for(backoff);
          if (!parked) break;
        }
        if (auto c = (*consumer)->Commit(m); !c.ok()) spdlog::warn("commit: {}", c.ToString());
        break;
      }
      spdlog::warn("{}[{}]@{}: {}; retrying", m.topic, m.partition, m.offset, st.ToString());
      if (stop.load()) break;
      std::this_thread::sleep_for(backoff);
    }
  });
  (*consumer)->Close();
  return absl::OkStatus();
}

void Orchestrator::RunTicker(const std::atomic<bool>& stop, std::chrono::milliseconds period) {
  while (!stop.load()) {
    auto n = ExpireDeadlines();
    if (!n.ok()) spdlog::warn("deadline check: {}", n.status().ToString());
    std::this_thread::sleep_for(period);
  }
}

}  // namespace slipway::orchestrator
