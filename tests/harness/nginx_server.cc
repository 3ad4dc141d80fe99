#include "tests/harness/nginx_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <sstream>

#include "tests/harness/git_daemon.h"

namespace slipway::testing {
namespace {

namespace fs = std::filesystem;

bool Accepts(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  ::close(fd);
  return ok;
}

// Lines of the error log ending with `ending`.
int CountLines(const std::string& text, const std::string& ending) {
  int n = 0;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (line.size() >= ending.size() &&
        line.compare(line.size() - ending.size(), ending.size(), ending) == 0)
      ++n;
  return n;
}

// Once per reload: "[notice] 11051#11051: reconfiguring" (after the line about the signal).
constexpr char kReconfiguring[] = ": reconfiguring";
// Once per old worker gone: "[notice] 11051#11051: worker process 11052 exited with code 0".
constexpr char kWorkerExited[] = "exited with code 0";

}  // namespace

std::string NginxBinary() {
  if (::access("/usr/sbin/nginx", X_OK) == 0) return "/usr/sbin/nginx";
  const char* path = std::getenv("PATH");
  std::istringstream dirs(path ? path : "");
  for (std::string dir; std::getline(dirs, dir, ':');) {
    const std::string candidate = dir + "/nginx";
    if (!dir.empty() && ::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

NginxServer::NginxServer(fs::path dir, fs::path upstream_file, std::string upstream_name)
    : dir_(std::move(dir)),
      upstream_file_(std::move(upstream_file)),
      upstream_name_(std::move(upstream_name)),
      binary_(NginxBinary()) {
  if (binary_.empty()) {
    error_ = "nginx is not installed (neither /usr/sbin/nginx nor nginx on PATH)";
    return;
  }
  if (!fs::exists(upstream_file_)) {
    error_ = "the upstream file " + upstream_file_.string() +
             " must exist before nginx starts (nginx.conf includes it)";
    return;
  }
  // A port taken between FreeLoopbackPort and nginx's bind makes nginx exit: try again.
  for (int attempt = 0; attempt < 3 && !Launch(); ++attempt) {
  }
}

NginxServer::~NginxServer() { Stop(); }

std::string NginxServer::url() const { return "http://127.0.0.1:" + std::to_string(port_); }

std::vector<std::string> NginxServer::Command() const {
  return {binary_, "-p", dir_.string() + "/", "-c", (dir_ / "nginx.conf").string()};
}

std::vector<std::string> NginxServer::ReloadArgv() const {
  std::vector<std::string> argv = Command();
  argv.insert(argv.end(), {"-s", "reload"});
  return argv;
}

std::vector<std::string> NginxServer::TestArgv() const {
  std::vector<std::string> argv = Command();
  argv.push_back("-t");
  return argv;
}

bool NginxServer::Launch() {
  port_ = FreeLoopbackPort();
  if (port_ == 0) {
    error_ = "no free port on 127.0.0.1";
    return false;
  }
  const std::string d = dir_.string();
  std::ostringstream conf;
  conf << "daemon off;\n"
       << "worker_processes 1;\n"
       << "pid " << d << "/nginx.pid;\n"
       << "error_log " << d << "/error.log notice;\n"
       << "events { worker_connections 256; }\n"
       << "http {\n"
       << "  access_log " << d << "/access.log;\n"
       << "  client_body_temp_path " << d << "/client_body;\n"
       << "  proxy_temp_path " << d << "/proxy;\n"
       << "  fastcgi_temp_path " << d << "/fastcgi;\n"
       << "  uwsgi_temp_path " << d << "/uwsgi;\n"
       << "  scgi_temp_path " << d << "/scgi;\n"
       << "  include " << upstream_file_.string() << ";\n"
       << "  server {\n"
       << "    listen 127.0.0.1:" << port_ << ";\n"
       << "    location / {\n"
       << "      proxy_pass http://" << upstream_name_ << ";\n"
       << "      proxy_next_upstream off;\n"
       << "    }\n"
       << "  }\n"
       << "}\n";
  fs::create_directories(dir_ / "logs");  // nginx opens <prefix>/logs/error.log before the conf
  WriteFile(dir_ / "nginx.conf", conf.str());
  const fs::path output = dir_ / "nginx.out";
  auto process =
      std::make_unique<ChildProcess>(Command(), std::map<std::string, std::string>{}, output);
  const bool listening = WaitFor([&] { return !process->Running() || Accepts(port_); },
                                 std::chrono::seconds(20), std::chrono::milliseconds(20));
  if (listening && process->Running()) {
    process_ = std::move(process);
    error_.clear();
    return true;
  }
  const bool exited = !process->Running();
  process->Terminate(std::chrono::seconds(5));
  error_ = std::string(exited ? "nginx exited" : "nginx did not listen within 20 s") + " on port " +
           std::to_string(port_) + "; output: " + ReadFile(output) +
           " error log: " + ReadFile(error_log());
  return false;
}

int NginxServer::Reloads() const { return CountLines(ReadFile(error_log()), kReconfiguring); }

bool NginxServer::WaitForReloads(int reloads, std::chrono::milliseconds limit) {
  return WaitFor(
      [&] {
        const std::string log = ReadFile(error_log());
        // One worker: each reload retires exactly one old worker.
        return CountLines(log, kReconfiguring) >= reloads &&
               CountLines(log, kWorkerExited) >= reloads;
      },
      limit, std::chrono::milliseconds(20));
}

void NginxServer::Stop() {
  if (!process_) return;
  process_->Terminate(std::chrono::seconds(10));
  process_.reset();
}

}  // namespace slipway::testing
