// The store against a real PostgreSQL server started for the test, and the relay against the
// real broker.
#include <thread>

#include "gtest/gtest.h"
#include "libs/bus/embedded_broker.h"
#include "libs/core/ids.h"
#include "libs/store/artifact_store.h"
#include "libs/store/embedded_postgres.h"
#include "libs/store/outbox_relay.h"
#include "libs/store/store.h"
#include "slipway/v1/artifacts.pb.h"

namespace slipway::store {
namespace {

using namespace std::chrono_literals;

class StoreTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto pg = EmbeddedPostgres::Start(
        std::filesystem::temp_directory_path() / ("slipway-store-test-" + NewUuid()), true);
    ASSERT_TRUE(pg.ok()) << pg.status();
    pg_ = std::move(*pg);
  }
  static void TearDownTestSuite() { pg_.reset(); }
  static std::unique_ptr<EmbeddedPostgres> pg_;
};
std::unique_ptr<EmbeddedPostgres> StoreTest::pg_;

TEST_F(StoreTest, MigrationsApplyOnceEvenConcurrently) {
  ConnectionPool a(pg_->url()), b(pg_->url());
  absl::Status sa, sb;
  std::thread t1([&] { sa = Migrate(a); });
  std::thread t2([&] { sb = Migrate(b); });
  t1.join();
  t2.join();
  ASSERT_TRUE(sa.ok()) << sa;
  ASSERT_TRUE(sb.ok()) << sb;
  int64_t n = 0;
  ASSERT_TRUE(a.Transact([&](pqxx::work& tx) {
                 n = tx.exec("SELECT count(*) FROM schema_migrations")[0][0].as<int64_t>();
                 return absl::OkStatus();
               }).ok());
  EXPECT_EQ(n, 5);  // one row per migration, none twice
}

TEST_F(StoreTest, InboxDeduplicatesAndRollbackForgets) {
  ConnectionPool pool(pg_->url());
  ASSERT_TRUE(Migrate(pool).ok());
  bool first = false, second = true;
  ASSERT_TRUE(pool.Transact([&](pqxx::work& tx) {
                    first = RecordInbox(tx, "c", "m1");
                    return absl::OkStatus();
                  })
                  .ok());
  ASSERT_TRUE(pool.Transact([&](pqxx::work& tx) {
                    second = RecordInbox(tx, "c", "m1");
                    return absl::OkStatus();
                  })
                  .ok());
  EXPECT_TRUE(first);
  EXPECT_FALSE(second);
  // A failed handler rolls its inbox row back: the message will be handled again.
  EXPECT_FALSE(pool.Transact([&](pqxx::work& tx) {
                     RecordInbox(tx, "c", "m2");
                     return absl::InternalError("handler failed");
                   })
                   .ok());
  bool again = false;
  ASSERT_TRUE(pool.Transact([&](pqxx::work& tx) {
                    again = RecordInbox(tx, "c", "m2");
                    return absl::OkStatus();
                  })
                  .ok());
  EXPECT_TRUE(again);
}

TEST_F(StoreTest, ArtifactsAreContentAddressed) {
  ConnectionPool pool(pg_->url());
  ASSERT_TRUE(Migrate(pool).ok());
  ArtifactStore store(pool);
  v1::TestReport report;
  report.set_total(3);
  report.set_passed(2);
  auto d1 = store.PutMessage(report);
  auto d2 = store.PutMessage(report);
  ASSERT_TRUE(d1.ok()) << d1.status();
  EXPECT_EQ(*d1, *d2);
  v1::TestReport back;
  ASSERT_TRUE(store.GetMessage(*d1, back).ok());
  EXPECT_EQ(back.passed(), 2u);
  EXPECT_EQ(store.Get("sha256:nope").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store.Lookup("map", "tree-1").status().code(), absl::StatusCode::kNotFound);
  ASSERT_TRUE(store.Remember("map", "tree-1", *d1).ok());
  EXPECT_EQ(*store.Lookup("map", "tree-1"), *d1);
  std::string binary("\0\x01\xff", 3);
  auto d3 = store.Put(binary, "application/octet-stream");
  ASSERT_TRUE(d3.ok());
  EXPECT_EQ(*store.Get(*d3), binary);
}

TEST_F(StoreTest, RelayPublishesOutboxRowsThroughTheBroker) {
  ConnectionPool pool(pg_->url());
  ASSERT_TRUE(Migrate(pool).ok());
  auto broker = bus::EmbeddedBroker::Start({"relay.t"}, 1);
  ASSERT_TRUE(broker.ok());
  bus::BusConfig cfg{(*broker)->bootstraps(), "test", {}, {}};
  auto producer = bus::Producer::Create(cfg);
  ASSERT_TRUE(producer.ok());
  bus::Message m;
  m.topic = "relay.t";
  m.key = "d1";
  m.payload = std::string("pay\0load", 8);
  m.headers = bus::CloudEventHeaders("evt-1", bus::kTypeStepCommand, "test", "");
  ASSERT_TRUE(pool.Transact([&](pqxx::work& tx) {
                    EnqueueOutbox(tx, m);
                    bus::Message later = m;
                    later.headers =
                        bus::CloudEventHeaders("evt-2", bus::kTypeStepCommand, "test", "");
                    EnqueueOutbox(tx, later, 1h);  // not due yet
                    return absl::OkStatus();
                  })
                  .ok());
  OutboxRelay relay(pool, **producer);
  auto n = relay.RelayOnce();
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(*n, 1);
  EXPECT_EQ(*relay.RelayOnce(), 0);  // published rows are not sent again
  // Retention: published rows go once old enough; the unpublished one stays.
  auto pruned = relay.Prune(std::chrono::seconds(0), std::chrono::hours(1));
  ASSERT_TRUE(pruned.ok()) << pruned.status();
  EXPECT_GE(*pruned, 1);
  int64_t left = -1;
  ASSERT_TRUE(pool.Transact([&](pqxx::work& tx) {
                    left = tx.exec("SELECT count(*) FROM outbox WHERE message_id = 'evt-2'")[0][0]
                               .as<int64_t>();
                    return absl::OkStatus();
                  })
                  .ok());
  EXPECT_EQ(left, 1);
  auto consumer = bus::Consumer::Create(cfg, "g", {"relay.t"});
  ASSERT_TRUE(consumer.ok());
  std::optional<bus::Message> got;
  auto deadline = std::chrono::steady_clock::now() + 20s;
  while (!got && std::chrono::steady_clock::now() < deadline) {
    auto r = (*consumer)->Poll(100ms);
    if (r.ok() && r->has_value()) got = **r;
  }
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->payload, m.payload);
  EXPECT_EQ(got->Header("ce_id"), "evt-1");
}

}  // namespace
}  // namespace slipway::store
