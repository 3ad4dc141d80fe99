// The target options every service takes: defaults, the token file, the ssh key.
#include "libs/runtime/runtime.h"

#include <stdlib.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>

#include "gtest/gtest.h"

namespace slipway::runtime {
namespace {

namespace fs = std::filesystem;

// Sets (or unsets, for nullopt) an environment variable for the test's lifetime.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, std::optional<std::string> value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value)
      ::setenv(name, value->c_str(), 1);
    else
      ::unsetenv(name);
  }
  ~ScopedEnv() {
    if (old_)
      ::setenv(name_, old_->c_str(), 1);
    else
      ::unsetenv(name_);
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

class TargetOptionsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("slipway-runtime-test-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path Write(const std::string& name, const std::string& content) {
    std::ofstream(dir_ / name, std::ios::binary) << content;
    return dir_ / name;
  }

  fs::path dir_;
  ScopedEnv no_token_{"SLIPWAY_GIT_TOKEN", std::nullopt};
};

TEST_F(TargetOptionsTest, DefaultMirrorRootFollowsXdgThenHome) {
  {
    ScopedEnv xdg("XDG_CACHE_HOME", "/xdg/cache");
    EXPECT_EQ(DefaultMirrorRoot(), fs::path("/xdg/cache/slipway/mirrors"));
  }
  {
    ScopedEnv xdg("XDG_CACHE_HOME", std::nullopt);
    ScopedEnv home("HOME", "/home/someone");
    EXPECT_EQ(DefaultMirrorRoot(), fs::path("/home/someone/.cache/slipway/mirrors"));
  }
  {
    ScopedEnv xdg("XDG_CACHE_HOME", "");
    ScopedEnv home("HOME", std::nullopt);
    EXPECT_EQ(DefaultMirrorRoot(), fs::temp_directory_path() / "slipway-mirrors");
  }
}

TEST_F(TargetOptionsTest, FlagsAndEnvironmentReachTheTargetConfig) {
  const fs::path token = Write("token", "tok-from-file-1234\n  \n");
  const fs::path key = Write("id_ed25519", "private\n");
  Write("id_ed25519.pub", "public\n");
  ScopedEnv mirror("SLIPWAY_MIRROR_DIR", (dir_ / "mirrors").string());
  CLI::App app;
  CommonConfig config;
  AddCommonOptions(app, config, "0.0.0.0:0");
  const std::string token_arg = token.string(), key_arg = key.string();
  const char* argv[] = {"svc",          "--brokers",        "b:9092",          "--database-url",
                        "postgres://x", "--git-token-file", token_arg.c_str(), "--ssh-key",
                        key_arg.c_str()};
  ASSERT_NO_THROW(app.parse(static_cast<int>(std::size(argv)), const_cast<char**>(argv)));
  ASSERT_TRUE(Finalize(config, "svc").ok());
  EXPECT_EQ(config.targets.mirror_root, dir_ / "mirrors");
  EXPECT_EQ(config.targets.credentials.token, "tok-from-file-1234");
  EXPECT_EQ(config.targets.credentials.ssh_private_key, key.string());
  EXPECT_EQ(config.targets.credentials.ssh_public_key, key.string() + ".pub");
}

TEST_F(TargetOptionsTest, TokenComesFromTheEnvironmentWhenNoFileIsNamed) {
  ScopedEnv token("SLIPWAY_GIT_TOKEN", "tok-env-5678\n");
  auto config = ResolveTargets({}, dir_ / "default");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->credentials.token, "tok-env-5678");
  EXPECT_EQ(config->mirror_root, dir_ / "default");
  EXPECT_TRUE(config->credentials.ssh_private_key.empty());
}

TEST_F(TargetOptionsTest, UnreadableOrEmptyTokenFileIsInvalidArgumentNamingTheFile) {
  TargetOptions options;
  options.token_file = (dir_ / "missing-token").string();
  absl::Status st = ResolveTargets(options, dir_).status();
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument) << st;
  EXPECT_NE(st.message().find(options.token_file), absl::string_view::npos) << st;

  options.token_file = Write("blank", " \n\n").string();
  st = ResolveTargets(options, dir_).status();
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument) << st;
  EXPECT_NE(st.message().find(options.token_file), absl::string_view::npos) << st;

  TargetOptions key;
  key.ssh_key = (dir_ / "no-key").string();
  st = ResolveTargets(key, dir_).status();
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument) << st;
  EXPECT_NE(st.message().find(key.ssh_key), absl::string_view::npos) << st;
}

TEST_F(TargetOptionsTest, SshKeyWithoutPublicKeyLeavesItEmpty) {
  TargetOptions options;
  options.ssh_key = Write("id_rsa", "private\n").string();
  auto config = ResolveTargets(options, dir_);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->credentials.ssh_private_key, options.ssh_key);
  EXPECT_TRUE(config->credentials.ssh_public_key.empty());
}

}  // namespace
}  // namespace slipway::runtime
