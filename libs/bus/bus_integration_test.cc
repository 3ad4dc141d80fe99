// The bus against a real Kafka-protocol broker (librdkafka's mock cluster over TCP).
#include <set>

#include "gtest/gtest.h"
#include "libs/bus/bus.h"
#include "libs/bus/embedded_broker.h"

namespace slipway::bus {
namespace {

using namespace std::chrono_literals;

std::optional<Message> PollUntil(Consumer& c, std::chrono::milliseconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    auto m = c.Poll(100ms);
    if (m.ok() && m->has_value()) return std::move(**m);
  }
  return std::nullopt;
}

TEST(Bus, ProducesAndConsumesWithHeaders) {
  auto broker = EmbeddedBroker::Start({"t1"}, 2);
  ASSERT_TRUE(broker.ok()) << broker.status();
  BusConfig cfg{(*broker)->bootstraps(), "test", {}, {}};
  auto producer = Producer::Create(cfg);
  ASSERT_TRUE(producer.ok()) << producer.status();
  Message m;
  m.topic = "t1";
  m.key = "k";
  m.payload = "hello";
  m.headers = CloudEventHeaders("id-1", kTypeStepCommand, "test",
                                MakeTraceparent(std::string(32, 'a'), std::string(16, 'b')));
  ASSERT_TRUE((*producer)->Send(m, 5s).ok());
  auto consumer = Consumer::Create(cfg, "g1", {"t1"});
  ASSERT_TRUE(consumer.ok());
  auto got = PollUntil(**consumer, 15s);
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->payload, "hello");
  EXPECT_EQ(got->key, "k");
  EXPECT_EQ(got->Header("ce_id"), "id-1");
  EXPECT_EQ(got->Header("ce_specversion"), "1.0");
  EXPECT_EQ(TraceIdOf(*got->Header("traceparent")), std::string(32, 'a'));
  ASSERT_TRUE((*consumer)->Commit(*got).ok());
}

TEST(Bus, UncommittedMessageIsRedeliveredToTheGroup) {
  auto broker = EmbeddedBroker::Start({"t2"}, 1);
  ASSERT_TRUE(broker.ok());
  BusConfig cfg{(*broker)->bootstraps(), "test", {}, {}};
  auto producer = Producer::Create(cfg);
  ASSERT_TRUE(producer.ok());
  for (int i = 0; i < 2; ++i) {
    Message m;
    m.topic = "t2";
    m.payload = "m" + std::to_string(i);
    ASSERT_TRUE((*producer)->Send(m, 5s).ok());
  }
  {
    auto c = Consumer::Create(cfg, "g2", {"t2"});
    ASSERT_TRUE(c.ok());
    auto first = PollUntil(**c, 15s);
    ASSERT_TRUE(first.has_value());
    EXPECT_EQ(first->payload, "m0");
    ASSERT_TRUE((*c)->Commit(*first).ok());
    auto second = PollUntil(**c, 15s);
    ASSERT_TRUE(second.has_value());
    EXPECT_EQ(second->payload, "m1");
    // Not committed: a crash here must not lose m1.
  }
  auto c2 = Consumer::Create(cfg, "g2", {"t2"});
  ASSERT_TRUE(c2.ok());
  auto again = PollUntil(**c2, 20s);
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->payload, "m1");
}

TEST(Bus, TraceparentParsing) {
  EXPECT_EQ(TraceIdOf("garbage"), "");
  EXPECT_EQ(TraceIdOf(MakeTraceparent(std::string(32, 'f'), std::string(16, '0'))),
            std::string(32, 'f'));
}

}  // namespace
}  // namespace slipway::bus
