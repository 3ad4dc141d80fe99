#include "services/implementer/llm_answer.h"

#include <fmt/format.h>
#include <git2.h>

#include <memory>
#include <nlohmann/json.hpp>

#include "libs/changeset/change_set.h"
#include "libs/core/status.h"

namespace slipway::implementer {
namespace {

using nlohmann::json;

template <typename T, void (*Free)(T*)>
struct GitFree {
  void operator()(T* p) const { Free(p); }
};
using DiffPtr = std::unique_ptr<git_diff, GitFree<git_diff, git_diff_free>>;
using IndexPtr = std::unique_ptr<git_index, GitFree<git_index, git_index_free>>;
using CommitPtr = std::unique_ptr<git_commit, GitFree<git_commit, git_commit_free>>;
using TreePtr = std::unique_ptr<git_tree, GitFree<git_tree, git_tree_free>>;
using BlobPtr = std::unique_ptr<git_blob, GitFree<git_blob, git_blob_free>>;

bool LooksLikeDiff(std::string_view text) {
  size_t start = text.find_first_not_of(" \t\r\n");
  if (start == std::string_view::npos) return false;
  text.remove_prefix(start);
  return text.starts_with("diff --git ") || text.starts_with("--- ");
}

// The text between the first Markdown fence and its closing fence, when there is one.
std::string_view FencedBlock(std::string_view text) {
  size_t open = text.find("```");
  if (open == std::string_view::npos) return {};
  size_t body = text.find('\n', open);
  if (body == std::string_view::npos) return {};
  size_t close = text.find("\n```", body);
  if (close == std::string_view::npos) return text.substr(body + 1);  // truncated fence
  return text.substr(body + 1, close - body);
}

std::string Excerpt(std::string_view s, size_t n = 80) {
  std::string out(s.substr(0, n));
  for (char& c : out)
    if (static_cast<unsigned char>(c) < 0x20) c = ' ';
  return s.size() > n ? out + "..." : out;
}

absl::StatusOr<ModelAnswer> FromJson(const json& j) {
  if (!j.is_object()) return absl::InvalidArgumentError("the answer must be one JSON object");
  ModelAnswer out;
  if (auto it = j.find("summary"); it != j.end() && !it->is_null()) {
    if (!it->is_string()) return absl::InvalidArgumentError("summary must be a string");
    out.summary = it->get<std::string>();
  }
  if (auto it = j.find("files"); it != j.end() && !it->is_null()) {
    if (!it->is_array())
      return absl::InvalidArgumentError("files must be an array of {\"path\", \"content\"}");
    for (size_t i = 0; i < it->size(); ++i) {
      const json& f = (*it)[i];
      if (!f.is_object())
        return absl::InvalidArgumentError(fmt::format("files[{}] must be an object", i));
      auto path = f.find("path");
      auto content = f.find("content");
      if (path == f.end() || !path->is_string())
        return absl::InvalidArgumentError(fmt::format("files[{}].path must be a string", i));
      if (content == f.end() || !content->is_string())
        return absl::InvalidArgumentError(
            fmt::format("files[{}].content must be a string (the whole file)", i));
      out.files.push_back({path->get<std::string>(), content->get<std::string>()});
    }
  }
  if (auto it = j.find("diff"); it != j.end() && !it->is_null()) {
    if (!it->is_string()) return absl::InvalidArgumentError("diff must be a string");
    out.diff = it->get<std::string>();
  }
  if (out.files.empty() && out.diff.empty())
    return absl::InvalidArgumentError("the answer has neither files nor a diff");
  return out;
}

absl::StatusOr<json> ParseJson(std::string_view text) {
  try {
    return json::parse(text.begin(), text.end());
  } catch (const json::parse_error& e) {
    return absl::InvalidArgumentError(
        fmt::format("the answer is not valid JSON (byte {}): {}", e.byte, e.what()));
  }
}

}  // namespace

absl::StatusOr<ModelAnswer> ParseModelAnswer(std::string_view text) {
  if (LooksLikeDiff(text)) return ModelAnswer{"", {}, std::string(text)};
  std::string_view candidate = text;
  if (std::string_view fenced = FencedBlock(text); !fenced.empty()) {
    if (LooksLikeDiff(fenced)) return ModelAnswer{"", {}, std::string(fenced)};
    candidate = fenced;
  }
  size_t open = candidate.find('{');
  if (open == std::string_view::npos)
    return absl::InvalidArgumentError(fmt::format(
        "the answer is neither a JSON object nor a unified diff: \"{}\"", Excerpt(text)));
  size_t close = candidate.rfind('}');
  if (close == std::string_view::npos || close < open)
    return absl::InvalidArgumentError(
        "the answer's JSON object is not closed (the answer may have been cut off)");
  SLIPWAY_ASSIGN_OR_RETURN(json j, ParseJson(candidate.substr(open, close - open + 1)));
  return FromJson(j);
}

absl::StatusOr<std::vector<AnswerFile>> ApplyUnifiedDiff(const repo::Repository& repo,
                                                         std::string_view commit,
                                                         std::string_view diff) {
  git_diff* raw_diff = nullptr;
  if (git_diff_from_buffer(&raw_diff, diff.data(), diff.size()) != 0)
    return absl::InvalidArgumentError(
        fmt::format("the diff does not parse: {}", repo::GitError("diff")));
  DiffPtr parsed(raw_diff);
  const size_t n = git_diff_num_deltas(parsed.get());
  if (n == 0) return absl::InvalidArgumentError("the diff changes no file");
  std::vector<std::string> paths;
  for (size_t i = 0; i < n; ++i) {
    const git_diff_delta* d = git_diff_get_delta(parsed.get(), i);
    std::string path = d->new_file.path ? d->new_file.path : "";
    std::string old_path = d->old_file.path ? d->old_file.path : "";
    if (d->status == GIT_DELTA_DELETED)
      return absl::InvalidArgumentError(
          fmt::format("the diff deletes {}: deleting files is not supported", old_path));
    if (d->status == GIT_DELTA_RENAMED || (d->status == GIT_DELTA_MODIFIED && old_path != path))
      return absl::InvalidArgumentError(
          fmt::format("the diff renames {} to {}: renames are not supported", old_path, path));
    if (absl::Status st = changeset::ValidateRepoPath(path); !st.ok())
      return absl::InvalidArgumentError(fmt::format("the diff's path: {}", st.message()));
    paths.push_back(path);
  }
  SLIPWAY_ASSIGN_OR_RETURN(std::string commit_id, repo.ResolveCommit(commit));
  git_oid oid;
  if (git_oid_fromstr(&oid, commit_id.c_str()) != 0)
    return absl::InternalError(fmt::format("bad commit id {}", commit_id));
  git_commit* raw_commit = nullptr;
  if (git_commit_lookup(&raw_commit, repo.raw(), &oid) != 0)
    return absl::NotFoundError(repo::GitError(fmt::format("commit {}", commit_id)));
  CommitPtr c(raw_commit);
  git_tree* raw_tree = nullptr;
  if (git_commit_tree(&raw_tree, c.get()) != 0)
    return absl::InternalError(repo::GitError("commit tree"));
  TreePtr tree(raw_tree);
  git_index* raw_index = nullptr;
  if (git_apply_to_tree(&raw_index, repo.raw(), tree.get(), parsed.get(), nullptr) != 0)
    return absl::InvalidArgumentError(
        fmt::format("the diff does not apply to the base commit: {}", repo::GitError("apply")));
  IndexPtr index(raw_index);
  std::vector<AnswerFile> out;
  for (const std::string& path : paths) {
    const git_index_entry* e = git_index_get_bypath(index.get(), path.c_str(), 0);
    if (e == nullptr)
      return absl::InvalidArgumentError(fmt::format("the diff leaves no file at {}", path));
    git_blob* raw_blob = nullptr;
    if (git_blob_lookup(&raw_blob, repo.raw(), &e->id) != 0)
      return absl::InternalError(repo::GitError(fmt::format("blob of {}", path)));
    BlobPtr blob(raw_blob);
    out.push_back({path, std::string(static_cast<const char*>(git_blob_rawcontent(blob.get())),
                                     static_cast<size_t>(git_blob_rawsize(blob.get())))});
  }
  return out;
}

}  // namespace slipway::implementer
