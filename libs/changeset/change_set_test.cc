#include "libs/changeset/change_set.h"

#include <fstream>
#include <sstream>

#include "gtest/gtest.h"

namespace slipway::changeset {
namespace {
namespace fs = std::filesystem;

TEST(ValidateRepoPath, AcceptsOrdinaryPaths) {
  EXPECT_TRUE(ValidateRepoPath("pkg/module.py").ok());
  EXPECT_TRUE(ValidateRepoPath("a/.hidden/b.txt").ok());
}

TEST(ValidateRepoPath, RejectsHostilePaths) {
  for (const char* p : {"", "/etc/passwd", "../../etc/passwd", "a/../../b", "a//b", "./a",
                        ".git/config", "a/.git/hooks/x", "a\\b", "a/b/"}) {
    auto st = ValidateRepoPath(p);
    EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument) << p;
  }
  EXPECT_FALSE(ValidateRepoPath(std::string("a\0b", 3)).ok());
  EXPECT_FALSE(ValidateRepoPath(std::string(2000, 'a')).ok());
}

TEST(ApplyToDirectory, WritesFilesAndRefusesEscapes) {
  fs::path root = fs::temp_directory_path() / ("slipway-cs-" + std::to_string(::getpid()));
  fs::remove_all(root);
  fs::create_directories(root);
  v1::ChangeSet cs;
  auto* f = cs.add_files();
  f->set_path("pkg/new.py");
  f->set_content("x = 1\n");
  ASSERT_TRUE(ApplyToDirectory(cs, root).ok());
  std::ifstream in(root / "pkg" / "new.py");
  std::stringstream ss;
  ss << in.rdbuf();
  EXPECT_EQ(ss.str(), "x = 1\n");

  // A symlinked folder pointing outside must not be written through.
  fs::path outside = root.string() + "-outside";
  fs::create_directories(outside);
  fs::create_directory_symlink(outside, root / "link");
  v1::ChangeSet evil;
  auto* e = evil.add_files();
  e->set_path("link/owned.txt");
  e->set_content("x");
  EXPECT_EQ(ApplyToDirectory(evil, root).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(fs::exists(outside / "owned.txt"));

  v1::ChangeSet dup;
  dup.add_files()->set_path("a.txt");
  dup.add_files()->set_path("a.txt");
  EXPECT_FALSE(Validate(dup).ok());
  fs::remove_all(root);
  fs::remove_all(outside);
}

}  // namespace
}  // namespace slipway::changeset
