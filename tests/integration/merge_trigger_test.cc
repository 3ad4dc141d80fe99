// The merge of a deployment's pull request starts its release: full-pr through the embedded
// stack against a git daemon and a GitHub API on loopback, with the forge's webhook posted to
// the orchestrator as GitHub posts it (HMAC-SHA256 signature). A bad signature and a merge by
// someone the environment does not name start nothing.
#include <fmt/format.h>
#include <httplib.h>
#include <openssl/hmac.h>

#include <nlohmann/json.hpp>

#include "tests/harness/git_daemon.h"
#include "tests/harness/github_server.h"
#include "tests/integration/stack_fixture.h"

namespace slipway::testing {
namespace {

constexpr char kToken[] = "ghs_merge_trigger_token";
constexpr char kSecret[] = "webhook-secret-for-tests";

std::string Sign(const std::string& secret, const std::string& body) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(body.data()), body.size(), mac, &len);
  std::string hex = "sha256=";
  for (unsigned int i = 0; i < len; ++i) hex += fmt::format("{:02x}", mac[i]);
  return hex;
}

std::string Merged(const std::string& repo, uint64_t number, const std::string& by) {
  return nlohmann::json{{"action", "closed"},
                        {"number", number},
                        {"pull_request",
                         {{"number", number},
                          {"merged", true},
                          {"merged_by", {{"login", by}}},
                          {"merge_commit_sha", "9f0c0ffee9f0c0ffee9f0c0ffee9f0c0ffee9f0c"}}},
                        {"repository", {{"full_name", repo}}}}
      .dump();
}

TEST(MergeTrigger, AMergedPullRequestStartsTheRelease) {
  TempDir dir("slipway-merge-trigger");
  GitHubServer github("/api/v3", kToken);
  fs::create_directories(dir.path() / "served" / "acme");
  GitDaemon daemon(dir.path() / "served");
  ASSERT_TRUE(daemon.ok()) << daemon.error();
  fs::path sample = PrepareSampleRepo(dir.path() / "src");
  ASSERT_EQ(RunCommand("git clone -q --bare '" + sample.string() + "' '" +
                       (dir.path() / "served" / "acme" / "inventory.git").string() + "'")
                .exit_code,
            0);
  WriteFile(
      dir.path() / "record.sh",
      "#!/bin/sh\necho \"$SLIPWAY_ACTION $SLIPWAY_WEIGHT\" >>\"$(dirname \"$0\")/calls.log\"\n");
  fs::permissions(dir.path() / "record.sh", fs::perms::owner_all, fs::perm_options::add);
  WriteFile(dir.path() / "environments.yaml",
            fmt::format(R"(environments:
  - name: production
    approval: {{required: 1, approvers: [octocat], on_merge: true, timeout: 10m}}
    adapter:
      kind: command
      hooks: {{prepare: [{0}], weight: [{0}], promote: [{0}]}}
      state_file: {1}
    strategy: {{canary: {{steps: [{{weight: 50}}]}}}}
)",
                        (dir.path() / "record.sh").string(), (dir.path() / "state.json").string()));

  stack::StackOptions o;
  o.state_dir = dir.path() / "state";
  o.test_timeout_s = 120;
  o.git.pull_request.forge_api_url = github.api_url();
  o.git.pull_request.forge_token = kToken;
  o.git.pull_request.checks_poll = std::chrono::milliseconds(100);
  o.orchestrator.environments_file = (dir.path() / "environments.yaml").string();
  o.orchestrator.metrics_listen = "127.0.0.1:0";
  o.orchestrator.webhook_secret = kSecret;
  auto s = stack::EmbeddedStack::Start(o);
  ASSERT_TRUE(s.ok()) << s.status();
  Client client((*s)->grpc_target());

  auto d = client.Submit(
      ReadFile(SourceDir() / "examples" / "recommendations" / "restock-report-proposed.json"),
      daemon.url("acme/inventory.git"), v1::MODE_FULL_PR);
  WaitFor(
      [&] {
        d = client.Get(d.id());
        return d.status() == v1::DEPLOYMENT_STATUS_AWAITING_APPROVAL ||
               orchestrator::IsTerminal(d.status());
      },
      180s, 100ms);
  ASSERT_EQ(d.status(), v1::DEPLOYMENT_STATUS_AWAITING_APPROVAL) << d.error();
  ASSERT_TRUE(d.git().has_pull_request());
  const uint64_t number = d.git().pull_request().number();
  const std::string repo = d.git().pull_request().repo();

  httplib::Client http("127.0.0.1", (*s)->orchestrator()->metrics_port());
  auto post = [&](const std::string& body, const std::string& signature) {
    httplib::Headers headers = {{"X-GitHub-Event", "pull_request"},
                                {"X-Hub-Signature-256", signature}};
    return http.Post("/webhooks/github", headers, body, "application/json");
  };
  // A forged event: refused, nothing moves.
  auto forged = post(Merged(repo, number, "octocat"), Sign("not-the-secret", "x"));
  ASSERT_TRUE(forged);
  EXPECT_EQ(forged->status, 401);
  // Merged by someone production does not name: recorded as refused, nothing moves.
  auto stranger =
      post(Merged(repo, number, "mallory"), Sign(kSecret, Merged(repo, number, "mallory")));
  ASSERT_TRUE(stranger);
  EXPECT_EQ(stranger->status, 200);
  EXPECT_NE(stranger->body.find("mallory may not approve production"), std::string::npos)
      << stranger->body;
  // Another pull request: not this deployment's.
  auto other = post(Merged(repo, number + 100, "octocat"),
                    Sign(kSecret, Merged(repo, number + 100, "octocat")));
  ASSERT_TRUE(other);
  EXPECT_EQ(other->status, 202);
  d = client.Get(d.id());
  EXPECT_EQ(d.status(), v1::DEPLOYMENT_STATUS_AWAITING_APPROVAL);
  EXPECT_EQ(ReadFile(dir.path() / "calls.log"), "");

  // The merge by a named approver releases it.
  const std::string body = Merged(repo, number, "octocat");
  auto merged = post(body, Sign(kSecret, body));
  ASSERT_TRUE(merged);
  EXPECT_EQ(merged->status, 200) << merged->body;
  EXPECT_NE(merged->body.find("the release to production starts"), std::string::npos)
      << merged->body;
  d = client.WaitDone(d.id(), 120s);
  ASSERT_EQ(d.status(), v1::DEPLOYMENT_STATUS_SUCCEEDED) << d.error();
  ASSERT_EQ(d.releases_size(), 1);
  EXPECT_EQ(d.releases(0).status(), "succeeded");
  EXPECT_EQ(ReadFile(dir.path() / "calls.log"), "prepare 0\nweight 50\nweight 100\npromote 100\n");
  // The same webhook delivered again changes nothing.
  auto again = post(body, Sign(kSecret, body));
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 202);
  (*s)->Stop();
}

}  // namespace
}  // namespace slipway::testing
