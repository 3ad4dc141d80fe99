#include "libs/code/symbols.h"

namespace slipway::code {
struct SymbolIndexer::Process {};
struct ParallelIndexer::State {};
SymbolIndexer::SymbolIndexer() = default;
SymbolIndexer::~SymbolIndexer() = default;
absl::StatusOr<std::unique_ptr<SymbolIndexer>> SymbolIndexer::Start(std::string) {
  return absl::UnimplementedError("ctags indexer not built yet");
}
absl::StatusOr<std::vector<Symbol>> SymbolIndexer::Tags(std::string_view, std::string_view) {
  return absl::UnimplementedError("ctags indexer not built yet");
}
void SymbolIndexer::set_timeout_ms(int ms) { timeout_ms_ = ms; }
void SymbolIndexer::set_max_bytes(size_t bytes) { max_bytes_ = bytes; }
ParallelIndexer::ParallelIndexer() = default;
ParallelIndexer::~ParallelIndexer() = default;
absl::StatusOr<std::unique_ptr<ParallelIndexer>> ParallelIndexer::Start(int, Callback,
                                                                        std::string) {
  return absl::UnimplementedError("ctags indexer not built yet");
}
void ParallelIndexer::Submit(size_t, std::string, std::string) {}
void ParallelIndexer::Finish() {}
}  // namespace slipway::code
