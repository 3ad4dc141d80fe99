#include "libs/llm/chat_client.h"

#include <curl/curl.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <semaphore>
#include <thread>
#include <utility>

#include "libs/core/status.h"

namespace slipway::llm {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using Json = nlohmann::json;

constexpr size_t kExcerptBytes = 300;
// Enough of an error answer to find its message; the rest is dropped, never an error.
constexpr size_t kErrorBodyBytes = 64 << 10;
constexpr std::string_view kRedacted = "[redacted]";

struct CurlEasyDeleter {
  void operator()(CURL* handle) const { curl_easy_cleanup(handle); }
};
using CurlEasy = std::unique_ptr<CURL, CurlEasyDeleter>;

struct CurlListDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
using CurlList = std::unique_ptr<curl_slist, CurlListDeleter>;

// libcurl's global state is set up once per process, before the first handle.
CURLcode InitCurlOnce() {
  static std::once_flag once;
  static CURLcode result = CURLE_OK;
  std::call_once(once, [] { result = curl_global_init(CURL_GLOBAL_DEFAULT); });
  return result;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::string_view TrimEnd(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

bool HasLineBreak(std::string_view s) {
  return std::any_of(s.begin(), s.end(),
                     [](char c) { return c == '\r' || c == '\n' || c == '\0'; });
}

// scheme://host[:port]/path of `url`: user info, query and fragment may hold credentials.
std::string UrlForMessages(std::string_view url) {
  const size_t scheme_end = url.find("://");
  if (scheme_end == url.npos) return std::string(url.substr(0, url.find_first_of("?#")));
  std::string_view scheme = url.substr(0, scheme_end + 3);
  std::string_view rest = url.substr(scheme_end + 3);
  rest = rest.substr(0, rest.find_first_of("?#"));
  const size_t path_start = rest.find('/');
  std::string_view authority = rest.substr(0, path_start);
  std::string_view path = path_start == rest.npos ? std::string_view() : rest.substr(path_start);
  if (const size_t at = authority.rfind('@'); at != authority.npos) {
    authority.remove_prefix(at + 1);
  }
  return fmt::format("{}{}{}", scheme, authority, path);
}

// At most kExcerptBytes of `text` on one line, cut at a UTF-8 boundary.
std::string ShortExcerpt(std::string_view text) {
  text = Trim(text);
  std::string out;
  out.reserve(std::min(text.size(), kExcerptBytes));
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    out.push_back(u < 0x20 || u == 0x7f ? ' ' : c);
  }
  if (out.size() <= kExcerptBytes) return out;
  size_t cut = kExcerptBytes - 3;
  // Step back over continuation bytes so no character is split.
  while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xC0) == 0x80) --cut;
  out.resize(cut);
  out += "...";
  return out;
}

// The server's explanation in an error body: error.message (or error, or message) when the
// body is JSON, else the body itself.
std::string ErrorExcerpt(std::string_view body) {
  const Json json = Json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (json.is_object()) {
    if (auto error = json.find("error"); error != json.end()) {
      if (error->is_string()) return ShortExcerpt(error->get<std::string>());
      if (error->is_object()) {
        if (auto message = error->find("message");
            message != error->end() && message->is_string()) {
          return ShortExcerpt(message->get<std::string>());
        }
      }
    }
    if (auto message = json.find("message"); message != json.end() && message->is_string()) {
      return ShortExcerpt(message->get<std::string>());
    }
  }
  return ShortExcerpt(body);
}

// What one HTTP exchange produced, filled by libcurl's callbacks.
struct Exchange {
  uint64_t max_body = 0;
  long status = 0;  // of the last status line seen (a 100 Continue is followed by another)
  std::map<std::string, std::string> headers;  // lower-case names, of the final response
  std::string body;
  bool over_limit = false;
};

bool IsSuccess(long status) { return status >= 200 && status < 300; }

size_t OnHeader(char* data, size_t size, size_t count, void* user) {
  auto& exchange = *static_cast<Exchange*>(user);
  const size_t len = size * count;
  const std::string_view line = Trim(std::string_view(data, len));
  if (line.starts_with("HTTP/")) {
    exchange.headers.clear();
    const size_t space = line.find(' ');
    long status = 0;
    if (space != line.npos) {
      const std::string_view code = line.substr(space + 1, 3);
      std::from_chars(code.data(), code.data() + code.size(), status);
    }
    exchange.status = status;
    return len;
  }
  const size_t colon = line.find(':');
  if (colon == line.npos) return len;
  std::string name = Lower(Trim(line.substr(0, colon)));
  std::string value(Trim(line.substr(colon + 1)));
  if (name == "content-length" && IsSuccess(exchange.status)) {
    uint64_t length = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), length);
    if (ec == std::errc() && length > exchange.max_body) {
      exchange.over_limit = true;
      return 0;  // aborts the transfer before the body arrives
    }
  }
  exchange.headers[std::move(name)] = std::move(value);
  return len;
}

size_t OnBody(char* data, size_t size, size_t count, void* user) {
  auto& exchange = *static_cast<Exchange*>(user);
  const size_t len = size * count;
  if (IsSuccess(exchange.status)) {
    if (exchange.body.size() + len > exchange.max_body) {
      exchange.over_limit = true;
      return 0;  // aborts the transfer: CURLE_WRITE_ERROR
    }
    exchange.body.append(data, len);
    return len;
  }
  const size_t keep = std::min<uint64_t>(exchange.max_body, kErrorBodyBytes);
  if (exchange.body.size() < keep) {
    exchange.body.append(data, std::min(len, keep - exchange.body.size()));
  }
  return len;
}

std::optional<milliseconds> ParseRetryAfter(const std::map<std::string, std::string>& headers) {
  if (auto it = headers.find("retry-after-ms"); it != headers.end()) {
    double ms = -1;
    const std::string& v = it->second;
    auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), ms);
    if (ec == std::errc() && ms >= 0) {
      return milliseconds(static_cast<int64_t>(std::min(ms, 1e12)));
    }
  }
  auto it = headers.find("retry-after");
  if (it == headers.end()) return std::nullopt;
  const std::string& v = it->second;
  if (!v.empty() && std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    uint64_t seconds = 0;
    auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), seconds);
    if (ec != std::errc() || seconds > 1'000'000'000) return milliseconds(1'000'000'000'000);
    return milliseconds(seconds * 1000);
  }
  const time_t when = curl_getdate(v.c_str(), nullptr);
  if (when == -1) return std::nullopt;
  const time_t now = std::time(nullptr);
  return milliseconds(when > now ? static_cast<int64_t>(when - now) * 1000 : 0);
}

bool IsRateLimitedForbidden(const std::map<std::string, std::string>& headers) {
  if (headers.contains("retry-after") || headers.contains("retry-after-ms")) return true;
  for (const auto& [name, value] : headers) {
    if (name.starts_with("x-ratelimit-remaining") && value == "0") return true;
  }
  return false;
}

absl::StatusOr<ChatResponse> ParseCompletion(std::string_view body,
                                             const std::string& requested_model) {
  const Json json = Json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) {
    return absl::DataLossError(
        fmt::format("answer is not JSON ({} bytes): {}", body.size(), ShortExcerpt(body)));
  }
  if (!json.is_object()) {
    return absl::DataLossError(fmt::format("answer is not a JSON object: {}", ShortExcerpt(body)));
  }
  auto choices = json.find("choices");
  if (choices == json.end() || !choices->is_array() || choices->empty()) {
    return absl::DataLossError(fmt::format("answer has no choices: {}", ErrorExcerpt(body)));
  }
  const Json& choice = choices->front();
  const Json* content = nullptr;
  if (choice.is_object()) {
    if (auto message = choice.find("message"); message != choice.end() && message->is_object()) {
      if (auto it = message->find("content"); it != message->end() && it->is_string()) {
        content = &*it;
      }
    }
  }
  std::string finish_reason;
  if (choice.is_object()) {
    if (auto it = choice.find("finish_reason"); it != choice.end() && it->is_string()) {
      finish_reason = it->get<std::string>();
    }
  }
  if (content == nullptr) {
    return absl::DataLossError(
        fmt::format("choices[0] has no message content (finish_reason '{}'): {}", finish_reason,
                    ShortExcerpt(choice.dump(-1, ' ', false, Json::error_handler_t::replace))));
  }

  ChatResponse response;
  response.content = content->get<std::string>();
  response.finish_reason = std::move(finish_reason);
  response.model = requested_model;
  if (auto it = json.find("model"); it != json.end() && it->is_string() && !it->empty()) {
    response.model = it->get<std::string>();
  }
  if (auto usage = json.find("usage"); usage != json.end() && usage->is_object()) {
    auto count = [&](const char* field) -> uint64_t {
      auto it = usage->find(field);
      return it != usage->end() && it->is_number_unsigned() ? it->get<uint64_t>() : 0;
    };
    response.usage.prompt_tokens = count("prompt_tokens");
    response.usage.completion_tokens = count("completion_tokens");
  }
  return response;
}

std::string RequestBody(const ChatConfig& config, const ChatRequest& request) {
  Json messages = Json::array();
  for (const ChatMessage& m : request.messages) {
    messages.push_back({{"role", m.role}, {"content", m.content}});
  }
  Json body = {{"model", config.model},
               {"messages", std::move(messages)},
               {"temperature", request.temperature}};
  if (request.max_tokens > 0) body["max_tokens"] = request.max_tokens;
  if (request.json_object) body["response_format"] = {{"type", "json_object"}};
  // Source text may hold invalid UTF-8; it is sent with U+FFFD rather than refused.
  return body.dump(-1, ' ', false, Json::error_handler_t::replace);
}

// One attempt's verdict: a response, or an error and whether another attempt may help.
struct Attempt {
  absl::StatusOr<ChatResponse> result;
  bool retry = false;
  std::optional<milliseconds> retry_after;
};

Attempt Fail(absl::StatusCode code, std::string detail, bool retry = false,
             std::optional<milliseconds> retry_after = std::nullopt) {
  return Attempt{absl::Status(code, detail), retry, retry_after};
}

class HttpChatClient final : public ChatClient {
 public:
  HttpChatClient(ChatConfig config, CurlList headers)
      : config_(std::move(config)),
        url_(config_.base_url + "/chat/completions"),
        url_for_messages_(UrlForMessages(url_)),
        headers_(std::move(headers)),
        slots_(static_cast<std::ptrdiff_t>(config_.max_concurrency)),
        random_(std::random_device{}()) {}

  std::string model() const override { return config_.model; }

  absl::StatusOr<ChatResponse> Complete(const ChatRequest& request) override {
    const Clock::time_point start = Clock::now();
    if (request.messages.empty()) {
      return Error(absl::InvalidArgumentError("the request has no messages"), 0);
    }
    const std::string body = RequestBody(config_, request);
    for (uint32_t attempt = 1;; ++attempt) {
      Attempt outcome = Perform(body);
      if (outcome.result.ok()) {
        outcome.result->attempts = attempt;
        outcome.result->seconds = std::chrono::duration<double>(Clock::now() - start).count();
        return outcome.result;
      }
      if (!outcome.retry || attempt > config_.max_retries) {
        return Error(outcome.result.status(), attempt);
      }
      const milliseconds wait = outcome.retry_after
                                    ? std::min(*outcome.retry_after, config_.max_backoff)
                                    : Backoff(attempt);
      spdlog::debug("chat completion {} (model {}): attempt {} failed ({}), retrying in {} ms",
                    url_for_messages_, config_.model, attempt,
                    absl::StatusCodeToString(outcome.result.status().code()), wait.count());
      std::this_thread::sleep_for(wait);
    }
  }

 private:
  // A concurrency slot and the easy handle that goes with it. Handles are kept between
  // requests so their connections (and TLS sessions) are reused.
  class Lease {
   public:
    explicit Lease(HttpChatClient& client) : client_(client) {
      client_.slots_.acquire();
      std::lock_guard lock(client_.mu_);
      if (!client_.idle_.empty()) {
        handle_ = std::move(client_.idle_.back());
        client_.idle_.pop_back();
      }
    }
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease() {
      if (handle_ != nullptr) {
        std::lock_guard lock(client_.mu_);
        client_.idle_.push_back(std::move(handle_));
      }
      client_.slots_.release();
    }
    CURL* get() {
      if (handle_ == nullptr) handle_.reset(curl_easy_init());
      return handle_.get();
    }

   private:
    HttpChatClient& client_;
    CurlEasy handle_;
  };

  Attempt Perform(const std::string& body) {
    Lease lease(*this);
    CURL* curl = lease.get();
    if (curl == nullptr) return Fail(absl::StatusCode::kInternal, "curl_easy_init failed");
    curl_easy_reset(curl);

    Exchange exchange;
    exchange.max_body = config_.max_response_bytes;
    char error_text[CURL_ERROR_SIZE] = {};
    curl_easy_setopt(curl, CURLOPT_URL, url_.c_str());
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_POST, 1L);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers_.get());
    curl_easy_setopt(curl, CURLOPT_USERAGENT, "slipway-llm/0.1");
    curl_easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(config_.timeout.count()));
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
                     static_cast<long>(config_.connect_timeout.count()));
    curl_easy_setopt(curl, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error_text);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, &OnHeader);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, &exchange);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &OnBody);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &exchange);

    const CURLcode code = curl_easy_perform(curl);
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    // The error buffer points into this frame; the handle outlives it.
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, static_cast<char*>(nullptr));

    if (code != CURLE_OK) {
      if (exchange.over_limit) {
        return Fail(absl::StatusCode::kDataLoss,
                    fmt::format("the answer is larger than max_response_bytes ({} bytes)",
                                config_.max_response_bytes));
      }
      const std::string what = error_text[0] != '\0' ? std::string(TrimEnd(error_text))
                                                     : std::string(curl_easy_strerror(code));
      return TransportFailure(code, what);
    }
    return Classify(status, exchange);
  }

  Attempt TransportFailure(CURLcode code, const std::string& what) const {
    switch (code) {
      case CURLE_OPERATION_TIMEDOUT:
        return Fail(
            absl::StatusCode::kDeadlineExceeded,
            fmt::format("no complete answer within {} ms: {}", config_.timeout.count(), what),
            /*retry=*/true);
      case CURLE_URL_MALFORMAT:
      case CURLE_UNSUPPORTED_PROTOCOL:
        return Fail(absl::StatusCode::kInvalidArgument, what);
      case CURLE_PEER_FAILED_VERIFICATION:
      case CURLE_SSL_CACERT_BADFILE:
      case CURLE_SSL_CERTPROBLEM:
      case CURLE_SSL_ISSUER_ERROR:
      case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
        return Fail(absl::StatusCode::kFailedPrecondition, what);
      default:
        // Refused, reset, unresolvable, TLS handshake cut short, an empty reply...: the
        // endpoint may well answer the next attempt.
        return Fail(absl::StatusCode::kUnavailable, what, /*retry=*/true);
    }
  }

  Attempt Classify(long status, const Exchange& exchange) const {
    if (IsSuccess(status)) {
      absl::StatusOr<ChatResponse> response = ParseCompletion(exchange.body, config_.model);
      if (!response.ok()) return Attempt{response.status(), false, std::nullopt};
      return Attempt{std::move(response), false, std::nullopt};
    }
    const std::string detail = fmt::format("HTTP {}: {}", status, ErrorExcerpt(exchange.body));
    const std::optional<milliseconds> retry_after = ParseRetryAfter(exchange.headers);
    if (status == 401) return Fail(absl::StatusCode::kUnauthenticated, detail);
    if (status == 403) {
      if (IsRateLimitedForbidden(exchange.headers)) {
        return Fail(absl::StatusCode::kResourceExhausted, detail, true, retry_after);
      }
      return Fail(absl::StatusCode::kPermissionDenied, detail);
    }
    if (status == 429) return Fail(absl::StatusCode::kResourceExhausted, detail, true, retry_after);
    if (status == 408) return Fail(absl::StatusCode::kDeadlineExceeded, detail, true, retry_after);
    if (status >= 500) return Fail(absl::StatusCode::kUnavailable, detail, true, retry_after);
    if (status >= 300 && status < 400) {
      auto location = exchange.headers.find("location");
      return Fail(
          absl::StatusCode::kInvalidArgument,
          fmt::format("HTTP {}: redirected to {}", status,
                      location == exchange.headers.end() ? std::string("nowhere")
                                                         : UrlForMessages(location->second)));
    }
    return Fail(absl::StatusCode::kInvalidArgument, detail);
  }

  // Wait before retry number `retry` (1 for the first): exponential, capped, then a uniform
  // pick in its upper half so that clients throttled together do not return together.
  milliseconds Backoff(uint32_t retry) {
    const int64_t cap = config_.max_backoff.count();
    int64_t wait = config_.initial_backoff.count();
    for (uint32_t i = 1; i < retry && wait < cap; ++i) wait *= 2;
    wait = std::min(wait, cap);
    if (wait <= 1) return milliseconds(std::max<int64_t>(wait, 0));
    std::lock_guard lock(mu_);
    return milliseconds(std::uniform_int_distribution<int64_t>(wait / 2, wait)(random_));
  }

  // The final error: endpoint, model, what happened, how many attempts; the key redacted.
  absl::Status Error(const absl::Status& cause, uint32_t attempts) const {
    std::string message = fmt::format("chat completion at {} (model {}): {}", url_for_messages_,
                                      config_.model, cause.message());
    if (attempts > 1) message += fmt::format(" (after {} attempts)", attempts);
    if (!config_.api_key.empty()) {
      for (size_t at = message.find(config_.api_key); at != message.npos;
           at = message.find(config_.api_key, at + kRedacted.size())) {
        message.replace(at, config_.api_key.size(), kRedacted);
      }
    }
    return absl::Status(cause.code(), message);
  }

  const ChatConfig config_;
  const std::string url_;
  const std::string url_for_messages_;
  const CurlList headers_;  // read-only once built; shared by every transfer
  std::counting_semaphore<> slots_;
  std::mutex mu_;
  std::vector<CurlEasy> idle_;  // guarded by mu_
  std::mt19937_64 random_;      // guarded by mu_
};

}  // namespace

absl::StatusOr<std::string> ResolveApiKey(std::string_view env_var,
                                          const std::filesystem::path& file) {
  if (!env_var.empty()) {
    const char* value = std::getenv(std::string(env_var).c_str());
    if (value != nullptr && *value != '\0') return std::string(value);
  }
  if (!file.empty()) {
    const std::string unset =
        env_var.empty() ? std::string() : fmt::format(" (and ${} is not set)", env_var);
    std::ifstream in(file);
    if (!in) {
      return absl::NotFoundError(
          fmt::format("API key file {} cannot be read{}", file.string(), unset));
    }
    std::string line;
    std::getline(in, line);
    std::string key(TrimEnd(line));
    if (key.empty()) {
      return absl::NotFoundError(
          fmt::format("API key file {} has an empty first line{}", file.string(), unset));
    }
    return key;
  }
  if (!env_var.empty()) {
    return absl::NotFoundError(fmt::format("API key variable ${} is not set or empty", env_var));
  }
  return std::string();
}

absl::StatusOr<std::unique_ptr<ChatClient>> MakeHttpChatClient(ChatConfig config) {
  while (config.base_url.ends_with('/')) config.base_url.pop_back();
  const std::string scheme = Lower(config.base_url.substr(0, config.base_url.find("://") + 3));
  if ((scheme != "http://" && scheme != "https://") || config.base_url.size() == scheme.size()) {
    return absl::InvalidArgumentError(fmt::format(
        "chat base_url '{}' is not an http:// or https:// URL", UrlForMessages(config.base_url)));
  }
  if (config.model.empty()) {
    return absl::InvalidArgumentError(
        fmt::format("chat model is empty (base_url {})", UrlForMessages(config.base_url)));
  }
  if (config.max_concurrency == 0) {
    return absl::InvalidArgumentError("chat max_concurrency is 0; it must be at least 1");
  }
  if (config.timeout.count() <= 0 || config.connect_timeout.count() <= 0) {
    return absl::InvalidArgumentError(
        fmt::format("chat timeout ({} ms) and connect_timeout ({} ms) must be positive",
                    config.timeout.count(), config.connect_timeout.count()));
  }
  if (config.max_response_bytes == 0) {
    return absl::InvalidArgumentError("chat max_response_bytes is 0; it must be at least 1");
  }
  if (HasLineBreak(config.api_key)) {
    return absl::InvalidArgumentError("chat api_key holds a line break or NUL");
  }
  for (const auto& [name, value] : config.extra_headers) {
    if (name.empty() || name.find(':') != name.npos || HasLineBreak(name) || HasLineBreak(value)) {
      return absl::InvalidArgumentError(
          fmt::format("chat extra header '{}' has an empty name, a ':' in its name or a line break",
                      ShortExcerpt(name)));
    }
  }
  if (const CURLcode code = InitCurlOnce(); code != CURLE_OK) {
    return absl::InternalError(
        fmt::format("curl_global_init failed: {}", curl_easy_strerror(code)));
  }

  curl_slist* list = nullptr;
  auto append = [&list](const std::string& line) {
    curl_slist* next = curl_slist_append(list, line.c_str());
    if (next != nullptr) list = next;
    return next != nullptr;
  };
  bool ok = append("Content-Type: application/json") && append("Accept: application/json") &&
            append("Expect:");  // no 100-continue round trip for large prompts
  if (!config.api_key.empty()) ok = ok && append("Authorization: Bearer " + config.api_key);
  for (const auto& [name, value] : config.extra_headers) {
    ok = ok && append(fmt::format("{}: {}", name, value));
  }
  CurlList headers(list);
  if (!ok) return absl::InternalError("curl_slist_append failed (out of memory)");
  return std::make_unique<HttpChatClient>(std::move(config), std::move(headers));
}

}  // namespace slipway::llm
