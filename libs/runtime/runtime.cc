#include "libs/runtime/runtime.h"

#include <fmt/format.h>
#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include "libs/bus/embedded_broker.h"

namespace slipway::runtime {

void AddCommonOptions(CLI::App& app, CommonConfig& c, const std::string& default_listen) {
  c.grpc_listen = default_listen;
  app.add_option("--brokers", c.brokers, "Kafka bootstrap servers")->envname("SLIPWAY_BROKERS");
  app.add_option("--database-url", c.database_url, "PostgreSQL connection string")
      ->envname("SLIPWAY_DATABASE_URL");
  app.add_option("--grpc-listen", c.grpc_listen, "gRPC listen address (host:port)")
      ->envname("SLIPWAY_GRPC_LISTEN");
  app.add_option("--replica-id", c.replica_id, "name of this replica")
      ->envname("SLIPWAY_REPLICA_ID");
  app.add_option("--log-level", c.log_level, "trace|debug|info|warn|error")
      ->envname("SLIPWAY_LOG_LEVEL")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}));
  app.add_option_function<std::vector<std::string>>(
         "--kafka",
         [&c](const std::vector<std::string>& items) {
           for (const auto& item : items) {
             size_t eq = item.find('=');
             if (eq == std::string::npos || eq == 0)
               throw CLI::ValidationError("--kafka", "expected key=value, got '" + item + "'");
             c.kafka[item.substr(0, eq)] = item.substr(eq + 1);
           }
         },
         "extra librdkafka property as key=value (repeatable; SLIPWAY_KAFKA: comma-separated)")
      ->envname("SLIPWAY_KAFKA")
      ->delimiter(',');
  app.add_option("--log-format", c.log_format, "text|json")
      ->envname("SLIPWAY_LOG_FORMAT")
      ->check(CLI::IsMember({"text", "json"}));
  AddTargetOptions(app, c.target_options);
}

void AddTargetOptions(CLI::App& app, TargetOptions& t, const std::string& mirror_default) {
  app.add_option("--mirror-dir", t.mirror_dir,
                 fmt::format("where remote target repositories are mirrored ({})", mirror_default))
      ->envname("SLIPWAY_MIRROR_DIR");
  app.add_option("--git-token-file", t.token_file,
                 "file holding the token for https remotes (else SLIPWAY_GIT_TOKEN)")
      ->envname("SLIPWAY_GIT_TOKEN_FILE");
  app.add_option("--ssh-known-hosts", t.known_hosts,
                 "OpenSSH known_hosts file ssh remotes' host keys must be in "
                 "($HOME/.ssh/known_hosts)")
      ->envname("SLIPWAY_SSH_KNOWN_HOSTS");
  app.add_option("--ssh-key", t.ssh_key,
                 "private key file for ssh remotes, <key>.pub beside it (else the ssh agent)")
      ->envname("SLIPWAY_SSH_KEY");
}

namespace {

namespace fs = std::filesystem;

std::string StripTrailingSpace(std::string text) {
  size_t end = text.find_last_not_of(" \t\r\n\f\v");
  text.erase(end == std::string::npos ? 0 : end + 1);
  return text;
}

// The variable's value; nullptr when it is unset or empty.
const char* EnvOrNull(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? value : nullptr;
}

}  // namespace

fs::path DefaultMirrorRoot() {
  // XDG: a relative XDG_CACHE_HOME is invalid and ignored.
  if (const char* xdg = EnvOrNull("XDG_CACHE_HOME"); xdg != nullptr && *xdg == '/')
    return fs::path(xdg) / "slipway" / "mirrors";
  if (const char* home = EnvOrNull("HOME"))
    return fs::path(home) / ".cache" / "slipway" / "mirrors";
  std::error_code ec;
  fs::path tmp = fs::temp_directory_path(ec);
  return (ec ? fs::path("/tmp") : tmp) / "slipway-mirrors";
}

absl::StatusOr<std::string> ReadToken(std::string_view option, const std::string& file,
                                      const char* env) {
  if (file.empty()) {
    const char* token = EnvOrNull(env);
    return token != nullptr ? StripTrailingSpace(token) : std::string();
  }
  // The token's file is named in errors, never its content.
  std::error_code ec;
  if (!fs::is_regular_file(file, ec))
    return absl::InvalidArgumentError(fmt::format("{} {}: not a readable file{}", option, file,
                                                  ec ? " (" + ec.message() + ")" : std::string()));
  std::ifstream in(file, std::ios::binary);
  std::stringstream content;
  content << in.rdbuf();
  if (!in.is_open() || in.bad())
    return absl::InvalidArgumentError(fmt::format("{} {}: cannot be read", option, file));
  std::string token = StripTrailingSpace(content.str());
  if (token.empty())
    return absl::InvalidArgumentError(fmt::format("{} {}: is empty", option, file));
  return token;
}

absl::StatusOr<repo::TargetConfig> ResolveTargets(const TargetOptions& t,
                                                  const fs::path& default_mirror_root) {
  repo::TargetConfig config;
  config.mirror_root = t.mirror_dir.empty() ? default_mirror_root : fs::path(t.mirror_dir);
  auto token =
      ReadToken("--git-token-file (SLIPWAY_GIT_TOKEN_FILE)", t.token_file, "SLIPWAY_GIT_TOKEN");
  if (!token.ok()) return token.status();
  config.credentials.token = std::move(*token);
  config.credentials.known_hosts = t.known_hosts;
  if (!t.ssh_key.empty()) {
    std::error_code ec;
    if (!fs::is_regular_file(t.ssh_key, ec))
      return absl::InvalidArgumentError(
          fmt::format("--ssh-key (SLIPWAY_SSH_KEY) {}: no such file", t.ssh_key));
    config.credentials.ssh_private_key = t.ssh_key;
    if (fs::is_regular_file(t.ssh_key + ".pub", ec))
      config.credentials.ssh_public_key = t.ssh_key + ".pub";
  }
  return config;
}

absl::Status Finalize(CommonConfig& c, const std::string& service) {
  if (c.brokers.empty())
    return absl::InvalidArgumentError("--brokers (SLIPWAY_BROKERS) is required");
  if (c.database_url.empty())
    return absl::InvalidArgumentError("--database-url (SLIPWAY_DATABASE_URL) is required");
  if (c.replica_id.empty()) {
    char host[256] = {0};
    ::gethostname(host, sizeof host - 1);
    c.replica_id = fmt::format("{}-{}:{}", service, host, ::getpid());
  }
  auto targets = ResolveTargets(c.target_options, DefaultMirrorRoot());
  if (!targets.ok()) return targets.status();
  c.targets = std::move(*targets);
  return absl::OkStatus();
}

namespace {

// The message as the inside of a JSON string: quotes, backslashes and control characters
// escaped, so every log line stays one valid JSON object.
class JsonMessageFlag final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    std::string escaped = JsonEscape(std::string(msg.payload.data(), msg.payload.size()));
    dest.append(escaped.data(), escaped.data() + escaped.size());
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<JsonMessageFlag>();
  }
};

}  // namespace

std::string JsonEscape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (unsigned char ch : text) {
    switch (ch) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (ch < 0x20)
          out += fmt::format("\\u{:04x}", ch);
        else
          out.push_back(static_cast<char>(ch));
    }
  }
  return out;
}

void SetUpLogging(const CommonConfig& c, const std::string& service) {
  spdlog::set_level(spdlog::level::from_str(c.log_level));
  if (c.log_format == "json") {
    auto formatter = std::make_unique<spdlog::pattern_formatter>(spdlog::pattern_time_type::utc);
    formatter->add_flag<JsonMessageFlag>('*').set_pattern(fmt::format(
        R"({{"time":"%Y-%m-%dT%H:%M:%S.%eZ","level":"%l","service":"{}","replica":"{}","message":"%*"}})",
        JsonEscape(service), JsonEscape(c.replica_id)));
    spdlog::set_formatter(std::move(formatter));
  } else {
    spdlog::set_pattern(fmt::format("%H:%M:%S.%e %^%l%$ [{}] %v", service));
  }
}

Shutdown& Shutdown::Install() {
  static Shutdown* instance = [] {
    auto* s = new Shutdown();
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    std::thread([s, set] {
      int sig = 0;
      sigwait(&set, &sig);
      if (!s->ready_.load()) {
        spdlog::info("received signal {} while starting: exiting", sig);
        spdlog::shutdown();
        std::_Exit(128 + sig);
      }
      spdlog::info("received signal {}: finishing in-flight work", sig);
      s->Trigger();
    }).detach();
    return s;
  }();
  return *instance;
}

void Shutdown::Trigger() {
  std::lock_guard lock(mu_);
  requested_ = true;
  cv_.notify_all();
}

void Shutdown::Wait() {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return requested_.load(); });
}

absl::StatusOr<Infrastructure> ConnectInfrastructure(const CommonConfig& common) {
  using namespace std::chrono_literals;
  Infrastructure infra;
  if (auto st = store::WaitForServer(common.database_url, 60s); !st.ok()) return st;
  infra.pool = std::make_unique<store::ConnectionPool>(common.database_url);
  if (auto st = store::Migrate(*infra.pool); !st.ok()) return st;
  infra.bus_config =
      bus::BusConfig{common.brokers, common.replica_id, common.kafka, common.kafka_consumer};
  auto producer = bus::Producer::Create(infra.bus_config);
  if (!producer.ok()) return producer.status();
  infra.producer = std::move(*producer);
  // Without this, the first message to each topic waits for a metadata round trip.
  if (auto st = infra.producer->Warm(bus::SlipwayTopics(), 10s); !st.ok())
    spdlog::warn("producer warm-up: {}", st.ToString());
  infra.relay = std::make_unique<store::OutboxRelay>(*infra.pool, *infra.producer);
  infra.relay->Start();
  return infra;
}

absl::StatusOr<std::unique_ptr<GrpcHost>> GrpcHost::Start(
    const std::string& listen, const std::vector<grpc::Service*>& services, int max_message_bytes) {
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  auto host = std::unique_ptr<GrpcHost>(new GrpcHost());
  grpc::ServerBuilder builder;
  builder.AddListeningPort(listen, grpc::InsecureServerCredentials(), &host->port_);
  builder.SetMaxReceiveMessageSize(max_message_bytes);
  for (auto* s : services) builder.RegisterService(s);
  host->server_ = builder.BuildAndStart();
  if (!host->server_ || host->port_ == 0)
    return absl::UnavailableError(fmt::format("gRPC: cannot listen on {}", listen));
  host->server_->GetHealthCheckService()->SetServingStatus(true);
  return host;
}

void GrpcHost::Stop(std::chrono::milliseconds grace) {
  if (!server_) return;
  server_->GetHealthCheckService()->SetServingStatus(false);
  server_->Shutdown(std::chrono::system_clock::now() + grace);
  server_.reset();
}

GrpcHost::~GrpcHost() { Stop(); }

}  // namespace slipway::runtime
