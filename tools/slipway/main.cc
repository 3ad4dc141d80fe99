// slipway: the command-line client. `run` and `dev` start the embedded stack; submit, get,
// list, watch and cancel talk to any orchestrator over gRPC.
//
// Exit codes: 0 succeeded, 1 the deployment failed or was cancelled, 2 rejected input,
// 3 infrastructure error.
#include <fmt/ranges.h>
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/time_util.h>
#include <grpcpp/grpcpp.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "libs/core/ids.h"
#include "libs/core/status.h"
#include "libs/recommendation/recommendation.h"
#include "libs/repo/repository.h"
#include "libs/repo/target.h"
#include "libs/runtime/runtime.h"
#include "libs/stack/embedded_stack.h"
#include "services/analyzer/analyzer.h"
#include "services/git/flags.h"
#include "services/implementer/providers.h"
#include "services/mapper/mapper.h"
#include "services/orchestrator/saga.h"
#include "slipway/v1/deployments.grpc.pb.h"

namespace slipway::cli {
namespace {

namespace fs = std::filesystem;
using orchestrator::StatusName;
using orchestrator::StepName;

enum Exit { kOk = 0, kFailed = 1, kRejected = 2, kInfra = 3 };

struct Globals {
  bool json = false;
  std::string server = "127.0.0.1:50051";
};

std::string ToJson(const google::protobuf::Message& m) {
  std::string out;
  google::protobuf::util::JsonPrintOptions o;
  o.add_whitespace = true;
  o.preserve_proto_field_names = true;
  (void)google::protobuf::util::MessageToJsonString(m, &out, o);
  return out;
}

int ExitFor(const v1::Deployment& d) {
  switch (d.status()) {
    case v1::DEPLOYMENT_STATUS_SUCCEEDED:
      return kOk;
    case v1::DEPLOYMENT_STATUS_REJECTED:
      return kRejected;
    default:
      return kFailed;
  }
}

int GrpcError(const grpc::Status& st) {
  std::cerr << "error: " << st.error_message() << " (gRPC " << st.error_code() << ")\n";
  switch (st.error_code()) {
    case grpc::StatusCode::INVALID_ARGUMENT:
    case grpc::StatusCode::NOT_FOUND:
    case grpc::StatusCode::FAILED_PRECONDITION:
    case grpc::StatusCode::PERMISSION_DENIED:
    case grpc::StatusCode::UNIMPLEMENTED:
      return kRejected;
    default:
      return kInfra;
  }
}

std::unique_ptr<v1::Deployments::Stub> Connect(const std::string& target) {
  grpc::ChannelArguments args;
  args.SetMaxSendMessageSize(32 << 20);
  args.SetMaxReceiveMessageSize(32 << 20);
  return v1::Deployments::NewStub(
      grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args));
}

std::string Seconds(double ms) { return fmt::format("{:.2f} s", ms / 1000.0); }

std::string TimeText(const google::protobuf::Timestamp& t) {
  return google::protobuf::util::TimeUtil::ToString(t).substr(0, 19) + "Z";
}

std::string StepLabel(const v1::StepRecord& s) {
  return s.environment().empty() ? StepName(s.step())
                                 : fmt::format("{} {}", StepName(s.step()), s.environment());
}

// Human progress: one line whenever a step starts or finishes, a release moves, or an approval
// is asked for. `server` is where `slipway approve` reaches this deployment.
class Progress {
 public:
  explicit Progress(bool quiet, std::string server = "")
      : quiet_(quiet), server_(std::move(server)) {}
  void Update(const v1::Deployment& d) {
    if (quiet_) return;
    if (!announced_) {
      std::cout << "deployment " << d.id() << " (" << StatusName(d.status()) << ")\n";
      announced_ = true;
    }
    for (const auto& r : d.releases()) {
      std::string line = fmt::format("{} {}% {}", r.status(), r.weight(), r.step());
      std::string& last = seen_["release/" + r.environment()];
      if (last == line) continue;
      last = line;
      std::cout << fmt::format("  ↳ release to {:<11} {:>3}% to {}  step {}/{}  {}{}\n",
                               r.environment(), r.weight(), r.version().substr(0, 12),
                               std::min(r.step() + 1, r.steps()), r.steps(), r.status(),
                               r.detail().empty() ? "" : ": " + r.detail().substr(0, 200));
    }
    if (d.status() == v1::DEPLOYMENT_STATUS_AWAITING_APPROVAL) {
      const auto& a = d.approval();
      std::string& last = seen_["approval"];
      std::string key = fmt::format("{}/{}/{}", a.environment(), a.gate(), a.approved_by_size());
      if (last != key) {
        last = key;
        std::cout << fmt::format(
            "  ⏸ awaiting approval of {}{}: {} of {} given{} until {}\n"
            "    slipway{} approve {} --env {} --approver <name>\n",
            a.environment(), a.gate().empty() ? "" : " (" + a.gate() + ")", a.approved_by_size(),
            a.required(),
            a.approvers_size() ? fmt::format(" (approvers: {})", fmt::join(a.approvers(), ", "))
                               : "",
            TimeText(a.expires_at()), server_.empty() ? "" : " --server " + server_, d.id(),
            a.environment());
      }
    }
    for (const auto& s : d.steps()) {
      std::string key =
          fmt::format("{}/{}/{}", static_cast<int>(s.step()), s.environment(), s.attempt());
      std::string& last = seen_[key];
      if (last == s.status()) continue;
      last = s.status();
      std::string name = fmt::format("{:<12}", StepLabel(s));
      if (name.size() > 12 || name.back() != ' ') name += ' ';  // "rollout production"
      if (s.status() == "running")
        std::cout << "  … " << name
                  << (s.attempt() > 1 ? fmt::format("attempt {}", s.attempt()) : "running") << "\n";
      else if (s.status() == "succeeded")
        std::cout << "  ✓ " << name << fmt::format("{:>8}  ", Seconds(s.duration_ms()))
                  << s.summary() << "\n";
      else
        std::cout << "  ✗ " << name << fmt::format("{:>8}  ", Seconds(s.duration_ms()))
                  << s.status() << ": " << s.error() << "\n";
      std::cout.flush();
    }
  }

 private:
  bool quiet_;
  std::string server_;
  bool announced_ = false;
  std::map<std::string, std::string> seen_;
};

void PrintResult(const v1::Deployment& d) {
  std::cout << "\n" << fmt::format("result: {}", StatusName(d.status())) << "\n";
  if (!d.error().empty()) {
    std::cout << "  reason: " << d.error() << "\n";
    if (!d.rejected_field().empty()) std::cout << "  field:  " << d.rejected_field() << "\n";
  }
  if (!d.branch().empty()) std::cout << "  branch: " << d.branch() << "\n";
  if (!d.commit().empty()) std::cout << "  commit: " << d.commit() << "\n";
  const auto& git = d.git();
  if (git.pushed()) std::cout << "  pushed: " << git.remote() << "\n";
  if (git.has_pull_request())
    std::cout << fmt::format("  pull request: #{} {} ({})", git.pull_request().number(),
                             git.pull_request().url(),
                             git.pull_request().created() ? "opened" : "found open")
              << "\n";
  if (git.has_checks())
    std::cout << fmt::format("  checks: {}{} — {}", git.checks().state(),
                             git.checks().required() ? " (required)" : "", git.checks().detail())
              << "\n";
  if (git.has_compensation())
    std::cout << "  compensation: " << git.compensation().detail() << "\n";
  if (d.has_tests())
    std::cout << fmt::format("  tests:  {} run, {} passed, {} failed, {} errors, {} skipped ({})",
                             d.tests().total(), d.tests().passed(), d.tests().failed(),
                             d.tests().errors(), d.tests().skipped(), d.tests().command())
              << "\n";
  if (d.tests().has_coverage() && d.tests().coverage().changed_lines() > 0)
    std::cout << fmt::format("  coverage of changed lines: {}/{} ({})",
                             d.tests().coverage().changed_covered(),
                             d.tests().coverage().changed_lines(), d.tests().coverage().tool())
              << "\n";
  if (!d.tests().verdict().empty()) std::cout << "  gates:  " << d.tests().verdict() << "\n";
  for (const auto& r : d.releases()) {
    std::cout << fmt::format("  release to {} ({}): {} — {} at {}%, {} measurements",
                             r.environment(), r.target(), r.status(), r.strategy(), r.weight(),
                             r.measurements())
              << "\n";
    if (r.has_cause() && !r.cause().reason().empty())
      std::cout << fmt::format("    cause: {}{}", r.cause().reason(),
                               r.cause().metric().empty()
                                   ? ""
                                   : fmt::format(" (metric {}, value {}, {})", r.cause().metric(),
                                                 r.cause().value(), r.cause().condition()))
                << "\n";
    if (r.has_breach_at() && r.has_restored_at())
      std::cout << fmt::format("    breach found {} → all traffic on the stable version {} ({} ms)",
                               TimeText(r.breach_at()), TimeText(r.restored_at()),
                               google::protobuf::util::TimeUtil::DurationToMilliseconds(
                                   r.restored_at() - r.breach_at()))
                << "\n";
  }
  if (d.usage().calls() > 0)
    std::cout << fmt::format("  model:  {} calls to {}, {} prompt + {} answer tokens, ${:.4f}",
                             d.usage().calls(), d.usage().model(), d.usage().prompt_tokens(),
                             d.usage().completion_tokens(), d.usage().cost_usd())
              << "\n";
  for (const auto& f : d.tests().failures())
    std::cout << "    failed: " << (f.classname().empty() ? "" : f.classname() + "::") << f.name()
              << (f.message().empty() ? "" : " — " + f.message().substr(0, 200)) << "\n";
  if (d.steps_size() > 0) {
    std::cout << "  time per step:\n";
    double total = 0;
    for (const auto& s : d.steps()) {
      std::cout << fmt::format("    {:<20} {:>9}  (handler {:>9}) {}", StepLabel(s),
                               Seconds(s.duration_ms()), Seconds(s.handler_ms()),
                               s.attempt() > 1 ? fmt::format("attempt {}", s.attempt()) : "")
                << "\n";
      total += s.duration_ms();
    }
    std::cout << fmt::format("    {:<20} {:>9}", "total", Seconds(total)) << "\n";
  }
}

// Streams updates until the deployment ends; returns the last state.
absl::StatusOr<v1::Deployment> Follow(v1::Deployments::Stub& stub, const std::string& id,
                                      Progress& progress) {
  for (int reconnects = 0; reconnects < 20; ++reconnects) {
    grpc::ClientContext ctx;
    v1::WatchRequest req;
    req.set_id(id);
    auto reader = stub.Watch(&ctx, req);
    v1::DeploymentUpdate update;
    v1::Deployment last;
    while (reader->Read(&update)) {
      last = update.deployment();
      progress.Update(last);
      if (orchestrator::IsTerminal(last.status())) {
        ctx.TryCancel();
        (void)reader->Finish();
        return last;
      }
    }
    grpc::Status st = reader->Finish();
    if (st.error_code() != grpc::StatusCode::UNAVAILABLE)
      return absl::Status(static_cast<absl::StatusCode>(st.error_code()), st.error_message());
    sleep(1);
  }
  return absl::UnavailableError("lost the orchestrator while watching");
}

struct SubmitArgs {
  std::string file;
  std::string repo;
  std::string mode;
  std::string request_id;
};

absl::StatusOr<v1::SubmitRequest> BuildRequest(const SubmitArgs& a) {
  std::ifstream in(a.file, std::ios::binary);
  if (!in) return absl::NotFoundError(fmt::format("cannot read {}", a.file));
  std::stringstream ss;
  ss << in.rdbuf();
  v1::SubmitRequest req;
  req.set_recommendation_json(ss.str());
  req.set_request_id(a.request_id);
  // Services may run with another working folder: send local paths absolute.
  std::string repo = a.repo;
  if (repo.empty()) {
    auto j = nlohmann::json::parse(ss.str(), nullptr, false);
    if (j.is_object() && j.contains("target") && j["target"].is_object() &&
        j["target"].contains("url") && j["target"]["url"].is_string())
      repo = j["target"]["url"].get<std::string>();
  }
  if (!repo.empty() && repo.find("://") == std::string::npos && repo.rfind("git@", 0) != 0)
    repo = fs::absolute(repo).lexically_normal().string();
  req.set_repository(repo);
  if (a.mode == "dry-run") req.set_mode(v1::MODE_DRY_RUN);
  if (a.mode == "local-commit") req.set_mode(v1::MODE_LOCAL_COMMIT);
  if (a.mode == "full-pr") req.set_mode(v1::MODE_FULL_PR);
  return req;
}

int SubmitAndFollow(v1::Deployments::Stub& stub, const v1::SubmitRequest& req, bool follow,
                    const Globals& g, const std::string& server) {
  grpc::ClientContext ctx;
  v1::SubmitResponse resp;
  grpc::Status st = stub.Submit(&ctx, req, &resp);
  if (!st.ok()) return GrpcError(st);
  v1::Deployment d = resp.deployment();
  if (follow && !orchestrator::IsTerminal(d.status())) {
    Progress progress(g.json, server);
    auto last = Follow(stub, d.id(), progress);
    if (!last.ok()) {
      std::cerr << "error: " << last.status().message() << "\n";
      return kInfra;
    }
    d = *last;
  }
  if (g.json)
    std::cout << ToJson(d) << "\n";
  else if (d.status() == v1::DEPLOYMENT_STATUS_REJECTED)
    std::cerr << "rejected: " << d.error() << "\n  field: " << d.rejected_field()
              << "\n  recorded as deployment " << d.id() << "\n";
  else if (follow)
    PrintResult(d);
  else
    std::cout << d.id() << " " << StatusName(d.status()) << "\n";
  return follow || d.status() == v1::DEPLOYMENT_STATUS_REJECTED ? ExitFor(d) : kOk;
}

// Opens `path` (a local repository) and resolves `rev`.
absl::StatusOr<std::pair<repo::Repository, std::string>> OpenAt(const std::string& path,
                                                                const std::string& rev) {
  auto repo = repo::Targets().Open(path);
  if (!repo.ok()) return repo.status();
  auto commit = repo->ResolveCommit(rev);
  if (!commit.ok()) return commit.status();
  return std::make_pair(std::move(*repo), std::move(*commit));
}

double MillisSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
      .count();
}

void PrintMap(const v1::RepositoryMap& m) {
  std::cout << "languages:\n";
  for (const auto& l : m.languages())
    std::cout << fmt::format("  {:<12} {:>6} files {:>9} lines\n", l.language(), l.files(),
                             l.lines());
  size_t vendored = 0, generated = 0;
  for (const auto& f : m.files()) {
    vendored += f.vendored();
    generated += f.generated();
  }
  if (vendored + generated > 0)
    std::cout << fmt::format("  (left out: {} vendored, {} generated files)\n", vendored,
                             generated);
  if (m.modules_size() > 0) {
    std::cout << "modules:\n";
    for (const auto& mod : m.modules())
      std::cout << fmt::format("  {:<30} {:<10} {} files ({})\n", mod.name(), mod.language(),
                               mod.files_size(), mod.path().empty() ? "." : mod.path());
  }
  if (m.build_systems_size() > 0) {
    std::cout << "build and test systems:\n";
    for (const auto& b : m.build_systems())
      std::cout << fmt::format("  {:<8} from {:<16} build: {}  test: {}\n", b.name(), b.manifest(),
                               b.build_command().empty() ? "-" : b.build_command(),
                               b.test_command().empty() ? "-" : b.test_command());
  }
  std::cout << "test command: " << (m.test_command().empty() ? "none found" : m.test_command())
            << "\n";
  if (m.test_dirs_size() > 0) {
    std::cout << "tests in:";
    for (const auto& d : m.test_dirs()) std::cout << " " << d;
    std::cout << (m.test_file_pattern().empty() ? "" : " (" + m.test_file_pattern() + ")") << "\n";
  }
  if (m.entry_points_size() > 0) {
    std::cout << "entry points:";
    for (const auto& e : m.entry_points()) std::cout << " " << e;
    std::cout << "\n";
  }
  if (m.config_files_size() > 0) {
    std::cout << "configuration:";
    for (const auto& c : m.config_files()) std::cout << " " << c;
    std::cout << "\n";
  }
  if (m.manifests_size() > 0) {
    std::cout << "dependency manifests:\n";
    for (const auto& man : m.manifests()) {
      std::vector<std::string> names;
      for (const auto& d : man.dependencies())
        names.push_back(d.scope() == "runtime" ? d.name()
                                               : fmt::format("{} ({})", d.name(), d.scope()));
      std::cout << fmt::format("  {:<28} {:<6} {}{}\n", man.path(), man.ecosystem(),
                               fmt::join(names, ", "),
                               man.error().empty() ? "" : "  [did not parse: " + man.error() + "]");
    }
  }
  if (m.ci_workflows_size() > 0) {
    std::cout << "CI workflows:\n";
    for (const auto& w : m.ci_workflows()) {
      std::cout << fmt::format("  {} ({}{}{})\n", w.path(), w.system(),
                               w.triggers_size() ? ", on " : "", fmt::join(w.triggers(), ", "));
      for (const auto& j : w.jobs())
        for (const auto& c : j.commands()) std::cout << fmt::format("    {}: {}\n", j.name(), c);
      if (!w.error().empty()) std::cout << "    did not parse: " << w.error() << "\n";
    }
  }
  if (m.integrations_size() > 0) {
    std::cout << "integration points:\n";
    for (const auto& i : m.integrations()) {
      std::cout << fmt::format("  {:<15} {}\n", i.kind(), i.library());
      for (const auto& site : i.sites())
        std::cout << fmt::format("    {}:{}{}{}\n", site.file(), site.line(),
                                 site.symbols_size() ? "  " : "", fmt::join(site.symbols(), ", "));
    }
  }
  for (const auto& w : m.warnings()) std::cout << "warning: " << w << "\n";
}

// `slipway map`: the mapper's view of a repository, without any server.
int MapCommand(const std::string& path, const std::string& rev, const Globals& g) {
  auto opened = OpenAt(path, rev);
  if (!opened.ok()) {
    std::cerr << "error: " << opened.status().message() << "\n";
    return kRejected;
  }
  auto& [repository, commit] = *opened;
  auto started = std::chrono::steady_clock::now();
  auto m = mapper::MapRepository(repository, commit);
  double ms = MillisSince(started);
  if (!m.ok()) {
    std::cerr << "error: " << m.status().message() << "\n";
    return kFailed;
  }
  if (g.json) {
    std::cout << ToJson(*m) << "\n";
    return kOk;
  }
  std::cout << fmt::format("{} at {} (tree {}): {} files, mapped in {:.1f} ms\n", path,
                           m->commit().substr(0, 12), m->tree_hash().substr(0, 12), m->files_size(),
                           ms);
  PrintMap(*m);
  return kOk;
}

// `slipway analyze`: where a recommendation's code would go in a repository, without any
// server: the map, the symbol index and the analysis, as the services compute them.
int AnalyzeCommand(const std::string& path, const std::string& file, const std::string& rev,
                   const Globals& g) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    std::cerr << "error: cannot read " << file << "\n";
    return kRejected;
  }
  std::stringstream text;
  text << in.rdbuf();
  auto rec = recommendation::ParseJson(text.str());
  if (rec.ok()) {
    if (auto st = recommendation::Validate(*rec); !st.ok()) rec = st;
  }
  if (!rec.ok()) {
    std::cerr << "error: " << rec.status().message() << "\n";
    return kRejected;
  }
  auto opened = OpenAt(path, rev);
  if (!opened.ok()) {
    std::cerr << "error: " << opened.status().message() << "\n";
    return kRejected;
  }
  auto& [repository, commit] = *opened;
  auto started = std::chrono::steady_clock::now();
  auto m = mapper::MapRepository(repository, commit);
  double map_ms = MillisSince(started);
  if (!m.ok()) {
    std::cerr << "error: " << m.status().message() << "\n";
    return kFailed;
  }
  started = std::chrono::steady_clock::now();
  auto symbols = analyzer::BuildSymbolIndex(*m, repository, commit);
  double index_ms = MillisSince(started);
  if (!symbols.ok()) {
    std::cerr << "error: " << symbols.status().message() << "\n";
    return kFailed;
  }
  started = std::chrono::steady_clock::now();
  auto a = analyzer::Analyze(*rec, *m, repository, commit, &*symbols);
  double analyze_ms = MillisSince(started);
  if (!a.ok()) {
    std::cerr << "error: " << a.status().message() << "\n";
    return kFailed;
  }
  if (g.json) {
    std::cout << ToJson(*a) << "\n";
    return kOk;
  }
  size_t tags = 0;
  for (const auto& f : symbols->files()) tags += static_cast<size_t>(f.symbols_size());
  std::cout << fmt::format(
      "{} at {}: {} files mapped in {:.1f} ms; {} symbols of {} files indexed by {} in {:.1f} "
      "ms; analysed in {:.1f} ms\n",
      path, commit.substr(0, 12), m->files_size(), map_ms, tags, symbols->files_size(),
      symbols->indexer(), index_ms, analyze_ms);
  std::cout << "language: " << a->language() << "\n";
  if (a->kinds_size() > 0)
    std::cout << "asks for: " << fmt::format("{}", fmt::join(a->kinds(), ", ")) << "\n";
  std::cout << "integration points:\n";
  if (a->integration_points_size() == 0) std::cout << "  none matched\n";
  for (const auto& p : a->integration_points())
    std::cout << fmt::format("  {:>6.2f}  {}{}{}\n          {}\n", p.score(), p.file(),
                             p.line() ? fmt::format(":{}", p.line()) : "",
                             p.symbol().empty() ? "" : "  " + p.symbol(), p.reason());
  std::cout << "new code:  " << a->suggested_path() << " (" << a->module_name() << ")\n";
  std::cout << "its tests: " << a->test_path() << "\n";
  if (a->imports_size() > 0)
    std::cout << "imports:   " << fmt::format("{}", fmt::join(a->imports(), ", ")) << "\n";
  for (const auto& d : a->dependencies())
    std::cout << fmt::format("dependency {} ({}): {}{}; {}\n", d.name(), d.ecosystem(),
                             d.declared() ? "declared in " : "to declare in ",
                             d.manifest().empty() ? "a new manifest" : d.manifest(), d.reason());
  return kOk;
}

fs::path DefaultStateDir() {
  if (const char* s = std::getenv("SLIPWAY_STATE_DIR")) return s;
  return fs::current_path() / ".state";
}

}  // namespace
}  // namespace slipway::cli

int main(int argc, char** argv) {
  using namespace slipway;
  using namespace slipway::cli;
  CLI::App app{"Slipway: from a recommendation to a tested commit, and on to production"};
  app.require_subcommand(1);
  Globals g;
  app.add_flag("--json", g.json, "machine-readable output");
  app.add_option("--server", g.server, "orchestrator gRPC address")->envname("SLIPWAY_SERVER");

  SubmitArgs run_args;
  std::string state_dir = DefaultStateDir().string();
  std::string log_level = "warn";
  double test_timeout = 600;
  auto* run = app.add_subcommand("run", "run one deployment on an embedded stack");
  run->add_option("recommendation", run_args.file, "recommendation JSON file")->required();
  run->add_option("--repo", run_args.repo, "target repository (overrides target.url)");
  run->add_option("--mode", run_args.mode, "dry-run | local-commit | full-pr")
      ->check(CLI::IsMember({"dry-run", "local-commit", "full-pr"}));
  run->add_option("--state-dir", state_dir, "embedded database folder (./.state)")
      ->envname("SLIPWAY_STATE_DIR");
  run->add_option("--log-level", log_level, "service log level (warn)")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}));
  run->add_option("--test-timeout", test_timeout, "seconds for the test suite (600)");
  implementer::ProviderSettings providers;
  implementer::AddProviderFlags(*run, providers);
  // Remote target repositories: mirrored under the state folder unless --mirror-dir says where.
  runtime::TargetOptions target_options;
  runtime::AddTargetOptions(*run, target_options, "<state-dir>/mirrors");
  // The git service's flags: branch names, and full-pr's forge, pull request and checks.
  gitsvc::GitFlags git_flags;
  gitsvc::AddGitFlags(*run, git_flags);
  std::string environments;
  run->add_option("--environments", environments,
                  "YAML file of the environments to release to after the commit")
      ->envname("SLIPWAY_ENVIRONMENTS");

  std::string dev_listen = "127.0.0.1:50051";
  auto* dev = app.add_subcommand("dev", "keep an embedded stack up for gRPC clients");
  dev->add_option("--grpc-listen", dev_listen, "orchestrator address (127.0.0.1:50051)");
  implementer::AddProviderFlags(*dev, providers);
  runtime::AddTargetOptions(*dev, target_options, "<state-dir>/mirrors");
  gitsvc::AddGitFlags(*dev, git_flags);
  dev->add_option("--environments", environments,
                  "YAML file of the environments to release to after the commit")
      ->envname("SLIPWAY_ENVIRONMENTS");
  dev->add_option("--state-dir", state_dir, "embedded database folder (./.state)")
      ->envname("SLIPWAY_STATE_DIR");
  dev->add_option("--log-level", log_level, "service log level (warn)")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}));

  SubmitArgs submit_args;
  bool submit_watch = false;
  auto* submit = app.add_subcommand("submit", "submit a recommendation to an orchestrator");
  submit->add_option("recommendation", submit_args.file, "recommendation JSON file")->required();
  submit->add_option("--repo", submit_args.repo, "target repository (overrides target.url)");
  submit->add_option("--mode", submit_args.mode, "dry-run | local-commit | full-pr")
      ->check(CLI::IsMember({"dry-run", "local-commit", "full-pr"}));
  submit->add_option("--request-id", submit_args.request_id, "idempotency key");
  submit->add_flag("--watch", submit_watch, "follow the deployment to its end");

  std::string map_repo, map_rev = "HEAD";
  auto* map =
      app.add_subcommand("map", "map a repository: languages, modules, build and test systems");
  map->add_option("repository", map_repo, "local repository path")->required();
  map->add_option("--rev", map_rev, "commit, branch or tag to map (HEAD)");

  std::string analyze_repo, analyze_rec, analyze_rev = "HEAD";
  auto* analyze = app.add_subcommand(
      "analyze", "where a recommendation's code would go: integration points, path, dependencies");
  analyze->add_option("repository", analyze_repo, "local repository path")->required();
  analyze->add_option("recommendation", analyze_rec, "recommendation JSON file")->required();
  analyze->add_option("--rev", analyze_rev, "commit, branch or tag (HEAD)");

  std::string id;
  auto* get = app.add_subcommand("get", "show one deployment");
  get->add_option("id", id, "deployment id")->required();
  auto* watch = app.add_subcommand("watch", "follow a deployment to its end");
  watch->add_option("id", id, "deployment id")->required();
  std::string reason;
  auto* cancel = app.add_subcommand("cancel", "cancel a deployment");
  cancel->add_option("id", id, "deployment id")->required();
  cancel->add_option("--reason", reason, "why");
  v1::ListRequest list_req;
  std::string status_filter, repo_filter, page_token;
  uint32_t page_size = 20;
  auto* list = app.add_subcommand("list", "list deployments, newest first");
  list->add_option("--status", status_filter,
                   "queued|running|compensating|awaiting-approval|succeeded|failed|rejected|"
                   "cancelled|rolled-back|expired")
      ->check(CLI::IsMember({"queued", "running", "compensating", "awaiting-approval", "succeeded",
                             "failed", "rejected", "cancelled", "rolled-back", "expired"}));
  list->add_option("--repository", repo_filter, "only this repository");
  list->add_option("--page-size", page_size, "deployments per page (20)");
  list->add_option("--page-token", page_token, "from a previous page");

  v1::ApproveRequest approve_req;
  auto* approve = app.add_subcommand("approve", "approve the release a deployment waits on");
  approve->add_option("id", id, "deployment id")->required();
  approve->add_option("--env", *approve_req.mutable_environment(),
                      "the environment (default: the one waiting)");
  approve->add_option("--approver", *approve_req.mutable_approver(),
                      "who approves (default $SLIPWAY_APPROVER, then $USER)");
  approve->add_option("--comment", *approve_req.mutable_comment(), "why, for the audit trail");
  v1::RollbackRequest rollback_req;
  auto* rollback = app.add_subcommand(
      "rollback",
      "roll a release back: the one in progress to the stable version, a finished one to an "
      "earlier release");
  rollback->add_option("deployment-or-target", id, "deployment id, or a target's name")->required();
  rollback->add_option("--env", *rollback_req.mutable_environment(),
                       "environment (default: the deployment's last; for a target, production)");
  rollback->add_option("--reason", *rollback_req.mutable_reason(), "why")->required();
  rollback->add_option("--to", *rollback_req.mutable_to_release(), "an earlier release");
  rollback->add_option("--actor", *rollback_req.mutable_actor(),
                       "who asks (default $SLIPWAY_APPROVER, then $USER)");
  auto* audit = app.add_subcommand("audit", "the audit trail of approvals, releases, rollbacks");
  audit->require_subcommand(1);
  auto* audit_verify = audit->add_subcommand("verify", "check the hash chain of the whole trail");
  v1::ListAuditRequest audit_req;
  auto* audit_list = audit->add_subcommand("list", "show entries, oldest first");
  audit_list->add_option("--deployment", *audit_req.mutable_deployment_id(), "only this one");
  uint32_t audit_limit = 100;
  audit_list->add_option("--limit", audit_limit, "entries at most (100)");
  v1::DoraRequest dora_req;
  auto* dora = app.add_subcommand(
      "dora", "deployment frequency, lead time, change failure rate, time to restore");
  dora->add_option("--env", *dora_req.mutable_environment(), "environment (production)");
  dora->add_option("--target", *dora_req.mutable_target(), "one target (all)");
  uint32_t dora_days = 30;
  dora->add_option("--days", dora_days, "the window, ending now (30)");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : kRejected;
  }
  spdlog::set_level(spdlog::level::from_str(log_level));

  if (*run || *dev) {
    stack::StackOptions o;
    o.state_dir = state_dir;
    o.ephemeral = false;
    o.log_level = log_level;
    o.test_timeout_s = test_timeout;
    o.orchestrator.test_timeout_s = test_timeout + 60;
    o.orchestrator.environments_file = environments;
    if (*dev) o.grpc_listen = dev_listen;
    {
      auto targets = runtime::ResolveTargets(target_options, fs::absolute(state_dir) / "mirrors");
      if (!targets.ok()) {
        std::cerr << "error: " << targets.status().message() << "\n";
        return kRejected;
      }
      o.targets = *targets;
      auto git = gitsvc::ResolveGitFlags(git_flags);
      if (!git.ok()) {
        std::cerr << "error: " << git.status().message() << "\n";
        return kRejected;
      }
      o.git = *git;
    }
    {
      auto made = implementer::Providers::Make(providers);
      if (!made.ok()) {
        std::cerr << "error: " << made.status().message() << "\n";
        return kRejected;
      }
      o.providers = *made;
    }
    if (*run) {
      // Read the file before starting anything, so a missing file fails fast.
      if (!fs::exists(run_args.file)) {
        std::cerr << "error: cannot read " << run_args.file << "\n";
        return kRejected;
      }
    }
    if (!g.json && *run) std::cout << "starting the embedded stack in " << state_dir << " …\n";
    // Signals are taken by one thread; block them before the stack starts its threads.
    if (*dev) runtime::Shutdown::Install();
    auto started = std::chrono::steady_clock::now();
    auto s = stack::EmbeddedStack::Start(o);
    if (!s.ok()) {
      std::cerr << "error: embedded stack: " << s.status().message() << "\n";
      return kInfra;
    }
    if (*dev) {
      auto& shutdown = runtime::Shutdown::Install();  // installed before the stack started
      shutdown.MarkReady();
      std::cout << "slipway dev: orchestrator gRPC " << (*s)->grpc_target() << "\n"
                << "  brokers      " << (*s)->brokers() << "\n"
                << "  database     " << (*s)->database_url() << "\n"
                << "  try: slipway --server " << (*s)->grpc_target()
                << " submit examples/recommendations/low-stock-alerts.json --watch\n"
                << "Ctrl-C stops it.\n";
      std::cout.flush();
      shutdown.Wait();
      (*s)->Stop();
      return kOk;
    }
    if (!g.json)
      std::cout << fmt::format(
          "stack up in {:.1f} s\n",
          std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    auto req = BuildRequest(run_args);
    if (!req.ok()) {
      std::cerr << "error: " << req.status().message() << "\n";
      return kRejected;
    }
    auto stub = Connect((*s)->grpc_target());
    int rc = SubmitAndFollow(*stub, *req, true, g, (*s)->grpc_target());
    (*s)->Stop();
    return rc;
  }

  if (*map) return MapCommand(map_repo, map_rev, g);
  if (*analyze) return AnalyzeCommand(analyze_repo, analyze_rec, analyze_rev, g);

  auto stub = Connect(g.server);
  if (*submit) {
    auto req = BuildRequest(submit_args);
    if (!req.ok()) {
      std::cerr << "error: " << req.status().message() << "\n";
      return kRejected;
    }
    return SubmitAndFollow(*stub, *req, submit_watch, g, g.server);
  }
  if (*get || *cancel) {
    grpc::ClientContext ctx;
    v1::Deployment d;
    grpc::Status st;
    if (*get) {
      v1::GetRequest r;
      r.set_id(id);
      st = stub->Get(&ctx, r, &d);
    } else {
      v1::CancelRequest r;
      r.set_id(id);
      r.set_reason(reason);
      st = stub->Cancel(&ctx, r, &d);
    }
    if (!st.ok()) return GrpcError(st);
    if (g.json)
      std::cout << ToJson(d) << "\n";
    else
      PrintResult(d);
    return kOk;
  }
  auto who = [](const std::string& given) -> std::string {
    if (!given.empty()) return given;
    if (const char* a = std::getenv("SLIPWAY_APPROVER"); a && *a) return a;
    if (const char* u = std::getenv("USER"); u && *u) return u;
    return "";
  };
  if (*approve || *rollback) {
    grpc::ClientContext ctx;
    v1::Deployment d;
    grpc::Status st;
    if (*approve) {
      approve_req.set_id(id);
      approve_req.set_approver(who(approve_req.approver()));
      st = stub->Approve(&ctx, approve_req, &d);
    } else {
      if (IsUuid(id))
        rollback_req.set_id(id);
      else
        rollback_req.set_target(id);
      rollback_req.set_actor(who(rollback_req.actor()));
      st = stub->Rollback(&ctx, rollback_req, &d);
    }
    if (!st.ok()) return GrpcError(st);
    if (g.json)
      std::cout << ToJson(d) << "\n";
    else
      std::cout << d.id() << " " << StatusName(d.status())
                << (d.status() == v1::DEPLOYMENT_STATUS_AWAITING_APPROVAL
                        ? fmt::format(" ({} of {} approvals)", d.approval().approved_by_size(),
                                      d.approval().required())
                        : "")
                << "\n";
    return kOk;
  }
  if (*audit_verify) {
    grpc::ClientContext ctx;
    v1::VerifyAuditResponse r;
    grpc::Status st = stub->VerifyAudit(&ctx, v1::VerifyAuditRequest(), &r);
    if (!st.ok()) return GrpcError(st);
    if (g.json)
      std::cout << ToJson(r) << "\n";
    else if (r.ok())
      std::cout << fmt::format("audit trail intact: {} entries, head {}\n", r.entries(),
                               r.head_hash());
    else
      std::cout << fmt::format("audit trail TAMPERED: {} (first bad entry {}, {} checked)\n",
                               r.problem(), r.first_bad_seq(), r.entries());
    return r.ok() ? kOk : kFailed;
  }
  if (*audit_list) {
    audit_req.set_limit(audit_limit);
    grpc::ClientContext ctx;
    v1::ListAuditResponse r;
    grpc::Status st = stub->ListAudit(&ctx, audit_req, &r);
    if (!st.ok()) return GrpcError(st);
    if (g.json) {
      std::cout << ToJson(r) << "\n";
      return kOk;
    }
    for (const auto& e : r.entries())
      std::cout << fmt::format("{:>6}  {}  {:<22} {:<20} {:<11} {}\n", e.seq(), TimeText(e.at()),
                               e.actor(), e.action(), e.environment(), e.reason().substr(0, 160));
    return kOk;
  }
  if (*dora) {
    dora_req.set_days(dora_days);
    grpc::ClientContext ctx;
    v1::DoraMetrics m;
    grpc::Status st = stub->GetDoraMetrics(&ctx, dora_req, &m);
    if (!st.ok()) return GrpcError(st);
    if (g.json) {
      std::cout << ToJson(m) << "\n";
      return kOk;
    }
    std::cout << fmt::format(
        "{} ({}), last {} days: {} releases, {} succeeded, {} failed\n"
        "  deployment frequency  {:.2f} a day\n"
        "  lead time             median {:.0f} s, p90 {:.0f} s\n"
        "  change failure rate   {:.1f}%\n"
        "  time to restore       median {:.1f} s, p90 {:.1f} s ({} restores)\n",
        m.environment(), m.target().empty() ? "all targets" : m.target(), m.days(), m.releases(),
        m.successful(), m.failed(), m.deployments_per_day(), m.lead_time_median_seconds(),
        m.lead_time_p90_seconds(), 100 * m.change_failure_rate(),
        m.time_to_restore_median_seconds(), m.time_to_restore_p90_seconds(), m.restores());
    return kOk;
  }
  if (*watch) {
    Progress progress(g.json, g.server);
    auto d = Follow(*stub, id, progress);
    if (!d.ok()) {
      std::cerr << "error: " << d.status().message() << "\n";
      return d.status().code() == absl::StatusCode::kNotFound ? kRejected : kInfra;
    }
    if (g.json)
      std::cout << ToJson(*d) << "\n";
    else
      PrintResult(*d);
    return ExitFor(*d);
  }
  if (*list) {
    v1::ListRequest r;
    r.set_page_size(page_size);
    r.set_page_token(page_token);
    r.set_repository(repo_filter);
    for (int s = 1; s <= v1::DeploymentStatus_MAX; ++s)
      if (StatusName(static_cast<v1::DeploymentStatus>(s)) == status_filter)
        r.set_status(static_cast<v1::DeploymentStatus>(s));
    grpc::ClientContext ctx;
    v1::ListResponse resp;
    grpc::Status st = stub->List(&ctx, r, &resp);
    if (!st.ok()) return GrpcError(st);
    if (g.json) {
      std::cout << ToJson(resp) << "\n";
      return kOk;
    }
    for (const auto& d : resp.deployments())
      std::cout << fmt::format("{}  {:<10} {:<12} {}", d.id(), StatusName(d.status()),
                               StepName(d.current_step()), d.recommendation().title().substr(0, 60))
                << "\n";
    if (!resp.next_page_token().empty())
      std::cout << "next page: --page-token " << resp.next_page_token() << "\n";
    return kOk;
  }
  return kOk;
}
