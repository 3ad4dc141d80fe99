// A minimal check for the ledger's test programs: prints the failed condition and its line,
// and counts failures; a test program returns Failures() != 0 from main().
#pragma once

#include <cstdio>

namespace ledger_test {

inline int& Failures() {
  static int failures = 0;
  return failures;
}

inline void Check(bool ok, const char* what, const char* file, int line) {
  if (ok) return;
  std::fprintf(stderr, "%s:%d: check failed: %s\n", file, line, what);
  ++Failures();
}

}  // namespace ledger_test

#define CHECK(condition) ::ledger_test::Check((condition), #condition, __FILE__, __LINE__)
