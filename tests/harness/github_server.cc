#include "tests/harness/github_server.h"

#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstdio>
#include <deque>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string_view>
#include <thread>

namespace slipway::testing {
namespace {

using Json = nlohmann::json;

struct Reply {
  int status = 200;
  Json body;  // null: no body
  std::vector<std::pair<std::string, std::string>> headers;
};

struct Failure {
  std::string method;
  std::string path_prefix;
  int status = 500;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  int remaining = 1;
};

struct Repo {
  std::vector<GitHubPull> pulls;  // number - 1 is the index
  std::map<std::string, std::vector<GitHubStatus>> statuses;
  std::map<std::string, std::vector<GitHubCheckRun>> check_runs;
  std::vector<std::string> deleted;
};

// The entry of `sha`, else the one set for "*" (any commit), else none.
template <typename T>
const std::vector<T>& ForSha(const std::map<std::string, std::vector<T>>& by_sha,
                             const std::string& sha) {
  static const std::vector<T> kNone;
  auto it = by_sha.find(sha);
  if (it == by_sha.end()) it = by_sha.find("*");
  return it == by_sha.end() ? kNone : it->second;
}

Reply Error(int status, std::string message, Json errors = nullptr) {
  Json body = {{"message", std::move(message)},
               {"documentation_url", "https://docs.github.com/rest"}};
  if (!errors.is_null()) body["errors"] = std::move(errors);
  return Reply{status, std::move(body), {}};
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string Decode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && HexValue(s[i + 1]) >= 0 && HexValue(s[i + 2]) >= 0) {
      out.push_back(static_cast<char>(HexValue(s[i + 1]) * 16 + HexValue(s[i + 2])));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

std::string Encode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(c);
    } else {
      out += {'%', kHex[u >> 4], kHex[u & 0xF]};
    }
  }
  return out;
}

bool IsPseudoHeader(const std::string& name) {
  return name == "REMOTE_ADDR" || name == "REMOTE_PORT" || name == "LOCAL_ADDR" ||
         name == "LOCAL_PORT";
}

std::string FakeSha(const std::string& seed) {
  const size_t a = std::hash<std::string>{}(seed);
  const size_t b = std::hash<std::string>{}(seed + "#");
  char text[48] = {};
  std::snprintf(text, sizeof(text), "%016zx%016zx%08zx", a, b, (a ^ b) & 0xffffffffu);
  return text;
}

bool Contains(const std::vector<std::string>& list, const std::string& item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

void AddStrings(std::vector<std::string>& to, const Json& from) {
  if (!from.is_array()) return;
  for (const Json& item : from) {
    if (item.is_string() && !Contains(to, item.get<std::string>())) {
      to.push_back(item.get<std::string>());
    }
  }
}

}  // namespace

struct GitHubServer::State {
  httplib::Server server;
  int port = -1;
  std::thread thread;
  std::atomic<bool> listen_returned{false};
  const std::string base_path;
  const std::string token;

  mutable std::mutex mu;
  std::vector<GitHubRequest> requests;  // guarded by mu
  std::deque<Failure> failures;         // guarded by mu
  std::map<std::string, Repo> repos;    // guarded by mu
  size_t page_size = 100;               // guarded by mu

  State(std::string base, std::string secret)
      : base_path(std::move(base)), token(std::move(secret)) {}

  std::string ApiUrl() const { return "http://127.0.0.1:" + std::to_string(port) + base_path; }

  Json PullJson(const std::string& owner, const std::string& name, const GitHubPull& pull) const {
    Json labels = Json::array();
    for (const std::string& label : pull.labels) labels.push_back({{"name", label}});
    Json reviewers = Json::array();
    for (const std::string& login : pull.reviewers) reviewers.push_back({{"login", login}});
    Json teams = Json::array();
    for (const std::string& slug : pull.team_reviewers) {
      teams.push_back({{"slug", slug}, {"name", slug}});
    }
    const std::string web = "http://127.0.0.1:" + std::to_string(port);
    return {
        {"number", pull.number},
        {"url",
         ApiUrl() + "/repos/" + owner + "/" + name + "/pulls/" + std::to_string(pull.number)},
        {"html_url", web + "/" + owner + "/" + name + "/pull/" + std::to_string(pull.number)},
        {"state", pull.state},
        {"title", pull.title},
        {"body", pull.body},
        {"draft", pull.draft},
        {"merged", pull.merged},
        {"merged_at", pull.merged ? Json("2024-01-01T00:00:00Z") : Json(nullptr)},
        {"user", {{"login", "slipway-bot"}}},
        {"head", {{"ref", pull.head}, {"sha", pull.head_sha}, {"label", owner + ":" + pull.head}}},
        {"base", {{"ref", pull.base}, {"label", owner + ":" + pull.base}}},
        {"labels", std::move(labels)},
        {"requested_reviewers", std::move(reviewers)},
        {"requested_teams", std::move(teams)},
    };
  }

  // One page of `items` and its Link header, as GitHub paginates.
  Reply Page(const Json& items, const httplib::Request& req, const std::string& raw_path,
             const std::function<Json(Json)>& wrap) const {
    size_t per_page = 30;
    if (req.has_param("per_page")) per_page = std::stoul(req.get_param_value("per_page"));
    per_page = std::clamp<size_t>(per_page, 1, std::min<size_t>(100, page_size));
    size_t page = req.has_param("page") ? std::stoul(req.get_param_value("page")) : 1;
    page = std::max<size_t>(page, 1);
    const size_t pages = std::max<size_t>(1, (items.size() + per_page - 1) / per_page);
    Json slice = Json::array();
    for (size_t i = (page - 1) * per_page; i < items.size() && i < page * per_page; ++i) {
      slice.push_back(items[i]);
    }
    Reply reply{200, wrap(std::move(slice)), {}};
    if (page < pages) {
      std::string query;
      for (const auto& [name, value] : req.params) {
        if (name == "page") continue;
        query += Encode(name) + "=" + Encode(value) + "&";
      }
      auto link = [&](size_t n) {
        return "<http://127.0.0.1:" + std::to_string(port) + raw_path + "?" + query +
               "page=" + std::to_string(n) + ">";
      };
      reply.headers.emplace_back(
          "Link", link(page + 1) + "; rel=\"next\", " + link(pages) + "; rel=\"last\"");
    }
    return reply;
  }

  // Routes a request whose token checked out; `segments` are decoded and start at "repos".
  Reply Route(const httplib::Request& req, const std::string& raw_path,
              const std::vector<std::string>& segments, const Json& body) {
    const std::string& method = req.method;
    if (segments.size() < 4 || segments[0] != "repos") return Error(404, "Not Found");
    const std::string& owner = segments[1];
    const std::string& name = segments[2];
    Repo& repo = repos[owner + "/" + name];
    const std::vector<std::string> rest(segments.begin() + 3, segments.end());
    auto pull_at = [&](const std::string& number) -> GitHubPull* {
      const size_t n = std::strtoull(number.c_str(), nullptr, 10);
      return n >= 1 && n <= repo.pulls.size() ? &repo.pulls[n - 1] : nullptr;
    };

    if (rest[0] == "pulls" && rest.size() == 1 && method == "GET") {
      std::string head = req.get_param_value("head");
      if (const size_t colon = head.find(':'); colon != head.npos) head = head.substr(colon + 1);
      const std::string state = req.has_param("state") ? req.get_param_value("state") : "open";
      const std::string base = req.get_param_value("base");
      Json items = Json::array();
      for (const GitHubPull& pull : repo.pulls) {
        if (state != "all" && pull.state != state) continue;
        if (!head.empty() && pull.head != head) continue;
        if (!base.empty() && pull.base != base) continue;
        items.push_back(PullJson(owner, name, pull));
      }
      return Page(items, req, raw_path, [](Json page) { return page; });
    }
    if (rest[0] == "pulls" && rest.size() == 1 && method == "POST") {
      auto text = [&body](const char* key) {
        auto it = body.find(key);
        return it != body.end() && it->is_string() ? it->get<std::string>() : std::string();
      };
      GitHubPull pull;
      pull.title = text("title");
      pull.head = text("head");
      if (const size_t colon = pull.head.find(':'); colon != pull.head.npos) {
        pull.head = pull.head.substr(colon + 1);
      }
      pull.base = text("base");
      pull.body = text("body");
      pull.draft = body.value("draft", false);
      for (const char* field : {"title", "head", "base"}) {
        if (text(field).empty()) {
          return Error(
              422, "Validation Failed",
              Json::array(
                  {{{"resource", "PullRequest"}, {"field", field}, {"code", "missing_field"}}}));
        }
      }
      for (const GitHubPull& other : repo.pulls) {
        if (other.state == "open" && other.head == pull.head) {
          return Error(422, "Validation Failed",
                       Json::array({{{"resource", "PullRequest"},
                                     {"code", "custom"},
                                     {"message", "A pull request already exists for " + owner +
                                                     ":" + pull.head + "."}}}));
        }
      }
      pull.number = repo.pulls.size() + 1;
      pull.state = "open";
      pull.head_sha = FakeSha(owner + "/" + name + ":" + pull.head);
      repo.pulls.push_back(pull);
      return Reply{201, PullJson(owner, name, pull), {}};
    }
    if (rest[0] == "pulls" && rest.size() >= 2) {
      GitHubPull* pull = pull_at(rest[1]);
      if (pull == nullptr) return Error(404, "Not Found");
      if (rest.size() == 2 && method == "GET") return Reply{200, PullJson(owner, name, *pull), {}};
      if (rest.size() == 2 && method == "PATCH") {
        if (auto it = body.find("state"); it != body.end() && it->is_string()) {
          const std::string state = it->get<std::string>();
          if (state != "open" && state != "closed") {
            return Error(422, "Validation Failed",
                         Json::array({{{"field", "state"}, {"code", "invalid"}}}));
          }
          pull->state = state;
        }
        if (auto it = body.find("title"); it != body.end() && it->is_string()) {
          pull->title = it->get<std::string>();
        }
        if (auto it = body.find("body"); it != body.end() && it->is_string()) {
          pull->body = it->get<std::string>();
        }
        return Reply{200, PullJson(owner, name, *pull), {}};
      }
      if (rest.size() == 3 && rest[2] == "requested_reviewers" && method == "POST") {
        if (auto it = body.find("reviewers"); it != body.end()) AddStrings(pull->reviewers, *it);
        if (auto it = body.find("team_reviewers"); it != body.end()) {
          AddStrings(pull->team_reviewers, *it);
        }
        return Reply{201, PullJson(owner, name, *pull), {}};
      }
    }
    if (rest[0] == "issues" && rest.size() == 3 && method == "POST") {
      GitHubPull* pull = pull_at(rest[1]);
      if (pull == nullptr) return Error(404, "Not Found");
      if (rest[2] == "labels") {
        AddStrings(pull->labels, body.is_array() ? body : body.value("labels", Json::array()));
        Json labels = Json::array();
        for (const std::string& label : pull->labels) labels.push_back({{"name", label}});
        return Reply{200, std::move(labels), {}};
      }
      if (rest[2] == "comments") {
        auto it = body.find("body");
        if (it == body.end() || !it->is_string()) {
          return Error(422, "Validation Failed",
                       Json::array({{{"field", "body"}, {"code", "missing_field"}}}));
        }
        pull->comments.push_back(it->get<std::string>());
        return Reply{201, {{"id", pull->comments.size()}, {"body", pull->comments.back()}}, {}};
      }
    }
    if (rest[0] == "commits" && rest.size() == 3 && method == "GET") {
      const std::string& sha = rest[1];
      if (rest[2] == "status") {
        Json items = Json::array();
        std::string combined = "success";
        const auto& statuses = ForSha(repo.statuses, sha);
        for (const GitHubStatus& status : statuses) {
          items.push_back({{"context", status.context},
                           {"state", status.state},
                           {"description", status.description}});
          if (status.state == "failure" || status.state == "error") {
            combined = "failure";
          } else if (status.state == "pending" && combined != "failure") {
            combined = "pending";
          }
        }
        if (statuses.empty()) combined = "pending";
        const size_t total = statuses.size();
        return Page(items, req, raw_path, [&](Json page) {
          return Json{{"state", combined},
                      {"sha", sha},
                      {"total_count", total},
                      {"statuses", std::move(page)}};
        });
      }
      if (rest[2] == "check-runs") {
        Json items = Json::array();
        uint64_t id = 1;
        const auto& runs = ForSha(repo.check_runs, sha);
        for (const GitHubCheckRun& run : runs) {
          items.push_back(
              {{"id", id++},
               {"name", run.name},
               {"head_sha", sha},
               {"status", run.status},
               {"conclusion", run.conclusion.empty() ? Json(nullptr) : Json(run.conclusion)}});
        }
        const size_t total = runs.size();
        return Page(items, req, raw_path, [&](Json page) {
          return Json{{"total_count", total}, {"check_runs", std::move(page)}};
        });
      }
    }
    if (rest.size() >= 4 && rest[0] == "git" && rest[1] == "refs" && rest[2] == "heads" &&
        method == "DELETE") {
      std::string branch = rest[3];
      for (size_t i = 4; i < rest.size(); ++i) branch += "/" + rest[i];
      if (Contains(repo.deleted, branch)) return Error(422, "Reference does not exist");
      repo.deleted.push_back(branch);
      return Reply{204, nullptr, {}};
    }
    return Error(404, "Not Found");
  }

  void Serve(const httplib::Request& req, httplib::Response& res) {
    GitHubRequest recorded;
    recorded.method = req.method;
    const std::string target = req.target.empty() ? req.path : req.target;
    const size_t question = target.find('?');
    recorded.path = target.substr(0, question);
    if (question != target.npos) recorded.query = target.substr(question + 1);
    for (const auto& [name, value] : req.params) recorded.params[name] = value;
    for (const auto& [name, value] : req.headers) {
      if (!IsPseudoHeader(name)) recorded.headers[Lower(name)] = value;
    }
    recorded.body = req.body;

    Reply reply;
    std::optional<Failure> failure;
    {
      std::lock_guard lock(mu);
      requests.push_back(recorded);
      reply = Answer(req, recorded, failure);
    }
    res.status = reply.status;
    if (failure) {
      for (const auto& [name, value] : failure->headers) res.set_header(name.c_str(), value);
      res.set_content(failure->body, "application/json; charset=utf-8");
      return;
    }
    for (const auto& [name, value] : reply.headers) res.set_header(name.c_str(), value);
    if (!reply.body.is_null()) {
      res.set_content(reply.body.dump(-1, ' ', false, Json::error_handler_t::replace),
                      "application/json; charset=utf-8");
    }
  }

  // Called with mu held. Sets `failure` when an injected failure answers.
  Reply Answer(const httplib::Request& req, const GitHubRequest& recorded,
               std::optional<Failure>& failure) {
    if (!recorded.path.starts_with(base_path + "/")) return Error(404, "Not Found");
    std::vector<std::string> segments;
    std::string decoded;
    const std::string_view rest = std::string_view(recorded.path).substr(base_path.size() + 1);
    size_t start = 0;
    while (start <= rest.size()) {
      size_t end = rest.find('/', start);
      if (end == rest.npos) end = rest.size();
      segments.push_back(Decode(rest.substr(start, end - start)));
      decoded += "/" + segments.back();
      start = end + 1;
    }

    const auto auth = recorded.headers.find("authorization");
    if (auth == recorded.headers.end() ||
        (auth->second != "Bearer " + token && auth->second != "token " + token)) {
      return Error(401, "Bad credentials");
    }

    for (auto it = failures.begin(); it != failures.end(); ++it) {
      if ((it->method.empty() || it->method == req.method) &&
          decoded.starts_with(it->path_prefix)) {
        failure = *it;
        if (--it->remaining <= 0) failures.erase(it);
        return Reply{failure->status, nullptr, {}};
      }
    }

    Json body = Json::object();
    if (!req.body.empty()) {
      body = Json::parse(req.body, nullptr, /*allow_exceptions=*/false);
      if (body.is_discarded()) return Error(400, "Problems parsing JSON");
    }
    return Route(req, recorded.path, segments, body);
  }
};

GitHubServer::GitHubServer(std::string base_path, std::string token)
    : state_(std::make_unique<State>(std::move(base_path), std::move(token))) {
  State& state = *state_;
  // One request a connection, so that no idle kept-alive connection delays the destructor.
  state.server.set_keep_alive_max_count(1);
  state.server.new_task_queue = [] { return new httplib::ThreadPool(8); };
  auto handler = [&state](const httplib::Request& req, httplib::Response& res) {
    state.Serve(req, res);
  };
  state.server.Get(".*", handler);
  state.server.Post(".*", handler);
  state.server.Patch(".*", handler);
  state.server.Delete(".*", handler);
  state.port = state.server.bind_to_any_port("127.0.0.1");
  if (state.port <= 0) {
    state.port = -1;
    return;
  }
  state.thread = std::thread([&state] {
    state.server.listen_after_bind();
    state.listen_returned = true;
  });
}

GitHubServer::~GitHubServer() {
  State& state = *state_;
  if (!state.thread.joinable()) return;
  // stop() does nothing before the accept loop runs; wait for it so that join() returns.
  while (!state.server.is_running() && !state.listen_returned) std::this_thread::yield();
  state.server.stop();
  state.thread.join();
}

int GitHubServer::port() const { return state_->port; }

std::string GitHubServer::api_url() const { return state_->ApiUrl(); }

void GitHubServer::FailNext(std::string method, std::string path_prefix, int status,
                            std::vector<std::pair<std::string, std::string>> headers,
                            std::string body, int count) {
  std::lock_guard lock(state_->mu);
  state_->failures.push_back(Failure{std::move(method), std::move(path_prefix), status,
                                     std::move(headers), std::move(body), count});
}

void GitHubServer::SetStatuses(const std::string& repo, const std::string& sha,
                               std::vector<GitHubStatus> statuses) {
  std::lock_guard lock(state_->mu);
  state_->repos[repo].statuses[sha] = std::move(statuses);
}

void GitHubServer::SetCheckRuns(const std::string& repo, const std::string& sha,
                                std::vector<GitHubCheckRun> runs) {
  std::lock_guard lock(state_->mu);
  state_->repos[repo].check_runs[sha] = std::move(runs);
}

void GitHubServer::SetPageSize(size_t page_size) {
  std::lock_guard lock(state_->mu);
  state_->page_size = std::max<size_t>(page_size, 1);
}

std::optional<GitHubPull> GitHubServer::Pull(const std::string& repo, uint64_t number) const {
  std::lock_guard lock(state_->mu);
  auto it = state_->repos.find(repo);
  if (it == state_->repos.end() || number == 0 || number > it->second.pulls.size()) {
    return std::nullopt;
  }
  return it->second.pulls[number - 1];
}

std::vector<GitHubPull> GitHubServer::Pulls(const std::string& repo) const {
  std::lock_guard lock(state_->mu);
  auto it = state_->repos.find(repo);
  return it == state_->repos.end() ? std::vector<GitHubPull>() : it->second.pulls;
}

std::vector<std::string> GitHubServer::DeletedBranches(const std::string& repo) const {
  std::lock_guard lock(state_->mu);
  auto it = state_->repos.find(repo);
  return it == state_->repos.end() ? std::vector<std::string>() : it->second.deleted;
}

std::vector<GitHubRequest> GitHubServer::requests() const {
  std::lock_guard lock(state_->mu);
  return state_->requests;
}

size_t GitHubServer::CountRequests(const std::string& method,
                                   const std::string& path_prefix) const {
  std::lock_guard lock(state_->mu);
  const std::string prefix = state_->base_path + path_prefix;
  return static_cast<size_t>(std::count_if(state_->requests.begin(), state_->requests.end(),
                                           [&](const GitHubRequest& request) {
                                             return (method.empty() || request.method == method) &&
                                                    Decode(request.path).starts_with(prefix);
                                           }));
}

}  // namespace slipway::testing
