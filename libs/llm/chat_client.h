// A client of the OpenAI-compatible chat-completions API (POST {base_url}/chat/completions),
// the protocol served by OpenAI, Anthropic's compatibility endpoint, vLLM, llama.cpp's server
// and Ollama.
//
// ChatClient is the seam the providers depend on; HttpChatClient is the libcurl
// implementation. One HttpChatClient is shared by every thread of a service: Complete() is
// thread-safe, and at most `max_concurrency` requests are in flight at once (callers beyond
// that wait for a slot, counted in the wall time, not in the timeout).
//
// Errors (every message says which endpoint and model, never the API key):
//   UNAUTHENTICATED       401;  PERMISSION_DENIED 403 (without rate-limit headers)
//   INVALID_ARGUMENT      400, 404, 413, 422 and other 4xx: the request is wrong; not retried
//   RESOURCE_EXHAUSTED    429 (or 403 with rate-limit headers) after max_retries retries
//   UNAVAILABLE           5xx, connection refused/reset after max_retries retries (retryable)
//   DEADLINE_EXCEEDED     no complete answer within `timeout` (per attempt; retried like 5xx)
//   DATA_LOSS             a 200 whose body is not a chat completion (not JSON, no choices,
//                         no message content, body over max_response_bytes); not retried
//   FAILED_PRECONDITION   the server's TLS certificate cannot be verified; not retried
//   INVALID_ARGUMENT      also: a request without messages (nothing is sent), a redirect
// IsRetryable (libs/core/status.h) is true for UNAVAILABLE, DEADLINE_EXCEEDED and
// RESOURCE_EXHAUSTED.
//
// Retries wait initial_backoff * 2^(retry-1), capped by max_backoff, with jitter (a uniform
// pick in the upper half). A server's Retry-After (seconds or an HTTP date) or
// retry-after-ms replaces that wait, capped by max_backoff. A 403 counts as a rate limit
// when it carries Retry-After or an x-ratelimit-remaining* header equal to 0. 408 is
// retried as DEADLINE_EXCEEDED. The error excerpt of the server's body (its error.message
// when JSON) is at most 300 bytes, and any occurrence of the API key in it is redacted; the
// URL in messages carries neither user info nor query. Answers may be compressed;
// max_response_bytes counts the bytes after decompression.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace slipway::llm {

struct ChatMessage {
  std::string role;  // "system", "user", "assistant"
  std::string content;
};

struct ChatRequest {
  std::vector<ChatMessage> messages;
  double temperature = 0;
  uint32_t max_tokens = 0;   // 0: not sent
  bool json_object = false;  // sends response_format {"type":"json_object"}
};

struct TokenUsage {
  uint64_t prompt_tokens = 0;
  uint64_t completion_tokens = 0;
};

struct ChatResponse {
  std::string content;        // choices[0].message.content
  std::string finish_reason;  // "stop", "length", ...
  std::string model;          // as the server names it (falls back to the requested model)
  TokenUsage usage;           // from "usage"; zeros when the server sends none
  uint32_t attempts = 1;      // HTTP requests made, retries included
  double seconds = 0;         // wall time of Complete(), waits and retries included
};

struct ChatConfig {
  std::string base_url;  // "https://api.openai.com/v1", "http://127.0.0.1:11434/v1"; no trailing /
  std::string model;
  std::string api_key;  // sent as "Authorization: Bearer <key>" when not empty; never logged
  std::chrono::milliseconds timeout{120'000};  // whole request, per attempt
  std::chrono::milliseconds connect_timeout{10'000};
  uint32_t max_retries = 3;                        // on 429, 5xx, timeouts, connection errors
  std::chrono::milliseconds initial_backoff{500};  // doubled per retry, with jitter
  std::chrono::milliseconds max_backoff{30'000};   // also caps a Retry-After the server asks
  uint32_t max_concurrency = 4;
  uint64_t max_response_bytes = 8ull << 20;
  std::map<std::string, std::string> extra_headers;  // e.g. "anthropic-version"
};

// The API key from the environment variable `env_var` when set and not empty, else from the
// first line of `file` (trailing whitespace trimmed) when `file` is not empty. "" when neither
// is configured. NOT_FOUND names the variable or the file when the configured source is
// missing or empty; the key itself never appears in a message.
absl::StatusOr<std::string> ResolveApiKey(std::string_view env_var,
                                          const std::filesystem::path& file);

class ChatClient {
 public:
  virtual ~ChatClient() = default;
  virtual std::string model() const = 0;
  [[nodiscard]] virtual absl::StatusOr<ChatResponse> Complete(const ChatRequest& request) = 0;
};

// INVALID_ARGUMENT for a base_url that is not http:// or https://, an empty model, or
// max_concurrency 0; also for a timeout, connect_timeout or max_response_bytes of 0, and for
// an API key or extra header holding a line break (the key is not quoted). Trailing '/' of
// base_url are dropped.
absl::StatusOr<std::unique_ptr<ChatClient>> MakeHttpChatClient(ChatConfig config);

}  // namespace slipway::llm
