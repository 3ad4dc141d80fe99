// A Kafka-protocol broker inside this process, through librdkafka's mock cluster. It serves
// other processes over TCP on loopback. Messages live in memory only.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

struct rd_kafka_s;
struct rd_kafka_mock_cluster_s;

namespace slipway::bus {

class EmbeddedBroker {
 public:
  // Starts a cluster of `brokers` brokers and creates `topics` with `partitions` each.
  static absl::StatusOr<std::unique_ptr<EmbeddedBroker>> Start(
      const std::vector<std::string>& topics, int partitions, int brokers = 1);
  ~EmbeddedBroker();

  // "127.0.0.1:port,..." for bootstrap.servers.
  const std::string& bootstraps() const { return bootstraps_; }
  absl::Status CreateTopic(const std::string& topic, int partitions);

 private:
  EmbeddedBroker() = default;
  rd_kafka_s* rk_ = nullptr;
  rd_kafka_mock_cluster_s* cluster_ = nullptr;
  std::string bootstraps_;
};

// Every topic Slipway uses: recommendations, events, dead letters, one command topic a service.
std::vector<std::string> SlipwayTopics();

}  // namespace slipway::bus
