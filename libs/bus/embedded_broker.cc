#include "libs/bus/embedded_broker.h"

#include <fmt/format.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "libs/bus/bus.h"

namespace slipway::bus {

std::vector<std::string> SlipwayTopics() {
  std::vector<std::string> t = {kRecommendationsTopic, kEventsTopic, kDeadLetterTopic};
  for (const char* s : {"safety", "mapper", "analyzer", "implementer", "tester", "git", "rollout"})
    t.push_back(CommandTopic(s));
  return t;
}

absl::StatusOr<std::unique_ptr<EmbeddedBroker>> EmbeddedBroker::Start(
    const std::vector<std::string>& topics, int partitions, int brokers) {
  std::unique_ptr<EmbeddedBroker> b(new EmbeddedBroker());
  char err[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "client.id", "slipway-embedded-broker", err, sizeof err);
  // This handle only hosts the mock cluster; it has no bootstrap servers, by design.
  rd_kafka_conf_set(conf, "log_level", "3", err, sizeof err);
  b->rk_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  if (!b->rk_) return absl::InternalError(fmt::format("embedded broker handle: {}", err));
  b->cluster_ = rd_kafka_mock_cluster_new(b->rk_, brokers);
  if (!b->cluster_) return absl::InternalError("embedded broker: mock cluster did not start");
  b->bootstraps_ = rd_kafka_mock_cluster_bootstraps(b->cluster_);
  for (const auto& t : topics)
    if (auto st = b->CreateTopic(t, partitions); !st.ok()) return st;
  return b;
}

absl::Status EmbeddedBroker::CreateTopic(const std::string& topic, int partitions) {
  rd_kafka_resp_err_t e = rd_kafka_mock_topic_create(cluster_, topic.c_str(), partitions, 1);
  if (e != RD_KAFKA_RESP_ERR_NO_ERROR)
    return absl::InternalError(fmt::format("create topic {}: {}", topic, rd_kafka_err2str(e)));
  return absl::OkStatus();
}

EmbeddedBroker::~EmbeddedBroker() {
  if (cluster_) rd_kafka_mock_cluster_destroy(cluster_);
  if (rk_) rd_kafka_destroy(rk_);
}

}  // namespace slipway::bus
