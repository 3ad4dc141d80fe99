// The audit chain against a real PostgreSQL server: one cluster for the suite, a private
// database (migrated) per test.
#include "libs/audit/audit.h"

#include <atomic>
#include <thread>

#include "gtest/gtest.h"
#include "libs/core/digest.h"
#include "libs/core/ids.h"
#include "libs/store/store.h"
#include "tests/harness/database.h"

namespace slipway::audit {
namespace {

class AuditTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto pool = testing::NewMigratedDatabase("audit", 16);
    ASSERT_TRUE(pool.ok()) << pool.status();
    pool_ = std::move(*pool);
  }

  absl::Status Run(const std::function<void(pqxx::work&)>& fn) {
    return pool_->Transact([&](pqxx::work& tx) {
      fn(tx);
      return absl::OkStatus();
    });
  }

  absl::StatusOr<Record> AppendOne(const Entry& entry) {
    absl::StatusOr<Record> out = absl::UnknownError("not run");
    absl::Status st = pool_->Transact([&](pqxx::work& tx) {
      out = Append(tx, entry);
      return out.status();
    });
    if (!st.ok()) return st;
    return out;
  }

  // Appends `count` entries in one transaction: reason "step <seq>", deployment d-<seq % 3>.
  void AppendMany(int count) {
    ASSERT_TRUE(pool_
                    ->Transact([&](pqxx::work& tx) {
                      for (int i = 0; i < count; ++i) {
                        Entry e;
                        e.actor = "slipway-rollout";
                        e.action = "weight-set";
                        e.deployment_id = "d-" + std::to_string(i % 3);
                        e.environment = "production";
                        e.reason = "step " + std::to_string(i);
                        e.evidence = {{"weight", i}};
                        auto r = Append(tx, e);
                        if (!r.ok()) return r.status();
                      }
                      return absl::OkStatus();
                    })
                    .ok());
  }

  Verification MustVerify() {
    absl::StatusOr<Verification> v = absl::UnknownError("not run");
    absl::Status st = pool_->Transact([&](pqxx::work& tx) {
      v = Verify(tx);
      return v.status();
    });
    EXPECT_TRUE(st.ok()) << st;
    return v.ok() ? *v : Verification{false, -1, -1, "verify failed", ""};
  }

  std::vector<Record> MustList(const std::string& deployment_id, int limit) {
    absl::StatusOr<std::vector<Record>> out = absl::UnknownError("not run");
    absl::Status st = pool_->Transact([&](pqxx::work& tx) {
      out = List(tx, deployment_id, limit);
      return out.status();
    });
    EXPECT_TRUE(st.ok()) << st;
    return out.ok() ? *out : std::vector<Record>{};
  }

  // Runs `sql` with the append-only trigger switched off (as an attacker with DDL rights
  // could), then switches it back on.
  void Tamper(const std::string& sql) {
    ASSERT_TRUE(Run([&](pqxx::work& tx) {
                  tx.exec("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only");
                  tx.exec(sql);
                  tx.exec("ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only");
                }).ok());
  }

  // A row's fields as stored, for recomputing its hash the way a forger would.
  HashedFields Stored(int64_t seq) {
    HashedFields f;
    EXPECT_TRUE(
        Run([&](pqxx::work& tx) {
          auto r = tx.exec_params(
              "SELECT (extract(epoch FROM at) * 1000000)::bigint, actor, action, deployment_id, "
              "release_id, environment, reason, evidence, prev_hash FROM audit_log WHERE seq = $1",
              seq);
          ASSERT_EQ(r.size(), 1u);
          f.seq = seq;
          f.at_micros = r[0][0].as<int64_t>();
          f.actor = r[0][1].as<std::string>();
          f.action = r[0][2].as<std::string>();
          f.deployment_id = r[0][3].as<std::string>();
          f.release_id = r[0][4].as<std::string>();
          f.environment = r[0][5].as<std::string>();
          f.reason = r[0][6].as<std::string>();
          f.evidence = r[0][7].as<std::string>();
          f.prev_hash = r[0][8].as<std::string>();
        }).ok());
    return f;
  }

  std::unique_ptr<store::ConnectionPool> pool_;
};

std::string Netstring(const std::string& s) { return std::to_string(s.size()) + ":" + s + ","; }

TEST(ChainHashTest, IsSha256OfTheDocumentedNetstrings) {
  HashedFields f;
  f.seq = 12;
  f.at_micros = 1709251200123456;
  f.actor = "alice";
  f.action = "approved";
  f.deployment_id = "d1";
  f.release_id = "";
  f.environment = "production";
  f.reason = "looks good";
  f.evidence = R"({"gate":""})";
  f.prev_hash = kGenesisHash;
  const std::string encoded = Netstring("slipway.audit.v1") + Netstring("12") +
                              Netstring("1709251200123456") + Netstring("alice") +
                              Netstring("approved") + Netstring("d1") + Netstring("") +
                              Netstring("production") + Netstring("looks good") +
                              Netstring(R"({"gate":""})") + Netstring(kGenesisHash);
  EXPECT_EQ("sha256:" + ChainHash(f), Sha256Digest(encoded));
  EXPECT_EQ(ChainHash(f).size(), 64u);
}

TEST(ChainHashTest, MovingBytesBetweenFieldsChangesTheHash) {
  HashedFields a;
  a.actor = "ab";
  a.action = "c";
  HashedFields b = a;
  b.actor = "a";
  b.action = "bc";
  EXPECT_NE(ChainHash(a), ChainHash(b));
  HashedFields c = a;
  c.reason = "x";
  EXPECT_NE(ChainHash(a), ChainHash(c));
}

TEST_F(AuditTest, AppendsAChainThatVerifies) {
  Verification empty = MustVerify();
  EXPECT_TRUE(empty.ok);
  EXPECT_EQ(empty.entries, 0);
  EXPECT_EQ(empty.head_hash, kGenesisHash);

  Entry e;
  e.actor = "alice";
  e.action = "approved";
  e.deployment_id = "4f1c2d7e-0000-4000-8000-000000000001";
  e.environment = "production";
  e.reason = "canary looks healthy";
  e.evidence = {{"gate", "step-2"}};
  auto first = AppendOne(e);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->seq, 1);
  EXPECT_EQ(first->prev_hash, kGenesisHash);
  EXPECT_EQ(first->hash.size(), 64u);

  e.actor = "slipway-rollout";
  e.action = "weight-set";
  e.release_id = "r-1";
  e.evidence = {{"weight", 25}};
  auto second = AppendOne(e);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->seq, 2);
  EXPECT_EQ(second->prev_hash, first->hash);
  EXPECT_GE(second->at, first->at);

  // What List reads back is what Append returned, `at` to the microsecond.
  std::vector<Record> listed = MustList("", 10);
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_EQ(listed[0].at, first->at);
  EXPECT_EQ(listed[0].hash, first->hash);
  EXPECT_EQ(listed[0].entry.actor, "alice");
  EXPECT_EQ(listed[0].entry.evidence, nlohmann::json({{"gate", "step-2"}}));
  EXPECT_EQ(listed[1].at, second->at);
  EXPECT_EQ(listed[1].hash, second->hash);
  EXPECT_EQ(listed[1].entry.release_id, "r-1");

  Verification v = MustVerify();
  EXPECT_TRUE(v.ok) << v.problem;
  EXPECT_EQ(v.entries, 2);
  EXPECT_EQ(v.first_bad_seq, 0);
  EXPECT_EQ(v.head_hash, second->hash);
}

TEST_F(AuditTest, EvidenceWithUnicodeQuotesAndLargeTextRoundTrips) {
  std::string big;
  while (big.size() < 1 << 20) big += "line \"quoted\" \\ back\tslash — ünïcødé 日本語 🚀\n";
  big.push_back('\0');  // JSON escapes it; PostgreSQL never sees a NUL byte
  big += "after nul";
  Entry e;
  e.actor = "Zoë O'Brien";
  e.action = "rollback-requested";
  e.deployment_id = "d-unicode";
  e.reason = R"(said "stop" — it's broken; 'quotes' and \backslashes\)";
  e.evidence = {{"hook_output", big},
                {"metric", "error-rate"},
                {"value", 0.0731},
                {"threshold", "result < 0.05"},
                {"nested", {{"list", {1, "two", nullptr}}}}};
  auto r = AppendOne(e);
  ASSERT_TRUE(r.ok()) << r.status();

  std::vector<Record> listed = MustList("d-unicode", 5);
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].entry.actor, e.actor);
  EXPECT_EQ(listed[0].entry.reason, e.reason);
  EXPECT_EQ(listed[0].entry.evidence, e.evidence);
  EXPECT_EQ(listed[0].entry.evidence["hook_output"].get<std::string>().size(), big.size());
  Verification v = MustVerify();
  EXPECT_TRUE(v.ok) << v.problem;
  EXPECT_EQ(v.entries, 1);
}

TEST_F(AuditTest, RefusesEntriesPostgresCannotStore) {
  Entry e;
  e.action = "approved";
  auto r = AppendOne(e);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("actor"), std::string::npos) << r.status();

  e.actor = "bob";
  e.reason = std::string("bad \xff byte");
  r = AppendOne(e);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("reason: not UTF-8 at byte offset 4"), std::string::npos)
      << r.status();

  e.reason = std::string("nul\0inside", 10);
  r = AppendOne(e);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("reason: NUL byte at offset 3"), std::string::npos)
      << r.status();

  e.reason = "";
  e.evidence = {{"output", std::string("\xc3\x28")}};
  r = AppendOne(e);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("evidence"), std::string::npos) << r.status();

  EXPECT_EQ(MustVerify().entries, 0);
}

TEST_F(AuditTest, TriggerRefusesUpdateDeleteAndTruncate) {
  AppendMany(3);
  for (const char* sql : {"UPDATE audit_log SET reason = 'rewritten' WHERE seq = 2",
                          "DELETE FROM audit_log WHERE seq = 3", "TRUNCATE audit_log"}) {
    absl::Status st = Run([&](pqxx::work& tx) { tx.exec(sql); });
    EXPECT_FALSE(st.ok()) << sql;
    EXPECT_NE(st.message().find("audit_log is append-only"), std::string::npos) << st;
  }
  Verification v = MustVerify();
  EXPECT_TRUE(v.ok) << v.problem;
  EXPECT_EQ(v.entries, 3);
}

TEST_F(AuditTest, DetectsAChangedReason) {
  AppendMany(10);
  Tamper("UPDATE audit_log SET reason = 'nothing to see' WHERE seq = 7");
  Verification v = MustVerify();
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.first_bad_seq, 7);
  EXPECT_EQ(v.entries, 6);
  EXPECT_EQ(v.problem,
            "entry 7: hash does not match its content (a field was changed after it was "
            "written)");
}

TEST_F(AuditTest, DetectsADeletedEntry) {
  AppendMany(10);
  Tamper("DELETE FROM audit_log WHERE seq = 9");
  Verification v = MustVerify();
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.first_bad_seq, 9);
  EXPECT_EQ(v.entries, 8);
  EXPECT_EQ(v.problem, "entry 9 missing (seq jumps 8 -> 10)");

  Tamper("DELETE FROM audit_log WHERE seq IN (1, 2)");
  v = MustVerify();
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.first_bad_seq, 1);
  EXPECT_EQ(v.problem, "entries 1..2 missing (seq jumps 0 -> 3)");
}

TEST_F(AuditTest, DetectsARehashedEntryByTheNextLink) {
  AppendMany(12);
  // The forger changes entry 11 and recomputes its hash, but cannot fix entry 12's prev_hash
  // without rewriting everything after it.
  HashedFields f = Stored(11);
  f.reason = "approved by nobody";
  const std::string forged = ChainHash(f);
  Tamper("UPDATE audit_log SET reason = 'approved by nobody', hash = '" + forged +
         "' WHERE seq = 11");
  Verification v = MustVerify();
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.first_bad_seq, 12);
  EXPECT_EQ(v.entries, 11);
  EXPECT_EQ(v.problem, "entry 12: prev_hash is not entry 11's hash");
  EXPECT_EQ(v.head_hash, forged);
}

TEST_F(AuditTest, DetectsAForgedEntryAtTheEnd) {
  AppendMany(5);
  // INSERT is allowed: the forged row's own hash is right, but it links to entry 3, not 5.
  HashedFields f = Stored(5);
  f.seq = 6;
  f.actor = "mallory";
  f.action = "approved";
  f.prev_hash = Stored(4).prev_hash;
  const std::string hash = ChainHash(f);
  ASSERT_TRUE(
      Run([&](pqxx::work& tx) {
        tx.exec_params(
            "INSERT INTO audit_log (seq, at, actor, action, deployment_id, release_id, "
            "environment, "
            "reason, evidence, prev_hash, hash) VALUES ($1, now(), $2, $3, $4, $5, $6, $7, $8, $9, "
            "$10)",
            f.seq, f.actor, f.action, f.deployment_id, f.release_id, f.environment, f.reason,
            f.evidence, f.prev_hash, hash);
      }).ok());
  Verification v = MustVerify();
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.first_bad_seq, 6);
  EXPECT_EQ(v.entries, 5);
  EXPECT_EQ(v.problem, "entry 6: prev_hash is not entry 5's hash");
}

TEST_F(AuditTest, VerifiesAcrossPagesAndFindsABreakOnAPageBoundary) {
  AppendMany(2500);
  Verification v = MustVerify();
  EXPECT_TRUE(v.ok) << v.problem;
  EXPECT_EQ(v.entries, 2500);
  EXPECT_EQ(v.head_hash, MustList("", 1).at(0).hash);

  // Entry 1000 ends the first page; the broken link is only visible from the second.
  HashedFields f = Stored(1000);
  f.reason = "rewritten";
  Tamper("UPDATE audit_log SET reason = 'rewritten', hash = '" + ChainHash(f) +
         "' WHERE seq = 1000");
  v = MustVerify();
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.first_bad_seq, 1001);
  EXPECT_EQ(v.problem, "entry 1001: prev_hash is not entry 1000's hash");

  // Pointing entry 1001 at the new hash changes 1001's content in turn: the forger would have
  // to rehash every entry after it.
  Tamper(
      "UPDATE audit_log SET prev_hash = (SELECT hash FROM audit_log WHERE seq = 1000) "
      "WHERE seq = 1001");
  v = MustVerify();
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.first_bad_seq, 1001);
  EXPECT_EQ(v.entries, 1000);
  EXPECT_EQ(v.problem.rfind("entry 1001: hash does not match its content", 0), 0u) << v.problem;
}

TEST_F(AuditTest, ConcurrentAppendersKeepOneLinearChain) {
  constexpr int kThreads = 8, kEach = 25;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        Entry e;
        e.actor = "worker-" + std::to_string(t);
        e.action = "analysis";
        e.deployment_id = "d-" + std::to_string(t);
        e.evidence = {{"i", i}};
        if (!AppendOne(e).ok()) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);

  Verification v = MustVerify();
  EXPECT_TRUE(v.ok) << v.problem;
  EXPECT_EQ(v.entries, kThreads * kEach);
  int64_t count = 0, min_seq = 0, max_seq = 0;
  ASSERT_TRUE(Run([&](pqxx::work& tx) {
                auto r = tx.exec("SELECT count(*), min(seq), max(seq) FROM audit_log");
                count = r[0][0].as<int64_t>();
                min_seq = r[0][1].as<int64_t>();
                max_seq = r[0][2].as<int64_t>();
              }).ok());
  EXPECT_EQ(count, 200);
  EXPECT_EQ(min_seq, 1);
  EXPECT_EQ(max_seq, 200);
  std::vector<Record> all = MustList("", 1000);
  ASSERT_EQ(all.size(), 200u);
  for (size_t i = 1; i < all.size(); ++i) {
    EXPECT_EQ(all[i].seq, all[i - 1].seq + 1);
    EXPECT_EQ(all[i].prev_hash, all[i - 1].hash);
    EXPECT_GE(all[i].at, all[i - 1].at) << "seq " << all[i].seq;
  }
  std::vector<Record> mine = MustList("d-3", 1000);
  ASSERT_EQ(mine.size(), static_cast<size_t>(kEach));
  for (size_t i = 0; i < mine.size(); ++i)
    EXPECT_EQ(mine[i].entry.evidence["i"], static_cast<int>(i));
}

TEST_F(AuditTest, RolledBackAppendLeavesNoTraceAndNoGap) {
  AppendMany(2);
  absl::Status st = pool_->Transact([&](pqxx::work& tx) {
    Entry e;
    e.actor = "slipway-rollout";
    e.action = "promoted";
    auto r = Append(tx, e);
    if (!r.ok()) return r.status();
    EXPECT_EQ(r->seq, 3);
    return absl::AbortedError("the change it recorded failed");
  });
  EXPECT_EQ(st.code(), absl::StatusCode::kAborted);
  EXPECT_EQ(MustList("", 10).size(), 2u);

  Entry e;
  e.actor = "slipway-rollout";
  e.action = "aborted";
  auto r = AppendOne(e);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->seq, 3);
  Verification v = MustVerify();
  EXPECT_TRUE(v.ok) << v.problem;
  EXPECT_EQ(v.entries, 3);
  std::vector<Record> all = MustList("", 10);
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[2].entry.action, "aborted");
}

TEST_F(AuditTest, ListReturnsTheLatestEntriesOldestFirst) {
  AppendMany(10);  // deployments d-0: seq 1,4,7,10; d-1: 2,5,8; d-2: 3,6,9
  std::vector<Record> d0 = MustList("d-0", 3);
  ASSERT_EQ(d0.size(), 3u);
  EXPECT_EQ(d0[0].seq, 4);
  EXPECT_EQ(d0[1].seq, 7);
  EXPECT_EQ(d0[2].seq, 10);
  EXPECT_EQ(d0[2].entry.reason, "step 9");
  EXPECT_TRUE(MustList("unknown", 3).empty());
  std::vector<Record> last = MustList("", 2);
  ASSERT_EQ(last.size(), 2u);
  EXPECT_EQ(last[0].seq, 9);
  EXPECT_EQ(last[1].seq, 10);

  absl::Status st = Run([&](pqxx::work& tx) {
    auto r = List(tx, "", 0);
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(r.status().message().find("limit must be positive, got 0"), std::string::npos);
  });
  EXPECT_TRUE(st.ok());
}

}  // namespace
}  // namespace slipway::audit
