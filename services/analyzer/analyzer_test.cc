#include "services/analyzer/analyzer.h"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "services/mapper/mapper.h"
#include "tests/harness/harness.h"

namespace slipway::analyzer {
namespace {

namespace fs = std::filesystem;
using slipway::testing::Files;

// A throw-away git repository with one commit of the given files, already mapped.
class FixtureRepo {
 public:
  explicit FixtureRepo(const Files& files) : git_(files) {
    EXPECT_TRUE(git_.ok()) << "fixture repository not created";
    auto map = mapper::MapRepository(git_.repo(), git_.commit());
    EXPECT_TRUE(map.ok()) << map.status();
    if (map.ok()) map_ = *map;
  }

  v1::Analysis Run(const v1::Recommendation& rec) const {
    auto analysis = Analyze(rec, map_, git_.repo(), git_.commit());
    EXPECT_TRUE(analysis.ok()) << analysis.status();
    return analysis.ok() ? *analysis : v1::Analysis();
  }

  // With the symbol index the analyzer step builds (universal-ctags).
  v1::Analysis RunIndexed(const v1::Recommendation& rec) const {
    auto index = BuildSymbolIndex(map_, git_.repo(), git_.commit());
    EXPECT_TRUE(index.ok()) << index.status();
    if (!index.ok()) return {};
    EXPECT_EQ(index->indexer(), "universal-ctags");
    auto analysis = Analyze(rec, map_, git_.repo(), git_.commit(), &*index);
    EXPECT_TRUE(analysis.ok()) << analysis.status();
    return analysis.ok() ? *analysis : v1::Analysis();
  }
  const repo::Repository& repo() const { return git_.repo(); }
  const std::string& commit() const { return git_.commit(); }
  const v1::RepositoryMap& map() const { return map_; }

 private:
  slipway::testing::GitFixture git_;
  v1::RepositoryMap map_;
};

v1::Recommendation Rec(const std::string& title, const std::string& description) {
  v1::Recommendation rec;
  rec.set_title(title);
  rec.set_description(description);
  return rec;
}

const Files kShop = {
    {"pyproject.toml", "[project]\nname = 'shop'\n"},
    {"inventory/__init__.py", ""},
    {"inventory/models.py", "class Item:\n    sku: str\n    quantity: int\n"},
    {"inventory/stock.py",
     "\"\"\"Stock levels.\n\nimport users  (inside a docstring)\n\"\"\"\n"
     "from .models import Item\n"
     "from . import pricing\n"
     "import inventory.pricing.rules as rules\n"
     "import os, requests\n"
     "# import billing\n"
     "s = 'import users'\n\n"
     "def restock(item: Item, qty: int) -> None:\n    item.quantity += qty\n\n"
     "def low_stock(items, threshold):\n    return [i for i in items if i.quantity < threshold]\n"},
    {"inventory/pricing/__init__.py", ""},
    {"inventory/pricing/rules.py",
     "from ..models import (Item,\n                      Unit)\n"
     "from ...outside import x\n\n"
     "def discount(price, percent):\n    return price * (1 - percent / 100)\n"},
    {"billing/__init__.py", ""},
    {"billing/invoice.py",
     "from inventory.stock import restock\nimport numpy as np\n\n"
     "class Invoice:\n    def total(self, lines):\n        return sum(l.price for l in lines)\n\n"
     "    def add_tax(self, rate):\n        pass\n"},
    {"users/__init__.py", ""},
    {"users/accounts.py",
     "def create_account(name, email):\n    pass\n\n"
     "def reset_password(account):\n    \"\"\"Send a reset link by email.\"\"\"\n"},
    {"tests/test_stock.py",
     "from inventory.stock import low_stock\n\ndef test_low_stock_alert():\n    pass\n"},
};

TEST(PythonSymbols, DefsAndClassesOutsideStrings) {
  EXPECT_EQ(PythonSymbols("class Stock(Base):\n  def restock(self):\n    pass\n"
                          "  async def refresh(self): ...\n"
                          "'''\ndef not_real():\n'''\nx = 'class Nope'\n"),
            (std::vector<std::string>{"Stock", "restock", "refresh"}));
}

TEST(Tokenize, WordsStopwordsPluralsAndCamelCase) {
  EXPECT_EQ(Tokenize("Low-stock Alerts for the lowStockAlerts, categories; HTTPServer id 42 boxes"),
            (std::vector<std::string>{"low", "stock", "alert", "low", "stock", "alert", "category",
                                      "http", "server", "box"}));
  EXPECT_EQ(Tokenize("status analysis address"),
            (std::vector<std::string>{"status", "analysis", "address"}));
}

TEST(PythonModuleName, PackagesAndScripts) {
  FixtureRepo fx(kShop);
  EXPECT_EQ(PythonModuleName(fx.map(), "inventory/stock.py"), "inventory.stock");
  EXPECT_EQ(PythonModuleName(fx.map(), "inventory/pricing/__init__.py"), "inventory.pricing");
  EXPECT_EQ(PythonModuleName(fx.map(), "tests/test_stock.py"), "test_stock");
}

TEST(BuildImportGraph, ResolvesRelativeAndMultiLineImports) {
  FixtureRepo fx(kShop);
  auto graph = BuildImportGraph(fx.map(), fx.repo(), fx.commit());
  ASSERT_TRUE(graph.ok()) << graph.status();
  std::vector<std::pair<std::string, std::string>> edges;
  for (const auto& e : graph->edges) edges.emplace_back(e.from(), e.to());
  std::vector<std::pair<std::string, std::string>> want = {
      {"billing.invoice", "inventory.stock"},
      {"inventory.pricing.rules", "inventory.models"},
      {"inventory.stock", "inventory.models"},
      {"inventory.stock", "inventory.pricing"},
      {"inventory.stock", "inventory.pricing.rules"},
      {"test_stock", "inventory.stock"},
  };
  EXPECT_EQ(edges, want);
  EXPECT_EQ(graph->third_party.at("python"), (std::set<std::string>{"numpy", "requests"}));
  EXPECT_EQ(graph->importers.at("inventory/stock.py"), 2);  // billing.invoice and the test
}

TEST(Analyze, DescriptionWordsPickTheModule) {
  FixtureRepo fx(kShop);
  v1::Analysis stock =
      fx.Run(Rec("Low stock alerts", "Warn when an item falls below its reorder threshold."));
  ASSERT_GE(stock.integration_points_size(), 1);
  const v1::IntegrationPoint& top = stock.integration_points(0);
  EXPECT_EQ(top.file(), "inventory/stock.py");
  EXPECT_EQ(top.module(), "inventory.stock");
  EXPECT_EQ(top.symbol(), "low_stock");
  EXPECT_NE(top.reason().find("defines low_stock()"), std::string::npos) << top.reason();
  EXPECT_GT(top.score(), 0);
  // Tests are never integration points.
  for (const auto& ip : stock.integration_points()) EXPECT_NE(ip.file(), "tests/test_stock.py");
  for (int i = 1; i < stock.integration_points_size(); ++i)
    EXPECT_GE(stock.integration_points(i - 1).score(), stock.integration_points(i).score());

  v1::Analysis password = fx.Run(
      Rec("Password reset emails", "Email a reset link when an account password is forgotten."));
  ASSERT_GE(password.integration_points_size(), 1);
  EXPECT_EQ(password.integration_points(0).file(), "users/accounts.py");
  EXPECT_EQ(password.integration_points(0).symbol(), "reset_password");

  v1::Analysis tax = fx.Run(Rec("Invoice tax", "Apply the regional tax rate to invoice totals."));
  ASSERT_GE(tax.integration_points_size(), 1);
  EXPECT_EQ(tax.integration_points(0).file(), "billing/invoice.py");
  EXPECT_EQ(tax.integration_points(0).module(), "billing.invoice");
}

TEST(Analyze, HintModuleOutranksWords) {
  FixtureRepo fx(kShop);
  v1::Recommendation rec =
      Rec("Low stock alerts", "Warn when an item falls below its reorder threshold.");
  rec.mutable_hints()->add_modules("billing.invoice");
  v1::Analysis a = fx.Run(rec);
  ASSERT_GE(a.integration_points_size(), 2);
  EXPECT_EQ(a.integration_points(0).file(), "billing/invoice.py");
  EXPECT_NE(a.integration_points(0).reason().find("matches hint module billing.invoice"),
            std::string::npos);
  EXPECT_EQ(a.integration_points(1).file(), "inventory/stock.py");

  v1::Recommendation by_file = Rec("Low stock alerts", "Warn when stock is low.");
  by_file.mutable_hints()->add_files("users/accounts.py");
  v1::Analysis b = fx.Run(by_file);
  ASSERT_GE(b.integration_points_size(), 1);
  EXPECT_EQ(b.integration_points(0).file(), "users/accounts.py");

  // A hinted package puts its modules first, ahead of a better word match elsewhere.
  v1::Recommendation by_package = Rec("Low stock alerts", "Warn when stock is low.");
  by_package.mutable_hints()->add_modules("users");
  v1::Analysis c = fx.Run(by_package);
  ASSERT_GE(c.integration_points_size(), 1);
  EXPECT_EQ(c.integration_points(0).module(), "users.accounts");
}

TEST(Analyze, SuggestsPathInTopPackageWithRepositoryTestLayout) {
  FixtureRepo fx(kShop);
  v1::Recommendation rec =
      Rec("Low stock alerts", "Warn when an item falls below its reorder threshold.");
  rec.mutable_hints()->add_dependencies("slack-sdk");
  v1::Analysis a = fx.Run(rec);
  EXPECT_EQ(a.language(), "python");
  EXPECT_EQ(a.suggested_path(), "inventory/low_stock_alerts.py");
  EXPECT_EQ(a.module_name(), "inventory.low_stock_alerts");
  EXPECT_EQ(a.test_path(), "tests/test_low_stock_alerts.py");
  ASSERT_EQ(a.imports_size(), 2);
  EXPECT_EQ(a.imports(0), "inventory.stock");
  EXPECT_NE(a.imports(1), "inventory.stock");
  ASSERT_EQ(a.dependencies_size(), 1);
  EXPECT_EQ(a.dependencies(0).name(), "slack-sdk");
  EXPECT_EQ(a.dependencies(0).ecosystem(), "pypi");
  EXPECT_FALSE(a.dependencies(0).declared());
  EXPECT_EQ(a.dependencies(0).reason(), "named by the recommendation");
  EXPECT_EQ(a.import_graph_size(), 6);
}

TEST(Analyze, TestsBesideModuleWithoutTestsFolder) {
  FixtureRepo fx({{"garden/__init__.py", ""},
                  {"garden/plants.py", "def water_plants(plants):\n    pass\n"},
                  {"garden/soil.py", "def moisture():\n    pass\n"}});
  v1::Analysis a = fx.Run(Rec("Watering schedule", "Water the plants on a schedule."));
  ASSERT_GE(a.integration_points_size(), 1);
  EXPECT_EQ(a.integration_points(0).file(), "garden/plants.py");
  EXPECT_EQ(a.suggested_path(), "garden/watering_schedule.py");
  EXPECT_EQ(a.module_name(), "garden.watering_schedule");
  EXPECT_EQ(a.test_path(), "garden/test_watering_schedule.py");
}

TEST(Analyze, TopLevelModuleWithoutPackages) {
  FixtureRepo fx({{"app.py", "def handle_order(order):\n    pass\n"},
                  {"utils.py", "def slugify(s):\n    pass\n"},
                  {"tests/test_app.py", "import app\n"}});
  v1::Analysis a = fx.Run(Rec("Order export", "Export every order as CSV."));
  ASSERT_GE(a.integration_points_size(), 1);
  EXPECT_EQ(a.integration_points(0).file(), "app.py");
  EXPECT_EQ(a.integration_points(0).module(), "app");
  EXPECT_EQ(a.suggested_path(), "order_export.py");
  EXPECT_EQ(a.module_name(), "order_export");
  EXPECT_EQ(a.test_path(), "tests/test_order_export.py");
  ASSERT_EQ(a.import_graph_size(), 1);
  EXPECT_EQ(a.import_graph(0).from(), "test_app");
  EXPECT_EQ(a.import_graph(0).to(), "app");
}

TEST(Analyze, AvoidsExistingFileAndHandlesNoMatch) {
  FixtureRepo fx({{"shop/__init__.py", ""},
                  {"shop/cart.py", "def total():\n    pass\n"},
                  {"shop/big/__init__.py", ""},
                  {"shop/zebra.py", "x = 1\n"}});
  v1::Analysis a = fx.Run(Rec("Zebra", "Unrelated words entirely."));
  EXPECT_EQ(a.integration_points(0).file(), "shop/zebra.py");
  EXPECT_EQ(a.suggested_path(), "shop/zebra_2.py");
  EXPECT_EQ(a.module_name(), "shop.zebra_2");

  v1::Analysis none = fx.Run(Rec("Quantum flux", "Nothing here matches."));
  EXPECT_EQ(none.integration_points_size(), 0);
  EXPECT_EQ(none.suggested_path(), "shop/quantum_flux.py");
  EXPECT_EQ(none.imports_size(), 0);
}

TEST(Analyze, GoRepositoryBestEffort) {
  FixtureRepo fx({{"go.mod", "module x\n"},
                  {"main.go", "package main\n\nfunc main() {}\n"},
                  {"store/store.go",
                   "package store\n\ntype Store struct{}\n\nfunc (s *Store) LowStock() int {\n"
                   "  return 0\n}\n"},
                  {"web/handler.go", "package web\n\nfunc Serve() {}\n"}});
  v1::Analysis a = fx.Run(Rec("Low stock alerts", "Alert when stock is low."));
  EXPECT_EQ(a.language(), "go");
  ASSERT_GE(a.integration_points_size(), 1);
  EXPECT_EQ(a.integration_points(0).file(), "store/store.go");
  EXPECT_EQ(a.integration_points(0).symbol(), "LowStock");
  EXPECT_EQ(a.suggested_path(), "store/low_stock_alerts.go");
  EXPECT_EQ(a.module_name(), "x/store");  // the package's import path
  EXPECT_EQ(a.test_path(), "store/low_stock_alerts_test.go");
  EXPECT_EQ(a.import_graph_size(), 0);

  // A name the go tool would build only on one system gets a neutral suffix.
  v1::Analysis windows = fx.Run(Rec("Low stock on windows", "Alert when stock is low."));
  EXPECT_EQ(windows.suggested_path(), "store/low_stock_on_windows_feature.go");
  EXPECT_EQ(windows.test_path(), "store/low_stock_on_windows_feature_test.go");
}

TEST(Analyze, CppSuggestsAHeaderInTheIncludeLayoutAndATestBesideTheOthers) {
  FixtureRepo fx(
      {{"CMakeLists.txt", "project(bank CXX)\nadd_library(bank src/account.cpp)\n"},
       {"include/bank/account.hpp",
        "#pragma once\nnamespace bank {\nlong Balance(long opening);\n}\n"},
       {"include/bank/money.hpp", "#pragma once\nnamespace bank {\nusing Cents = long;\n}\n"},
       {"src/account.cpp",
        "#include \"bank/account.hpp\"\nnamespace bank {\n"
        "long Balance(long opening) { return opening; }\n}\n"},
       {"src/money.cpp", "#include \"bank/money.hpp\"\n"},
       {"tests/account_test.cpp", "#include \"bank/account.hpp\"\nint main() {}\n"},
       {"tests/money_test.cpp", "int main() {}\n"}});
  v1::Analysis a =
      fx.Run(Rec("Account balance interest", "Interest on the balance of an account."));
  EXPECT_EQ(a.language(), "cpp");
  ASSERT_GE(a.integration_points_size(), 1);
  // The top integration point (account.cpp or its header) has its header in include/bank/:
  // the new one goes there.
  EXPECT_EQ(a.suggested_path(), "include/bank/account_balance_interest.hpp");
  EXPECT_EQ(a.module_name(), "bank/account_balance_interest.hpp");
  EXPECT_EQ(a.test_path(), "tests/account_balance_interest_test.cpp");

  // Tests named test_*.cc beside the sources, headers beside them too.
  FixtureRepo flat({{"CMakeLists.txt", "project(flat CXX)\n"},
                    {"lib/stock.h", "int Stock();\n"},
                    {"lib/stock.cc", "#include \"stock.h\"\nint Stock() { return 1; }\n"},
                    {"test/test_stock.cc", "int main() {}\n"}});
  v1::Analysis b = flat.Run(Rec("Stock reorder", "Reorder stock."));
  EXPECT_EQ(b.suggested_path(), "lib/stock_reorder.h") << b.DebugString();
  EXPECT_EQ(b.module_name(), "lib/stock_reorder.h");
  EXPECT_EQ(b.test_path(), "test/test_stock_reorder.cc");
}

const v1::DependencyNeed* FindNeed(const v1::Analysis& a, std::string_view part) {
  for (const auto& d : a.dependencies())
    if (d.name().find(part) != std::string::npos) return &d;
  return nullptr;
}

TEST(Analyze, GoServiceByKindWithSymbolIndex) {
  FixtureRepo fx(
      {{"go.mod", "module example.com/orders\n\ngo 1.21\n\nrequire github.com/jackc/pgx/v5 v5.5.0\n"},
       {"cmd/server/main.go",
        "package main\n\nimport (\n\t\"net/http\"\n\n\t\"example.com/orders/store\"\n)\n\n"
        "func main() {\n\ts := store.New()\n\thttp.HandleFunc(\"/\", nil)\n\t_ = s\n"
        "\thttp.ListenAndServe(\":8080\", nil)\n}\n"},
       {"store/store.go",
        "package store\n\nimport \"github.com/jackc/pgx/v5\"\n\ntype Store struct{ c *pgx.Conn }\n\n"
        "func New() *Store { return &Store{} }\n\n"
        "func (s *Store) SaveOrder(id string) error { return nil }\n"},
       {"report/report.go", "package report\n\nfunc Orders() {}\n"}});
  v1::Analysis a = fx.RunIndexed(Rec("Keep a history of order prices",
                                     "Record every price change of an order in a Postgres table."));
  EXPECT_EQ(a.symbols_from(), "universal-ctags");
  ASSERT_GE(a.kinds_size(), 1);
  EXPECT_EQ(a.kinds(0), "database");
  ASSERT_GE(a.integration_points_size(), 1);
  const v1::IntegrationPoint& top = a.integration_points(0);
  EXPECT_EQ(top.file(), "store/store.go");
  EXPECT_EQ(top.kind(), "database");
  EXPECT_EQ(top.symbol(), "SaveOrder");
  EXPECT_EQ(top.line(), 9u);
  EXPECT_NE(top.reason().find("uses github.com/jackc/pgx/v5 for database"), std::string::npos)
      << top.reason();
  EXPECT_EQ(a.suggested_path(), "store/keep_a_history_of_order_prices.go");
  // The repository's own Postgres driver, already declared in go.mod.
  const v1::DependencyNeed* pgx = FindNeed(a, "pgx");
  ASSERT_NE(pgx, nullptr) << a.DebugString();
  EXPECT_TRUE(pgx->declared());
  EXPECT_EQ(pgx->manifest(), "go.mod");
  // The file-level import graph of Go: main imports the store package.
  bool edge = false;
  for (const auto& e : a.import_graph())
    edge |= e.from() == "cmd/server/main.go" && e.to() == "store/store.go";
  EXPECT_TRUE(edge) << a.DebugString();
}

TEST(Analyze, UndeclaredDependencyNamesTheManifestToExtend) {
  FixtureRepo fx({{"pyproject.toml", "[project]\nname = 'shop'\ndependencies = ['flask>=3']\n"},
                  {"shop/__init__.py", ""},
                  {"shop/orders.py", "def place_order(order):\n    return order\n"}});
  v1::Analysis a = fx.Run(Rec("Publish orders to Kafka",
                              "Publish every placed order as an event on a Kafka topic."));
  const v1::DependencyNeed* kafka = FindNeed(a, "kafka");
  ASSERT_NE(kafka, nullptr) << a.DebugString();
  EXPECT_EQ(kafka->ecosystem(), "pypi");
  EXPECT_FALSE(kafka->declared());
  EXPECT_EQ(kafka->manifest(), "pyproject.toml");
  EXPECT_NE(kafka->reason().find("message-queue"), std::string::npos) << kafka->reason();
  EXPECT_EQ(a.integration_points(0).file(), "shop/orders.py");
}

TEST(Analyze, DeclaredLibraryOfTheSameKindIsReused) {
  // The repository already talks to Kafka through confluent-kafka, declared in requirements:
  // the analysis reuses it, marked declared, and ranks its producer first.
  FixtureRepo fx({{"requirements.txt", "confluent-kafka==2.3.0\n"},
                  {"app/__init__.py", ""},
                  {"app/events.py",
                   "from confluent_kafka import Producer\n\nclass Events:\n"
                   "    def send(self, topic, value):\n        Producer({}).produce(topic, value)\n"},
                  {"app/orders.py", "def place(order):\n    return order\n"}});
  v1::Analysis a =
      fx.RunIndexed(Rec("Order events", "Send an order-placed message to the Kafka topic."));
  ASSERT_GE(a.integration_points_size(), 1);
  EXPECT_EQ(a.integration_points(0).file(), "app/events.py");
  EXPECT_EQ(a.integration_points(0).kind(), "message-queue");
  ASSERT_GE(a.dependencies_size(), 1);
  EXPECT_EQ(a.dependencies(0).name(), "confluent-kafka");
  EXPECT_TRUE(a.dependencies(0).declared());
  EXPECT_EQ(a.dependencies(0).manifest(), "requirements.txt");
  EXPECT_EQ(a.imports(0), "app.events");
}

TEST(Analyze, TypeScriptImportsAreRelativeSpecifiers) {
  FixtureRepo fx({{"package.json", R"({"name": "api", "dependencies": {"pg": "^8"}})"},
                  {"src/db/orders.ts",
                   "import { Pool } from 'pg';\n\nexport async function saveOrder(id: string) {}\n"},
                  {"src/routes/index.ts", "import { saveOrder } from '../db/orders';\n"},
                  {"src/util/format.ts", "export function money(x: number) { return x; }\n"}});
  v1::Analysis a = fx.RunIndexed(Rec("Order audit table", "Write each saved order to a table."));
  EXPECT_EQ(a.language(), "typescript");
  ASSERT_GE(a.integration_points_size(), 1);
  EXPECT_EQ(a.integration_points(0).file(), "src/db/orders.ts");
  EXPECT_EQ(a.suggested_path(), "src/db/order_audit_table.ts");
  EXPECT_EQ(a.test_path(), "src/db/order_audit_table.test.ts");
  ASSERT_GE(a.imports_size(), 1);
  EXPECT_EQ(a.imports(0), "./orders");
  const v1::DependencyNeed* pg = FindNeed(a, "pg");
  ASSERT_NE(pg, nullptr) << a.DebugString();
  EXPECT_TRUE(pg->declared());
  bool edge = false;
  for (const auto& e : a.import_graph())
    edge |= e.from() == "src/routes/index.ts" && e.to() == "src/db/orders.ts";
  EXPECT_TRUE(edge) << a.DebugString();
}

TEST(Analyze, JavaClassesAndPackages) {
  FixtureRepo fx({{"pom.xml", "<project><dependencies/></project>"},
                  {"src/main/java/com/shop/db/OrderDao.java",
                   "package com.shop.db;\n\nimport java.sql.Connection;\n\n"
                   "public class OrderDao {\n  public void saveOrder(Connection c) {}\n}\n"},
                  {"src/main/java/com/shop/web/Routes.java",
                   "package com.shop.web;\n\nimport com.shop.db.OrderDao;\n\npublic class Routes {}\n"}});
  v1::Analysis a = fx.RunIndexed(Rec("Order history", "Keep the history of each saved order."));
  EXPECT_EQ(a.language(), "java");
  ASSERT_GE(a.integration_points_size(), 1);
  EXPECT_EQ(a.integration_points(0).file(), "src/main/java/com/shop/db/OrderDao.java");
  EXPECT_EQ(a.suggested_path(), "src/main/java/com/shop/db/OrderHistory.java");
  EXPECT_EQ(a.test_path(), "src/test/java/com/shop/db/OrderHistoryTest.java");
  // Classes of the same package need no import; other packages' are fully qualified.
  std::vector<std::string> imports(a.imports().begin(), a.imports().end());
  EXPECT_EQ(std::count(imports.begin(), imports.end(), "com.shop.db.OrderDao"), 0);
  if (a.integration_points_size() > 1 &&
      a.integration_points(1).file() == "src/main/java/com/shop/web/Routes.java") {
    EXPECT_EQ(imports, std::vector<std::string>{"com.shop.web.Routes"});
  }
}

TEST(BuildSymbolIndex, UnchangedFilesCarryOverAndChangedOnesAreReindexed) {
  FixtureRepo fx({{"a.py", "def alpha():\n    pass\n"}, {"b.py", "def beta():\n    pass\n"}});
  auto first = BuildSymbolIndex(fx.map(), fx.repo(), fx.commit());
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_EQ(first->files_size(), 2);
  // Mark a.py's entry in the older index: only a carried-over entry keeps the mark.
  v1::SymbolIndex previous = *first;
  for (auto& f : *previous.mutable_files()) {
    f.mutable_symbols(0)->set_signature("carried");
    if (f.path() == "b.py") f.set_blob("0000000000000000000000000000000000000000");
  }
  auto second = BuildSymbolIndex(fx.map(), fx.repo(), fx.commit(), {.previous = &previous});
  ASSERT_TRUE(second.ok()) << second.status();
  for (const auto& f : second->files()) {
    ASSERT_EQ(f.symbols_size(), 1) << f.path();
    if (f.path() == "a.py") {
      EXPECT_EQ(f.symbols(0).signature(), "carried");
    } else {
      EXPECT_EQ(f.symbols(0).name(), "beta");
      EXPECT_NE(f.symbols(0).signature(), "carried");
    }
  }
}

TEST(BuildSymbolIndex, WithoutCtagsTheBuiltInScannersStandIn) {
  FixtureRepo fx({{"a.py", "def alpha():\n    pass\n"}, {"b.go", "package b\n\nfunc Beta() {}\n"}});
  auto index = BuildSymbolIndex(fx.map(), fx.repo(), fx.commit(), {.ctags = "/nonexistent/ctags"});
  ASSERT_TRUE(index.ok()) << index.status();
  EXPECT_EQ(index->indexer(), "built-in scanner");
  std::map<std::string, std::string> first;
  for (const auto& f : index->files())
    if (f.symbols_size() > 0) first[f.path()] = f.symbols(0).name();
  EXPECT_EQ(first, (std::map<std::string, std::string>{{"a.py", "alpha"}, {"b.go", "Beta"}}));
}

TEST(Analyze, EmptyRepository) {
  FixtureRepo fx({});
  v1::Analysis a = fx.Run(Rec("First feature", ""));
  EXPECT_EQ(a.language(), "python");
  EXPECT_EQ(a.suggested_path(), "first_feature.py");
  EXPECT_EQ(a.test_path(), "test_first_feature.py");
  EXPECT_EQ(a.integration_points_size(), 0);
}

}  // namespace
}  // namespace slipway::analyzer
