#include "services/tester/repo_config.h"

#include "gtest/gtest.h"
#include "tests/harness/harness.h"

namespace slipway::tester {
namespace {

using namespace std::chrono_literals;

std::string ErrorOf(std::string_view yaml) {
  auto config = ParseRepoConfig(yaml);
  EXPECT_FALSE(config.ok()) << yaml;
  if (config.ok()) return "";
  EXPECT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument) << config.status();
  return std::string(config.status().message());
}

TEST(RepoConfig, ReadsEveryKey) {
  auto config = ParseRepoConfig(R"(# How Slipway tests this repository.
test:
  command: "make check"
  timeout_seconds: 90.5
  coverage: false
  env:
    PYTHONPATH: src
    PORT: 8080
gates:
  require_all_pass: false
  min_changed_coverage: 0.65
)");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_TRUE(config->present);
  EXPECT_EQ(config->test_command, "make check");
  EXPECT_EQ(config->test_timeout, 90500ms);
  EXPECT_EQ(config->coverage, false);
  ASSERT_EQ(config->env.size(), 2u);
  EXPECT_EQ(config->env[0], (std::pair<std::string, std::string>{"PYTHONPATH", "src"}));
  EXPECT_EQ(config->env[1], (std::pair<std::string, std::string>{"PORT", "8080"}));
  EXPECT_EQ(config->require_all_pass, false);
  EXPECT_DOUBLE_EQ(*config->min_changed_coverage, 0.65);
}

TEST(RepoConfig, EveryKeyIsOptional) {
  for (std::string_view yaml : {"", "# nothing\n", "test:\n", "gates: {}\n", "test: {}\n"}) {
    auto config = ParseRepoConfig(yaml);
    ASSERT_TRUE(config.ok()) << yaml << ": " << config.status();
    EXPECT_FALSE(config->test_command.has_value());
    EXPECT_FALSE(config->test_timeout.has_value());
    EXPECT_FALSE(config->coverage.has_value());
    EXPECT_FALSE(config->min_changed_coverage.has_value());
    EXPECT_TRUE(config->env.empty());
  }
}

TEST(RepoConfig, UnknownKeysAreNamedWithTheAcceptedOnes) {
  EXPECT_EQ(ErrorOf("test:\n  comand: pytest\n"),
            ".slipway.yaml: unknown key test.comand (accepted: command, timeout_seconds, "
            "coverage, env) (line 2)");
  EXPECT_EQ(ErrorOf("tests:\n  command: pytest\n"),
            ".slipway.yaml: unknown key tests (accepted: test, gates) (line 1)");
  EXPECT_EQ(ErrorOf("gates:\n  min_coverage: 0.5\n"),
            ".slipway.yaml: unknown key gates.min_coverage (accepted: require_all_pass, "
            "min_changed_coverage) (line 2)");
  EXPECT_NE(ErrorOf("test:\n  command: a\n  command: b\n").find("duplicate key test.command"),
            std::string::npos);
}

TEST(RepoConfig, WrongTypesNameTheKeyAndTheExpectedType) {
  EXPECT_EQ(ErrorOf("test:\n  timeout_seconds: ten\n"),
            ".slipway.yaml: test.timeout_seconds must be a number of seconds > 0, got \"ten\" "
            "(line 2)");
  EXPECT_NE(ErrorOf("test:\n  timeout_seconds: '30'\n").find("must be a number"),
            std::string::npos);
  EXPECT_NE(ErrorOf("test:\n  timeout_seconds: 0\n").find("> 0, got 0"), std::string::npos);
  EXPECT_NE(ErrorOf("test:\n  timeout_seconds: -5\n").find("> 0"), std::string::npos);
  EXPECT_NE(ErrorOf("test:\n  timeout_seconds: .nan\n").find("must be a number"),
            std::string::npos);
  EXPECT_EQ(ErrorOf("test:\n  coverage: sometimes\n"),
            ".slipway.yaml: test.coverage must be true or false, got \"sometimes\" (line 2)");
  EXPECT_NE(
      ErrorOf("test:\n  command: [pytest, -q]\n").find("test.command must be a string, got a list"),
      std::string::npos);
  EXPECT_NE(ErrorOf("test:\n  command: '  '\n").find("test.command must not be empty"),
            std::string::npos);
  EXPECT_NE(ErrorOf("test:\n  env: [A]\n").find("test.env must be a mapping"), std::string::npos);
  EXPECT_NE(ErrorOf("test:\n  env:\n    A: {b: c}\n").find("test.env.A must be a string"),
            std::string::npos);
  EXPECT_NE(ErrorOf("test:\n  env:\n    1BAD: x\n").find("test.env.1BAD is not a variable name"),
            std::string::npos);
  EXPECT_EQ(ErrorOf("gates:\n  min_changed_coverage: 1.5\n"),
            ".slipway.yaml: gates.min_changed_coverage must be a number from 0 to 1, got 1.5 "
            "(line 2)");
  EXPECT_NE(ErrorOf("gates:\n  require_all_pass: 1.0\n").find("must be true or false"),
            std::string::npos);
  EXPECT_NE(ErrorOf("test: pytest\n").find("test must be a mapping"), std::string::npos);
  EXPECT_NE(ErrorOf("- test\n").find("the document must be a mapping"), std::string::npos);
}

TEST(RepoConfig, BrokenYamlSaysWhere) {
  std::string error = ErrorOf("test:\n  command: [unclosed\n");
  EXPECT_TRUE(error.starts_with(".slipway.yaml: not valid YAML at line")) << error;
  EXPECT_FALSE(ErrorOf("test: {command: [}\n").empty());
}

TEST(RepoConfig, LargeTimeoutsAreCappedAndLargeFilesRejected) {
  auto config = ParseRepoConfig("test:\n  timeout_seconds: 1e300\n");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(*config->test_timeout, std::chrono::hours(7 * 24));
  std::string big = "# " + std::string(kMaxRepoConfigBytes, 'x') + "\n";
  EXPECT_NE(ErrorOf(big).find("over the limit of 65536 bytes"), std::string::npos);
}

TEST(RepoConfig, LoadsFromTheCommit) {
  testing::GitFixture with(testing::Files{{".slipway.yaml", "test:\n  command: make test\n"}});
  ASSERT_TRUE(with.ok());
  auto config = LoadRepoConfig(with.repo(), with.commit());
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_TRUE(config->present);
  EXPECT_EQ(config->test_command, "make test");

  testing::GitFixture without(testing::Files{{"README.md", "hi\n"}});
  ASSERT_TRUE(without.ok());
  auto absent = LoadRepoConfig(without.repo(), without.commit());
  ASSERT_TRUE(absent.ok()) << absent.status();
  EXPECT_FALSE(absent->present);

  testing::GitFixture broken(testing::Files{{".slipway.yaml", "test:\n  comand: x\n"}});
  auto error = LoadRepoConfig(broken.repo(), broken.commit());
  EXPECT_EQ(error.status().code(), absl::StatusCode::kInvalidArgument);

  testing::GitFixture huge(
      testing::Files{{".slipway.yaml", std::string(kMaxRepoConfigBytes + 1, '#')}});
  auto too_big = LoadRepoConfig(huge.repo(), huge.commit());
  EXPECT_EQ(too_big.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(too_big.status().message().find("65537 bytes"), std::string::npos) << too_big.status();

  testing::GitFixture link(testing::Files{{"real.yaml", "test: {}\n"}},
                           testing::Files{{".slipway.yaml", "real.yaml"}});
  auto linked = LoadRepoConfig(link.repo(), link.commit());
  EXPECT_EQ(linked.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(linked.status().message().find("symbolic link"), std::string::npos);

  testing::GitFixture folder(testing::Files{{".slipway.yaml/x", "y"}});
  EXPECT_EQ(LoadRepoConfig(folder.repo(), folder.commit()).status().code(),
            absl::StatusCode::kInvalidArgument);

  EXPECT_FALSE(LoadRepoConfig(with.repo(), std::string(40, 'a')).ok());
}

}  // namespace
}  // namespace slipway::tester
