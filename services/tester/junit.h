// JUnit XML reports (pytest --junitxml, ctest --output-junit, any generic
// <testsuites>/<testsuite> document) turned into a v1::TestReport's counts and failures.
//
// Pure function, any thread. INVALID_ARGUMENT for malformed XML (with the parser's message and
// byte offset) or a document whose root is neither <testsuites> nor <testsuite>.
#pragma once

#include <string_view>

#include "absl/status/statusor.h"
#include "slipway/v1/artifacts.pb.h"

namespace slipway::tester {

// At most this many failed or errored cases are listed; the counts stay exact.
inline constexpr int kMaxReportedFailures = 100;
// A case's message (attribute plus the element's text) is cut to this many bytes.
inline constexpr size_t kMaxFailureMessage = 4096;

// Fills total, passed, failed, errors, skipped, seconds and failures (status "failed" or
// "error", name, classname, message, seconds). Other fields are left empty.
absl::StatusOr<v1::TestReport> ParseJUnitXml(std::string_view xml);

}  // namespace slipway::tester
