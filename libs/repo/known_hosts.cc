#include "libs/repo/known_hosts.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <cctype>
#include <vector>

#include "absl/strings/escaping.h"

namespace slipway::repo {
namespace {

// Pieces of `text` between `separators`; empty pieces kept unless `skip_empty`.
std::vector<std::string_view> Split(std::string_view text, std::string_view separators,
                                    bool skip_empty) {
  std::vector<std::string_view> out;
  size_t start = 0;
  for (size_t i = 0; i <= text.size(); ++i) {
    if (i < text.size() && separators.find(text[i]) == std::string_view::npos) continue;
    if (!skip_empty || i > start) out.push_back(text.substr(start, i - start));
    start = i + 1;
  }
  return out;
}

std::string Lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool Base64(std::string_view text, std::string* out) {
  return absl::Base64Unescape(absl::string_view(text.data(), text.size()), out);
}

// Whether one entry of a line's host list names `name` (already lower-case).
bool EntryNames(std::string_view entry, const std::string& name) {
  if (entry.starts_with("|1|")) {
    std::vector<std::string_view> parts = Split(entry.substr(3), "|", false);
    if (parts.size() != 2) return false;
    std::string salt, hash;
    if (!Base64(parts[0], &salt) || !Base64(parts[1], &hash)) return false;
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int mac_len = 0;
    if (HMAC(EVP_sha1(), salt.data(), static_cast<int>(salt.size()),
             reinterpret_cast<const unsigned char*>(name.data()), name.size(), mac,
             &mac_len) == nullptr)
      return false;
    return hash.size() == mac_len &&
           std::equal(hash.begin(), hash.end(), mac,
                      [](char a, unsigned char b) { return static_cast<unsigned char>(a) == b; });
  }
  return Lower(entry) == name;
}

}  // namespace

std::string KnownHostName(std::string_view host, int port) {
  std::string h = Lower(host);
  if (port == 22 || port <= 0) return h;
  return "[" + h + "]:" + std::to_string(port);
}

HostKeyMatch MatchKnownHost(std::string_view known_hosts, std::string_view host, int port,
                            std::string_view key_blob) {
  const std::string name = KnownHostName(host, port);
  bool listed = false;
  for (std::string_view line : Split(known_hosts, "\n", true)) {
    std::vector<std::string_view> fields = Split(line, " \t\r", true);
    if (fields.empty() || fields[0].starts_with("#")) continue;
    bool revoked = false;
    if (fields[0].starts_with("@")) {
      if (fields[0] == "@revoked")
        revoked = true;
      else
        continue;  // @cert-authority: certificates are not checked here
      fields.erase(fields.begin());
    }
    if (fields.size() < 3) continue;
    bool names = revoked && fields[0] == "*";  // "@revoked * <key>": revoked for every host
    for (std::string_view entry : Split(fields[0], ",", true))
      names = names || EntryNames(entry, name);
    if (!names) continue;
    std::string blob;
    const bool same = Base64(fields[2], &blob) && blob == key_blob;
    if (revoked) {
      if (same) return HostKeyMatch::kRevoked;
      continue;
    }
    if (same) return HostKeyMatch::kKnown;
    listed = true;
  }
  return listed ? HostKeyMatch::kMismatch : HostKeyMatch::kUnknownHost;
}

}  // namespace slipway::repo
