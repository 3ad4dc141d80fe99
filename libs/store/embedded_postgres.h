// A private PostgreSQL cluster in a state folder, for `slipway run`, `slipway dev` and the
// tests. It listens on a Unix socket only (no TCP port to collide with). When this process
// runs as root, the server runs as the `postgres` user, as PostgreSQL requires.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace slipway::store {

class EmbeddedPostgres {
 public:
  // Creates the cluster under `state_dir`/pgdata if missing, starts it, and creates the
  // `slipway` database. `ephemeral`: durability off (fsync) and the folder removed on Stop.
  static absl::StatusOr<std::unique_ptr<EmbeddedPostgres>> Start(
      const std::filesystem::path& state_dir, bool ephemeral);
  ~EmbeddedPostgres();

  void Stop();
  // libpq connection string for the `slipway` database.
  const std::string& url() const { return url_; }

 private:
  EmbeddedPostgres() = default;
  std::filesystem::path state_dir_;
  std::filesystem::path data_dir_;
  std::filesystem::path socket_dir_;
  std::string url_;
  bool ephemeral_ = false;
  bool running_ = false;
};

}  // namespace slipway::store
