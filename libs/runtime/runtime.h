// What every Slipway service process shares: common configuration from flags and
// environment, logging, graceful shutdown on SIGTERM/SIGINT, and a gRPC server that always
// carries the standard health service and server reflection.
#pragma once

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "libs/bus/bus.h"
#include "libs/repo/target.h"
#include "libs/store/outbox_relay.h"
#include "libs/store/store.h"

namespace CLI {
class App;
}

namespace slipway::runtime {

// Where target repositories come from, as given on the command line or in the environment;
// ResolveTargets turns it into a repo::TargetConfig. There is no flag for the token itself, so
// it never shows in `ps`: it comes from SLIPWAY_GIT_TOKEN or from the token file.
struct TargetOptions {
  std::string mirror_dir;   // --mirror-dir, SLIPWAY_MIRROR_DIR
  std::string token_file;   // --git-token-file, SLIPWAY_GIT_TOKEN_FILE
  std::string ssh_key;      // --ssh-key, SLIPWAY_SSH_KEY: private key path
  std::string known_hosts;  // --ssh-known-hosts, SLIPWAY_SSH_KNOWN_HOSTS: host keys to trust
};

struct CommonConfig {
  std::string brokers;                                // SLIPWAY_BROKERS
  std::string database_url;                           // SLIPWAY_DATABASE_URL
  std::string grpc_listen;                            // SLIPWAY_GRPC_LISTEN; "" = no gRPC server
  std::string replica_id;                             // SLIPWAY_REPLICA_ID; default host:pid
  std::string log_level = "info";                     // SLIPWAY_LOG_LEVEL
  std::string log_format = "text";                    // SLIPWAY_LOG_FORMAT: text | json
  std::map<std::string, std::string> kafka;           // extra librdkafka properties (--kafka k=v)
  std::map<std::string, std::string> kafka_consumer;  // for consumers only (embedded stack)
  TargetOptions target_options;                       // the flags; Finalize fills `targets`
  repo::TargetConfig targets;                         // mirror folder and git credentials
};

// Registers --brokers, --database-url, --grpc-listen, --replica-id, --log-level, --log-format,
// --kafka and the target options (AddTargetOptions), each also read from its SLIPWAY_*
// environment variable.
void AddCommonOptions(CLI::App& app, CommonConfig& config, const std::string& default_listen);

// Registers --mirror-dir, --git-token-file and --ssh-key (SLIPWAY_MIRROR_DIR,
// SLIPWAY_GIT_TOKEN_FILE, SLIPWAY_SSH_KEY). The `slipway` CLI adds them to `run` and `dev`.
// `mirror_default` describes the default mirror folder in the help text.
void AddTargetOptions(CLI::App& app, TargetOptions& options,
                      const std::string& mirror_default = "$XDG_CACHE_HOME/slipway/mirrors");

// Checks required values; fills replica_id, and `targets` from `target_options` with
// DefaultMirrorRoot() as the default mirror folder. INVALID_ARGUMENT names the missing option
// or the unreadable file.
absl::Status Finalize(CommonConfig& config, const std::string& service);

// $XDG_CACHE_HOME/slipway/mirrors, else $HOME/.cache/slipway/mirrors, else
// <temp dir>/slipway-mirrors.
std::filesystem::path DefaultMirrorRoot();

// The TargetConfig `options` describe: the mirror folder (`default_mirror_root` when none is
// given), the token (from the token file when one is named, its trailing whitespace stripped;
// otherwise from SLIPWAY_GIT_TOKEN), the ssh private key and, when "<key>.pub" exists, its
// public key. INVALID_ARGUMENT naming the file when the token file is unreadable or empty, or
// the ssh key does not exist.
// A secret token: the content of `file` (trailing whitespace stripped) when one is named, which
// wins over the environment variable `env`; else that variable ("" when unset or empty).
// INVALID_ARGUMENT names `option` and the file, never the content, for a file that is missing,
// unreadable or empty.
absl::StatusOr<std::string> ReadToken(std::string_view option, const std::string& file,
                                      const char* env);

absl::StatusOr<repo::TargetConfig> ResolveTargets(const TargetOptions& options,
                                                  const std::filesystem::path& default_mirror_root);

// `text` as the inside of a JSON string.
std::string JsonEscape(const std::string& text);

// Sets spdlog's level and pattern ("json": one JSON object a line with service and replica).
void SetUpLogging(const CommonConfig& config, const std::string& service);

// Set by SIGTERM/SIGINT. Wait() blocks until then (or until Trigger()).
class Shutdown {
 public:
  // Installs the signal handling thread; call once, before starting other threads.
  static Shutdown& Install();
  void Wait();
  bool requested() const { return requested_.load(); }
  void Trigger();
  const std::atomic<bool>& flag() const { return requested_; }
  // Until this is called, a signal ends the process at once (exit status 143): nothing is in
  // flight while the service is still starting (for example, waiting for its database).
  void MarkReady() { ready_ = true; }

 private:
  std::atomic<bool> requested_{false};
  std::atomic<bool> ready_{false};
  std::mutex mu_;
  std::condition_variable cv_;
};

// The connections every Slipway process holds: a database pool (after migrations), a producer
// that already has every topic's metadata, and the started outbox relay. The members are
// destroyed in reverse order: relay, producer, pool.
struct Infrastructure {
  bus::BusConfig bus_config;
  std::unique_ptr<store::ConnectionPool> pool;
  std::unique_ptr<bus::Producer> producer;
  std::unique_ptr<store::OutboxRelay> relay;
};

// Waits up to a minute for the database, migrates it, connects the producer, starts the relay.
absl::StatusOr<Infrastructure> ConnectInfrastructure(const CommonConfig& common);

// A gRPC server with health checking and reflection enabled.
class GrpcHost {
 public:
  // `listen` is host:port; port 0 picks a free one (see port()).
  static absl::StatusOr<std::unique_ptr<GrpcHost>> Start(
      const std::string& listen, const std::vector<grpc::Service*>& services,
      int max_message_bytes = 32 << 20);
  ~GrpcHost();
  int port() const { return port_; }
  // Marks the server NOT_SERVING, then stops, letting in-flight calls finish for `grace`.
  void Stop(std::chrono::milliseconds grace = std::chrono::milliseconds(5000));

 private:
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
};

}  // namespace slipway::runtime
