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

}  // namespace slipway::gitsvc
