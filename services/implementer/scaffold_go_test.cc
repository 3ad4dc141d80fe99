// The Go scaffold: written into sample modules, formatted as gofmt would, and passing
// `go test ./...` (offline: GOPROXY=off, private GOCACHE/GOPATH/HOME).
#include <fmt/format.h>

#include <tuple>
#include <vector>

#include "gtest/gtest.h"
#include "libs/changeset/change_set.h"
#include "services/implementer/scaffold_provider.h"
#include "services/implementer/test_repo.h"

namespace slipway::implementer {
namespace {

using slipway::testing::ReadFile;
using slipway::testing::RunCommand;
using slipway::testing::TempDir;
using slipway::testing::WriteFile;
using test_support::TestRepo;

// Text that breaks naive generators of Go: quotes, backquotes, a comment terminator, a NUL, a
// byte order mark, invalid UTF-8, and description paragraphs that gofmt would reformat if they
// were written as they are (an old-style heading, a link definition, an indented block).
const std::string kHostileTitle = std::string("Restock \"alerts\" `now` */ \\n ünï 😀 ") +
                                  std::string("\0", 1) + "\xEF\xBB\xBF \xff end\\";
const std::string kExpectedTitle = std::string("Restock \"alerts\" `now` */ \\n ünï 😀 ") +
                                   std::string("\0", 1) + "\xEF\xBB\xBF \xEF\xBF\xBD end\\";

v1::Recommendation HostileRecommendation() {
  v1::Recommendation rec;
  rec.set_title(kHostileTitle);
  rec.set_description(
      "Warn when stock falls below the reorder point.\n\nA Heading Like Line\n\n"
      "[link]: https://example.com/x\n\n    indented code\n\t- a list\n# not a heading\n\n"
      "*/ `tick` \"quote\" \\ end");
  rec.mutable_source()->set_kind("book");
  rec.mutable_source()->set_title("Ops `book` */");
  auto add = [&](std::string name, std::string type, bool required) {
    auto* d = rec.add_data_requirements();
    d->set_name(std::move(name));
    d->set_type(std::move(type));
    d->set_description("the `" + d->name() + "` */ field");
    d->set_required(required);
  };
  add("sku", "string", true);
  add("quantity", "int", true);
  add("price", "decimal", false);
  add("tags", "list[str]", false);
  add("meta", "json object", false);
  add("active", "bool", false);
  add("we\"ird ` name\xff", "string", true);
  add("we\"ird ` name\xfe", "string", true);  // the same name once made valid UTF-8
  return rec;
}

class GoScaffoldTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { go_home_ = new TempDir("slipway-go"); }
  static void TearDownTestSuite() {
    delete go_home_;
    go_home_ = nullptr;
  }

  static bool HaveGo() { return RunCommand("go version").exit_code == 0; }

  // The environment of an offline, hermetic go command.
  static std::string GoEnv() {
    const std::string home = go_home_->path().string();
    return fmt::format(
        "env HOME='{0}' GOPATH='{0}/gopath' GOCACHE='{0}/cache' GOMODCACHE='{0}/gopath/mod' "
        "GOFLAGS=-mod=mod GOPROXY=off GOSUMDB=off GOTOOLCHAIN=local CGO_ENABLED=0 GO111MODULE=on",
        home);
  }

  static absl::StatusOr<v1::ChangeSet> Scaffold(TestRepo& repo, const v1::Recommendation& rec,
                                                const v1::Analysis& analysis) {
    ImplementRequest request{rec, repo.map(), analysis, repo.repo(), repo.commit()};
    return test_support::ImplementWithTests(*MakeScaffoldProvider(), request);
  }

  // Applies the change set, checks gofmt and runs the module's tests.
  static void ExpectGoTestPasses(TestRepo& repo, const v1::ChangeSet& cs) {
    ASSERT_TRUE(changeset::ApplyToDirectory(cs, repo.root()).ok());
    if (!HaveGo()) GTEST_SKIP() << "go is not installed";
    std::string paths;
    for (const auto& f : cs.files()) paths += " '" + (repo.root() / f.path()).string() + "'";
    if (RunCommand("command -v gofmt").exit_code == 0) {
      auto fmt = RunCommand("gofmt -l" + paths);
      EXPECT_EQ(fmt.exit_code, 0) << fmt.output;
      EXPECT_EQ(fmt.output, "") << "not gofmt-clean; gofmt -d says:\n"
                                << RunCommand("gofmt -d" + paths).output;
    }
    auto run = RunCommand("cd '" + repo.root().string() + "' && " + GoEnv() + " go test ./...");
    EXPECT_EQ(run.exit_code, 0) << run.output;
    EXPECT_EQ(run.output.find("FAIL"), std::string::npos) << run.output;
  }

  static TempDir* go_home_;
};

TempDir* GoScaffoldTest::go_home_ = nullptr;

test_support::Files ShopModule(const std::string& go_version) {
  return {
      {"go.mod", "module example.com/shop\n\ngo " + go_version + "\n"},
      {"rates/rates.go",
       "// Package rates prices parcels.\npackage rates\n\n// Quote is the price of a parcel in "
       "cents.\nfunc Quote(grams int) int { return 100 + grams/10 }\n"},
      {"rates/rates_test.go",
       "package rates_test\n\nimport (\n\t\"testing\"\n\n\t\"example.com/shop/rates\"\n)\n\n"
       "func TestQuote(t *testing.T) {\n\tif rates.Quote(1000) != 200 {\n\t\tt.Fatal(\"quote\")\n"
       "\t}\n}\n"},
      {"cmd/shop/main.go",
       "package main\n\nimport (\n\t\"fmt\"\n\n\t\"example.com/shop/rates\"\n)\n\n"
       "func main() { fmt.Println(rates.Quote(1)) }\n"}};
}

TEST_F(GoScaffoldTest, AddsAFileToAnExistingPackageThatGoTestPasses) {
  TestRepo repo(ShopModule("1.19"));
  ASSERT_TRUE(repo.ok());
  v1::Analysis analysis;
  analysis.set_language("go");
  analysis.set_suggested_path("rates/restock_alerts.go");
  analysis.set_test_path("rates/restock_alerts_test.go");
  analysis.add_integration_points()->set_file("rates/rates.go");
  analysis.mutable_integration_points(0)->set_symbol("Quote");
  v1::Recommendation rec = HostileRecommendation();

  ImplementRequest request{rec, repo.map(), analysis, repo.repo(), repo.commit()};
  auto source = MakeScaffoldProvider()->Implement(request);
  ASSERT_TRUE(source.ok()) << source.status();
  ASSERT_EQ(source->files_size(), 1);
  EXPECT_EQ(source->files(0).path(), "rates/restock_alerts.go");
  EXPECT_FALSE(source->files(0).is_test());
  EXPECT_NE(source->summary().find("package rates"), std::string::npos) << source->summary();
  const std::string& go = source->files(0).content();
  EXPECT_TRUE(go.starts_with("package rates\n")) << go;
  for (const char* decl :
       {"\nconst Title = ", "\nconst Source = ", "\nconst FeatureFlag = \"restock_alerts\"\n",
        "\ntype Requirement struct {", "\nvar Requirements = []Requirement{",
        "\nfunc Validate(record map[string]any) error {",
        "\nfunc IsEnabled(config map[string]string) bool {",
        "\nfunc Apply(record map[string]any, config map[string]string) (map[string]any, error) {",
        "\n// Title names the recommendation this file implements: Restock"})
    EXPECT_NE(go.find(decl), std::string::npos) << decl << "\n" << go;
  EXPECT_EQ(go.find(std::string("\0", 1)), std::string::npos);
  EXPECT_EQ(go.find("\xEF\xBB\xBF"), std::string::npos) << "no BOM inside a Go file";
  EXPECT_EQ(go.find("`"), std::string::npos);
  EXPECT_EQ(go.find("*/"), std::string::npos);

  auto tests = MakeScaffoldProvider()->GenerateTests(request, *source);
  ASSERT_TRUE(tests.ok()) << tests.status();
  ASSERT_EQ(tests->files_size(), 1);
  EXPECT_EQ(tests->files(0).path(), "rates/restock_alerts_test.go");
  EXPECT_TRUE(tests->files(0).is_test());
  const std::string& test = tests->files(0).content();
  EXPECT_NE(test.find("\npackage rates\n\nimport \"testing\"\n"), std::string::npos) << test;
  EXPECT_NE(test.find("func TestRestockAlertsApplyOnAValidRecord(t *testing.T)"),
            std::string::npos);

  auto cs = Scaffold(repo, rec, analysis);
  ASSERT_TRUE(cs.ok()) << cs.status();
  ASSERT_EQ(cs->files_size(), 2);
  auto again = Scaffold(repo, rec, analysis);
  EXPECT_EQ(again->SerializeAsString(), cs->SerializeAsString()) << "deterministic";

  ExpectGoTestPasses(repo, *cs);
  if (::testing::Test::IsSkipped() || !HaveGo()) return;

  // Go reads the title back byte for byte (invalid UTF-8 replaced).
  TempDir out;
  WriteFile(
      repo.root() / "rates" / "zz_title_test.go",
      "package rates\n\nimport (\n\t\"os\"\n\t\"testing\"\n)\n\n"
      "func TestWriteTitle(t *testing.T) {\n"
      "\tif err := os.WriteFile(os.Getenv(\"TITLE_OUT\"), []byte(Title), 0o644); err != nil {\n"
      "\t\tt.Fatal(err)\n\t}\n}\n");
  auto run = RunCommand("cd '" + repo.root().string() + "' && TITLE_OUT='" +
                        (out.path() / "title").string() + "' " + GoEnv() +
                        " go test -run TestWriteTitle ./rates");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_EQ(ReadFile(out.path() / "title"), kExpectedTitle);
}

TEST_F(GoScaffoldTest, PrefixesItsNamesWhenThePackageHasThemAndWritesInterfaceBeforeGo118) {
  test_support::Files files = ShopModule("1.17");
  files["rates/validate.go"] =
      "package rates\n\nimport \"errors\"\n\nconst (\n\tTitle = \"Rates\"\n\tunused, Other = 1, "
      "2\n)\n\n"
      "// Validate checks a weight.\nfunc Validate(grams int) error {\n\tif grams <= 0 {\n"
      "\t\treturn errors.New(\"weight\")\n\t}\n\treturn nil\n}\n";
  TestRepo repo(files);
  ASSERT_TRUE(repo.ok());
  v1::Analysis analysis;
  analysis.set_language("Go");
  analysis.set_suggested_path("rates/low_stock.go");
  v1::Recommendation rec;
  rec.set_title("Low stock");
  rec.set_description("Alert on low stock.");
  auto cs = Scaffold(repo, rec, analysis);
  ASSERT_TRUE(cs.ok()) << cs.status();
  ASSERT_EQ(cs->files_size(), 2);
  EXPECT_EQ(cs->files(1).path(), "rates/low_stock_test.go");
  const std::string& go = cs->files(0).content();
  EXPECT_NE(go.find("\nconst LowStockTitle = \"Low stock\"\n"), std::string::npos) << go;
  EXPECT_NE(go.find("\nfunc LowStockValidate(record map[string]interface{}) error {"),
            std::string::npos)
      << go;
  EXPECT_EQ(go.find("]any"), std::string::npos) << go;
  EXPECT_NE(go.find("var LowStockRequirements = []LowStockRequirement{}\n"), std::string::npos)
      << go;
  ExpectGoTestPasses(repo, *cs);
}

TEST_F(GoScaffoldTest, NamesThePackageOfANewFolderAfterIt) {
  TestRepo repo(ShopModule("1.19"));
  ASSERT_TRUE(repo.ok());
  v1::Recommendation rec;
  rec.set_title("Gift wrap");
  rec.set_description("d");
  rec.add_data_requirements()->set_name("order_id");
  rec.mutable_data_requirements(0)->set_required(true);

  v1::Analysis analysis;
  analysis.set_language("go");
  analysis.set_suggested_path("internal/Gift-Wrap/wrap.go");
  auto cs = Scaffold(repo, rec, analysis);
  ASSERT_TRUE(cs.ok()) << cs.status();
  EXPECT_TRUE(cs->files(0).content().starts_with("package giftwrap\n")) << cs->files(0).content();

  // At the root of a module with no Go files there: the module's last path element.
  TestRepo bare(test_support::Files{{"go.mod", "module example.com/gift-shop/v2\n\ngo 1.19\n"}});
  ASSERT_TRUE(bare.ok());
  analysis.set_suggested_path("gift_wrap.go");
  auto root = Scaffold(bare, rec, analysis);
  ASSERT_TRUE(root.ok()) << root.status();
  EXPECT_TRUE(root->files(0).content().starts_with("package giftshop\n"))
      << root->files(0).content();
  EXPECT_EQ(root->files(1).path(), "gift_wrap_test.go");
  ExpectGoTestPasses(bare, *root);
}

TEST_F(GoScaffoldTest, RefusesWhatTheGoToolWouldNotBuild) {
  TestRepo repo(ShopModule("1.19"));
  ASSERT_TRUE(repo.ok());
  v1::Recommendation rec;
  rec.set_title("Gift wrap");
  rec.set_description("d");
  auto status = [&](const std::string& path, const std::string& test_path) {
    v1::Analysis analysis;
    analysis.set_language("go");
    analysis.set_suggested_path(path);
    analysis.set_test_path(test_path);
    return Scaffold(repo, rec, analysis).status();
  };
  for (const auto& [path, test, field] :
       std::vector<std::tuple<std::string, std::string, std::string>>{
           {"rates/wrap_test.go", "", "analysis.suggested_path"},
           {"rates/wrap.py", "", "analysis.suggested_path"},
           {"rates/_wrap.go", "", "analysis.suggested_path"},
           {"rates/wrap_windows.go", "", "analysis.suggested_path"},
           {"rates/wrap_linux_arm64.go", "", "analysis.suggested_path"},
           {"../wrap.go", "", "analysis.suggested_path"},
           {"rates/wrap.go", "tests/wrap_test.go", "analysis.test_path"},
           {"rates/wrap.go", "rates/wrap_tests.go", "analysis.test_path"}}) {
    absl::Status st = status(path, test);
    EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument) << path << " " << test << ": " << st;
    EXPECT_TRUE(std::string(st.message()).starts_with(field)) << st;
  }
  EXPECT_EQ(status("rates/rates.go", "").code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(status("rates/wrap.go", "rates/rates_test.go").code(),
            absl::StatusCode::kFailedPrecondition);
  // "windows" alone is a file name like any other.
  EXPECT_TRUE(status("rates/windows.go", "").ok());

  // Tests for a change that lacks the scaffold's file.
  v1::Analysis analysis;
  analysis.set_language("go");
  analysis.set_suggested_path("rates/wrap.go");
  ImplementRequest request{rec, repo.map(), analysis, repo.repo(), repo.commit()};
  auto tests = MakeScaffoldProvider()->GenerateTests(request, v1::ChangeSet());
  EXPECT_EQ(tests.status().code(), absl::StatusCode::kFailedPrecondition) << tests.status();
}

}  // namespace
}  // namespace slipway::implementer
