// The C++ scaffold: written into sample CMake projects of several conventions, which then
// configure, build and pass ctest.
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

// A title built to break naive generators of C++: quotes, a comment terminator and opener,
// trigraphs (`??/` would splice lines), a trailing backslash, a NUL, invalid UTF-8.
const std::string kHostileTitle = std::string("Interest \"daily\" */ /* ?\?/ ?\?= \\ ünï 😀 ") +
                                  std::string("\0", 1) + "7 \xff end\\";
const std::string kExpectedTitle = std::string("Interest \"daily\" */ /* ?\?/ ?\?= \\ ünï 😀 ") +
                                   std::string("\0", 1) + "7 \xEF\xBF\xBD end\\";

v1::Recommendation HostileRecommendation() {
  v1::Recommendation rec;
  rec.set_title(kHostileTitle);
  rec.set_description(
      "Accrue interest daily.\n\nEnds in a backslash \\\nthen */ closes?\? and ?\?/\n"
      "\ttabbed \x01 control");
  rec.mutable_source()->set_kind("paper");
  rec.mutable_source()->set_title("Interest */ ?\?/");
  auto add = [&](std::string name, std::string type, bool required) {
    auto* d = rec.add_data_requirements();
    d->set_name(std::move(name));
    d->set_type(std::move(type));
    d->set_description("the \"" + d->name() + "\" */ field ?\?/");
    d->set_required(required);
  };
  add("account_id", "string", true);
  add("rate_bps", "int", true);
  add("balance", "decimal", false);
  add("we\"ird ?\?/ name\xff", "string", true);
  add("we\"ird ?\?/ name\xfe", "string", true);  // the same name once made valid UTF-8
  return rec;
}

absl::StatusOr<v1::ChangeSet> Scaffold(TestRepo& repo, const v1::Recommendation& rec,
                                       const v1::Analysis& analysis) {
  ImplementRequest request{rec, repo.map(), analysis, repo.repo(), repo.commit()};
  return test_support::ImplementWithTests(*MakeScaffoldProvider(), request);
}

const v1::ChangedFile* FileAt(const v1::ChangeSet& cs, const std::string& path) {
  for (const auto& f : cs.files())
    if (f.path() == path) return &f;
  return nullptr;
}

bool HaveCMake() {
  return RunCommand("command -v cmake && command -v ctest && command -v c++").exit_code == 0;
}

// Applies the change set, then configures, builds and tests the project in a temporary build
// folder, with warnings as errors and trigraphs on (a `??/` in a comment would splice lines).
void ExpectCtestPasses(TestRepo& repo, const v1::ChangeSet& cs, int expected_tests) {
  ASSERT_TRUE(changeset::ApplyToDirectory(cs, repo.root()).ok());
  if (!HaveCMake()) GTEST_SKIP() << "cmake, ctest or a C++ compiler is missing";
  TempDir build("slipway-cmake");
  const std::string generator = RunCommand("command -v ninja").exit_code == 0 ? "-G Ninja" : "";
  auto run = RunCommand(fmt::format(
      "cmake -S '{0}' -B '{1}' {2} -DCMAKE_BUILD_TYPE=Debug "
      "-DCMAKE_CXX_FLAGS='-Wall -Wextra -Werror -trigraphs' && cmake --build '{1}' -j 2 && "
      "ctest --test-dir '{1}' --output-on-failure",
      repo.root().string(), build.path().string(), generator));
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(
      run.output.find(fmt::format("100% tests passed, 0 tests failed out of {}", expected_tests)),
      std::string::npos)
      << run.output;
}

// Compiles a program that prints kTitle byte for byte.
std::string TitleAsCompiled(const std::filesystem::path& include_root, const std::string& include,
                            const std::string& ns) {
  TempDir dir;
  WriteFile(dir.path() / "print.cc",
            fmt::format("#include \"{}\"\n#include <cstdio>\nint main() {{\n"
                        "  std::fwrite({}::kTitle, 1, sizeof({}::kTitle) - 1, stdout);\n}}\n",
                        include, ns, ns));
  auto build = RunCommand(fmt::format(
      "c++ -std=c++17 -Wall -Wextra -Werror -trigraphs -I'{}' "
      "'{}' -o '{}'",
      include_root.string(), (dir.path() / "print.cc").string(), (dir.path() / "print").string()));
  if (build.exit_code != 0) return "compile error: " + build.output;
  return RunCommand("'" + (dir.path() / "print").string() + "'").output;
}

// Listed sources, headers under include/<project>/ with include guards, a namespace, plain
// test programs registered one by one in tests/CMakeLists.txt.
test_support::Files BankProject() {
  return {
      {"CMakeLists.txt",
       "cmake_minimum_required(VERSION 3.16)\nproject(Bank CXX)\n\n"
       "set(CMAKE_CXX_STANDARD 17)\nset(CMAKE_CXX_STANDARD_REQUIRED ON)\n\n"
       "add_library(bank\n  src/account.cc\n  src/money.cc\n)\n"
       "target_include_directories(bank PUBLIC ${CMAKE_CURRENT_SOURCE_DIR}/include)\n\n"
       "enable_testing()\nadd_subdirectory(tests)\n"},
      {"include/bank/account.h",
       "#ifndef BANK_ACCOUNT_H_\n#define BANK_ACCOUNT_H_\n\nnamespace bank {\n\n"
       "long Balance(long opening, long moved);\n\n}  // namespace bank\n\n#endif\n"},
      {"include/bank/money.h",
       "#ifndef BANK_MONEY_H_\n#define BANK_MONEY_H_\n\n#include <string>\n\nnamespace bank {\n\n"
       "std::string Format(long cents);\n\n}  // namespace bank\n\n#endif\n"},
      {"src/account.cc",
       "#include \"bank/account.h\"\n\nnamespace bank {\n\n"
       "long Balance(long opening, long moved) { return opening + moved; }\n\n}  // namespace "
       "bank\n"},
      {"src/money.cc",
       "#include \"bank/money.h\"\n\nnamespace bank {\n\n"
       "std::string Format(long cents) { return std::to_string(cents / 100); }\n\n"
       "}  // namespace bank\n"},
      {"tests/CMakeLists.txt",
       "add_executable(account_test account_test.cc)\n"
       "target_link_libraries(account_test PRIVATE bank)\n"
       "target_compile_features(account_test PRIVATE cxx_std_17)\n"
       "add_test(NAME account.balance COMMAND account_test balance)\n"
       "add_test(NAME account.zero COMMAND account_test zero)"},  // no final newline
      {"tests/account_test.cc",
       "#include \"bank/account.h\"\n\nint main() { return bank::Balance(1, 2) == 3 ? 0 : 1; }\n"},
  };
}

TEST(CppScaffold, AddsAHeaderAndSourceToAListedLibraryAndAPlainTest) {
  TestRepo repo(BankProject());
  ASSERT_TRUE(repo.ok());
  v1::Analysis analysis;
  analysis.set_language("cpp");
  analysis.set_suggested_path("include/bank/daily_interest.h");
  analysis.add_integration_points()->set_file("src/account.cc");
  analysis.mutable_integration_points(0)->set_symbol("Balance");
  v1::Recommendation rec = HostileRecommendation();

  ImplementRequest request{rec, repo.map(), analysis, repo.repo(), repo.commit()};
  auto source = MakeScaffoldProvider()->Implement(request);
  ASSERT_TRUE(source.ok()) << source.status();
  ASSERT_EQ(source->files_size(), 3) << source->DebugString();
  const v1::ChangedFile* header = FileAt(*source, "include/bank/daily_interest.h");
  const v1::ChangedFile* cc = FileAt(*source, "src/daily_interest.cc");
  const v1::ChangedFile* lists = FileAt(*source, "CMakeLists.txt");
  ASSERT_TRUE(header && cc && lists) << source->DebugString();
  EXPECT_EQ(lists->action(), v1::ChangedFile::ACTION_MODIFY);
  EXPECT_NE(lists->content().find("  src/money.cc\n  src/daily_interest.cc\n)"), std::string::npos)
      << lists->content();
  EXPECT_NE(
      header->content().find("#ifndef BANK_DAILY_INTEREST_H_\n#define BANK_DAILY_INTEREST_H_"),
      std::string::npos)
      << header->content();
  EXPECT_NE(header->content().find("namespace bank {\nnamespace daily_interest {\n"),
            std::string::npos);
  EXPECT_NE(header->content().find("\nResult apply(const Record& record, const Config& config = "
                                   "Config());\n"),
            std::string::npos)
      << header->content();
  EXPECT_NE(cc->content().find("#include \"bank/daily_interest.h\""), std::string::npos);
  for (const v1::ChangedFile* f : {header, cc}) {
    EXPECT_FALSE(f->is_test());
    EXPECT_EQ(f->content().find("?\?"), std::string::npos) << f->content();
    EXPECT_EQ(f->content().find("*/"), std::string::npos) << f->content();
    EXPECT_EQ(f->content().find("\\\n"), std::string::npos) << f->content();
    EXPECT_EQ(f->content().find(std::string("\0", 1)), std::string::npos);
  }
  EXPECT_NE(source->summary().find("source src/daily_interest.cc listed in CMakeLists.txt"),
            std::string::npos)
      << source->summary();

  auto tests = MakeScaffoldProvider()->GenerateTests(request, *source);
  ASSERT_TRUE(tests.ok()) << tests.status();
  ASSERT_EQ(tests->files_size(), 2);
  const v1::ChangedFile* test = FileAt(*tests, "tests/daily_interest_test.cc");
  const v1::ChangedFile* test_lists = FileAt(*tests, "tests/CMakeLists.txt");
  ASSERT_TRUE(test && test_lists) << tests->DebugString();
  EXPECT_TRUE(test->is_test());
  EXPECT_NE(test->content().find("int main() {"), std::string::npos);
  EXPECT_EQ(test->content().find("gtest"), std::string::npos);
  EXPECT_EQ(test_lists->action(), v1::ChangedFile::ACTION_MODIFY);
  EXPECT_NE(test_lists->content().find(
                "COMMAND account_test zero)\n\n# Tests of bank/daily_interest.h, generated by "
                "Slipway's scaffold provider.\n"
                "add_executable(daily_interest_test daily_interest_test.cc)\n"
                "target_link_libraries(daily_interest_test PRIVATE bank)\n"
                "target_compile_features(daily_interest_test PRIVATE cxx_std_17)\n"
                "add_test(NAME daily_interest_test COMMAND daily_interest_test)\n"),
            std::string::npos)
      << test_lists->content();

  auto cs = Scaffold(repo, rec, analysis);
  ASSERT_TRUE(cs.ok()) << cs.status();
  EXPECT_EQ(cs->files_size(), 5);
  EXPECT_EQ(Scaffold(repo, rec, analysis)->SerializeAsString(), cs->SerializeAsString());
  ExpectCtestPasses(repo, *cs, 3);
  if (::testing::Test::IsSkipped() || !HaveCMake()) return;
  EXPECT_EQ(
      TitleAsCompiled(repo.root() / "include", "bank/daily_interest.h", "bank::daily_interest"),
      kExpectedTitle);

  // A failing check is reported by name and fails ctest.
  std::string broken = ReadFile(repo.root() / "tests/daily_interest_test.cc");
  const std::string check = "SCAFFOLD_CHECK(on.data == valid);";
  ASSERT_NE(broken.find(check), std::string::npos);
  broken.replace(broken.find(check), check.size(), "SCAFFOLD_CHECK(on.data != valid);");
  WriteFile(repo.root() / "tests/daily_interest_test.cc", broken);
  TempDir build("slipway-cmake");
  auto run = RunCommand(
      fmt::format("cmake -S '{0}' -B '{1}' && cmake --build '{1}' && ctest --test-dir '{1}' "
                  "--output-on-failure -R daily_interest",
                  repo.root().string(), build.path().string()));
  EXPECT_NE(run.exit_code, 0) << run.output;
  EXPECT_NE(run.output.find("check failed: on.data != valid"), std::string::npos) << run.output;
}

// GoogleTest found by find_package, an INTERFACE (header-only) library with .hpp headers and
// #pragma once, everything in the root CMakeLists.txt, tests discovered by gtest.
test_support::Files GeoProject() {
  return {
      {"CMakeLists.txt",
       "cmake_minimum_required(VERSION 3.16)\nproject(geo CXX)\nset(CMAKE_CXX_STANDARD 17)\n"
       "find_package(GTest REQUIRED)\ninclude(GoogleTest)\nenable_testing()\n\n"
       "add_library(geo INTERFACE)\ntarget_include_directories(geo INTERFACE include)\n\n"
       "add_executable(point_test test/point_test.cpp)\n"
       "target_link_libraries(point_test PRIVATE geo GTest::gtest_main)\n"
       "gtest_discover_tests(point_test)\n"},
      {"include/geo/point.hpp",
       "#pragma once\n\nnamespace geo {\n\nstruct Point {\n  int x = 0;\n  int y = 0;\n};\n\n"
       "inline int Manhattan(Point p) { return (p.x < 0 ? -p.x : p.x) + (p.y < 0 ? -p.y : p.y); "
       "}\n\n}  // namespace geo\n"},
      {"test/point_test.cpp",
       "#include \"geo/point.hpp\"\n\n#include <gtest/gtest.h>\n\n"
       "TEST(Point, Manhattan) { EXPECT_EQ(geo::Manhattan({3, -4}), 7); }\n"},
  };
}

TEST(CppScaffold, WritesAHeaderOnlyFeatureAndAGoogleTestWhereTheProjectUsesIt) {
  TestRepo repo(GeoProject());
  ASSERT_TRUE(repo.ok());
  v1::Analysis analysis;
  analysis.set_language("c++");
  analysis.set_suggested_path("include/geo/route_planner.hpp");
  v1::Recommendation rec;
  rec.set_title("Route planner");
  rec.set_description("Plan routes.");
  auto* d = rec.add_data_requirements();
  d->set_name("origin");
  d->set_type("string");
  d->set_required(true);
  auto cs = Scaffold(repo, rec, analysis);
  ASSERT_TRUE(cs.ok()) << cs.status();
  ASSERT_EQ(cs->files_size(), 3) << cs->DebugString();
  const v1::ChangedFile* header = FileAt(*cs, "include/geo/route_planner.hpp");
  const v1::ChangedFile* test = FileAt(*cs, "test/route_planner_test.cpp");
  const v1::ChangedFile* lists = FileAt(*cs, "CMakeLists.txt");
  ASSERT_TRUE(header && test && lists) << cs->DebugString();
  EXPECT_NE(header->content().find("#pragma once\n"), std::string::npos);
  EXPECT_NE(header->content().find("namespace geo {\nnamespace route_planner {\n"),
            std::string::npos);
  EXPECT_NE(header->content().find("\ninline Result apply(const Record& record, const Config& "
                                   "config = Config()) {\n"),
            std::string::npos)
      << header->content();
  EXPECT_NE(test->content().find("#include <gtest/gtest.h>"), std::string::npos);
  EXPECT_NE(test->content().find("TEST(RoutePlannerTest, Metadata)"), std::string::npos);
  EXPECT_NE(lists->content().find("add_executable(route_planner_test test/route_planner_test.cpp)\n"
                                  "target_link_libraries(route_planner_test PRIVATE geo "
                                  "GTest::gtest_main)\n"
                                  "gtest_discover_tests(route_planner_test)\n"),
            std::string::npos)
      << lists->content();
  if (RunCommand("test -d /usr/include/gtest || test -d /usr/local/include/gtest").exit_code != 0)
    GTEST_SKIP() << "GoogleTest is not installed";
  ExpectCtestPasses(repo, *cs, 7);  // 1 existing + 6 generated test cases
}

// Sources listed through a variable, headers beside them in src/ with guards and no
// namespace, tests in a foreach loop of tests/CMakeLists.txt named test_*.cpp.
TEST(CppScaffold, FollowsAForeachOfTestsAndASourceListVariable) {
  TestRepo repo(test_support::Files{
      {"CMakeLists.txt",
       "cmake_minimum_required(VERSION 3.16)\nproject(Inventory-Tools CXX)\n"
       "set(INVENTORY_SOURCES src/stock.cpp src/catalog.cpp)\n"
       "add_library(inventory STATIC ${INVENTORY_SOURCES})\n"
       "target_include_directories(inventory PUBLIC src)\nenable_testing()\n"
       "add_subdirectory(tests)\n"},
      {"src/stock.h", "#ifndef STOCK_H\n#define STOCK_H\nint Stock();\n#endif\n"},
      {"src/stock.cpp", "#include \"stock.h\"\nint Stock() { return 3; }\n"},
      {"src/catalog.h", "#ifndef CATALOG_H\n#define CATALOG_H\nint Items();\n#endif\n"},
      {"src/catalog.cpp", "#include \"catalog.h\"\nint Items() { return 2; }\n"},
      {"tests/CMakeLists.txt",
       "foreach(name test_stock test_catalog)\n  add_executable(${name} ${name}.cpp)\n"
       "  target_link_libraries(${name} inventory)\n  add_test(${name} ${name})\nendforeach()\n"},
      {"tests/test_stock.cpp",
       "#include \"stock.h\"\nint main() { return Stock() == 3 ? 0 : 1; }\n"},
      {"tests/test_catalog.cpp",
       "#include \"catalog.h\"\nint main() { return Items() == 2 ? 0 : 1; }\n"},
  });
  ASSERT_TRUE(repo.ok());
  v1::Analysis analysis;
  analysis.set_language("cpp");
  analysis.set_suggested_path("src/reorder.cpp");  // a source: its header goes beside it
  v1::Recommendation rec;
  rec.set_title("Reorder");
  rec.set_description("Reorder points.");
  auto cs = Scaffold(repo, rec, analysis);
  ASSERT_TRUE(cs.ok()) << cs.status();
  const v1::ChangedFile* header = FileAt(*cs, "src/reorder.h");
  const v1::ChangedFile* cc = FileAt(*cs, "src/reorder.cpp");
  const v1::ChangedFile* lists = FileAt(*cs, "CMakeLists.txt");
  const v1::ChangedFile* test = FileAt(*cs, "tests/test_reorder.cpp");
  const v1::ChangedFile* test_lists = FileAt(*cs, "tests/CMakeLists.txt");
  ASSERT_TRUE(header && cc && lists && test && test_lists) << cs->DebugString();
  EXPECT_NE(header->content().find("#ifndef REORDER_H\n"), std::string::npos);
  EXPECT_NE(header->content().find("namespace inventory_tools {\nnamespace reorder {\n"),
            std::string::npos)
      << header->content();
  EXPECT_NE(cc->content().find("#include \"reorder.h\""), std::string::npos);
  EXPECT_NE(lists->content().find("set(INVENTORY_SOURCES src/stock.cpp src/catalog.cpp "
                                  "src/reorder.cpp)"),
            std::string::npos)
      << lists->content();
  EXPECT_NE(test_lists->content().find("endforeach()\n\n# Tests of reorder.h, generated by "
                                       "Slipway's scaffold provider.\n"
                                       "add_executable(test_reorder test_reorder.cpp)\n"
                                       "target_link_libraries(test_reorder inventory)\n"
                                       "add_test(test_reorder test_reorder)\n"),
            std::string::npos)
      << test_lists->content();
  ExpectCtestPasses(repo, *cs, 3);
}

TEST(CppScaffold, RegistersTheFirstTestOfAProjectWithoutTests) {
  TestRepo repo(test_support::Files{
      {"CMakeLists.txt",
       "cmake_minimum_required(VERSION 3.16)\nproject(tiny CXX)\n"
       "add_executable(tiny main.cpp)\n"},
      {"main.cpp", "int main() { return 0; }\n"},
  });
  ASSERT_TRUE(repo.ok());
  v1::Analysis analysis;
  analysis.set_language("cpp");
  v1::Recommendation rec;
  rec.set_title("Loyalty points");
  rec.set_description("d");
  auto cs = Scaffold(repo, rec, analysis);
  ASSERT_TRUE(cs.ok()) << cs.status();
  const v1::ChangedFile* header = FileAt(*cs, "loyalty_points.h");
  const v1::ChangedFile* test = FileAt(*cs, "tests/loyalty_points_test.cpp");
  const v1::ChangedFile* lists = FileAt(*cs, "CMakeLists.txt");
  ASSERT_TRUE(header && test && lists) << cs->DebugString();
  EXPECT_NE(header->content().find("namespace tiny {\nnamespace loyalty_points {\n"),
            std::string::npos)
      << header->content();
  EXPECT_NE(
      lists->content().find("enable_testing()\n"
                            "add_executable(loyalty_points_test tests/loyalty_points_test.cpp)\n"
                            "target_include_directories(loyalty_points_test PRIVATE "
                            "${CMAKE_CURRENT_SOURCE_DIR})\n"
                            "add_test(NAME loyalty_points_test COMMAND loyalty_points_test)\n"),
      std::string::npos)
      << lists->content();
  ExpectCtestPasses(repo, *cs, 1);
}

TEST(CppScaffold, RefusesWhatItCannotDo) {
  TestRepo repo(BankProject());
  ASSERT_TRUE(repo.ok());
  v1::Recommendation rec;
  rec.set_title("Interest");
  rec.set_description("d");
  auto status = [&](const std::string& path, const std::string& test_path) {
    v1::Analysis analysis;
    analysis.set_language("cpp");
    analysis.set_suggested_path(path);
    analysis.set_test_path(test_path);
    return Scaffold(repo, rec, analysis).status();
  };
  for (const auto& [path, test, field] :
       std::vector<std::tuple<std::string, std::string, std::string>>{
           {"include/bank/notes.txt", "", "analysis.suggested_path"},
           {"include/bank/my interest.h", "", "analysis.suggested_path"},
           {"include/bank/$x.h", "", "analysis.suggested_path"},
           {"../interest.h", "", "analysis.suggested_path"},
           {"include/bank/interest.h", "tests/interest_test.h", "analysis.test_path"},
           {"include/bank/interest.h", "tests/a;b_test.cc", "analysis.test_path"}}) {
    absl::Status st = status(path, test);
    EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument) << path << ": " << st;
    EXPECT_TRUE(std::string(st.message()).starts_with(field)) << st;
  }
  EXPECT_EQ(status("include/bank/account.h", "").code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(status("include/bank/interest.h", "tests/account_test.cc").code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(status("src/account.cc", "").code(), absl::StatusCode::kFailedPrecondition)
      << "its header exists";

  // Without CMake: the header, but no tests.
  TestRepo bare(test_support::Files{{"util.h", "#pragma once\n"}});
  ASSERT_TRUE(bare.ok());
  v1::Analysis analysis;
  analysis.set_language("cpp");
  analysis.set_suggested_path("interest.h");
  ImplementRequest request{rec, bare.map(), analysis, bare.repo(), bare.commit()};
  auto provider = MakeScaffoldProvider();
  auto source = provider->Implement(request);
  ASSERT_TRUE(source.ok()) << source.status();
  auto tests = provider->GenerateTests(request, *source);
  EXPECT_EQ(tests.status().code(), absl::StatusCode::kFailedPrecondition) << tests.status();
  EXPECT_NE(tests.status().message().find("CMakeLists.txt"), std::string::npos);
}

}  // namespace
}  // namespace slipway::implementer
