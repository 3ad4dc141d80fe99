// A client of Prometheus's HTTP query API: instant queries whose answer is a list of numbers,
// which is what a canary analysis judges (an error rate, a latency quantile, `up`).
//
// Threading: a Client is immutable after construction; every method may be called from any
// thread concurrently. Each call makes its own transfer (one libcurl easy handle a call) and
// blocks its caller for at most `timeout`.
//
// Errors (never throws):
//   INVALID_ARGUMENT   a bad configuration (base_url, timeout, token); Prometheus refused the
//                      query (HTTP 4xx with its errorType and error quoted: a PromQL syntax error
//                      is `bad_data`, a failed evaluation `execution`); a result that is not an
//                      instant vector or a scalar; a native-histogram sample; an answer larger
//                      than 64 MiB
//   UNAUTHENTICATED,   HTTP 401 / 403 from whatever guards Prometheus (the token is wrong or
//   PERMISSION_DENIED  lacks a right)
//   NOT_FOUND          HTTP 404: no query API under base_url (a wrong path prefix)
//   UNAVAILABLE        connection refused or reset, no answer within `timeout`, HTTP 5xx, a
//                      server not ready; retryable
//   INTERNAL           an answer that is not Prometheus's JSON (its first 200 bytes quoted)
// Every message names the URL (without user info or query string); the bearer token never
// appears in a message or a log line.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "libs/analysis/analysis.h"

namespace slipway::prometheus {

struct ClientOptions {
  // Where Prometheus serves, e.g. "http://127.0.0.1:9090"; may carry a path prefix
  // ("https://host/prometheus" for --web.route-prefix=/prometheus). Trailing '/' are ignored.
  std::string base_url;
  // The longest a call may take, connecting included.
  std::chrono::milliseconds timeout{10000};
  // Sent as "Authorization: Bearer <token>" when not empty (a proxy in front of Prometheus).
  std::string bearer_token;
};

class Client {
 public:
  // A bad `options` is reported by every call (INVALID_ARGUMENT naming the field).
  explicit Client(ClientOptions options);

  // GET <base_url>/api/v1/query?query=<promql>[&time=<unix seconds>]: the samples of an
  // instant vector in the order Prometheus lists them (use sort() or an aggregation when the
  // order matters), or the one value of a scalar. NaN and ±Inf are returned as such; an empty
  // vector means no data. `at` evaluates the query at that instant instead of now.
  // Warnings in the answer (e.g. a failing remote read) do not fail the query.
  [[nodiscard]] absl::StatusOr<std::vector<double>> Query(
      std::string_view promql,
      std::optional<std::chrono::system_clock::time_point> at = std::nullopt) const;

  // Query(promql) now, as a measurement of a canary analysis: its error in `.error`, its
  // values in `.values`.
  [[nodiscard]] analysis::Measurement Measure(std::string_view promql) const;

  // OK when GET <base_url>/-/ready answers 200; UNAVAILABLE otherwise (starting, down).
  [[nodiscard]] absl::Status Ready() const;

 private:
  ClientOptions options_;
  absl::Status invalid_;  // why `options_` cannot be used; OK when they can
  std::string display_url_;
};

}  // namespace slipway::prometheus
