#include "libs/forge/github_forge.h"

#include <curl/curl.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <ctime>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <thread>
#include <utility>
#include <vector>

#include "libs/core/status.h"
#include "libs/core/text.h"

namespace slipway::forge {
namespace {

using std::chrono::milliseconds;
using Json = nlohmann::json;

constexpr size_t kMessageBytes = 300;
constexpr size_t kErrorBodyBytes = 64 << 10;  // enough of an error answer to find its message
constexpr std::string_view kRedacted = "[redacted]";
constexpr std::string_view kPerPage = "100";
constexpr size_t kMaxPages = 100;  // bounds a listing (10 000 items) and any Link loop
// x-ratelimit-reset has a resolution of one second and clocks differ a little.
constexpr milliseconds kResetMargin{500};

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

char AsciiLower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

std::string ToLower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), AsciiLower);
  return out;
}

std::string_view Strip(std::string_view s) {
  constexpr std::string_view kSpace = " \t\r\n";
  const size_t begin = s.find_first_not_of(kSpace);
  if (begin == s.npos) return {};
  return s.substr(begin, s.find_last_not_of(kSpace) - begin + 1);
}

bool HasControl(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7f;
  });
}

// RFC 3986 percent-encoding of everything but unreserved characters (and '/' when asked).
std::string Encode(std::string_view s, bool keep_slash = false) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    const bool unreserved = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                            (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
                            c == '~' || (keep_slash && c == '/');
    if (unreserved) {
      out.push_back(c);
    } else {
      const auto u = static_cast<unsigned char>(c);
      out.push_back('%');
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 0xF]);
    }
  }
  return out;
}

using Query = std::vector<std::pair<std::string_view, std::string_view>>;

std::string WithQuery(std::string path, const Query& query) {
  char separator = '?';
  for (const auto& [name, value] : query) {
    path += separator;
    path += Encode(name);
    path += '=';
    path += Encode(value);
    separator = '&';
  }
  return path;
}

std::string RepoPath(const RepoRef& repo) {
  return fmt::format("/repos/{}/{}", Encode(repo.owner), Encode(repo.name));
}

// One line of at most kMessageBytes, cut on a UTF-8 boundary.
std::string Excerpt(std::string_view text) {
  std::string flat(Strip(text));
  for (char& c : flat) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) c = ' ';
  }
  if (flat.size() <= kMessageBytes) return flat;
  return HeadUtf8(flat, kMessageBytes - 3) + "...";
}

std::string StringField(const Json& object, const char* key) {
  if (!object.is_object()) return {};
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// The forge's explanation: "message", then each errors[].message (or field and code).
std::string ForgeExplanation(std::string_view body) {
  const Json json = Json::parse(body, nullptr, /*allow_exceptions=*/false);
  std::string text = StringField(json, "message");
  if (json.is_object()) {
    if (auto errors = json.find("errors"); errors != json.end() && errors->is_array()) {
      std::string details;
      for (const Json& error : *errors) {
        std::string part;
        if (error.is_string()) {
          part = error.get<std::string>();
        } else {
          part = StringField(error, "message");
          if (part.empty()) {
            part =
                std::string(Strip(StringField(error, "field") + " " + StringField(error, "code")));
          }
        }
        if (part.empty()) continue;
        details += details.empty() ? "" : "; ";
        details += part;
      }
      if (!details.empty()) text += text.empty() ? details : " (" + details + ")";
    }
  }
  return text.empty() ? std::string(body) : text;
}

std::string UtcTime(time_t when) {
  std::tm tm{};
  gmtime_r(&when, &tm);
  char text[32] = {};
  std::strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

// scheme://host[:port]/path: user info would be a credential.
std::string DisplayUrl(std::string_view url) {
  const size_t scheme_end = url.find("://");
  if (scheme_end == url.npos) return std::string(url);
  const size_t host_start = scheme_end + 3;
  const size_t path_start = url.find('/', host_start);
  const size_t at = url.substr(0, path_start).rfind('@');
  if (at == url.npos || at < host_start) return std::string(url);
  return std::string(url.substr(0, host_start)) + std::string(url.substr(at + 1));
}

struct HttpResponse {
  long status = 0;
  std::map<std::string, std::string> headers;  // lower-case names, of the final response
  std::string body;
  uint64_t max_body = 0;
  bool too_large = false;
};

bool IsSuccess(long status) { return status >= 200 && status < 300; }

size_t OnHeaderLine(char* data, size_t size, size_t count, void* user) {
  auto& response = *static_cast<HttpResponse*>(user);
  const size_t length = size * count;
  const std::string_view line = Strip(std::string_view(data, length));
  if (line.starts_with("HTTP/")) {
    // A new status line (after a 100 Continue): its headers replace the earlier ones.
    response.headers.clear();
    std::from_chars(line.data() + std::min(line.size(), line.find(' ') + 1),
                    line.data() + line.size(), response.status);
    return length;
  }
  const size_t colon = line.find(':');
  if (colon == line.npos) return length;
  std::string& value = response.headers[ToLower(Strip(line.substr(0, colon)))];
  // Repeated fields (Link) are one comma-separated list.
  if (!value.empty()) value += ", ";
  value += Strip(line.substr(colon + 1));
  return length;
}

size_t OnBodyData(char* data, size_t size, size_t count, void* user) {
  auto& response = *static_cast<HttpResponse*>(user);
  const size_t length = size * count;
  if (!IsSuccess(response.status)) {
    const size_t room = kErrorBodyBytes - std::min(kErrorBodyBytes, response.body.size());
    response.body.append(data, std::min(room, length));
    return length;
  }
  if (response.body.size() + length > response.max_body) {
    response.too_large = true;
    return 0;  // aborts the transfer
  }
  response.body.append(data, length);
  return length;
}

std::optional<milliseconds> RetryAfter(const std::map<std::string, std::string>& headers) {
  auto it = headers.find("retry-after");
  if (it == headers.end()) return std::nullopt;
  const std::string& value = it->second;
  int64_t seconds = -1;
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
  if (ec == std::errc() && end == value.data() + value.size() && seconds >= 0) {
    return milliseconds(std::min<int64_t>(seconds, int64_t{1} << 31) * 1000);
  }
  const time_t at = curl_getdate(value.c_str(), nullptr);
  if (at < 0) return std::nullopt;
  return milliseconds(std::max<int64_t>(0, static_cast<int64_t>(at - std::time(nullptr))) * 1000);
}

// The next page's URL from a Link header, "" when there is none.
std::string NextLink(const std::map<std::string, std::string>& headers) {
  auto it = headers.find("link");
  if (it == headers.end()) return {};
  std::string_view rest = it->second;
  while (!rest.empty()) {
    const size_t open = rest.find('<');
    const size_t close = rest.find('>', open);
    if (open == rest.npos || close == rest.npos) return {};
    const std::string_view target = rest.substr(open + 1, close - open - 1);
    const size_t next_entry = rest.find('<', close);
    const std::string params = ToLower(rest.substr(close + 1, next_entry - close - 1));
    if (params.find("rel=\"next\"") != params.npos || params.find("rel=next") != params.npos) {
      return std::string(target);
    }
    if (next_entry == rest.npos) return {};
    rest.remove_prefix(next_entry);
  }
  return {};
}

struct Call {
  std::string method;
  std::string target;  // under api_url, with the query
  std::string body;    // JSON, or empty for none

  std::string_view path() const { return std::string_view(target).substr(0, target.find('?')); }
};

// Why a rate-limited answer should be waited out, and for how long.
struct RateLimit {
  milliseconds wait{0};
  std::string until;  // the reset time for messages, or ""
};

class GitHubForge final : public Forge {
 public:
  GitHubForge(GitHubConfig config, HeaderList headers, HeaderList json_headers)
      : config_(std::move(config)),
        display_url_(DisplayUrl(config_.api_url)),
        headers_(std::move(headers)),
        json_headers_(std::move(json_headers)),
        random_(std::random_device{}()) {}

  absl::StatusOr<PullRequest> FindPullRequest(const RepoRef& repo, std::string_view head,
                                              std::string_view base) override {
    SLIPWAY_ASSIGN_OR_RETURN(Json pull, FindPullJson(repo, head, base));
    return ToPullRequest(pull, "GET", RepoPath(repo) + "/pulls");
  }

  absl::StatusOr<std::pair<PullRequest, bool>> OpenPullRequest(
      const RepoRef& repo, const PullRequestSpec& spec) override {
    if (spec.title.empty() || spec.head.empty() || spec.base.empty()) {
      return absl::InvalidArgumentError(fmt::format(
          "pull request for {} needs a title, a head and a base (title {} bytes, head '{}', "
          "base '{}')",
          repo.FullName(), spec.title.size(), spec.head, spec.base));
    }
    const Json request = {{"title", spec.title},
                          {"head", spec.head},
                          {"base", spec.base},
                          {"body", spec.body},
                          {"draft", spec.draft}};
    Call call{"POST", RepoPath(repo) + "/pulls", Dump(request)};
    SLIPWAY_ASSIGN_OR_RETURN(HttpResponse response, Send(call));
    Json pull;
    bool created = false;
    if (IsSuccess(response.status)) {
      SLIPWAY_ASSIGN_OR_RETURN(pull, ParseBody(call, response));
      created = true;
    } else if ((response.status == 422 || response.status == 409) && AlreadyExists(response)) {
      // A previous attempt (or a person) opened it: this is the replay of that step.
      absl::StatusOr<Json> existing = FindPullJson(repo, spec.head, spec.base);
      if (absl::IsNotFound(existing.status())) existing = FindPullJson(repo, spec.head, "");
      if (!existing.ok()) {
        return absl::Status(existing.status().code(),
                            fmt::format("{} said a pull request exists for '{}', but: {}",
                                        display_url_, spec.head, existing.status().message()));
      }
      pull = std::move(*existing);
    } else {
      return HttpError(call, response);
    }
    SLIPWAY_ASSIGN_OR_RETURN(PullRequest result, ToPullRequest(pull, call.method, call.path()));
    SLIPWAY_RETURN_IF_ERROR(AddMissingLabels(repo, result.number, pull, spec.labels));
    SLIPWAY_RETURN_IF_ERROR(
        AddMissingReviewers(repo, result.number, pull, spec.reviewers, spec.team_reviewers));
    return std::make_pair(std::move(result), created);
  }

  absl::StatusOr<CheckSummary> Checks(const RepoRef& repo, std::string_view sha) override {
    if (sha.empty()) {
      return absl::InvalidArgumentError(fmt::format("checks of {}: empty sha", repo.FullName()));
    }
    const std::string commit = RepoPath(repo) + "/commits/" + Encode(sha);
    SLIPWAY_ASSIGN_OR_RETURN(std::vector<Json> statuses,
                             GetAll(commit + "/status", {}, "statuses"));
    absl::StatusOr<std::vector<Json>> runs = GetAll(commit + "/check-runs", {}, "check_runs");
    // Gitea and Forgejo have commit statuses but no check-runs endpoint.
    if (absl::IsNotFound(runs.status())) runs = std::vector<Json>();
    if (!runs.ok()) return runs.status();

    CheckSummary summary;
    size_t passed = 0;
    for (const Json& status : statuses) {
      const std::string state = StringField(status, "state");
      std::string name = StringField(status, "context");
      if (state == "failure" || state == "error") {
        summary.failed.push_back(std::move(name));
      } else if (state == "success") {
        ++passed;
      } else {
        summary.pending.push_back(std::move(name));
      }
    }
    for (const Json& run : *runs) {
      std::string name = StringField(run, "name");
      const std::string conclusion = StringField(run, "conclusion");
      if (StringField(run, "status") != "completed") {
        summary.pending.push_back(std::move(name));
      } else if (conclusion == "failure" || conclusion == "cancelled" ||
                 conclusion == "timed_out" || conclusion == "action_required" ||
                 conclusion == "startup_failure" || conclusion == "stale") {
        summary.failed.push_back(std::move(name));
      } else {
        ++passed;  // success, neutral, skipped
      }
    }
    summary.total = statuses.size() + runs->size();
    if (!summary.failed.empty()) {
      summary.state = ChecksState::kFailure;
    } else if (!summary.pending.empty()) {
      summary.state = ChecksState::kPending;
    } else {
      summary.state = ChecksState::kSuccess;
    }
    summary.detail = Describe(summary, passed, sha);
    return summary;
  }

  absl::Status Comment(const RepoRef& repo, uint64_t number, std::string_view body) override {
    Call call{"POST", fmt::format("{}/issues/{}/comments", RepoPath(repo), number),
              Dump(Json{{"body", std::string(body)}})};
    SLIPWAY_ASSIGN_OR_RETURN(HttpResponse response, Send(call));
    return IsSuccess(response.status) ? absl::OkStatus() : HttpError(call, response);
  }

  absl::Status ClosePullRequest(const RepoRef& repo, uint64_t number) override {
    const std::string path = fmt::format("{}/pulls/{}", RepoPath(repo), number);
    Call call{"PATCH", path, Dump(Json{{"state", "closed"}})};
    SLIPWAY_ASSIGN_OR_RETURN(HttpResponse response, Send(call));
    if (IsSuccess(response.status)) return absl::OkStatus();
    const absl::Status error = HttpError(call, response);
    if (response.status != 422) return error;
    // Some forges refuse to edit a closed (or merged) pull request: closed is what we want.
    Call get{"GET", path, ""};
    SLIPWAY_ASSIGN_OR_RETURN(HttpResponse current, Send(get));
    if (!IsSuccess(current.status)) return error;
    SLIPWAY_ASSIGN_OR_RETURN(Json pull, ParseBody(get, current));
    return StringField(pull, "state") == "closed" ? absl::OkStatus() : error;
  }

  absl::Status DeleteBranch(const RepoRef& repo, std::string_view branch) override {
    if (branch.empty()) {
      return absl::InvalidArgumentError(
          fmt::format("delete branch of {}: empty branch name", repo.FullName()));
    }
    Call call{"DELETE", RepoPath(repo) + "/git/refs/heads/" + Encode(branch, true), ""};
    SLIPWAY_ASSIGN_OR_RETURN(HttpResponse response, Send(call));
    // 404 / 422 "Reference does not exist": already gone, which is what was asked.
    if (IsSuccess(response.status) || response.status == 404 || response.status == 422) {
      return absl::OkStatus();
    }
    return HttpError(call, response);
  }

 private:
  absl::StatusOr<Json> FindPullJson(const RepoRef& repo, std::string_view head,
                                    std::string_view base) {
    const std::string qualified = repo.owner + ":" + std::string(head);
    Query query = {{"state", "open"}, {"head", qualified}};
    if (!base.empty()) query.emplace_back("base", base);
    const std::string path = RepoPath(repo) + "/pulls";
    SLIPWAY_ASSIGN_OR_RETURN(std::vector<Json> pulls, GetAll(path, query, ""));
    // The head filter is the forge's; check it, since a forge that ignores it lists every pull.
    for (Json& pull : pulls) {
      const Json* head_ref = FindPointer(pull, "head", "ref");
      const Json* base_ref = FindPointer(pull, "base", "ref");
      if (head_ref == nullptr || head_ref->get_ref<const std::string&>() != head) continue;
      if (!base.empty() &&
          (base_ref == nullptr || base_ref->get_ref<const std::string&>() != base)) {
        continue;
      }
      if (StringField(pull, "state") != "open") continue;
      return std::move(pull);
    }
    return absl::NotFoundError(
        fmt::format("no open pull request from '{}'{} in {} at {}", head,
                    base.empty() ? std::string() : fmt::format(" into '{}'", base), repo.FullName(),
                    display_url_));
  }

  static const Json* FindPointer(const Json& object, const char* outer, const char* inner) {
    if (!object.is_object()) return nullptr;
    auto it = object.find(outer);
    if (it == object.end() || !it->is_object()) return nullptr;
    auto leaf = it->find(inner);
    return leaf == it->end() || !leaf->is_string() ? nullptr : &*leaf;
  }

  absl::StatusOr<PullRequest> ToPullRequest(const Json& pull, std::string_view method,
                                            std::string_view path) const {
    auto number = pull.is_object() ? pull.find("number") : pull.end();
    if (!pull.is_object() || number == pull.end() || !number->is_number_unsigned() ||
        FindPointer(pull, "head", "ref") == nullptr) {
      return absl::DataLossError(fmt::format("GitHub {} {}{}: answer is not a pull request: {}",
                                             method, display_url_, path,
                                             Excerpt(Redact(Dump(pull)))));
    }
    PullRequest result;
    result.number = number->get<uint64_t>();
    result.html_url = StringField(pull, "html_url");
    result.state = StringField(pull, "state");
    result.head = FindPointer(pull, "head", "ref")->get<std::string>();
    if (const Json* base = FindPointer(pull, "base", "ref")) result.base = base->get<std::string>();
    if (const Json* sha = FindPointer(pull, "head", "sha"))
      result.head_sha = sha->get<std::string>();
    auto flag = [&pull](const char* key) {
      auto it = pull.find(key);
      return it != pull.end() && it->is_boolean() && it->get<bool>();
    };
    result.draft = flag("draft");
    auto merged_at = pull.find("merged_at");
    result.merged = flag("merged") || (merged_at != pull.end() && merged_at->is_string());
    return result;
  }

  static bool AlreadyExists(const HttpResponse& response) {
    const std::string text = ToLower(ForgeExplanation(response.body));
    return text.find("already exist") != text.npos;
  }

  // Names in `wanted` missing from pull[list][*][key], compared without case, deduplicated.
  static std::vector<std::string> Missing(const Json& pull, const char* list, const char* key,
                                          const std::vector<std::string>& wanted) {
    std::vector<std::string> have;
    if (auto it = pull.find(list); it != pull.end() && it->is_array()) {
      for (const Json& item : *it) have.push_back(ToLower(StringField(item, key)));
    }
    std::vector<std::string> missing;
    for (const std::string& name : wanted) {
      const std::string lower = ToLower(name);
      if (name.empty() || std::find(have.begin(), have.end(), lower) != have.end()) continue;
      have.push_back(lower);
      missing.push_back(name);
    }
    return missing;
  }

  absl::Status AddMissingLabels(const RepoRef& repo, uint64_t number, const Json& pull,
                                const std::vector<std::string>& labels) {
    const std::vector<std::string> missing = Missing(pull, "labels", "name", labels);
    if (missing.empty()) return absl::OkStatus();
    Call call{"POST", fmt::format("{}/issues/{}/labels", RepoPath(repo), number),
              Dump(Json{{"labels", missing}})};
    SLIPWAY_ASSIGN_OR_RETURN(HttpResponse response, Send(call));
    return IsSuccess(response.status) ? absl::OkStatus() : HttpError(call, response);
  }

  absl::Status AddMissingReviewers(const RepoRef& repo, uint64_t number, const Json& pull,
                                   const std::vector<std::string>& reviewers,
                                   const std::vector<std::string>& teams) {
    const std::vector<std::string> users = Missing(pull, "requested_reviewers", "login", reviewers);
    const std::vector<std::string> slugs = Missing(pull, "requested_teams", "slug", teams);
    if (users.empty() && slugs.empty()) return absl::OkStatus();
    Json request = Json::object();
    if (!users.empty()) request["reviewers"] = users;
    if (!slugs.empty()) request["team_reviewers"] = slugs;
    Call call{"POST", fmt::format("{}/pulls/{}/requested_reviewers", RepoPath(repo), number),
              Dump(request)};
    SLIPWAY_ASSIGN_OR_RETURN(HttpResponse response, Send(call));
    return IsSuccess(response.status) ? absl::OkStatus() : HttpError(call, response);
  }

  // Every item of a listing: the body itself when `field` is empty, else body[field]; pages
  // are followed through Link rel="next".
  absl::StatusOr<std::vector<Json>> GetAll(const std::string& path, Query query,
                                           const char* field) {
    query.emplace_back("per_page", kPerPage);
    std::vector<Json> items;
    Call call{"GET", WithQuery(path, query), ""};
    for (size_t page = 1;; ++page) {
      SLIPWAY_ASSIGN_OR_RETURN(HttpResponse response, Send(call));
      if (!IsSuccess(response.status)) return HttpError(call, response);
      SLIPWAY_ASSIGN_OR_RETURN(Json body, ParseBody(call, response));
      Json* list = &body;
      if (*field != '\0') {
        auto it = body.is_object() ? body.find(field) : body.end();
        list = body.is_object() && it != body.end() ? &*it : nullptr;
      }
      if (list == nullptr || !list->is_array()) {
        return absl::DataLossError(fmt::format(
            "GitHub GET {}{}: answer has no list{}: {}", display_url_, call.path(),
            *field == '\0' ? "" : fmt::format(" '{}'", field), Excerpt(Redact(response.body))));
      }
      for (Json& item : *list) items.push_back(std::move(item));
      const std::string next = NextLink(response.headers);
      if (next.empty()) return items;
      // The token goes only where api_url points.
      if (!next.starts_with(config_.api_url + "/") || page >= kMaxPages) {
        return absl::DataLossError(fmt::format(
            "GitHub GET {}{}: page {} links to {} (outside the API URL, or too many pages)",
            display_url_, call.path(), page, DisplayUrl(next.substr(0, next.find('?')))));
      }
      call.target = next.substr(config_.api_url.size());
    }
  }

  absl::StatusOr<Json> ParseBody(const Call& call, const HttpResponse& response) const {
    Json json = Json::parse(response.body, nullptr, /*allow_exceptions=*/false);
    if (json.is_discarded()) {
      return absl::DataLossError(fmt::format(
          "GitHub {} {}{}: HTTP {} answer is not JSON ({} bytes): {}", call.method, display_url_,
          call.path(), response.status, response.body.size(), Excerpt(Redact(response.body))));
    }
    return json;
  }

  static std::string Dump(const Json& json) {
    return json.dump(-1, ' ', false, Json::error_handler_t::replace);
  }

  static std::string Describe(const CheckSummary& summary, size_t passed, std::string_view sha) {
    if (summary.total == 0) {
      return fmt::format("no statuses or check runs are reported for {}", sha.substr(0, 12));
    }
    auto names = [](const std::vector<std::string>& list) {
      std::string out;
      for (size_t i = 0; i < list.size() && i < 5; ++i) out += (i == 0 ? "" : ", ") + list[i];
      if (list.size() > 5) out += fmt::format(", and {} more", list.size() - 5);
      return out;
    };
    std::string detail = fmt::format("{} check{}", summary.total, summary.total == 1 ? "" : "s");
    std::string sep = ": ";
    if (!summary.failed.empty()) {
      detail += fmt::format("{}{} failed ({})", sep, summary.failed.size(), names(summary.failed));
      sep = ", ";
    }
    if (!summary.pending.empty()) {
      detail +=
          fmt::format("{}{} pending ({})", sep, summary.pending.size(), names(summary.pending));
      sep = ", ";
    }
    if (passed > 0) detail += fmt::format("{}{} passed", sep, passed);
    return detail;
  }

  // --- HTTP ---

  // Sends `call`, retrying 5xx, transport failures and rate limits. Returns the answer when
  // it is a success or a failure not worth retrying (the caller decides what it means), an
  // error when retries are spent or the transport cannot work.
  absl::StatusOr<HttpResponse> Send(const Call& call) {
    milliseconds rate_limit_waited{0};
    for (uint32_t attempt = 1;; ++attempt) {
      absl::StatusOr<HttpResponse> response = Perform(call);
      absl::Status failure;
      std::optional<milliseconds> wait;
      if (!response.ok()) {
        if (!IsRetryable(response.status())) return Final(call, response.status(), attempt);
        failure = response.status();
      } else if (response->status >= 500) {
        failure = absl::UnavailableError(Summary(*response));
        if (std::optional<milliseconds> after = RetryAfter(response->headers)) {
          wait = std::min(*after, config_.max_backoff);
        }
      } else if (std::optional<RateLimit> limit = RateLimitOf(*response, attempt)) {
        std::string text = Summary(*response);
        if (!limit->until.empty()) text += "; the limit resets at " + limit->until;
        if (rate_limit_waited + limit->wait > config_.max_rate_limit_wait) {
          text += fmt::format(", beyond max_rate_limit_wait ({} ms)",
                              config_.max_rate_limit_wait.count());
          return Final(call, absl::ResourceExhaustedError(text), attempt);
        }
        failure = absl::ResourceExhaustedError(text);
        wait = limit->wait;
        rate_limit_waited += limit->wait;
      } else {
        return response;
      }
      if (attempt > config_.max_retries) return Final(call, failure, attempt);
      const milliseconds pause = wait.value_or(Backoff(attempt));
      spdlog::debug("GitHub {} {}{}: attempt {} failed ({}), retrying in {} ms", call.method,
                    display_url_, call.path(), attempt, absl::StatusCodeToString(failure.code()),
                    pause.count());
      std::this_thread::sleep_for(pause);
    }
  }

  std::optional<RateLimit> RateLimitOf(const HttpResponse& response, uint32_t attempt) {
    if (response.status != 403 && response.status != 429) return std::nullopt;
    if (std::optional<milliseconds> after = RetryAfter(response.headers)) {
      return RateLimit{*after, UtcTime(std::time(nullptr) + after->count() / 1000)};
    }
    auto remaining = response.headers.find("x-ratelimit-remaining");
    if (remaining != response.headers.end() && remaining->second == "0") {
      auto reset = response.headers.find("x-ratelimit-reset");
      int64_t reset_at = 0;
      if (reset != response.headers.end()) {
        const std::string& v = reset->second;
        std::from_chars(v.data(), v.data() + v.size(), reset_at);
      }
      if (reset_at > 0) {
        const auto now = std::chrono::duration_cast<milliseconds>(
            std::chrono::system_clock::now().time_since_epoch());
        const milliseconds wait =
            std::max(milliseconds(0), milliseconds(reset_at * 1000) - now) + kResetMargin;
        return RateLimit{wait, UtcTime(static_cast<time_t>(reset_at))};
      }
      return RateLimit{Backoff(attempt), ""};
    }
    const std::string text = ToLower(ForgeExplanation(response.body));
    if (response.status == 429 || text.find("secondary rate limit") != text.npos ||
        text.find("abuse detection") != text.npos) {
      return RateLimit{Backoff(attempt), ""};
    }
    return std::nullopt;
  }

  // "HTTP 422: <the forge's explanation>", the token redacted before the cut.
  std::string Summary(const HttpResponse& response) const {
    return fmt::format("HTTP {}: {}", response.status,
                       Excerpt(Redact(ForgeExplanation(response.body))));
  }

  absl::Status HttpError(const Call& call, const HttpResponse& response) const {
    absl::StatusCode code = absl::StatusCode::kInvalidArgument;
    std::string text = Summary(response);
    switch (response.status) {
      case 401:
        code = absl::StatusCode::kUnauthenticated;
        break;
      case 403:
        code = absl::StatusCode::kPermissionDenied;
        break;
      case 404:
        code = absl::StatusCode::kNotFound;
        break;
      default:
        if (response.status >= 300 && response.status < 400) {
          auto location = response.headers.find("location");
          text =
              fmt::format("HTTP {}: redirected to {} (redirects are not followed)", response.status,
                          location == response.headers.end()
                              ? std::string("nowhere")
                              : DisplayUrl(location->second.substr(0, location->second.find('?'))));
        }
        break;
    }
    return Final(call, absl::Status(code, text), 1);
  }

  absl::Status Final(const Call& call, const absl::Status& cause, uint32_t attempts) const {
    std::string message =
        fmt::format("GitHub {} {}{}: {}", call.method, display_url_, call.path(), cause.message());
    if (attempts > 1) message += fmt::format(" (after {} attempts)", attempts);
    absl::Status status(cause.code(), Redact(message));
    return IsRetryable(status) ? Retryable(std::move(status)) : status;
  }

  std::string Redact(std::string text) const {
    const std::string& token = config_.token;
    if (token.empty()) return text;
    for (size_t at = text.find(token); at != text.npos;
         at = text.find(token, at + kRedacted.size())) {
      text.replace(at, token.size(), kRedacted);
    }
    return text;
  }

  milliseconds Backoff(uint32_t retry) {
    const int64_t cap = std::max<int64_t>(config_.max_backoff.count(), 0);
    int64_t wait = std::max<int64_t>(config_.initial_backoff.count(), 0);
    for (uint32_t i = 1; i < retry && wait < cap; ++i) wait *= 2;
    wait = std::min(wait, cap);
    if (wait < 2) return milliseconds(wait);
    // Jitter in the upper half keeps throttled callers from coming back in step.
    std::lock_guard lock(mu_);
    return milliseconds(std::uniform_int_distribution<int64_t>(wait / 2, wait)(random_));
  }

  EasyHandle TakeHandle() {
    {
      std::lock_guard lock(mu_);
      if (!idle_.empty()) {
        EasyHandle handle = std::move(idle_.back());
        idle_.pop_back();
        return handle;
      }
    }
    return EasyHandle(curl_easy_init());
  }

  void ReturnHandle(EasyHandle handle) {
    std::lock_guard lock(mu_);
    idle_.push_back(std::move(handle));
  }

  absl::StatusOr<HttpResponse> Perform(const Call& call) {
    EasyHandle handle = TakeHandle();
    if (handle == nullptr) return absl::InternalError("curl_easy_init failed");
    CURL* curl = handle.get();
    curl_easy_reset(curl);

    HttpResponse response;
    response.max_body = config_.max_response_bytes;
    const std::string url = config_.api_url + call.target;
    char error_text[CURL_ERROR_SIZE] = {};
    curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_USERAGENT, config_.user_agent.c_str());
    curl_easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(config_.timeout.count()));
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
                     static_cast<long>(config_.connect_timeout.count()));
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error_text);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, &OnHeaderLine);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, &response);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &OnBodyData);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &response);
    if (call.body.empty()) {
      curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers_.get());
    } else {
      curl_easy_setopt(curl, CURLOPT_HTTPHEADER, json_headers_.get());
      curl_easy_setopt(curl, CURLOPT_POSTFIELDS, call.body.data());
      curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
                       static_cast<curl_off_t>(call.body.size()));
    }
    if (call.method == "GET") {
      curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
    } else if (call.method != "POST" || call.body.empty()) {
      curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, call.method.c_str());
    }

    const CURLcode code = curl_easy_perform(curl);
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response.status);
    // The error buffer lives in this frame; the pooled handle outlives it.
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, static_cast<char*>(nullptr));
    ReturnHandle(std::move(handle));
    if (code == CURLE_OK) return response;

    const std::string what =
        error_text[0] != '\0' ? std::string(Strip(error_text)) : curl_easy_strerror(code);
    switch (code) {
      case CURLE_WRITE_ERROR:
        if (response.too_large) {
          return absl::DataLossError(
              fmt::format("the answer is larger than max_response_bytes ({} bytes)",
                          config_.max_response_bytes));
        }
        return absl::UnavailableError(what);
      case CURLE_URL_MALFORMAT:
      case CURLE_UNSUPPORTED_PROTOCOL:
        return absl::InvalidArgumentError(what);
      case CURLE_PEER_FAILED_VERIFICATION:
      case CURLE_SSL_CACERT_BADFILE:
      case CURLE_SSL_CERTPROBLEM:
      case CURLE_SSL_ISSUER_ERROR:
      case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
        return absl::FailedPreconditionError(what);
      case CURLE_OPERATION_TIMEDOUT:
        return absl::UnavailableError(
            fmt::format("no complete answer within {} ms: {}", config_.timeout.count(), what));
      default:
        return absl::UnavailableError(what);  // refused, reset, unresolvable, cut short
    }
  }

  const GitHubConfig config_;
  const std::string display_url_;
  const HeaderList headers_;       // read-only once built, shared by every transfer
  const HeaderList json_headers_;  // the same plus Content-Type
  mutable std::mutex mu_;
  std::vector<EasyHandle> idle_;  // guarded by mu_
  std::mt19937_64 random_;        // guarded by mu_
};

}  // namespace

absl::StatusOr<std::unique_ptr<Forge>> MakeGitHubForge(GitHubConfig config) {
  while (config.api_url.ends_with('/')) config.api_url.pop_back();
  const std::string scheme = ToLower(config.api_url.substr(0, config.api_url.find("://") + 3));
  if ((scheme != "http://" && scheme != "https://") || config.api_url.size() == scheme.size() ||
      HasControl(config.api_url) || config.api_url.find_first_of("?# ") != std::string::npos) {
    return absl::InvalidArgumentError(
        fmt::format("forge api_url '{}' is not an http:// or https:// URL without query",
                    Excerpt(DisplayUrl(config.api_url))));
  }
  if (config.token.empty()) {
    return absl::InvalidArgumentError(
        fmt::format("forge token for {} is empty", DisplayUrl(config.api_url)));
  }
  if (HasControl(config.token) || HasControl(config.user_agent)) {
    return absl::InvalidArgumentError("forge token or user_agent holds a control character");
  }
  if (config.timeout.count() <= 0 || config.connect_timeout.count() <= 0) {
    return absl::InvalidArgumentError(
        fmt::format("forge timeout ({} ms) and connect_timeout ({} ms) must be positive",
                    config.timeout.count(), config.connect_timeout.count()));
  }
  if (config.max_response_bytes == 0) {
    return absl::InvalidArgumentError("forge max_response_bytes is 0; it must be at least 1");
  }
  if (const CURLcode code = GlobalCurlInit(); code != CURLE_OK) {
    return absl::InternalError(
        fmt::format("curl_global_init failed: {}", curl_easy_strerror(code)));
  }
  auto build = [&config](bool json) -> HeaderList {
    HeaderList list;
    for (const std::string& line :
         {std::string("Accept: application/vnd.github+json"),
          std::string("X-GitHub-Api-Version: 2022-11-28"), "Authorization: Bearer " + config.token,
          std::string("Expect:"), std::string(json ? "Content-Type: application/json" : "")}) {
      if (line.empty()) continue;
      curl_slist* next = curl_slist_append(list.get(), line.c_str());
      if (next == nullptr) return nullptr;
      (void)list.release();
      list.reset(next);
    }
    return list;
  };
  HeaderList headers = build(false);
  HeaderList json_headers = build(true);
  if (headers == nullptr || json_headers == nullptr) {
    return absl::InternalError("curl_slist_append failed (out of memory)");
  }
  return std::make_unique<GitHubForge>(std::move(config), std::move(headers),
                                       std::move(json_headers));
}

}  // namespace slipway::forge
