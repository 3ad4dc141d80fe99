#include "libs/prometheus/prometheus.h"

#include <curl/curl.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <memory>
#include <nlohmann/json.hpp>
#include <system_error>
#include <utility>

#include "libs/core/status.h"
#include "libs/core/text.h"

namespace slipway::prometheus {
namespace {

using Json = nlohmann::json;

constexpr std::string_view kQueryPath = "/api/v1/query";
constexpr std::string_view kReadyPath = "/-/ready";
// A vector of a few hundred thousand series; beyond that the query wants an aggregation.
constexpr size_t kMaxAnswerBytes = size_t{64} << 20;
constexpr size_t kExcerptBytes = 200;
constexpr std::string_view kUserAgent = "slipway-prometheus";

struct EasyDeleter {
  void operator()(CURL* handle) const { curl_easy_cleanup(handle); }
};
using EasyHandle = std::unique_ptr<CURL, EasyDeleter>;

struct SlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
using HeaderList = std::unique_ptr<curl_slist, SlistDeleter>;

CURLcode GlobalCurlInit() {
  static const CURLcode code = curl_global_init(CURL_GLOBAL_DEFAULT);
  return code;
}

bool HasControl(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7f;
  });
}

// RFC 3986 percent-encoding of everything but unreserved characters.
std::string Encode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size() * 3);
  for (char c : s) {
    const bool unreserved = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                            (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~';
    if (unreserved) {
      out.push_back(c);
    } else {
      const auto u = static_cast<unsigned char>(c);
      out += {'%', kHex[u >> 4], kHex[u & 0xF]};
    }
  }
  return out;
}

// scheme://host[:port]/path without user info (a credential) or query string.
std::string DisplayUrl(std::string_view url) {
  url = url.substr(0, url.find_first_of("?#"));
  const size_t scheme_end = url.find("://");
  if (scheme_end == url.npos) return std::string(url);
  const size_t host_start = scheme_end + 3;
  const size_t at = url.substr(0, url.find('/', host_start)).rfind('@');
  if (at == url.npos || at < host_start) return std::string(url);
  return std::string(url.substr(0, host_start)) + std::string(url.substr(at + 1));
}

// At most kExcerptBytes of `text` on one line, cut on a UTF-8 boundary.
std::string Excerpt(std::string_view text) {
  constexpr std::string_view kSpace = " \t\r\n";
  const size_t begin = text.find_first_not_of(kSpace);
  text = begin == text.npos ? std::string_view() : text.substr(begin);
  text = text.substr(0, text.find_last_not_of(kSpace) + 1);
  std::string flat = SanitizeUtf8(text);
  for (char& c : flat) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) c = ' ';
  }
  if (flat.size() <= kExcerptBytes) return flat;
  return HeadUtf8(flat, kExcerptBytes) + "...";
}

std::string StringField(const Json& object, const char* key) {
  if (!object.is_object()) return {};
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// A sample's value: Prometheus sends strings ("1.5", "NaN", "+Inf", "-Inf") so that JSON can
// carry every float64.
std::optional<double> SampleValue(const Json& value) {
  if (value.is_number()) return value.get<double>();
  if (!value.is_string()) return std::nullopt;
  std::string_view text = value.get_ref<const std::string&>();
  // from_chars reads "NaN", "Inf" and "-Inf" in any case, but no leading '+'.
  if (text.starts_with('+')) text.remove_prefix(1);
  double parsed = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), parsed);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return parsed;
}

struct Answer {
  long status = 0;
  std::string body;
  std::string redirect;  // where a 3xx points, "" otherwise
  bool too_large = false;
};

size_t OnBodyData(char* data, size_t size, size_t count, void* user) {
  auto& answer = *static_cast<Answer*>(user);
  const size_t length = size * count;
  if (answer.body.size() + length > kMaxAnswerBytes) {
    answer.too_large = true;
    return 0;  // aborts the transfer
  }
  answer.body.append(data, length);
  return length;
}

absl::Status ValidateOptions(const ClientOptions& options) {
  const std::string& url = options.base_url;
  const size_t scheme_end = url.find("://");
  const std::string scheme = scheme_end == url.npos ? "" : url.substr(0, scheme_end);
  if ((scheme != "http" && scheme != "https") || url.size() == scheme_end + 3) {
    return absl::InvalidArgumentError(
        fmt::format("prometheus base_url \"{}\" must be http://host[:port][/prefix] or https://...",
                    Excerpt(DisplayUrl(url))));
  }
  if (HasControl(url) || url.find_first_of("?# ") != url.npos) {
    return absl::InvalidArgumentError(
        fmt::format("prometheus base_url \"{}\" holds a space, control character, '?' or '#'",
                    Excerpt(DisplayUrl(url))));
  }
  if (options.timeout.count() <= 0) {
    return absl::InvalidArgumentError(fmt::format(
        "prometheus timeout is {} ms; it must be at least 1 ms", options.timeout.count()));
  }
  if (HasControl(options.bearer_token)) {
    return absl::InvalidArgumentError("prometheus bearer_token holds a control character");
  }
  return absl::OkStatus();
}

// One GET of `url`, redirects not followed (the token must not travel elsewhere).
absl::StatusOr<Answer> Get(const std::string& url, const std::string& display,
                           const ClientOptions& options) {
  if (const CURLcode code = GlobalCurlInit(); code != CURLE_OK) {
    return absl::InternalError(
        fmt::format("curl_global_init failed: {}", curl_easy_strerror(code)));
  }
  EasyHandle handle(curl_easy_init());
  if (handle == nullptr) return absl::InternalError("curl_easy_init failed");
  CURL* curl = handle.get();

  curl_slist* raw_headers = curl_slist_append(nullptr, "Accept: application/json");
  HeaderList headers(raw_headers);
  if (raw_headers != nullptr && !options.bearer_token.empty()) {
    const std::string authorization = "Authorization: Bearer " + options.bearer_token;
    raw_headers = curl_slist_append(raw_headers, authorization.c_str());
  }
  if (raw_headers == nullptr) return absl::InternalError("curl_slist_append failed");

  Answer answer;
  char error_text[CURL_ERROR_SIZE] = {};
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_USERAGENT, std::string(kUserAgent).c_str());
  curl_easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, "");
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(options.timeout.count()));
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options.timeout.count()));
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error_text);
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &OnBodyData);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &answer);
  curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);

  const CURLcode code = curl_easy_perform(curl);
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &answer.status);
  if (code == CURLE_OK) {
    char* redirect = nullptr;
    if (curl_easy_getinfo(curl, CURLINFO_REDIRECT_URL, &redirect) == CURLE_OK && redirect) {
      answer.redirect = DisplayUrl(redirect);
    }
    return answer;
  }

  std::string what = error_text[0] != '\0' ? std::string(error_text) : curl_easy_strerror(code);
  while (!what.empty() && (what.back() == '\n' || what.back() == ' ')) what.pop_back();
  switch (code) {
    case CURLE_WRITE_ERROR:
      if (answer.too_large) {
        return absl::InvalidArgumentError(fmt::format(
            "Prometheus at {}: the answer is larger than {} MiB; aggregate the query (sum, "
            "topk, ...)",
            display, kMaxAnswerBytes >> 20));
      }
      return absl::UnavailableError(fmt::format("Prometheus at {}: {}", display, what));
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
      return absl::InvalidArgumentError(fmt::format("Prometheus at {}: {}", display, what));
    case CURLE_OPERATION_TIMEDOUT:
      return absl::UnavailableError(fmt::format("Prometheus at {}: no answer within {} ms ({})",
                                                display, options.timeout.count(), what));
    default:  // refused, reset, unresolvable, cut short, TLS
      return absl::UnavailableError(fmt::format("Prometheus at {}: {}", display, what));
  }
}

// The status for an HTTP answer other than 200 that is not Prometheus's error JSON.
absl::Status HttpError(const Answer& answer, const std::string& display) {
  const std::string text =
      fmt::format("Prometheus at {}: HTTP {}: {}", display, answer.status, Excerpt(answer.body));
  if (answer.status >= 500 || answer.status == 0) return absl::UnavailableError(text);
  if (answer.status >= 300 && answer.status < 400) {
    return absl::InvalidArgumentError(
        fmt::format("Prometheus at {}: HTTP {}: redirected to {} (redirects are not followed; "
                    "check base_url)",
                    display, answer.status, answer.redirect.empty() ? "nowhere" : answer.redirect));
  }
  switch (answer.status) {
    case 401:
      return absl::UnauthenticatedError(text + " (check bearer_token)");
    case 403:
      return absl::PermissionDeniedError(text);
    case 404:
      return absl::NotFoundError(text + " (no Prometheus API there; check base_url's path prefix)");
    default:
      return absl::InvalidArgumentError(text);
  }
}

}  // namespace

Client::Client(ClientOptions options) : options_(std::move(options)) {
  while (options_.base_url.ends_with('/')) options_.base_url.pop_back();
  invalid_ = ValidateOptions(options_);
  display_url_ = DisplayUrl(options_.base_url);
}

absl::StatusOr<std::vector<double>> Client::Query(
    std::string_view promql, std::optional<std::chrono::system_clock::time_point> at) const {
  SLIPWAY_RETURN_IF_ERROR(invalid_);
  const std::string display = display_url_ + std::string(kQueryPath);
  const std::string quoted = "\"" + Excerpt(promql) + "\"";
  if (promql.empty()) {
    return absl::InvalidArgumentError(fmt::format("Prometheus at {}: the query is empty", display));
  }
  std::string url = options_.base_url + std::string(kQueryPath) + "?query=" + Encode(promql);
  if (at.has_value()) {
    const auto millis =
        std::chrono::duration_cast<std::chrono::milliseconds>(at->time_since_epoch()).count();
    url += fmt::format("&time={:.3f}", static_cast<double>(millis) / 1000.0);
  }

  SLIPWAY_ASSIGN_OR_RETURN(const Answer answer, Get(url, display, options_));

  const Json json = Json::parse(answer.body, nullptr, /*allow_exceptions=*/false);
  const std::string status = StringField(json, "status");
  if (answer.status != 200) {
    const std::string error_type = StringField(json, "errorType");
    const std::string error = StringField(json, "error");
    if (status != "error" || (error_type.empty() && error.empty())) {
      return HttpError(answer, display);
    }
    const std::string text = fmt::format("Prometheus at {} {} the query {}: HTTP {} {}: {}",
                                         display, answer.status >= 500 ? "failed" : "refused",
                                         quoted, answer.status, error_type, Excerpt(error));
    return answer.status >= 500 ? absl::UnavailableError(text) : absl::InvalidArgumentError(text);
  }
  if (json.is_discarded() || status != "success" || !json.contains("data") ||
      !json["data"].is_object()) {
    return absl::InternalError(
        fmt::format("Prometheus at {}: the answer to the query {} is not Prometheus's JSON: {}",
                    display, quoted, Excerpt(answer.body)));
  }
  if (auto warnings = json.find("warnings"); warnings != json.end() && !warnings->empty()) {
    spdlog::debug("Prometheus at {}: the query {} answered with warnings: {}", display, quoted,
                  Excerpt(warnings->dump()));
  }

  const Json& data = json["data"];
  const std::string type = StringField(data, "resultType");
  const auto result = data.find("result");
  auto malformed = [&](std::string_view what) {
    return absl::InternalError(
        fmt::format("Prometheus at {}: the answer to the query {} has {}: {}", display, quoted,
                    what, Excerpt(answer.body)));
  };
  if (result == data.end()) return malformed("no data.result");

  std::vector<double> values;
  if (type == "vector") {
    if (!result->is_array()) return malformed("a vector that is not an array");
    values.reserve(result->size());
    for (const Json& sample : *result) {
      if (!sample.is_object()) return malformed("a sample that is not an object");
      if (!sample.contains("value") && sample.contains("histogram")) {
        return absl::InvalidArgumentError(fmt::format(
            "Prometheus at {}: the query {} gives native-histogram samples; a number is needed "
            "(use histogram_quantile, histogram_count, ...)",
            display, quoted));
      }
      const auto value = sample.find("value");
      if (value == sample.end() || !value->is_array() || value->size() != 2) {
        return malformed("a sample without [time, value]");
      }
      const std::optional<double> number = SampleValue((*value)[1]);
      if (!number.has_value()) return malformed("a sample value that is not a number");
      values.push_back(*number);
    }
    return values;
  }
  if (type == "scalar") {
    if (!result->is_array() || result->size() != 2)
      return malformed("a scalar without [time, value]");
    const std::optional<double> number = SampleValue((*result)[1]);
    if (!number.has_value()) return malformed("a scalar value that is not a number");
    values.push_back(*number);
    return values;
  }
  if (type == "matrix" || type == "string") {
    return absl::InvalidArgumentError(fmt::format(
        "Prometheus at {}: the query {} gives a {}; an instant vector or scalar is needed{}",
        display, quoted, type == "matrix" ? "range vector (matrix)" : "string",
        type == "matrix" ? " (drop the [range] selector or wrap it, e.g. in rate())" : ""));
  }
  return malformed(fmt::format("an unknown resultType \"{}\"", Excerpt(type)));
}

analysis::Measurement Client::Measure(std::string_view promql) const {
  analysis::Measurement measurement;
  absl::StatusOr<std::vector<double>> values = Query(promql);
  if (values.ok()) {
    measurement.values = std::move(*values);
  } else {
    measurement.error = values.status();
  }
  return measurement;
}

absl::Status Client::Ready() const {
  SLIPWAY_RETURN_IF_ERROR(invalid_);
  const std::string display = display_url_ + std::string(kReadyPath);
  SLIPWAY_ASSIGN_OR_RETURN(const Answer answer,
                           Get(options_.base_url + std::string(kReadyPath), display, options_));
  if (answer.status == 200) return absl::OkStatus();
  if (answer.status == 503) {
    return absl::UnavailableError(fmt::format("Prometheus at {} is not ready yet: HTTP 503: {}",
                                              display, Excerpt(answer.body)));
  }
  return HttpError(answer, display);
}

}  // namespace slipway::prometheus
