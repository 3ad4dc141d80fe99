#include "libs/audit/audit.h"

#include <fmt/format.h>
#include <openssl/evp.h>

#include <algorithm>
#include <limits>
#include <string_view>

#include "libs/core/status.h"
#include "libs/core/text.h"

namespace slipway::audit {

const char kGenesisHash[] = "0000000000000000000000000000000000000000000000000000000000000000";

namespace {

// The advisory lock every appender takes, so that reading the head and inserting the next
// entry happen one transaction at a time. ASCII "SLIPAUDT".
constexpr int64_t kAppendLockKey = 0x534c495041554454;

// Rows read per statement while verifying: bounded memory for any length of log.
constexpr int kVerifyPageRows = 1000;

constexpr std::string_view kHashDomain = "slipway.audit.v1";

// Columns in the order ReadRow expects; `at` as integer microseconds, exactly as hashed.
constexpr std::string_view kColumns =
    "seq, (extract(epoch FROM at) * 1000000)::bigint, actor, action, deployment_id, release_id, "
    "environment, reason, evidence, prev_hash, hash";

absl::Status DatabaseError(const std::exception& e, std::string_view operation) {
  if (dynamic_cast<const pqxx::broken_connection*>(&e))
    return absl::UnavailableError(fmt::format("audit {}: postgresql: {}", operation, e.what()));
  if (dynamic_cast<const pqxx::serialization_failure*>(&e) ||
      dynamic_cast<const pqxx::deadlock_detected*>(&e))
    return absl::AbortedError(fmt::format("audit {}: postgresql: {}", operation, e.what()));
  return absl::InternalError(fmt::format("audit {}: postgresql: {}", operation, e.what()));
}

absl::Status CheckText(std::string_view field, std::string_view value) {
  if (size_t nul = value.find('\0'); nul != std::string_view::npos)
    return absl::InvalidArgumentError(fmt::format(
        "audit entry {}: NUL byte at offset {} of {} bytes (PostgreSQL text cannot hold it)", field,
        nul, value.size()));
  if (size_t bad = InvalidUtf8Offset(value); bad != std::string_view::npos)
    return absl::InvalidArgumentError(
        fmt::format("audit entry {}: not UTF-8 at byte offset {} of {}", field, bad, value.size()));
  return absl::OkStatus();
}

void AppendNetstring(std::string& out, std::string_view field) {
  out += std::to_string(field.size());
  out += ':';
  out += field;
  out += ',';
}

struct StoredRow {
  HashedFields fields;
  std::string hash;
};

StoredRow ReadRow(const pqxx::row& row) {
  StoredRow r;
  r.fields.seq = row[0].as<int64_t>();
  r.fields.at_micros = row[1].as<int64_t>();
  r.fields.actor = row[2].as<std::string>();
  r.fields.action = row[3].as<std::string>();
  r.fields.deployment_id = row[4].as<std::string>();
  r.fields.release_id = row[5].as<std::string>();
  r.fields.environment = row[6].as<std::string>();
  r.fields.reason = row[7].as<std::string>();
  r.fields.evidence = row[8].as<std::string>();
  r.fields.prev_hash = row[9].as<std::string>();
  r.hash = row[10].as<std::string>();
  return r;
}

std::chrono::system_clock::time_point FromMicros(int64_t micros) {
  return std::chrono::system_clock::time_point(std::chrono::microseconds(micros));
}

}  // namespace

std::string ChainHash(const HashedFields& f) {
  std::string encoded;
  encoded.reserve(f.evidence.size() + f.reason.size() + 256);
  AppendNetstring(encoded, kHashDomain);
  AppendNetstring(encoded, std::to_string(f.seq));
  AppendNetstring(encoded, std::to_string(f.at_micros));
  AppendNetstring(encoded, f.actor);
  AppendNetstring(encoded, f.action);
  AppendNetstring(encoded, f.deployment_id);
  AppendNetstring(encoded, f.release_id);
  AppendNetstring(encoded, f.environment);
  AppendNetstring(encoded, f.reason);
  AppendNetstring(encoded, f.evidence);
  AppendNetstring(encoded, f.prev_hash);

  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(encoded.data(), encoded.size(), md, &len, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * len);
  for (unsigned i = 0; i < len; ++i) {
    out.push_back(kHex[md[i] >> 4]);
    out.push_back(kHex[md[i] & 15]);
  }
  return out;
}

absl::StatusOr<Record> Append(pqxx::work& tx, const Entry& entry) {
  if (entry.actor.empty()) return absl::InvalidArgumentError("audit entry actor: empty");
  if (entry.action.empty()) return absl::InvalidArgumentError("audit entry action: empty");
  const std::pair<std::string_view, const std::string*> texts[] = {
      {"actor", &entry.actor},
      {"action", &entry.action},
      {"deployment_id", &entry.deployment_id},
      {"release_id", &entry.release_id},
      {"environment", &entry.environment},
      {"reason", &entry.reason},
  };
  for (const auto& [name, value] : texts) SLIPWAY_RETURN_IF_ERROR(CheckText(name, *value));

  HashedFields f;
  try {
    // JSON escapes control characters (NUL included); strict refuses strings that are not
    // UTF-8.
    f.evidence = entry.evidence.dump(-1, ' ', false, nlohmann::json::error_handler_t::strict);
  } catch (const nlohmann::json::exception& e) {
    return absl::InvalidArgumentError(fmt::format("audit entry evidence: {}", e.what()));
  }
  f.actor = entry.actor;
  f.action = entry.action;
  f.deployment_id = entry.deployment_id;
  f.release_id = entry.release_id;
  f.environment = entry.environment;
  f.reason = entry.reason;

  try {
    tx.exec_params("SELECT pg_advisory_xact_lock($1)", kAppendLockKey);
    // Under the lock, so this statement's snapshot sees every earlier append, and `at` follows
    // seq order (unless the server's clock steps back). `at` is written back as the UTC text
    // of the same instant, which timestamptz stores exactly.
    auto head = tx.exec(
        "SELECT h.seq, h.hash, (extract(epoch FROM c.t) * 1000000)::bigint, "
        "       to_char(c.t AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') "
        "FROM (SELECT clock_timestamp() AS t) c "
        "LEFT JOIN LATERAL (SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1) h ON true");
    const auto& row = head[0];
    f.seq = row[0].is_null() ? 1 : row[0].as<int64_t>() + 1;
    f.prev_hash = row[1].is_null() ? std::string(kGenesisHash) : row[1].as<std::string>();
    f.at_micros = row[2].as<int64_t>();
    const std::string at_text = row[3].as<std::string>();

    Record record;
    record.seq = f.seq;
    record.at = FromMicros(f.at_micros);
    record.entry = entry;
    record.prev_hash = f.prev_hash;
    record.hash = ChainHash(f);
    tx.exec_params(
        "INSERT INTO audit_log (seq, at, actor, action, deployment_id, release_id, environment, "
        "reason, evidence, prev_hash, hash) "
        "VALUES ($1, $2::timestamptz, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        f.seq, at_text, f.actor, f.action, f.deployment_id, f.release_id, f.environment, f.reason,
        f.evidence, f.prev_hash, record.hash);
    return record;
  } catch (const std::exception& e) {
    return DatabaseError(e, "append");
  }
}

absl::StatusOr<Verification> Verify(pqxx::work& tx) {
  Verification v;
  v.head_hash = kGenesisHash;
  int64_t last_seq = 0;
  // No lower bound on the first page: a forged row with seq <= 0 is read and reported too.
  int64_t after = std::numeric_limits<int64_t>::min();
  try {
    for (;;) {
      auto page = tx.exec_params(
          fmt::format("SELECT {} FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2", kColumns),
          after, kVerifyPageRows);
      for (const auto& row : page) {
        StoredRow r = ReadRow(row);
        const int64_t seq = r.fields.seq;
        const int64_t expected = last_seq + 1;
        std::string problem;
        if (seq < expected) {
          problem = fmt::format("entry {}: seq below 1 (the log starts at 1)", seq);
        } else if (seq == expected + 1) {
          problem = fmt::format("entry {} missing (seq jumps {} -> {})", expected, last_seq, seq);
        } else if (seq > expected) {
          problem = fmt::format("entries {}..{} missing (seq jumps {} -> {})", expected, seq - 1,
                                last_seq, seq);
        } else if (r.fields.prev_hash != v.head_hash) {
          problem = last_seq == 0
                        ? std::string("entry 1: prev_hash is not the genesis hash (64 zeros)")
                        : fmt::format("entry {}: prev_hash is not entry {}'s hash", seq, last_seq);
        } else if (ChainHash(r.fields) != r.hash) {
          problem = fmt::format(
              "entry {}: hash does not match its content (a field was changed after it was "
              "written)",
              seq);
        }
        if (!problem.empty()) {
          v.ok = false;
          v.first_bad_seq = std::min(seq, expected);
          v.problem = std::move(problem);
          return v;
        }
        ++v.entries;
        v.head_hash = std::move(r.hash);
        last_seq = after = seq;
      }
      if (page.size() < static_cast<size_t>(kVerifyPageRows)) return v;
    }
  } catch (const std::exception& e) {
    return DatabaseError(e, "verify");
  }
}

absl::StatusOr<std::vector<Record>> List(pqxx::work& tx, const std::string& deployment_id,
                                         int limit) {
  if (limit <= 0)
    return absl::InvalidArgumentError(
        fmt::format("audit list: limit must be positive, got {}", limit));
  std::vector<Record> out;
  try {
    // Newest `limit` first through the (deployment_id, seq) index, then oldest first.
    constexpr std::string_view kQuery =
        "SELECT * FROM (SELECT {} FROM audit_log {} ORDER BY seq DESC LIMIT $1) s ORDER BY seq";
    auto rows = deployment_id.empty()
                    ? tx.exec_params(fmt::format(kQuery, kColumns, ""), limit)
                    : tx.exec_params(fmt::format(kQuery, kColumns, "WHERE deployment_id = $2"),
                                     limit, deployment_id);
    out.reserve(rows.size());
    for (const auto& row : rows) {
      StoredRow r = ReadRow(row);
      Record record;
      record.seq = r.fields.seq;
      record.at = FromMicros(r.fields.at_micros);
      record.entry.actor = std::move(r.fields.actor);
      record.entry.action = std::move(r.fields.action);
      record.entry.deployment_id = std::move(r.fields.deployment_id);
      record.entry.release_id = std::move(r.fields.release_id);
      record.entry.environment = std::move(r.fields.environment);
      record.entry.reason = std::move(r.fields.reason);
      record.entry.evidence = nlohmann::json::parse(r.fields.evidence, nullptr, false);
      if (record.entry.evidence.is_discarded())
        return absl::DataLossError(
            fmt::format("audit entry {}: evidence is not JSON ({} bytes): run Verify", record.seq,
                        r.fields.evidence.size()));
      record.prev_hash = std::move(r.fields.prev_hash);
      record.hash = std::move(r.hash);
      out.push_back(std::move(record));
    }
  } catch (const std::exception& e) {
    return DatabaseError(e, "list");
  }
  return out;
}

}  // namespace slipway::audit
