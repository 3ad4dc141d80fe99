// The mapper and the analyzer through the running services: deployments submitted over gRPC,
// steps dispatched over the real broker, maps and analyses read back from the artifact store.
// Repositories in other languages than the sample's, hostile repositories, and the caches.
#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "libs/store/artifact_store.h"
#include "libs/store/store.h"
#include "tests/harness/harness.h"
#include "tests/integration/stack_fixture.h"

namespace slipway {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using testing::Files;
using testing::RunCommand;
using testing::StackTest;
using testing::TempDir;

class RepositoriesTest : public StackTest {
 protected:
  // A repository at a fresh path under this test's folder with one commit of `files`.
  fs::path MakeRepo(const Files& files, const std::string& extra_setup = "") {
    fs::path dir = repos_->path() / fmt::format("r{}", n_++);
    for (const auto& [path, content] : files) testing::WriteFile(dir / path, content);
    fs::create_directories(dir);
    auto r = RunCommand(fmt::format(
        "cd '{}' && git init -q && {} git -c core.compression=1 add -A && "
        "git -c user.name=t -c user.email=t@e commit -q -m init",
        dir.string(), extra_setup.empty() ? "" : extra_setup + " &&"));
    EXPECT_EQ(r.exit_code, 0) << r.output;
    return dir;
  }

  v1::Deployment Run(const std::string& title, const std::string& description,
                     const fs::path& repo) {
    std::string json = fmt::format(R"({{"title": "{}", "description": "{}"}})", title,
                                   description);
    auto d = client_->Submit(json, repo.string(), v1::MODE_DRY_RUN);
    EXPECT_FALSE(d.id().empty());
    return client_->WaitDone(d.id(), 180s);
  }

  template <typename M>
  M Artifact(const v1::Deployment& d, const std::string& name) {
    M out;
    auto it = d.artifacts().find(name);
    EXPECT_NE(it, d.artifacts().end()) << "no artifact " << name;
    if (it == d.artifacts().end()) return out;
    store::ConnectionPool pool(stack_->database_url());
    store::ArtifactStore artifacts(pool);
    auto st = artifacts.GetMessage(it->second, out);
    EXPECT_TRUE(st.ok()) << st;
    return out;
  }

  static const v1::StepRecord* StepOf(const v1::Deployment& d, v1::Step step) {
    for (const auto& s : d.steps())
      if (s.step() == step) return &s;
    return nullptr;
  }
};

const Files kGoService = {
    {"go.mod", "module example.com/orders\n\ngo 1.21\n\nrequire github.com/jackc/pgx/v5 v5.5.0\n"},
    {"cmd/server/main.go",
     "package main\n\nimport (\n\t\"net/http\"\n\n\t\"example.com/orders/store\"\n)\n\n"
     "func main() {\n\ts := store.New()\n\thttp.HandleFunc(\"/orders\", s.Handle)\n"
     "\thttp.ListenAndServe(\":8080\", nil)\n}\n"},
    {"store/store.go",
     "package store\n\nimport (\n\t\"context\"\n\t\"net/http\"\n\n\t\"github.com/jackc/pgx/v5\"\n)\n\n"
     "type Store struct{ conn *pgx.Conn }\n\nfunc New() *Store { return &Store{} }\n\n"
     "// SaveOrder stores an order.\n"
     "func (s *Store) SaveOrder(ctx context.Context, id string) error {\n"
     "\t_, err := s.conn.Exec(ctx, \"insert into orders values ($1)\", id)\n\treturn err\n}\n\n"
     "func (s *Store) Handle(w http.ResponseWriter, r *http.Request) {}\n"},
    {"store/store_test.go", "package store\n\nimport \"testing\"\n\nfunc TestNew(t *testing.T) {}\n"},
    {"report/report.go", "package report\n\nfunc Monthly() string { return \"\" }\n"},
    {".github/workflows/ci.yml",
     "on: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - run: go test ./...\n"}};

TEST_F(RepositoriesTest, AGoServiceIsMappedAndAnalysedByTheServices) {
  fs::path repo = MakeRepo(kGoService);
  auto d = Run("Publish order events to Kafka",
               "When an order is saved, publish an order-created event to a Kafka topic.", repo);
  const v1::StepRecord* map_step = StepOf(d, v1::STEP_MAP);
  const v1::StepRecord* analyze_step = StepOf(d, v1::STEP_ANALYZE);
  ASSERT_NE(map_step, nullptr) << d.DebugString();
  ASSERT_NE(analyze_step, nullptr) << d.DebugString();
  EXPECT_EQ(map_step->status(), "succeeded") << map_step->error();
  EXPECT_EQ(analyze_step->status(), "succeeded") << analyze_step->error();

  auto map = Artifact<v1::RepositoryMap>(d, "repository_map");
  EXPECT_EQ(map.primary_language(), "go");
  EXPECT_EQ(map.test_command(), "go test ./...");
  EXPECT_EQ(map.go_module(), "example.com/orders");
  ASSERT_EQ(map.ci_workflows_size(), 1);
  EXPECT_EQ(map.ci_workflows(0).jobs(0).commands(0), "go test ./...");
  bool database = false;
  for (const auto& i : map.integrations())
    database |= i.kind() == "database" && i.sites(0).file() == "store/store.go";
  EXPECT_TRUE(database) << map.DebugString();

  auto analysis = Artifact<v1::Analysis>(d, "analysis");
  EXPECT_EQ(analysis.language(), "go");
  EXPECT_EQ(analysis.symbols_from(), "universal-ctags");
  ASSERT_GE(analysis.integration_points_size(), 1);
  EXPECT_EQ(analysis.integration_points(0).file(), "store/store.go")
      << analysis.DebugString();
  EXPECT_EQ(analysis.integration_points(0).symbol(), "SaveOrder");
  EXPECT_GT(analysis.integration_points(0).line(), 0u);
  EXPECT_EQ(std::vector<std::string>(analysis.kinds().begin(), analysis.kinds().end())[0],
            "message-queue");
  EXPECT_EQ(analysis.suggested_path().substr(0, 6), "store/") << analysis.suggested_path();
  // The Kafka client is not in go.mod yet: the analysis says so and where it goes.
  const v1::DependencyNeed* kafka = nullptr;
  for (const auto& dep : analysis.dependencies())
    if (dep.name().find("kafka") != std::string::npos) kafka = &dep;
  ASSERT_NE(kafka, nullptr) << analysis.DebugString();
  EXPECT_FALSE(kafka->declared());
  EXPECT_EQ(kafka->manifest(), "go.mod");
  EXPECT_EQ(kafka->ecosystem(), "go");
  // cmd/server imports store: the graph holds that edge.
  bool edge = false;
  for (const auto& e : analysis.import_graph())
    edge |= e.from() == "cmd/server/main.go" && e.to() == "store/store.go";
  EXPECT_TRUE(edge) << analysis.DebugString();
}

TEST_F(RepositoriesTest, AnUnchangedTreeCostsOneLookupPerStep) {
  // A tree of its own: maps are cached by tree, whichever repository holds it.
  Files files = kGoService;
  files.emplace("NOTES.md", "cache test\n");
  fs::path repo = MakeRepo(files);
  auto first = Run("Monthly report export", "Export the monthly report as CSV.", repo);
  auto second = Run("Monthly report export", "Export the monthly report as CSV.", repo);
  for (const auto* d : {&first, &second}) {
    ASSERT_NE(StepOf(*d, v1::STEP_MAP), nullptr);
    ASSERT_NE(StepOf(*d, v1::STEP_ANALYZE), nullptr);
  }
  EXPECT_EQ(StepOf(first, v1::STEP_MAP)->summary().find("cached"), std::string::npos);
  EXPECT_NE(StepOf(second, v1::STEP_MAP)->summary().find("(cached by commit)"), std::string::npos)
      << StepOf(second, v1::STEP_MAP)->summary();
  std::cout << "map step: " << StepOf(first, v1::STEP_MAP)->handler_ms() << " ms cold, "
            << StepOf(second, v1::STEP_MAP)->handler_ms() << " ms cached by commit\n";
  EXPECT_NE(StepOf(second, v1::STEP_ANALYZE)->summary().find("(cached by tree)"),
            std::string::npos)
      << StepOf(second, v1::STEP_ANALYZE)->summary();
  // Same commit, same map.
  EXPECT_EQ(first.artifacts().at("repository_map"), second.artifacts().at("repository_map"));

  // Another commit of the same tree: the map is the tree's, under the new commit.
  ASSERT_EQ(RunCommand("git -C '" + repo.string() +
                       "' -c user.name=t -c user.email=t@t commit -q --amend -m 'same tree'").exit_code,
            0);
  auto third = Run("Monthly report export", "Export the monthly report as CSV.", repo);
  ASSERT_NE(StepOf(third, v1::STEP_MAP), nullptr);
  EXPECT_NE(StepOf(third, v1::STEP_MAP)->summary().find("(cached by tree)"), std::string::npos)
      << StepOf(third, v1::STEP_MAP)->summary();
  EXPECT_NE(third.artifacts().at("repository_map"), first.artifacts().at("repository_map"));
}

TEST_F(RepositoriesTest, ARepositoryWithoutCommitsFailsWithTheReason) {
  fs::path repo = repos_->path() / "empty";
  fs::create_directories(repo);
  ASSERT_EQ(RunCommand("git init -q '" + repo.string() + "'").exit_code, 0);
  auto d = Run("Anything", "Anything at all.", repo);
  EXPECT_NE(d.status(), v1::DEPLOYMENT_STATUS_SUCCEEDED);
  EXPECT_NE(d.error().find("has no commits"), std::string::npos) << d.DebugString();
}

TEST_F(RepositoriesTest, ATargetPathThatIsASymlinkLoopFailsWithTheReason) {
  fs::path loop = repos_->path() / "loop";
  fs::create_directory_symlink(loop, loop);
  auto d = Run("Anything", "Anything at all.", loop);
  EXPECT_NE(d.status(), v1::DEPLOYMENT_STATUS_SUCCEEDED);
  EXPECT_NE(d.error().find(loop.string()), std::string::npos) << d.DebugString();
  EXPECT_NE(d.error().find("symbolic links"), std::string::npos) << d.DebugString();
}

// Every hostile shape at once: the map and the analysis still come back, saying what they
// left out, and the services stay up for the next deployment.
TEST_F(RepositoriesTest, HostileContentGetsAClearResult) {
  std::string deep;
  for (int i = 0; i < 20; ++i) deep += fmt::format("level{}/", i);
  fs::path repo = MakeRepo(
      {{"inventory/__init__.py", ""},
       {"inventory/stock.py", "def low_stock(items):\n    return []\n"},
       {"inventory/binary.py", std::string("\0\x01\x02\xff", 4)},
       {"inventory/latin.py", "name = '\xe9t\xe9'\n"},
       {std::string("inventory/caf\xe9.py"), "x = 1\n"},
       {deep + "deep.py", "def deep():\n    pass\n"},
       {"tests/test_stock.py", "from inventory.stock import low_stock\n\n"
                               "def test_low():\n    assert low_stock([]) == []\n"}},
      // A 1 GiB file (sparse on disk, compressed in git) and symbolic links that loop.
      "truncate -s 1G inventory/huge.py && ln -s loop_b loop_a && ln -s loop_a loop_b && "
      "ln -s . self");
  auto d = Run("Low stock alert", "Alert when stock runs low.", repo);
  const v1::StepRecord* map_step = StepOf(d, v1::STEP_MAP);
  ASSERT_NE(map_step, nullptr) << d.DebugString();
  EXPECT_EQ(map_step->status(), "succeeded") << map_step->error();
  ASSERT_NE(StepOf(d, v1::STEP_ANALYZE), nullptr) << d.DebugString();
  EXPECT_EQ(StepOf(d, v1::STEP_ANALYZE)->status(), "succeeded")
      << StepOf(d, v1::STEP_ANALYZE)->error();
  auto map = Artifact<v1::RepositoryMap>(d, "repository_map");
  std::string warnings;
  for (const auto& w : map.warnings()) warnings += w + "\n";
  EXPECT_NE(warnings.find("1 files over"), std::string::npos) << warnings;
  EXPECT_NE(warnings.find("not valid UTF-8"), std::string::npos) << warnings;
  EXPECT_NE(warnings.find("binary data"), std::string::npos) << warnings;
  EXPECT_NE(warnings.find("3 symbolic links"), std::string::npos) << warnings;
  auto analysis = Artifact<v1::Analysis>(d, "analysis");
  ASSERT_GE(analysis.integration_points_size(), 1);
  EXPECT_EQ(analysis.integration_points(0).file(), "inventory/stock.py");

  // The services are still serving.
  auto next = Run("Low stock alert", "Alert when stock runs low.", MakeRepo(kGoService));
  EXPECT_EQ(StepOf(next, v1::STEP_MAP)->status(), "succeeded");
}

}  // namespace
}  // namespace slipway
