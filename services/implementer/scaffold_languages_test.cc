// The whole chain in one process on the Go and C++ sample repositories (examples/repos-src):
// map the repository, analyze the example recommendation, scaffold the change and its tests,
// write them over a checkout of the base commit and run the repository's own build and test
// commands as the mapper found them.
#include <fmt/format.h>

#include <filesystem>
#include <memory>

#include "gtest/gtest.h"
#include "libs/changeset/change_set.h"
#include "libs/recommendation/recommendation.h"
#include "libs/repo/repository.h"
#include "services/analyzer/analyzer.h"
#include "services/implementer/code_provider.h"
#include "services/implementer/test_repo.h"
#include "services/mapper/mapper.h"
#include "tests/harness/harness.h"

namespace slipway::implementer {
namespace {

namespace fs = std::filesystem;
using slipway::testing::ReadFile;
using slipway::testing::RunCommand;
using slipway::testing::TempDir;

struct Chain {
  v1::Recommendation rec;
  v1::RepositoryMap map;
  v1::Analysis analysis;
  v1::ChangeSet change;  // Implement's files
  v1::ChangeSet tests;   // GenerateTests' files
  fs::path worktree;     // the base commit with both written over it
};

class ScaffoldLanguagesTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir("slipway-languages");
    repos_ = new fs::path(slipway::testing::PrepareSampleRepo(dir_->path() / "repos"));
  }
  static void TearDownTestSuite() {
    delete repos_;
    delete dir_;
  }

  // Runs the chain for examples/repos/<name> and examples/recommendations/<file>.
  static void RunChain(const std::string& name, const std::string& file, Chain& out) {
    const fs::path path = repos_->parent_path() / name;
    auto repo = repo::Repository::Open(path);
    ASSERT_TRUE(repo.ok()) << repo.status();
    auto commit = repo->ResolveCommit("HEAD");
    ASSERT_TRUE(commit.ok()) << commit.status();

    auto rec = recommendation::ParseJson(
        ReadFile(slipway::testing::SourceDir() / "examples" / "recommendations" / file));
    ASSERT_TRUE(rec.ok()) << rec.status();
    ASSERT_TRUE(recommendation::Validate(*rec).ok());
    EXPECT_EQ(rec->target().url(), "examples/repos/" + name);
    out.rec = *rec;

    auto map = mapper::MapRepository(*repo, *commit);
    ASSERT_TRUE(map.ok()) << map.status();
    out.map = *map;
    auto symbols = analyzer::BuildSymbolIndex(*map, *repo, *commit);
    ASSERT_TRUE(symbols.ok()) << symbols.status();
    auto analysis = analyzer::Analyze(*rec, *map, *repo, *commit, &*symbols);
    ASSERT_TRUE(analysis.ok()) << analysis.status();
    out.analysis = *analysis;

    auto provider = ProviderFor(*rec);
    ASSERT_TRUE(provider.ok()) << provider.status();
    ASSERT_EQ((*provider)->name(), "scaffold");
    ImplementRequest request{*rec, *map, *analysis, *repo, *commit};
    auto change = (*provider)->Implement(request);
    ASSERT_TRUE(change.ok()) << change.status() << "\n" << analysis->DebugString();
    out.change = *change;
    auto tests = (*provider)->GenerateTests(request, *change);
    ASSERT_TRUE(tests.ok()) << tests.status();
    out.tests = *tests;

    v1::ChangeSet merged = *change;
    for (const auto& f : tests->files()) *merged.add_files() = f;
    ASSERT_TRUE(changeset::Validate(merged).ok());
    out.worktree = dir_->path() / ("worktree-" + name);
    ASSERT_TRUE(repo->Checkout(*commit, out.worktree).ok());
    ASSERT_TRUE(changeset::ApplyToDirectory(merged, out.worktree).ok());
  }

  static const v1::BuildSystem* Build(const v1::RepositoryMap& map, const std::string& name) {
    for (const auto& b : map.build_systems())
      if (b.name() == name) return &b;
    return nullptr;
  }

  static TempDir* dir_;
  static fs::path* repos_;
};

TempDir* ScaffoldLanguagesTest::dir_ = nullptr;
fs::path* ScaffoldLanguagesTest::repos_ = nullptr;

std::vector<std::string> Paths(const v1::ChangeSet& cs) {
  std::vector<std::string> out;
  for (const auto& f : cs.files()) out.push_back(f.path());
  return out;
}

TEST_F(ScaffoldLanguagesTest, ShippingGoGetsInsuranceThatGoTestPasses) {
  Chain chain;
  RunChain("shipping-go", "shipping-insurance.json", chain);
  if (HasFatalFailure()) return;
  const v1::Analysis& a = chain.analysis;
  EXPECT_EQ(a.language(), "go");
  ASSERT_GE(a.integration_points_size(), 1);
  EXPECT_EQ(a.integration_points(0).file(), "rates/rates.go") << a.DebugString();
  EXPECT_EQ(a.suggested_path(), "rates/declared_value_shipping_insurance.go");
  EXPECT_EQ(a.module_name(), "example.com/shipping/rates");
  EXPECT_EQ(a.test_path(), "rates/declared_value_shipping_insurance_test.go");
  EXPECT_EQ(Paths(chain.change),
            std::vector<std::string>{"rates/declared_value_shipping_insurance.go"});
  EXPECT_EQ(Paths(chain.tests),
            std::vector<std::string>{"rates/declared_value_shipping_insurance_test.go"});
  EXPECT_TRUE(chain.change.files(0).content().starts_with("package rates\n"));

  EXPECT_EQ(chain.map.test_command(), "go test ./...");
  if (RunCommand("go version").exit_code != 0) GTEST_SKIP() << "go is not installed";
  TempDir home("slipway-go");
  const std::string env = fmt::format(
      "env HOME='{0}' GOPATH='{0}/gopath' GOCACHE='{0}/cache' GOMODCACHE='{0}/gopath/mod' "
      "GOFLAGS=-mod=mod GOPROXY=off GOSUMDB=off GOTOOLCHAIN=local CGO_ENABLED=0",
      home.path().string());
  auto fmt = RunCommand("cd '" + chain.worktree.string() + "' && gofmt -l .");
  EXPECT_EQ(fmt.output, "") << "not gofmt-clean";
  auto run = RunCommand("cd '" + chain.worktree.string() + "' && " + env + " " +
                        chain.map.test_command() + " -v");
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(run.output.find("--- PASS: TestDeclaredValueShippingInsuranceApplyOnAValidRecord"),
            std::string::npos)
      << run.output;
  EXPECT_NE(run.output.find("--- PASS: TestQuoteAddsStartedKilosAndSurcharge"), std::string::npos)
      << run.output;
  EXPECT_EQ(run.output.find("FAIL"), std::string::npos) << run.output;
}

TEST_F(ScaffoldLanguagesTest, LedgerCppGetsInterestThatCtestPasses) {
  Chain chain;
  RunChain("ledger-cpp", "ledger-interest.json", chain);
  if (HasFatalFailure()) return;
  const v1::Analysis& a = chain.analysis;
  EXPECT_EQ(a.language(), "cpp");
  EXPECT_EQ(a.suggested_path(), "include/ledger/monthly_interest_on_savings_accounts.h")
      << a.DebugString();
  EXPECT_EQ(a.module_name(), "ledger/monthly_interest_on_savings_accounts.h");
  EXPECT_EQ(a.test_path(), "tests/monthly_interest_on_savings_accounts_test.cpp");
  // The library lists its sources and every header has one: a source file joins the list.
  EXPECT_EQ(
      Paths(chain.change),
      (std::vector<std::string>{"include/ledger/monthly_interest_on_savings_accounts.h",
                                "src/monthly_interest_on_savings_accounts.cpp", "CMakeLists.txt"}));
  EXPECT_EQ(Paths(chain.tests),
            (std::vector<std::string>{"tests/monthly_interest_on_savings_accounts_test.cpp",
                                      "tests/CMakeLists.txt"}));
  EXPECT_NE(chain.change.files(0).content().find(
                "namespace ledger {\nnamespace monthly_interest_on_savings_accounts {\n"),
            std::string::npos);

  const v1::BuildSystem* cmake = Build(chain.map, "cmake");
  ASSERT_NE(cmake, nullptr);
  EXPECT_EQ(chain.map.test_command(), cmake->test_command());
  if (RunCommand("command -v cmake && command -v ninja && command -v c++").exit_code != 0)
    GTEST_SKIP() << "cmake, ninja or a C++ compiler is missing";
  auto run = RunCommand("cd '" + chain.worktree.string() + "' && " + cmake->build_command() +
                        " && " + chain.map.test_command());
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(run.output.find("100% tests passed, 0 tests failed out of 7"), std::string::npos)
      << run.output;
}

}  // namespace
}  // namespace slipway::implementer
