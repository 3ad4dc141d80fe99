// The error vocabulary: absl::Status everywhere, plus whether a failure is worth retrying.
//
// The saga retries a step only when its error is retryable. UNAVAILABLE, DEADLINE_EXCEEDED,
// ABORTED and RESOURCE_EXHAUSTED are retryable by nature; any other status can be marked so
// with Retryable().
#pragma once

#include <fmt/format.h>

#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

// Debian's abseil has its own string_view type; let fmt and spdlog print it.
template <>
struct fmt::formatter<absl::string_view> : fmt::formatter<std::string_view> {
  auto format(absl::string_view s, fmt::format_context& ctx) const {
    return fmt::formatter<std::string_view>::format(std::string_view(s.data(), s.size()), ctx);
  }
};

namespace slipway {

// Returns `status` marked as retryable.
absl::Status Retryable(absl::Status status);

// True when another attempt of the same operation may succeed.
bool IsRetryable(const absl::Status& status);

#define SLIPWAY_RETURN_IF_ERROR(expr)                     \
  do {                                                    \
    if (absl::Status _st = (expr); !_st.ok()) return _st; \
  } while (0)

#define SLIPWAY_CONCAT_INNER(a, b) a##b
#define SLIPWAY_CONCAT(a, b) SLIPWAY_CONCAT_INNER(a, b)
#define SLIPWAY_ASSIGN_OR_RETURN(lhs, expr)               \
  auto SLIPWAY_CONCAT(_statusor_, __LINE__) = (expr);     \
  if (!SLIPWAY_CONCAT(_statusor_, __LINE__).ok())         \
    return SLIPWAY_CONCAT(_statusor_, __LINE__).status(); \
  lhs = std::move(*SLIPWAY_CONCAT(_statusor_, __LINE__))

}  // namespace slipway
