// Rust libtest's human-readable output (what `cargo test` prints) turned into a
// v1::TestReport's counts and failures. libtest writes JSON or JUnit only on nightly, so the
// text is what every toolchain can give:
//
//   test a::b ... ok | FAILED | ignored[, reason]
//   ---- a::b stdout ----        (the failing test's captured output, up to the next header)
//   test result: FAILED. 1 passed; 1 failed; 0 ignored; 0 measured; 0 filtered out; ...
//   error[E0308]: ... / error: could not compile `crate` ...   (the build failed)
//
// Pure function, any thread. INVALID_ARGUMENT when the text holds none of those lines.
// Otherwise best effort: counts come from the "test result:" lines added up (each test
// binary prints one); without any, from the individual lines, with a note.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "slipway/v1/artifacts.pb.h"

namespace slipway::tester {

struct LibtestRun {
  // total/passed/failed/errors/skipped ("ignored"), seconds and failures: failed tests with
  // their captured output as message; a crate that did not compile is an "error" case named
  // "build of <crate>" with the compiler's errors.
  v1::TestReport report;
  std::vector<std::string> notes;
};

absl::StatusOr<LibtestRun> ParseLibtestOutput(std::string_view output);

}  // namespace slipway::tester
