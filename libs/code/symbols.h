// Symbol index through universal-ctags in its interactive mode: one long-lived `ctags
// --_interactive` process per indexer, fed file contents over a pipe (no work tree, no temporary
// files), answering JSON tags.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace slipway::code {

struct Symbol {
  std::string name;
  std::string kind;       // ctags' long kind name: "function", "class", "member", "method", ...
  uint32_t line = 0;
  std::string scope;      // enclosing class, struct, namespace ("" at top level)
  std::string signature;  // "(self, sku)" where ctags gives one
  bool operator==(const Symbol&) const = default;
};

// One ctags process. Not thread-safe: use one per thread.
class SymbolIndexer {
 public:
  // Starts `ctags` (a program name looked up in PATH, or a path). FAILED_PRECONDITION naming
  // the program when it cannot be started or lacks the interactive and json features.
  static absl::StatusOr<std::unique_ptr<SymbolIndexer>> Start(std::string ctags = "ctags");
  ~SymbolIndexer();

  // Tags of one file; `path` picks ctags' parser (by extension). Any content is accepted:
  // binary, invalid UTF-8, empty. Files over `max_bytes` give no tags. A ctags process that
  // dies or stalls past `timeout_ms` on one file is restarted; that file gets
  // DEADLINE_EXCEEDED or INTERNAL, and the next call works again.
  absl::StatusOr<std::vector<Symbol>> Tags(std::string_view path, std::string_view content);

  void set_timeout_ms(int ms);
  void set_max_bytes(size_t bytes);

 private:
  SymbolIndexer();
  struct Process;
  std::unique_ptr<Process> process_;
  int timeout_ms_ = 10'000;
  size_t max_bytes_ = 1 << 20;
};

// Indexes many files with `workers` ctags processes. `Submit` from one thread (blocks while
// the workers are busy); `on_tags` runs on a worker thread, one call per submitted file, with
// the file's id, so results may arrive out of order.
class ParallelIndexer {
 public:
  using Callback = std::function<void(size_t id, absl::StatusOr<std::vector<Symbol>> tags)>;
  static absl::StatusOr<std::unique_ptr<ParallelIndexer>> Start(int workers, Callback on_tags,
                                                                std::string ctags = "ctags");
  ~ParallelIndexer();  // waits like Finish
  void Submit(size_t id, std::string path, std::string content);
  void Finish();  // waits until every submitted file has been answered

 private:
  ParallelIndexer();
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace slipway::code
