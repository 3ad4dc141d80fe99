#include "services/analyzer/step.h"

#include <fmt/format.h>

#include "libs/core/status.h"
#include "libs/repo/repository.h"
#include "services/analyzer/analyzer.h"

namespace slipway::analyzer {
namespace {
// The symbol index of a tree, and the latest index of each repository (whose unchanged files
// carry over to the next tree's index).
constexpr char kIndexKind[] = "symbol_index/v1";
constexpr char kLatestIndexKind[] = "symbol_index_latest/v1";
}  // namespace

absl::StatusOr<v1::SymbolIndex> AnalyzerStep::SymbolsFor(const v1::StepCommand& command,
                                                         const v1::RepositoryMap& map,
                                                         const repo::Repository& repo,
                                                         bool& cached) {
  v1::SymbolIndex index;
  cached = false;
  if (auto hit = artifacts_.Lookup(kIndexKind, map.tree_hash()); hit.ok())
    cached = artifacts_.GetMessage(*hit, index).ok();
  if (cached) return index;
  v1::SymbolIndex previous;
  SymbolIndexOptions options{.workers = options_.symbol_workers, .ctags = options_.ctags};
  if (auto hit = artifacts_.Lookup(kLatestIndexKind, command.repository()); hit.ok())
    if (artifacts_.GetMessage(*hit, previous).ok()) options.previous = &previous;
  auto built = BuildSymbolIndex(map, repo, command.base_commit(), options);
  if (!built.ok()) return built.status();
  auto digest = artifacts_.PutMessage(*built);
  if (!digest.ok()) return digest.status();
  // An index made without ctags is not cached: the next run may have it.
  if (built->indexer() != "built-in scanner") {
    if (auto st = artifacts_.Remember(kIndexKind, map.tree_hash(), *digest); !st.ok()) return st;
    if (auto st = artifacts_.Remember(kLatestIndexKind, command.repository(), *digest); !st.ok())
      return st;
  }
  return built;
}

absl::StatusOr<v1::StepResult> AnalyzerStep::Handle(const v1::StepCommand& command) {
  v1::RepositoryMap map;
  if (auto st = runtime::LoadArtifact(artifacts_, command, "repository_map", map); !st.ok())
    return st;
  auto repo = targets_.Open(command.repository(), command.base_commit());
  if (!repo.ok())
    return runtime::Failed(std::string(repo.status().message()), IsRetryable(repo.status()));
  bool cached = false;
  auto symbols = SymbolsFor(command, map, *repo, cached);
  if (!symbols.ok()) {
    if (IsRetryable(symbols.status())) return symbols.status();
    return runtime::Failed(std::string(symbols.status().message()));
  }
  auto analysis = Analyze(command.recommendation(), map, *repo, command.base_commit(), &*symbols);
  if (!analysis.ok()) return runtime::Failed(std::string(analysis.status().message()));
  auto digest = artifacts_.PutMessage(*analysis);
  if (!digest.ok()) return digest.status();
  std::string top = "none";
  if (analysis->integration_points_size() > 0) {
    const auto& p = analysis->integration_points(0);
    top = p.symbol().empty() ? p.file() : fmt::format("{} ({})", p.file(), p.symbol());
  }
  int undeclared = 0;
  for (const auto& d : analysis->dependencies()) undeclared += d.declared() ? 0 : 1;
  v1::StepResult result = runtime::Succeeded(fmt::format(
      "{} integration points, best {}; new code at {}; {} dependencies ({} to declare); "
      "symbols: {}, {} files{}",
      analysis->integration_points_size(), top, analysis->suggested_path(),
      analysis->dependencies_size(), undeclared, symbols->indexer(), symbols->files_size(),
      cached ? " (cached by tree)" : ""));
  (*result.mutable_artifacts())["analysis"] = *digest;
  return result;
}

}  // namespace slipway::analyzer
