// PostgreSQL access over libpqxx: a connection pool, transactions with errors mapped to
// absl::Status (libpqxx's exceptions stop here), versioned migrations, the inbox and the
// outbox.
//
// ConnectionPool is thread-safe; a transaction belongs to the thread that runs it.
// Errors: UNAVAILABLE (retryable) when the server cannot be reached, ABORTED (retryable) on a
// serialization failure or deadlock, INTERNAL otherwise.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "libs/bus/bus.h"

namespace slipway::store {

class ConnectionPool {
 public:
  ConnectionPool(std::string url, size_t max_idle = 8);
  ~ConnectionPool();

  // Runs `fn` in one transaction and commits it when `fn` returns OK. Exceptions thrown by
  // libpqxx inside `fn` become a Status; the transaction is rolled back.
  absl::Status Transact(const std::function<absl::Status(pqxx::work&)>& fn);

  const std::string& url() const { return url_; }

 private:
  std::unique_ptr<pqxx::connection> Acquire();
  void Release(std::unique_ptr<pqxx::connection> conn);

  std::string url_;
  size_t max_idle_;
  std::mutex mu_;
  std::vector<std::unique_ptr<pqxx::connection>> idle_;
};

// Applies every migration not yet applied, under an advisory lock so that replicas starting
// together apply each one once.
absl::Status Migrate(ConnectionPool& pool);

// Waits until the server accepts connections, or `limit` passes.
absl::Status WaitForServer(const std::string& url, std::chrono::milliseconds limit);

// Records that `consumer` processed `message_id`. False when it already had: the caller skips
// the message. Must run in the transaction that applies the message's effects.
bool RecordInbox(pqxx::work& tx, const std::string& consumer, const std::string& message_id);
bool InboxContains(pqxx::work& tx, const std::string& consumer, const std::string& message_id);

// Queues `message` for the relay in the caller's transaction. `delay` postpones publication
// (retry backoff). The message's ce_id header is its identity.
void EnqueueOutbox(pqxx::work& tx, const bus::Message& message,
                   std::chrono::milliseconds delay = std::chrono::milliseconds(0));

}  // namespace slipway::store
