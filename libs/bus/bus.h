// The event bus over librdkafka: an idempotent producer, group consumers that commit offsets
// only when told to, CloudEvents Kafka-binding headers and W3C trace context.
//
// Producer is thread-safe. A Consumer belongs to one thread. Errors are UNAVAILABLE (retryable)
// for broker trouble and INVALID_ARGUMENT for bad configuration.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

struct rd_kafka_s;
struct rd_kafka_message_s;

namespace slipway::bus {

// Topic names.
inline constexpr char kRecommendationsTopic[] = "slipway.recommendations.v1";
inline constexpr char kEventsTopic[] = "slipway.events.v1";
inline constexpr char kDeadLetterTopic[] = "slipway.deadletter.v1";
std::string CommandTopic(const std::string& service);  // slipway.commands.<service>.v1

// CloudEvents types.
inline constexpr char kTypeRecommendation[] = "slipway.recommendation.v1";
inline constexpr char kTypeStepCommand[] = "slipway.step.command.v1";
inline constexpr char kTypeStepResult[] = "slipway.step.result.v1";
inline constexpr char kTypeDeploymentUpdated[] = "slipway.deployment.updated.v1";

using Headers = std::vector<std::pair<std::string, std::string>>;

struct Message {
  std::string topic;
  std::string key;
  std::string payload;
  Headers headers;
  int32_t partition = -1;
  int64_t offset = -1;

  std::optional<std::string> Header(const std::string& name) const;
};

// CloudEvents binary-mode headers for a new event: ce_id, ce_type, ce_source, ce_specversion,
// ce_time, content-type, and traceparent when `traceparent` is not empty.
Headers CloudEventHeaders(const std::string& id, const std::string& type, const std::string& source,
                          const std::string& traceparent,
                          const std::string& content_type = "application/protobuf");

// "00-<trace id>-<span id>-01".
std::string MakeTraceparent(const std::string& trace_id, const std::string& span_id);
// The trace id of a traceparent header, or "" when malformed.
std::string TraceIdOf(const std::string& traceparent);

struct BusConfig {
  std::string brokers;                                    // host:port,...
  std::string client_id;                                  // shows in broker logs
  std::map<std::string, std::string> overrides;           // any librdkafka property
  std::map<std::string, std::string> consumer_overrides;  // applied to consumers only
};

class Producer {
 public:
  static absl::StatusOr<std::unique_ptr<Producer>> Create(const BusConfig& config);
  ~Producer();

  // Sends one message and waits until the broker acknowledged it (or `timeout` passed).
  absl::Status Send(const Message& message, std::chrono::milliseconds timeout);

  // Fetches metadata for `topics` now, so that the first Send() to each does not wait for a
  // metadata round trip (about a second with librdkafka's defaults).
  absl::Status Warm(const std::vector<std::string>& topics, std::chrono::milliseconds timeout);

 private:
  explicit Producer(rd_kafka_s* rk);
  rd_kafka_s* rk_;
  struct Poller;
  std::unique_ptr<Poller> poller_;
};

class Consumer {
 public:
  // Joins consumer group `group` and subscribes to `topics`. Offsets are never committed
  // automatically: call Commit() once the message's effects are durable.
  static absl::StatusOr<std::unique_ptr<Consumer>> Create(const BusConfig& config,
                                                          const std::string& group,
                                                          const std::vector<std::string>& topics);
  ~Consumer();

  // The next message, or nullopt when none arrived within `timeout`.
  absl::StatusOr<std::optional<Message>> Poll(std::chrono::milliseconds timeout);
  // Polls until `stop` is set, calling `handle` for each message. Poll errors are logged and
  // polling goes on (librdkafka recovers from broker trouble by itself).
  void ForEach(const std::atomic<bool>& stop, const std::function<void(const Message&)>& handle);
  // Commits the position after `message` (synchronously).
  absl::Status Commit(const Message& message);
  // Leaves the group cleanly (also done by the destructor).
  void Close();

 private:
  explicit Consumer(rd_kafka_s* rk);
  rd_kafka_s* rk_;
  bool closed_ = false;
};

}  // namespace slipway::bus
