#include "libs/store/store.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <thread>

#include "libs/core/status.h"

namespace slipway::store {
namespace {

struct Migration {
  int version;
  const char* name;
  const char* sql;
};

// Append only: a released migration is never edited.
const Migration kMigrations[] = {
    {1, "initial schema", R"sql(
CREATE TABLE deployments (
  id              uuid PRIMARY KEY,
  seq             bigserial UNIQUE NOT NULL,
  request_id      text UNIQUE,
  repository      text NOT NULL,
  mode            int NOT NULL,
  status          int NOT NULL,
  current_step    int NOT NULL DEFAULT 0,
  attempt         int NOT NULL DEFAULT 0,
  step_started_at timestamptz,
  step_deadline   timestamptz,
  recommendation  bytea NOT NULL,
  base_commit     text NOT NULL DEFAULT '',
  branch          text NOT NULL DEFAULT '',
  commit_id       text NOT NULL DEFAULT '',
  artifacts       jsonb NOT NULL DEFAULT '{}',
  tests           bytea,
  error           text NOT NULL DEFAULT '',
  failed_step     int NOT NULL DEFAULT 0,
  rejected_field  text NOT NULL DEFAULT '',
  trace_id        text NOT NULL,
  version         bigint NOT NULL DEFAULT 0,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  finished_at     timestamptz
);
CREATE INDEX deployments_repo_status ON deployments (repository, status, seq);
CREATE INDEX deployments_status_deadline ON deployments (status, step_deadline);

CREATE TABLE deployment_steps (
  deployment_id uuid NOT NULL REFERENCES deployments(id),
  step          int NOT NULL,
  attempt       int NOT NULL,
  status        text NOT NULL,
  started_at    timestamptz NOT NULL DEFAULT now(),
  finished_at   timestamptz,
  duration_ms   double precision,
  handler_ms    double precision,
  summary       text NOT NULL DEFAULT '',
  error         text NOT NULL DEFAULT '',
  worker        text NOT NULL DEFAULT '',
  PRIMARY KEY (deployment_id, step, attempt)
);

CREATE TABLE outbox (
  id           bigserial PRIMARY KEY,
  message_id   text NOT NULL,
  topic        text NOT NULL,
  key          text NOT NULL,
  payload      bytea NOT NULL,
  headers      jsonb NOT NULL,
  not_before   timestamptz NOT NULL DEFAULT now(),
  created_at   timestamptz NOT NULL DEFAULT now(),
  published_at timestamptz
);
CREATE INDEX outbox_pending ON outbox (not_before, id) WHERE published_at IS NULL;

CREATE TABLE inbox (
  consumer     text NOT NULL,
  message_id   text NOT NULL,
  processed_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (consumer, message_id)
);

CREATE TABLE artifacts (
  digest     text PRIMARY KEY,
  media_type text NOT NULL,
  size       bigint NOT NULL,
  content    bytea NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE circuit_breakers (
  name       text PRIMARY KEY,
  opened_at  timestamptz,
  reset_at   timestamptz NOT NULL DEFAULT 'epoch',
  reason     text NOT NULL DEFAULT ''
);
)sql"},
    {2, "artifact index", R"sql(
CREATE TABLE artifact_index (
  kind       text NOT NULL,
  key        text NOT NULL,
  digest     text NOT NULL REFERENCES artifacts(digest),
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (kind, key)
);
)sql"},
    {3, "model usage", R"sql(
ALTER TABLE deployments ADD COLUMN usage bytea;
)sql"},
    {4, "pull requests and compensation", R"sql(
ALTER TABLE deployments ADD COLUMN git bytea;
ALTER TABLE deployments ADD COLUMN final_status int NOT NULL DEFAULT 0;
ALTER TABLE deployments ADD COLUMN checks_polls int NOT NULL DEFAULT 0;
)sql"},
    {5, "releases, approvals and the audit trail", R"sql(
-- The environment a rollout step works on ('' for the other steps).
ALTER TABLE deployments ADD COLUMN environment text NOT NULL DEFAULT '';
-- While AWAITING_APPROVAL: the gate waited on ('' the environment itself, 'step-<n>' a pause).
ALTER TABLE deployments ADD COLUMN gate text NOT NULL DEFAULT '';
-- A one-click rollback in progress: the earlier release whose version is being restored.
ALTER TABLE deployments ADD COLUMN rollback_to text NOT NULL DEFAULT '';
ALTER TABLE deployment_steps ADD COLUMN environment text NOT NULL DEFAULT '';
ALTER TABLE deployment_steps DROP CONSTRAINT deployment_steps_pkey;
ALTER TABLE deployment_steps ADD PRIMARY KEY (deployment_id, step, environment, attempt);

-- One rollout of a version to one environment's target. Written by the rollout service only.
CREATE TABLE releases (
  id               uuid PRIMARY KEY,
  seq              bigserial UNIQUE NOT NULL,
  deployment_id    uuid NOT NULL REFERENCES deployments(id),
  environment      text NOT NULL,
  target           text NOT NULL,   -- what is released to: the environment's target name
  kind             text NOT NULL,   -- 'release', or 'rollback' (back to an earlier release)
  strategy         text NOT NULL,   -- 'canary', 'blue-green'
  version          text NOT NULL,   -- the commit released
  previous_version text NOT NULL DEFAULT '',
  status           text NOT NULL,   -- 'progressing', 'succeeded', 'rolled-back', 'failed'
  config           text NOT NULL,   -- the environment's configuration as used (JSON)
  state            text NOT NULL DEFAULT '{}',  -- progress: step, stage, weight, measurements
  reason           text NOT NULL DEFAULT '',
  created_at       timestamptz NOT NULL DEFAULT now(),
  finished_at      timestamptz,
  -- For time to restore: when an analysis or health check found the breach, and when all
  -- traffic was back on the stable version.
  breach_at        timestamptz,
  restored_at      timestamptz,
  -- The replica acting on the release, until when (one at a time).
  lease_owner      text,
  lease_until      timestamptz
);
CREATE UNIQUE INDEX releases_one_per_environment ON releases (deployment_id, environment)
  WHERE kind = 'release';
CREATE UNIQUE INDEX releases_one_rollback ON releases (deployment_id, environment)
  WHERE kind = 'rollback';
CREATE INDEX releases_target ON releases (target, environment, seq);

-- Approvals given, per gate: '' opens the environment, 'step-<n>' a canary pause.
CREATE TABLE approvals (
  deployment_id uuid NOT NULL REFERENCES deployments(id),
  environment   text NOT NULL,
  gate          text NOT NULL,
  approver      text NOT NULL,
  comment       text NOT NULL DEFAULT '',
  approved_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (deployment_id, environment, gate, approver)
);

-- Append-only and hash-chained: each row's hash covers its fields and the previous row's hash.
CREATE TABLE audit_log (
  seq           bigint PRIMARY KEY,
  at            timestamptz NOT NULL,
  actor         text NOT NULL,
  action        text NOT NULL,
  deployment_id text NOT NULL DEFAULT '',
  release_id    text NOT NULL DEFAULT '',
  environment   text NOT NULL DEFAULT '',
  reason        text NOT NULL DEFAULT '',
  evidence      text NOT NULL DEFAULT '{}',  -- JSON, exactly the bytes hashed
  prev_hash     text NOT NULL,
  hash          text NOT NULL
);
CREATE INDEX audit_log_deployment ON audit_log (deployment_id, seq);
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only';
END $$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
)sql"},
};

absl::Status FromException(const std::exception& e) {
  if (dynamic_cast<const pqxx::broken_connection*>(&e))
    return absl::UnavailableError(fmt::format("postgresql: {}", e.what()));
  if (dynamic_cast<const pqxx::serialization_failure*>(&e) ||
      dynamic_cast<const pqxx::deadlock_detected*>(&e))
    return absl::AbortedError(fmt::format("postgresql: {}", e.what()));
  if (dynamic_cast<const pqxx::in_doubt_error*>(&e))
    return absl::UnavailableError(fmt::format("postgresql (commit in doubt): {}", e.what()));
  return absl::InternalError(fmt::format("postgresql: {}", e.what()));
}

}  // namespace

ConnectionPool::ConnectionPool(std::string url, size_t max_idle)
    : url_(std::move(url)), max_idle_(max_idle) {}
ConnectionPool::~ConnectionPool() = default;

std::unique_ptr<pqxx::connection> ConnectionPool::Acquire() {
  {
    std::lock_guard lock(mu_);
    while (!idle_.empty()) {
      auto c = std::move(idle_.back());
      idle_.pop_back();
      if (c->is_open()) return c;
    }
  }
  return std::make_unique<pqxx::connection>(url_);
}

void ConnectionPool::Release(std::unique_ptr<pqxx::connection> conn) {
  std::lock_guard lock(mu_);
  if (idle_.size() < max_idle_ && conn->is_open()) idle_.push_back(std::move(conn));
}

absl::Status ConnectionPool::Transact(const std::function<absl::Status(pqxx::work&)>& fn) {
  std::unique_ptr<pqxx::connection> conn;
  try {
    conn = Acquire();
    absl::Status st;
    {
      pqxx::work tx(*conn);
      st = fn(tx);
      if (st.ok()) tx.commit();
    }
    Release(std::move(conn));
    return st;
  } catch (const std::exception& e) {
    return FromException(e);
  }
}

absl::Status WaitForServer(const std::string& url, std::chrono::milliseconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  std::string last;
  while (std::chrono::steady_clock::now() < deadline) {
    try {
      pqxx::connection c(url);
      return absl::OkStatus();
    } catch (const std::exception& e) {
      last = e.what();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return absl::UnavailableError(fmt::format("postgresql not reachable: {}", last));
}

absl::Status Migrate(ConnectionPool& pool) {
  try {
    pqxx::connection conn(pool.url());
    {
      pqxx::nontransaction nt(conn);
      nt.exec("SELECT pg_advisory_lock(hashtext('slipway.migrations'))");
      nt.exec(
          "CREATE TABLE IF NOT EXISTS schema_migrations (version int PRIMARY KEY, name text NOT "
          "NULL, applied_at timestamptz NOT NULL DEFAULT now())");
    }
    for (const auto& m : kMigrations) {
      pqxx::work tx(conn);
      auto r = tx.exec_params("SELECT 1 FROM schema_migrations WHERE version = $1", m.version);
      if (!r.empty()) continue;
      tx.exec(m.sql);
      tx.exec_params("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", m.version,
                     std::string(m.name));
      tx.commit();
    }
    pqxx::nontransaction nt(conn);
    nt.exec("SELECT pg_advisory_unlock(hashtext('slipway.migrations'))");
    return absl::OkStatus();
  } catch (const std::exception& e) {
    return FromException(e);
  }
}

bool RecordInbox(pqxx::work& tx, const std::string& consumer, const std::string& message_id) {
  auto r = tx.exec_params(
      "INSERT INTO inbox (consumer, message_id) VALUES ($1, $2) ON CONFLICT DO NOTHING", consumer,
      message_id);
  return r.affected_rows() == 1;
}

bool InboxContains(pqxx::work& tx, const std::string& consumer, const std::string& message_id) {
  return !tx.exec_params("SELECT 1 FROM inbox WHERE consumer = $1 AND message_id = $2", consumer,
                         message_id)
              .empty();
}

void EnqueueOutbox(pqxx::work& tx, const bus::Message& message, std::chrono::milliseconds delay) {
  nlohmann::json headers = nlohmann::json::array();
  std::string id;
  for (const auto& [k, v] : message.headers) {
    headers.push_back({k, v});
    if (k == "ce_id") id = v;
  }
  tx.exec_params(
      "INSERT INTO outbox (message_id, topic, key, payload, headers, not_before) "
      "VALUES ($1, $2, $3, $4, $5::jsonb, now() + make_interval(secs => $6))",
      id, message.topic, message.key, pqxx::binarystring(message.payload), headers.dump(),
      static_cast<double>(delay.count()) / 1000.0);
}

}  // namespace slipway::store
