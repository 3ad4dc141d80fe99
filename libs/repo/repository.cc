#include "libs/repo/repository.h"

#include <fmt/format.h>
#include <git2.h>

#include <fstream>
#include <mutex>

namespace slipway::repo {
namespace {

void EnsureInit() {
  static std::once_flag once;
  std::call_once(once, [] { git_libgit2_init(); });
}

template <typename T, void (*Free)(T*)>
struct GitPtr {
  T* p = nullptr;
  ~GitPtr() {
    if (p) Free(p);
  }
  T** out() { return &p; }
  T* get() const { return p; }
};

using ObjectPtr = GitPtr<git_object, git_object_free>;
using CommitPtr = GitPtr<git_commit, git_commit_free>;
using TreePtr = GitPtr<git_tree, git_tree_free>;
using BlobPtr = GitPtr<git_blob, git_blob_free>;

absl::Status LoadTree(git_repository* repo, std::string_view commit, TreePtr& tree) {
  git_oid oid;
  std::string c(commit);
  if (git_oid_fromstr(&oid, c.c_str()) != 0)
    return absl::InvalidArgumentError(fmt::format("{}{}", "not a commit id: ", commit));
  CommitPtr cm;
  if (git_commit_lookup(cm.out(), repo, &oid) != 0)
    return absl::NotFoundError(GitError(fmt::format("{}{}", "commit ", commit)));
  if (git_commit_tree(tree.out(), cm.get()) != 0)
    return absl::InternalError(GitError("commit tree"));
  return absl::OkStatus();
}

}  // namespace

std::string GitError(std::string_view what) {
  const git_error* e = git_error_last();
  return fmt::format("{}{}{}", what, ": ", e && e->message ? e->message : "unknown libgit2 error");
}

Repository::Repository(git_repository* repo, std::filesystem::path path)
    : repo_(repo), path_(std::move(path)) {}
Repository::Repository(Repository&& o) noexcept : repo_(o.repo_), path_(std::move(o.path_)) {
  o.repo_ = nullptr;
}
Repository& Repository::operator=(Repository&& o) noexcept {
  if (this != &o) {
    if (repo_) git_repository_free(repo_);
    repo_ = o.repo_;
    path_ = std::move(o.path_);
    o.repo_ = nullptr;
  }
  return *this;
}
Repository::~Repository() {
  if (repo_) git_repository_free(repo_);
}

absl::StatusOr<Repository> Repository::Open(const std::filesystem::path& path) {
  EnsureInit();
  git_repository* r = nullptr;
  if (git_repository_open_ext(&r, path.c_str(), GIT_REPOSITORY_OPEN_NO_SEARCH, nullptr) != 0)
    return absl::InvalidArgumentError(
        GitError(fmt::format("{}{}", "not a git repository: ", path.string())));
  return Repository(r, path);
}

absl::StatusOr<std::string> Repository::ResolveCommit(std::string_view rev) const {
  if (git_repository_head_unborn(repo_) == 1 && (rev == "HEAD" || rev.empty()))
    return absl::FailedPreconditionError(
        fmt::format("{}{}{}", "repository ", path_.string(), " has no commits"));
  ObjectPtr obj;
  std::string spec = rev.empty() ? "HEAD" : std::string(rev);
  if (git_revparse_single(obj.out(), repo_, (spec + "^{commit}").c_str()) != 0)
    return absl::NotFoundError(GitError(fmt::format("{}{}{}", "revision '", spec, "'")));
  char buf[GIT_OID_HEXSZ + 1];
  git_oid_tostr(buf, sizeof buf, git_object_id(obj.get()));
  return std::string(buf);
}

absl::StatusOr<std::string> Repository::TreeId(std::string_view commit) const {
  TreePtr tree;
  if (auto st = LoadTree(repo_, commit, tree); !st.ok()) return st;
  char buf[GIT_OID_HEXSZ + 1];
  git_oid_tostr(buf, sizeof buf, git_tree_id(tree.get()));
  return std::string(buf);
}

absl::StatusOr<std::vector<TreeFile>> Repository::ListFiles(std::string_view commit) const {
  TreePtr tree;
  if (auto st = LoadTree(repo_, commit, tree); !st.ok()) return st;
  struct Walk {
    git_repository* repo;
    std::vector<TreeFile> files;
  } walk{repo_, {}};
  auto cb = [](const char* root, const git_tree_entry* entry, void* payload) -> int {
    auto* w = static_cast<Walk*>(payload);
    if (git_tree_entry_type(entry) != GIT_OBJECT_BLOB) return 0;
    TreeFile f;
    f.path = std::string(root) + git_tree_entry_name(entry);
    git_filemode_t mode = git_tree_entry_filemode(entry);
    f.executable = mode == GIT_FILEMODE_BLOB_EXECUTABLE;
    f.symlink = mode == GIT_FILEMODE_LINK;
    char buf[GIT_OID_HEXSZ + 1];
    git_oid_tostr(buf, sizeof buf, git_tree_entry_id(entry));
    f.blob_id = buf;
    // Reading the object header is cheap: it does not inflate the blob.
    size_t size = 0;
    git_object_t type;
    git_odb* odb = nullptr;
    if (git_repository_odb(&odb, w->repo) == 0) {
      if (git_odb_read_header(&size, &type, odb, git_tree_entry_id(entry)) == 0) f.size = size;
      git_odb_free(odb);
    }
    w->files.push_back(std::move(f));
    return 0;
  };
  if (git_tree_walk(tree.get(), GIT_TREEWALK_PRE, cb, &walk) != 0)
    return absl::InternalError(GitError("tree walk"));
  return std::move(walk.files);
}

absl::StatusOr<std::string> Repository::ReadBlob(std::string_view blob_id) const {
  git_oid oid;
  std::string id(blob_id);
  if (git_oid_fromstr(&oid, id.c_str()) != 0)
    return absl::InvalidArgumentError(fmt::format("{}{}", "not a blob id: ", blob_id));
  BlobPtr blob;
  if (git_blob_lookup(blob.out(), repo_, &oid) != 0)
    return absl::NotFoundError(GitError(fmt::format("{}{}", "blob ", blob_id)));
  const char* data = static_cast<const char*>(git_blob_rawcontent(blob.get()));
  return std::string(data, static_cast<size_t>(git_blob_rawsize(blob.get())));
}

absl::StatusOr<std::string> Repository::ReadFile(std::string_view commit,
                                                 std::string_view path) const {
  TreePtr tree;
  if (auto st = LoadTree(repo_, commit, tree); !st.ok()) return st;
  git_tree_entry* entry = nullptr;
  std::string p(path);
  if (git_tree_entry_bypath(&entry, tree.get(), p.c_str()) != 0)
    return absl::NotFoundError(fmt::format("{}{}{}{}", "no file ", path, " in commit ", commit));
  char buf[GIT_OID_HEXSZ + 1];
  git_oid_tostr(buf, sizeof buf, git_tree_entry_id(entry));
  git_tree_entry_free(entry);
  return ReadBlob(buf);
}

absl::Status Repository::Checkout(std::string_view commit, const std::filesystem::path& dir) const {
  TreePtr tree;
  if (auto st = LoadTree(repo_, commit, tree); !st.ok()) return st;
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec)
    return absl::InternalError(
        fmt::format("{}{}{}{}", "create ", dir.string(), ": ", ec.message()));
  git_checkout_options opts = GIT_CHECKOUT_OPTIONS_INIT;
  opts.checkout_strategy = GIT_CHECKOUT_FORCE | GIT_CHECKOUT_DONT_UPDATE_INDEX;
  std::string target = dir.string();
  opts.target_directory = target.c_str();
  opts.disable_filters = 1;
  if (git_checkout_tree(repo_, reinterpret_cast<git_object*>(tree.get()), &opts) != 0)
    return absl::InternalError(GitError(fmt::format("{}{}", "checkout into ", target)));
  return absl::OkStatus();
}

}  // namespace slipway::repo
