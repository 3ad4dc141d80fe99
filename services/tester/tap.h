// TAP (Test Anything Protocol, versions 13 and 14) turned into a v1::TestReport's counts and
// failures, as `node --test --test-reporter=tap` writes it: test points ("ok 1 - name",
// "not ok 2 - name # SKIP reason"), subtests indented by four spaces and announced by
// "# Subtest: name", YAML diagnostics between "---" and "..." under a test point, "1..N" plans
// and "Bail out!".
//
// Pure function, any thread. INVALID_ARGUMENT when the text has no test point, plan or TAP
// version line. Otherwise best effort: a YAML block that does not parse becomes the message
// as written, a plan the test points do not match is a note.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "slipway/v1/artifacts.pb.h"

namespace slipway::tester {

struct TapRun {
  // A test point with subtests stands for them: it counts on its own only when it failed
  // while all its subtests passed (a failing hook). Failures carry the subtest path as
  // classname ("suite > group"), the diagnostics' error, expected/actual and location as
  // message, and duration_ms as seconds. "not ok ... # TODO" counts as skipped.
  v1::TestReport report;
  std::vector<std::string> notes;
};

absl::StatusOr<TapRun> ParseTap(std::string_view tap);

}  // namespace slipway::tester
