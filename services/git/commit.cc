#include "services/git/commit.h"

#include <fmt/format.h>
#include <git2.h>

#include <chrono>
#include <optional>
#include <thread>

#include "libs/changeset/change_set.h"
#include "libs/core/status.h"
#include "libs/repo/file_lock.h"
#include "libs/repo/repository.h"
#include "services/git/message.h"

namespace slipway::gitsvc {
namespace {

// Attempts at creating the ref while other writers hold its lock or race us.
constexpr int kRefAttempts = 50;
constexpr size_t kMaxDeploymentIdBytes = 128;

template <typename T, void (*Free)(T*)>
class GitPtr {
 public:
  GitPtr() = default;
  GitPtr(const GitPtr&) = delete;
  GitPtr& operator=(const GitPtr&) = delete;
  ~GitPtr() {
    if (p_) Free(p_);
  }
  T** out() { return &p_; }
  T* get() const { return p_; }

 private:
  T* p_ = nullptr;
};

using CommitPtr = GitPtr<git_commit, git_commit_free>;
using TreePtr = GitPtr<git_tree, git_tree_free>;
using IndexPtr = GitPtr<git_index, git_index_free>;
using RefPtr = GitPtr<git_reference, git_reference_free>;
using ObjectPtr = GitPtr<git_object, git_object_free>;
using SignaturePtr = GitPtr<git_signature, git_signature_free>;

absl::Status Internal(std::string_view what) {
  return Retryable(absl::InternalError(repo::GitError(what)));
}

absl::Status ValidateDeploymentId(const std::string& id) {
  if (id.empty()) return absl::InvalidArgumentError("deployment_id is empty");
  if (id.size() > kMaxDeploymentIdBytes)
    return absl::InvalidArgumentError(
        fmt::format("deployment_id is {} bytes, limit {}", id.size(), kMaxDeploymentIdBytes));
  for (unsigned char c : id)
    if (!(std::isalnum(c) && c < 0x80) && c != '-' && c != '_' && c != '.')
      return absl::InvalidArgumentError(
          "deployment_id may hold only ASCII letters, digits, '-', '_' and '.'");
  return absl::OkStatus();
}

absl::StatusOr<git_oid> ParseCommitId(const std::string& id) {
  git_oid oid;
  bool hex = id.size() == GIT_OID_HEXSZ;
  for (char c : id) hex = hex && std::isxdigit(static_cast<unsigned char>(c));
  if (!hex || git_oid_fromstr(&oid, id.c_str()) != 0)
    return absl::InvalidArgumentError(
        fmt::format("base_commit '{}' is not a 40-hex commit id", id.substr(0, 80)));
  return oid;
}

std::string OidHex(const git_oid& oid) {
  char buf[GIT_OID_HEXSZ + 1];
  git_oid_tostr(buf, sizeof(buf), &oid);
  return buf;
}

// Name or email usable in a signature: one line, no angle brackets.
std::string SignaturePart(const std::string& s, const char* fallback) {
  std::string out;
  for (char c : s)
    if (c != '<' && c != '>' && static_cast<unsigned char>(c) >= 0x20) out += c;
  size_t b = out.find_first_not_of(' ');
  if (b == std::string::npos) return fallback;
  out = out.substr(b, out.find_last_not_of(' ') - b + 1);
  return out;
}

struct BranchTip {
  std::string commit;
  bool ours = false;
};

// The branch's tip and whether it is a commit of `deployment_id`; nullopt when the branch
// does not exist.
absl::StatusOr<std::optional<BranchTip>> LookupBranch(git_repository* repo,
                                                      const std::string& refname,
                                                      const std::string& deployment_id) {
  RefPtr ref;
  int rc = git_reference_lookup(ref.out(), repo, refname.c_str());
  if (rc == GIT_ENOTFOUND) return std::nullopt;
  if (rc != 0) return Internal(fmt::format("read {}", refname));
  ObjectPtr target;
  if (git_reference_peel(target.out(), ref.get(), GIT_OBJECT_COMMIT) != 0)
    return BranchTip{};  // not a commit (or dangling): certainly not ours
  BranchTip tip;
  tip.commit = OidHex(*git_object_id(target.get()));
  const char* message = git_commit_message(reinterpret_cast<git_commit*>(target.get()));
  tip.ours = message != nullptr && HasDeploymentTrailer(message, deployment_id);
  return tip;
}

absl::Status Foreign(const std::string& branch, const BranchTip& tip,
                     const std::string& deployment_id) {
  return absl::FailedPreconditionError(
      fmt::format("branch '{}' already exists at {} and its tip is not a commit of deployment {}",
                  branch, tip.commit.empty() ? "a non-commit object" : tip.commit, deployment_id));
}

// Refuses a path that would replace a folder of the tree by a file or a file by a folder:
// the in-memory index would silently drop the other side.
absl::Status CheckNoFileFolderCollision(git_index* index, const std::string& path) {
  size_t pos = 0;
  if (git_index_find_prefix(&pos, index, (path + "/").c_str()) == 0)
    return absl::InvalidArgumentError(
        fmt::format("change-set path '{}' is a folder in the base commit", path));
  for (size_t slash = path.find('/'); slash != std::string::npos;
       slash = path.find('/', slash + 1)) {
    std::string parent = path.substr(0, slash);
    if (git_index_get_bypath(index, parent.c_str(), 0) != nullptr)
      return absl::InvalidArgumentError(
          fmt::format("change-set path '{}' needs folder '{}', which is a file in the base commit",
                      path, parent));
  }
  return absl::OkStatus();
}

// Writes base tree + change set as a tree object; nothing but new objects is written.
absl::StatusOr<git_oid> BuildTree(git_repository* repo, git_commit* base,
                                  const v1::ChangeSet& change_set) {
  TreePtr base_tree;
  if (git_commit_tree(base_tree.out(), base) != 0) return Internal("read the base tree");
  IndexPtr index;
  if (git_index_new(index.out()) != 0) return Internal("create an in-memory index");
  if (git_index_read_tree(index.get(), base_tree.get()) != 0) return Internal("read the base tree");
  for (const auto& file : change_set.files()) {
    SLIPWAY_RETURN_IF_ERROR(CheckNoFileFolderCollision(index.get(), file.path()));
    git_oid blob;
    if (git_blob_create_from_buffer(&blob, repo, file.content().data(), file.content().size()) != 0)
      return Internal(fmt::format("write the blob of {}", file.path()));
    uint32_t mode = GIT_FILEMODE_BLOB;
    if (const git_index_entry* existing = git_index_get_bypath(index.get(), file.path().c_str(), 0);
        existing != nullptr && existing->mode == GIT_FILEMODE_BLOB_EXECUTABLE)
      mode = GIT_FILEMODE_BLOB_EXECUTABLE;
    git_index_entry entry{};
    entry.mode = mode;
    entry.id = blob;
    entry.path = file.path().c_str();
    entry.file_size = static_cast<uint32_t>(std::min<size_t>(file.content().size(), UINT32_MAX));
    if (git_index_add(index.get(), &entry) != 0)
      return absl::InvalidArgumentError(repo::GitError(fmt::format("add {}", file.path())));
  }
  git_oid tree;
  if (git_index_write_tree_to(&tree, index.get(), repo) != 0) return Internal("write the tree");
  return tree;
}

absl::StatusOr<git_oid> CreateCommit(git_repository* repo, const CommitRequest& request,
                                     const git_oid& base_oid) {
  CommitPtr base;
  if (git_commit_lookup(base.out(), repo, &base_oid) != 0)
    return absl::NotFoundError(repo::GitError(
        fmt::format("base commit {} in {}", request.base_commit, request.repository.string())));
  SLIPWAY_ASSIGN_OR_RETURN(git_oid tree_oid, BuildTree(repo, base.get(), request.change_set));
  TreePtr tree;
  if (git_tree_lookup(tree.out(), repo, &tree_oid) != 0) return Internal("read the new tree");
  SignaturePtr author;
  if (git_signature_now(author.out(), SignaturePart(request.author_name, "Slipway").c_str(),
                        SignaturePart(request.author_email, "slipway@localhost").c_str()) != 0)
    return absl::InvalidArgumentError(repo::GitError("author signature"));
  const std::string message = CommitMessage(request);
  const git_commit* parents[] = {base.get()};
  git_oid commit;
  // update_ref = nullptr: the branch is created afterwards, compare-and-swap style.
  if (git_commit_create(&commit, repo, nullptr, author.get(), author.get(), nullptr,
                        message.c_str(), tree.get(), 1, parents) != 0)
    return Internal("write the commit");
  return commit;
}

}  // namespace

absl::StatusOr<v1::GitOutcome> CommitChangeSet(const CommitRequest& request) {
  SLIPWAY_RETURN_IF_ERROR(ValidateDeploymentId(request.deployment_id));
  SLIPWAY_ASSIGN_OR_RETURN(git_oid base_oid, ParseCommitId(request.base_commit));
  SLIPWAY_RETURN_IF_ERROR(changeset::Validate(request.change_set));
  if (request.change_set.files_size() == 0)
    return absl::InvalidArgumentError("the change set has no files: nothing to commit");
  SLIPWAY_ASSIGN_OR_RETURN(repo::Repository repository, repo::Repository::Open(request.repository));
  git_repository* repo = repository.raw();

  v1::GitOutcome outcome;
  outcome.set_branch(
      BranchName(request.branch_prefix, request.recommendation.title(), request.deployment_id));
  const std::string refname = "refs/heads/" + outcome.branch();
  const std::string log = fmt::format("slipway: deployment {}", request.deployment_id);
  // libgit2 checks that a loose ref is free before it takes the ref's lock, so two writers
  // may both "create" it. Slipway's writers of one repository take turns on a lock file in
  // its git folder (threads and processes alike); the loop below still copes with others.
  SLIPWAY_ASSIGN_OR_RETURN(
      repo::FileLock lock,
      repo::FileLock::Acquire(std::filesystem::path(git_repository_path(repo)) / "slipway.lock"));
  std::optional<git_oid> commit;
  for (int attempt = 0; attempt < kRefAttempts; ++attempt) {
    SLIPWAY_ASSIGN_OR_RETURN(auto tip, LookupBranch(repo, refname, request.deployment_id));
    if (tip.has_value()) {
      if (!tip->ours) return Foreign(outcome.branch(), *tip, request.deployment_id);
      outcome.set_commit(tip->commit);
      outcome.set_created(false);
      return outcome;
    }
    if (!commit.has_value()) {
      SLIPWAY_ASSIGN_OR_RETURN(commit, CreateCommit(repo, request, base_oid));
    }
    RefPtr ref;
    int rc =
        git_reference_create(ref.out(), repo, refname.c_str(), &*commit, /*force=*/0, log.c_str());
    if (rc == 0) {
      outcome.set_commit(OidHex(*commit));
      outcome.set_created(true);
      return outcome;
    }
    if (rc != GIT_EEXISTS && rc != GIT_ELOCKED)
      return absl::FailedPreconditionError(
          repo::GitError(fmt::format("create branch '{}'", outcome.branch())));
    // Another writer got there first or holds the lock: look again.
    std::this_thread::sleep_for(std::chrono::milliseconds(5 + 5 * attempt));
  }
  return absl::AbortedError(fmt::format("branch '{}' kept changing; gave up after {} attempts",
                                        outcome.branch(), kRefAttempts));
}

absl::StatusOr<std::string> DeploymentTip(const repo::Repository& repository,
                                          const std::string& branch,
                                          const std::string& deployment_id) {
  SLIPWAY_ASSIGN_OR_RETURN(auto tip,
                           LookupBranch(repository.raw(), "refs/heads/" + branch, deployment_id));
  return tip.has_value() && tip->ours ? tip->commit : std::string();
}

absl::Status DeleteBranch(const std::filesystem::path& repository, const std::string& branch,
                          const std::string& deployment_id) {
  SLIPWAY_RETURN_IF_ERROR(ValidateDeploymentId(deployment_id));
  if (branch.empty()) return absl::InvalidArgumentError("branch is empty");
  const std::string refname = branch.starts_with("refs/heads/") ? branch : "refs/heads/" + branch;
  int valid = 0;
  if (git_reference_name_is_valid(&valid, refname.c_str()) != 0 || !valid)
    return absl::InvalidArgumentError(fmt::format("'{}' is not a valid branch name", branch));
  SLIPWAY_ASSIGN_OR_RETURN(repo::Repository opened, repo::Repository::Open(repository));
  git_repository* repo = opened.raw();

  SLIPWAY_ASSIGN_OR_RETURN(auto tip, LookupBranch(repo, refname, deployment_id));
  if (!tip.has_value()) return absl::OkStatus();
  if (!tip->ours)
    return absl::FailedPreconditionError(
        fmt::format("refusing to delete branch '{}': its tip {} is not a commit of deployment {}",
                    branch, tip->commit, deployment_id));
  RefPtr ref;
  if (git_reference_lookup(ref.out(), repo, refname.c_str()) != 0)
    return absl::OkStatus();  // deleted meanwhile
  ObjectPtr now_at;
  if (git_reference_peel(now_at.out(), ref.get(), GIT_OBJECT_COMMIT) != 0 ||
      OidHex(*git_object_id(now_at.get())) != tip->commit)
    return absl::AbortedError(fmt::format("branch '{}' moved while being deleted", branch));
  if (git_branch_is_head(ref.get()) == 1)
    return absl::FailedPreconditionError(
        fmt::format("refusing to delete branch '{}': it is checked out", branch));
  // The deletion compares the ref with the value just read, so a concurrent move fails it.
  if (git_reference_delete(ref.get()) != 0)
    return absl::AbortedError(repo::GitError(fmt::format("delete branch '{}'", branch)));
  return absl::OkStatus();
}

}  // namespace slipway::gitsvc
