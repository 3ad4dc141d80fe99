#include "services/tester/sandbox.h"

#include <signal.h>
#include <sys/resource.h>

#include <chrono>
#include <thread>

#include "gtest/gtest.h"
#include "tests/harness/harness.h"

namespace slipway::tester {
namespace {

using namespace std::chrono_literals;
using testing::ReadFile;
using testing::TempDir;

SandboxLimits Quick() {
  SandboxLimits limits;
  limits.wall = 20s;
  limits.kill_grace = 500ms;
  return limits;
}

// True once `pid` is gone or a zombie (killed, waiting for init to reap it).
bool ProcessGone(pid_t pid) {
  auto deadline = std::chrono::steady_clock::now() + 3s;
  while (std::chrono::steady_clock::now() < deadline) {
    std::string stat = ReadFile("/proc/" + std::to_string(pid) + "/stat");
    if (stat.empty()) return true;
    size_t paren = stat.rfind(')');
    if (paren != std::string::npos && paren + 2 < stat.size() &&
        (stat[paren + 2] == 'Z' || stat[paren + 2] == 'X'))
      return true;
    std::this_thread::sleep_for(20ms);
  }
  return false;
}

TEST(Sandbox, ReportsExitCodesAndCapturesBothStreams) {
  TempDir dir("slipway-sandbox");
  auto ok = RunSandboxed("echo out; echo err >&2", dir.path(), {}, Quick());
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(ok->exit_code, 0);
  EXPECT_EQ(ok->term_signal, 0);
  EXPECT_FALSE(ok->timed_out);
  EXPECT_EQ(ok->output, "out\nerr\n");
  EXPECT_EQ(ok->output_bytes, 8u);

  auto three = RunSandboxed("exit 3", dir.path(), {}, Quick());
  ASSERT_TRUE(three.ok());
  EXPECT_EQ(three->exit_code, 3);

  auto killed = RunSandboxed("kill -9 $$", dir.path(), {}, Quick());
  ASSERT_TRUE(killed.ok());
  EXPECT_EQ(killed->exit_code, -1);
  EXPECT_EQ(killed->term_signal, SIGKILL);
}

TEST(Sandbox, RunsInCwdWithEnvironmentAndNoStdin) {
  TempDir dir("slipway-sandbox");
  auto run = RunSandboxed("pwd; echo \"$SLIPWAY_X $PYTHONDONTWRITEBYTECODE\"; cat", dir.path(),
                          {{"SLIPWAY_X", "hello world"}}, Quick());
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_EQ(run->output, std::filesystem::canonical(dir.path()).string() + "\nhello world 1\n");
}

TEST(Sandbox, MissingWorkingDirectoryIsAnError) {
  auto run = RunSandboxed("true", "/nonexistent/slipway", {}, Quick());
  ASSERT_FALSE(run.ok());
  EXPECT_NE(run.status().message().find("working directory"), std::string::npos);
}

TEST(Sandbox, TimeoutKillsSleepWithinTheWallLimit) {
  TempDir dir("slipway-sandbox");
  SandboxLimits limits = Quick();
  limits.wall = 1s;
  auto start = std::chrono::steady_clock::now();
  auto run = RunSandboxed("echo started; sleep 1000", dir.path(), {}, limits);
  auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_TRUE(run->timed_out);
  EXPECT_NE(run->term_signal, 0);
  EXPECT_EQ(run->output, "started\n");
  EXPECT_LT(elapsed, limits.wall + limits.kill_grace + 1s);
}

TEST(Sandbox, TimeoutKillsDaemonsLeftInTheGroup) {
  TempDir dir("slipway-sandbox");
  SandboxLimits limits = Quick();
  limits.wall = 1s;
  auto start = std::chrono::steady_clock::now();
  auto run =
      RunSandboxed("(sleep 1000 & echo $! > daemon.pid) ; sleep 1000", dir.path(), {}, limits);
  auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_TRUE(run->timed_out);
  EXPECT_LT(elapsed, limits.wall + limits.kill_grace + 1s);
  pid_t daemon = std::stoi(ReadFile(dir.path() / "daemon.pid"));
  EXPECT_TRUE(ProcessGone(daemon)) << daemon;
}

TEST(Sandbox, IgnoringSigtermGetsSigkillAfterGrace) {
  TempDir dir("slipway-sandbox");
  SandboxLimits limits = Quick();
  limits.wall = 500ms;
  limits.kill_grace = 300ms;
  auto start = std::chrono::steady_clock::now();
  auto run = RunSandboxed("trap '' TERM; while :; do sleep 0.05; done", dir.path(), {}, limits);
  auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_TRUE(run.ok());
  EXPECT_TRUE(run->timed_out);
  EXPECT_EQ(run->term_signal, SIGKILL);
  EXPECT_LT(elapsed, 3s);
}

TEST(Sandbox, NormalExitDoesNotWaitForDaemonsAndKillsThem) {
  TempDir dir("slipway-sandbox");
  auto start = std::chrono::steady_clock::now();
  auto run =
      RunSandboxed("(sleep 1000 & echo $! > daemon.pid); echo done", dir.path(), {}, Quick());
  ASSERT_TRUE(run.ok());
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  EXPECT_FALSE(run->timed_out);
  EXPECT_EQ(run->exit_code, 0);
  EXPECT_EQ(run->output, "done\n");
  pid_t daemon = std::stoi(ReadFile(dir.path() / "daemon.pid"));
  EXPECT_TRUE(ProcessGone(daemon)) << daemon;
}

TEST(Sandbox, FloodOfOutputStaysBounded) {
  TempDir dir("slipway-sandbox");
  SandboxLimits limits = Quick();
  limits.output_limit = 1 << 20;
  struct rusage before {};
  ::getrusage(RUSAGE_SELF, &before);
  auto run = RunSandboxed("head -c 52428800 /dev/zero | tr '\\0' x; echo; echo THE-END", dir.path(),
                          {}, limits);
  struct rusage after {};
  ::getrusage(RUSAGE_SELF, &after);
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_EQ(run->exit_code, 0);
  EXPECT_EQ(run->output_bytes, 52428800u + 1 + 8);
  EXPECT_LE(run->output.size(), limits.output_limit + 128);
  EXPECT_GE(run->output.size(), limits.output_limit);
  EXPECT_NE(run->output.find(kTruncationMarker), std::string::npos);
  EXPECT_TRUE(run->output.ends_with("\nTHE-END\n"));
  EXPECT_TRUE(run->output.starts_with("xxxx"));
  // ru_maxrss is in KiB: the peak grew by far less than the 50 MiB written.
  EXPECT_LT(after.ru_maxrss - before.ru_maxrss, 16 * 1024);
}

TEST(Sandbox, TruncationKeepsUtf8Whole) {
  TempDir dir("slipway-sandbox");
  SandboxLimits limits = Quick();
  limits.output_limit = 1001;
  auto run = RunSandboxed("i=0; while [ $i -lt 800 ]; do printf 'é'; i=$((i+1)); done", dir.path(),
                          {}, limits);
  ASSERT_TRUE(run.ok());
  EXPECT_EQ(run->output_bytes, 1600u);
  size_t marker = run->output.find(kTruncationMarker);
  ASSERT_NE(marker, std::string::npos);
  std::string head = run->output.substr(0, marker - 1);
  EXPECT_EQ(head.size() % 2, 0u);
  std::string tail = run->output.substr(run->output.find("]\n", marker) + 2);
  EXPECT_EQ(tail.size() % 2, 0u);
  EXPECT_TRUE(tail.starts_with("é"));
}

TEST(Sandbox, AppliesMemoryLimit) {
  TempDir dir("slipway-sandbox");
  SandboxLimits limits = Quick();
  limits.memory_bytes = 512ull << 20;
  auto small = RunSandboxed("python3 -c 'print(len(bytearray(1 << 20)))'", dir.path(), {}, limits);
  ASSERT_TRUE(small.ok());
  EXPECT_EQ(small->exit_code, 0) << small->output;
  auto large = RunSandboxed("python3 -c 'print(len(bytearray(2 << 30)))'", dir.path(), {}, limits);
  ASSERT_TRUE(large.ok());
  EXPECT_NE(large->exit_code, 0);
  EXPECT_NE(large->output.find("MemoryError"), std::string::npos) << large->output;
}

TEST(Sandbox, IsolatesNetworkWhenPermitted) {
  TempDir dir("slipway-sandbox");
  SandboxLimits limits = Quick();
  auto isolated = RunSandboxed("cat /proc/net/dev", dir.path(), {}, limits);
  ASSERT_TRUE(isolated.ok());
  if (isolated->network_isolated) {
    // Two header lines and the loopback interface only.
    EXPECT_EQ(std::count(isolated->output.begin(), isolated->output.end(), '\n'), 3)
        << isolated->output;
  }
  limits.isolate_network = false;
  auto shared = RunSandboxed("true", dir.path(), {}, limits);
  ASSERT_TRUE(shared.ok());
  EXPECT_FALSE(shared->network_isolated);
}

TEST(Sandbox, FileSizeLimitStopsAWriterAndTheCallerCarriesOn) {
  TempDir dir("slipway-sandbox");
  SandboxLimits limits = Quick();
  limits.file_bytes = 1 << 20;
  auto start = std::chrono::steady_clock::now();
  auto run = RunSandboxed("head -c 104857600 /dev/zero > big.bin", dir.path(), {}, limits);
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 10s);
  EXPECT_FALSE(run->timed_out);
  // `head` got SIGXFSZ; the shell reports it as 128 + the signal.
  EXPECT_EQ(run->exit_code, 128 + SIGXFSZ);
  EXPECT_EQ(std::filesystem::file_size(dir.path() / "big.bin"), 1u << 20);
}

TEST(Sandbox, AGibibyteOfOutputIsCountedNotKept) {
  TempDir dir("slipway-sandbox");
  SandboxLimits limits = Quick();
  limits.output_limit = 64 * 1024;
  auto start = std::chrono::steady_clock::now();
  auto run = RunSandboxed("head -c 1073741824 /dev/zero; echo THE-END", dir.path(), {}, limits);
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 30s);
  EXPECT_EQ(run->exit_code, 0);
  EXPECT_EQ(run->output_bytes, (1ull << 30) + 8);
  EXPECT_LE(run->output.size(), limits.output_limit + 128);
  EXPECT_NE(run->output.find(kTruncationMarker), std::string::npos);
  EXPECT_TRUE(run->output.ends_with("THE-END\n"));
}

TEST(Sandbox, RejectsTinyOutputLimit) {
  SandboxLimits limits;
  limits.output_limit = 10;
  EXPECT_EQ(RunSandboxed("true", "/", {}, limits).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace slipway::tester
