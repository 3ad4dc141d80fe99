#include "libs/core/status.h"

#include "absl/strings/cord.h"

namespace slipway {
namespace {
constexpr absl::string_view kRetryableUrl = "type.slipway.dev/retryable";
}

absl::Status Retryable(absl::Status status) {
  if (!status.ok()) status.SetPayload(kRetryableUrl, absl::Cord("1"));
  return status;
}

bool IsRetryable(const absl::Status& status) {
  if (status.ok()) return false;
  if (status.GetPayload(kRetryableUrl).has_value()) return true;
  switch (status.code()) {
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
    case absl::StatusCode::kAborted:
    case absl::StatusCode::kResourceExhausted:
      return true;
    default:
      return false;
  }
}

}  // namespace slipway
