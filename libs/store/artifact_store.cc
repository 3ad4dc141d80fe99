#include "libs/store/artifact_store.h"

#include <fmt/format.h>

#include "libs/core/digest.h"

namespace slipway::store {

std::string PutArtifact(pqxx::work& tx, const std::string& bytes, const std::string& media_type) {
  std::string digest = Sha256Digest(bytes);
  tx.exec_params(
      "INSERT INTO artifacts (digest, media_type, size, content) VALUES ($1, $2, $3, $4) "
      "ON CONFLICT (digest) DO NOTHING",
      digest, media_type, static_cast<int64_t>(bytes.size()), pqxx::binarystring(bytes));
  return digest;
}

absl::StatusOr<std::string> ArtifactStore::Put(const std::string& bytes,
                                               const std::string& media_type) {
  std::string digest;
  absl::Status st = pool_.Transact([&](pqxx::work& tx) {
    digest = PutArtifact(tx, bytes, media_type);
    return absl::OkStatus();
  });
  if (!st.ok()) return st;
  return digest;
}

absl::StatusOr<std::string> ArtifactStore::Get(const std::string& digest) {
  std::string out;
  absl::Status st = pool_.Transact([&](pqxx::work& tx) -> absl::Status {
    auto r = tx.exec_params("SELECT content FROM artifacts WHERE digest = $1", digest);
    if (r.empty()) return absl::NotFoundError(fmt::format("artifact {} not found", digest));
    out = pqxx::binarystring(r[0][0]).str();
    return absl::OkStatus();
  });
  if (!st.ok()) return st;
  return out;
}

absl::StatusOr<std::string> ArtifactStore::Lookup(const std::string& kind, const std::string& key) {
  std::string digest;
  absl::Status st = pool_.Transact([&](pqxx::work& tx) -> absl::Status {
    auto r =
        tx.exec_params("SELECT digest FROM artifact_index WHERE kind = $1 AND key = $2", kind, key);
    if (r.empty()) return absl::NotFoundError(fmt::format("no {} artifact for {}", kind, key));
    digest = r[0][0].as<std::string>();
    return absl::OkStatus();
  });
  if (!st.ok()) return st;
  return digest;
}

absl::Status ArtifactStore::Remember(const std::string& kind, const std::string& key,
                                     const std::string& digest) {
  return pool_.Transact([&](pqxx::work& tx) {
    tx.exec_params(
        "INSERT INTO artifact_index (kind, key, digest) VALUES ($1, $2, $3) "
        "ON CONFLICT (kind, key) DO UPDATE SET digest = EXCLUDED.digest, created_at = now()",
        kind, key, digest);
    return absl::OkStatus();
  });
}

absl::StatusOr<std::string> ArtifactStore::PutMessage(const google::protobuf::Message& message) {
  return Put(message.SerializeAsString(),
             "application/protobuf; type=" + message.GetDescriptor()->full_name());
}

absl::Status ArtifactStore::GetMessage(const std::string& digest, google::protobuf::Message& out) {
  auto bytes = Get(digest);
  if (!bytes.ok()) return bytes.status();
  if (!out.ParseFromString(*bytes))
    return absl::DataLossError(
        fmt::format("artifact {} is not a {}", digest, out.GetDescriptor()->full_name()));
  return absl::OkStatus();
}

}  // namespace slipway::store
