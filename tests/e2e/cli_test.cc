// The `slipway` command as a user runs it: `slipway run` on the embedded stack, good and bad
// recommendations, exit codes and messages.
#include <fstream>
#include <nlohmann/json.hpp>

#include "gtest/gtest.h"
#include "tests/harness/harness.h"

namespace slipway {
namespace {

namespace fs = std::filesystem;
using testing::RunCommand;
using testing::TempDir;

class CliTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir("slipway-cli");
    repo_ = testing::PrepareSampleRepo(dir_->path() / "repos");
  }
  static void TearDownTestSuite() { delete dir_; }

  // `slipway <args>` from the source folder.
  testing::CommandResult Run(const std::string& args) {
    return RunCommand("cd '" + testing::SourceDir().string() + "' && '" +
                      (testing::BinDir() / "slipway").string() + "' " + args);
  }
  // The same with this suite's state folder, for the commands that start the stack.
  testing::CommandResult Slipway(const std::string& args) {
    return Run(args + " --state-dir '" + (dir_->path() / "state").string() + "'");
  }

  static TempDir* dir_;
  static fs::path repo_;
};
TempDir* CliTest::dir_ = nullptr;
fs::path CliTest::repo_;

TEST_F(CliTest, RunPrintsStepsBranchCommitAndTests) {
  auto r = Slipway("run examples/recommendations/reorder-point.json --repo '" + repo_.string() +
                   "' --mode local-commit");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  for (const char* step :
       {"safety-pre", "map", "analyze", "implement", "test", "safety-post", "git"})
    EXPECT_NE(r.output.find(std::string("✓ ") + step), std::string::npos) << step << r.output;
  EXPECT_NE(r.output.find("result: succeeded"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("branch: slipway/"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("commit: "), std::string::npos) << r.output;
  EXPECT_NE(r.output.find(" passed, 0 failed"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("time per step:"), std::string::npos) << r.output;
  auto branches = RunCommand("git -C '" + repo_.string() + "' branch --list 'slipway/*'");
  EXPECT_NE(branches.output.find("slipway/"), std::string::npos);
}

TEST_F(CliTest, JsonOutputIsMachineReadable) {
  auto r = Slipway("--json run examples/recommendations/bulk-discount.json --repo '" +
                   repo_.string() + "' --mode dry-run");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto start = r.output.find('{');
  ASSERT_NE(start, std::string::npos) << r.output;
  auto j = nlohmann::json::parse(r.output.substr(start), nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << r.output;
  EXPECT_EQ(j["status"], "DEPLOYMENT_STATUS_SUCCEEDED");
  EXPECT_EQ(j["mode"], "MODE_DRY_RUN");
  EXPECT_GT(j["tests"]["passed"].get<int>(), 0);
}

TEST_F(CliTest, MapDescribesTheRepository) {
  auto text = Run("map '" + repo_.string() + "'");
  ASSERT_EQ(text.exit_code, 0) << text.output;
  EXPECT_NE(text.output.find("python"), std::string::npos) << text.output;
  EXPECT_NE(text.output.find("test command: python3 -m pytest -q"), std::string::npos)
      << text.output;
  auto json = Run("--json map '" + repo_.string() + "'");
  ASSERT_EQ(json.exit_code, 0) << json.output;
  auto j = nlohmann::json::parse(json.output.substr(json.output.find('{')), nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << json.output;
  EXPECT_EQ(j["primary_language"], "python");
  EXPECT_EQ(j["commit"].get<std::string>().size(), 40u);
  EXPECT_GE(j["files"].size(), 10u);
  auto missing = Run("map /no/such/repository");
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.output.find("no such path"), std::string::npos) << missing.output;
}

TEST_F(CliTest, BadRecommendationsExitWithTheFieldNamed) {
  struct Case {
    std::string file;
    std::string expect;
  };
  TempDir tmp("slipway-cli-bad");
  fs::path huge = tmp.path() / "huge.json";
  {
    std::ofstream out(huge);
    out << R"({"title": "Huge", "description": ")" << std::string(10 << 20, 'x') << R"("})";
  }
  std::vector<Case> cases = {
      {"examples/recommendations/bad/malformed.json", "field: recommendation"},
      {"examples/recommendations/bad/missing-title.json", "field: title"},
      {"examples/recommendations/bad/missing-description.json", "field: description"},
      {"examples/recommendations/bad/unknown-mode.json", "field: mode"},
      {huge.string(), "description: 10485760 bytes, limit 65536"},
  };
  for (const auto& c : cases) {
    auto r = Slipway("run '" + c.file + "' --repo '" + repo_.string() + "'");
    EXPECT_EQ(r.exit_code, 2) << c.file << "\n" << r.output;
    EXPECT_NE(r.output.find(c.expect), std::string::npos) << c.file << "\n" << r.output;
    EXPECT_NE(r.output.find("recorded as deployment"), std::string::npos) << r.output;
  }
  auto flag = Slipway("run examples/recommendations/bulk-discount.json --mode yolo");
  EXPECT_EQ(flag.exit_code, 2) << flag.output;
  EXPECT_NE(flag.output.find("--mode"), std::string::npos) << flag.output;
  auto missing = Slipway("run no-such-file.json");
  EXPECT_EQ(missing.exit_code, 2) << missing.output;
  EXPECT_NE(missing.output.find("no-such-file.json"), std::string::npos) << missing.output;
}

}  // namespace
}  // namespace slipway
