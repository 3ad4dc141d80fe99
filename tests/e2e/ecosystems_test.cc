// `slipway run` on the sample repositories of three ecosystems (Python, Go, C++/CMake): the
// scaffold provider writes the change, the tester asks it for the tests, runs the repository's
// own suite in the sandbox with coverage, and the deployment ends with passing tests. Then an
// llm provider (a chat-completions server on loopback) whose generated test fails: the
// deployment fails with the failing test named in its record, and the model usage recorded.
#include <nlohmann/json.hpp>

#include "gtest/gtest.h"
#include "tests/harness/chat_server.h"
#include "tests/harness/harness.h"

namespace slipway {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using testing::RunCommand;
using testing::TempDir;

class EcosystemsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir("slipway-ecosystems");
    testing::PrepareSampleRepo(dir_->path() / "repos");
  }
  static void TearDownTestSuite() { delete dir_; }

  static fs::path Repo(const std::string& name) { return dir_->path() / "repos" / name; }

  // `slipway --json run <rec> --repo <repo> <extra>` from the source folder; the deployment.
  json Run(const std::string& rec, const std::string& repo, const std::string& extra = "",
           const std::string& env = "") {
    auto r = RunCommand(env + " cd '" + testing::SourceDir().string() + "' && '" +
                        (testing::BinDir() / "slipway").string() + "' --json run " + rec +
                        " --repo '" + Repo(repo).string() + "' --mode dry-run --state-dir '" +
                        (dir_->path() / "state").string() + "' " + extra);
    output_ = r.output;
    auto start = r.output.find("{\n");
    if (start == std::string::npos) start = r.output.find('{');
    if (start == std::string::npos) return json();
    json j = json::parse(r.output.substr(start), nullptr, false);
    if (!j.is_discarded()) PrintTimings(repo, j);
    return j.is_discarded() ? json() : j;
  }

  // The time of each step, for the record of what a deployment costs in each ecosystem.
  static void PrintTimings(const std::string& repo, const json& d) {
    std::string line = repo + ":";
    for (const auto& s : d.value("steps", json::array()))
      line += " " + s.value("step", std::string("?")) + "=" +
              std::to_string(s.value("duration_ms", 0.0) / 1000.0).substr(0, 5) + "s";
    std::cout << line << "\n";
  }

  static bool Succeeded(const json& d) { return d.value("status", "") == "DEPLOYMENT_STATUS_SUCCEEDED"; }

  static TempDir* dir_;
  std::string output_;
};
TempDir* EcosystemsTest::dir_ = nullptr;

void ExpectGeneratedTestsPassed(const json& d, const std::string& test_path_part) {
  const json& tests = d["tests"];
  EXPECT_GT(tests.value("passed", 0), 1) << d.dump(2);
  EXPECT_EQ(tests.value("failed", 0), 0) << d.dump(2);
  EXPECT_TRUE(tests.value("gates_passed", false)) << d.dump(2);
  bool found = false;
  for (const auto& p : tests.value("generated_tests", json::array()))
    found = found || p.get<std::string>().find(test_path_part) != std::string::npos;
  EXPECT_TRUE(found) << tests.dump(2);
}

TEST_F(EcosystemsTest, PythonScaffoldPassesWithCoverage) {
  json d = Run("examples/recommendations/bulk-discount.json", "inventory-service");
  ASSERT_TRUE(Succeeded(d)) << output_;
  ExpectGeneratedTestsPassed(d, "tests/test_");
  EXPECT_EQ(d["tests"]["coverage"].value("tool", ""), "coverage.py") << d["tests"].dump(2);
  EXPECT_GT(d["tests"]["coverage"].value("changed_lines", 0), 0) << d["tests"].dump(2);
}

TEST_F(EcosystemsTest, GoScaffoldPassesWithCoverage) {
  json d = Run("examples/recommendations/shipping-insurance.json", "shipping-go");
  ASSERT_TRUE(Succeeded(d)) << output_;
  ExpectGeneratedTestsPassed(d, "_test.go");
  EXPECT_EQ(d["tests"].value("framework", ""), "go test") << d["tests"].dump(2);
  EXPECT_GT(d["tests"]["coverage"].value("changed_lines", 0), 0) << d["tests"].dump(2);
}

TEST_F(EcosystemsTest, CMakeScaffoldPasses) {
  json d = Run("examples/recommendations/ledger-interest.json", "ledger-cpp");
  ASSERT_TRUE(Succeeded(d)) << output_;
  ExpectGeneratedTestsPassed(d, "tests/");
  EXPECT_EQ(d["tests"].value("framework", ""), "ctest") << d["tests"].dump(2);
}

TEST_F(EcosystemsTest, LlmWhoseTestFailsEndsFailedNamingTheTest) {
  testing::ChatServer server;
  server.SetResponder([](const testing::RecordedRequest& req) {
    json body = json::parse(req.body, nullptr, false);
    std::string system = body.is_discarded() ? "" : body["messages"][0].value("content", "");
    json answer;
    if (system.find("You write the tests") != std::string::npos) {
      answer = {{"summary", "tests of the bulk discount"},
                {"files",
                 {{{"path", "tests/test_bulk_discount.py"},
                   {"content",
                    "from inventory.bulk_discount import tier_percent\n\n\n"
                    "def test_highest_tier_wins():\n    assert tier_percent(60) == 10\n\n\n"
                    "def test_premium_tier_is_wrong():\n    assert tier_percent(250) == 99\n"}}}}};
    } else {
      answer = {{"summary", "bulk discount tiers"},
                {"files",
                 {{{"path", "inventory/bulk_discount.py"},
                   {"content",
                    "TIERS = ((200, 15), (50, 10), (10, 5))\n\n\n"
                    "def tier_percent(quantity):\n    for minimum, percent in TIERS:\n"
                    "        if quantity >= minimum:\n            return percent\n"
                    "    return 0\n"}}}}};
    }
    return testing::Completion(answer.dump(), 900, 150, "sample-model");
  });
  json d = Run("examples/recommendations/bulk-discount.json", "inventory-service",
               "--provider llm --llm-base-url " + server.base_url() + " --llm-model sample-model",
               "export SLIPWAY_LLM_API_KEY=sk-e2e-key;");
  ASSERT_EQ(d.value("status", ""), "DEPLOYMENT_STATUS_FAILED") << output_;
  EXPECT_EQ(d.value("failed_step", ""), "STEP_TEST") << d.dump(2);
  bool named = false;
  for (const auto& f : d["tests"].value("failures", json::array()))
    named = named || f.value("name", "").find("test_premium_tier_is_wrong") != std::string::npos;
  EXPECT_TRUE(named) << d["tests"].dump(2);
  EXPECT_NE(d.value("error", "").find("test_premium_tier_is_wrong"), std::string::npos)
      << d.value("error", "");
  EXPECT_EQ(d["tests"].value("passed", 0), 17) << d["tests"].dump(2);  // 16 of the repo + 1
  // Two model calls (the change, its tests), both recorded on the deployment.
  EXPECT_EQ(d["usage"].value("calls", 0), 2) << d.dump(2);
  EXPECT_EQ(d["usage"].value("prompt_tokens", "0"), "1800") << d["usage"].dump();
  EXPECT_EQ(d["usage"].value("model", ""), "sample-model");
  EXPECT_EQ(output_.find("sk-e2e-key"), std::string::npos);
  EXPECT_EQ(server.requests().size(), 2u);
}

}  // namespace
}  // namespace slipway
