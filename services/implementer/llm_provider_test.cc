// The llm provider against a chat-completions server on loopback: prompts, answers of every
// shape (whole files, diffs, fenced, truncated, hostile paths), the correction round, budgets,
// retries and timeouts, usage.
#include <nlohmann/json.hpp>

#include "gtest/gtest.h"
#include "libs/changeset/change_set.h"
#include "libs/core/status.h"
#include "services/implementer/llm_answer.h"
#include "services/implementer/llm_provider.h"
#include "services/implementer/providers.h"
#include "services/implementer/test_repo.h"
#include "tests/harness/chat_server.h"

namespace slipway::implementer {
namespace {

using nlohmann::json;
using slipway::testing::ApiError;
using slipway::testing::ChatServer;
using slipway::testing::Completion;
using test_support::TestRepo;

std::string FilesAnswer(std::vector<std::pair<std::string, std::string>> files,
                        std::string summary = "adds reorder alerts") {
  json j = {{"summary", summary}, {"files", json::array()}};
  for (auto& [p, c] : files) j["files"].push_back({{"path", p}, {"content", c}});
  return j.dump();
}

class LlmProviderTest : public ::testing::Test {
 protected:
  LlmProviderTest()
      : repo_({{"shop/__init__.py", ""},
               {"shop/stock.py", "def level(item):\n    return 3\n"},
               {"tests/test_stock.py",
                "from shop.stock import level\n\ndef test_level():\n    assert level('a') == 3\n"},
               {"requirements.txt", "requests==2.31\n"}}) {
    rec_.set_title("Reorder alerts");
    rec_.set_description("Alert when stock falls under the reorder point.");
    rec_.set_provider("llm");
    analysis_.set_language("python");
    analysis_.set_suggested_path("shop/reorder.py");
    analysis_.set_module_name("shop.reorder");
    analysis_.set_test_path("tests/test_reorder.py");
    auto* ip = analysis_.add_integration_points();
    ip->set_file("shop/stock.py");
    ip->set_symbol("level");
    ip->set_line(1);
    ip->set_reason("defines the stock level the alert reads");
    auto& map = repo_.map();
    map.set_primary_language("python");
    map.set_test_command("python3 -m pytest -q");
    map.set_test_file_pattern("test_*.py");
    auto* b = map.add_build_systems();
    b->set_name("pytest");
    b->set_test_command("python3 -m pytest -q");
    auto* m = map.add_manifests();
    m->set_path("requirements.txt");
    m->set_ecosystem("pypi");
    m->add_dependencies()->set_name("requests");
    for (auto& f : *map.mutable_files())
      if (f.path().ends_with(".py")) f.set_language("python");
  }

  std::unique_ptr<llm::ChatClient> Client(std::chrono::milliseconds timeout = std::chrono::seconds(10),
                                          uint32_t retries = 2) {
    llm::ChatConfig c;
    c.base_url = server_.base_url();
    c.model = "test-model";
    c.api_key = "sk-secret-key-123";
    c.timeout = timeout;
    c.max_retries = retries;
    c.initial_backoff = std::chrono::milliseconds(1);
    c.max_backoff = std::chrono::milliseconds(10);
    auto client = llm::MakeHttpChatClient(c);
    EXPECT_TRUE(client.ok()) << client.status();
    return std::move(*client);
  }

  ImplementRequest Request() {
    return ImplementRequest{rec_, repo_.map(), analysis_, repo_.repo(), repo_.commit()};
  }

  ChatServer server_;
  TestRepo repo_;
  v1::Recommendation rec_;
  v1::Analysis analysis_;
  LlmProviderOptions options_;
};

constexpr const char* kReorder =
    "from shop.stock import level\n\n\ndef needs_reorder(item, point):\n"
    "    return level(item) < point\n";

TEST_F(LlmProviderTest, WholeFilesBecomeAChangeSetWithUsage) {
  server_.Push(Completion(FilesAnswer({{"shop/reorder.py", kReorder}}), 1200, 300));
  options_.input_usd_per_mtok = 2.5;
  options_.output_usd_per_mtok = 10;
  auto client = Client();
  auto provider = MakeLlmProvider(*client, options_);
  auto change = provider->Implement(Request());
  ASSERT_TRUE(change.ok()) << change.status();
  ASSERT_EQ(change->files_size(), 1);
  EXPECT_EQ(change->files(0).path(), "shop/reorder.py");
  EXPECT_EQ(change->files(0).content(), kReorder);
  EXPECT_EQ(change->files(0).action(), v1::ChangedFile::ACTION_ADD);
  EXPECT_FALSE(change->files(0).is_test());
  EXPECT_EQ(change->provider(), "llm");
  EXPECT_NE(change->summary().find("adds reorder alerts"), std::string::npos);
  EXPECT_TRUE(changeset::Validate(*change).ok());
  EXPECT_EQ(change->usage().calls(), 1u);
  EXPECT_EQ(change->usage().prompt_tokens(), 1200u);
  EXPECT_EQ(change->usage().completion_tokens(), 300u);
  EXPECT_EQ(change->usage().model(), "test-model");
  EXPECT_NEAR(change->usage().cost_usd(), 1200 * 2.5e-6 + 300 * 10e-6, 1e-9);

  // The prompt carries the recommendation, the map, the analysis and an excerpt of the
  // integration point's file; the key only in the Authorization header.
  auto requests = server_.requests();
  ASSERT_EQ(requests.size(), 1u);
  json body = json::parse(requests[0].body);
  EXPECT_EQ(body["model"], "test-model");
  EXPECT_EQ(body["response_format"]["type"], "json_object");
  std::string user = body["messages"][1]["content"];
  for (const char* expected : {"Reorder alerts", "reorder point", "shop/reorder.py",
                               "defines the stock level", "def level(item)", "python3 -m pytest",
                               "requirements.txt"})
    EXPECT_NE(user.find(expected), std::string::npos) << expected;
  EXPECT_EQ(requests[0].body.find("sk-secret-key-123"), std::string::npos);
  EXPECT_EQ(requests[0].headers.at("authorization"), "Bearer sk-secret-key-123");
}

TEST_F(LlmProviderTest, FencedAnswerAndModifiedFile) {
  std::string answer = "Here is the change:\n```json\n" +
                       FilesAnswer({{"shop/stock.py", "def level(item):\n    return 4\n"}}) +
                       "\n```\nDone.";
  server_.Push(Completion(answer));
  auto client = Client();
  auto change = MakeLlmProvider(*client, options_)->Implement(Request());
  ASSERT_TRUE(change.ok()) << change.status();
  ASSERT_EQ(change->files_size(), 1);
  EXPECT_EQ(change->files(0).action(), v1::ChangedFile::ACTION_MODIFY);
}

TEST_F(LlmProviderTest, UnifiedDiffIsAppliedToTheBaseCommit) {
  std::string diff =
      "diff --git a/shop/stock.py b/shop/stock.py\n"
      "--- a/shop/stock.py\n+++ b/shop/stock.py\n"
      "@@ -1,2 +1,2 @@\n def level(item):\n-    return 3\n+    return 5\n";
  server_.Push(Completion(json{{"summary", "five"}, {"diff", diff}}.dump()));
  auto client = Client();
  auto change = MakeLlmProvider(*client, options_)->Implement(Request());
  ASSERT_TRUE(change.ok()) << change.status();
  ASSERT_EQ(change->files_size(), 1);
  EXPECT_EQ(change->files(0).content(), "def level(item):\n    return 5\n");
  EXPECT_EQ(change->files(0).action(), v1::ChangedFile::ACTION_MODIFY);
}

TEST_F(LlmProviderTest, HostilePathIsSentBackThenFixed) {
  server_.Push(Completion(FilesAnswer({{"../../etc/passwd", "root::0:0::/:/bin/sh\n"}})));
  server_.Push(Completion(FilesAnswer({{"shop/reorder.py", kReorder}})));
  auto client = Client();
  auto change = MakeLlmProvider(*client, options_)->Implement(Request());
  ASSERT_TRUE(change.ok()) << change.status();
  EXPECT_EQ(change->files(0).path(), "shop/reorder.py");
  EXPECT_EQ(change->usage().calls(), 2u);
  // The second request holds the first answer and the problem, naming the path.
  auto requests = server_.requests();
  ASSERT_EQ(requests.size(), 2u);
  json body = json::parse(requests[1].body);
  ASSERT_EQ(body["messages"].size(), 4u);
  EXPECT_EQ(body["messages"][2]["role"], "assistant");
  std::string feedback = body["messages"][3]["content"];
  EXPECT_NE(feedback.find(".."), std::string::npos) << feedback;
  EXPECT_NE(feedback.find("could not be used"), std::string::npos);
}

TEST_F(LlmProviderTest, SecondFailureFailsWithTheProblems) {
  server_.Push(Completion(FilesAnswer({{"shop/reorder.py", "def broken(:\n"}})));
  server_.Push(Completion(FilesAnswer({{".github/workflows/x.yml", "on: push\n"}})));
  auto client = Client();
  auto change = MakeLlmProvider(*client, options_)->Implement(Request());
  ASSERT_FALSE(change.ok());
  EXPECT_EQ(change.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(change.status().message().find(".github/workflows/x.yml"), std::string::npos)
      << change.status();
  EXPECT_FALSE(IsRetryable(change.status()));
  // The first answer's syntax error was what the correction round reported.
  json body = json::parse(server_.requests()[1].body);
  std::string feedback = body["messages"][3]["content"];
  EXPECT_NE(feedback.find("shop/reorder.py: Python syntax error at line 1"), std::string::npos)
      << feedback;
}

TEST_F(LlmProviderTest, MalformedAndTruncatedAnswers) {
  for (std::string bad : {std::string("I cannot help with that."),
                          std::string("{\"summary\": \"x\", \"files\": [{\"path\": \"a.py\", \"content\": \"x = "),
                          std::string("{\"summary\": 3, \"files\": []}"),
                          std::string("{\"files\": [{\"path\": \"a.py\"}]}"), std::string("[]")}) {
    server_.Push(Completion(bad));
    server_.Push(Completion(bad));
    auto client = Client();
    auto change = MakeLlmProvider(*client, options_)->Implement(Request());
    ASSERT_FALSE(change.ok()) << bad;
    EXPECT_EQ(change.status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
}

TEST_F(LlmProviderTest, UndeclaredAndMissingImportsAreProblems) {
  server_.Push(Completion(FilesAnswer(
      {{"shop/reorder.py", "import numpy\nimport requests\nfrom .missing import x\nimport os\n"}})));
  server_.Push(Completion(FilesAnswer({{"shop/reorder.py", "import requests\nimport os\n"}})));
  auto client = Client();
  auto change = MakeLlmProvider(*client, options_)->Implement(Request());
  ASSERT_TRUE(change.ok()) << change.status();
  json body = json::parse(server_.requests()[1].body);
  std::string feedback = body["messages"][3]["content"];
  EXPECT_NE(feedback.find("imports numpy"), std::string::npos) << feedback;
  EXPECT_NE(feedback.find("missing"), std::string::npos) << feedback;
  EXPECT_EQ(feedback.find("imports requests"), std::string::npos) << feedback;
  EXPECT_EQ(feedback.find("imports os"), std::string::npos) << feedback;
}

TEST_F(LlmProviderTest, RateLimitThenSuccess) {
  server_.Push(ApiError(429, "slow down", {{"Retry-After", "0"}}));
  server_.Push(Completion(FilesAnswer({{"shop/reorder.py", kReorder}})));
  auto client = Client();
  auto change = MakeLlmProvider(*client, options_)->Implement(Request());
  ASSERT_TRUE(change.ok()) << change.status();
  EXPECT_EQ(server_.requests().size(), 2u);
  EXPECT_EQ(change->usage().calls(), 1u);  // one answer; the 429 is not counted
}

TEST_F(LlmProviderTest, SlowAnswerPastTheTimeoutIsRetryable) {
  auto slow = Completion(FilesAnswer({{"shop/reorder.py", kReorder}}));
  slow.delay = std::chrono::milliseconds(3000);
  server_.Push(slow);
  auto client = Client(std::chrono::milliseconds(200), 0);
  auto start = std::chrono::steady_clock::now();
  auto change = MakeLlmProvider(*client, options_)->Implement(Request());
  ASSERT_FALSE(change.ok());
  EXPECT_EQ(change.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_TRUE(IsRetryable(change.status()));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  EXPECT_EQ(change.status().message().find("sk-secret-key-123"), std::string::npos);
}

TEST_F(LlmProviderTest, BudgetStopsTheRequestBeforeItIsMade) {
  options_.max_tokens = 1000;  // smaller than max_answer_tokens alone
  auto client = Client();
  auto change = MakeLlmProvider(*client, options_)->Implement(Request());
  ASSERT_FALSE(change.ok());
  EXPECT_EQ(change.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(change.status().message().find("budget"), std::string::npos);
  EXPECT_TRUE(server_.requests().empty());

  options_.max_tokens = 1'000'000;
  options_.max_cost_usd = 0.01;
  options_.output_usd_per_mtok = 100;  // 8192 answer tokens may cost $0.82
  auto again = MakeLlmProvider(*client, options_)->Implement(Request());
  EXPECT_EQ(again.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(server_.requests().empty());
}

TEST_F(LlmProviderTest, GenerateTestsAddsTestFilesAndCountsFromTheChangesUsage) {
  v1::ChangeSet change;
  change.set_provider("llm");
  auto* f = change.add_files();
  f->set_path("shop/reorder.py");
  f->set_content(kReorder);
  f->set_action(v1::ChangedFile::ACTION_ADD);
  change.mutable_usage()->set_calls(1);
  change.mutable_usage()->set_prompt_tokens(100);
  change.mutable_usage()->set_completion_tokens(50);
  server_.Push(Completion(
      FilesAnswer({{"tests/test_reorder.py",
                    "from shop.reorder import needs_reorder\n\n\ndef test_under():\n"
                    "    assert needs_reorder('a', 4)\n"}}),
      500, 80));
  auto client = Client();
  auto tests = MakeLlmProvider(*client, options_)->GenerateTests(Request(), change);
  ASSERT_TRUE(tests.ok()) << tests.status();
  ASSERT_EQ(tests->files_size(), 1);
  EXPECT_TRUE(tests->files(0).is_test());
  EXPECT_EQ(tests->usage().calls(), 1u);  // this call's usage only
  EXPECT_EQ(tests->usage().prompt_tokens(), 500u);
  json body = json::parse(server_.requests()[0].body);
  std::string user = body["messages"][1]["content"];
  EXPECT_NE(user.find("def needs_reorder"), std::string::npos);  // the change itself
  EXPECT_NE(user.find("def test_level"), std::string::npos);     // an existing test
  std::string system = body["messages"][0]["content"];
  EXPECT_NE(system.find("pytest"), std::string::npos);
}

TEST_F(LlmProviderTest, TestsMayNotRewriteTheChange) {
  v1::ChangeSet change;
  auto* f = change.add_files();
  f->set_path("shop/reorder.py");
  f->set_content(kReorder);
  f->set_action(v1::ChangedFile::ACTION_ADD);
  server_.Push(Completion(FilesAnswer({{"shop/reorder.py", "x = 1\n"}})));
  server_.Push(Completion(FilesAnswer({{"shop/reorder.py", "x = 1\n"}})));
  auto client = Client();
  auto tests = MakeLlmProvider(*client, options_)->GenerateTests(Request(), change);
  ASSERT_FALSE(tests.ok());
  EXPECT_NE(tests.status().message().find("already written by the change"), std::string::npos);
}

TEST_F(LlmProviderTest, ProvidersOfferTheLlmByName) {
  std::shared_ptr<llm::ChatClient> client = Client();
  auto providers = Providers::WithClient("scaffold", client, options_);
  v1::Recommendation rec = rec_;
  EXPECT_EQ((*providers->For(rec))->name(), "llm");
  rec.set_provider("");
  EXPECT_EQ((*providers->For(rec))->name(), "scaffold");
  rec.set_provider("llm-large");
  auto missing = providers->For(rec);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(missing.status().message().find("llm-large"), std::string::npos);

  ProviderSettings settings;
  settings.default_provider = "llm";
  auto bad = Providers::Make(settings);  // no --llm-base-url: llm is not offered
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  settings.llm.base_url = server_.base_url();
  bad = Providers::Make(settings);  // no model
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);

  // A local server needs no key: the default variable may be unset. A named source must exist.
  ::unsetenv("SLIPWAY_LLM_API_KEY");
  settings.llm.model = "local-model";
  auto local = Providers::Make(settings);
  ASSERT_TRUE(local.ok()) << local.status();
  EXPECT_NE((*local)->Describe().find("local-model"), std::string::npos);
  settings.llm.api_key_file = "/nonexistent/slipway-key";
  auto missing_file = Providers::Make(settings);
  EXPECT_EQ(missing_file.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(missing_file.status().message().find("/nonexistent/slipway-key"), std::string::npos);
}

TEST(ParseModelAnswer, Shapes) {
  auto bare = ParseModelAnswer("--- a/x.py\n+++ b/x.py\n@@ -1 +1 @@\n-a\n+b\n");
  ASSERT_TRUE(bare.ok());
  EXPECT_FALSE(bare->diff.empty());
  auto fenced_diff = ParseModelAnswer("```diff\ndiff --git a/x b/x\n```");
  ASSERT_TRUE(fenced_diff.ok());
  EXPECT_TRUE(fenced_diff->diff.starts_with("diff --git"));
  auto with_prose = ParseModelAnswer("Sure! {\"files\": [{\"path\": \"a.py\", \"content\": \"\"}]} hope it helps");
  ASSERT_TRUE(with_prose.ok()) << with_prose.status();
  EXPECT_EQ(with_prose->files.size(), 1u);
  auto unknown_keys = ParseModelAnswer("{\"files\": [], \"diff\": \"\", \"notes\": 1}");
  EXPECT_FALSE(unknown_keys.ok());  // nothing to apply
  auto cut = ParseModelAnswer("{\"files\": [{\"path\": \"a.py\", \"content\": \"x");
  ASSERT_FALSE(cut.ok());
  EXPECT_NE(cut.status().message().find("cut off"), std::string::npos) << cut.status();
}

}  // namespace
}  // namespace slipway::implementer
