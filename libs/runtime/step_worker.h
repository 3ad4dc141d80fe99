// The consume loop every step service runs: read a StepCommand from the service's command
// topic, skip it if the inbox has it, run the handler, then in ONE transaction record the
// inbox row and queue the StepResult in the outbox; commit the Kafka offset only after that
// transaction committed. Unparseable commands go to the dead-letter topic with the reason.
//
// Run() occupies the calling thread until `stop` is set; the message in hand is finished
// first. Any number of replicas share the work through the consumer group.
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "libs/bus/bus.h"
#include "libs/store/artifact_store.h"
#include "libs/store/outbox_relay.h"
#include "libs/store/store.h"
#include "slipway/v1/steps.pb.h"

namespace slipway::runtime {

// A service's logic for one command. Returns a StepResult for every outcome the step itself
// decides (ok or failed); returns an error Status only for infrastructure trouble, which the
// worker turns into a failed result that is retryable when the status is.
class StepHandler {
 public:
  virtual ~StepHandler() = default;
  virtual absl::StatusOr<v1::StepResult> Handle(const v1::StepCommand& command) = 0;
};

struct StepWorkerOptions {
  std::string
      service;  // "mapper", ...: topic slipway.commands.<service>.v1, group slipway-<service>
  std::string replica;  // reported in each result
};

class StepWorker {
 public:
  StepWorker(bus::BusConfig bus_config, store::ConnectionPool& pool, bus::Producer& producer,
             store::OutboxRelay& relay, StepHandler& handler, StepWorkerOptions options);

  absl::Status Run(const std::atomic<bool>& stop);

  uint64_t handled() const { return handled_.load(); }

 private:
  // Returns OK when the message may be committed.
  absl::Status Process(const bus::Message& message);
  // OK once the message is on the dead-letter topic; retryable when stopping first.
  absl::Status DeadLetter(const bus::Message& message, const std::string& reason);

  bus::BusConfig bus_config_;
  store::ConnectionPool& pool_;
  bus::Producer& producer_;
  store::OutboxRelay& relay_;
  StepHandler& handler_;
  StepWorkerOptions options_;
  std::atomic<uint64_t> handled_{0};
  const std::atomic<bool>* stop_ = nullptr;
};

// Publishes `message` to the dead-letter topic with `reason` in header slipway_error and the
// origin in slipway_original_topic/partition/offset.
absl::Status SendToDeadLetter(bus::Producer& producer, const bus::Message& message,
                              const std::string& reason);

}  // namespace slipway::runtime

namespace slipway::runtime {

// Results for handlers to return.
v1::StepResult Succeeded(const std::string& summary);
v1::StepResult Failed(const std::string& error, bool retryable = false);

// Adds `add`'s calls, tokens and cost to `total`; the provider and model are taken from `add`
// when `total` has none, and a different model is appended ("a, b").
void AddUsage(v1::ModelUsage& total, const v1::ModelUsage& add);

// Reads artifact `name` of `command` into `out`. FAILED_PRECONDITION when the command does not
// carry it (an earlier step did not produce it).
absl::Status LoadArtifact(store::ArtifactStore& store, const v1::StepCommand& command,
                          const std::string& name, google::protobuf::Message& out);

}  // namespace slipway::runtime
