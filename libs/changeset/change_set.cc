#include "libs/changeset/change_set.h"

#include <fmt/format.h>

#include <fstream>
#include <set>

namespace slipway::changeset {
namespace fs = std::filesystem;

absl::Status ValidateRepoPath(std::string_view path) {
  auto bad = [&](std::string_view why) {
    return absl::InvalidArgumentError(fmt::format("path '{}': {}", path.substr(0, 200), why));
  };
  if (path.empty()) return bad("empty");
  if (path.size() > 1024) return bad(fmt::format("{} bytes, limit 1024", path.size()));
  if (path.front() == '/') return bad("absolute paths are not allowed");
  for (unsigned char c : path) {
    if (c < 0x20 || c == 0x7f) return bad("control characters are not allowed");
    if (c == '\\') return bad("backslashes are not allowed");
  }
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    std::string_view part = path.substr(start, end - start);
    if (part.empty()) return bad("empty path component");
    if (part == "." || part == "..") return bad("escapes the repository ('.' or '..' component)");
    if (part == ".git") return bad("writes into the .git folder");
    start = end + 1;
  }
  return absl::OkStatus();
}

absl::Status Validate(const v1::ChangeSet& change_set) {
  std::set<std::string> seen;
  for (const auto& f : change_set.files()) {
    if (auto st = ValidateRepoPath(f.path()); !st.ok()) return st;
    if (!seen.insert(f.path()).second)
      return absl::InvalidArgumentError(fmt::format("path '{}': appears twice", f.path()));
  }
  return absl::OkStatus();
}

absl::Status ApplyToDirectory(const v1::ChangeSet& change_set, const fs::path& root) {
  if (auto st = Validate(change_set); !st.ok()) return st;
  std::error_code ec;
  const fs::path canonical_root = fs::weakly_canonical(root, ec);
  for (const auto& f : change_set.files()) {
    fs::path target = root / f.path();
    fs::create_directories(target.parent_path(), ec);
    if (ec)
      return absl::InternalError(fmt::format("create folder for {}: {}", f.path(), ec.message()));
    // A symlink in the worktree could point the write elsewhere: resolve and check.
    fs::path resolved = fs::weakly_canonical(target, ec);
    auto rel = resolved.lexically_relative(canonical_root);
    if (ec || rel.empty() || *rel.begin() == "..")
      return absl::InvalidArgumentError(
          fmt::format("path '{}': resolves outside the worktree", f.path()));
    fs::remove(target, ec);  // replace a symlink rather than write through it
    std::ofstream out(target, std::ios::binary | std::ios::trunc);
    out.write(f.content().data(), static_cast<std::streamsize>(f.content().size()));
    if (!out) return absl::InternalError(fmt::format("write {}: failed", f.path()));
  }
  return absl::OkStatus();
}

}  // namespace slipway::changeset
