// A private nginx for tests: one worker, everything it writes (pid, error log at `notice`,
// access log, temporary files) under its own folder, listening on 127.0.0.1 on a free port and
// proxying every request to an upstream defined in a file the test owns:
//
//   http { include <upstream_file>;
//          server { listen 127.0.0.1:<port>;
//                   location / { proxy_pass http://<upstream_name>; proxy_next_upstream off; } } }
//
// `upstream_file` must exist (and define the upstream) before the constructor starts nginx.
// The constructor waits (with a deadline) until nginx accepts connections; the destructor, or
// Stop(), ends it. nginx dies with the test process. Use from one thread.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "tests/harness/harness.h"

namespace slipway::testing {

// The nginx binary: /usr/sbin/nginx, else the first on PATH; empty when there is none.
std::string NginxBinary();

class NginxServer {
 public:
  NginxServer(std::filesystem::path dir, std::filesystem::path upstream_file,
              std::string upstream_name);
  NginxServer(const NginxServer&) = delete;
  NginxServer& operator=(const NginxServer&) = delete;
  ~NginxServer();

  // False when it could not start; error() says why (with nginx's own output).
  bool ok() const { return process_ != nullptr; }
  const std::string& error() const { return error_; }
  int port() const { return port_; }
  std::string url() const;  // "http://127.0.0.1:<port>"

  // The commands that reload this nginx and test its configuration.
  std::vector<std::string> ReloadArgv() const;
  std::vector<std::string> TestArgv() const;

  std::filesystem::path error_log() const { return dir_ / "error.log"; }
  // Reloads nginx's master has begun ("reconfiguring" in the error log).
  int Reloads() const;
  // Waits until nginx has begun `reloads` reloads and every old worker has exited, so that
  // from then on only a worker with the latest configuration answers.
  bool WaitForReloads(int reloads, std::chrono::milliseconds limit = std::chrono::seconds(20));

  // Stops nginx (SIGTERM, then SIGKILL); later connections are refused. Idempotent.
  void Stop();

 private:
  bool Launch();
  std::vector<std::string> Command() const;

  std::filesystem::path dir_;
  std::filesystem::path upstream_file_;
  std::string upstream_name_;
  std::string binary_;
  int port_ = 0;
  std::unique_ptr<ChildProcess> process_;
  std::string error_;
};

}  // namespace slipway::testing
