// A `git daemon` for tests that need a network remote: it serves every repository under a
// base folder over git:// on 127.0.0.1, on a free port, with pushes enabled
// (`--export-all --enable=receive-pack`). Its stderr goes to <base>/git-daemon.log.
//
// The constructor starts it and waits (with a deadline) until it accepts connections; the
// destructor (or Stop) sends SIGTERM and reaps it. The daemon dies with the test process.
// Use from one thread.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>

namespace slipway::testing {

// A TCP port on 127.0.0.1 nobody listens on right now (0 when none could be had): for a URL
// that must be refused. Another process may take it later; good enough for tests.
int FreeLoopbackPort();

class GitDaemon {
 public:
  explicit GitDaemon(std::filesystem::path base);
  GitDaemon(const GitDaemon&) = delete;
  GitDaemon& operator=(const GitDaemon&) = delete;
  ~GitDaemon();

  // False when it could not start; error() says why.
  bool ok() const { return pid_ > 0; }
  const std::string& error() const { return error_; }
  int port() const { return port_; }
  // "git://127.0.0.1:<port>/<name>", `name` relative to the base folder.
  std::string url(const std::string& name) const;
  // Stops serving: later connections are refused. Idempotent.
  void Stop();

 private:
  bool Launch();

  std::filesystem::path base_;
  pid_t pid_ = -1;
  int port_ = 0;
  std::string error_;
};

}  // namespace slipway::testing
