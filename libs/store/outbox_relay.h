// Publishes the outbox: claims due rows (FOR UPDATE SKIP LOCKED, so any number of replicas
// can relay together), sends each through the producer, and marks it published in the same
// transaction. A crash between send and commit sends a row twice; consumers deduplicate by
// ce_id through their inbox.
//
// One background thread. Wake() makes it look at once (call it after committing rows).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "libs/bus/bus.h"
#include "libs/store/store.h"

namespace slipway::store {

class OutboxRelay {
 public:
  OutboxRelay(ConnectionPool& pool, bus::Producer& producer,
              std::chrono::milliseconds idle_poll = std::chrono::milliseconds(200));
  ~OutboxRelay();

  void Start();
  void Wake();
  // Publishes what is due, then stops.
  void Stop();

  // One pass: publishes up to `batch` due rows. Returns how many were published.
  absl::StatusOr<int> RelayOnce(int batch = 100);

  // Deletes outbox rows published more than `outbox_age` ago and inbox rows older than
  // `inbox_age` (longer than any redelivery can arrive late). Returns rows deleted.
  absl::StatusOr<int64_t> Prune(std::chrono::seconds outbox_age = std::chrono::hours(24),
                                std::chrono::seconds inbox_age = std::chrono::hours(24 * 7));

  uint64_t published() const { return published_.load(); }

 private:
  void Loop();

  ConnectionPool& pool_;
  bus::Producer& producer_;
  std::chrono::milliseconds idle_poll_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool woken_ = false;
  bool stop_ = false;
  std::atomic<uint64_t> published_{0};
  std::thread thread_;
};

}  // namespace slipway::store
