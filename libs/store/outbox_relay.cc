#include "libs/store/outbox_relay.h"

#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

namespace slipway::store {

OutboxRelay::OutboxRelay(ConnectionPool& pool, bus::Producer& producer,
                         std::chrono::milliseconds idle_poll)
    : pool_(pool), producer_(producer), idle_poll_(idle_poll) {}

OutboxRelay::~OutboxRelay() { Stop(); }

void OutboxRelay::Start() {
  thread_ = std::thread([this] { Loop(); });
}

void OutboxRelay::Wake() {
  std::lock_guard lock(mu_);
  woken_ = true;
  cv_.notify_one();
}

void OutboxRelay::Stop() {
  {
    std::lock_guard lock(mu_);
    if (stop_ && !thread_.joinable()) return;
    stop_ = true;
    cv_.notify_one();
  }
  if (thread_.joinable()) thread_.join();
}

absl::StatusOr<int> OutboxRelay::RelayOnce(int batch) {
  int sent = 0;
  absl::Status st = pool_.Transact([&](pqxx::work& tx) -> absl::Status {
    auto rows = tx.exec_params(
        "SELECT id, topic, key, payload, headers::text FROM outbox "
        "WHERE published_at IS NULL AND not_before <= now() "
        "ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED",
        batch);
    std::vector<bus::Message> messages;
    for (const auto& row : rows) {
      bus::Message m;
      m.topic = row[1].as<std::string>();
      m.key = row[2].as<std::string>();
      m.payload = pqxx::binarystring(row[3]).str();
      for (const auto& h : nlohmann::json::parse(row[4].as<std::string>()))
        m.headers.emplace_back(h[0].get<std::string>(), h[1].get<std::string>());
      messages.push_back(std::move(m));
    }
    if (messages.empty()) return absl::OkStatus();
    // One at a time: measured faster with the embedded broker than producing the batch and
    // awaiting all the acks together.
    std::vector<absl::Status> results;
    for (const auto& m : messages) results.push_back(producer_.Send(m, std::chrono::seconds(10)));
    for (size_t i = 0; i < results.size(); ++i) {
      const int64_t id = rows[static_cast<int>(i)][0].as<int64_t>();
      if (results[i].ok()) {
        tx.exec_params("UPDATE outbox SET published_at = now() WHERE id = $1", id);
        ++sent;
        continue;
      }
      // One row the broker refuses must not hold back the others: it waits 30 s.
      spdlog::warn("outbox row {} to {}: {}; retrying in 30 s", id, messages[i].topic,
                   results[i].ToString());
      tx.exec_params("UPDATE outbox SET not_before = now() + interval '30 seconds' WHERE id = $1",
                     id);
    }
    return absl::OkStatus();
  });
  if (!st.ok()) return st;
  published_ += static_cast<uint64_t>(sent);
  return sent;
}

absl::StatusOr<int64_t> OutboxRelay::Prune(std::chrono::seconds outbox_age,
                                           std::chrono::seconds inbox_age) {
  int64_t deleted = 0;
  absl::Status st = pool_.Transact([&](pqxx::work& tx) {
    deleted +=
        tx.exec_params("DELETE FROM outbox WHERE published_at < now() - make_interval(secs => $1)",
                       static_cast<double>(outbox_age.count()))
            .affected_rows();
    deleted +=
        tx.exec_params("DELETE FROM inbox WHERE processed_at < now() - make_interval(secs => $1)",
                       static_cast<double>(inbox_age.count()))
            .affected_rows();
    return absl::OkStatus();
  });
  if (!st.ok()) return st;
  return deleted;
}

void OutboxRelay::Loop() {
  auto backoff = std::chrono::milliseconds(100);
  auto next_prune = std::chrono::steady_clock::now() + std::chrono::minutes(1);
  for (;;) {
    if (std::chrono::steady_clock::now() >= next_prune) {
      if (auto pruned = Prune(); !pruned.ok())
        spdlog::warn("outbox prune: {}", pruned.status().ToString());
      next_prune = std::chrono::steady_clock::now() + std::chrono::hours(1);
    }
    {
      std::lock_guard lock(mu_);
      woken_ = false;
    }
    auto n = RelayOnce();
    bool stopping;
    {
      std::lock_guard lock(mu_);
      stopping = stop_;
    }
    if (!n.ok()) {
      spdlog::warn("outbox relay: {}", n.status().ToString());
      if (stopping) return;
      std::unique_lock lock(mu_);
      cv_.wait_for(lock, backoff, [&] { return stop_; });
      backoff = std::min(backoff * 2, std::chrono::milliseconds(5000));
      continue;
    }
    backoff = std::chrono::milliseconds(100);
    if (*n > 0) continue;  // more may be due
    if (stopping) return;
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, idle_poll_, [&] { return woken_ || stop_; });
  }
}

}  // namespace slipway::store
