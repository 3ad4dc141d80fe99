#include "libs/forge/forge.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

namespace slipway::forge {
namespace {

bool ValidComponent(std::string_view s) {
  if (s.empty() || s == "." || s == "..") return false;
  return std::none_of(s.begin(), s.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u <= 0x20 || u == 0x7f || c == '/' || c == '\\' || c == ':' || c == '?' || c == '#' ||
           c == '@';
  });
}

absl::Status BadUrl(std::string_view url, std::string_view why) {
  return absl::InvalidArgumentError(
      fmt::format("'{}' is not a repository URL: {}", url.substr(0, 200), why));
}

// "owner/name(.git)" at the end of `path` (leading components are a hosting prefix).
absl::StatusOr<RepoRef> FromPath(std::string_view url, std::string_view path) {
  while (path.ends_with('/')) path.remove_suffix(1);
  if (path.ends_with(".git")) path.remove_suffix(4);
  const size_t slash = path.rfind('/');
  if (slash == path.npos) return BadUrl(url, "it has no owner/name path");
  std::string_view name = path.substr(slash + 1);
  std::string_view rest = path.substr(0, slash);
  const size_t owner_start = rest.rfind('/');
  std::string_view owner = owner_start == rest.npos ? rest : rest.substr(owner_start + 1);
  if (!ValidComponent(owner) || !ValidComponent(name)) {
    return BadUrl(url, "the owner or the name is empty or malformed");
  }
  return RepoRef{std::string(owner), std::string(name)};
}

}  // namespace

absl::StatusOr<RepoRef> ParseRepoUrl(std::string_view url) {
  if (url.find_first_of("?#") != url.npos) return BadUrl(url, "it has a query or fragment");
  if (const size_t scheme_end = url.find("://"); scheme_end != url.npos) {
    std::string scheme(url.substr(0, scheme_end));
    for (char& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (scheme != "https" && scheme != "http" && scheme != "ssh" && scheme != "git") {
      return BadUrl(url, "the scheme is not https, http, ssh or git");
    }
    const std::string_view rest = url.substr(scheme_end + 3);
    const size_t path_start = rest.find('/');
    if (path_start == 0 || path_start == rest.npos) return BadUrl(url, "it has no host or path");
    // The path must hold exactly owner/name after any prefix; a bare host is not a repository.
    return FromPath(url, rest.substr(path_start + 1));
  }
  // scp-like syntax: [user@]host:owner/name(.git)
  const size_t colon = url.find(':');
  if (colon == url.npos || colon == 0) return BadUrl(url, "it is neither a URL nor user@host:path");
  const std::string_view host = url.substr(0, colon);
  if (host.find('/') != host.npos) return BadUrl(url, "it is neither a URL nor user@host:path");
  std::string_view path = url.substr(colon + 1);
  if (path.starts_with('/')) path.remove_prefix(1);
  if (std::count(path.begin(), path.end(), '/') != 1 + (path.ends_with('/') ? 1 : 0)) {
    return BadUrl(url, "the path is not owner/name");
  }
  return FromPath(url, path);
}

std::string_view ChecksStateName(ChecksState state) {
  switch (state) {
    case ChecksState::kPending:
      return "pending";
    case ChecksState::kSuccess:
      return "success";
    case ChecksState::kFailure:
      return "failure";
  }
  return "unknown";
}

}  // namespace slipway::forge
