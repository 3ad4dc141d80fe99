// PostgreSQL for tests of code that reads and writes the store: one private cluster per test
// program (started on first use, stopped at exit), and a fresh database with every migration
// applied for each caller, so tests never see each other's rows.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "libs/store/store.h"

namespace slipway::testing {

// A new database "<prefix>_<n>" on the program's cluster, migrated, and a pool of
// `connections` to it. Any thread.
absl::StatusOr<std::unique_ptr<store::ConnectionPool>> NewMigratedDatabase(
    const std::string& prefix, int connections = 8);

}  // namespace slipway::testing
