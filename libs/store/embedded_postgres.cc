#include "libs/store/embedded_postgres.h"

#include <fmt/format.h>
#include <pwd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <vector>

#include "libs/store/store.h"

namespace slipway::store {
namespace fs = std::filesystem;
namespace {

// initdb and pg_ctl: on PATH, else in Debian's versioned folder.
std::string FindPgBinary(const std::string& name) {
  if (const char* path = std::getenv("PATH")) {
    std::string p = path;
    size_t start = 0;
    while (start <= p.size()) {
      size_t end = p.find(':', start);
      if (end == std::string::npos) end = p.size();
      fs::path cand = fs::path(p.substr(start, end - start)) / name;
      if (!cand.empty() && ::access(cand.c_str(), X_OK) == 0) return cand.string();
      start = end + 1;
    }
  }
  std::error_code ec;
  std::vector<fs::path> found;
  for (const auto& e : fs::directory_iterator("/usr/lib/postgresql", ec))
    if (fs::exists(e.path() / "bin" / name)) found.push_back(e.path() / "bin" / name);
  std::sort(found.begin(), found.end());
  return found.empty() ? "" : found.back().string();
}

std::string Quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'')
      out += "'\\''";
    else
      out += c;
  }
  return out + "'";
}

// Runs `cmd` through the shell, as `postgres` when we are root.
absl::Status RunAsOwner(const std::string& cmd, const fs::path& log) {
  std::string full = cmd;
  if (::geteuid() == 0) full = "runuser -u postgres -- " + cmd;
  full += " >> " + Quote(log.string()) + " 2>&1";
  int rc = std::system(full.c_str());
  if (rc != 0) {
    std::ifstream in(log);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (text.size() > 2000) text = text.substr(text.size() - 2000);
    return absl::InternalError(
        fmt::format("`{}` failed (exit {}):\n{}", cmd, WEXITSTATUS(rc), text));
  }
  return absl::OkStatus();
}

absl::Status ChownToPostgres(const fs::path& p) {
  if (::geteuid() != 0) return absl::OkStatus();
  struct passwd* pw = ::getpwnam("postgres");
  if (!pw)
    return absl::FailedPreconditionError(
        "running as root, but there is no `postgres` user to run the database server as "
        "(install Debian's postgresql package)");
  if (::chown(p.c_str(), pw->pw_uid, pw->pw_gid) != 0)
    return absl::InternalError(fmt::format("chown {}: {}", p.string(), std::strerror(errno)));
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<EmbeddedPostgres>> EmbeddedPostgres::Start(const fs::path& state_dir,
                                                                          bool ephemeral) {
  std::unique_ptr<EmbeddedPostgres> pg(new EmbeddedPostgres());
  std::string initdb = FindPgBinary("initdb");
  std::string pg_ctl = FindPgBinary("pg_ctl");
  if (initdb.empty() || pg_ctl.empty())
    return absl::FailedPreconditionError(
        "PostgreSQL server binaries (initdb, pg_ctl) not found: install Debian's postgresql "
        "package");
  std::error_code ec;
  fs::create_directories(state_dir, ec);
  pg->state_dir_ = fs::absolute(state_dir);
  pg->data_dir_ = pg->state_dir_ / "pgdata";
  pg->ephemeral_ = ephemeral;
  if (auto st = ChownToPostgres(pg->state_dir_); !st.ok()) return st;
  fs::path log = pg->state_dir_ / "postgres.log";
  { std::ofstream touch(log, std::ios::app); }
  if (auto st = ChownToPostgres(log); !st.ok()) return st;

  // Unix sockets have a short path limit: keep the socket in a short private folder.
  char tmpl[] = "/tmp/slipway-pg-XXXXXX";
  if (!::mkdtemp(tmpl)) return absl::InternalError("mkdtemp for the database socket failed");
  pg->socket_dir_ = tmpl;
  if (auto st = ChownToPostgres(pg->socket_dir_); !st.ok()) return st;

  if (!fs::exists(pg->data_dir_ / "PG_VERSION")) {
    fs::create_directories(pg->data_dir_, ec);
    if (auto st = ChownToPostgres(pg->data_dir_); !st.ok()) return st;
    ::chmod(pg->data_dir_.c_str(), 0700);
    if (auto st = RunAsOwner(fmt::format("{} -D {} -U slipway -A trust -E UTF8 --no-locale "
                                         "--no-sync",
                                         Quote(initdb), Quote(pg->data_dir_.string())),
                             log);
        !st.ok())
      return st;
  }
  std::string opts = fmt::format(
      "-c listen_addresses='' -c unix_socket_directories='{}' -c max_connections=200 "
      "-c shared_buffers=64MB{}",
      pg->socket_dir_.string(),
      ephemeral ? " -c fsync=off -c synchronous_commit=off -c full_page_writes=off" : "");
  if (auto st =
          RunAsOwner(fmt::format("{} -D {} -l {} -o {} -w -t 60 start", Quote(pg_ctl),
                                 Quote(pg->data_dir_.string()), Quote(log.string()), Quote(opts)),
                     log);
      !st.ok())
    return st;
  pg->running_ = true;
  std::string admin = fmt::format("host={} user=slipway dbname=postgres", pg->socket_dir_.string());
  if (auto st = WaitForServer(admin, std::chrono::seconds(30)); !st.ok()) return st;
  try {
    pqxx::connection c(admin);
    pqxx::nontransaction nt(c);
    if (nt.exec("SELECT 1 FROM pg_database WHERE datname = 'slipway'").empty())
      nt.exec("CREATE DATABASE slipway");
  } catch (const std::exception& e) {
    return absl::InternalError(fmt::format("create database: {}", e.what()));
  }
  pg->url_ = fmt::format("host={} user=slipway dbname=slipway", pg->socket_dir_.string());
  return pg;
}

void EmbeddedPostgres::Stop() {
  if (!running_) return;
  running_ = false;
  std::string pg_ctl = FindPgBinary("pg_ctl");
  (void)RunAsOwner(
      fmt::format("{} -D {} -m fast -w -t 30 stop", Quote(pg_ctl), Quote(data_dir_.string())),
      state_dir_ / "postgres.log");
  std::error_code ec;
  fs::remove_all(socket_dir_, ec);
  if (ephemeral_) fs::remove_all(state_dir_, ec);
}

EmbeddedPostgres::~EmbeddedPostgres() { Stop(); }

}  // namespace slipway::store
