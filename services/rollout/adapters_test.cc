// The adapters against real things: hook scripts run by the hook runner and the command
// adapter, a real nginx proxying to two loopback backends for the nginx adapter, and the real
// kubectl talking to a Kubernetes API server on loopback for the kubernetes adapter.
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <thread>

#include "services/rollout/adapter.h"
#include "services/rollout/command_adapter.h"
#include "services/rollout/kubernetes_adapter.h"
#include "services/rollout/nginx_adapter.h"
#include "tests/harness/git_daemon.h"
#include "tests/harness/harness.h"
#include "tests/harness/nginx_server.h"

namespace slipway::rollout {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;
using Clock = std::chrono::steady_clock;
using Strings = std::vector<std::string>;
using testing::ReadFile;
using testing::TempDir;
using testing::WaitFor;
using testing::WriteFile;

std::string Message(const absl::Status& st) { return std::string(st.message()); }

fs::path Script(const fs::path& path, const std::string& body) {
  WriteFile(path, "#!/bin/sh\n" + body);
  fs::permissions(path, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                            fs::perms::others_read | fs::perms::others_exec);
  return path;
}

int Lines(const std::string& text) {
  return static_cast<int>(std::count(text.begin(), text.end(), '\n'));
}

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Whether `pid` is gone (or a zombie waiting for its reaper).
bool ProcessGone(pid_t pid) {
  const std::string stat = ReadFile("/proc/" + std::to_string(pid) + "/stat");
  if (stat.empty()) return true;
  const size_t paren = stat.rfind(')');
  return paren != std::string::npos && paren + 2 < stat.size() && stat[paren + 2] == 'Z';
}

ReleaseTarget Target(const std::string& release, const std::string& version = "v2") {
  ReleaseTarget t;
  t.deployment_id = "dep-1";
  t.release_id = release;
  t.environment = "production";
  t.version = version;
  t.previous_version = "v1";
  t.repository = "acme/shop";
  t.branch = "main";
  return t;
}

// ---------------------------------------------------------------------------------------------
// The hook runner

TEST(RunHook, EnvironmentExitStatusAndOutputAreRecorded) {
  TempDir dir;
  const fs::path hook = Script(dir.path() / "weight.sh",
                               "echo \"action=$SLIPWAY_ACTION weight=$SLIPWAY_WEIGHT "
                               "slot=$SLIPWAY_SLOT release=$SLIPWAY_RELEASE_ID arg=$1\"\n"
                               "echo 'load balancer refused the change' >&2\n"
                               "exit 3\n");
  const Slots slots{"stable", "canary"};
  std::vector<HookRun> runs;
  auto out = RunHook({"weight",
                      {hook.string(), "first"},
                      ActionEnvironment(Target("r1"), slots, "weight", "canary", 25)},
                     runs);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(Message(out.status()),
            "hook weight (" + hook.string() +
                ") exited with status 3; last output: action=weight weight=25 slot=canary "
                "release=r1 arg=first | load balancer refused the change");
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].name, "weight");
  EXPECT_EQ(runs[0].argv, (Strings{hook.string(), "first"}));
  EXPECT_EQ(runs[0].exit_code, 3);
  EXPECT_EQ(runs[0].output,
            "action=weight weight=25 slot=canary release=r1 arg=first\n"
            "load balancer refused the change\n");
  EXPECT_GT(runs[0].ms, 0);
}

TEST(RunHook, ReturnsStdoutAloneAndFindsProgramsOnPath) {
  std::vector<HookRun> runs;
  auto out = RunHook({"status", {"sh", "-c", "echo 42; echo noise >&2"}, {{"X", "1"}}}, runs);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(*out, "42\n");
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].exit_code, 0);
  EXPECT_NE(runs[0].output.find("noise"), std::string::npos);
}

TEST(RunHook, AMissingOrUnrunnableProgramIsANamedError) {
  TempDir dir;
  std::vector<HookRun> runs;
  auto missing = RunHook({"prepare", {"no-such-deploy-tool-x"}, {}}, runs);
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(
      Message(missing.status())
          .rfind("hook prepare: cannot start \"no-such-deploy-tool-x\": not found on PATH", 0),
      0u)
      << missing.status();
  WriteFile(dir.path() / "plain.txt", "not a program\n");
  auto not_executable = RunHook({"prepare", {(dir.path() / "plain.txt").string()}, {}}, runs);
  EXPECT_EQ(Message(not_executable.status()), "hook prepare: cannot start \"" +
                                                  (dir.path() / "plain.txt").string() +
                                                  "\": Permission denied");
  EXPECT_TRUE(runs.empty());
}

TEST(RunHook, AHungHookAndItsChildrenAreKilledAtTheTimeout) {
  TempDir dir;
  const fs::path pid_file = dir.path() / "child.pid";
  const fs::path hook =
      Script(dir.path() / "hang.sh",
             "sleep 1000 &\necho $! > " + pid_file.string() + "\necho started\nwait\n");
  std::vector<HookRun> runs;
  const auto start = Clock::now();
  auto out = RunHook({"prepare", {hook.string()}, {}, std::chrono::milliseconds(300)}, runs);
  const double took = SecondsSince(start);
  EXPECT_EQ(out.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(Message(out.status()),
            "hook prepare (" + hook.string() +
                ") did not finish within 300ms and was killed (SIGTERM, then SIGKILL to its "
                "process group); last output: started");
  EXPECT_GE(took, 0.3);
  EXPECT_LT(took, 2.0);  // SIGTERM ended it: no wait for the grace period
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].exit_code, 128 + SIGTERM);
  const pid_t child = std::stoi(ReadFile(pid_file));
  EXPECT_TRUE(WaitFor([&] { return ProcessGone(child); }, std::chrono::seconds(5)));
}

TEST(RunHook, AHookIgnoringSigtermGetsSigkillAfterTheGrace) {
  TempDir dir;
  const fs::path hook = Script(dir.path() / "stubborn.sh", "trap '' TERM\nsleep 1000\n");
  std::vector<HookRun> runs;
  const auto start = Clock::now();
  auto out = RunHook({"retire", {hook.string()}, {}, std::chrono::milliseconds(200)}, runs);
  const double took = SecondsSince(start);
  EXPECT_EQ(out.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_GE(took, 2.2);  // the timeout, then the 2 s grace
  EXPECT_LT(took, 6.0);
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].exit_code, 128 + SIGKILL);
}

TEST(RunHook, OutputIsCappedWithANote) {
  std::vector<HookRun> runs;
  auto out = RunHook(
      {"prepare", {"sh", "-c", "head -c 300000 /dev/zero | tr '\\0' x; echo; echo END"}, {}}, runs);
  ASSERT_TRUE(out.ok()) << out.status();
  ASSERT_EQ(runs.size(), 1u);
  const std::string& output = runs[0].output;
  EXPECT_LE(output.size(), kHookOutputLimit + 200);
  EXPECT_GE(output.size(), kHookOutputLimit);
  EXPECT_NE(output.find("[slipway: "), std::string::npos);
  EXPECT_NE(output.find("bytes of output dropped here, 300005 in all]"), std::string::npos)
      << output.substr(16 * 1024, 200);
  EXPECT_EQ(output.substr(output.size() - 4), "END\n");
  EXPECT_EQ(out->size(), 300005u);  // stdout itself is read back whole
}

TEST(RunHook, ProcessesLeftRunningDoNotHoldTheHook) {
  TempDir dir;
  const fs::path pid_file = dir.path() / "server.pid";
  const fs::path hook =
      Script(dir.path() / "start.sh",
             "sleep 30 &\necho $! > " + pid_file.string() + "\necho server started\n");
  std::vector<HookRun> runs;
  const auto start = Clock::now();
  auto out = RunHook({"prepare", {hook.string()}, {}}, runs);
  EXPECT_LT(SecondsSince(start), 5.0);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(*out, "server started\n");
  const pid_t server = std::stoi(ReadFile(pid_file));
  EXPECT_FALSE(ProcessGone(server));  // a hook may start a server; it is left running
  ::kill(server, SIGKILL);
}

// ---------------------------------------------------------------------------------------------
// The command adapter

class CommandAdapterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    log_ = dir_.path() / "calls.log";
    hook_ = Script(dir_.path() / "hook.sh",
                   "if [ -e \"" + (dir_.path() / "fail-$1").string() +
                       "\" ]; then echo \"$1: cannot reach the load balancer\" >&2; exit 7; fi\n"
                       "echo \"$1 action=$SLIPWAY_ACTION weight=$SLIPWAY_WEIGHT "
                       "slot=$SLIPWAY_SLOT stable=$SLIPWAY_STABLE_SLOT canary=$SLIPWAY_CANARY_SLOT "
                       "release=$SLIPWAY_RELEASE_ID version=$SLIPWAY_VERSION "
                       "previous=$SLIPWAY_PREVIOUS_VERSION deployment=$SLIPWAY_DEPLOYMENT_ID "
                       "environment=$SLIPWAY_ENVIRONMENT repository=$SLIPWAY_REPOSITORY "
                       "branch=$SLIPWAY_BRANCH\" >> " +
                       log_.string() + "\n");
  }

  Json Config() const {
    auto hook = [&](const std::string& name) { return Json::array({hook_.string(), name}); };
    return {{"kind", "command"},
            {"hooks",
             {{"prepare", hook("prepare")},
              {"weight", hook("weight")},
              {"promote", hook("promote")},
              {"rollback", hook("rollback")}}},
            {"state_file", (dir_.path() / "state" / "app.json").string()}};
  }

  std::unique_ptr<Adapter> Make(const Json& config) {
    auto adapter = MakeAdapter(config);
    EXPECT_TRUE(adapter.ok()) << adapter.status();
    return adapter.ok() ? std::move(*adapter) : nullptr;
  }

  std::string Log() const { return ReadFile(log_); }
  void Fail(const std::string& hook) { WriteFile(dir_.path() / ("fail-" + hook), ""); }
  void Heal(const std::string& hook) { fs::remove(dir_.path() / ("fail-" + hook)); }

  TempDir dir_;
  fs::path log_;
  fs::path hook_;
};

TEST_F(CommandAdapterTest, HooksGetTheReleaseAndReplaysRunNothing) {
  auto adapter = Make(Config());
  ASSERT_TRUE(adapter);
  const ReleaseTarget r1 = Target("r1");
  auto slots = adapter->Plan(r1);
  ASSERT_TRUE(slots.ok());

  auto prepared = adapter->Prepare(r1, *slots);
  ASSERT_TRUE(prepared.ok()) << prepared.status();
  EXPECT_TRUE(prepared->changed);
  EXPECT_EQ(prepared->action, "prepare");
  EXPECT_EQ(prepared->weight, 0);
  ASSERT_EQ(prepared->hooks.size(), 1u);
  EXPECT_EQ(prepared->hooks[0].exit_code, 0);
  EXPECT_EQ(Log(),
            "prepare action=prepare weight=0 slot=canary stable=stable canary=canary release=r1 "
            "version=v2 previous=v1 deployment=dep-1 environment=production repository=acme/shop "
            "branch=main\n");

  auto again = adapter->Prepare(r1, *slots);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_FALSE(again->changed);
  EXPECT_TRUE(again->hooks.empty());
  EXPECT_EQ(Lines(Log()), 1);

  auto w25 = adapter->SetWeight(r1, *slots, 25);
  ASSERT_TRUE(w25.ok()) << w25.status();
  EXPECT_TRUE(w25->changed);
  EXPECT_EQ(w25->weight, 25);
  EXPECT_NE(Log().find("weight action=weight weight=25 slot=canary"), std::string::npos);
  auto w25_again = adapter->SetWeight(r1, *slots, 25);
  ASSERT_TRUE(w25_again.ok());
  EXPECT_FALSE(w25_again->changed);
  EXPECT_TRUE(w25_again->hooks.empty());
  EXPECT_EQ(Lines(Log()), 2);
  EXPECT_EQ(*adapter->CurrentWeight(r1, *slots), 25);

  // A restarted service builds a new adapter from the same configuration: same answer.
  auto restarted = Make(Config());
  auto replay = restarted->SetWeight(r1, *slots, 25);
  ASSERT_TRUE(replay.ok());
  EXPECT_FALSE(replay->changed);
  EXPECT_EQ(Lines(Log()), 2);

  auto promoted = adapter->Promote(r1, *slots);
  ASSERT_TRUE(promoted.ok()) << promoted.status();
  EXPECT_TRUE(promoted->changed);
  EXPECT_EQ(promoted->weight, 100);
  auto promoted_again = adapter->Promote(r1, *slots);
  ASSERT_TRUE(promoted_again.ok());
  EXPECT_FALSE(promoted_again->changed);
  EXPECT_EQ(Lines(Log()), 3);

  const Json state = Json::parse(ReadFile(dir_.path() / "state" / "app.json"));
  EXPECT_EQ(
      state,
      (Json{{"release_id", "r1"}, {"action", "promote"}, {"weight", 100}, {"version", "v2"}}));
}

TEST_F(CommandAdapterTest, AFailingHookIsANamedErrorAndIsNotRecorded) {
  auto adapter = Make(Config());
  const ReleaseTarget r1 = Target("r1");
  const Slots slots{"stable", "canary"};
  ASSERT_TRUE(adapter->Prepare(r1, slots).ok());
  ASSERT_TRUE(adapter->SetWeight(r1, slots, 5).ok());

  Fail("weight");
  auto failed = adapter->SetWeight(r1, slots, 25);
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(Message(failed.status()),
            "command: hook weight (" + hook_.string() +
                ") exited with status 7; last output: weight: cannot reach the load balancer");
  EXPECT_EQ(*adapter->CurrentWeight(r1, slots), 5);

  // The retry after the failure runs the hook again.
  Heal("weight");
  auto retried = adapter->SetWeight(r1, slots, 25);
  ASSERT_TRUE(retried.ok()) << retried.status();
  EXPECT_TRUE(retried->changed);
  EXPECT_EQ(*adapter->CurrentWeight(r1, slots), 25);
}

TEST_F(CommandAdapterTest, FinishedAndUnpreparedReleasesAreRefused) {
  auto adapter = Make(Config());
  const Slots slots{"stable", "canary"};
  const ReleaseTarget r1 = Target("r1"), r2 = Target("r2", "v3");

  auto unprepared = adapter->SetWeight(r1, slots, 25);
  EXPECT_EQ(unprepared.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(Message(unprepared.status()).find("release r1 was not prepared on this target"),
            std::string::npos)
      << unprepared.status();

  ASSERT_TRUE(adapter->Prepare(r1, slots).ok());
  ASSERT_TRUE(adapter->Promote(r1, slots).ok());
  auto after = adapter->SetWeight(r1, slots, 10);
  EXPECT_EQ(after.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(Message(after.status()).find("release r1 was already promoted"), std::string::npos);
  EXPECT_FALSE(adapter->Rollback(r1, slots).ok());
  EXPECT_EQ(Lines(Log()), 2);

  // Rollback is the compensation of a Prepare that failed half-way: it always runs.
  Fail("prepare");
  EXPECT_FALSE(adapter->Prepare(r2, slots).ok());
  Heal("prepare");
  auto rolled_back = adapter->Rollback(r2, slots);
  ASSERT_TRUE(rolled_back.ok()) << rolled_back.status();
  EXPECT_TRUE(rolled_back->changed);
  EXPECT_NE(Log().find("rollback action=rollback weight=0 slot=canary stable=stable "
                       "canary=canary release=r2 version=v3"),
            std::string::npos);
  auto bad_slots = adapter->SetWeight(r2, {"blue", "green"}, 10);
  EXPECT_EQ(bad_slots.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(CommandAdapterTest, StatusHookAnswersTheWeight) {
  Json config = Config();
  const fs::path answer = dir_.path() / "answer";
  config["hooks"]["status"] = Json::array({"cat", answer.string()});
  auto adapter = Make(config);
  const Slots slots{"stable", "canary"};
  WriteFile(answer, "42\n");
  EXPECT_EQ(*adapter->CurrentWeight(Target("r1"), slots), 42);
  WriteFile(answer, "lots\n");
  auto bad = adapter->CurrentWeight(Target("r1"), slots);
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(Message(bad.status()),
            "command: hook status printed \"lots\", not the canary's share (a number from 0 to "
            "100)");
}

TEST_F(CommandAdapterTest, AHungHookFailsTheActionAtItsTimeout) {
  Json config = Config();
  config["timeout"] = "400ms";
  config["hooks"]["prepare"] = Json::array({"sleep", "600"});
  auto adapter = Make(config);
  const auto start = Clock::now();
  auto prepared = adapter->Prepare(Target("r1"), {"stable", "canary"});
  EXPECT_LT(SecondsSince(start), 3.0);
  EXPECT_EQ(prepared.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(Message(prepared.status()).find("hook prepare (sleep) did not finish within 400ms"),
            std::string::npos)
      << prepared.status();
  // Nothing was recorded: the next attempt runs the hook again.
  EXPECT_FALSE(fs::exists(dir_.path() / "state" / "app.json"));
}

TEST_F(CommandAdapterTest, ACorruptStateFileIsNamed) {
  auto adapter = Make(Config());
  WriteFile(dir_.path() / "state" / "app.json", "{\"release_id\": ");
  auto prepared = adapter->Prepare(Target("r1"), {"stable", "canary"});
  EXPECT_EQ(prepared.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(Message(prepared.status())
                .find("command.state_file " + (dir_.path() / "state" / "app.json").string() +
                      ": not valid JSON"),
            std::string::npos)
      << prepared.status();
  EXPECT_EQ(Lines(Log()), 0);
}

// ---------------------------------------------------------------------------------------------
// The nginx adapter against a real nginx

// An HTTP server on loopback answering every GET with its name.
class Backend {
 public:
  explicit Backend(std::string name) : name_(std::move(name)) {
    server_.Get(".*", [this](const httplib::Request&, httplib::Response& res) {
      res.set_content(name_, "text/plain");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    WaitFor([&] { return server_.is_running(); }, std::chrono::seconds(5));
  }
  ~Backend() {
    server_.stop();
    thread_.join();
  }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }

 private:
  std::string name_;
  httplib::Server server_;
  int port_ = -1;
  std::thread thread_;
};

// `n` requests through nginx, counted by the backend that answered.
std::map<std::string, int> Spread(int port, int n = 100) {
  std::map<std::string, int> counts;
  httplib::Client client("127.0.0.1", port);
  for (int i = 0; i < n; ++i) {
    auto res = client.Get("/");
    ++counts[res ? (res->status == 200 ? res->body : "status " + std::to_string(res->status))
                 : "no answer"];
  }
  return counts;
}

struct FileId {
  ino_t inode;
  int64_t mtime_ns;
  bool operator==(const FileId&) const = default;
};

FileId Identify(const fs::path& path) {
  struct stat st {};
  ::stat(path.c_str(), &st);
  return {st.st_ino, st.st_mtim.tv_sec * 1'000'000'000LL + st.st_mtim.tv_nsec};
}

class NginxAdapterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (testing::NginxBinary().empty()) GTEST_SKIP() << "nginx is not installed";
    file_ = dir_.path() / "conf.d" / "app-upstream.conf";
    // The host already serves blue, from an earlier release.
    auto config = NginxAdapter::Parse(Config({"true"}, {}));
    ASSERT_TRUE(config.ok()) << config.status();
    WriteFile(file_, NginxAdapter::Render(*config, {"blue", "green", 0, "r0", "promoted", true}));
    nginx_ = std::make_unique<testing::NginxServer>(dir_.path() / "nginx", file_, "app");
    ASSERT_TRUE(nginx_->ok()) << nginx_->error();
  }

  Json Config(const Strings& reload, const Strings& test) const {
    Json j = {
        {"kind", "nginx"},
        {"upstream", "app"},
        {"file", file_.string()},
        {"slots", Json::array({{{"name", "blue"}, {"address", blue_.address()}},
                               {{"name", "green"}, {"address", green_.address()}}})},
        {"reload", reload},
        {"hooks",
         {{"prepare", {hooks_.string(), "prepare"}}, {"retire", {hooks_.string(), "retire"}}}}};
    if (!test.empty()) j["test"] = test;
    return j;
  }

  std::unique_ptr<Adapter> Make() {
    auto adapter = MakeAdapter(Config(nginx_->ReloadArgv(), nginx_->TestArgv()));
    EXPECT_TRUE(adapter.ok()) << adapter.status();
    return adapter.ok() ? std::move(*adapter) : nullptr;
  }

  static Strings HookNames(const ActionRecord& r) {
    Strings names;
    for (const auto& h : r.hooks) names.push_back(h.name);
    return names;
  }

  TempDir dir_;
  Backend blue_{"blue"};
  Backend green_{"green"};
  fs::path file_;
  fs::path hook_log_ = dir_.path() / "hooks.log";
  fs::path hooks_ = Script(dir_.path() / "slot-hook.sh",
                           "echo \"$1 action=$SLIPWAY_ACTION slot=$SLIPWAY_SLOT "
                           "address=$SLIPWAY_ADDRESS release=$SLIPWAY_RELEASE_ID\" >> " +
                               (dir_.path() / "hooks.log").string() + "\n");
  std::unique_ptr<testing::NginxServer> nginx_;
};

TEST_F(NginxAdapterTest, CanaryStepsPromotionAndRollbackThroughNginx) {
  auto adapter = Make();
  ASSERT_TRUE(adapter);
  EXPECT_EQ(Spread(nginx_->port()), (std::map<std::string, int>{{"blue", 100}}));

  const ReleaseTarget r1 = Target("r1");
  auto slots = adapter->Plan(r1);
  ASSERT_TRUE(slots.ok()) << slots.status();
  EXPECT_EQ(slots->stable, "blue");
  EXPECT_EQ(slots->canary, "green");

  // Prepare: green stays down (as it was), so nginx needs no reload; green's hook runs.
  auto prepared = adapter->Prepare(r1, *slots);
  ASSERT_TRUE(prepared.ok()) << prepared.status();
  EXPECT_TRUE(prepared->changed);
  EXPECT_EQ(HookNames(*prepared), (Strings{"prepare"}));
  EXPECT_EQ(ReadFile(hook_log_),
            "prepare action=prepare slot=green address=" + green_.address() + " release=r1\n");

  // 25%: nginx's weighted round robin gives green exactly 25 of 100.
  auto w25 = adapter->SetWeight(r1, *slots, 25);
  ASSERT_TRUE(w25.ok()) << w25.status();
  EXPECT_TRUE(w25->changed);
  EXPECT_EQ(w25->weight, 25);
  EXPECT_EQ(HookNames(*w25), (Strings{"test", "reload"}));
  EXPECT_EQ(w25->detail, "upstream app: blue 75 (live), green 25; nginx reloaded");
  ASSERT_TRUE(nginx_->WaitForReloads(1)) << ReadFile(nginx_->error_log());
  EXPECT_EQ(Spread(nginx_->port()), (std::map<std::string, int>{{"blue", 75}, {"green", 25}}));
  EXPECT_EQ(*adapter->CurrentWeight(r1, *slots), 25);

  // The same step again (a restarted service's replay) neither writes nor reloads.
  const FileId before = Identify(file_);
  const std::string content = ReadFile(file_);
  auto replay = Make()->SetWeight(r1, *slots, 25);
  ASSERT_TRUE(replay.ok()) << replay.status();
  EXPECT_FALSE(replay->changed);
  EXPECT_TRUE(replay->hooks.empty());
  EXPECT_EQ(replay->weight, 25);
  EXPECT_EQ(Identify(file_), before);
  EXPECT_EQ(ReadFile(file_), content);
  EXPECT_EQ(nginx_->Reloads(), 1) << ReadFile(nginx_->error_log());

  auto w0 = adapter->SetWeight(r1, *slots, 0);
  ASSERT_TRUE(w0.ok()) << w0.status();
  ASSERT_TRUE(nginx_->WaitForReloads(2));
  EXPECT_EQ(Spread(nginx_->port()), (std::map<std::string, int>{{"blue", 100}}));

  auto w100 = adapter->SetWeight(r1, *slots, 100);
  ASSERT_TRUE(w100.ok()) << w100.status();
  ASSERT_TRUE(nginx_->WaitForReloads(3));
  EXPECT_EQ(Spread(nginx_->port()), (std::map<std::string, int>{{"green", 100}}));
  EXPECT_NE(ReadFile(file_).find("server " + blue_.address() + " down;"), std::string::npos);

  // Promote: the upstream already sends everything to green; green is recorded as live and
  // blue is retired.
  auto promoted = adapter->Promote(r1, *slots);
  ASSERT_TRUE(promoted.ok()) << promoted.status();
  EXPECT_TRUE(promoted->changed);
  EXPECT_EQ(promoted->weight, 100);
  EXPECT_EQ(HookNames(*promoted), (Strings{"retire"}));
  EXPECT_EQ(*adapter->CurrentWeight(r1, *slots), 100);
  EXPECT_NE(ReadFile(hook_log_).find("retire action=promote slot=blue address=" + blue_.address() +
                                     " release=r1"),
            std::string::npos);
  auto promoted_again = adapter->Promote(r1, *slots);
  ASSERT_TRUE(promoted_again.ok());
  EXPECT_FALSE(promoted_again->changed);
  EXPECT_EQ(Lines(ReadFile(hook_log_)), 2);
  auto late = adapter->SetWeight(r1, *slots, 50);
  EXPECT_EQ(late.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(Message(late.status()).find("release r1 was already promoted"), std::string::npos);

  // The next release goes to blue.
  const ReleaseTarget r2 = Target("r2", "v3");
  auto next = adapter->Plan(r2);
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(next->stable, "green");
  EXPECT_EQ(next->canary, "blue");
  // Slots planned before the promotion are stale now.
  auto stale = adapter->Prepare(r2, *slots);
  EXPECT_EQ(stale.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(Message(stale.status()).find("the slots are stale: Plan() again"), std::string::npos);

  ASSERT_TRUE(adapter->Prepare(r2, *next).ok());
  ASSERT_TRUE(adapter->SetWeight(r2, *next, 50).ok());
  ASSERT_TRUE(nginx_->WaitForReloads(4));
  EXPECT_EQ(Spread(nginx_->port()), (std::map<std::string, int>{{"blue", 50}, {"green", 50}}));
  auto rolled_back = adapter->Rollback(r2, *next);
  ASSERT_TRUE(rolled_back.ok()) << rolled_back.status();
  EXPECT_EQ(rolled_back->weight, 0);
  EXPECT_EQ(HookNames(*rolled_back), (Strings{"test", "reload", "retire"}));
  ASSERT_TRUE(nginx_->WaitForReloads(5));
  EXPECT_EQ(Spread(nginx_->port()), (std::map<std::string, int>{{"green", 100}}));
  EXPECT_NE(ReadFile(hook_log_).find("retire action=rollback slot=blue address=" + blue_.address() +
                                     " release=r2"),
            std::string::npos);
  EXPECT_EQ(adapter->Plan(Target("r3"))->stable, "green");
  EXPECT_FALSE(adapter->Promote(r2, *next).ok());
}

TEST_F(NginxAdapterTest, AFailedConfigTestPutsTheOldFileBack) {
  const ReleaseTarget r1 = Target("r1");
  const Slots slots{"blue", "green"};
  ASSERT_TRUE(Make()->Prepare(r1, slots).ok());
  const std::string before = ReadFile(file_);

  // The same slots, but green's address is one nginx refuses.
  Json broken = Config(nginx_->ReloadArgv(), nginx_->TestArgv());
  broken["slots"][1]["address"] = "127.0.0.1:99999";
  auto adapter = MakeAdapter(broken);
  ASSERT_TRUE(adapter.ok()) << adapter.status();
  auto failed = (*adapter)->SetWeight(r1, slots, 50);
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(Message(failed.status())
                .find("nginx: the configuration test failed; " + file_.string() +
                      " was put back as it was: hook test ("),
            std::string::npos)
      << failed.status();
  EXPECT_NE(Message(failed.status()).find("invalid port"), std::string::npos) << failed.status();
  EXPECT_EQ(ReadFile(file_), before);
  EXPECT_EQ(Spread(nginx_->port()), (std::map<std::string, int>{{"blue", 100}}));
}

TEST_F(NginxAdapterTest, AFailedReloadPutsTheOldFileBack) {
  const ReleaseTarget r1 = Target("r1");
  const Slots slots{"blue", "green"};
  auto adapter = Make();
  ASSERT_TRUE(adapter->Prepare(r1, slots).ok());
  const std::string before = ReadFile(file_);
  nginx_->Stop();  // nothing left to signal
  auto failed = adapter->SetWeight(r1, slots, 10);
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(Message(failed.status())
                .find("nginx: the reload failed; " + file_.string() + " was put back as it was"),
            std::string::npos)
      << failed.status();
  EXPECT_EQ(ReadFile(file_), before);
  EXPECT_EQ(*adapter->CurrentWeight(r1, slots), 0);
}

// Without the real nginx: the file's own rules, with `reload` counted by a script.
class NginxFileTest : public ::testing::Test {
 protected:
  Json Config() const {
    return {{"kind", "nginx"},
            {"upstream", "app"},
            {"file", file_.string()},
            {"slots", {{"blue", "127.0.0.1:8081"}, {"green", "127.0.0.1:8082"}}},
            {"reload", {reload_.string()}}};
  }
  int Reloads() const { return Lines(ReadFile(dir_.path() / "reloads")); }

  TempDir dir_;
  fs::path file_ = dir_.path() / "app.conf";
  fs::path reload_ = Script(dir_.path() / "reload.sh",
                            "echo reload >> " + (dir_.path() / "reloads").string() + "\n");
};

TEST_F(NginxFileTest, WithoutAFileTheFirstSlotIsLive) {
  auto adapter = MakeAdapter(Config());
  ASSERT_TRUE(adapter.ok());
  auto slots = (*adapter)->Plan(Target("r1"));
  ASSERT_TRUE(slots.ok()) << slots.status();
  EXPECT_EQ(slots->stable, "blue");
  EXPECT_EQ(slots->canary, "green");
  EXPECT_EQ(*(*adapter)->CurrentWeight(Target("r1"), *slots), 0);
  auto weight = (*adapter)->SetWeight(Target("r1"), *slots, 10);
  EXPECT_EQ(weight.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(Message(weight.status()).find("was not prepared on this target"), std::string::npos);
  auto prepared = (*adapter)->Prepare(Target("r1"), *slots);
  ASSERT_TRUE(prepared.ok()) << prepared.status();
  EXPECT_EQ(Reloads(), 1);
  EXPECT_EQ(ReadFile(file_).substr(0, ReadFile(file_).find('\n')),
            "# slipway: live=blue canary=green weight=0 release=r1 phase=canary applied=yes");
}

TEST_F(NginxFileTest, AReplayAfterAKillBeforeTheReloadReloads) {
  auto config = NginxAdapter::Parse(Config());
  ASSERT_TRUE(config.ok());
  // What a service killed between writing the file and reloading nginx leaves behind.
  WriteFile(file_, NginxAdapter::Render(*config, {"blue", "green", 25, "r1", "canary", false}));
  NginxAdapter adapter(*config);
  auto replay = adapter.SetWeight(Target("r1"), {"blue", "green"}, 25);
  ASSERT_TRUE(replay.ok()) << replay.status();
  EXPECT_TRUE(replay->changed);
  EXPECT_EQ(Reloads(), 1);
  EXPECT_EQ(ReadFile(file_),
            NginxAdapter::Render(*config, {"blue", "green", 25, "r1", "canary", true}));
  auto again = adapter.SetWeight(Target("r1"), {"blue", "green"}, 25);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->changed);
  EXPECT_EQ(Reloads(), 1);
}

TEST_F(NginxFileTest, AFileThatIsNotSlipwaysIsNeverOverwritten) {
  const std::string own = "upstream app {\n    server 10.0.0.1:80;\n}\n";
  WriteFile(file_, own);
  auto adapter = MakeAdapter(Config());
  ASSERT_TRUE(adapter.ok());
  auto prepared = (*adapter)->Prepare(Target("r1"), {"blue", "green"});
  EXPECT_EQ(prepared.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(Message(prepared.status()).find("nginx.file " + file_.string() + ": its first line"),
            std::string::npos)
      << prepared.status();
  EXPECT_EQ(ReadFile(file_), own);
  EXPECT_EQ(Reloads(), 0);
}

// ---------------------------------------------------------------------------------------------
// The kubernetes adapter: the real kubectl against an API server on loopback

// The few endpoints of the Kubernetes API kubectl uses for get, set image, scale, annotate and
// rollout status, over Deployments and Ingresses kept in memory. Pods are ready at once.
class KubeApi {
 public:
  explicit KubeApi(std::string ns) : ns_(std::move(ns)) {
    auto json = [](httplib::Response& res, const Json& body, int status = 200) {
      res.status = status;
      res.set_content(body.dump(), "application/json");
    };
    server_.Get("/version", [=](const httplib::Request&, httplib::Response& res) {
      json(res, {{"major", "1"},
                 {"minor", "32"},
                 {"gitVersion", "v1.32.0"},
                 {"platform", "linux/amd64"}});
    });
    server_.Get("/api", [=](const httplib::Request&, httplib::Response& res) {
      json(res, {{"kind", "APIVersions"}, {"versions", {"v1"}}});
    });
    server_.Get("/api/v1", [=](const httplib::Request&, httplib::Response& res) {
      json(res, {{"kind", "APIResourceList"},
                 {"groupVersion", "v1"},
                 {"resources",
                  {{{"name", "namespaces"},
                    {"singularName", "namespace"},
                    {"namespaced", false},
                    {"kind", "Namespace"},
                    {"verbs", {"get", "list"}}}}}});
    });
    // kubectl asks after a NotFound whether the namespace is there.
    server_.Get(R"(/api/v1/namespaces/([^/]+))",
                [=, this](const httplib::Request& req, httplib::Response& res) {
                  if (req.matches[1] != ns_)
                    return json(res, NotFound("namespaces", req.matches[1]), 404);
                  json(res, {{"apiVersion", "v1"},
                             {"kind", "Namespace"},
                             {"metadata", {{"name", ns_}}},
                             {"status", {{"phase", "Active"}}}});
                });
    server_.Get("/apis", [=](const httplib::Request&, httplib::Response& res) {
      auto group = [](const std::string& name) {
        const Json version = {{"groupVersion", name + "/v1"}, {"version", "v1"}};
        return Json{{"name", name}, {"versions", {version}}, {"preferredVersion", version}};
      };
      json(res, {{"kind", "APIGroupList"},
                 {"apiVersion", "v1"},
                 {"groups", {group("apps"), group("networking.k8s.io")}}});
    });
    auto resource = [](const std::string& name, const std::string& kind) {
      return Json{{"name", name},
                  {"singularName", ""},
                  {"namespaced", true},
                  {"kind", kind},
                  {"verbs", {"get", "list", "watch", "patch", "update"}}};
    };
    server_.Get("/apis/apps/v1", [=](const httplib::Request&, httplib::Response& res) {
      Json scale = resource("deployments/scale", "Scale");
      scale["group"] = "autoscaling";
      scale["version"] = "v1";
      json(res, {{"kind", "APIResourceList"},
                 {"groupVersion", "apps/v1"},
                 {"resources", {resource("deployments", "Deployment"), scale}}});
    });
    server_.Get("/apis/networking.k8s.io/v1", [=](const httplib::Request&, httplib::Response& res) {
      json(res, {{"kind", "APIResourceList"},
                 {"groupVersion", "networking.k8s.io/v1"},
                 {"resources", {resource("ingresses", "Ingress")}}});
    });
    // Lists serve `kubectl rollout status`; its watch ends at once (the list already answers).
    server_.Get(
        R"(/apis/apps/v1/namespaces/([^/]+)/deployments)",
        [=, this](const httplib::Request& req, httplib::Response& res) {
          if (req.get_param_value("watch") == "true") {
            res.set_content("", "application/json");
            return;
          }
          std::lock_guard lock(mu_);
          Json items = Json::array();
          const std::string selector = req.get_param_value("fieldSelector");
          for (const auto& [name, d] : deployments_)
            if (req.matches[1] == ns_ && (selector.empty() || selector == "metadata.name=" + name))
              items.push_back(d);
          json(res, {{"kind", "DeploymentList"},
                     {"apiVersion", "apps/v1"},
                     {"metadata", {{"resourceVersion", std::to_string(version_)}}},
                     {"items", items}});
        });
    server_.Get(R"(/apis/apps/v1/namespaces/([^/]+)/deployments/([^/]+))",
                [=, this](const httplib::Request& req, httplib::Response& res) {
                  std::lock_guard lock(mu_);
                  if (Json* d = Find(deployments_, req.matches[1], req.matches[2])) {
                    json(res, *d);
                  } else {
                    json(res, NotFound("deployments.apps", req.matches[2]), 404);
                  }
                });
    server_.Patch(R"(/apis/apps/v1/namespaces/([^/]+)/deployments/([^/]+)/scale)",
                  [=, this](const httplib::Request& req, httplib::Response& res) {
                    std::lock_guard lock(mu_);
                    Json* d = Find(deployments_, req.matches[1], req.matches[2]);
                    if (d == nullptr)
                      return json(res, NotFound("deployments.apps", req.matches[2]), 404);
                    Record(req);
                    (*d)["spec"]["replicas"] = Json::parse(req.body)["spec"]["replicas"];
                    Settle(*d);
                    json(res, {{"kind", "Scale"},
                               {"apiVersion", "autoscaling/v1"},
                               {"metadata", (*d)["metadata"]},
                               {"spec", {{"replicas", (*d)["spec"]["replicas"]}}},
                               {"status", {{"replicas", (*d)["spec"]["replicas"]}}}});
                  });
    server_.Patch(R"(/apis/apps/v1/namespaces/([^/]+)/deployments/([^/]+))",
                  [=, this](const httplib::Request& req, httplib::Response& res) {
                    std::lock_guard lock(mu_);
                    Json* d = Find(deployments_, req.matches[1], req.matches[2]);
                    if (d == nullptr)
                      return json(res, NotFound("deployments.apps", req.matches[2]), 404);
                    Record(req);
                    StrategicMerge(*d, Json::parse(req.body));
                    Settle(*d);
                    json(res, *d);
                  });
    server_.Get(R"(/apis/networking.k8s.io/v1/namespaces/([^/]+)/ingresses/([^/]+))",
                [=, this](const httplib::Request& req, httplib::Response& res) {
                  std::lock_guard lock(mu_);
                  if (Json* i = Find(ingresses_, req.matches[1], req.matches[2])) {
                    json(res, *i);
                  } else {
                    json(res, NotFound("ingresses.networking.k8s.io", req.matches[2]), 404);
                  }
                });
    server_.Patch(R"(/apis/networking.k8s.io/v1/namespaces/([^/]+)/ingresses/([^/]+))",
                  [=, this](const httplib::Request& req, httplib::Response& res) {
                    std::lock_guard lock(mu_);
                    Json* i = Find(ingresses_, req.matches[1], req.matches[2]);
                    if (i == nullptr)
                      return json(res, NotFound("ingresses.networking.k8s.io", req.matches[2]),
                                  404);
                    Record(req);
                    i->merge_patch(Json::parse(req.body));
                    json(res, *i);
                  });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    WaitFor([&] { return server_.is_running(); }, std::chrono::seconds(5));
  }

  ~KubeApi() {
    server_.stop();
    thread_.join();
  }

  int port() const { return port_; }

  void AddDeployment(const std::string& name, const std::string& image, int replicas) {
    std::lock_guard lock(mu_);
    Json d = {{"apiVersion", "apps/v1"},
              {"kind", "Deployment"},
              {"metadata",
               {{"name", name}, {"namespace", ns_}, {"uid", "uid-" + name}, {"generation", 1}}}};
    d["spec"]["replicas"] = replicas;
    d["spec"]["selector"]["matchLabels"]["app"] = name;
    d["spec"]["template"]["metadata"]["labels"]["app"] = name;
    d["spec"]["template"]["spec"]["containers"] =
        Json::array({{{"name", "app"}, {"image", image}}});
    Settle(d);
    deployments_[name] = d;
  }

  void AddIngress(const std::string& name, const Json& annotations) {
    std::lock_guard lock(mu_);
    ingresses_[name] = {
        {"apiVersion", "networking.k8s.io/v1"},
        {"kind", "Ingress"},
        {"metadata", {{"name", name}, {"namespace", ns_}, {"annotations", annotations}}},
        {"spec", Json::object()}};
  }

  int Replicas(const std::string& name) {
    std::lock_guard lock(mu_);
    return deployments_.at(name)["spec"]["replicas"].get<int>();
  }
  std::string Image(const std::string& name) {
    std::lock_guard lock(mu_);
    return deployments_.at(name)["spec"]["template"]["spec"]["containers"][0]["image"];
  }
  std::string Annotation(const std::string& ingress, const std::string& key) {
    std::lock_guard lock(mu_);
    return ingresses_.at(ingress)["metadata"]["annotations"].value(key, "");
  }
  // Every change made, "PATCH <path> <body>", in order.
  Strings Changes() {
    std::lock_guard lock(mu_);
    return changes_;
  }

 private:
  Json* Find(std::map<std::string, Json>& objects, const std::string& ns, const std::string& name) {
    if (ns != ns_) return nullptr;
    auto it = objects.find(name);
    return it == objects.end() ? nullptr : &it->second;
  }
  static Json NotFound(const std::string& what, const std::string& name) {
    return {{"kind", "Status"},     {"apiVersion", "v1"},
            {"status", "Failure"},  {"message", what + " \"" + name + "\" not found"},
            {"reason", "NotFound"}, {"code", 404}};
  }
  void Record(const httplib::Request& req) {
    changes_.push_back("PATCH " + req.path + " " + req.body);
  }
  // The strategic merge patch of `kubectl set image`: containers merge by name.
  static void StrategicMerge(Json& d, Json patch) {
    Json& pod = patch["spec"]["template"]["spec"];
    Json containers = pod.value("containers", Json::array());
    pod.erase("containers");
    pod.erase("$setElementOrder/containers");
    d.merge_patch(patch);
    for (const Json& c : containers)
      for (Json& existing : d["spec"]["template"]["spec"]["containers"])
        if (existing["name"] == c["name"]) existing.merge_patch(c);
    d["metadata"]["generation"] = d["metadata"]["generation"].get<int>() + 1;
  }
  // Every replica is up to date and ready at once.
  void Settle(Json& d) {
    const int n = d["spec"]["replicas"].get<int>();
    d["status"] = {{"observedGeneration", d["metadata"]["generation"]},
                   {"replicas", n},
                   {"updatedReplicas", n},
                   {"readyReplicas", n},
                   {"availableReplicas", n}};
    d["metadata"]["resourceVersion"] = std::to_string(++version_);
  }

  std::string ns_;
  std::mutex mu_;
  std::map<std::string, Json> deployments_;
  std::map<std::string, Json> ingresses_;
  Strings changes_;
  int version_ = 1;
  httplib::Server server_;
  int port_ = -1;
  std::thread thread_;
};

std::string FindKubectl() {
  std::vector<HookRun> runs;
  return RunHook({"kubectl version", {"kubectl", "version", "--client"}, {}}, runs).ok() ? "kubectl"
                                                                                         : "";
}

class KubernetesAdapterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (FindKubectl().empty()) GTEST_SKIP() << "kubectl is not installed";
    api_.AddDeployment("app", "reg/app:v1", 4);
    api_.AddDeployment("app-canary", "reg/app:v1", 0);
    WriteKubeconfig(kubeconfig_, api_.port());
  }

  static void WriteKubeconfig(const fs::path& path, int port) {
    WriteFile(path,
              "apiVersion: v1\nkind: Config\nclusters:\n- name: loop\n  cluster:\n"
              "    server: http://127.0.0.1:" +
                  std::to_string(port) +
                  "\ncontexts:\n- name: loop\n  context: {cluster: loop, user: me}\n"
                  "current-context: loop\nusers:\n- name: me\n  user: {}\n");
  }

  Json Config() const {
    return {{"kind", "kubernetes"},
            {"kubeconfig", kubeconfig_.string()},
            {"context", "loop"},
            {"namespace", "shop"},
            {"deployment", "app"},
            {"container", "app"},
            {"image", "reg/app:{version}"},
            {"replicas", 4},
            {"timeout", "30s"}};
  }

  std::unique_ptr<Adapter> Make(const Json& config) {
    auto adapter = MakeAdapter(config);
    EXPECT_TRUE(adapter.ok()) << adapter.status();
    return adapter.ok() ? std::move(*adapter) : nullptr;
  }

  TempDir dir_;
  fs::path kubeconfig_ = dir_.path() / "kubeconfig";
  KubeApi api_{"shop"};
};

TEST_F(KubernetesAdapterTest, ReplicaRoutingThroughKubectl) {
  auto adapter = Make(Config());
  ASSERT_TRUE(adapter);
  const ReleaseTarget r1 = Target("r1", "v2");
  auto slots = adapter->Plan(r1);
  ASSERT_TRUE(slots.ok()) << slots.status();
  EXPECT_EQ(slots->stable, "app");
  EXPECT_EQ(slots->canary, "app-canary");

  auto prepared = adapter->Prepare(r1, *slots);
  ASSERT_TRUE(prepared.ok()) << prepared.status();
  EXPECT_TRUE(prepared->changed);
  EXPECT_EQ(api_.Image("app-canary"), "reg/app:v2");
  EXPECT_EQ(api_.Replicas("app-canary"), 0);
  ASSERT_EQ(api_.Changes().size(), 1u);
  EXPECT_NE(api_.Changes()[0].find("PATCH /apis/apps/v1/namespaces/shop/deployments/app-canary "),
            std::string::npos);
  auto prepared_again = adapter->Prepare(r1, *slots);
  ASSERT_TRUE(prepared_again.ok()) << prepared_again.status();
  EXPECT_FALSE(prepared_again->changed);
  EXPECT_TRUE(prepared_again->hooks.empty());
  EXPECT_EQ(api_.Changes().size(), 1u);

  auto w25 = adapter->SetWeight(r1, *slots, 25);
  ASSERT_TRUE(w25.ok()) << w25.status();
  EXPECT_EQ(w25->weight, 25);
  EXPECT_EQ(api_.Replicas("app-canary"), 1);
  EXPECT_EQ(api_.Replicas("app"), 3);
  ASSERT_EQ(w25->hooks.size(), 4u);
  EXPECT_EQ(w25->hooks[0].name, "kubectl scale app-canary --replicas=1");
  EXPECT_EQ(w25->hooks[1].name, "kubectl rollout status app");
  EXPECT_NE(w25->hooks[1].output.find("successfully rolled out"), std::string::npos)
      << w25->hooks[1].output;
  EXPECT_EQ(*adapter->CurrentWeight(r1, *slots), 25);
  const size_t changes = api_.Changes().size();
  auto w25_again = adapter->SetWeight(r1, *slots, 25);
  ASSERT_TRUE(w25_again.ok());
  EXPECT_FALSE(w25_again->changed);
  EXPECT_EQ(api_.Changes().size(), changes);

  auto promoted = adapter->Promote(r1, *slots);
  ASSERT_TRUE(promoted.ok()) << promoted.status();
  EXPECT_EQ(api_.Image("app"), "reg/app:v2");
  EXPECT_EQ(api_.Replicas("app"), 4);
  EXPECT_EQ(api_.Replicas("app-canary"), 0);
  EXPECT_EQ(*adapter->CurrentWeight(r1, *slots), 100);
  EXPECT_FALSE(adapter->Promote(r1, *slots)->changed);

  // The next release fails its analysis: all back to the stable one, which keeps v2.
  const ReleaseTarget r2 = Target("r2", "v3");
  ASSERT_TRUE(adapter->Prepare(r2, *slots).ok());
  ASSERT_TRUE(adapter->SetWeight(r2, *slots, 50).ok());
  EXPECT_EQ(api_.Replicas("app-canary"), 2);
  auto rolled_back = adapter->Rollback(r2, *slots);
  ASSERT_TRUE(rolled_back.ok()) << rolled_back.status();
  EXPECT_TRUE(rolled_back->changed);
  EXPECT_EQ(api_.Replicas("app"), 4);
  EXPECT_EQ(api_.Replicas("app-canary"), 0);
  EXPECT_EQ(api_.Image("app"), "reg/app:v2");
  EXPECT_EQ(*adapter->CurrentWeight(r2, *slots), 0);
}

TEST_F(KubernetesAdapterTest, IngressRoutingSetsTheCanaryWeight) {
  api_.AddIngress("app-canary", {{"nginx.ingress.kubernetes.io/canary", "true"}});
  Json config = Config();
  config["routing"] = "ingress";
  config["ingress"] = "app-canary";
  auto adapter = Make(config);
  const ReleaseTarget r1 = Target("r1", "v2");
  const Slots slots{"app", "app-canary"};
  ASSERT_TRUE(adapter->Prepare(r1, slots).ok());
  EXPECT_EQ(api_.Replicas("app-canary"), 4);
  auto w30 = adapter->SetWeight(r1, slots, 30);
  ASSERT_TRUE(w30.ok()) << w30.status();
  EXPECT_EQ(api_.Annotation("app-canary", "nginx.ingress.kubernetes.io/canary-weight"), "30");
  EXPECT_EQ(*adapter->CurrentWeight(r1, slots), 30);
  const size_t changes = api_.Changes().size();
  EXPECT_FALSE(adapter->SetWeight(r1, slots, 30)->changed);
  EXPECT_EQ(api_.Changes().size(), changes);
  ASSERT_TRUE(adapter->Rollback(r1, slots).ok());
  EXPECT_EQ(api_.Annotation("app-canary", "nginx.ingress.kubernetes.io/canary-weight"), "0");
  EXPECT_EQ(api_.Replicas("app-canary"), 0);
}

TEST_F(KubernetesAdapterTest, MissingThingsAreNamed) {
  Json config = Config();
  config["deployment"] = "checkout";
  auto plan = Make(config)->Plan(Target("r1"));
  EXPECT_EQ(plan.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(Message(plan.status()).find("deployments.apps \"checkout\" not found"),
            std::string::npos)
      << plan.status();

  config = Config();
  config["kubectl"] = (dir_.path() / "no" / "kubectl").string();
  auto missing = Make(config)->Plan(Target("r1"));
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(Message(missing.status())
                .find("cannot start \"" + config["kubectl"].get<std::string>() +
                      "\": No such file or directory"),
            std::string::npos)
      << missing.status();
  EXPECT_NE(Message(missing.status()).find("kubernetes.kubectl"), std::string::npos);
}

TEST_F(KubernetesAdapterTest, AnUnreachableApiServerIsRetryable) {
  const fs::path nowhere = dir_.path() / "nowhere";
  WriteKubeconfig(nowhere, testing::FreeLoopbackPort());
  Json config = Config();
  config["kubeconfig"] = nowhere.string();
  auto adapter = Make(config);
  auto prepared = adapter->Prepare(Target("r1"), {"app", "app-canary"});
  EXPECT_EQ(prepared.status().code(), absl::StatusCode::kUnavailable) << prepared.status();
  EXPECT_NE(Message(prepared.status()).find("refused"), std::string::npos) << prepared.status();
}

}  // namespace
}  // namespace slipway::rollout
