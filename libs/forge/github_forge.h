// The Forge of the GitHub REST API v3, over libcurl. The same endpoints are served by
// github.com (api_url "https://api.github.com"), GitHub Enterprise Server
// ("https://host/api/v3") and Gitea / Forgejo ("https://host/api/v1").
//
// Every request carries "Accept: application/vnd.github+json", "X-GitHub-Api-Version:
// 2022-11-28" and "Authorization: Bearer <token>". Path components and query values are
// percent-encoded; lists are read page by page (per_page=100, following Link rel="next" as
// long as it stays under api_url, so the token never goes to another host). Redirects are not
// followed.
//
// Errors (each message names the method, the URL without query, the HTTP status and at most
// 300 bytes of the forge's "message" and errors[].message; the token is never in it, and is
// redacted should the forge echo it):
//   UNAUTHENTICATED     401
//   PERMISSION_DENIED   403 that is not a rate limit; not retried
//   NOT_FOUND           404
//   INVALID_ARGUMENT    422 and other 4xx, redirects; also a bad configuration
//   RESOURCE_EXHAUSTED  403/429 rate limits: x-ratelimit-remaining 0 (waits until
//                       x-ratelimit-reset), Retry-After, or a "secondary rate limit" message
//                       (waits the backoff). Retried while the waits of one call stay within
//                       max_rate_limit_wait; then this error, naming the reset time. Retryable.
//   UNAVAILABLE         5xx, refused or reset connections, timeouts, after max_retries retries
//                       with exponential backoff and jitter. Retryable.
//   DATA_LOSS           a success answer that is not the JSON expected
//   FAILED_PRECONDITION the server's TLS certificate cannot be verified
//
// Threading: the object is thread-safe and meant to be shared; calls block, including while
// waiting between retries. Easy handles are pooled so connections are reused.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "libs/forge/forge.h"

namespace slipway::forge {

struct GitHubConfig {
  std::string api_url = "https://api.github.com";  // no trailing '/' needed
  std::string token;                               // required; never logged
  std::chrono::milliseconds timeout{30'000};       // whole request, per attempt
  std::chrono::milliseconds connect_timeout{10'000};
  uint32_t max_retries = 4;                          // on 5xx, transport errors and rate limits
  std::chrono::milliseconds initial_backoff{1'000};  // doubled per retry, with jitter
  std::chrono::milliseconds max_backoff{30'000};
  std::chrono::milliseconds max_rate_limit_wait{60'000};  // total per call
  std::string user_agent = "slipway";
  uint64_t max_response_bytes = 32ull << 20;
};

// INVALID_ARGUMENT for an api_url that is not http:// or https://, an empty token, a token or
// user agent holding a line break, a timeout of 0, or max_response_bytes 0.
absl::StatusOr<std::unique_ptr<Forge>> MakeGitHubForge(GitHubConfig config);

}  // namespace slipway::forge
