#include "services/git/pull_request.h"

#include <stdlib.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>

#include "gtest/gtest.h"
#include "libs/core/text.h"
#include "libs/repo/repository.h"
#include "tests/harness/harness.h"

namespace slipway::gitsvc {
namespace {

namespace fs = std::filesystem;

const char* kId = "3f2a9c1e-77b0-4c1d-9e2f-0a1b2c3d4e5f";
const std::string kZwj = "\xE2\x80\x8D";

// stdout (and stderr) of a shell command.
std::string Capture(const std::string& cmd) { return testing::RunCommand(cmd).output; }

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

size_t Count(const std::string& haystack, const std::string& needle) {
  size_t n = 0;
  for (size_t at = haystack.find(needle); at != std::string::npos;
       at = haystack.find(needle, at + 1))
    ++n;
  return n;
}

// ---- DiffStats --------------------------------------------------------------------------

class DiffStatsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string templ = (fs::temp_directory_path() / "slipway-pr-test-XXXXXX").string();
    ASSERT_NE(::mkdtemp(templ.data()), nullptr);
    dir_ = templ;
    Write("modify.txt", "a\nb\nc\nd\n");
    Write("remove.txt", "x\ny\n");
    Write("keep.txt", "kept line one\nkept line two\nkept line three\n");
    ASSERT_EQ(std::system(
                  Git("init -q && " + std::string(kGit) + " add -A && " + kGit + " commit -qm base")
                      .c_str()),
              0);
    base_ = Trim(Capture(Git("rev-parse HEAD")));
    ASSERT_EQ(base_.size(), 40u);

    Write("modify.txt", "a\nB\nc\nd\ne\n");                     // +2 -1
    Write("sub/new.txt", "1\n2\n3\n4\n5\n");                    // +5
    fs::remove(dir_ / "remove.txt");                            // -2
    Write("image.bin", std::string("\x89PNG\0\0\x01\x02", 8));  // binary
    fs::create_directories(dir_ / "moved");
    fs::rename(dir_ / "keep.txt", dir_ / "moved" / "keep.txt");  // renamed, unchanged
    ASSERT_EQ(std::system(Git("add -A && " + std::string(kGit) + " commit -qm change").c_str()), 0);
    head_ = Trim(Capture(Git("rev-parse HEAD")));
    ASSERT_EQ(head_.size(), 40u);
  }
  void TearDown() override { fs::remove_all(dir_); }

  void Write(const std::string& path, const std::string& content) {
    fs::create_directories((dir_ / path).parent_path());
    std::ofstream(dir_ / path, std::ios::binary) << content;
  }
  static constexpr const char* kGit = "git -c user.name=t -c user.email=t@e";
  std::string Git(const std::string& args) const {
    return "cd '" + dir_.string() + "' && " + kGit + " " + args;
  }
  static std::string Trim(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
    return s;
  }

  fs::path dir_;
  std::string base_, head_;
};

TEST_F(DiffStatsTest, AddedModifiedDeletedRenamedAndBinaryFilesWithExactLineCounts) {
  auto repo = repo::Repository::Open(dir_);
  ASSERT_TRUE(repo.ok()) << repo.status();
  auto stats = DiffStats(*repo, base_, head_);
  ASSERT_TRUE(stats.ok()) << stats.status();
  ASSERT_EQ(stats->size(), 5u);
  const auto& s = *stats;

  EXPECT_EQ(s[0].path, "image.bin");
  EXPECT_EQ(s[0].status, "added");
  EXPECT_TRUE(s[0].binary);
  EXPECT_EQ(s[0].added + s[0].removed, 0u);

  EXPECT_EQ(s[1].path, "modify.txt");
  EXPECT_EQ(s[1].status, "modified");
  EXPECT_EQ(s[1].added, 2u);
  EXPECT_EQ(s[1].removed, 1u);
  EXPECT_FALSE(s[1].binary);

  EXPECT_EQ(s[2].path, "moved/keep.txt");
  EXPECT_EQ(s[2].status, "renamed");
  EXPECT_EQ(s[2].old_path, "keep.txt");
  EXPECT_EQ(s[2].added, 0u);
  EXPECT_EQ(s[2].removed, 0u);

  EXPECT_EQ(s[3].path, "remove.txt");
  EXPECT_EQ(s[3].status, "deleted");
  EXPECT_EQ(s[3].added, 0u);
  EXPECT_EQ(s[3].removed, 2u);

  EXPECT_EQ(s[4].path, "sub/new.txt");
  EXPECT_EQ(s[4].status, "added");
  EXPECT_EQ(s[4].added, 5u);
  EXPECT_EQ(s[4].removed, 0u);
  EXPECT_TRUE(s[4].old_path.empty());

  // The same commit on both sides differs in nothing.
  auto none = DiffStats(*repo, head_, head_);
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_TRUE(none->empty());
}

TEST_F(DiffStatsTest, UnknownCommitIsNotFoundAndMalformedIdInvalid) {
  auto repo = repo::Repository::Open(dir_);
  ASSERT_TRUE(repo.ok()) << repo.status();
  auto missing = DiffStats(*repo, base_, std::string(40, 'a'));
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound) << missing.status();
  auto missing_base = DiffStats(*repo, std::string(40, 'b'), head_);
  EXPECT_EQ(missing_base.status().code(), absl::StatusCode::kNotFound) << missing_base.status();
  auto malformed = DiffStats(*repo, "not-a-commit", head_);
  EXPECT_EQ(malformed.status().code(), absl::StatusCode::kInvalidArgument) << malformed.status();
}

// ---- Facts ------------------------------------------------------------------------------

PullRequestFacts Facts() {
  PullRequestFacts f;
  f.deployment_id = kId;
  f.trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
  f.trace_url = "https://traces.example/trace/4bf92f3577b34da6a3ce929d0e0e4736";
  f.branch = "slipway/add-price-elasticity-3f2a9c1e";
  f.commit = "0123456789abcdef0123456789abcdef01234567";
  f.base_branch = "main";
  f.base_commit = "fedcba9876543210fedcba9876543210fedcba98";
  f.recommendation.set_id("rec-42");
  f.recommendation.set_title("Add price elasticity");
  f.recommendation.set_description("Estimate elasticity per product.\n\nUse log-log regression.");
  f.recommendation.mutable_source()->set_kind("book");
  f.recommendation.mutable_source()->set_title("Pricing Strategy");
  f.recommendation.mutable_source()->set_chapter("4");
  f.provider = "scaffold";
  f.files = {{"pricing/elasticity.py", "", "added", 12, 0, false},
             {"run.sh", "", "modified", 3, 2, false},
             {"logo.png", "", "added", 0, 0, true}};
  auto* point = f.analysis.add_integration_points();
  point->set_file("pricing/core.py");
  point->set_symbol("price");
  point->set_line(7);
  point->set_reason("computes the price the elasticity adjusts");
  f.tests.set_total(5);
  f.tests.set_passed(4);
  f.tests.set_failed(1);
  f.tests.set_seconds(1.5);
  f.tests.set_framework("pytest");
  auto* failure = f.tests.add_failures();
  failure->set_name("test_negative_elasticity");
  failure->set_classname("tests.test_elasticity");
  failure->set_status("failed");
  failure->set_message("assert -1.2 < -2");
  f.tests.mutable_coverage()->set_tool("coverage.py");
  f.tests.mutable_coverage()->set_changed_lines(40);
  f.tests.mutable_coverage()->set_changed_covered(35);
  f.tests.mutable_coverage()->set_lines(1000);
  f.tests.mutable_coverage()->set_lines_covered(720);
  f.tests.set_gates_passed(false);
  f.tests.set_verdict("1 test failed");
  v1::SafetyVerdict safety;
  safety.set_passed(true);
  f.safety = safety;
  v1::StepSummary pre;
  pre.set_step(v1::STEP_SAFETY_PRE);
  pre.set_attempt(1);
  pre.set_duration_ms(250);
  pre.set_summary("base commit fedcba98");
  v1::StepSummary test;
  test.set_step(v1::STEP_TEST);
  test.set_attempt(2);
  test.set_duration_ms(1234.5);
  test.set_summary("4/5 passed");
  f.steps = {pre, test};
  return f;
}

// ---- Default template -------------------------------------------------------------------

TEST(PullRequestBody, DefaultTemplateRendersEverySectionWithTheFacts) {
  const std::string body = PullRequestTemplate::Default().Render(Facts());

  // The opening line is the summary, without a heading.
  EXPECT_EQ(body.substr(0, body.find('\n')),
            "3 files changed (+15 \xE2\x88\x92"
            "2), 4 tests passed, 1 failed, coverage 87.5%");
  EXPECT_TRUE(
      Contains(body, "\n> Estimate elasticity per product.\n>\n> Use log-log regression.\n"))
      << body;
  EXPECT_TRUE(Contains(body, "Source: book, \"Pricing Strategy\", chapter 4\n")) << body;
  EXPECT_TRUE(Contains(body, "Recommendation: `rec-42`")) << body;

  const std::vector<std::string> sections = {"### Changes", "### Integration points", "### Tests",
                                             "### Safety", "### Steps"};
  size_t last = 0;
  for (const auto& s : sections) {
    size_t at = body.find("\n" + s + "\n");
    ASSERT_NE(at, std::string::npos) << s << "\n" << body;
    EXPECT_GT(at, last) << s << " out of order";
    last = at;
  }

  EXPECT_TRUE(Contains(body,
                       "Branch `slipway/add-price-elasticity-3f2a9c1e`, commit "
                       "`0123456789abcdef0123456789abcdef01234567`, on top of main (fedcba9)."))
      << body;
  EXPECT_TRUE(Contains(body, "Provider: scaffold")) << body;
  EXPECT_TRUE(Contains(body, "| pricing/elasticity.py | added | 12 | 0 |")) << body;
  EXPECT_TRUE(Contains(body, "| run.sh | modified | 3 | 2 |")) << body;
  EXPECT_TRUE(Contains(body, "| logo.png | added, binary |")) << body;
  EXPECT_TRUE(Contains(body,
                       "3 files changed, +15 \xE2\x88\x92"
                       "2"))
      << body;
  EXPECT_TRUE(Contains(body, "- pricing/core.py:7 \xE2\x80\x94 **price**: computes the price"))
      << body;
  EXPECT_TRUE(
      Contains(body, "**5 run**: 4 passed, 1 failed, 0 errors, 0 skipped in 1.50 s (pytest)"))
      << body;
  EXPECT_TRUE(Contains(body, "87.5% of changed lines (35/40), 72.0% overall (720/1000)")) << body;
  EXPECT_TRUE(Contains(body, "Gates failed: 1 test failed")) << body;
  EXPECT_TRUE(Contains(body, "test\\_negative\\_elasticity (tests.test\\_elasticity)")) << body;
  EXPECT_TRUE(Contains(body, "### Safety\n\npassed\n")) << body;
  EXPECT_TRUE(Contains(body, "| safety-pre | 1 | 0.25 | base commit fedcba98 |")) << body;
  EXPECT_TRUE(Contains(body, "| test | 2 | 1.23 | 4/5 passed |")) << body;

  EXPECT_TRUE(Contains(body, "Deployment `" + std::string(kId) +
                                 "` \xC2\xB7 trace [`4bf92f3577b34da6a3ce929d0e0e4736`](https://"
                                 "traces.example/trace/4bf92f3577b34da6a3ce929d0e0e4736)"))
      << body;
  EXPECT_TRUE(body.ends_with("<!-- slipway-deployment: " + std::string(kId) + " -->\n")) << body;
  EXPECT_EQ(InvalidUtf8Offset(body), std::string::npos);
}

TEST(PullRequestBody, DefaultTemplateLeavesOutLinesOfEmptyFactsAndSaysWhatDidNotRun) {
  PullRequestFacts f;
  f.deployment_id = kId;
  const std::string body = PullRequestTemplate::Default().Render(f);
  EXPECT_EQ(body.substr(0, body.find('\n')),
            "0 files changed (+0 \xE2\x88\x92"
            "0), no tests run");
  EXPECT_FALSE(Contains(body, "Source:")) << body;
  EXPECT_FALSE(Contains(body, "Recommendation:")) << body;
  EXPECT_FALSE(Contains(body, "Provider:")) << body;
  EXPECT_TRUE(Contains(body, "No files changed.")) << body;
  EXPECT_TRUE(Contains(body, "### Integration points\n\nnone found\n")) << body;
  EXPECT_TRUE(Contains(body, "### Tests\n\nnot run\n")) << body;
  EXPECT_TRUE(Contains(body, "### Safety\n\nnot run\n")) << body;
  EXPECT_TRUE(Contains(body, "### Steps\n\nnone\n")) << body;
  EXPECT_TRUE(Contains(body, "` \xC2\xB7 trace none\n")) << body;
  EXPECT_FALSE(Contains(body, "\n\n\n")) << body;
}

TEST(PullRequestTemplate, SourceUriIsALinkOnlyForHttp) {
  auto t = PullRequestTemplate::Parse("{{source}}");
  ASSERT_TRUE(t.ok()) << t.status();
  PullRequestFacts f = Facts();
  f.recommendation.mutable_source()->set_uri("https://example.com/a_b (2)");
  EXPECT_EQ(t->Render(f),
            "book, \"Pricing Strategy\", chapter 4, [https://example.com/a\\_b (2)]"
            "(https://example.com/a_b%20%282%29)");
  f.recommendation.mutable_source()->set_uri("javascript:alert(1)");
  EXPECT_EQ(t->Render(f), "book, \"Pricing Strategy\", chapter 4, javascript:alert(1)");
  f.recommendation.clear_source();
  EXPECT_EQ(t->Render(f), "");
}

// ---- Custom templates -------------------------------------------------------------------

TEST(PullRequestTemplate, CustomTemplateWithEachPlaceholder) {
  auto t = PullRequestTemplate::Parse(
      "title={{title}}\n"
      "description={{ description }}\n"
      "source={{source}}\n"
      "recommendation_id={{recommendation_id}}\n"
      "deployment_id={{deployment_id}}\n"
      "trace_id={{trace_id}}\n"
      "trace_link={{trace_link}}\n"
      "branch={{branch}}\n"
      "commit={{commit}}\n"
      "base={{base}}\n"
      "provider={{provider}}\n"
      "files={{files}}\n"
      "integration_points={{integration_points}}\n"
      "tests={{tests}}\n"
      "safety={{safety}}\n"
      "steps={{steps}}\n"
      "summary={{  summary\t}}\n"
      "literal=\\{{title}} and }} and \\n");
  ASSERT_TRUE(t.ok()) << t.status();
  PullRequestFacts facts = Facts();
  v1::SafetyVerdict unsafe;
  unsafe.set_passed(false);
  auto* finding = unsafe.add_findings();
  finding->set_rule("aws-access-key");
  finding->set_file("config/settings.py");
  finding->set_line(3);
  finding->set_detail("looks like an AWS key id");
  facts.safety = unsafe;
  const std::string body = t->Render(facts);

  EXPECT_TRUE(Contains(body, "title=Add price elasticity\n")) << body;
  EXPECT_TRUE(Contains(body, "description=> Estimate elasticity per product.\n>\n")) << body;
  EXPECT_TRUE(Contains(body, "source=book, \"Pricing Strategy\", chapter 4\n")) << body;
  EXPECT_TRUE(Contains(body, "recommendation_id=rec-42\n")) << body;
  EXPECT_TRUE(Contains(body, "deployment_id=" + std::string(kId) + "\n")) << body;
  EXPECT_TRUE(Contains(body, "trace_id=4bf92f3577b34da6a3ce929d0e0e4736\n")) << body;
  EXPECT_TRUE(Contains(body,
                       "trace_link=[`4bf92f3577b34da6a3ce929d0e0e4736`](https://traces.example/"
                       "trace/4bf92f3577b34da6a3ce929d0e0e4736)\n"))
      << body;
  EXPECT_TRUE(Contains(body, "branch=slipway/add-price-elasticity-3f2a9c1e\n")) << body;
  EXPECT_TRUE(Contains(body, "commit=0123456789abcdef0123456789abcdef01234567\n")) << body;
  EXPECT_TRUE(Contains(body, "base=main (fedcba9)\n")) << body;
  EXPECT_TRUE(Contains(body, "provider=scaffold\n")) << body;
  EXPECT_TRUE(Contains(body, "files=| File | Change | +lines | \xE2\x88\x92lines |\n")) << body;
  EXPECT_TRUE(Contains(body, "integration_points=- pricing/core.py:7")) << body;
  EXPECT_TRUE(Contains(body, "tests=- **5 run**")) << body;
  EXPECT_TRUE(Contains(body,
                       "safety=failed, 1 finding:\n\n- **aws-access-key** in "
                       "config/settings.py:3: looks like an AWS key id\n"))
      << body;
  EXPECT_TRUE(Contains(body, "steps=| Step | Attempt | Time (s) | Summary |\n")) << body;
  EXPECT_TRUE(Contains(body,
                       "summary=3 files changed (+15 \xE2\x88\x92"
                       "2)"))
      << body;
  EXPECT_TRUE(body.ends_with("literal={{title}} and }} and \\n")) << body;
  EXPECT_EQ(PullRequestTemplate::Placeholders().size(), 17u);
}

TEST(PullRequestTemplate, TraceLinkWithoutUrlIsTheIdInBackticksAndOnlyHttpUrlsAreLinked) {
  auto t = PullRequestTemplate::Parse("{{trace_link}}");
  ASSERT_TRUE(t.ok()) << t.status();
  PullRequestFacts f = Facts();
  f.trace_url = "";
  EXPECT_EQ(t->Render(f), "`4bf92f3577b34da6a3ce929d0e0e4736`");
  f.trace_url = "javascript:alert(1)";
  EXPECT_EQ(t->Render(f), "`4bf92f3577b34da6a3ce929d0e0e4736`");
  f.trace_url = "https://t.example/x y)(<b>";
  EXPECT_EQ(t->Render(f),
            "[`4bf92f3577b34da6a3ce929d0e0e4736`](https://t.example/x%20y%29%28%3Cb%3E)");
}

TEST(PullRequestTemplate, UnknownPlaceholderIsNamedWithItsPlaceAndTheKnownNames) {
  auto t = PullRequestTemplate::Parse("Hello\nsee {{ titel }} here");
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), absl::StatusCode::kInvalidArgument);
  const std::string message(t.status().message());
  EXPECT_TRUE(Contains(message, "unknown placeholder \"{{titel}}\"")) << message;
  EXPECT_TRUE(Contains(message, "line 2, column 5")) << message;
  EXPECT_TRUE(Contains(message, "known: title, description, source,")) << message;
  EXPECT_TRUE(Contains(message, "summary")) << message;

  auto empty = PullRequestTemplate::Parse("{{}}");
  ASSERT_FALSE(empty.ok());
  EXPECT_TRUE(Contains(std::string(empty.status().message()), "unknown placeholder \"{{}}\""))
      << empty.status();
}

TEST(PullRequestTemplate, UnclosedBracesAreNamedWithLineAndColumn) {
  auto t = PullRequestTemplate::Parse("one\ntwo\n\xC3\xA9t\xC3\xA9 {{title\nfour }}");
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), absl::StatusCode::kInvalidArgument);
  const std::string message(t.status().message());
  EXPECT_TRUE(Contains(message, "unclosed \"{{\"")) << message;
  EXPECT_TRUE(Contains(message, "line 3, column 5")) << message;  // columns count characters

  auto at_end = PullRequestTemplate::Parse("text {{");
  ASSERT_FALSE(at_end.ok());
  EXPECT_TRUE(Contains(std::string(at_end.status().message()), "line 1, column 6"))
      << at_end.status();

  auto nested = PullRequestTemplate::Parse("{{ {{title}}");
  ASSERT_FALSE(nested.ok());
  EXPECT_TRUE(Contains(std::string(nested.status().message()), "unclosed")) << nested.status();

  auto huge = PullRequestTemplate::Parse(std::string(kMaxPullRequestBodyBytes + 1, 'x'));
  ASSERT_FALSE(huge.ok());
  EXPECT_TRUE(Contains(std::string(huge.status().message()), "65537 bytes")) << huge.status();
}

// ---- Hostile input ----------------------------------------------------------------------

PullRequestFacts HostileFacts() {
  PullRequestFacts f = Facts();
  const std::string hostile =
      "<script>alert('x')</script> | a | b |\n@octocat & @org/team\n\xFF\xFE bad \"q\" `$(rm -rf "
      "/)`";
  f.recommendation.set_title(std::string(10 * 1024, 'T') + hostile);
  std::string description = hostile + "\n<img src=x onerror=alert(1)>\n--> <!-- \n";
  while (description.size() < 1024 * 1024) description += "line with <b>html</b> & @someone\n";
  f.recommendation.set_description(description);
  f.recommendation.mutable_source()->set_title(hostile);
  f.recommendation.mutable_source()->set_uri("javascript:<script>");
  f.recommendation.set_id("rec <script> 42");
  f.deployment_id = std::string(kId) + " --> <script>";
  f.provider = hostile;
  f.files.push_back({"evil|<script>|\n@octocat.py", "", "added", 1, 0, false});
  f.files.push_back({"\xC3\x28 invalid.py", "old\n<b>.py", "renamed", 0, 0, false});
  auto* point = f.analysis.add_integration_points();
  point->set_file(hostile);
  point->set_symbol(hostile);
  point->set_reason(hostile);
  f.tests.add_failures()->set_name(hostile);
  f.tests.set_verdict(hostile);
  v1::SafetyVerdict safety;
  safety.set_passed(false);
  auto* finding = safety.add_findings();
  finding->set_rule(hostile);
  finding->set_detail(hostile);
  f.safety = safety;
  v1::StepSummary step;
  step.set_step(v1::STEP_MAP);
  step.set_summary(hostile);
  f.steps.push_back(step);
  return f;
}

TEST(PullRequestBody, HostileInputStaysInsideTheMarkdownAndTheLimits) {
  const PullRequestFacts facts = HostileFacts();
  const std::string body = PullRequestTemplate::Default().Render(facts);
  EXPECT_LE(body.size(), kMaxPullRequestBodyBytes);
  EXPECT_EQ(InvalidUtf8Offset(body), std::string::npos);
  EXPECT_FALSE(Contains(body, "<script")) << body.substr(0, 4096);
  EXPECT_FALSE(Contains(body, "<img")) << body.substr(0, 4096);
  EXPECT_FALSE(Contains(body, "<b>"));
  EXPECT_TRUE(Contains(body, "&lt;script&gt;"));
  // Mentions are broken by a zero-width joiner, never left raw.
  EXPECT_FALSE(Contains(body, "@octocat"));
  EXPECT_FALSE(Contains(body, "@someone"));
  EXPECT_TRUE(Contains(body, "@" + kZwj + "octocat"));
  // The only HTML is the marker; a hostile id cannot close it early.
  EXPECT_EQ(Count(body, "<!--"), 1u);
  EXPECT_EQ(Count(body, "-->"), 1u);
  EXPECT_TRUE(Contains(body, "<!-- slipway-deployment: " + std::string(kId) + "?--???script? -->"))
      << body.substr(body.size() - 512);
  // The description is capped at 8 KiB with a note, inside the quote.
  EXPECT_TRUE(Contains(body, "more bytes of the description not shown]*"));
  // A pipe in a path cannot add cells: every row of the files table keeps 4 cells.
  size_t row = body.find("| evil");
  ASSERT_NE(row, std::string::npos);
  const std::string line = body.substr(row, body.find('\n', row) - row);
  EXPECT_EQ(line, "| evil\\|&lt;script&gt;\\| @" + kZwj + "octocat.py | added | 1 | 0 |");
  EXPECT_TRUE(
      Contains(body, "| old &lt;b&gt;.py \xE2\x86\x92 \xEF\xBF\xBD( invalid.py | renamed |"))
      << body;
  // The blockquote holds every description line.
  size_t quote = body.find("\n> ");
  ASSERT_NE(quote, std::string::npos);
  EXPECT_TRUE(Contains(body, "\n> line with &lt;b&gt;html&lt;/b&gt; &amp; @" + kZwj + "someone\n"));

  const std::string title = PullRequestTitle(facts.recommendation, "[slipway] ");
  EXPECT_LE(title.size(), kMaxPullRequestTitleBytes);
  EXPECT_EQ(title.find('\n'), std::string::npos);
  EXPECT_EQ(InvalidUtf8Offset(title), std::string::npos);
  EXPECT_TRUE(title.starts_with("[slipway] TTTT"));
  EXPECT_TRUE(title.ends_with("\xE2\x80\xA6"));
}

TEST(PullRequestBody, LongBodyIsCutWithANoteAndKeepsTheMarker) {
  PullRequestFacts f = Facts();
  f.files.clear();
  for (int i = 0; i < 1000; ++i)
    f.files.push_back({"src/" + std::string(100, 'p') + std::to_string(i) + ".py", "", "added",
                       static_cast<uint32_t>(i), 0, false});
  // Three copies of the files table overflow the limit.
  auto t = PullRequestTemplate::Parse(
      "{{summary}}\n\n{{files}}\n\n{{files}}\n\n{{files}}\n\n<!-- slipway-deployment: "
      "{{deployment_id}} -->\n");
  ASSERT_TRUE(t.ok()) << t.status();
  const std::string body = t->Render(f);
  EXPECT_LE(body.size(), kMaxPullRequestBodyBytes);
  EXPECT_GT(body.size(), kMaxPullRequestBodyBytes - 8192);
  EXPECT_EQ(InvalidUtf8Offset(body), std::string::npos);
  EXPECT_TRUE(Contains(body, "bytes of the pull request body left out: GitHub takes at most 65536"))
      << body.substr(body.size() - 1024);
  EXPECT_TRUE(body.ends_with("<!-- slipway-deployment: " + std::string(kId) + " -->\n"))
      << body.substr(body.size() - 1024);
  // One table shows 300 rows, then says how many are left.
  EXPECT_TRUE(Contains(body, "\xE2\x80\xA6 and 700 more files")) << body.substr(0, 1024);
  EXPECT_TRUE(Contains(body,
                       "1000 files changed, +499500 \xE2\x88\x92"
                       "0"));

  // A body within the limit carries no note.
  const std::string small = PullRequestTemplate::Default().Render(Facts());
  EXPECT_FALSE(Contains(small, "left out"));
}

TEST(PullRequestBody, RepeatedHugePlaceholdersStayBounded) {
  std::string text;
  for (int i = 0; i < 2000; ++i) text += "{{description}}";
  auto t = PullRequestTemplate::Parse(text);
  ASSERT_TRUE(t.ok()) << t.status();
  PullRequestFacts f = Facts();
  f.recommendation.set_description(std::string(1024 * 1024, '&'));
  const std::string body = t->Render(f);
  EXPECT_LE(body.size(), kMaxPullRequestBodyBytes);
  EXPECT_EQ(InvalidUtf8Offset(body), std::string::npos);
  EXPECT_TRUE(Contains(body, "bytes of the pull request body left out"));
}

// ---- Title ------------------------------------------------------------------------------

TEST(PullRequestTitle, OneLinePrefixedAndBounded) {
  v1::Recommendation rec;
  rec.set_title("  Add\tprice\n\nelasticity\x01now \xFF  ");
  EXPECT_EQ(PullRequestTitle(rec, "[slipway] "), "[slipway] Add price elasticity now \xEF\xBF\xBD");
  EXPECT_EQ(PullRequestTitle(rec, ""), "Add price elasticity now \xEF\xBF\xBD");
  rec.set_title("\n \r\n");
  EXPECT_EQ(PullRequestTitle(rec, ""), "Slipway change");
  EXPECT_EQ(PullRequestTitle(rec, "[bot] "), "[bot] Slipway change");

  rec.set_title(std::string(300, 'a') + "\xE2\x82\xAC");
  std::string title = PullRequestTitle(rec, "");
  EXPECT_EQ(title.size(), kMaxPullRequestTitleBytes);
  EXPECT_EQ(title, std::string(253, 'a') + "\xE2\x80\xA6");

  // A cut never splits a character.
  std::string euros;
  for (int i = 0; i < 200; ++i) euros += "\xE2\x82\xAC";
  rec.set_title(euros);
  title = PullRequestTitle(rec, "");
  EXPECT_LE(title.size(), kMaxPullRequestTitleBytes);
  EXPECT_EQ(InvalidUtf8Offset(title), std::string::npos);
  EXPECT_TRUE(title.ends_with("\xE2\x82\xAC\xE2\x80\xA6"));
}

}  // namespace
}  // namespace slipway::gitsvc
