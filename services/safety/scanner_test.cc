#include "services/safety/scanner.h"

#include <chrono>
#include <random>
#include <string>

#include "gtest/gtest.h"

namespace slipway::safety {
namespace {

// Secrets are assembled at run time so this file does not itself look like it leaks any.
std::string Join(std::initializer_list<std::string_view> parts) {
  std::string out;
  for (auto p : parts) out += p;
  return out;
}

v1::ChangeSet OneFile(const std::string& path, const std::string& content) {
  v1::ChangeSet cs;
  auto* f = cs.add_files();
  f->set_path(path);
  f->set_content(content);
  return cs;
}

// The findings for `content` in a Python file.
std::vector<v1::Finding> Scan(const std::string& content) { return ScanContent("app.py", content); }

std::string Rules(const std::vector<v1::Finding>& findings) {
  std::string out;
  for (const auto& f : findings) out += f.rule() + "@" + std::to_string(f.line()) + " ";
  return out;
}

struct SecretCase {
  std::string rule;
  std::string secret;
};

std::vector<SecretCase> Secrets() {
  return {
      {"aws-access-key", Join({"AKIA", "Q3EGRBXH6KDY7ZNM"})},
      {"aws-access-key", Join({"ASIA", "ZZ4Y3X2W1V0U9T8S"})},
      {"github-token", Join({"ghp_", "aB3dE5gH7jK9mN1pQ3sT5vW7yZ9bC1dF3hJ5"})},
      {"github-token", Join({"ghs_", "Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2Ji1Hg0FeDcBa"})},
      {"github-token",
       Join({"github_pat_", "11ABCDEFG0abcdefghijkl_mnopqrstuvwxyz0123456789ABCDEFGH"})},
      {"slack-token", Join({"xoxb-", "1234567890-0987654321-AbCdEfGhIjKlMnOp"})},
      {"google-api-key", Join({"AIza", "SyB7x_9kQ2mV4nR6tY8uI0oP1aS3dF5gH7j"})},
      {"stripe-key", Join({"sk_live_", "51Hq2RtY7uIoP9aSdFgHjKl"})},
      {"jwt", Join({"eyJhbGciOiJIUzI1NiJ9", ".", "eyJzdWIiOiIxMjM0NTY3ODkwIn0", ".",
                    "dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"})},
  };
}

TEST(ScanContent, FindsEveryKindOfTokenWithoutLeakingIt) {
  for (const SecretCase& c : Secrets()) {
    const std::string text = "import os\n\nCLIENT = connect(\"" + c.secret + "\")\n";
    auto findings = Scan(text);
    ASSERT_EQ(findings.size(), 1u) << c.rule << ": " << Rules(findings);
    EXPECT_EQ(findings[0].rule(), c.rule);
    EXPECT_EQ(findings[0].file(), "app.py");
    EXPECT_EQ(findings[0].line(), 3u);
    EXPECT_EQ(findings[0].detail().find(c.secret), std::string::npos) << findings[0].detail();
    EXPECT_EQ(findings[0].detail().find(c.secret.substr(6, 10)), std::string::npos);
    EXPECT_NE(findings[0].detail().find(std::to_string(c.secret.size()) + " chars"),
              std::string::npos)
        << findings[0].detail();
  }
}

TEST(ScanContent, RedactedHintShowsPrefixAndLength) {
  auto findings = Scan(Join({"key_id = '", "AKIA", "Q3EGRBXH6KDY7ZNM", "'\n"}));
  ASSERT_EQ(findings.size(), 1u) << Rules(findings);
  EXPECT_NE(findings[0].detail().find("AKIA…(20 chars)"), std::string::npos)
      << findings[0].detail();
}

TEST(ScanContent, FindsPrivateKeysButNotCodeThatMentionsTheMarker) {
  const std::string pem =
      Join({"-----BEGIN RSA ", "PRIVATE KEY-----\n",
            "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun\n",
            "-----END RSA PRIVATE KEY-----\n"});
  auto findings = ScanContent("deploy/key.pem", "# comment\n" + pem);
  ASSERT_EQ(findings.size(), 1u) << Rules(findings);
  EXPECT_EQ(findings[0].rule(), "private-key");
  EXPECT_EQ(findings[0].line(), 2u);
  EXPECT_EQ(findings[0].detail().find("MIIE"), std::string::npos);

  // Escaped inside a string literal, OpenSSH flavour.
  const std::string inline_key =
      Join({"KEY = \"-----BEGIN OPENSSH ", "PRIVATE KEY-----\\n",
            "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtz\""});
  EXPECT_EQ(Rules(Scan(inline_key)), "private-key@1 ");

  const std::string detector =
      Join({"def is_key(line):\n    return line.startswith(\"-----BEGIN RSA ",
            "PRIVATE KEY-----\")\n\nprint(is_key(x))\n"});
  EXPECT_TRUE(Scan(detector).empty()) << Rules(Scan(detector));
  EXPECT_TRUE(
      Scan("-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAu1SU1L\n")
          .empty());
}

TEST(ScanContent, FindsHighEntropyAssignments) {
  const std::string value = "Zq8#vT2!pL9xR4mW7kN3bY6hJ1s";
  for (const std::string& line :
       {"password = \"" + value + "\"", "DB_PASSWORD=" + value, "  \"api_key\": \"" + value + "\",",
        "client_secret: '" + value + "'", "cfg[\"auth_token\"] = '" + value + "'",
        "apiKey := \"" + value + "\"", "'secret' => '" + value + "'"}) {
    auto findings = Scan("x = 1\n" + line + "\n");
    ASSERT_EQ(findings.size(), 1u) << line << ": " << Rules(findings);
    EXPECT_EQ(findings[0].rule(), "high-entropy") << line;
    EXPECT_EQ(findings[0].line(), 2u);
    EXPECT_EQ(findings[0].detail().find(value), std::string::npos);
    EXPECT_EQ(findings[0].detail().find(value.substr(0, 6)), std::string::npos);
  }
}

TEST(ScanContent, ThresholdIsConfigurable) {
  const std::string line = "token = \"Zq8vT2pL9xR4mW7kN3bY6hJ1s\"\n";
  EXPECT_EQ(Scan(line).size(), 1u);
  ScanOptions strict;
  strict.entropy_threshold = 6.0;
  EXPECT_TRUE(ScanContent("a.py", line, strict).empty());
}

TEST(ScanContent, KeepsFalsePositivesLow) {
  const std::string code = R"PY(
"""Pricing rules: the secret to good margins is a sensible password policy."""
import hashlib
import uuid

PASSWORD_MIN_LENGTH = 12
token = request.headers.get("Authorization")
api_key = os.environ["PAYMENTS_API_KEY"]
secret = settings.payments.webhook_signing_secret_name
password = "${DB_PASSWORD}"
sort_key = "created_at_descending_order_then_name"
cache_key = "3f786850e387550fdab836ed7e6dc881de23001b3f786850e387550fdab836ed"
request_id_key = "8c4a1c2e-6f1b-4b7e-9d2a-5e3f1a2b3c4d"
token_url = "https://auth.example.com/oauth2/v1/token?grant_type=client_credentials"
if password == "correct horse battery staple, definitely":
    pass
key = f"{prefix}/{bucket_name_for_region}/{object_id}"
digest = hashlib.sha256(b"abc").hexdigest()  # ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad
session_id = uuid.UUID("123e4567-e89b-12d3-a456-426614174000")
AWS_EXAMPLE = "AKIAIOSFODNN7EXAMPLE"
thanks = "ghp is a prefix; eyJ too; xoxb- as well; AIza; -----BEGIN"
primary_key: int = 0
)PY";
  auto findings = Scan(code);
  EXPECT_TRUE(findings.empty()) << Rules(findings);

  // Test files full of UUIDs and digests.
  std::string tests;
  for (int i = 0; i < 50; ++i)
    tests += "    assert ids[" + std::to_string(i) + "] == \"123e4567-e89b-12d3-a456-42661417" +
             std::to_string(1000 + i) + "\"\n";
  EXPECT_TRUE(ScanContent("tests/test_ids.py", tests).empty());
}

TEST(ScanPath, FlagsEscapesForbiddenPrefixesAndKeyFiles) {
  auto findings = ScanPath("../../etc/passwd");
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].rule(), "path-escape");
  findings = ScanPath(".github/workflows/ci.yml");
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].rule(), "forbidden-path");
  EXPECT_EQ(ScanPath(".GitHub/Workflows/x.yml").size(), 1u) << "case-insensitive";
  EXPECT_EQ(ScanPath(".git/hooks/pre-commit")[0].rule(), "path-escape");
  EXPECT_EQ(ScanPath("home/.ssh/id_rsa")[0].rule(), "sensitive-file");
  EXPECT_EQ(ScanPath("certs/client.p12")[0].rule(), "sensitive-file");
  EXPECT_TRUE(ScanPath("src/app/id_rsa_loader.py").empty());
  EXPECT_TRUE(ScanPath(".github/dependabot.yml").empty());
  ScanOptions options;
  options.forbidden_prefixes.push_back("deploy/");
  EXPECT_EQ(ScanPath("deploy/prod.yaml", options)[0].rule(), "forbidden-path");
  EXPECT_EQ(ScanPath("deploy", options)[0].rule(), "forbidden-path");
}

TEST(ScanChangeSet, VerdictPassesOnlyWithoutFindings) {
  v1::ChangeSet clean = OneFile("pkg/feature.py", "def f():\n    return 1\n");
  clean.add_files()->set_path("tests/test_feature.py");
  v1::SafetyVerdict verdict = ScanChangeSet(clean);
  EXPECT_TRUE(verdict.passed());
  EXPECT_TRUE(verdict.findings().empty());

  v1::ChangeSet dirty = clean;
  auto* f = dirty.add_files();
  f->set_path("config/settings.py");
  f->set_content(Join({"x = 1\nAWS = '", "AKIA", "Q3EGRBXH6KDY7ZNM", "'\n"}));
  dirty.add_files()->set_path(".github/workflows/release.yml");
  dirty.add_files()->set_path("pkg/feature.py");
  verdict = ScanChangeSet(dirty);
  EXPECT_FALSE(verdict.passed());
  ASSERT_EQ(verdict.findings_size(), 3) << verdict.DebugString();
  EXPECT_EQ(verdict.findings(0).rule(), "aws-access-key");
  EXPECT_EQ(verdict.findings(0).file(), "config/settings.py");
  EXPECT_EQ(verdict.findings(0).line(), 2u);
  EXPECT_EQ(verdict.findings(1).rule(), "forbidden-path");
  EXPECT_EQ(verdict.findings(2).rule(), "duplicate-path");
}

TEST(ScanChangeSet, TruncatesLongFindingLists) {
  std::string content;
  for (int i = 0; i < 300; ++i) content += Join({"k = '", "AKIA", "Q3EGRBXH6KDY7ZNM", "'\n"});
  ScanOptions options;
  options.max_findings = 10;
  auto verdict = ScanChangeSet(OneFile("a.py", content), options);
  ASSERT_EQ(verdict.findings_size(), 11);
  EXPECT_EQ(verdict.findings(10).rule(), "truncated");
  EXPECT_NE(verdict.findings(10).detail().find("290 more"), std::string::npos);
  EXPECT_FALSE(verdict.passed());
}

TEST(ScanContent, HandlesBinaryAndEdgeInput) {
  EXPECT_TRUE(Scan("").empty());
  EXPECT_TRUE(Scan(std::string("\0\0\xff\xfe=:", 6)).empty());
  EXPECT_TRUE(Scan("token=").empty());
  EXPECT_TRUE(Scan("\"").empty());
  EXPECT_TRUE(Scan("-----BEGIN ").empty());
  EXPECT_TRUE(Scan("eyJ").empty());
  // A secret at the very end of the text, without a newline.
  EXPECT_EQ(Rules(Scan(Join({"x\n", "AKIA", "Q3EGRBXH6KDY7ZNM"}))), "aws-access-key@2 ");
}

TEST(ScanContent, OneMebibyteOfCodeScansQuickly) {
  std::mt19937 rng(7);
  std::string content;
  while (content.size() < (1u << 20)) {
    content += "    value_" + std::to_string(rng() % 1000) + " = compute(a, b) + " +
               std::to_string(rng()) + "  # key: ordinary comment == text\n";
  }
  const auto start = std::chrono::steady_clock::now();
  auto findings = ScanContent("big.py", content);
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - start)
                      .count();
  EXPECT_TRUE(findings.empty()) << Rules(findings);
  // Generous bound (a sanitizer build is slow); a regression to quadratic time would blow it.
  EXPECT_LT(ms, 5000);
  std::printf("scanned %zu bytes in %lld ms\n", content.size(), static_cast<long long>(ms));
}

TEST(ShannonEntropy, MatchesKnownValues) {
  EXPECT_DOUBLE_EQ(ShannonEntropy(""), 0.0);
  EXPECT_DOUBLE_EQ(ShannonEntropy("aaaa"), 0.0);
  EXPECT_DOUBLE_EQ(ShannonEntropy("abcd"), 2.0);
  EXPECT_DOUBLE_EQ(ShannonEntropy("0123456789abcdef"), 4.0);
}

}  // namespace
}  // namespace slipway::safety
