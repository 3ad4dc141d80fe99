// Names and words of the git step: the branch a deployment writes and its commit message.
//
// Pure functions, any thread, no errors: every input (unicode, quotes, shell characters,
// newlines, control characters, invalid UTF-8, megabytes) yields a valid ref name and a
// well-formed message.
#pragma once

#include <string>
#include <string_view>

#include "services/git/request.h"

namespace slipway::gitsvc {

inline constexpr std::string_view kDeploymentTrailer = "Slipway-Deployment";
inline constexpr std::string_view kRecommendationTrailer = "Slipway-Recommendation";
inline constexpr size_t kSubjectMaxBytes = 72;
inline constexpr size_t kBodyWidth = 72;

// "<prefix>/<slug>-<first 8 characters of the deployment id>", slug = Slugify(title, 40).
// The prefix is reduced to slug components ("" drops it); the result always satisfies
// git_reference_name_is_valid("refs/heads/" + name).
std::string BranchName(const std::string& prefix, const std::string& title,
                       const std::string& deployment_id);

// Subject: the title on one line, at most 72 bytes cut at a UTF-8 boundary. Body: the
// description wrapped at 72 columns, Source, Changes (file list), Tests (counts), Steps (the
// summary), then the trailers Slipway-Deployment and Slipway-Recommendation (when the
// recommendation has an id) as the last paragraph. Long sections are cut with a note.
std::string CommitMessage(const CommitRequest& request);

// True when `message` ends with the trailer "Slipway-Deployment: <deployment_id>".
bool HasDeploymentTrailer(const std::string& message, const std::string& deployment_id);

// Text helpers shared with the pull request body (pull_request.h).

// Valid UTF-8 with '\n' line ends only: CR and tabs become spaces (CRLF a newline), other
// control characters are dropped, bytes that are not well-formed UTF-8 become U+FFFD.
std::string CleanText(std::string_view s);

// CleanText on one line: newlines become spaces, runs of spaces collapse, ends trimmed.
std::string OneLine(std::string_view s);

// The source on one line, at most 1024 bytes: kind, "title", chapter X, by author, <uri>
// (the parts that are set). "" when nothing is set.
std::string SourceLine(const v1::Source& source);

}  // namespace slipway::gitsvc
