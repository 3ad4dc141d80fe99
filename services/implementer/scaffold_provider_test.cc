#include "services/implementer/scaffold_provider.h"

#include "gtest/gtest.h"
#include "libs/changeset/change_set.h"
#include "services/implementer/test_repo.h"

namespace slipway::implementer {
namespace {

using slipway::testing::RunCommand;
using test_support::PythonWithPytest;
using test_support::TestRepo;

// A title built to break naive generators: quotes, a docstring terminator, backslashes, a NUL,
// invalid UTF-8 and non-ASCII letters.
const std::string kHostileTitle = std::string("Restock \"alerts\" ''' \"\"\" \\ \\n ünïcødé 😀 ") +
                                  std::string("\0", 1) + "\xff end\\";
const std::string kExpectedTitle =  // as Python sees TITLE
    std::string("Restock \"alerts\" ''' \"\"\" \\ \\n ünïcødé 😀 ") + std::string("\0", 1) +
    "\xEF\xBF\xBD end\\";

v1::Recommendation HostileRecommendation() {
  v1::Recommendation rec;
  rec.set_title(kHostileTitle);
  rec.set_description(
      "Warn when stock falls below \"\"\"reorder\"\"\" points.\n\\x00 \\N{BULLET}\r\nEnd \\");
  rec.mutable_source()->set_kind("book");
  rec.mutable_source()->set_title("Ops \"\"\" book");
  rec.mutable_source()->set_chapter("4\\");
  auto add = [&](std::string name, std::string type, bool required) {
    auto* d = rec.add_data_requirements();
    d->set_name(std::move(name));
    d->set_type(std::move(type));
    d->set_description("the \"" + d->name() + "\"");
    d->set_required(required);
  };
  add("sku", "string", true);
  add("quantity", "int", true);
  add("price", "decimal", false);
  add("we\"ird \\ name", "string", true);
  add("sku", "string", true);  // a duplicate is modelled once
  return rec;
}

struct Scenario {
  std::map<std::string, std::string> files;
  v1::Analysis analysis;
};

Scenario RootPackage() {
  Scenario s;
  s.files = {
      {"inventory/__init__.py", ""},
      {"inventory/stock.py", "REORDER_POINT = 5\n\ndef level(sku):\n    return 10\n"},
      {"inventory/pricing/__init__.py", "BASE = 1\n"},
      {"tests/test_stock.py",
       "from inventory import stock\n\n\ndef test_level():\n    assert stock.level('a') == 10\n"}};
  s.analysis.set_language("python");
  s.analysis.set_suggested_path("inventory/restock_alerts.py");
  s.analysis.set_module_name("inventory.restock_alerts");
  s.analysis.set_test_path("tests/test_restock_alerts.py");
  for (const char* m : {"inventory.stock", "inventory.pricing", "inventory.missing", "requests",
                        "inventory.restock_alerts", "inventory.stock", "class.bad"})
    s.analysis.add_imports(m);
  auto* p = s.analysis.add_integration_points();
  p->set_file("inventory/stock.py");
  p->set_symbol("level");
  p->set_reason("mentions \"\"\" stock");
  return s;
}

class ScaffoldTest : public ::testing::Test {
 protected:
  // Implement and GenerateTests, merged: the module and its tests.
  absl::StatusOr<v1::ChangeSet> Implement(TestRepo& repo, const v1::Recommendation& rec,
                                          const v1::Analysis& analysis) {
    ImplementRequest request{rec, repo.map(), analysis, repo.repo(), repo.commit()};
    return test_support::ImplementWithTests(*MakeScaffoldProvider(), request);
  }

  // Writes the change set into the repository's work tree and runs pytest there.
  void ExpectPytestPasses(TestRepo& repo, const v1::ChangeSet& cs, const std::string& test_path) {
    ASSERT_TRUE(changeset::ApplyToDirectory(cs, repo.root()).ok());
    const std::string python = PythonWithPytest();
    if (python.empty()) GTEST_SKIP() << "no Python interpreter with pytest";
    const std::string root = repo.root().string();
    // The way the tester runs it: from the repository root.
    auto run = RunCommand("cd '" + root + "' && PYTHONDONTWRITEBYTECODE=1 " + python +
                          " -m pytest -q -p no:cacheprovider");
    EXPECT_EQ(run.exit_code, 0) << run.output;
    EXPECT_NE(run.output.find(" passed"), std::string::npos) << run.output;
    EXPECT_EQ(run.output.find("failed"), std::string::npos) << run.output;
    EXPECT_EQ(run.output.find("error"), std::string::npos) << run.output;
    // From elsewhere, so the repository root is not on sys.path: the test file's fallback.
    run = RunCommand("cd / && PYTHONDONTWRITEBYTECODE=1 " + python +
                     " -m pytest -q -p no:cacheprovider '" + root + "/" + test_path + "'");
    EXPECT_EQ(run.exit_code, 0) << run.output;
  }
};

TEST_F(ScaffoldTest, GeneratesAPythonModuleAndPassingTests) {
  Scenario s = RootPackage();
  TestRepo repo(s.files);
  ASSERT_TRUE(repo.ok());
  v1::Recommendation rec = HostileRecommendation();
  auto cs = Implement(repo, rec, s.analysis);
  ASSERT_TRUE(cs.ok()) << cs.status();
  EXPECT_EQ(cs->provider(), "scaffold");
  ASSERT_EQ(cs->files_size(), 2);
  EXPECT_TRUE(changeset::Validate(*cs).ok());
  const v1::ChangedFile& module = cs->files(0);
  const v1::ChangedFile& test = cs->files(1);
  EXPECT_EQ(module.path(), "inventory/restock_alerts.py");
  EXPECT_EQ(module.action(), v1::ChangedFile::ACTION_ADD);
  EXPECT_FALSE(module.is_test());
  EXPECT_EQ(test.path(), "tests/test_restock_alerts.py");
  EXPECT_TRUE(test.is_test());
  EXPECT_NE(cs->summary().find("inventory/restock_alerts.py"), std::string::npos);
  EXPECT_NE(cs->summary().find("\xEF\xBF\xBD end"), std::string::npos) << "valid UTF-8";

  // Only the integration modules that exist, once each.
  EXPECT_NE(module.content().find("\nimport inventory.stock\nimport inventory.pricing\n\n"),
            std::string::npos)
      << module.content();
  EXPECT_EQ(module.content().find("inventory.missing"), std::string::npos);
  EXPECT_EQ(module.content().find("import requests"), std::string::npos);
  EXPECT_EQ(module.content().find("class.bad"), std::string::npos);
  EXPECT_NE(module.content().find("def validate(record"), std::string::npos);
  EXPECT_NE(module.content().find("def is_enabled(config"), std::string::npos);
  EXPECT_NE(module.content().find("def apply(\n"), std::string::npos);
  EXPECT_NE(test.content().find("import inventory.restock_alerts as feature"), std::string::npos);

  // Same input, same bytes.
  auto again = Implement(repo, rec, s.analysis);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->SerializeAsString(), cs->SerializeAsString());

  ExpectPytestPasses(repo, *cs, test.path());

  // Python reads the hostile title back exactly (invalid UTF-8 replaced).
  const std::string python = PythonWithPytest();
  if (python.empty()) return;
  auto run = RunCommand("cd '" + repo.root().string() + "' && " + python +
                        " -c 'import sys, inventory.restock_alerts as m; "
                        "sys.stdout.buffer.write(m.TITLE.encode()); "
                        "sys.stdout.buffer.write(b\"|\" + str(m.REQUIRED_FIELDS).encode())'");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_EQ(run.output, kExpectedTitle + "|('sku', 'quantity', 'we\"ird \\\\ name')");
}

TEST_F(ScaffoldTest, ImplementWritesTheModuleAndGenerateTestsItsTests) {
  Scenario s = RootPackage();
  TestRepo repo(s.files);
  ASSERT_TRUE(repo.ok());
  v1::Recommendation rec = HostileRecommendation();
  ImplementRequest request{rec, repo.map(), s.analysis, repo.repo(), repo.commit()};
  auto provider = MakeScaffoldProvider();
  auto change = provider->Implement(request);
  ASSERT_TRUE(change.ok()) << change.status();
  ASSERT_EQ(change->files_size(), 1);
  EXPECT_EQ(change->files(0).path(), "inventory/restock_alerts.py");
  EXPECT_FALSE(change->files(0).is_test());

  // A fresh provider (another process) writes the same tests from the stored change.
  auto tests = MakeScaffoldProvider()->GenerateTests(request, *change);
  ASSERT_TRUE(tests.ok()) << tests.status();
  EXPECT_EQ(tests->provider(), "scaffold");
  ASSERT_EQ(tests->files_size(), 1);
  EXPECT_EQ(tests->files(0).path(), "tests/test_restock_alerts.py");
  EXPECT_TRUE(tests->files(0).is_test());
  EXPECT_EQ(tests->files(0).action(), v1::ChangedFile::ACTION_ADD);
  EXPECT_NE(tests->summary().find("tests/test_restock_alerts.py"), std::string::npos);

  // Tests of a change the scaffold did not write, or one that already holds them: refused.
  v1::ChangeSet other;
  other.add_files()->set_path("inventory/other.py");
  EXPECT_EQ(provider->GenerateTests(request, other).status().code(),
            absl::StatusCode::kFailedPrecondition);
  v1::ChangeSet merged = *change;
  *merged.add_files() = tests->files(0);
  auto twice = provider->GenerateTests(request, merged);
  EXPECT_EQ(twice.status().code(), absl::StatusCode::kFailedPrecondition) << twice.status();
}

TEST_F(ScaffoldTest, SrcLayoutAndNoRequirements) {
  TestRepo repo(
      test_support::Files{{"src/shop/__init__.py", ""},
                          {"src/shop/cart.py", "ITEMS = []\n"},
                          {"tests/test_cart.py", "def test_nothing():\n    assert True\n"}});
  ASSERT_TRUE(repo.ok());
  v1::Analysis analysis;
  analysis.set_language("Python");
  analysis.set_suggested_path("src/shop/discounts.py");
  analysis.set_module_name("shop.discounts");
  analysis.set_test_path("tests/test_discounts.py");
  analysis.add_imports("shop.cart");
  v1::Recommendation rec;
  rec.set_title("Discounts");
  rec.set_description("Volume discounts.");
  auto cs = Implement(repo, rec, analysis);
  ASSERT_TRUE(cs.ok()) << cs.status();
  EXPECT_NE(cs->files(0).content().find("import shop.cart\n"), std::string::npos);
  EXPECT_NE(cs->files(1).content().find("\"..\", \"src\""), std::string::npos)
      << cs->files(1).content();
  ExpectPytestPasses(repo, *cs, cs->files(1).path());
}

TEST_F(ScaffoldTest, DerivesPathsFromTheTitleWhenTheAnalysisHasNone) {
  TestRepo repo(test_support::Files{{"app.py", "print('hi')\n"}});
  ASSERT_TRUE(repo.ok());
  repo.map().set_primary_language("python");
  v1::Analysis analysis;
  v1::Recommendation rec;
  rec.set_title("Add: Loyalty Points!");
  rec.set_description("d");
  rec.add_data_requirements()->set_name("customer_id");
  rec.mutable_data_requirements(0)->set_required(true);
  auto cs = Implement(repo, rec, analysis);
  ASSERT_TRUE(cs.ok()) << cs.status();
  EXPECT_EQ(cs->files(0).path(), "add_loyalty_points.py");
  EXPECT_EQ(cs->files(1).path(), "test_add_loyalty_points.py");
  ExpectPytestPasses(repo, *cs, cs->files(1).path());
}

TEST_F(ScaffoldTest, RefusesWhatItCannotDo) {
  Scenario s = RootPackage();
  TestRepo repo(s.files);
  ASSERT_TRUE(repo.ok());
  v1::Recommendation rec = HostileRecommendation();

  v1::Analysis rust = s.analysis;
  rust.set_language("rust");
  auto st = Implement(repo, rec, rust).status();
  EXPECT_EQ(st.code(), absl::StatusCode::kUnimplemented);
  EXPECT_EQ(st.message(), "scaffold provider: language 'rust' not supported yet");

  v1::Analysis exists = s.analysis;
  exists.set_suggested_path("inventory/stock.py");
  exists.set_module_name("inventory.stock");
  EXPECT_EQ(Implement(repo, rec, exists).status().code(), absl::StatusCode::kFailedPrecondition);

  v1::Analysis mismatch = s.analysis;
  mismatch.set_module_name("inventory.other");
  st = Implement(repo, rec, mismatch).status();
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("analysis.module_name"), std::string::npos) << st;

  v1::Analysis escape = s.analysis;
  escape.set_suggested_path("../evil.py");
  st = Implement(repo, rec, escape).status();
  EXPECT_NE(st.message().find("analysis.suggested_path"), std::string::npos) << st;

  v1::Analysis bad_test = s.analysis;
  bad_test.set_test_path("tests/restock_checks.py");
  st = Implement(repo, rec, bad_test).status();
  EXPECT_NE(st.message().find("analysis.test_path"), std::string::npos) << st;

  v1::Analysis keyword = s.analysis;
  keyword.set_suggested_path("inventory/class.py");
  keyword.set_module_name("");
  st = Implement(repo, rec, keyword).status();
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument) << st;
}

}  // namespace
}  // namespace slipway::implementer
