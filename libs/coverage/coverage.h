// Line coverage: the reports of each ecosystem's coverage tool read into one model, the lines a
// change set adds or modifies, and the changed-lines coverage the tester's gate judges.
//
// Pure functions over text: no I/O, any thread. Parse errors are INVALID_ARGUMENT naming the
// format and, where known, the line or element at fault; a report over `kMaxReportBytes` is
// RESOURCE_EXHAUSTED naming the size and the limit.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "slipway/v1/artifacts.pb.h"

namespace slipway::coverage {

inline constexpr size_t kMaxReportBytes = 256u << 20;
// A Go cover profile whose (distinct) blocks span more lines than this in total is
// RESOURCE_EXHAUSTED: every spanned line becomes an entry of LineHits.
inline constexpr uint64_t kMaxGoProfileLines = 8u << 20;

// Per repository-relative file (forward slashes, no "./"): executable line -> hit count.
struct LineHits {
  std::map<std::string, std::map<uint32_t, uint64_t>> files;
};

// Cobertura XML, as coverage.py (`coverage xml`, pytest-cov `--cov-report=xml`) and gcovr
// (`--cobertura`/`--xml`) write it. File names are made repository-relative with the report's
// <sources><source> entries and `repo_root` (the absolute path of the worktree the tests ran
// in): a filename that is absolute, or relative to a source, and falls inside repo_root is
// kept relative to it; files outside the repository are dropped.
//  * A relative <source> (gcovr writes its root relative to where it ran, e.g. "." or "src") is
//    taken relative to repo_root; with several sources the first that places the file inside
//    the repository wins; with none, filenames are relative to repo_root.
//  * A file listed with no <line> is kept with no executable lines; a line listed more than
//    once keeps its highest hit count.
//  * repo_root that is not absolute is INVALID_ARGUMENT, as is a <class> without filename or a
//    <line> whose number or hits is not an unsigned integer (naming the XML line).
absl::StatusOr<LineHits> ParseCobertura(std::string_view xml, std::string_view repo_root);

// A Go cover profile (`go test -coverprofile`, any mode: set, count, atomic). Lines
// "<import path>/<file>.go:l1.c1,l2.c2 statements count"; the file is made
// repository-relative by stripping `module_path` (go.mod's module) and the "/". Every line of
// a block from l1 to l2 counts as executable; a line in several blocks is covered when any is
// (its hit count is the highest of theirs). Files outside module_path are dropped; an empty
// module_path keeps the profile's paths as they are. Repeated "mode:" lines (concatenated
// profiles) must agree. A bad line is INVALID_ARGUMENT quoting it with its line number.
absl::StatusOr<LineHits> ParseGoCoverProfile(std::string_view profile,
                                             std::string_view module_path);

// The 1-based line numbers of `after` that are added or modified relative to `before` (a line
// diff: lines of `after` not in the longest common subsequence of lines). `before` empty: every
// line of `after`. Bounded cost: files over 20000 lines compare by hashing, O(n log n) or
// better — a pathological input does not take the tester down.
// Lines compare without their terminator ("\n" or "\r\n"), so converting line endings or
// adding the final newline changes no line. Up to 20000 lines the result is exact (Myers'
// O(ND) diff in linear space, under a step budget); above that, or past the budget, lines
// unique to both sides anchor the diff and the gaps between anchors are diffed exactly where
// the budget allows, else counted as changed. Either way the lines left unchanged form a
// common subsequence, so at worst more lines count as changed than an exact diff would report.
std::set<uint32_t> ChangedLines(std::string_view before, std::string_view after);

struct ChangedFileLines {
  std::string path;
  std::set<uint32_t> lines;  // from ChangedLines
};

// Fills tool, report (as given), lines/lines_covered over the whole report, and, for each file
// in `changed` (callers pass the change set's non-test source files), a FileCoverage with the
// changed lines that are executable per `hits` and those covered (uncovered_changed lists at
// most 200). A changed file absent from the report counts all of its changed lines as not
// executable (0 of 0) — callers decide whether a source the tool never saw is a failure; it is
// listed with lines == 0 so they can.
v1::Coverage Summarize(const LineHits& hits, const std::vector<ChangedFileLines>& changed,
                       std::string_view tool, std::string_view report);

struct GateVerdict {
  bool passed = false;
  // One line: what was required, what was measured, which files fell short.
  std::string explanation;
};

// The tester's gates over a finished run. require_all_pass: the run passed (no failed or
// errored case, exit code 0, not timed out, at least one test). min_changed_coverage (0..1,
// 0 = off): changed_covered / changed_lines of `coverage` at least that; no coverage report
// when the gate is on fails with "no coverage report" unless `coverage_available` is false for
// the ecosystem, which passes with the explanation saying coverage was not measured; no
// executable changed lines passes ("no executable changed lines"). Example explanations:
//   "passed: 12 of 12 tests passed; changed-lines coverage 91% (21/23) >= 80%"
//   "failed: changed-lines coverage 50% (4/8) < 80%: pkg/discount.py lines 12, 14-16"
// Percentages round down. A passed verdict joins every gate's part with "; ", a failed one only
// the failing parts (tests first). Files short of coverage are listed in `coverage.files` order,
// at most 10 files and 20 line ranges each, then "…and N more lines" / "…and N more files".
// The tests part reads e.g. "2 of 12 tests failed (test_a, test_b)", "no tests ran (exit code
// 5)", "the test run timed out after 300s", "the test command exited with code 2".
GateVerdict EvaluateGates(const v1::TestReport& report, const v1::TestGates& gates,
                          bool coverage_available);

}  // namespace slipway::coverage
