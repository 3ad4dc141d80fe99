// HttpChatClient against a real chat-completions server on loopback (tests/harness).
#include "libs/llm/chat_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <future>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/core/status.h"
#include "tests/harness/chat_server.h"
#include "tests/harness/harness.h"

namespace slipway::llm {
namespace {

using std::chrono::milliseconds;
using testing::ApiError;
using testing::ChatReply;
using testing::ChatServer;
using testing::Completion;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kKey[] = "sk-slipway-test-5ecret-0123456789abcdef";

ChatConfig ConfigFor(const ChatServer& server) {
  ChatConfig config;
  config.base_url = server.base_url();
  config.model = "test-model";
  config.api_key = kKey;
  config.timeout = milliseconds(5'000);
  config.connect_timeout = milliseconds(2'000);
  config.max_retries = 3;
  config.initial_backoff = milliseconds(1);
  config.max_backoff = milliseconds(10);
  return config;
}

std::unique_ptr<ChatClient> MakeClient(const ChatConfig& config) {
  absl::StatusOr<std::unique_ptr<ChatClient>> client = MakeHttpChatClient(config);
  EXPECT_TRUE(client.ok()) << client.status();
  return client.ok() ? std::move(*client) : nullptr;
}

ChatRequest Hello() {
  ChatRequest request;
  request.messages = {{"system", "You write code."}, {"user", "Say hello."}};
  request.temperature = 0.25;
  return request;
}

// A loopback port nobody listens on: bound, read back, then released.
int UnusedPort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  int port = -1;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  ::close(fd);
  return port;
}

void ExpectNoKey(const absl::Status& status) {
  EXPECT_FALSE(status.ok());
  EXPECT_THAT(std::string(status.message()), Not(HasSubstr(kKey))) << status;
  EXPECT_THAT(std::string(status.message()), Not(HasSubstr("5ecret"))) << status;
}

// libcurl honours the proxy variables; a proxy set up for the machine must not intercept
// loopback traffic.
class LoopbackWithoutProxy : public ::testing::Environment {
 public:
  void SetUp() override {
    ::setenv("no_proxy", "127.0.0.1,localhost", 1);
    ::setenv("NO_PROXY", "127.0.0.1,localhost", 1);
  }
};
[[maybe_unused]] ::testing::Environment* const kLoopbackWithoutProxy =
    ::testing::AddGlobalTestEnvironment(new LoopbackWithoutProxy);

class ChatClientTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_GT(server_.port(), 0) << "chat server could not bind"; }
  ChatServer server_;
};

TEST_F(ChatClientTest, ReturnsContentUsageModelAndFinishReason) {
  server_.Push(Completion("hello, world", 12, 34, "served-model-v2"));
  auto client = MakeClient(ConfigFor(server_));
  ASSERT_NE(client, nullptr);
  EXPECT_EQ(client->model(), "test-model");

  absl::StatusOr<ChatResponse> response = client->Complete(Hello());
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->content, "hello, world");
  EXPECT_EQ(response->finish_reason, "stop");
  EXPECT_EQ(response->model, "served-model-v2");
  EXPECT_EQ(response->usage.prompt_tokens, 12u);
  EXPECT_EQ(response->usage.completion_tokens, 34u);
  EXPECT_EQ(response->attempts, 1u);
  EXPECT_GT(response->seconds, 0);
}

TEST_F(ChatClientTest, FallsBackToRequestedModelAndZeroUsage) {
  ChatReply reply;
  reply.body = R"({"choices":[{"message":{"role":"assistant","content":"ok"},
                  "finish_reason":"length"}]})";
  server_.Push(reply);
  auto client = MakeClient(ConfigFor(server_));
  absl::StatusOr<ChatResponse> response = client->Complete(Hello());
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->content, "ok");
  EXPECT_EQ(response->finish_reason, "length");
  EXPECT_EQ(response->model, "test-model");
  EXPECT_EQ(response->usage.prompt_tokens, 0u);
  EXPECT_EQ(response->usage.completion_tokens, 0u);
}

TEST_F(ChatClientTest, SendsKeyModelMessagesAndResponseFormat) {
  server_.Push(Completion("{}"));
  server_.Push(Completion("plain"));
  ChatConfig config = ConfigFor(server_);
  config.extra_headers["anthropic-version"] = "2023-06-01";
  auto client = MakeClient(config);

  ChatRequest request = Hello();
  request.max_tokens = 256;
  request.json_object = true;
  ASSERT_TRUE(client->Complete(request).ok());
  ASSERT_TRUE(client->Complete(Hello()).ok());

  const std::vector<testing::RecordedRequest> seen = server_.requests();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].method, "POST");
  EXPECT_EQ(seen[0].path, "/v1/chat/completions");
  EXPECT_EQ(seen[0].headers.at("authorization"), std::string("Bearer ") + kKey);
  EXPECT_EQ(seen[0].headers.at("anthropic-version"), "2023-06-01");
  EXPECT_THAT(seen[0].headers.at("content-type"), HasSubstr("application/json"));

  const auto body = nlohmann::json::parse(seen[0].body);
  EXPECT_EQ(body.at("model"), "test-model");
  ASSERT_EQ(body.at("messages").size(), 2u);
  EXPECT_EQ(body.at("messages")[0].at("role"), "system");
  EXPECT_EQ(body.at("messages")[0].at("content"), "You write code.");
  EXPECT_EQ(body.at("messages")[1].at("role"), "user");
  EXPECT_EQ(body.at("messages")[1].at("content"), "Say hello.");
  EXPECT_DOUBLE_EQ(body.at("temperature").get<double>(), 0.25);
  EXPECT_EQ(body.at("max_tokens"), 256);
  EXPECT_EQ(body.at("response_format").at("type"), "json_object");

  const auto plain = nlohmann::json::parse(seen[1].body);
  EXPECT_FALSE(plain.contains("max_tokens"));
  EXPECT_FALSE(plain.contains("response_format"));
}

TEST_F(ChatClientTest, SendsNoAuthorizationWithoutKey) {
  server_.Push(Completion("ok"));
  ChatConfig config = ConfigFor(server_);
  config.api_key.clear();
  ASSERT_TRUE(MakeClient(config)->Complete(Hello()).ok());
  ASSERT_EQ(server_.requests().size(), 1u);
  EXPECT_FALSE(server_.requests()[0].headers.contains("authorization"));
}

TEST_F(ChatClientTest, KeyNeverAppearsInErrors) {
  ChatConfig config = ConfigFor(server_);
  config.max_retries = 0;
  config.timeout = milliseconds(200);
  auto client = MakeClient(config);
  const std::string echoed = std::string("Incorrect API key provided: ") + kKey;

  server_.Push(ApiError(401, echoed));
  ExpectNoKey(client->Complete(Hello()).status());
  server_.Push(ApiError(500, echoed));
  ExpectNoKey(client->Complete(Hello()).status());
  server_.Push(ApiError(400, echoed));
  ExpectNoKey(client->Complete(Hello()).status());
  ChatReply garbled;
  garbled.body = echoed;  // a 200 that is not JSON
  server_.Push(garbled);
  ExpectNoKey(client->Complete(Hello()).status());
  ChatReply slow = Completion("late");
  slow.delay = milliseconds(10'000);
  server_.Push(slow);
  ExpectNoKey(client->Complete(Hello()).status());

  ChatConfig refused = config;
  refused.base_url = "http://user:" + std::string(kKey) +
                     "@127.0.0.1:" + std::to_string(UnusedPort()) + "/v1?key=" + kKey;
  auto refused_client = MakeClient(refused);
  absl::Status status = refused_client->Complete(Hello()).status();
  ExpectNoKey(status);
  EXPECT_THAT(std::string(status.message()), HasSubstr("127.0.0.1")) << status;

  ChatConfig bad = config;
  bad.base_url = std::string("ftp://") + kKey + "@example.com/v1";
  ExpectNoKey(MakeHttpChatClient(bad).status());
  bad = config;
  bad.api_key = std::string(kKey) + "\n";
  ExpectNoKey(MakeHttpChatClient(bad).status());
}

TEST_F(ChatClientTest, ErrorsNameUrlModelStatusAndExcerpt) {
  server_.Push(ApiError(400, "messages[1].content must be a string"));
  auto client = MakeClient(ConfigFor(server_));
  const absl::Status status = client->Complete(Hello()).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  const std::string message(status.message());
  EXPECT_THAT(message, HasSubstr(server_.base_url() + "/chat/completions"));
  EXPECT_THAT(message, HasSubstr("test-model"));
  EXPECT_THAT(message, HasSubstr("400"));
  EXPECT_THAT(message, HasSubstr("messages[1].content must be a string"));
  EXPECT_THAT(message, Not(HasSubstr("invalid_request_error")));  // the message, not the JSON
}

TEST_F(ChatClientTest, ErrorExcerptIsShort) {
  server_.Push(ApiError(400, std::string(10'000, 'x')));
  ChatReply raw;
  raw.status = 502;
  raw.body = "<html>" + std::string(10'000, 'y') + "</html>";
  server_.Push(raw);
  ChatConfig config = ConfigFor(server_);
  config.max_retries = 0;
  auto client = MakeClient(config);

  const absl::Status json_error = client->Complete(Hello()).status();
  EXPECT_EQ(json_error.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_LT(json_error.message().size(), 600u) << json_error;
  EXPECT_THAT(std::string(json_error.message()), HasSubstr(std::string(200, 'x')));
  EXPECT_THAT(std::string(json_error.message()), Not(HasSubstr(std::string(301, 'x'))));

  const absl::Status raw_error = client->Complete(Hello()).status();
  EXPECT_EQ(raw_error.code(), absl::StatusCode::kUnavailable);
  EXPECT_LT(raw_error.message().size(), 600u) << raw_error;
  EXPECT_THAT(std::string(raw_error.message()), HasSubstr("<html>yyy"));
}

TEST_F(ChatClientTest, RetriesRateLimitHonouringRetryAfter) {
  server_.Push(ApiError(429, "slow down", {{"Retry-After", "0"}}));
  server_.Push(Completion("after the limit"));
  auto client = MakeClient(ConfigFor(server_));
  absl::StatusOr<ChatResponse> response = client->Complete(Hello());
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->content, "after the limit");
  EXPECT_EQ(response->attempts, 2u);
  EXPECT_EQ(server_.requests().size(), 2u);
}

TEST_F(ChatClientTest, RetryAfterIsCappedByMaxBackoff) {
  // An hour in seconds and as an HTTP date: both capped by max_backoff (10 ms here).
  server_.Push(ApiError(429, "slow down", {{"Retry-After", "3600"}}));
  server_.Push(ApiError(503, "busy", {{"Retry-After", "Wed, 21 Oct 2099 07:28:00 GMT"}}));
  server_.Push(Completion("done"));
  auto client = MakeClient(ConfigFor(server_));
  const auto start = std::chrono::steady_clock::now();
  absl::StatusOr<ChatResponse> response = client->Complete(Hello());
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->attempts, 3u);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
}

TEST_F(ChatClientTest, RetriesServiceUnavailableThenSucceeds) {
  for (int i = 0; i < 3; ++i) server_.Push(ApiError(503, "overloaded"));
  server_.Push(Completion("fourth time lucky"));
  auto client = MakeClient(ConfigFor(server_));
  absl::StatusOr<ChatResponse> response = client->Complete(Hello());
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->content, "fourth time lucky");
  EXPECT_EQ(response->attempts, 4u);
  EXPECT_EQ(server_.requests().size(), 4u);
}

TEST_F(ChatClientTest, ServerErrorsBeyondMaxRetriesAreUnavailable) {
  server_.SetResponder(
      [](const testing::RecordedRequest&) { return ApiError(500, "internal trouble"); });
  ChatConfig config = ConfigFor(server_);
  config.max_retries = 2;
  auto client = MakeClient(config);
  const absl::Status status = client->Complete(Hello()).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
  EXPECT_TRUE(IsRetryable(status));
  EXPECT_THAT(std::string(status.message()), HasSubstr("500"));
  EXPECT_THAT(std::string(status.message()), HasSubstr("internal trouble"));
  EXPECT_THAT(std::string(status.message()), HasSubstr("3 attempts"));
  EXPECT_EQ(server_.requests().size(), 3u);
}

TEST_F(ChatClientTest, RateLimitBeyondMaxRetriesIsResourceExhausted) {
  server_.SetResponder([](const testing::RecordedRequest&) {
    return ApiError(429, "rate limit reached", {{"Retry-After", "0"}});
  });
  ChatConfig config = ConfigFor(server_);
  config.max_retries = 1;
  const absl::Status status = MakeClient(config)->Complete(Hello()).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted) << status;
  EXPECT_TRUE(IsRetryable(status));
  EXPECT_EQ(server_.requests().size(), 2u);
}

TEST_F(ChatClientTest, ForbiddenIsRateLimitOnlyWithRateLimitHeaders) {
  server_.Push(ApiError(403, "quota", {{"x-ratelimit-remaining", "0"}}));
  server_.Push(Completion("after quota"));
  server_.Push(ApiError(403, "this model is not for you"));
  auto client = MakeClient(ConfigFor(server_));

  absl::StatusOr<ChatResponse> limited = client->Complete(Hello());
  ASSERT_TRUE(limited.ok()) << limited.status();
  EXPECT_EQ(limited->attempts, 2u);

  const absl::Status denied = client->Complete(Hello()).status();
  EXPECT_EQ(denied.code(), absl::StatusCode::kPermissionDenied) << denied;
  EXPECT_FALSE(IsRetryable(denied));
  EXPECT_EQ(server_.requests().size(), 3u);
}

TEST_F(ChatClientTest, UnauthorizedIsNotRetried) {
  server_.SetResponder(
      [](const testing::RecordedRequest&) { return ApiError(401, "invalid api key"); });
  const absl::Status status = MakeClient(ConfigFor(server_))->Complete(Hello()).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kUnauthenticated) << status;
  EXPECT_FALSE(IsRetryable(status));
  EXPECT_EQ(server_.requests().size(), 1u);
}

TEST_F(ChatClientTest, BadRequestIsNotRetried) {
  server_.SetResponder(
      [](const testing::RecordedRequest&) { return ApiError(400, "max_tokens is too large"); });
  const absl::Status status = MakeClient(ConfigFor(server_))->Complete(Hello()).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  EXPECT_FALSE(IsRetryable(status));
  EXPECT_THAT(std::string(status.message()), HasSubstr("max_tokens is too large"));
  EXPECT_EQ(server_.requests().size(), 1u);
}

TEST_F(ChatClientTest, UnknownPathIsInvalidArgument) {
  ChatConfig config = ConfigFor(server_);
  config.base_url = server_.base_url() + "/nowhere";
  const absl::Status status = MakeClient(config)->Complete(Hello()).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  EXPECT_THAT(std::string(status.message()), HasSubstr("404"));
  EXPECT_THAT(std::string(status.message()), HasSubstr("/v1/nowhere/chat/completions"));
}

TEST_F(ChatClientTest, EmptyRequestIsRefusedWithoutSending) {
  const absl::Status status = MakeClient(ConfigFor(server_))->Complete(ChatRequest{}).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  EXPECT_TRUE(server_.requests().empty());
}

TEST_F(ChatClientTest, SlowAnswerExceedsDeadline) {
  ChatReply slow = Completion("too late");
  slow.delay = milliseconds(30'000);
  server_.Push(slow);
  ChatConfig config = ConfigFor(server_);
  config.timeout = milliseconds(200);
  config.max_retries = 0;
  auto client = MakeClient(config);

  const auto start = std::chrono::steady_clock::now();
  const absl::Status status = client->Complete(Hello()).status();
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(status.code(), absl::StatusCode::kDeadlineExceeded) << status;
  EXPECT_TRUE(IsRetryable(status));
  EXPECT_THAT(std::string(status.message()), HasSubstr("200 ms"));
  EXPECT_GE(elapsed, milliseconds(150));
  EXPECT_LT(elapsed, std::chrono::seconds(2));
}

TEST_F(ChatClientTest, TimeoutIsRetried) {
  ChatReply slow = Completion("too late");
  slow.delay = milliseconds(30'000);
  server_.Push(slow);
  server_.Push(Completion("in time"));
  ChatConfig config = ConfigFor(server_);
  config.timeout = milliseconds(200);
  config.max_retries = 1;
  absl::StatusOr<ChatResponse> response = MakeClient(config)->Complete(Hello());
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->content, "in time");
  EXPECT_EQ(response->attempts, 2u);
}

TEST_F(ChatClientTest, MalformedAnswersAreDataLoss) {
  const std::string full = Completion("complete").body;
  const std::vector<std::pair<std::string, std::string>> bodies = {
      {"not JSON", "<html>gateway says hi</html>"},
      {"truncated JSON", full.substr(0, full.size() / 2)},
      {"JSON without choices", R"({"id":"x","object":"chat.completion","choices":[]})"},
      {"choices without content",
       R"({"choices":[{"index":0,"message":{"role":"assistant","content":null},)"
       R"("finish_reason":"tool_calls"}]})"},
      {"JSON that is not an object", R"(["choices"])"},
  };
  ChatConfig config = ConfigFor(server_);
  auto client = MakeClient(config);
  for (const auto& [what, body] : bodies) {
    ChatReply reply;
    reply.body = body;
    server_.Push(reply);
    const size_t before = server_.requests().size();
    const absl::Status status = client->Complete(Hello()).status();
    EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss) << what << ": " << status;
    EXPECT_FALSE(IsRetryable(status)) << what;
    EXPECT_EQ(server_.requests().size(), before + 1) << what << " must not be retried";
  }
}

// Text that compresses poorly, so its compressed length still exceeds a small limit.
std::string Incompressible(size_t size) {
  std::string text;
  uint32_t state = 12345;
  while (text.size() < size) {
    state = state * 1103515245u + 12345u;
    text.push_back(static_cast<char>('a' + (state >> 16) % 26));
  }
  return text;
}

TEST_F(ChatClientTest, OversizeAnswerIsDataLossNamingTheLimit) {
  // The first is refused on its Content-Length; the second compresses to a few hundred
  // bytes and is cut off while it is decoded.
  server_.Push(Completion(Incompressible(64 << 10)));
  server_.Push(Completion(std::string(64 << 10, 'z')));
  ChatConfig config = ConfigFor(server_);
  config.max_response_bytes = 4096;
  auto client = MakeClient(config);
  for (const char* what : {"incompressible", "compressible"}) {
    const absl::Status status = client->Complete(Hello()).status();
    EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss) << what << ": " << status;
    EXPECT_THAT(std::string(status.message()), HasSubstr("max_response_bytes")) << what;
    EXPECT_THAT(std::string(status.message()), HasSubstr("4096")) << what;
  }
  ASSERT_EQ(server_.requests().size(), 2u);
  EXPECT_FALSE(server_.requests()[1].headers["accept-encoding"].empty());
}

TEST_F(ChatClientTest, OversizeErrorBodyStillReportsTheStatus) {
  server_.Push(ApiError(400, std::string(64 << 10, 'e')));
  ChatConfig config = ConfigFor(server_);
  config.max_response_bytes = 4096;
  const absl::Status status = MakeClient(config)->Complete(Hello()).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  EXPECT_THAT(std::string(status.message()), HasSubstr("400"));
}

TEST(ChatClientConnection, RefusedConnectionIsUnavailable) {
  const int port = UnusedPort();
  ASSERT_GT(port, 0);
  ChatConfig config;
  config.base_url = "http://127.0.0.1:" + std::to_string(port) + "/v1";
  config.model = "test-model";
  config.api_key = kKey;
  config.max_retries = 1;
  config.initial_backoff = milliseconds(1);
  config.max_backoff = milliseconds(5);
  const absl::Status status = MakeClient(config)->Complete(Hello()).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
  EXPECT_TRUE(IsRetryable(status));
  EXPECT_THAT(std::string(status.message()), HasSubstr(config.base_url));
  EXPECT_THAT(std::string(status.message()), HasSubstr("2 attempts"));
  ExpectNoKey(status);
}

TEST_F(ChatClientTest, ConcurrencyIsLimited) {
  server_.SetResponder([](const testing::RecordedRequest&) {
    ChatReply reply = Completion("in turn");
    reply.delay = milliseconds(100);
    return reply;
  });
  ChatConfig config = ConfigFor(server_);
  config.max_concurrency = 2;
  auto client = MakeClient(config);

  const auto start = std::chrono::steady_clock::now();
  std::vector<std::future<absl::StatusOr<ChatResponse>>> calls;
  for (int i = 0; i < 6; ++i) {
    calls.push_back(
        std::async(std::launch::async, [&client] { return client->Complete(Hello()); }));
  }
  for (auto& call : calls) {
    absl::StatusOr<ChatResponse> response = call.get();
    EXPECT_TRUE(response.ok()) << response.status();
  }
  // Six answers of at least 100 ms through two slots take three rounds.
  EXPECT_GE(std::chrono::steady_clock::now() - start, milliseconds(300));
  EXPECT_EQ(server_.requests().size(), 6u);
  EXPECT_EQ(server_.max_in_flight(), 2u);
}

TEST(ResolveApiKey, PrefersTheEnvironmentVariable) {
  testing::TempDir dir;
  testing::WriteFile(dir.path() / "key", "sk-from-file\n");
  ::setenv("SLIPWAY_LLM_TEST_KEY", "sk-from-env", 1);
  absl::StatusOr<std::string> key = ResolveApiKey("SLIPWAY_LLM_TEST_KEY", dir.path() / "key");
  ::unsetenv("SLIPWAY_LLM_TEST_KEY");
  ASSERT_TRUE(key.ok()) << key.status();
  EXPECT_EQ(*key, "sk-from-env");
}

TEST(ResolveApiKey, ReadsTheFirstLineOfTheFileTrimmed) {
  testing::TempDir dir;
  testing::WriteFile(dir.path() / "key", "sk-from-file \t\r\nsecond line\n");
  ::unsetenv("SLIPWAY_LLM_TEST_KEY");
  absl::StatusOr<std::string> key = ResolveApiKey("SLIPWAY_LLM_TEST_KEY", dir.path() / "key");
  ASSERT_TRUE(key.ok()) << key.status();
  EXPECT_EQ(*key, "sk-from-file");
  // An empty variable counts as unset.
  ::setenv("SLIPWAY_LLM_TEST_KEY", "", 1);
  key = ResolveApiKey("SLIPWAY_LLM_TEST_KEY", dir.path() / "key");
  ::unsetenv("SLIPWAY_LLM_TEST_KEY");
  ASSERT_TRUE(key.ok()) << key.status();
  EXPECT_EQ(*key, "sk-from-file");
}

TEST(ResolveApiKey, MissingOrEmptyFileIsNotFoundNamingTheFile) {
  testing::TempDir dir;
  const std::filesystem::path missing = dir.path() / "no-such-key";
  absl::StatusOr<std::string> key = ResolveApiKey("", missing);
  EXPECT_EQ(key.status().code(), absl::StatusCode::kNotFound) << key.status();
  EXPECT_THAT(std::string(key.status().message()), HasSubstr(missing.string()));

  testing::WriteFile(dir.path() / "empty", "\n");
  key = ResolveApiKey("", dir.path() / "empty");
  EXPECT_EQ(key.status().code(), absl::StatusCode::kNotFound) << key.status();
  EXPECT_THAT(std::string(key.status().message()), HasSubstr((dir.path() / "empty").string()));
}

TEST(ResolveApiKey, UnsetVariableWithoutFileIsNotFoundNamingTheVariable) {
  ::unsetenv("SLIPWAY_LLM_TEST_KEY");
  absl::StatusOr<std::string> key = ResolveApiKey("SLIPWAY_LLM_TEST_KEY", "");
  EXPECT_EQ(key.status().code(), absl::StatusCode::kNotFound) << key.status();
  EXPECT_THAT(std::string(key.status().message()), HasSubstr("SLIPWAY_LLM_TEST_KEY"));
}

TEST(ResolveApiKey, NeitherConfiguredIsEmpty) {
  absl::StatusOr<std::string> key = ResolveApiKey("", "");
  ASSERT_TRUE(key.ok()) << key.status();
  EXPECT_EQ(*key, "");
}

TEST(MakeHttpChatClient, ValidatesTheConfiguration) {
  ChatConfig good;
  good.base_url = "http://127.0.0.1:1/v1/";
  good.model = "m";
  EXPECT_TRUE(MakeHttpChatClient(good).ok());
  good.base_url = "HTTPS://api.example.com/v1";
  EXPECT_TRUE(MakeHttpChatClient(good).ok());

  auto expect_invalid = [&](ChatConfig config, const std::string& named) {
    const absl::Status status = MakeHttpChatClient(std::move(config)).status();
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
    EXPECT_THAT(std::string(status.message()), HasSubstr(named)) << status;
  };
  ChatConfig config = good;
  config.base_url = "ftp://example.com/v1";
  expect_invalid(config, "ftp://example.com/v1");
  config.base_url = "api.openai.com/v1";
  expect_invalid(config, "base_url");
  config.base_url = "http://";
  expect_invalid(config, "base_url");
  config = good;
  config.model = "";
  expect_invalid(config, "model");
  config = good;
  config.max_concurrency = 0;
  expect_invalid(config, "max_concurrency");
  config = good;
  config.timeout = milliseconds(0);
  expect_invalid(config, "timeout");
  config = good;
  config.max_response_bytes = 0;
  expect_invalid(config, "max_response_bytes");
  config = good;
  config.extra_headers["x-bad"] = "a\r\nInjected: yes";
  expect_invalid(config, "x-bad");
}

}  // namespace
}  // namespace slipway::llm
