// `go test -json` event streams (test2json) turned into a v1::TestReport's counts and failures.
//
// The stream is the file the tester redirects go's stdout and stderr to, so it may hold lines
// that are not JSON: build errors ("# pkg", "file.go:3:1: ..."), "FAIL\tpkg [build failed]",
// "go: ..." messages. Both the Go 1.19 layout (build output as plain text) and the newer one
// (build-output / build-fail events, "FailedBuild") are read.
//
// Pure function, any thread. INVALID_ARGUMENT for a stream with neither a test event nor
// anything go printed (empty or blank). Otherwise best effort: lines that start with '{' but
// are not valid JSON are skipped and counted in a note.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "slipway/v1/artifacts.pb.h"

namespace slipway::tester {

struct GoTestRun {
  // total/passed/failed/errors/skipped, seconds (the packages' elapsed time added up) and
  // failures. A test with subtests counts once per subtest; the parent counts only when it
  // failed without a failing subtest. A test that started but never finished (a timeout
  // panic, a crash) is failed with "did not finish". A package that fails to build or fails
  // outside any test is an "error" case named after the package with go's output as message.
  v1::TestReport report;
  std::string output;              // the text go test prints without -json (the last 64 KiB)
  std::vector<std::string> notes;  // what could not be read
};

absl::StatusOr<GoTestRun> ParseGoTestJson(std::string_view stream);

}  // namespace slipway::tester
