#include "services/git/message.h"

#include <git2.h>

#include "gtest/gtest.h"

namespace slipway::gitsvc {
namespace {

bool ValidBranch(const std::string& name) {
  int valid = 0;
  return git_reference_name_is_valid(&valid, ("refs/heads/" + name).c_str()) == 0 && valid;
}

bool ValidUtf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (len == 0 || i + len > s.size()) return false;
    for (size_t k = 1; k < len; ++k)
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    i += len;
  }
  return true;
}

std::string Subject(const std::string& message) { return message.substr(0, message.find('\n')); }

const char* kId = "3f2a9c1e-77b0-4c1d-9e2f-0a1b2c3d4e5f";

TEST(BranchName, SlugAndShortDeploymentId) {
  EXPECT_EQ(BranchName("slipway", "Add Price Elasticity (Ch. 4)", kId),
            "slipway/add-price-elasticity-ch-4-3f2a9c1e");
  EXPECT_EQ(BranchName("", "Retry budget", kId), "retry-budget-3f2a9c1e");
  EXPECT_EQ(BranchName("team/Slipway Bots/", "x", kId), "team/slipway-bots/x-3f2a9c1e");
  EXPECT_EQ(BranchName("..//~^:", "x", "ABC"), "x-abc");
}

TEST(BranchName, HostileTitlesGiveValidNames) {
  const std::vector<std::string> titles = {
      "Ünïcødé 価格 弾力性 🚀",
      "quotes \"double\" and 'single' and `back`",
      "shell $(rm -rf /); echo `id` | cat > /etc/passwd && ~user ^HEAD~1 @{-1}",
      "line one\nline two\r\nline three",
      std::string(10 * 1024, 'a'),
      std::string(10 * 1024, ' ') + "x.lock",
      "",
      "....",
      "refs/heads/master",
      std::string("nul\0byte", 8),
  };
  for (const auto& title : titles) {
    std::string name = BranchName("slipway", title, kId);
    EXPECT_TRUE(ValidBranch(name)) << name;
    EXPECT_TRUE(name.starts_with("slipway/")) << name;
    EXPECT_TRUE(name.ends_with("-3f2a9c1e")) << name;
    EXPECT_LE(name.size(), 8u + 40u + 9u) << name;
  }
  EXPECT_TRUE(ValidBranch(BranchName("", "", "")));
}

CommitRequest SampleRequest() {
  CommitRequest r;
  r.deployment_id = kId;
  r.recommendation.set_id("rec-42");
  r.recommendation.set_title("Add price elasticity estimator");
  r.recommendation.set_description(
      "Estimate the price elasticity of demand from the order history so that the pricing "
      "module can propose discounts that actually move volume.\n\nUses a log-log regression.");
  r.recommendation.mutable_source()->set_kind("book");
  r.recommendation.mutable_source()->set_title("Pricing Strategy");
  r.recommendation.mutable_source()->set_chapter("4. Elasticity");
  auto* f = r.change_set.add_files();
  f->set_path("pricing/elasticity.py");
  f->set_action(v1::ChangedFile::ACTION_ADD);
  auto* t = r.change_set.add_files();
  t->set_path("tests/test_elasticity.py");
  t->set_action(v1::ChangedFile::ACTION_ADD);
  t->set_is_test(true);
  r.tests.set_total(5);
  r.tests.set_passed(4);
  r.tests.set_skipped(1);
  r.tests.set_command("python3 -m pytest -q");
  r.steps_summary = "map: 12 files, python\nanalyze: pricing/elasticity.py\ntest: 4 passed\n";
  return r;
}

TEST(CommitMessage, StructuredWithTrailers) {
  std::string m = CommitMessage(SampleRequest());
  EXPECT_EQ(Subject(m), "Add price elasticity estimator");
  EXPECT_EQ(m.substr(m.find('\n'), 2), "\n\n");
  EXPECT_NE(m.find("Source: book, \"Pricing Strategy\", chapter 4. Elasticity"), std::string::npos)
      << m;
  EXPECT_NE(m.find("Changes:\n  A pricing/elasticity.py\n  A tests/test_elasticity.py (test)"),
            std::string::npos)
      << m;
  EXPECT_NE(m.find("Tests: 5 run, 4 passed, 0 failed, 0 errors, 1 skipped"), std::string::npos);
  EXPECT_NE(m.find("Steps:\nmap: 12 files, python\nanalyze:"), std::string::npos);
  EXPECT_TRUE(
      m.ends_with("\n\nSlipway-Deployment: 3f2a9c1e-77b0-4c1d-9e2f-0a1b2c3d4e5f\n"
                  "Slipway-Recommendation: rec-42\n"))
      << m;
  size_t start = 0;
  while (start < m.size()) {
    size_t end = m.find('\n', start);
    std::string line = m.substr(start, end - start);
    if (!line.starts_with("Test command") && !line.starts_with("Slipway-")) {
      EXPECT_LE(line.size(), 72u) << line;
    }
    start = end + 1;
  }
  EXPECT_TRUE(HasDeploymentTrailer(m, kId));
  EXPECT_FALSE(HasDeploymentTrailer(m, "other"));
  EXPECT_FALSE(HasDeploymentTrailer("subject\n\nbody Slipway-Deployment: x\n", "x"));
}

TEST(CommitMessage, HostileTitlesAndDescriptions) {
  CommitRequest r = SampleRequest();
  const std::vector<std::string> titles = {
      "Ünïcødé 価格 弾力性 🚀 " + std::string(100, 'x'),
      std::string(35, 'a') + "価格弾力性の推定" + std::string(40, 'b'),
      "shell $(rm -rf /); \"quoted\" 'single'",
      "line one\nline two\r\n\tline three",
      std::string(10 * 1024, 'z'),
      "\xff\xfe invalid utf-8 \xc3",
      "",
  };
  for (const auto& title : titles) {
    r.recommendation.set_title(title);
    r.recommendation.set_description(title + "\n" + std::string(20 * 1024, 'd'));
    std::string m = CommitMessage(r);
    std::string subject = Subject(m);
    EXPECT_FALSE(subject.empty());
    EXPECT_LE(subject.size(), kSubjectMaxBytes);
    EXPECT_TRUE(ValidUtf8(m)) << subject;
    EXPECT_EQ(m.find('\r'), std::string::npos);
    EXPECT_EQ(m.find('\t'), std::string::npos);
    EXPECT_LT(m.size(), 40u * 1024);
    EXPECT_TRUE(HasDeploymentTrailer(m, kId)) << m.substr(m.size() - 200);
  }
  r.recommendation.set_title("line one\nline two");
  EXPECT_EQ(Subject(CommitMessage(r)), "line one line two");
  r.recommendation.set_title("");
  EXPECT_EQ(Subject(CommitMessage(r)), "Slipway change");
}

TEST(CommitMessage, StepsSummaryCannotHijackTrailers) {
  CommitRequest r = SampleRequest();
  r.steps_summary = "test: ok\n\nSlipway-Deployment: someone-else\n\n";
  r.recommendation.set_id("evil\nSlipway-Deployment: x");
  std::string m = CommitMessage(r);
  EXPECT_TRUE(HasDeploymentTrailer(m, kId));
  EXPECT_FALSE(HasDeploymentTrailer(m, "someone-else"));
  EXPECT_FALSE(HasDeploymentTrailer(m, "x"));
}

}  // namespace
}  // namespace slipway::gitsvc
