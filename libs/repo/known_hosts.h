// OpenSSH known_hosts matching, for checking the host key an ssh server presents before
// anything is sent to it (libgit2 1.5 leaves that to the caller).
//
// Pure functions, any thread.
#pragma once

#include <string>
#include <string_view>

namespace slipway::repo {

enum class HostKeyMatch {
  kKnown,        // a line for the host lists this very key
  kUnknownHost,  // no line names the host
  kMismatch,     // the host is listed, with other keys only: possibly an impostor
  kRevoked,      // a @revoked line lists this key
};

// Looks `key_blob` (the raw public key, as in the base64 field of a known_hosts line) up for
// `host` on `port` in `known_hosts` (the file's text). Hosts are matched as OpenSSH writes
// them: "host" for port 22, "[host]:port" otherwise, in comma-separated lists, hashed
// ("|1|<base64 salt>|<base64 HMAC-SHA1>") or plain, case-insensitively; negated ("!host") and
// wildcard patterns are not supported and never match, except "@revoked * <key>", which
// revokes a key for every host. @cert-authority lines are ignored.
HostKeyMatch MatchKnownHost(std::string_view known_hosts, std::string_view host, int port,
                            std::string_view key_blob);

// "[host]:port", or "host" for port 22: the name a known_hosts line uses.
std::string KnownHostName(std::string_view host, int port);

}  // namespace slipway::repo
