#include "libs/runtime/step_worker.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <thread>

#include "libs/core/ids.h"
#include "libs/core/status.h"
#include "slipway/v1/deployments.pb.h"

namespace slipway::runtime {

using namespace std::chrono_literals;

namespace {
constexpr int kMaxPermanentFailures = 3;
}

absl::Status SendToDeadLetter(bus::Producer& producer, const bus::Message& message,
                              const std::string& reason) {
  bus::Message dl;
  dl.topic = bus::kDeadLetterTopic;
  dl.key = message.key;
  dl.payload = message.payload;
  dl.headers = message.headers;
  dl.headers.emplace_back("slipway_error", reason);
  dl.headers.emplace_back("slipway_original_topic", message.topic);
  dl.headers.emplace_back("slipway_original_partition", std::to_string(message.partition));
  dl.headers.emplace_back("slipway_original_offset", std::to_string(message.offset));
  spdlog::warn("dead letter from {}[{}]@{}: {}", message.topic, message.partition, message.offset,
               reason);
  return producer.Send(dl, 10s);
}

StepWorker::StepWorker(bus::BusConfig bus_config, store::ConnectionPool& pool,
                       bus::Producer& producer, store::OutboxRelay& relay, StepHandler& handler,
                       StepWorkerOptions options)
    : bus_config_(std::move(bus_config)),
      pool_(pool),
      producer_(producer),
      relay_(relay),
      handler_(handler),
      options_(std::move(options)) {}

absl::Status StepWorker::DeadLetter(const bus::Message& message, const std::string& reason) {
  // The dead-letter topic is the last resort: keep trying, the message must not vanish. When
  // stopping, give up uncommitted: the group redelivers it after a restart.
  for (auto backoff = 100ms;; backoff = std::min(backoff * 2, std::chrono::milliseconds(5000))) {
    auto st = SendToDeadLetter(producer_, message, reason);
    if (st.ok()) return absl::OkStatus();
    spdlog::error("dead-letter publish failed: {}", st.ToString());
    if (stop_ && stop_->load()) return Retryable(st);
    std::this_thread::sleep_for(backoff);
  }
}

absl::Status StepWorker::Process(const bus::Message& message) {
  v1::StepCommand command;
  if (message.Header("ce_type").value_or("") != bus::kTypeStepCommand) {
    return DeadLetter(message, fmt::format("unexpected ce_type '{}' on a command topic",
                                           message.Header("ce_type").value_or("")));
  }
  if (!command.ParseFromString(message.payload) || command.command_id().empty() ||
      command.deployment_id().empty()) {
    return DeadLetter(message,
                      "payload is not a slipway.v1.StepCommand with command_id and deployment_id");
  }
  const std::string consumer = "step:" + options_.service;
  bool seen = false;
  bool current = false;
  SLIPWAY_RETURN_IF_ERROR(pool_.Transact([&](pqxx::work& tx) {
    seen = store::InboxContains(tx, consumer, command.command_id());
    // A command the saga no longer waits for (the deployment was cancelled or failed, or this
    // attempt timed out and another one replaced it) must not act on the repository.
    auto r = tx.exec_params(
        "SELECT 1 FROM deployments WHERE id = $1::uuid AND status IN ($2, $5) "
        "AND current_step = $3 AND attempt = $4",
        command.deployment_id(), static_cast<int>(v1::DEPLOYMENT_STATUS_RUNNING),
        static_cast<int>(command.step()), command.attempt(),
        static_cast<int>(v1::DEPLOYMENT_STATUS_COMPENSATING));
    current = !r.empty();
    return absl::OkStatus();
  }));
  if (seen) {
    spdlog::info("command {} already handled: skipped", command.command_id());
    return absl::OkStatus();
  }
  if (!current) {
    spdlog::info("command {} is stale (deployment no longer waits for it): skipped",
                 command.command_id());
    return absl::OkStatus();
  }

  auto started = std::chrono::steady_clock::now();
  absl::StatusOr<v1::StepResult> outcome = absl::InternalError("handler did not run");
  try {
    outcome = handler_.Handle(command);
  } catch (const std::exception& e) {
    // A bug in a handler fails the step with the reason instead of taking the service down.
    outcome = absl::InternalError(fmt::format("{} handler threw: {}", options_.service, e.what()));
  }
  auto micros = std::chrono::duration_cast<std::chrono::microseconds>(
                    std::chrono::steady_clock::now() - started)
                    .count();
  v1::StepResult result;
  if (outcome.ok()) {
    result = std::move(*outcome);
  } else {
    result.set_ok(false);
    result.set_retryable(IsRetryable(outcome.status()));
    result.set_error(std::string(outcome.status().message()));
  }
  result.set_command_id(command.command_id());
  result.set_deployment_id(command.deployment_id());
  result.set_step(command.step());
  result.set_attempt(command.attempt());
  result.set_handler_micros(static_cast<uint64_t>(micros));
  result.set_worker(options_.replica);

  std::string trace_id = bus::TraceIdOf(message.Header("traceparent").value_or(""));
  bus::Message reply;
  reply.topic = bus::kEventsTopic;
  reply.key = command.deployment_id();
  reply.payload = result.SerializeAsString();
  reply.headers = bus::CloudEventHeaders(
      "result:" + command.command_id(), bus::kTypeStepResult, "slipway-" + options_.service,
      trace_id.empty() ? "" : bus::MakeTraceparent(trace_id, NewSpanId()));
  bool recorded = false;
  SLIPWAY_RETURN_IF_ERROR(pool_.Transact([&](pqxx::work& tx) {
    recorded = store::RecordInbox(tx, consumer, command.command_id());
    if (recorded) store::EnqueueOutbox(tx, reply);
    return absl::OkStatus();
  }));
  if (recorded) {
    relay_.Wake();
    ++handled_;
    std::string outcome = result.ok() ? "ok" : "failed: " + result.error();
    if (!result.awaiting_gate().empty())
      outcome = "waits for approval of " + result.awaiting_gate();
    else if (!result.ok() && result.poll_after_ms() > 0)
      outcome =
          fmt::format("not done ({}); again in {} ms", result.summary(), result.poll_after_ms());
    spdlog::info("deployment {} step {} attempt {}: {} in {} ms", command.deployment_id(),
                 v1::Step_Name(command.step()), command.attempt(), outcome, micros / 1000);
  }
  return absl::OkStatus();
}

absl::Status StepWorker::Run(const std::atomic<bool>& stop) {
  stop_ = &stop;
  auto consumer = bus::Consumer::Create(bus_config_, "slipway-" + options_.service,
                                        {bus::CommandTopic(options_.service)});
  if (!consumer.ok()) return consumer.status();
  spdlog::info("{} consuming {}", options_.replica, bus::CommandTopic(options_.service));
  (*consumer)->ForEach(stop, [&](const bus::Message& message) {
    // Infrastructure trouble (database down): retry the same message until it goes through or
    // we are told to stop; without a commit the group redelivers it after a restart.
    int attempts = 0;
    for (auto backoff = 200ms;; backoff = std::min(backoff * 2, std::chrono::milliseconds(5000))) {
      auto st = Process(message);
      // A message that keeps failing for a reason retrying cannot fix goes to the dead-letter
      // topic after a few attempts; retryable trouble (database down) is retried until it
      // clears or the service stops (uncommitted, it is redelivered after a restart).
      if (!st.ok() && !IsRetryable(st) && ++attempts >= kMaxPermanentFailures) {
        st = DeadLetter(message, fmt::format("failed {} times: {}", attempts, st.message()));
      }
      if (st.ok()) {
        if (auto c = (*consumer)->Commit(message); !c.ok())
          spdlog::warn("offset commit: {}", c.ToString());
        break;
      }
      spdlog::warn("processing {}[{}]@{}: {}; retrying", message.topic, message.partition,
                   message.offset, st.ToString());
      if (stop.load()) break;
      std::this_thread::sleep_for(backoff);
    }
  });
  (*consumer)->Close();
  return absl::OkStatus();
}

}  // namespace slipway::runtime

namespace slipway::runtime {

v1::StepResult Succeeded(const std::string& summary) {
  v1::StepResult r;
  r.set_ok(true);
  r.set_summary(summary);
  return r;
}

v1::StepResult Failed(const std::string& error, bool retryable) {
  v1::StepResult r;
  r.set_ok(false);
  r.set_retryable(retryable);
  r.set_error(error);
  return r;
}

void AddUsage(v1::ModelUsage& total, const v1::ModelUsage& add) {
  if (total.provider().empty()) total.set_provider(add.provider());
  if (total.model().empty()) {
    total.set_model(add.model());
  } else if (!add.model().empty() && total.model().find(add.model()) == std::string::npos) {
    total.set_model(total.model() + ", " + add.model());
  }
  total.set_calls(total.calls() + add.calls());
  total.set_prompt_tokens(total.prompt_tokens() + add.prompt_tokens());
  total.set_completion_tokens(total.completion_tokens() + add.completion_tokens());
  total.set_cost_usd(total.cost_usd() + add.cost_usd());
}

absl::Status LoadArtifact(store::ArtifactStore& store, const v1::StepCommand& command,
                          const std::string& name, google::protobuf::Message& out) {
  auto it = command.artifacts().find(name);
  if (it == command.artifacts().end())
    return absl::FailedPreconditionError(
        fmt::format("command {} carries no '{}' artifact", command.command_id(), name));
  return store.GetMessage(it->second, out);
}

}  // namespace slipway::runtime
