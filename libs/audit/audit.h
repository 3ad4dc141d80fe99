// The audit trail: who did what to which deployment, release and environment, and why, kept
// in PostgreSQL's `audit_log` as a hash chain. Each entry's hash covers its own fields and the
// previous entry's hash, so changing, removing or inserting an entry anywhere but at the end
// is detected by Verify(); the table's trigger refuses UPDATE, DELETE and TRUNCATE outright.
//
// Every function works inside the caller's transaction, so an entry commits (or rolls back)
// with the change it records. Append serialises appenders with a transaction-level advisory
// lock held until the caller's transaction ends: append late in a short transaction.
// A transaction belongs to one thread; functions may run on any thread concurrently, each in
// its own transaction.
//
// Errors: INVALID_ARGUMENT naming the field for an entry that cannot be stored; DATA_LOSS
// when List reads evidence that is not JSON; database errors UNAVAILABLE (retryable) when the
// connection is lost, ABORTED (retryable) on a serialization failure or deadlock, INTERNAL
// otherwise. After a database error the transaction is aborted: return the error so the
// caller's ConnectionPool::Transact rolls it back.
#pragma once

#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace slipway::audit {

// One thing that happened.
struct Entry {
  // Who: an approver's name, "slipway-rollout", "slipway-orchestrator", a CLI user. Required.
  std::string actor;
  // What: "approval-requested", "approved", "approval-expired", "release-started",
  // "weight-set", "analysis", "paused", "promoted", "aborted", "rolled-back",
  // "rollback-requested", ... Required.
  std::string action;
  std::string deployment_id, release_id, environment, reason;
  // Metric, value, threshold, hook output...: stored as the exact JSON text that is hashed.
  nlohmann::json evidence = nlohmann::json::object();
};

// An entry as stored in the chain.
struct Record {
  int64_t seq = 0;                           // 1, 2, 3, ... without gaps
  std::chrono::system_clock::time_point at;  // when it was appended, microsecond precision
  Entry entry;
  std::string prev_hash;  // the previous entry's hash; 64 zeros for the first
  std::string hash;       // 64 lowercase hex digits: ChainHash of this entry
};

// 64 zeros: the prev_hash of the first entry.
extern const char kGenesisHash[];

// The fields of one audit_log row exactly as stored: what its hash covers.
struct HashedFields {
  int64_t seq = 0;
  int64_t at_micros = 0;  // `at` as integer microseconds since the Unix epoch (UTC)
  std::string actor, action, deployment_id, release_id, environment, reason;
  std::string evidence;  // the JSON text as stored, byte for byte
  std::string prev_hash;
};

// Lowercase hex SHA-256 over the netstring encoding (`<decimal byte length>:<bytes>,` per
// field) of "slipway.audit.v1", seq and at_micros in decimal, actor, action, deployment_id,
// release_id, environment, reason, evidence and prev_hash, in that order. Published so a
// verifier outside Slipway can check an export of the table.
std::string ChainHash(const HashedFields& fields);

// Appends `entry` in the caller's transaction: seq = the last entry's + 1 (1 for the first),
// prev_hash = the last entry's hash, `at` = the server's clock when the append lock was taken.
// INVALID_ARGUMENT when actor or action is empty, or a text field or evidence string holds a
// NUL byte or bytes that are not UTF-8 (PostgreSQL's text refuses them).
absl::StatusOr<Record> Append(pqxx::work& tx, const Entry& entry);

// The outcome of checking the whole chain.
struct Verification {
  bool ok = true;
  // Entries checked and found sound: all of them when ok, else those before first_bad_seq.
  int64_t entries = 0;
  int64_t first_bad_seq = 0;  // 0 when ok
  // Which entry and what is wrong with it, e.g. "entry 7: hash does not match its content",
  // "entry 9 missing (seq jumps 8 -> 10)", "entry 12: prev_hash is not entry 11's hash".
  std::string problem;
  // The hash of the last sound entry (kGenesisHash for an empty log). Removing entries from
  // the end leaves a sound but shorter chain: keep the head hash and count elsewhere (a
  // report, a ticket) to detect that.
  std::string head_hash;
};

// Walks the whole chain in seq order, a page at a time, and stops at the first problem.
// A broken chain is a result (ok = false), not an error.
absl::StatusOr<Verification> Verify(pqxx::work& tx);

// The last `limit` entries of one deployment ("" = of every deployment), oldest first.
// INVALID_ARGUMENT when limit is not positive.
absl::StatusOr<std::vector<Record>> List(pqxx::work& tx, const std::string& deployment_id,
                                         int limit);

}  // namespace slipway::audit
