// Targets on local paths and the checks made before any network access; the remote cases are
// in target_remote_test.cc.
#include "libs/repo/target.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "gtest/gtest.h"

namespace slipway::repo {
namespace {

namespace fs = std::filesystem;

class TargetsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("slipway-target-test-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    work_ = dir_ / "work";
    fs::create_directories(work_);
    std::ofstream(work_ / "README.md") << "hello\n";
    const std::string cmd = "cd '" + work_.string() +
                            "' && git init -q && git add -A && "
                            "git -c user.name=t -c user.email=t@e commit -qm init";
    ASSERT_EQ(std::system(cmd.c_str()), 0);
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path dir_, work_;
};

TEST_F(TargetsTest, OpensLocalPathAndFileUrlInPlace) {
  TargetConfig config;
  config.mirror_root = dir_ / "mirrors";
  const Targets targets(config);

  auto by_path = targets.Open(work_.string());
  ASSERT_TRUE(by_path.ok()) << by_path.status();
  EXPECT_EQ(by_path->path(), work_);
  auto head = by_path->ResolveCommit("HEAD");
  ASSERT_TRUE(head.ok()) << head.status();

  // A commit is not checked (nor fetched) for a local repository: it is used as it is.
  auto by_url = targets.Open("file://" + work_.string(), *head);
  ASSERT_TRUE(by_url.ok()) << by_url.status();
  EXPECT_EQ(by_url->path(), work_);
  EXPECT_EQ(by_url->ResolveCommit("HEAD").value_or(""), *head);

  // Opened in place: nothing was mirrored.
  EXPECT_FALSE(fs::exists(config.mirror_root));
}

TEST_F(TargetsTest, MissingLocalPathIsNotFoundAndEmptyUrlIsInvalid) {
  const Targets targets;
  const std::string missing = (dir_ / "no-such-repo").string();
  absl::Status st = targets.Open(missing).status();
  EXPECT_EQ(st.code(), absl::StatusCode::kNotFound) << st;
  EXPECT_NE(st.message().find(missing), absl::string_view::npos) << st;
  EXPECT_EQ(targets.Open("file://" + missing).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(targets.Open("").status().code(), absl::StatusCode::kInvalidArgument);
  // An existing folder that is not a repository is Repository::Open's error.
  EXPECT_EQ(targets.Open(dir_.string()).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(TargetsTest, RemoteUrlWithoutMirrorFolderIsFailedPreconditionWithoutSecrets) {
  const Targets targets;  // no mirror folder
  absl::Status st =
      targets.Open("https://bot:tok-7e7e7e@example.invalid/o/r.git", std::string(40, 'a')).status();
  // Refused before any network access: a fetch would have failed with UNAVAILABLE.
  EXPECT_EQ(st.code(), absl::StatusCode::kFailedPrecondition) << st;
  EXPECT_EQ(st.message().find("tok-7e7e7e"), absl::string_view::npos) << st;
  EXPECT_EQ(st.message().find("bot"), absl::string_view::npos) << st;
  EXPECT_NE(st.message().find("https://example.invalid/o/r.git"), absl::string_view::npos) << st;
}

TEST_F(TargetsTest, MalformedCommitForRemoteUrlIsInvalidArgument) {
  TargetConfig config;
  config.mirror_root = dir_ / "mirrors";
  absl::Status st = Targets(config).Open("https://example.invalid/o/r.git", "main").status();
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument) << st;
  EXPECT_FALSE(fs::exists(config.mirror_root));
}

TEST(IsRemoteUrl, TellsNetworkUrlsFromLocalPaths) {
  EXPECT_TRUE(IsRemoteUrl("https://github.com/o/r.git"));
  EXPECT_TRUE(IsRemoteUrl("http://127.0.0.1:3000/o/r.git"));
  EXPECT_TRUE(IsRemoteUrl("ssh://git@example.com:2222/o/r.git"));
  EXPECT_TRUE(IsRemoteUrl("git://127.0.0.1:9418/r.git"));
  EXPECT_TRUE(IsRemoteUrl("git@github.com:o/r.git"));
  EXPECT_TRUE(IsRemoteUrl("example.com:o/r.git"));
  EXPECT_FALSE(IsRemoteUrl("file:///srv/git/r.git"));
  EXPECT_FALSE(IsRemoteUrl("/srv/git/r.git"));
  EXPECT_FALSE(IsRemoteUrl("./r"));
  EXPECT_FALSE(IsRemoteUrl("repos/r"));
  EXPECT_FALSE(IsRemoteUrl("../a:b"));  // a '/' before the ':' makes it a path
  EXPECT_FALSE(IsRemoteUrl(""));
}

TEST(MirrorPath, IgnoresCredentialsAndSeparatesRepositories) {
  const fs::path root = "/cache";
  const fs::path plain = MirrorPath("https://example.com/o/r.git", root);
  EXPECT_EQ(plain.parent_path(), root);
  EXPECT_EQ(plain.extension(), ".git");
  EXPECT_EQ(plain.stem().string().size(), 16u);
  EXPECT_EQ(MirrorPath("https://bot:tok@example.com/o/r.git", root), plain);
  EXPECT_NE(MirrorPath("https://example.com/o/other.git", root), plain);
}

}  // namespace
}  // namespace slipway::repo
