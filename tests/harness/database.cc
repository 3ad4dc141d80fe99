#include "tests/harness/database.h"

#include <fmt/format.h>

#include <atomic>
#include <filesystem>
#include <mutex>

#include "libs/core/ids.h"
#include "libs/store/embedded_postgres.h"

namespace slipway::testing {

absl::StatusOr<std::unique_ptr<store::ConnectionPool>> NewMigratedDatabase(
    const std::string& prefix, int connections) {
  static std::mutex mu;
  static std::unique_ptr<store::EmbeddedPostgres> cluster;
  static std::atomic<int> n{0};
  std::string url;
  {
    std::lock_guard<std::mutex> lock(mu);
    if (!cluster) {
      auto pg = store::EmbeddedPostgres::Start(
          std::filesystem::temp_directory_path() / ("slipway-" + prefix + "-" + NewUuid()), true);
      if (!pg.ok()) return pg.status();
      cluster = std::move(*pg);
    }
    url = cluster->url();
  }
  const std::string db = fmt::format("{}_{}", prefix, ++n);
  try {
    pqxx::connection admin(url);
    pqxx::nontransaction nt(admin);
    nt.exec("CREATE DATABASE " + nt.quote_name(db));
  } catch (const std::exception& e) {
    return absl::UnavailableError(fmt::format("create database {}: {}", db, e.what()));
  }
  // libpq keeps the last value of a repeated keyword.
  auto pool = std::make_unique<store::ConnectionPool>(url + " dbname=" + db, connections);
  if (auto st = store::Migrate(*pool); !st.ok()) return st;
  std::string current;
  auto st = pool->Transact([&](pqxx::work& tx) {
    current = tx.exec("SELECT current_database()")[0][0].as<std::string>();
    return absl::OkStatus();
  });
  if (!st.ok()) return st;
  if (current != db)
    return absl::InternalError(fmt::format("connected to {}, not {}", current, db));
  return pool;
}

}  // namespace slipway::testing
