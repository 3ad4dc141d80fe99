#include "libs/repo/known_hosts.h"

#include "absl/strings/escaping.h"
#include "gtest/gtest.h"

namespace slipway::repo {
namespace {

// Two ed25519 keys made with ssh-keygen; the hashed lines are `ssh-keygen -H` of the plain
// ones (forge.example.com, then [git.example.com]:2222).
constexpr char kKey1[] = "AAAAC3NzaC1lZDI1NTE5AAAAIBsTbbBYVyW8ZYyJlSTTNQj1+i6k5kd4zCg4Yd1EIqpD";
constexpr char kKey2[] = "AAAAC3NzaC1lZDI1NTE5AAAAICeiMQ5CymwsgHwPwqctKH7OaKmeQVi7sGgCXkT0ST3e";
constexpr char kHashed[] =
    "|1|IS7f/A/fSiBhzuvq3bisk07lMsI=|Es/7pd0z0Vm8JSVO1DxK7RueD4o= ssh-ed25519 "
    "AAAAC3NzaC1lZDI1NTE5AAAAIBsTbbBYVyW8ZYyJlSTTNQj1+i6k5kd4zCg4Yd1EIqpD\n"
    "|1|89m1xUgcIxD8neVx3D9yNviFmdk=|yQt1eNxyPkx0wqJnQAmv9i2sIFg= ssh-ed25519 "
    "AAAAC3NzaC1lZDI1NTE5AAAAIBsTbbBYVyW8ZYyJlSTTNQj1+i6k5kd4zCg4Yd1EIqpD\n";

std::string Blob(const char* base64) {
  std::string out;
  EXPECT_TRUE(absl::Base64Unescape(absl::string_view(base64), &out));
  return out;
}

TEST(KnownHosts, PlainLinesMatchHostPortAndKey) {
  const std::string text =
      std::string("# comment\n\nother.example.com,Forge.Example.com ssh-ed25519 ") + kKey1 +
      "\n[git.example.com]:2222 ssh-ed25519 " + kKey1 + "\n";
  EXPECT_EQ(MatchKnownHost(text, "forge.example.com", 22, Blob(kKey1)), HostKeyMatch::kKnown);
  EXPECT_EQ(MatchKnownHost(text, "git.example.com", 2222, Blob(kKey1)), HostKeyMatch::kKnown);
  // The same host on another port is another entry.
  EXPECT_EQ(MatchKnownHost(text, "git.example.com", 22, Blob(kKey1)), HostKeyMatch::kUnknownHost);
  EXPECT_EQ(MatchKnownHost(text, "forge.example.com", 22, Blob(kKey2)), HostKeyMatch::kMismatch);
  EXPECT_EQ(MatchKnownHost(text, "nobody.example.com", 22, Blob(kKey1)),
            HostKeyMatch::kUnknownHost);
  EXPECT_EQ(MatchKnownHost("", "forge.example.com", 22, Blob(kKey1)), HostKeyMatch::kUnknownHost);
}

TEST(KnownHosts, HashedLinesMatchAsSshKeygenWroteThem) {
  EXPECT_EQ(MatchKnownHost(kHashed, "forge.example.com", 22, Blob(kKey1)), HostKeyMatch::kKnown);
  EXPECT_EQ(MatchKnownHost(kHashed, "git.example.com", 2222, Blob(kKey1)), HostKeyMatch::kKnown);
  EXPECT_EQ(MatchKnownHost(kHashed, "forge.example.com", 22, Blob(kKey2)), HostKeyMatch::kMismatch);
  EXPECT_EQ(MatchKnownHost(kHashed, "forge.example.org", 22, Blob(kKey1)),
            HostKeyMatch::kUnknownHost);
}

TEST(KnownHosts, RevokedKeysAndMalformedLinesNeverPass) {
  const std::string text = std::string("@revoked * ssh-ed25519 ") + kKey2 +
                           "\n@cert-authority *.example.com ssh-ed25519 " + kKey1 +
                           "\nforge.example.com ssh-ed25519\nforge.example.com ssh-ed25519 %%%\n"
                           "forge.example.com ssh-ed25519 " +
                           kKey2 + "\n";
  EXPECT_EQ(MatchKnownHost(text, "forge.example.com", 22, Blob(kKey2)), HostKeyMatch::kRevoked);
  // A certificate authority line is not a host key; the broken lines name the host only.
  EXPECT_EQ(MatchKnownHost(text, "forge.example.com", 22, Blob(kKey1)), HostKeyMatch::kMismatch);
  EXPECT_EQ(MatchKnownHost("|1|bad|hash ssh-ed25519 " + std::string(kKey1), "forge.example.com", 22,
                           Blob(kKey1)),
            HostKeyMatch::kUnknownHost);
  EXPECT_EQ(KnownHostName("Git.Example.com", 2222), "[git.example.com]:2222");
  EXPECT_EQ(KnownHostName("git.example.com", 22), "git.example.com");
}

}  // namespace
}  // namespace slipway::repo
