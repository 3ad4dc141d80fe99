// Content-addressed storage of large results (repository maps, change sets, test reports) in
// PostgreSQL. Messages carry the digest, never the content. Writing the same content twice is
// a no-op, so retries are harmless. Thread-safe.
#pragma once

#include <google/protobuf/message.h>

#include <string>

#include "absl/status/statusor.h"
#include "libs/store/store.h"

namespace slipway::store {

// Stores `bytes` inside the caller's transaction; returns its digest.
std::string PutArtifact(pqxx::work& tx, const std::string& bytes, const std::string& media_type);

class ArtifactStore {
 public:
  explicit ArtifactStore(ConnectionPool& pool) : pool_(pool) {}

  // Stores `bytes`; returns "sha256:<hex>".
  absl::StatusOr<std::string> Put(const std::string& bytes, const std::string& media_type);
  absl::StatusOr<std::string> Get(const std::string& digest);

  absl::StatusOr<std::string> PutMessage(const google::protobuf::Message& message);

  // A named index over artifacts, for caches: (kind, key) -> digest. Lookup is NOT_FOUND when
  // absent; Remember overwrites.
  absl::StatusOr<std::string> Lookup(const std::string& kind, const std::string& key);
  absl::Status Remember(const std::string& kind, const std::string& key, const std::string& digest);
  // NOT_FOUND for an unknown digest, DATA_LOSS when the bytes do not parse as `out`'s type.
  absl::Status GetMessage(const std::string& digest, google::protobuf::Message& out);

 private:
  ConnectionPool& pool_;
};

}  // namespace slipway::store
