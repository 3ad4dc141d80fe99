// What a deployment's pull request says: its title, its Markdown body (from a template with
// {{placeholders}}) and the per-file line counts the body lists.
//
// Title and body are pure functions of their facts, any thread, and never fail: every input
// (unicode, quotes, shell characters, newlines, control characters, invalid UTF-8, megabytes)
// yields valid UTF-8 within GitHub's limits. User-controlled text (the recommendation, paths,
// test names, summaries, findings) cannot break the body's Markdown structure, inject HTML or
// mention anyone:
//   * `<`, `>` and `&` are written as entities everywhere;
//   * one-line text (table cells, list items, scalars) has newlines and control characters
//     turned into spaces and Markdown punctuation (\ ` * _ [ ] | ~ #) escaped with a backslash;
//   * the description keeps its Markdown but every line is quoted ("> ");
//   * "@name" gets a ZERO WIDTH JOINER (U+200D) after the '@', so it renders as "@name" but
//     pings nobody;
//   * ids (deployment, trace, recommendation, branch, commit) keep only [A-Za-z0-9._:/+=-],
//     any other character becomes '?', so they are safe inside backticks and HTML comments.
//
// DiffStats reads a repository (errors below); a Repository is owned by one thread at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"
#include "libs/repo/repository.h"
#include "slipway/v1/artifacts.pb.h"
#include "slipway/v1/recommendation.pb.h"
#include "slipway/v1/steps.pb.h"

namespace slipway::gitsvc {

struct FileStat {
  std::string path;      // the path after the change (before it, for a deleted file)
  std::string old_path;  // "renamed" / "copied": the path before; "" otherwise
  std::string status;    // "added", "modified", "deleted", "renamed", "copied", "typechange"
  uint32_t added = 0;    // lines
  uint32_t removed = 0;
  bool binary = false;  // no line counts
};

// Line counts of every file that differs between the trees of two commits (40-hex ids), with
// renames detected (git's default similarity), sorted by path. Errors as libs/repo:
// INVALID_ARGUMENT for a malformed id, NOT_FOUND for an unknown commit, INTERNAL when libgit2
// cannot compute the diff.
absl::StatusOr<std::vector<FileStat>> DiffStats(const repo::Repository& repo,
                                                std::string_view base_commit,
                                                std::string_view commit);

// Everything the pull request describes.
struct PullRequestFacts {
  std::string deployment_id;
  std::string trace_id;
  std::string trace_url;  // link to the trace, already expanded; "" = none
  std::string branch, commit, base_branch, base_commit;
  v1::Recommendation recommendation;
  std::string provider;  // change set's provider name
  std::vector<FileStat> files;
  v1::Analysis analysis;
  v1::TestReport tests;
  std::optional<v1::SafetyVerdict> safety;  // safety (post); nullopt when unknown
  std::vector<v1::StepSummary> steps;       // earlier steps, in order
};

inline constexpr size_t kMaxPullRequestBodyBytes = 65536;  // GitHub's limit
inline constexpr size_t kMaxPullRequestTitleBytes = 256;

// A pull request body template: Markdown text with {{name}} placeholders (spaces inside the
// braces allowed: "{{ files }}"). "\{{" writes a literal "{{"; a backslash anywhere else is
// kept as it is. A placeholder sits on one line.
//
// Placeholders: title, description, source, recommendation_id, deployment_id, trace_id,
// trace_link, branch, commit, base, provider, files, integration_points, tests, safety, steps,
// summary (see README.md for what each renders).
//
// A template line that holds placeholders which all render empty is left out with its newline
// (and so is a blank line that would then follow another blank line), so "Source: {{source}}"
// disappears when the recommendation has no source.
//
// Immutable after Parse; Render may be called from any thread.
class PullRequestTemplate {
 public:
  // INVALID_ARGUMENT naming the placeholder, its line and column, and the known names for an
  // unknown name; naming the line and column of an unclosed "{{"; naming the size and the limit
  // for a template longer than kMaxPullRequestBodyBytes. Invalid UTF-8 is replaced.
  static absl::StatusOr<PullRequestTemplate> Parse(std::string_view text);

  // Summary line, description, source, "### Changes", "### Integration points", "### Tests",
  // "### Safety", "### Steps", then the footer "Deployment `<id>` · trace <trace_link>" and
  // the marker `<!-- slipway-deployment: <id> -->` that recognises the pull request.
  static const PullRequestTemplate& Default();

  // Never fails. At most kMaxPullRequestBodyBytes, valid UTF-8. A longer body is cut at a line
  // (or UTF-8) boundary and ends with a one-line note saying how many bytes were left out,
  // followed by any "<!-- slipway-... -->" marker line that the cut removed.
  std::string Render(const PullRequestFacts& facts) const;

  // The names the template knows, in the order above.
  static const std::vector<std::string_view>& Placeholders();

 private:
  struct Placeholder {
    size_t index;  // into Placeholders()
  };
  using Segment = std::variant<std::string, Placeholder>;
  struct Line {
    std::vector<Segment> segments;
    bool has_placeholder = false;
    bool newline = false;  // ends with '\n'
  };
  explicit PullRequestTemplate(std::vector<Line> lines) : lines_(std::move(lines)) {}
  std::vector<Line> lines_;
};

// The recommendation's title on one line (control characters and newlines to spaces, runs of
// spaces collapsed, invalid UTF-8 replaced), `prefix` prepended when non-empty (e.g.
// "[slipway] "), at most kMaxPullRequestTitleBytes cut at a UTF-8 boundary and ended with "…".
// "Slipway change" when the title is empty. Plain text, as GitHub treats titles.
std::string PullRequestTitle(const v1::Recommendation& recommendation, std::string_view prefix);

}  // namespace slipway::gitsvc
