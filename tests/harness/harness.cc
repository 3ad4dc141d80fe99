#include "tests/harness/harness.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace slipway::testing {
namespace fs = std::filesystem;

TempDir::TempDir(const std::string& prefix) {
  std::string templ = (fs::temp_directory_path() / (prefix + "-XXXXXX")).string();
  if (!::mkdtemp(templ.data())) throw std::runtime_error("mkdtemp failed for " + templ);
  path_ = templ;
  // mkdtemp makes it 0700; a database server running as `postgres` must reach folders in it.
  fs::permissions(path_, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                             fs::perms::others_read | fs::perms::others_exec);
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

fs::path SourceDir() {
  const char* s = std::getenv("SLIPWAY_SOURCE_DIR");
  if (!s) throw std::runtime_error("SLIPWAY_SOURCE_DIR is not set (run the tests through ctest)");
  return s;
}

fs::path BinDir() {
  const char* s = std::getenv("SLIPWAY_BIN_DIR");
  if (!s) throw std::runtime_error("SLIPWAY_BIN_DIR is not set (run the tests through ctest)");
  return s;
}

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void WriteFile(const fs::path& path, const std::string& content) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << content;
}

std::string PythonWithPytest() {
  std::vector<std::string> candidates;
  if (const char* env = std::getenv("SLIPWAY_PYTHON"); env && *env) candidates.push_back(env);
  candidates.push_back("python3");
  candidates.push_back("/usr/bin/python3");
  for (const auto& c : candidates)
    if (RunCommand(c + " -m pytest --version").exit_code == 0) return c;
  return "";
}

GitFixture::GitFixture(const Files& files, const Files& symlinks) : dir_("slipway-git") {
  for (const auto& [path, content] : files) WriteFile(root() / path, content);
  for (const auto& [link, target] : symlinks) {
    fs::create_directories((root() / link).parent_path());
    fs::create_symlink(target, root() / link);
  }
  auto r = RunCommand("cd '" + root().string() +
                      "' && git init -q && git add -A && git -c user.name=t -c user.email=t@e "
                      "commit -q --allow-empty -m init");
  if (r.exit_code != 0) return;
  auto repo = repo::Repository::Open(root());
  if (!repo.ok()) return;
  repo_.emplace(std::move(*repo));
  if (auto head = repo_->ResolveCommit("HEAD"); head.ok()) commit_ = *head;
}

CommandResult RunCommand(const std::string& command) {
  CommandResult r;
  FILE* p = ::popen((command + " 2>&1").c_str(), "r");
  if (!p) return r;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) r.output.append(buf.data(), n);
  int status = ::pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

fs::path PrepareSampleRepo(const fs::path& dir, const std::string& name) {
  auto r = RunCommand("bash '" + (SourceDir() / "examples" / "prepare.sh").string() + "' '" +
                      dir.string() + "'");
  if (r.exit_code != 0) throw std::runtime_error("prepare.sh failed: " + r.output);
  return dir / name;
}

ChildProcess::ChildProcess(const std::vector<std::string>& argv,
                           const std::map<std::string, std::string>& env, const fs::path& log)
    : log_(log) {
  pid_ = ::fork();
  if (pid_ == 0) {
    // A test that crashes must not leave its services running.
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    for (const auto& [k, v] : env) ::setenv(k.c_str(), v.c_str(), 1);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
}

bool ChildProcess::Running() {
  if (pid_ <= 0) return false;
  int status = 0;
  pid_t r = ::waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    pid_ = -1;
    return false;
  }
  return true;
}

int ChildProcess::Terminate(std::chrono::milliseconds grace) {
  if (!Running()) return exit_code_;
  ::kill(pid_, SIGTERM);
  if (!WaitFor([&] { return !Running(); }, grace)) {
    ::kill(pid_, SIGKILL);
    WaitFor([&] { return !Running(); }, std::chrono::seconds(5));
  }
  return exit_code_;
}

ChildProcess::~ChildProcess() { Terminate(std::chrono::seconds(5)); }

std::string ChildProcess::Output() const {
  std::ifstream in(log_);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool WaitFor(const std::function<bool()>& condition, std::chrono::milliseconds limit,
             std::chrono::milliseconds every) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (true) {
    if (condition()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(every);
  }
}

}  // namespace slipway::testing
