// Strong identifier types, so a deployment id is never passed where a digest belongs.
#pragma once

#include <compare>
#include <string>
#include <string_view>
#include <utility>

namespace slipway {

template <typename Tag>
class StrongId {
 public:
  StrongId() = default;
  explicit StrongId(std::string value) : value_(std::move(value)) {}
  const std::string& value() const { return value_; }
  bool empty() const { return value_.empty(); }
  auto operator<=>(const StrongId&) const = default;

 private:
  std::string value_;
};

using DeploymentId = StrongId<struct DeploymentIdTag>;
using CommandId = StrongId<struct CommandIdTag>;
using ArtifactDigest = StrongId<struct ArtifactDigestTag>;

// A random RFC 4122 version-4 UUID in its canonical text form.
std::string NewUuid();

// True for the canonical text form of a UUID (8-4-4-4-12 hex digits).
bool IsUuid(std::string_view text);

// 16 random bytes as 32 lowercase hex digits (W3C trace id) and 8 bytes (span id).
std::string NewTraceId();
std::string NewSpanId();

}  // namespace slipway
