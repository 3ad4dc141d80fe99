// The GitHub forge client against a real HTTP server on loopback that keeps GitHub's state
// (tests/harness/github_server.h).
#include "libs/forge/forge.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <ctime>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/core/status.h"
#include "libs/forge/github_forge.h"
#include "tests/harness/github_server.h"

namespace slipway::forge {
namespace {

using std::chrono::milliseconds;
using ::testing::ElementsAre;
using testing::GitHubCheckRun;
using testing::GitHubServer;
using testing::GitHubStatus;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kToken[] = "ghp_slipwayTestToken0123456789abcdefXYZ";
const RepoRef kRepo{"octo", "widgets"};
constexpr char kRepoName[] = "octo/widgets";

GitHubConfig ConfigFor(const std::string& api_url, const std::string& token = kToken) {
  GitHubConfig config;
  config.api_url = api_url;
  config.token = token;
  config.timeout = milliseconds(5'000);
  config.connect_timeout = milliseconds(2'000);
  config.max_retries = 3;
  config.initial_backoff = milliseconds(1);
  config.max_backoff = milliseconds(10);
  config.max_rate_limit_wait = milliseconds(5'000);
  return config;
}

std::unique_ptr<Forge> MakeForge(const GitHubConfig& config) {
  absl::StatusOr<std::unique_ptr<Forge>> forge = MakeGitHubForge(config);
  EXPECT_TRUE(forge.ok()) << forge.status();
  return forge.ok() ? std::move(*forge) : nullptr;
}

PullRequestSpec Spec(std::string head) {
  PullRequestSpec spec;
  spec.title = "Bump lodash to 4.17.21";
  spec.body = "Proposed by Slipway.";
  spec.head = std::move(head);
  spec.base = "main";
  return spec;
}

void ExpectNoToken(const absl::Status& status) {
  EXPECT_FALSE(status.ok());
  EXPECT_THAT(std::string(status.message()), Not(HasSubstr(kToken))) << status;
}

// A loopback port nobody listens on: bound, read back, then released.
int UnusedPort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  int port = -1;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  ::close(fd);
  return port;
}

class ForgeTest : public ::testing::Test {
 protected:
  ForgeTest() : server_("/api/v3", kToken), forge_(MakeForge(ConfigFor(server_.api_url()))) {}

  GitHubServer server_;
  std::unique_ptr<Forge> forge_;
};

TEST_F(ForgeTest, OpensPullRequestWithLabelsReviewersAndDraft) {
  ASSERT_GT(server_.port(), 0);
  PullRequestSpec spec = Spec("slipway/bump-lodash");
  spec.draft = true;
  spec.labels = {"dependencies", "slipway"};
  spec.reviewers = {"alice", "bob"};
  spec.team_reviewers = {"platform"};
  absl::StatusOr<std::pair<PullRequest, bool>> opened = forge_->OpenPullRequest(kRepo, spec);
  ASSERT_TRUE(opened.ok()) << opened.status();
  const auto& [pull, created] = *opened;
  EXPECT_TRUE(created);
  EXPECT_EQ(pull.number, 1u);
  EXPECT_EQ(pull.state, "open");
  EXPECT_EQ(pull.head, "slipway/bump-lodash");
  EXPECT_EQ(pull.base, "main");
  EXPECT_TRUE(pull.draft);
  EXPECT_FALSE(pull.merged);
  EXPECT_EQ(pull.head_sha.size(), 40u);
  EXPECT_THAT(pull.html_url, HasSubstr("/octo/widgets/pull/1"));

  std::optional<testing::GitHubPull> stored = server_.Pull(kRepoName, 1);
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ(stored->title, spec.title);
  EXPECT_EQ(stored->body, spec.body);
  EXPECT_TRUE(stored->draft);
  EXPECT_THAT(stored->labels, ElementsAre("dependencies", "slipway"));
  EXPECT_THAT(stored->reviewers, ElementsAre("alice", "bob"));
  EXPECT_THAT(stored->team_reviewers, ElementsAre("platform"));

  const std::vector<testing::GitHubRequest> requests = server_.requests();
  ASSERT_FALSE(requests.empty());
  const testing::GitHubRequest& create = requests.front();
  EXPECT_EQ(create.method, "POST");
  EXPECT_EQ(create.path, "/api/v3/repos/octo/widgets/pulls");
  EXPECT_EQ(create.headers.at("accept"), "application/vnd.github+json");
  EXPECT_EQ(create.headers.at("x-github-api-version"), "2022-11-28");
  EXPECT_EQ(create.headers.at("authorization"), std::string("Bearer ") + kToken);
  EXPECT_EQ(create.headers.at("user-agent"), "slipway");
  EXPECT_EQ(create.headers.at("content-type"), "application/json");
  const nlohmann::json body = nlohmann::json::parse(create.body);
  EXPECT_EQ(body["draft"], true);
  EXPECT_EQ(body["head"], "slipway/bump-lodash");
}

TEST_F(ForgeTest, ReplayFindsTheExistingPullRequest) {
  PullRequestSpec spec = Spec("slipway/replay");
  spec.labels = {"slipway"};
  spec.reviewers = {"alice"};
  absl::StatusOr<std::pair<PullRequest, bool>> first = forge_->OpenPullRequest(kRepo, spec);
  ASSERT_TRUE(first.ok()) << first.status();
  spec.labels.push_back("dependencies");
  absl::StatusOr<std::pair<PullRequest, bool>> second = forge_->OpenPullRequest(kRepo, spec);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_FALSE(second->second);
  EXPECT_EQ(second->first.number, first->first.number);
  EXPECT_EQ(second->first.head_sha, first->first.head_sha);

  EXPECT_EQ(server_.Pulls(kRepoName).size(), 1u);
  std::optional<testing::GitHubPull> stored = server_.Pull(kRepoName, 1);
  ASSERT_TRUE(stored.has_value());
  EXPECT_THAT(stored->labels, ElementsAre("slipway", "dependencies"));
  EXPECT_THAT(stored->reviewers, ElementsAre("alice"));
  // Only the missing label was sent; the reviewer already requested was not asked again.
  EXPECT_EQ(server_.CountRequests("POST", "/repos/octo/widgets/issues/1/labels"), 2u);
  EXPECT_EQ(server_.CountRequests("POST", "/repos/octo/widgets/pulls/1/requested_reviewers"), 1u);
  EXPECT_EQ(nlohmann::json::parse(server_.requests().back().body)["labels"],
            nlohmann::json::array({"dependencies"}));
}

TEST_F(ForgeTest, FindsPullRequestByHeadWithSlashAndUnicode) {
  const std::string branch = "slipway/fix-\xC3\xBCml\xC3\xA4ut & co/1";
  absl::StatusOr<std::pair<PullRequest, bool>> opened =
      forge_->OpenPullRequest(kRepo, Spec(branch));
  ASSERT_TRUE(opened.ok()) << opened.status();
  ASSERT_TRUE(forge_->OpenPullRequest(kRepo, Spec("slipway/other")).ok());

  absl::StatusOr<PullRequest> found = forge_->FindPullRequest(kRepo, branch, "main");
  ASSERT_TRUE(found.ok()) << found.status();
  EXPECT_EQ(found->number, opened->first.number);
  EXPECT_EQ(found->head, branch);

  const testing::GitHubRequest get = server_.requests().back();
  EXPECT_EQ(get.method, "GET");
  EXPECT_EQ(get.params.at("head"), "octo:" + branch);
  EXPECT_EQ(get.params.at("per_page"), "100");
  EXPECT_THAT(get.query, HasSubstr("head=octo%3Aslipway%2Ffix-%C3%BCml%C3%A4ut%20%26%20co%2F1"));

  EXPECT_TRUE(absl::IsNotFound(forge_->FindPullRequest(kRepo, branch, "release").status()));
  const absl::Status missing = forge_->FindPullRequest(kRepo, "slipway/none", "").status();
  EXPECT_TRUE(absl::IsNotFound(missing)) << missing;
  EXPECT_THAT(std::string(missing.message()), HasSubstr("slipway/none"));
}

TEST_F(ForgeTest, FollowsPagination) {
  server_.SetPageSize(2);
  server_.SetStatuses(kRepoName, "abc123",
                      {{"a", "success", ""}, {"b", "success", ""}, {"c", "failure", ""}});
  std::vector<GitHubCheckRun> runs;
  for (int i = 0; i < 5; ++i) runs.push_back({"job-" + std::to_string(i), "completed", "success"});
  runs.push_back({"slow", "in_progress", ""});
  server_.SetCheckRuns(kRepoName, "abc123", runs);
  absl::StatusOr<CheckSummary> checks = forge_->Checks(kRepo, "abc123");
  ASSERT_TRUE(checks.ok()) << checks.status();
  EXPECT_EQ(checks->total, 9u);
  EXPECT_EQ(checks->state, ChecksState::kFailure);
  EXPECT_THAT(checks->failed, ElementsAre("c"));
  EXPECT_THAT(checks->pending, ElementsAre("slow"));
  EXPECT_EQ(server_.CountRequests("GET", "/repos/octo/widgets/commits/abc123/status"), 2u);
  EXPECT_EQ(server_.CountRequests("GET", "/repos/octo/widgets/commits/abc123/check-runs"), 3u);
}

TEST_F(ForgeTest, WrongTokenIsUnauthenticated) {
  std::unique_ptr<Forge> forge = MakeForge(ConfigFor(server_.api_url(), "ghp_wrong_token"));
  const absl::Status status = forge->FindPullRequest(kRepo, "x", "").status();
  EXPECT_EQ(status.code(), absl::StatusCode::kUnauthenticated) << status;
  EXPECT_THAT(std::string(status.message()), HasSubstr("Bad credentials"));
  EXPECT_THAT(std::string(status.message()), HasSubstr("GET"));
  EXPECT_THAT(std::string(status.message()), HasSubstr("/repos/octo/widgets/pulls"));
  EXPECT_THAT(std::string(status.message()), Not(HasSubstr("ghp_wrong_token")));
  EXPECT_FALSE(IsRetryable(status));
  EXPECT_EQ(server_.requests().size(), 1u);
}

TEST_F(ForgeTest, RateLimitWaitsForTheResetThenSucceeds) {
  const int64_t reset = static_cast<int64_t>(std::time(nullptr)) + 1;
  server_.FailNext("POST", "/repos/octo/widgets/pulls", 403,
                   {{"x-ratelimit-limit", "5000"},
                    {"x-ratelimit-remaining", "0"},
                    {"x-ratelimit-reset", std::to_string(reset)}},
                   R"({"message":"API rate limit exceeded for user ID 1."})");
  absl::StatusOr<std::pair<PullRequest, bool>> opened =
      forge_->OpenPullRequest(kRepo, Spec("slipway/rate"));
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_TRUE(opened->second);
  EXPECT_EQ(server_.CountRequests("POST", "/repos/octo/widgets/pulls"), 2u);
  // The retry came no earlier than the reset second.
  EXPECT_GE(static_cast<int64_t>(std::time(nullptr)), reset);
}

TEST_F(ForgeTest, RateLimitBeyondTheWaitCapIsResourceExhausted) {
  const int64_t reset = static_cast<int64_t>(std::time(nullptr)) + 3600;
  server_.FailNext("GET", "/repos/octo/widgets/pulls", 403,
                   {{"x-ratelimit-remaining", "0"}, {"x-ratelimit-reset", std::to_string(reset)}},
                   R"({"message":"API rate limit exceeded"})");
  const absl::Status status = forge_->FindPullRequest(kRepo, "x", "").status();
  EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted) << status;
  EXPECT_TRUE(IsRetryable(status));
  EXPECT_THAT(std::string(status.message()), HasSubstr("resets at"));
  EXPECT_THAT(std::string(status.message()), HasSubstr("API rate limit exceeded"));
  EXPECT_EQ(server_.requests().size(), 1u);
}

TEST_F(ForgeTest, SecondaryRateLimitWithRetryAfterIsRetried) {
  server_.FailNext("POST", "/repos/octo/widgets/issues/", 403, {{"Retry-After", "0"}},
                   R"({"message":"You have exceeded a secondary rate limit."})");
  ASSERT_TRUE(forge_->OpenPullRequest(kRepo, Spec("slipway/secondary")).ok());
  EXPECT_TRUE(forge_->Comment(kRepo, 1, "hello").ok());
  EXPECT_THAT(server_.Pull(kRepoName, 1)->comments, ElementsAre("hello"));
  EXPECT_EQ(server_.CountRequests("POST", "/repos/octo/widgets/issues/1/comments"), 2u);
}

TEST_F(ForgeTest, ForbiddenWithoutRateLimitIsPermissionDeniedAndNotRetried) {
  server_.FailNext("POST", "/repos/octo/widgets/pulls", 403, {},
                   R"({"message":"Resource not accessible by integration"})");
  const absl::Status status = forge_->OpenPullRequest(kRepo, Spec("slipway/denied")).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kPermissionDenied) << status;
  EXPECT_THAT(std::string(status.message()), HasSubstr("Resource not accessible by integration"));
  EXPECT_FALSE(IsRetryable(status));
  EXPECT_EQ(server_.requests().size(), 1u);
}

TEST_F(ForgeTest, ValidationFailureIsInvalidArgumentWithTheForgesReasons) {
  server_.FailNext("POST", "/repos/octo/widgets/pulls", 422, {},
                   R"({"message":"Validation Failed","errors":[{"resource":"PullRequest",)"
                   R"("code":"custom","message":"No commits between main and slipway/empty"}]})");
  const absl::Status status = forge_->OpenPullRequest(kRepo, Spec("slipway/empty")).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  EXPECT_THAT(std::string(status.message()), HasSubstr("Validation Failed"));
  EXPECT_THAT(std::string(status.message()), HasSubstr("No commits between main and"));
  EXPECT_THAT(std::string(status.message()), HasSubstr("HTTP 422"));

  const absl::Status no_title = forge_->OpenPullRequest(kRepo, Spec("")).status();
  EXPECT_EQ(no_title.code(), absl::StatusCode::kInvalidArgument) << no_title;
  EXPECT_EQ(server_.requests().size(), 1u);  // nothing sent for an incomplete spec
}

TEST_F(ForgeTest, AlreadyExistsAfterALostAnswerIsTheExistingPullRequest) {
  ASSERT_TRUE(forge_->OpenPullRequest(kRepo, Spec("slipway/lost")).ok());
  // The server's own 422 for a second pull with the same head, straight from POST.
  absl::StatusOr<std::pair<PullRequest, bool>> again =
      forge_->OpenPullRequest(kRepo, Spec("slipway/lost"));
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_FALSE(again->second);
  EXPECT_EQ(again->first.number, 1u);
  EXPECT_EQ(server_.Pulls(kRepoName).size(), 1u);
}

TEST_F(ForgeTest, ServerErrorTwiceThenSuccess) {
  server_.FailNext("POST", "/repos/octo/widgets/pulls", 500, {}, R"({"message":"boom"})", 2);
  absl::StatusOr<std::pair<PullRequest, bool>> opened =
      forge_->OpenPullRequest(kRepo, Spec("slipway/flaky"));
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_TRUE(opened->second);
  EXPECT_EQ(server_.CountRequests("POST", "/repos/octo/widgets/pulls"), 3u);
}

TEST_F(ForgeTest, ServerErrorsBeyondRetriesAreUnavailableAndRetryable) {
  server_.FailNext("GET", "/repos/octo/widgets/pulls", 502, {}, "<html>Bad Gateway</html>", 100);
  const absl::Status status = forge_->FindPullRequest(kRepo, "x", "").status();
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
  EXPECT_TRUE(IsRetryable(status));
  EXPECT_THAT(std::string(status.message()), HasSubstr("HTTP 502"));
  EXPECT_THAT(std::string(status.message()), HasSubstr("after 4 attempts"));
  EXPECT_EQ(server_.requests().size(), 4u);
}

TEST(GitHubForgeTransportTest, RefusedConnectionIsUnavailableAndRetryable) {
  const int port = UnusedPort();
  ASSERT_GT(port, 0);
  std::unique_ptr<Forge> forge =
      MakeForge(ConfigFor("http://127.0.0.1:" + std::to_string(port) + "/api/v3"));
  const absl::Status status = forge->DeleteBranch(kRepo, "slipway/x");
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
  EXPECT_TRUE(IsRetryable(status));
  ExpectNoToken(status);
}

TEST_F(ForgeTest, ChecksPendingSuccessFailureAndNone) {
  absl::StatusOr<CheckSummary> none = forge_->Checks(kRepo, "0000000000000000");
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_EQ(none->state, ChecksState::kSuccess);
  EXPECT_EQ(none->total, 0u);
  EXPECT_THAT(none->detail, HasSubstr("no statuses or check runs"));

  server_.SetStatuses(kRepoName, "aaa", {{"ci/build", "success", ""}, {"ci/lint", "pending", ""}});
  server_.SetCheckRuns(kRepoName, "aaa", {{"test", "completed", "success"}});
  absl::StatusOr<CheckSummary> pending = forge_->Checks(kRepo, "aaa");
  ASSERT_TRUE(pending.ok()) << pending.status();
  EXPECT_EQ(pending->state, ChecksState::kPending);
  EXPECT_EQ(pending->total, 3u);
  EXPECT_THAT(pending->pending, ElementsAre("ci/lint"));
  EXPECT_TRUE(pending->failed.empty());

  server_.SetStatuses(kRepoName, "bbb", {{"ci/build", "success", ""}});
  server_.SetCheckRuns(kRepoName, "bbb",
                       {{"test", "completed", "success"}, {"docs", "completed", "skipped"}});
  absl::StatusOr<CheckSummary> success = forge_->Checks(kRepo, "bbb");
  ASSERT_TRUE(success.ok()) << success.status();
  EXPECT_EQ(success->state, ChecksState::kSuccess);
  EXPECT_EQ(success->total, 3u);
  EXPECT_EQ(success->detail, "3 checks: 3 passed");

  server_.SetStatuses(kRepoName, "ccc", {{"ci/build", "error", ""}});
  server_.SetCheckRuns(kRepoName, "ccc",
                       {{"test", "completed", "timed_out"},
                        {"e2e", "queued", ""},
                        {"lint", "completed", "success"}});
  absl::StatusOr<CheckSummary> failure = forge_->Checks(kRepo, "ccc");
  ASSERT_TRUE(failure.ok()) << failure.status();
  EXPECT_EQ(failure->state, ChecksState::kFailure);
  EXPECT_EQ(failure->total, 4u);
  EXPECT_THAT(failure->failed, ElementsAre("ci/build", "test"));
  EXPECT_THAT(failure->pending, ElementsAre("e2e"));
  EXPECT_EQ(failure->detail, "4 checks: 2 failed (ci/build, test), 1 pending (e2e), 1 passed");
  EXPECT_EQ(ChecksStateName(failure->state), "failure");
}

TEST_F(ForgeTest, CloseCommentAndDeleteBranchAreIdempotent) {
  const std::string branch = "slipway/done-\xE2\x9C\x93";
  absl::StatusOr<std::pair<PullRequest, bool>> opened =
      forge_->OpenPullRequest(kRepo, Spec(branch));
  ASSERT_TRUE(opened.ok()) << opened.status();
  const uint64_t number = opened->first.number;

  EXPECT_TRUE(forge_->Comment(kRepo, number, "Superseded by a newer change.").ok());
  EXPECT_TRUE(forge_->ClosePullRequest(kRepo, number).ok());
  EXPECT_TRUE(forge_->ClosePullRequest(kRepo, number).ok());
  EXPECT_TRUE(forge_->DeleteBranch(kRepo, branch).ok());
  EXPECT_TRUE(forge_->DeleteBranch(kRepo, branch).ok());

  std::optional<testing::GitHubPull> stored = server_.Pull(kRepoName, number);
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ(stored->state, "closed");
  EXPECT_THAT(stored->comments, ElementsAre("Superseded by a newer change."));
  EXPECT_THAT(server_.DeletedBranches(kRepoName), ElementsAre(branch));
  EXPECT_EQ(server_.requests().back().path,
            "/api/v3/repos/octo/widgets/git/refs/heads/slipway/done-%E2%9C%93");

  // Closed, it is no longer found; a new pull for the same head may be opened.
  EXPECT_TRUE(absl::IsNotFound(forge_->FindPullRequest(kRepo, branch, "main").status()));
  const absl::Status missing = forge_->Comment(kRepo, 99, "nobody home");
  EXPECT_EQ(missing.code(), absl::StatusCode::kNotFound) << missing;
}

TEST_F(ForgeTest, TokenEchoedByTheForgeIsRedacted) {
  const std::string echo = std::string(R"({"message":"token )") + kToken + R"( is not allowed"})";
  server_.FailNext("POST", "/repos/octo/widgets/pulls", 422, {}, echo);
  server_.FailNext("GET", "/repos/octo/widgets/pulls", 503, {}, echo, 100);
  server_.FailNext("PATCH", "/repos/octo/widgets/pulls/", 403, {}, echo);

  const absl::Status rejected = forge_->OpenPullRequest(kRepo, Spec("slipway/echo")).status();
  ExpectNoToken(rejected);
  EXPECT_THAT(std::string(rejected.message()), HasSubstr("[redacted]"));
  const absl::Status unavailable = forge_->FindPullRequest(kRepo, "slipway/echo", "").status();
  ExpectNoToken(unavailable);
  EXPECT_EQ(unavailable.code(), absl::StatusCode::kUnavailable);
  const absl::Status denied = forge_->ClosePullRequest(kRepo, 1);
  ExpectNoToken(denied);
  EXPECT_EQ(denied.code(), absl::StatusCode::kPermissionDenied);
}

TEST(GitHubForgeBasePathTest, ServesUnderAnyBasePath) {
  for (const char* base : {"", "/api/v1"}) {
    GitHubServer server(base, kToken);
    std::unique_ptr<Forge> forge = MakeForge(ConfigFor(server.api_url() + "/"));
    ASSERT_NE(forge, nullptr);
    absl::StatusOr<std::pair<PullRequest, bool>> opened =
        forge->OpenPullRequest(kRepo, Spec("slipway/base"));
    ASSERT_TRUE(opened.ok()) << base << ": " << opened.status();
    EXPECT_EQ(server.requests().front().path, std::string(base) + "/repos/octo/widgets/pulls");
  }
}

TEST(GitHubForgeConfigTest, RejectsBadConfiguration) {
  EXPECT_EQ(MakeGitHubForge(ConfigFor("ftp://example.com")).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(MakeGitHubForge(ConfigFor("https://api.github.com", "")).status().code(),
            absl::StatusCode::kInvalidArgument);
  const absl::Status line_break =
      MakeGitHubForge(ConfigFor("https://api.github.com", "abc\r\nX-Evil: 1")).status();
  EXPECT_EQ(line_break.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(line_break.message()), Not(HasSubstr("abc")));
  EXPECT_TRUE(MakeGitHubForge(ConfigFor("https://ghe.example.com/api/v3/")).ok());
}

TEST(ParseRepoUrlTest, AcceptsForgeUrls) {
  struct Case {
    const char* url;
    const char* owner;
    const char* name;
  };
  for (const Case& c : std::vector<Case>{
           {"https://github.com/octo/widgets", "octo", "widgets"},
           {"https://github.com/octo/widgets.git", "octo", "widgets"},
           {"https://github.com/octo/widgets/", "octo", "widgets"},
           {"http://127.0.0.1:8080/octo/widgets.git", "octo", "widgets"},
           {"https://git.example.com/gitea/octo/widgets.git", "octo", "widgets"},
           {"git@github.com:octo/widgets.git", "octo", "widgets"},
           {"git@github.com:octo/widgets", "octo", "widgets"},
           {"ssh://git@github.com/octo/widgets.git", "octo", "widgets"},
           {"ssh://git@ghe.example.com:2222/octo/my.repo.git", "octo", "my.repo"},
       }) {
    absl::StatusOr<RepoRef> repo = ParseRepoUrl(c.url);
    ASSERT_TRUE(repo.ok()) << c.url << ": " << repo.status();
    EXPECT_EQ(repo->owner, c.owner) << c.url;
    EXPECT_EQ(repo->name, c.name) << c.url;
  }
}

TEST(ParseRepoUrlTest, RejectsOtherText) {
  for (const char* url : {"", "widgets", "https://github.com/", "https://github.com/octo",
                          "https://github.com/octo/widgets?tab=readme", "ftp://h/octo/widgets",
                          "git@github.com:widgets.git", "git@github.com:a/b/c.git",
                          "https://github.com/octo/.git", "/srv/git/octo/widgets"}) {
    const absl::StatusOr<RepoRef> repo = ParseRepoUrl(url);
    EXPECT_EQ(repo.status().code(), absl::StatusCode::kInvalidArgument) << "'" << url << "'";
  }
}

}  // namespace
}  // namespace slipway::forge
