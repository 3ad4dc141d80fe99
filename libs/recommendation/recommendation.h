// The recommendation as Slipway receives it: JSON text parsed into v1::Recommendation, and
// the checks every recommendation must pass before a deployment starts.
//
// Pure functions, any thread. Every error is INVALID_ARGUMENT and names the field at fault
// both in its message ("source.chapterz: unknown field") and as a payload that FieldOf()
// reads back, so the orchestrator can record the field of a REJECTED deployment.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "slipway/v1/recommendation.pb.h"

namespace slipway::recommendation {

// Upper bounds for one recommendation. Sizes are in bytes of UTF-8.
struct Limits {
  size_t max_json_bytes = 16 << 20;
  size_t max_title_bytes = 200;
  size_t max_description_bytes = 64 << 10;
  size_t max_proposed_files = 200;
  size_t max_proposed_file_bytes = 1 << 20;
  size_t max_proposed_total_bytes = 4 << 20;
  size_t max_list_items = 100;          // hints lists, data_requirements
  size_t max_short_field_bytes = 1024;  // id, source fields, hints entries, names, target
  size_t max_json_depth = 32;           // nesting of objects and arrays in the JSON text
};

// JSON text -> Recommendation. Keys are the proto's snake_case names; lowerCamelCase is
// accepted too. `null` means "not set". "mode" is "dry-run" | "local-commit" | "full-pr" (or
// the enum names MODE_DRY_RUN, ...; "" and "unspecified" leave it unset). Unknown keys and
// wrong types are rejected naming the path ("hints.files[2]: expected a string, got number").
// Malformed JSON -> "recommendation: malformed JSON at byte N: ...". Only the structure is
// checked here; call Validate() for the content rules.
[[nodiscard]] absl::StatusOr<v1::Recommendation> ParseJson(std::string_view json,
                                                           const Limits& limits = {});

// Compact JSON with snake_case keys; fields at their default are left out. Round-trips
// through ParseJson for any recommendation whose mode is a known value. Invalid UTF-8 is
// replaced by U+FFFD.
std::string ToJson(const v1::Recommendation& rec);

// The content rules: title and description present and not blank, every size within
// `limits` (the message gives the size and the limit), valid UTF-8 without control
// characters in one-line fields, proposed_files paths accepted by changeset::ValidateRepoPath
// and unique, data_requirements names present and unique, a known mode, and a provider name
// of lowercase letters, digits, - and _ ("proposed" needs proposed_files; whether a name is
// configured is the implementer's to say).
[[nodiscard]] absl::Status Validate(const v1::Recommendation& rec, const Limits& limits = {});

// The field an INVALID_ARGUMENT from this library names: "description", "source.chapter",
// "proposed_files[2].path", "recommendation" for malformed JSON. "" for any other status.
std::string FieldOf(const absl::Status& status);

// INVALID_ARGUMENT "<field>: <message>" carrying `field` for FieldOf(). For callers that
// reject a recommendation field by rules of their own (the implementer's providers).
absl::Status InvalidFieldError(std::string_view field, std::string_view message);

// "dry-run", "local-commit", "full-pr"; "unspecified" for MODE_UNSPECIFIED and unknown values.
std::string ModeName(v1::Mode mode);

// Accepts ModeName()'s names (also with '_' for '-') and the enum names ("MODE_FULL_PR"),
// case-insensitively. The error names the accepted values.
[[nodiscard]] absl::StatusOr<v1::Mode> ParseMode(std::string_view text);

// `value` quoted for an error message: at most `max_bytes` (cut at a UTF-8 boundary, "…"
// appended when cut), control characters escaped.
std::string QuoteForMessage(std::string_view value, size_t max_bytes = 60);

}  // namespace slipway::recommendation
