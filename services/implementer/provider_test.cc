#include <set>

#include "gtest/gtest.h"
#include "libs/changeset/change_set.h"
#include "libs/recommendation/recommendation.h"
#include "services/implementer/code_provider.h"
#include "services/implementer/proposed_provider.h"
#include "services/implementer/test_repo.h"

namespace slipway::implementer {
namespace {

using test_support::TestRepo;

v1::Recommendation Rec(std::initializer_list<std::pair<std::string, std::string>> files) {
  v1::Recommendation rec;
  rec.set_title("Add reorder alerts");
  rec.set_description("d");
  for (const auto& [path, content] : files) {
    auto* f = rec.add_proposed_files();
    f->set_path(path);
    f->set_content(content);
  }
  return rec;
}

TEST(ProviderFor, ChoosesByNameOrByProposedFiles) {
  v1::Recommendation rec = Rec({});
  EXPECT_EQ((*ProviderFor(rec))->name(), "scaffold");
  rec.add_proposed_files()->set_path("a.py");
  EXPECT_EQ((*ProviderFor(rec))->name(), "proposed");
  rec.set_provider("scaffold");
  EXPECT_EQ((*ProviderFor(rec))->name(), "scaffold");
  rec.set_provider("proposed");
  EXPECT_EQ((*ProviderFor(rec))->name(), "proposed");
  rec.set_provider("gpt-9");
  auto bad = ProviderFor(rec);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(recommendation::FieldOf(bad.status()), "provider");
}

TEST(LooksLikeTestPath, KnowsTheUsualConventions) {
  for (const char* p :
       {"tests/test_x.py", "test_x.py", "pkg/x_test.py", "conftest.py", "tests/helpers.py",
        "cmd/server_test.go", "src/app.test.js", "src/app.spec.tsx", "web/__tests__/a.js",
        "libs/x/x_test.cc", "src/test/java/FooTest.java", "spec/models/user_spec.rb"}) {
    EXPECT_TRUE(LooksLikeTestPath(p)) << p;
  }
  for (const char* p : {"pkg/x.py", "testing.py", "src/contest.py", "latest/x.py", "test.js",
                        "protest_test_data.json", "pkg/attest.go", "src/app.test.json"}) {
    EXPECT_FALSE(LooksLikeTestPath(p)) << p;
  }
}

class ProposedProviderTest : public ::testing::Test {
 protected:
  ProposedProviderTest()
      : repo_({{"pkg/__init__.py", ""}, {"pkg/core.py", "X = 1\n"}, {"README.md", "hi\n"}}) {}

  absl::StatusOr<v1::ChangeSet> Implement(const v1::Recommendation& rec,
                                          ProposedOptions options = {}) {
    ImplementRequest request{rec, repo_.map(), analysis_, repo_.repo(), repo_.commit()};
    return MakeProposedProvider(std::move(options))->Implement(request);
  }

  TestRepo repo_;
  v1::Analysis analysis_;
};

TEST_F(ProposedProviderTest, AppliesFilesWithActionsAndTestFlags) {
  ASSERT_TRUE(repo_.ok());
  auto cs = Implement(Rec({{"pkg/core.py", "X = 2\n"},
                           {"pkg/alerts.py", "def alert():\n    return True\n"},
                           {"tests/test_alerts.py", "def test_a():\n    assert True\n"},
                           {"docs/alerts.md", "# Alerts\n"}}));
  ASSERT_TRUE(cs.ok()) << cs.status();
  EXPECT_EQ(cs->provider(), "proposed");
  ASSERT_EQ(cs->files_size(), 4);
  EXPECT_EQ(cs->files(0).action(), v1::ChangedFile::ACTION_MODIFY);
  EXPECT_EQ(cs->files(0).content(), "X = 2\n");
  EXPECT_EQ(cs->files(1).action(), v1::ChangedFile::ACTION_ADD);
  EXPECT_FALSE(cs->files(1).is_test());
  EXPECT_TRUE(cs->files(2).is_test());
  EXPECT_EQ(cs->files(3).action(), v1::ChangedFile::ACTION_ADD);
  EXPECT_EQ(cs->summary(),
            "proposed: 4 files (3 added, 1 modified, 1 test) for 'Add reorder alerts'");
  EXPECT_TRUE(changeset::Validate(*cs).ok());
}

TEST_F(ProposedProviderTest, GeneratesNoTests) {
  ASSERT_TRUE(repo_.ok());
  v1::Recommendation rec = Rec({{"pkg/alerts.py", "A = 1\n"}});
  ImplementRequest request{rec, repo_.map(), analysis_, repo_.repo(), repo_.commit()};
  auto provider = MakeProposedProvider();
  auto change = provider->Implement(request);
  ASSERT_TRUE(change.ok()) << change.status();
  auto tests = provider->GenerateTests(request, *change);
  ASSERT_TRUE(tests.ok()) << tests.status();
  EXPECT_EQ(tests->provider(), "proposed");
  EXPECT_EQ(tests->files_size(), 0);
}

TEST_F(ProposedProviderTest, RejectsHostilePaths) {
  ASSERT_TRUE(repo_.ok());
  for (const auto& [path, field] : std::vector<std::pair<std::string, std::string>>{
           {"../../etc/passwd", "proposed_files[1].path"},
           {"/etc/passwd", "proposed_files[1].path"},
           {".git/hooks/pre-commit", "proposed_files[1].path"},
           {"pkg", "proposed_files[1].path"},                  // a folder of the commit
           {"pkg/core.py/evil.py", "proposed_files[1].path"},  // below a file of the commit
           {"ok.txt", "proposed_files[1].path"}}) {            // twice
    auto cs = Implement(Rec({{"ok.txt", "x"}, {path, "y"}}));
    ASSERT_FALSE(cs.ok()) << path;
    EXPECT_EQ(cs.status().code(), absl::StatusCode::kInvalidArgument) << path;
    EXPECT_EQ(recommendation::FieldOf(cs.status()), field) << path << ": " << cs.status();
  }
  auto none = Implement(Rec({}));
  EXPECT_EQ(recommendation::FieldOf(none.status()), "proposed_files");
}

TEST_F(ProposedProviderTest, RejectsPythonSyntaxErrorsNamingFileAndLine) {
  ASSERT_TRUE(repo_.ok());
  auto cs = Implement(Rec(
      {{"pkg/fine.py", "A = 1\n"}, {"pkg/broken.py", "import os\n\ndef f(:\n    return os\n"}}));
  if (cs.ok()) GTEST_SKIP() << "python3 not available: " << cs->summary();
  EXPECT_EQ(cs.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(recommendation::FieldOf(cs.status()), "proposed_files[1].content");
  EXPECT_NE(cs.status().message().find("pkg/broken.py: Python syntax error at line 3"),
            std::string::npos)
      << cs.status();

  // Not Python: not checked.
  EXPECT_TRUE(Implement(Rec({{"notes.txt", "def f(:\n"}})).ok());
}

TEST_F(ProposedProviderTest, SkipsTheSyntaxCheckWithoutAnInterpreter) {
  ASSERT_TRUE(repo_.ok());
  ProposedOptions options;
  options.python = "/nonexistent/python3";
  auto cs = Implement(Rec({{"pkg/broken.py", "def f(:\n"}}), options);
  ASSERT_TRUE(cs.ok()) << cs.status();
  EXPECT_NE(cs->summary().find("Python syntax not checked"), std::string::npos) << cs->summary();
}

TEST_F(ProposedProviderTest, ReportsAnUnknownCommit) {
  ASSERT_TRUE(repo_.ok());
  v1::Recommendation rec = Rec({{"a.py", ""}});
  ImplementRequest request{rec, repo_.map(), analysis_, repo_.repo(),
                           "0000000000000000000000000000000000000000"};
  auto cs = MakeProposedProvider()->Implement(request);
  EXPECT_FALSE(cs.ok());
  EXPECT_NE(cs.status().message().find("list files of commit"), std::string::npos) << cs.status();
}

}  // namespace
}  // namespace slipway::implementer
