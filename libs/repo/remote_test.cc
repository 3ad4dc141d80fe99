#include "libs/repo/remote.h"

#include <httplib.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "libs/core/status.h"
#include "tests/harness/git_daemon.h"

namespace slipway::repo {
namespace {

namespace fs = std::filesystem;
using std::chrono::steady_clock;

std::string Quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// Runs a shell command; returns its stdout (trailing newline removed) and fails the test on
// a non-zero exit.
std::string Sh(const std::string& cmd) {
  std::string out;
  FILE* p = ::popen((cmd + " 2>&1").c_str(), "r");
  if (p == nullptr) {
    ADD_FAILURE() << "popen " << cmd;
    return out;
  }
  char buf[4096];
  while (size_t n = std::fread(buf, 1, sizeof(buf), p)) out.append(buf, n);
  int rc = ::pclose(p);
  EXPECT_EQ(rc, 0) << cmd << "\n" << out;
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

std::string Git(const fs::path& dir, const std::string& args) {
  return Sh("git -C " + Quote(dir.string()) +
            " -c user.name=Slipway -c user.email=slipway@example.invalid "
            "-c init.defaultBranch=main " +
            args);
}

void Commit(const fs::path& work, const std::string& file, const std::string& content) {
  std::ofstream(work / file) << content;
  Git(work, "add -A");
  Git(work, "commit -qm " + Quote("change " + file));
}

std::string ReadAll(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class RemoteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static std::atomic<int> counter{0};
    dir_ = fs::temp_directory_path() /
           ("slipway-remote-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    work_ = dir_ / "work";
    fs::create_directories(work_);
    Git(work_, "init -q");
    Commit(work_, "README.md", "hello\n");
    Git(work_, "branch feature");
    bare_ = dir_ / "remote.git";
    Sh("git init -q --bare " + Quote(bare_.string()));
  }

  void TearDown() override {
    StopDaemon();
    fs::remove_all(dir_);
  }

  Repository Open() {
    auto repo = Repository::Open(work_);
    EXPECT_TRUE(repo.ok()) << repo.status();
    return std::move(*repo);
  }

  std::string LocalTip(const std::string& branch) { return Git(work_, "rev-parse " + branch); }
  std::string BareTip(const std::string& branch) {
    return Git(bare_, "rev-parse refs/heads/" + branch);
  }

  // Moves `branch` of the bare remote from another clone, so the work repository does not
  // have the new commit.
  void MoveRemoteBranch(const std::string& branch) {
    fs::path other = dir_ / "other";
    Sh("git clone -q " + Quote(bare_.string()) + " " + Quote(other.string()));
    Git(other, "checkout -q " + branch);
    Commit(other, "other.txt", "from elsewhere\n");
    Git(other, "push -q origin " + branch);
  }

  // Serves dir_ over git:// with pushes enabled.
  void StartDaemon() {
    daemon_ = std::make_unique<slipway::testing::GitDaemon>(dir_);
    ASSERT_TRUE(daemon_->ok()) << daemon_->error();
  }

  void StopDaemon() { daemon_.reset(); }

  std::string DaemonUrl() const { return daemon_->url("remote.git"); }

  fs::path dir_, work_, bare_;
  std::unique_ptr<slipway::testing::GitDaemon> daemon_;
  Credentials none_;
};

TEST_F(RemoteTest, PushesNewBranchToBareRepositoryAndIsIdempotent) {
  Repository repo = Open();
  const std::string before = ReadAll(work_ / ".git" / "config");
  ASSERT_TRUE(PushBranch(repo, bare_.string(), "feature", none_).ok());
  EXPECT_EQ(BareTip("feature"), LocalTip("feature"));
  // Again: already up to date.
  EXPECT_TRUE(PushBranch(repo, bare_.string(), "feature", none_).ok());
  // file:// URL, fast-forward.
  Git(work_, "checkout -q feature");
  Commit(work_, "a.txt", "a\n");
  ASSERT_TRUE(PushBranch(repo, "file://" + bare_.string(), "feature", none_).ok());
  EXPECT_EQ(BareTip("feature"), LocalTip("feature"));
  auto tip = RemoteBranchTip(bare_.string(), "feature", none_);
  ASSERT_TRUE(tip.ok()) << tip.status();
  EXPECT_EQ(*tip, LocalTip("feature"));
  EXPECT_EQ(RemoteBranchTip(bare_.string(), "absent", none_).status().code(),
            absl::StatusCode::kNotFound);
  // Nothing about the remote was written into the repository's configuration.
  EXPECT_EQ(ReadAll(work_ / ".git" / "config"), before);
}

TEST_F(RemoteTest, NonFastForwardIsRefusedUntilForced) {
  Repository repo = Open();
  ASSERT_TRUE(PushBranch(repo, bare_.string(), "feature", none_).ok());
  MoveRemoteBranch("feature");
  const std::string moved = BareTip("feature");
  Git(work_, "checkout -q feature");
  Commit(work_, "mine.txt", "mine\n");
  absl::Status st = PushBranch(repo, bare_.string(), "feature", none_);
  EXPECT_EQ(st.code(), absl::StatusCode::kFailedPrecondition) << st;
  EXPECT_NE(st.message().find("non-fast-forward"), absl::string_view::npos) << st;
  EXPECT_FALSE(IsRetryable(st));
  EXPECT_EQ(BareTip("feature"), moved);
  ASSERT_TRUE(PushBranch(repo, bare_.string(), "feature", none_, /*force=*/true).ok());
  EXPECT_EQ(BareTip("feature"), LocalTip("feature"));
}

TEST_F(RemoteTest, DeletesRemoteBranchAndAbsentBranchIsOk) {
  Repository repo = Open();
  ASSERT_TRUE(PushBranch(repo, bare_.string(), "feature", none_).ok());
  ASSERT_TRUE(DeleteRemoteBranch(repo, bare_.string(), "feature", none_).ok());
  EXPECT_EQ(RemoteBranchTip(bare_.string(), "feature", none_).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_TRUE(DeleteRemoteBranch(repo, bare_.string(), "feature", none_).ok());
}

TEST_F(RemoteTest, RejectsBadArguments) {
  Repository repo = Open();
  EXPECT_EQ(PushBranch(repo, bare_.string(), "no-such-branch", none_).code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(PushBranch(repo, bare_.string(), "bad..name", none_).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(PushBranch(repo, "", "feature", none_).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(PushBranch(repo, (dir_ / "missing.git").string(), "feature", none_).code(),
            absl::StatusCode::kNotFound);
}

TEST_F(RemoteTest, PushesOverGitDaemon) {
  StartDaemon();
  Repository repo = Open();
  ASSERT_TRUE(PushBranch(repo, DaemonUrl(), "feature", none_).ok());
  EXPECT_EQ(BareTip("feature"), LocalTip("feature"));
  EXPECT_TRUE(PushBranch(repo, DaemonUrl(), "feature", none_).ok());
  auto tip = RemoteBranchTip(DaemonUrl(), "feature", none_);
  ASSERT_TRUE(tip.ok()) << tip.status();
  EXPECT_EQ(*tip, LocalTip("feature"));

  MoveRemoteBranch("feature");
  Git(work_, "checkout -q feature");
  Commit(work_, "mine.txt", "mine\n");
  absl::Status st = PushBranch(repo, DaemonUrl(), "feature", none_);
  EXPECT_EQ(st.code(), absl::StatusCode::kFailedPrecondition) << st;
  EXPECT_NE(st.message().find("non-fast-forward"), absl::string_view::npos) << st;
  ASSERT_TRUE(PushBranch(repo, DaemonUrl(), "feature", none_, /*force=*/true).ok());
  EXPECT_EQ(BareTip("feature"), LocalTip("feature"));

  ASSERT_TRUE(DeleteRemoteBranch(repo, DaemonUrl(), "feature", none_).ok());
  EXPECT_EQ(RemoteBranchTip(DaemonUrl(), "feature", none_).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_TRUE(DeleteRemoteBranch(repo, DaemonUrl(), "feature", none_).ok());
}

TEST_F(RemoteTest, HookRejectionIsFailedPreconditionWithTheHooksMessage) {
  const fs::path hook = bare_ / "hooks" / "pre-receive";
  std::ofstream(hook) << "#!/bin/sh\necho 'slipway-policy: branch feature is frozen' >&2\nexit 1\n";
  fs::permissions(hook, fs::perms::owner_all, fs::perm_options::add);
  StartDaemon();
  Repository repo = Open();
  absl::Status st = PushBranch(repo, DaemonUrl(), "feature", none_);
  EXPECT_EQ(st.code(), absl::StatusCode::kFailedPrecondition) << st;
  EXPECT_NE(st.message().find("slipway-policy: branch feature is frozen"), absl::string_view::npos)
      << st;
  EXPECT_NE(st.message().find("pre-receive hook declined"), absl::string_view::npos) << st;
  EXPECT_EQ(RemoteBranchTip(DaemonUrl(), "feature", none_).status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(RemoteTest, UnreachableRemoteIsRetryableUnavailable) {
  Repository repo = Open();
  const std::string url =
      "git://127.0.0.1:" + std::to_string(slipway::testing::FreeLoopbackPort()) + "/remote.git";
  absl::Status st = PushBranch(repo, url, "feature", none_);
  EXPECT_EQ(st.code(), absl::StatusCode::kUnavailable) << st;
  EXPECT_TRUE(IsRetryable(st));
  EXPECT_EQ(RemoteBranchTip(url, "feature", none_).status().code(), absl::StatusCode::kUnavailable);
  auto mirror = SyncMirror(url, dir_ / "cache", none_);
  EXPECT_EQ(mirror.status().code(), absl::StatusCode::kUnavailable) << mirror.status();
  for (const auto& entry : fs::directory_iterator(dir_ / "cache"))
    EXPECT_EQ(entry.path().extension(), ".lock") << entry.path();
}

TEST_F(RemoteTest, TokenInUrlNeverAppearsInErrorsOrConfig) {
  Repository repo = Open();
  const std::string before = ReadAll(work_ / ".git" / "config");
  const int port = slipway::testing::FreeLoopbackPort();
  Credentials creds;
  creds.token = "tok-creds-5f1e2d";
  for (const char* scheme : {"http", "https", "git"}) {
    const std::string url = std::string(scheme) +
                            "://bot:tok-url-9c8b7a@127.0.0.1:" + std::to_string(port) +
                            "/remote.git";
    absl::Status st = PushBranch(repo, url, "feature", creds);
    EXPECT_FALSE(st.ok());
    EXPECT_EQ(st.message().find("tok-url-9c8b7a"), absl::string_view::npos) << st;
    EXPECT_EQ(st.message().find("tok-creds-5f1e2d"), absl::string_view::npos) << st;
    EXPECT_NE(st.message().find("127.0.0.1"), absl::string_view::npos) << st;
    auto tip = RemoteBranchTip(url, "feature", creds);
    EXPECT_EQ(tip.status().message().find("tok-url-9c8b7a"), absl::string_view::npos);
  }
  EXPECT_EQ(ReadAll(work_ / ".git" / "config"), before);
  EXPECT_EQ(RedactUrl("https://bot:secret@example.com/o/r.git"), "https://example.com/o/r.git");
  EXPECT_EQ(RedactUrl("git@example.com:o/r.git"), "example.com:o/r.git");
  EXPECT_EQ(RedactUrl("/srv/git/r.git"), "/srv/git/r.git");
}

// An http server that refuses every request with 401: the credential callback must give up
// after one refused attempt instead of looping.
TEST_F(RemoteTest, RefusedCredentialsAreUnauthenticatedWithoutLooping) {
  httplib::Server server;
  std::atomic<int> requests{0};
  auto refuse = [&requests](const httplib::Request&, httplib::Response& res) {
    ++requests;
    res.status = 401;
    res.set_header("WWW-Authenticate", "Basic realm=\"slipway\"");
    res.set_content("denied", "text/plain");
  };
  server.Get(".*", refuse);
  server.Post(".*", refuse);
  const int port = server.bind_to_any_port("127.0.0.1");
  ASSERT_GT(port, 0);
  struct Serving {
    httplib::Server& server;
    std::thread thread;
    ~Serving() {
      server.stop();
      thread.join();
    }
  } serving{server, std::thread([&server] { server.listen_after_bind(); })};
  const auto deadline = steady_clock::now() + std::chrono::seconds(10);
  while (!server.is_running() && steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  ASSERT_TRUE(server.is_running());

  Repository repo = Open();
  const std::string url = "http://127.0.0.1:" + std::to_string(port) + "/remote.git";
  Credentials creds;
  creds.token = "tok-refused-4a4a";
  absl::Status st = PushBranch(repo, url, "feature", creds);
  EXPECT_EQ(st.code(), absl::StatusCode::kUnauthenticated) << st;
  EXPECT_NE(st.message().find(url), absl::string_view::npos) << st;
  EXPECT_EQ(st.message().find("tok-refused-4a4a"), absl::string_view::npos) << st;
  EXPECT_LE(requests.load(), 4);

  st = PushBranch(repo, url, "feature", none_);
  EXPECT_EQ(st.code(), absl::StatusCode::kUnauthenticated) << st;
  EXPECT_EQ(RemoteBranchTip(url, "feature", none_).status().code(),
            absl::StatusCode::kUnauthenticated);
}

TEST_F(RemoteTest, SyncMirrorClonesThenFetchesAndPrunes) {
  Repository repo = Open();
  ASSERT_TRUE(PushBranch(repo, bare_.string(), "feature", none_).ok());
  Commit(work_, "main.txt", "main only\n");
  ASSERT_TRUE(PushBranch(repo, bare_.string(), "main", none_).ok());
  Git(bare_, "symbolic-ref HEAD refs/heads/main");
  const fs::path cache = dir_ / "cache";

  auto mirror = SyncMirror(bare_.string(), cache, none_);
  ASSERT_TRUE(mirror.ok()) << mirror.status();
  EXPECT_EQ(mirror->parent_path(), cache);
  EXPECT_EQ(mirror->extension(), ".git");
  EXPECT_EQ(mirror->stem().string().size(), 16u);
  EXPECT_EQ(Git(*mirror, "rev-parse --is-bare-repository"), "true");
  EXPECT_EQ(Git(*mirror, "rev-parse refs/heads/main"), BareTip("main"));
  EXPECT_EQ(Git(*mirror, "rev-parse refs/heads/feature"), BareTip("feature"));
  EXPECT_EQ(Git(*mirror, "symbolic-ref HEAD"), "refs/heads/main");
  EXPECT_EQ(Git(*mirror, "config --get-regexp '^remote\\.' || true"), "");

  // A new commit on the origin and a deleted branch.
  Git(work_, "checkout -q main");
  Commit(work_, "next.txt", "next\n");
  ASSERT_TRUE(PushBranch(repo, bare_.string(), "main", none_).ok());
  ASSERT_TRUE(DeleteRemoteBranch(repo, bare_.string(), "feature", none_).ok());
  auto again = SyncMirror(bare_.string(), cache, none_);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(*again, *mirror);
  EXPECT_EQ(Git(*mirror, "rev-parse refs/heads/main"), LocalTip("main"));
  EXPECT_EQ(Git(*mirror, "for-each-ref --format='%(refname)' refs/heads/"), "refs/heads/main");
}

TEST_F(RemoteTest, SyncMirrorOverGitDaemonSerialisesConcurrentCallers) {
  Repository repo = Open();
  ASSERT_TRUE(PushBranch(repo, bare_.string(), "main", none_).ok());
  StartDaemon();
  const fs::path cache = dir_ / "cache";
  std::vector<absl::StatusOr<fs::path>> results(3, absl::UnknownError("not run"));
  std::vector<std::thread> threads;
  for (size_t i = 0; i < results.size(); ++i)
    threads.emplace_back(
        [&, i] { results[i] = SyncMirror(DaemonUrl(), cache, none_, /*depth=*/1); });
  for (auto& t : threads) t.join();
  for (const auto& r : results) {
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(*r, *results[0]);
  }
  EXPECT_EQ(Git(*results[0], "rev-parse refs/heads/main"), BareTip("main"));
  EXPECT_FALSE(fs::exists(cache / (results[0]->stem().string() + ".git.partial")));
}

}  // namespace
}  // namespace slipway::repo
