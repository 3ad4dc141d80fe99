#include "libs/repo/remote.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <git2.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <mutex>
#include <optional>
#include <utility>
#include <vector>

#include "libs/core/digest.h"
#include "libs/core/status.h"
#include "libs/core/text.h"
#include "libs/repo/file_lock.h"
#include "libs/repo/known_hosts.h"

namespace slipway::repo {
namespace {

namespace fs = std::filesystem;

// User name that GitHub expects with an installation token; Gitea accepts any.
constexpr char kTokenUser[] = "x-access-token";
// Side-band text kept for error messages (hook output can be long).
constexpr size_t kMaxRemoteOutput = 4096;
constexpr char kHeadsPrefix[] = "refs/heads/";

void EnsureInit() {
  // git_libgit2_init is reference counted; this keeps one reference for the process, as
  // repository.cc does.
  static std::once_flag once;
  std::call_once(once, [] { git_libgit2_init(); });
}

template <auto Free>
struct GitDeleter {
  template <typename T>
  void operator()(T* p) const {
    if (p != nullptr) Free(p);
  }
};
using RemoteHandle = std::unique_ptr<git_remote, GitDeleter<git_remote_free>>;
using RepoHandle = std::unique_ptr<git_repository, GitDeleter<git_repository_free>>;

std::string OidHex(const git_oid& oid) {
  char buf[GIT_OID_HEXSZ + 1];
  git_oid_tostr(buf, sizeof(buf), &oid);
  return buf;
}

// [begin, end) of the user info in `url` (without the '@'), if it has any.
std::optional<std::pair<size_t, size_t>> UserInfoRange(std::string_view url) {
  if (size_t scheme = url.find("://"); scheme != std::string_view::npos) {
    size_t start = scheme + 3;
    size_t end = url.find_first_of("/?#", start);
    std::string_view authority =
        url.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    size_t at = authority.rfind('@');
    if (at == std::string_view::npos) return std::nullopt;
    return std::make_pair(start, start + at);
  }
  // scp-like user@host:path: a ':' before any '/'.
  size_t colon = url.find(':');
  size_t slash = url.find('/');
  if (colon == std::string_view::npos || (slash != std::string_view::npos && slash < colon))
    return std::nullopt;
  size_t at = url.substr(0, colon).rfind('@');
  if (at == std::string_view::npos) return std::nullopt;
  return std::make_pair(size_t{0}, at);
}

// The password part of the URL's user info ("" when none).
std::string UrlPassword(std::string_view url) {
  auto range = UserInfoRange(url);
  if (!range) return "";
  std::string_view info = url.substr(range->first, range->second - range->first);
  size_t colon = info.find(':');
  return colon == std::string_view::npos ? "" : std::string(info.substr(colon + 1));
}

bool IsScpLike(std::string_view url) {
  if (url.find("://") != std::string_view::npos) return false;
  size_t colon = url.find(':');
  size_t slash = url.find('/');
  return colon != std::string_view::npos && colon > 0 &&
         (slash == std::string_view::npos || colon < slash);
}

// The folder a file:// URL or a plain path names; nullopt for network URLs.
std::optional<fs::path> LocalPath(std::string_view url) {
  if (url.starts_with("file://")) return fs::path(std::string(url.substr(7)));
  if (url.find("://") != std::string_view::npos || IsScpLike(url)) return std::nullopt;
  return fs::path(std::string(url));
}

absl::Status CheckUrl(std::string_view url) {
  if (url.empty()) return absl::InvalidArgumentError("remote URL is empty");
  for (unsigned char c : url)
    if (c < 0x20 || c == 0x7f)
      return absl::InvalidArgumentError(
          fmt::format("remote URL {} contains a control character", RedactUrl(url)));
  if (auto path = LocalPath(url)) {
    std::error_code ec;
    if (!fs::exists(*path, ec))
      return absl::NotFoundError(
          fmt::format("remote repository {} does not exist", RedactUrl(url)));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> BranchRef(std::string_view branch) {
  std::string refname = std::string(kHeadsPrefix) + std::string(branch);
  int valid = 0;
  if (branch.empty() || branch.starts_with("refs/") ||
      git_reference_name_is_valid(&valid, refname.c_str()) != 0 || !valid)
    return absl::InvalidArgumentError(
        fmt::format("'{}' is not a valid branch name", std::string(branch).substr(0, 200)));
  return refname;
}

// State shared with libgit2's callbacks for one operation.
struct CallContext {
  CallContext(std::string_view raw_url, const Credentials& c)
      : url(raw_url), shown_url(RedactUrl(raw_url)), creds(&c) {
    if (!c.token.empty()) secrets.push_back(c.token);
    if (std::string password = UrlPassword(raw_url); !password.empty())
      secrets.push_back(std::move(password));
  }

  // `text` with the raw URL replaced by the redacted one and every secret masked.
  std::string Scrub(std::string text) const {
    if (url != shown_url) text = ReplaceAll(std::move(text), url, shown_url);
    for (const std::string& secret : secrets) text = ReplaceAll(std::move(text), secret, "***");
    return text;
  }

  std::string RemoteOutput() const {
    std::string out;
    for (char c : remote_output) out += c == '\r' ? '\n' : c;
    size_t end = out.find_last_not_of(" \n\t");
    out.erase(end == std::string::npos ? 0 : end + 1);
    size_t begin = out.find_first_not_of(" \n\t");
    return Scrub(begin == std::string::npos ? "" : out.substr(begin));
  }

  std::string url;
  std::string shown_url;
  const Credentials* creds;
  std::vector<std::string> secrets;
  // Credential kinds already handed out; asking again for one means it was refused.
  bool offered_token = false;
  bool offered_key_file = false;
  bool offered_agent = false;
  bool offered_username = false;
  bool offered_secret = false;
  bool auth_failed = false;
  std::string remote_output;
  std::vector<std::pair<std::string, std::string>> rejected;  // ref, remote's reason
  std::string host_key_problem;  // why the ssh server's host key was refused
};

int GiveUp(CallContext* ctx) {
  ctx->auth_failed = true;
  git_error_set_str(GIT_ERROR_NET, "authentication failed");
  return GIT_EUSER;
}

int AcquireCredential(git_credential** out, const char* /*url*/, const char* username_from_url,
                      unsigned int allowed, void* payload) {
  auto* ctx = static_cast<CallContext*>(payload);
  const Credentials& c = *ctx->creds;
  const std::string user =
      username_from_url != nullptr && *username_from_url != '\0' ? username_from_url : "";
  if ((allowed & GIT_CREDENTIAL_USERPASS_PLAINTEXT) != 0 && !c.token.empty()) {
    if (ctx->offered_token) return GiveUp(ctx);
    ctx->offered_token = ctx->offered_secret = true;
    return git_credential_userpass_plaintext_new(out, user.empty() ? kTokenUser : user.c_str(),
                                                 c.token.c_str());
  }
  const std::string ssh_user = user.empty() ? "git" : user;
  if ((allowed & GIT_CREDENTIAL_SSH_KEY) != 0) {
    if (!c.ssh_private_key.empty()) {
      if (ctx->offered_key_file) return GiveUp(ctx);
      ctx->offered_key_file = ctx->offered_secret = true;
      return git_credential_ssh_key_new(
          out, ssh_user.c_str(), c.ssh_public_key.empty() ? nullptr : c.ssh_public_key.c_str(),
          c.ssh_private_key.c_str(), c.ssh_passphrase.empty() ? nullptr : c.ssh_passphrase.c_str());
    }
    if (c.ssh_agent) {
      if (ctx->offered_agent) return GiveUp(ctx);
      ctx->offered_agent = ctx->offered_secret = true;
      return git_credential_ssh_key_from_agent(out, ssh_user.c_str());
    }
  }
  if ((allowed & GIT_CREDENTIAL_USERNAME) != 0) {
    if (ctx->offered_username) return GiveUp(ctx);
    ctx->offered_username = true;
    return git_credential_username_new(out, ssh_user.c_str());
  }
  return GiveUp(ctx);
}

int OnSideband(const char* str, int len, void* payload) {
  auto* ctx = static_cast<CallContext*>(payload);
  if (len > 0 && ctx->remote_output.size() < kMaxRemoteOutput)
    ctx->remote_output.append(
        str, std::min(static_cast<size_t>(len), kMaxRemoteOutput - ctx->remote_output.size()));
  return 0;
}

int OnPushUpdate(const char* refname, const char* status, void* payload) {
  auto* ctx = static_cast<CallContext*>(payload);
  if (status != nullptr) ctx->rejected.emplace_back(refname != nullptr ? refname : "", status);
  return 0;
}

// The port of an ssh:// URL; 22 for scp-like URLs and when none is given.
int SshPort(std::string_view url) {
  if (!url.starts_with("ssh://")) return 22;
  std::string_view authority = url.substr(6);
  authority = authority.substr(0, authority.find('/'));
  if (size_t at = authority.rfind('@'); at != std::string_view::npos)
    authority.remove_prefix(at + 1);
  if (authority.starts_with('[')) {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) return 22;
    authority.remove_prefix(close + 1);
  }
  size_t colon = authority.rfind(':');
  if (colon == std::string_view::npos) return 22;
  int port = 0;
  std::string_view digits = authority.substr(colon + 1);
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
  return ec == std::errc() && end == digits.data() + digits.size() && port > 0 ? port : 22;
}

// TLS certificates are left to libgit2 (the system's trust store). An ssh host key must be
// listed for the host in the configured known_hosts file, as with StrictHostKeyChecking=yes.
int CheckHostKey(git_cert* cert, int /*valid*/, const char* host, void* payload) {
  auto* ctx = static_cast<CallContext*>(payload);
  if (cert->cert_type != GIT_CERT_HOSTKEY_LIBSSH2) return GIT_PASSTHROUGH;
  const auto* hostkey = reinterpret_cast<const git_cert_hostkey*>(cert);
  const int port = SshPort(ctx->url);
  const std::string name = KnownHostName(host ? host : "", port);
  fs::path file = ctx->creds->known_hosts;
  if (file.empty()) {
    const char* home = std::getenv("HOME");
    file = fs::path(home ? home : "/") / ".ssh" / "known_hosts";
  }
  const std::string add = fmt::format("add its key with: ssh-keyscan -p {} {} >> {}", port,
                                      host ? host : "", file.string());
  auto refuse = [&](std::string why) {
    ctx->host_key_problem = std::move(why);
    git_error_set_str(GIT_ERROR_SSH, ctx->host_key_problem.c_str());
    return GIT_ECERTIFICATE;
  };
  if ((hostkey->type & GIT_CERT_SSH_RAW) == 0 || hostkey->hostkey == nullptr)
    return refuse(fmt::format("the ssh host key of {} could not be read to check it", name));
  std::ifstream in(file, std::ios::binary);
  if (!in)
    return refuse(fmt::format("host key of {} not checked: no known_hosts file at {}; {}", name,
                              file.string(), add));
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  switch (MatchKnownHost(text, host ? host : "", port,
                         std::string_view(hostkey->hostkey, hostkey->hostkey_len))) {
    case HostKeyMatch::kKnown:
      return 0;
    case HostKeyMatch::kUnknownHost:
      return refuse(fmt::format("{} is not in {}; {}", name, file.string(), add));
    case HostKeyMatch::kMismatch:
      return refuse(fmt::format(
          "the host key of {} differs from the one in {}: it may be an impostor, or the key was "
          "changed (then replace the line)",
          name, file.string()));
    case HostKeyMatch::kRevoked:
      return refuse(fmt::format("the host key of {} is revoked in {}", name, file.string()));
  }
  return refuse("unexpected host key verdict");
}

git_remote_callbacks Callbacks(CallContext& ctx) {
  git_remote_callbacks cb = GIT_REMOTE_CALLBACKS_INIT;
  cb.credentials = AcquireCredential;
  cb.certificate_check = CheckHostKey;
  cb.sideband_progress = OnSideband;
  cb.push_update_reference = OnPushUpdate;
  cb.payload = &ctx;
  return cb;
}

git_proxy_options ProxyOptions() {
  git_proxy_options proxy = GIT_PROXY_OPTIONS_INIT;
  proxy.type = GIT_PROXY_AUTO;  // http.proxy / *_proxy environment, like git itself
  return proxy;
}

// Maps the result of a libgit2 network call to the error vocabulary of remote.h.
absl::Status RemoteError(int rc, const CallContext& ctx, std::string_view what) {
  if (!ctx.host_key_problem.empty())
    return absl::FailedPreconditionError(fmt::format("{}: {}", what, ctx.host_key_problem));
  if (ctx.auth_failed || rc == GIT_EAUTH) {
    return absl::UnauthenticatedError(
        ctx.offered_secret
            ? fmt::format("{}: {} refused the configured credentials", what, ctx.shown_url)
            : fmt::format("{}: {} requires authentication and no usable credentials are "
                          "configured for it",
                          what, ctx.shown_url));
  }
  std::string detail = ctx.Scrub(GitError(what));
  switch (rc) {
    case GIT_ECERTIFICATE:
      return absl::FailedPreconditionError(fmt::format(
          "{} (the certificate or host key of {} was not accepted)", detail, ctx.shown_url));
    case GIT_ENONFASTFORWARD:
      return absl::FailedPreconditionError(fmt::format("{} (non-fast-forward)", detail));
    case GIT_EBAREREPO:
      return absl::FailedPreconditionError(detail);
    default:
      return Retryable(absl::UnavailableError(detail));
  }
}

absl::Status Rejected(const CallContext& ctx, std::string_view what) {
  std::string reasons;
  for (const auto& [ref, reason] : ctx.rejected)
    reasons += fmt::format("{}{}: {}", reasons.empty() ? "" : "; ", ref, reason);
  std::string output = ctx.RemoteOutput();
  return absl::FailedPreconditionError(
      fmt::format("{} rejected by {}: {}{}{}", what, ctx.shown_url, ctx.Scrub(reasons),
                  output.empty() ? "" : "; remote said: ", output));
}

absl::StatusOr<RemoteHandle> AnonymousRemote(git_repository* repo, const CallContext& ctx) {
  git_remote* raw = nullptr;
  int rc = repo != nullptr ? git_remote_create_anonymous(&raw, repo, ctx.url.c_str())
                           : git_remote_create_detached(&raw, ctx.url.c_str());
  if (rc != 0)
    return absl::InvalidArgumentError(
        ctx.Scrub(GitError(fmt::format("remote URL {}", ctx.shown_url))));
  return RemoteHandle(raw);
}

absl::Status Connect(git_remote* remote, git_direction direction, CallContext& ctx) {
  git_remote_callbacks cb = Callbacks(ctx);
  git_proxy_options proxy = ProxyOptions();
  int rc = git_remote_connect(remote, direction, &cb, &proxy, nullptr);
  if (rc != 0) return RemoteError(rc, ctx, fmt::format("connect to {}", ctx.shown_url));
  return absl::OkStatus();
}

// The id `refname` has in the remote's advertisement; nullopt when it is not advertised.
absl::StatusOr<std::optional<git_oid>> AdvertisedId(git_remote* remote, const std::string& refname,
                                                    const CallContext& ctx) {
  const git_remote_head** heads = nullptr;
  size_t count = 0;
  if (int rc = git_remote_ls(&heads, &count, remote); rc != 0)
    return RemoteError(rc, ctx, fmt::format("list the references of {}", ctx.shown_url));
  for (size_t i = 0; i < count; ++i)
    if (refname == heads[i]->name) return std::optional<git_oid>(heads[i]->oid);
  return std::optional<git_oid>();
}

// Sends `refspec` over the connected `remote`, then disconnects.
absl::Status Upload(git_remote* remote, std::string refspec, CallContext& ctx,
                    std::string_view what) {
  char* strings[] = {refspec.data()};
  git_strarray specs{strings, 1};
  git_push_options opts = GIT_PUSH_OPTIONS_INIT;
  opts.callbacks = Callbacks(ctx);
  opts.proxy_opts = ProxyOptions();
  int rc = git_remote_upload(remote, &specs, &opts);
  git_remote_disconnect(remote);
  if (!ctx.rejected.empty()) return Rejected(ctx, what);
  if (rc != 0) return RemoteError(rc, ctx, what);
  return absl::OkStatus();
}

// Fetches every branch and tag of ctx.url into the bare `repo`, pruning branches the remote
// no longer has, and points HEAD at the remote's default branch.
absl::Status FetchMirror(git_repository* repo, CallContext& ctx) {
  SLIPWAY_ASSIGN_OR_RETURN(RemoteHandle remote, AnonymousRemote(repo, ctx));
  std::string spec = "+refs/heads/*:refs/heads/*";
  char* strings[] = {spec.data()};
  git_strarray specs{strings, 1};
  git_fetch_options opts = GIT_FETCH_OPTIONS_INIT;
  opts.callbacks = Callbacks(ctx);
  opts.proxy_opts = ProxyOptions();
  opts.prune = GIT_FETCH_PRUNE;
  opts.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_ALL;
  opts.update_fetchhead = 0;
  if (int rc = git_remote_fetch(remote.get(), &specs, &opts, "slipway: mirror fetch"); rc != 0)
    return RemoteError(rc, ctx, fmt::format("fetch {}", ctx.shown_url));
  git_buf head = GIT_BUF_INIT;
  if (git_remote_default_branch(&head, remote.get()) == 0 && head.ptr != nullptr) {
    // A remote without a default branch (empty) keeps the mirror's own HEAD.
    if (git_repository_set_head(repo, head.ptr) != 0) git_error_clear();
  } else {
    git_error_clear();
  }
  git_buf_dispose(&head);
  return absl::OkStatus();
}

absl::Status InternalFs(std::string_view what, const fs::path& path, const std::error_code& ec) {
  return Retryable(
      absl::InternalError(fmt::format("{} {}: {}", what, path.string(), ec.message())));
}

}  // namespace

std::string RedactUrl(std::string_view url) {
  auto range = UserInfoRange(url);
  if (!range) return std::string(url);
  return std::string(url.substr(0, range->first)) + std::string(url.substr(range->second + 1));
}

fs::path MirrorPath(std::string_view url, const fs::path& cache_root) {
  // "sha256:" + 64 hex; the first 16 hex name the mirror.
  return cache_root / (Sha256Digest(RedactUrl(url)).substr(7, 16) + ".git");
}

absl::Status PushBranch(const Repository& repo, std::string_view remote_url,
                        std::string_view branch, const Credentials& creds, bool force) {
  EnsureInit();
  SLIPWAY_ASSIGN_OR_RETURN(std::string refname, BranchRef(branch));
  SLIPWAY_RETURN_IF_ERROR(CheckUrl(remote_url));
  git_oid local;
  if (int rc = git_reference_name_to_id(&local, repo.raw(), refname.c_str()); rc != 0) {
    if (rc == GIT_ENOTFOUND)
      return absl::NotFoundError(
          fmt::format("branch '{}' does not exist in {}", branch, repo.path().string()));
    return Retryable(absl::InternalError(GitError(fmt::format("read {}", refname))));
  }
  CallContext ctx(remote_url, creds);
  const std::string what = fmt::format("push of branch '{}' to {}", branch, ctx.shown_url);
  SLIPWAY_ASSIGN_OR_RETURN(RemoteHandle remote, AnonymousRemote(repo.raw(), ctx));
  SLIPWAY_RETURN_IF_ERROR(Connect(remote.get(), GIT_DIRECTION_PUSH, ctx));
  SLIPWAY_ASSIGN_OR_RETURN(std::optional<git_oid> remote_tip,
                           AdvertisedId(remote.get(), refname, ctx));
  if (remote_tip && git_oid_equal(&*remote_tip, &local)) {
    git_remote_disconnect(remote.get());
    return absl::OkStatus();  // already up to date
  }
  if (remote_tip && !force) {
    // A remote tip we do not have cannot be an ancestor of ours: descendant_of fails.
    int ff = git_graph_descendant_of(repo.raw(), &local, &*remote_tip);
    if (ff != 1) {
      git_error_clear();
      git_remote_disconnect(remote.get());
      return absl::FailedPreconditionError(fmt::format(
          "{} rejected: non-fast-forward (the remote branch is at {}, which is not an ancestor "
          "of the local tip {}); push with force to overwrite it",
          what, OidHex(*remote_tip), OidHex(local)));
    }
  }
  return Upload(remote.get(), (force ? "+" : "") + refname + ":" + refname, ctx, what);
}

absl::Status DeleteRemoteBranch(const Repository& repo, std::string_view remote_url,
                                std::string_view branch, const Credentials& creds) {
  EnsureInit();
  SLIPWAY_ASSIGN_OR_RETURN(std::string refname, BranchRef(branch));
  SLIPWAY_RETURN_IF_ERROR(CheckUrl(remote_url));
  CallContext ctx(remote_url, creds);
  const std::string what = fmt::format("deletion of branch '{}' at {}", branch, ctx.shown_url);
  SLIPWAY_ASSIGN_OR_RETURN(RemoteHandle remote, AnonymousRemote(repo.raw(), ctx));
  SLIPWAY_RETURN_IF_ERROR(Connect(remote.get(), GIT_DIRECTION_PUSH, ctx));
  SLIPWAY_ASSIGN_OR_RETURN(std::optional<git_oid> remote_tip,
                           AdvertisedId(remote.get(), refname, ctx));
  if (!remote_tip) {
    git_remote_disconnect(remote.get());
    return absl::OkStatus();  // nothing to delete
  }
  return Upload(remote.get(), ":" + refname, ctx, what);
}

absl::StatusOr<std::string> RemoteBranchTip(std::string_view remote_url, std::string_view branch,
                                            const Credentials& creds) {
  EnsureInit();
  SLIPWAY_ASSIGN_OR_RETURN(std::string refname, BranchRef(branch));
  SLIPWAY_RETURN_IF_ERROR(CheckUrl(remote_url));
  CallContext ctx(remote_url, creds);
  SLIPWAY_ASSIGN_OR_RETURN(RemoteHandle remote, AnonymousRemote(nullptr, ctx));
  SLIPWAY_RETURN_IF_ERROR(Connect(remote.get(), GIT_DIRECTION_FETCH, ctx));
  SLIPWAY_ASSIGN_OR_RETURN(std::optional<git_oid> tip, AdvertisedId(remote.get(), refname, ctx));
  git_remote_disconnect(remote.get());
  if (!tip) return absl::NotFoundError(fmt::format("{} has no branch '{}'", ctx.shown_url, branch));
  return OidHex(*tip);
}

absl::StatusOr<fs::path> SyncMirror(std::string_view url, const fs::path& cache_root,
                                    const Credentials& creds, [[maybe_unused]] int depth) {
  EnsureInit();
  SLIPWAY_RETURN_IF_ERROR(CheckUrl(url));
  CallContext ctx(url, creds);
  const fs::path mirror = MirrorPath(url, cache_root);
  const std::string key = mirror.stem().string();
  std::error_code ec;
  fs::create_directories(cache_root, ec);
  if (ec) return InternalFs("create mirror cache", cache_root, ec);
  SLIPWAY_ASSIGN_OR_RETURN(FileLock lock, FileLock::Acquire(cache_root / (key + ".lock")));

  if (auto existing = Repository::Open(mirror); existing.ok()) {
    SLIPWAY_RETURN_IF_ERROR(FetchMirror(existing->raw(), ctx));
    return mirror;
  }
  // First sync, or a mirror that is no longer a repository: build it beside and rename.
  const fs::path partial = cache_root / (key + ".git.partial");
  fs::remove_all(partial, ec);
  if (ec) return InternalFs("remove", partial, ec);
  fs::remove_all(mirror, ec);
  if (ec) return InternalFs("remove", mirror, ec);
  git_repository* raw = nullptr;
  if (git_repository_init(&raw, partial.c_str(), /*is_bare=*/1) != 0)
    return Retryable(
        absl::InternalError(GitError(fmt::format("create mirror {}", partial.string()))));
  RepoHandle created(raw);
  if (absl::Status st = FetchMirror(created.get(), ctx); !st.ok()) {
    created.reset();
    fs::remove_all(partial, ec);
    return st;
  }
  created.reset();
  fs::rename(partial, mirror, ec);
  if (ec) return InternalFs("move mirror into place at", mirror, ec);
  return mirror;
}

}  // namespace slipway::repo
