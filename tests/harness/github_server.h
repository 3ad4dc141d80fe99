// An in-memory GitHub REST API on loopback for tests of the forge client: it serves the
// endpoints libs/forge uses (pulls, labels, requested reviewers, comments, commit statuses and
// check runs, ref deletion) under a configurable base path, keeps their state, checks the
// token, and can be told to fail the next requests of a method and path.
//
// Served under base_path ("/api/v3" as GitHub Enterprise, "" as github.com):
//   GET    /repos/{o}/{r}/pulls?state=&head=o:branch&base=&per_page=&page=
//   POST   /repos/{o}/{r}/pulls                  (422 when an open pull has the same head)
//   GET    /repos/{o}/{r}/pulls/{n}
//   PATCH  /repos/{o}/{r}/pulls/{n}              (state, title, body)
//   POST   /repos/{o}/{r}/pulls/{n}/requested_reviewers
//   POST   /repos/{o}/{r}/issues/{n}/labels
//   POST   /repos/{o}/{r}/issues/{n}/comments
//   GET    /repos/{o}/{r}/commits/{sha}/status   (paginated statuses)
//   GET    /repos/{o}/{r}/commits/{sha}/check-runs
//   DELETE /repos/{o}/{r}/git/refs/heads/{branch} (422 "Reference does not exist" the second time)
// Lists are paginated as GitHub does (per_page, page, Link rel="next"/"last"), with at most
// page_size items a page. A request without "Authorization: Bearer <token>" (or "token
// <token>") gets 401 "Bad credentials".
//
// Threading: every method is thread-safe; requests are served on the server's own threads.
// The destructor stops serving promptly.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace slipway::testing {

struct GitHubRequest {
  std::string method;
  std::string path;   // as sent, percent-encoded, base path included, without query
  std::string query;  // as sent, without '?'
  std::map<std::string, std::string> params;   // decoded query
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
};

struct GitHubPull {
  uint64_t number = 0;
  std::string state;  // "open" or "closed"
  std::string title, body, head, base, head_sha;
  bool draft = false;
  bool merged = false;
  std::vector<std::string> labels;
  std::vector<std::string> reviewers;
  std::vector<std::string> team_reviewers;
  std::vector<std::string> comments;
};

struct GitHubStatus {
  std::string context;
  std::string state;  // "pending", "success", "failure", "error"
  std::string description;
};

struct GitHubCheckRun {
  std::string name;
  std::string status;      // "queued", "in_progress", "completed"
  std::string conclusion;  // when completed: "success", "failure", "cancelled", ...
};

class GitHubServer {
 public:
  // Binds 127.0.0.1 on a free port; port() is -1 if binding failed.
  explicit GitHubServer(std::string base_path = "/api/v3", std::string token = "ghs_test_token");
  GitHubServer(const GitHubServer&) = delete;
  GitHubServer& operator=(const GitHubServer&) = delete;
  ~GitHubServer();

  int port() const;
  std::string api_url() const;  // "http://127.0.0.1:<port><base_path>"

  // The next `count` requests whose method is `method` ("" for any) and whose decoded path
  // under the base path starts with `path_prefix` get this answer instead (after the token
  // check), and change nothing.
  void FailNext(std::string method, std::string path_prefix, int status,
                std::vector<std::pair<std::string, std::string>> headers = {},
                std::string body = "", int count = 1);

  // `sha` "*" sets the answer for every commit that has none of its own.
  void SetStatuses(const std::string& repo, const std::string& sha,
                   std::vector<GitHubStatus> statuses);  // repo is "owner/name"
  void SetCheckRuns(const std::string& repo, const std::string& sha,
                    std::vector<GitHubCheckRun> runs);
  void SetPageSize(size_t page_size);  // the most items a page holds (default 100)

  std::optional<GitHubPull> Pull(const std::string& repo, uint64_t number) const;
  std::vector<GitHubPull> Pulls(const std::string& repo) const;
  std::vector<std::string> DeletedBranches(const std::string& repo) const;
  std::vector<GitHubRequest> requests() const;  // every request, in arrival order
  // Requests whose method matches and whose decoded path under the base path starts with
  // `path_prefix`.
  size_t CountRequests(const std::string& method, const std::string& path_prefix) const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace slipway::testing
