#include "services/tester/step.h"

#include "gtest/gtest.h"

namespace slipway::tester {
namespace {

using namespace std::chrono_literals;

v1::RepositoryMap CMakeMap() {
  v1::RepositoryMap map;
  auto* b = map.add_build_systems();
  b->set_name("cmake");
  b->set_manifest("CMakeLists.txt");
  b->set_build_command("cmake -S . -B build -G Ninja && cmake --build build");
  b->set_test_command("ctest --test-dir build --output-on-failure");
  map.set_test_command(b->test_command());
  return map;
}

TEST(MapperTestCommand, BuildsFirstWhereTestsNeedABuild) {
  EXPECT_EQ(MapperTestCommand(CMakeMap()),
            "cmake -S . -B build -G Ninja && cmake --build build && ctest --test-dir build "
            "--output-on-failure");
  v1::RepositoryMap go;
  auto* b = go.add_build_systems();
  b->set_name("go");
  b->set_build_command("go build ./...");
  b->set_test_command("go test ./...");
  go.set_test_command("go test ./...");
  EXPECT_EQ(MapperTestCommand(go), "go test ./...");
}

TEST(BuildRunRequest, RepositoryConfigOverridesMapperOverridesPolicy) {
  v1::RepositoryMap map = CMakeMap();
  map.set_go_module("example.com/m");
  TestPolicy policy;
  policy.default_test_command = "make check";

  auto from_mapper = BuildRunRequest(map, RepoConfig{}, policy);
  ASSERT_TRUE(from_mapper.ok()) << from_mapper.status();
  EXPECT_EQ(from_mapper->command_source, "mapper");
  EXPECT_EQ(from_mapper->command, MapperTestCommand(map));
  EXPECT_TRUE(from_mapper->gates.require_all_pass());
  EXPECT_DOUBLE_EQ(from_mapper->gates.min_changed_coverage(), 0.8);
  EXPECT_TRUE(from_mapper->coverage);
  EXPECT_EQ(from_mapper->go_module, "example.com/m");
  EXPECT_EQ(from_mapper->timeout, 0ms);

  RepoConfig config;
  config.present = true;
  config.test_command = "pytest -q tests/unit";
  config.test_timeout = 30s;
  config.coverage = false;
  config.env = {{"A", "b"}};
  config.min_changed_coverage = 0.5;
  auto from_repo = BuildRunRequest(map, config, policy);
  ASSERT_TRUE(from_repo.ok());
  EXPECT_EQ(from_repo->command_source, ".slipway.yaml");
  EXPECT_EQ(from_repo->command, "pytest -q tests/unit");
  EXPECT_EQ(from_repo->timeout, 30s);
  EXPECT_FALSE(from_repo->coverage);
  EXPECT_EQ(from_repo->env.size(), 1u);
  EXPECT_DOUBLE_EQ(from_repo->gates.min_changed_coverage(), 0.5);
  EXPECT_TRUE(from_repo->gates.require_all_pass());  // not overridden: the policy's

  auto from_configuration = BuildRunRequest(v1::RepositoryMap{}, RepoConfig{}, policy);
  ASSERT_TRUE(from_configuration.ok());
  EXPECT_EQ(from_configuration->command_source, "configuration");
  EXPECT_EQ(from_configuration->command, "make check");

  auto none = BuildRunRequest(v1::RepositoryMap{}, RepoConfig{}, TestPolicy{});
  EXPECT_EQ(none.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(none.status().message().find("no test command"), std::string::npos);
}

v1::TestReport Report(uint32_t passed, uint32_t failed, bool gates_passed, std::string verdict) {
  v1::TestReport r;
  r.set_total(passed + failed);
  r.set_passed(passed);
  r.set_failed(failed);
  r.set_exit_code(failed > 0 ? 1 : 0);
  r.set_seconds(1.25);
  r.set_gates_passed(gates_passed);
  r.set_verdict(std::move(verdict));
  return r;
}

TEST(StepResultFor, SucceedsOnlyWhenTheGatesPass) {
  auto passed = StepResultFor(
      Report(3, 0, true, "passed: 3 of 3 tests passed; changed-lines coverage 90% (9/10) >= 80%"));
  EXPECT_TRUE(passed.ok());
  EXPECT_EQ(passed.summary(),
            "3 run, 3 passed, 0 failed, 0 errors, 0 skipped in 1.2 s; passed: 3 of 3 tests "
            "passed; changed-lines coverage 90% (9/10) >= 80%");

  v1::TestReport failing = Report(1, 1, false, "failed: 1 of 2 tests failed (test_b)");
  auto* f = failing.add_failures();
  f->set_classname("tests.test_x");
  f->set_name("test_b");
  auto failed = StepResultFor(failing);
  EXPECT_FALSE(failed.ok());
  EXPECT_FALSE(failed.retryable());
  EXPECT_EQ(failed.error(),
            "tests failed (2 run, 1 passed, 1 failed, 0 errors, 0 skipped in 1.2 s): "
            "tests.test_x::test_b; gates failed: 1 of 2 tests failed (test_b)");
  EXPECT_EQ(failed.summary(), "2 run, 1 passed, 1 failed, 0 errors, 0 skipped in 1.2 s");

  auto coverage = StepResultFor(
      Report(2, 0, false, "failed: changed-lines coverage 50% (4/8) < 80%: pkg/a.py lines 3-6"));
  EXPECT_FALSE(coverage.ok());
  EXPECT_EQ(coverage.error(),
            "gates not met (2 run, 2 passed, 0 failed, 0 errors, 0 skipped in 1.2 s); gates "
            "failed: changed-lines coverage 50% (4/8) < 80%: pkg/a.py lines 3-6");

  // Failing tests allowed by the repository: the step succeeds.
  EXPECT_TRUE(StepResultFor(Report(1, 1, true, "passed: ...")).ok());
  EXPECT_TRUE(StepResultFor(Report(0, 0, false, "failed: no tests ran"))
                  .error()
                  .starts_with("no tests ran"));
}

}  // namespace
}  // namespace slipway::tester
