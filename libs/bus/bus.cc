#include "libs/bus/bus.h"

#include <fmt/format.h>
#include <librdkafka/rdkafka.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <ctime>
#include <mutex>
#include <thread>

namespace slipway::bus {
namespace {

// librdkafka's own log lines go through spdlog, so they share the service's format and level.
void LogToSpdlog(const rd_kafka_t* rk, int level, const char* facility, const char* message) {
  const char* name = rk ? rd_kafka_name(rk) : "kafka";
  if (level <= 3)
    spdlog::error("kafka {} {}: {}", name, facility, message);
  else if (level == 4)
    spdlog::warn("kafka {} {}: {}", name, facility, message);
  else if (level <= 6)
    spdlog::info("kafka {} {}: {}", name, facility, message);
  else
    spdlog::debug("kafka {} {}: {}", name, facility, message);
}

absl::StatusOr<rd_kafka_conf_t*> MakeConf(const BusConfig& config,
                                          const std::map<std::string, std::string>& defaults,
                                          bool consumer = false) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char err[512];
  auto set = [&](const std::string& k, const std::string& v) -> absl::Status {
    if (rd_kafka_conf_set(conf, k.c_str(), v.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK)
      return absl::InvalidArgumentError(fmt::format("kafka property {}={}: {}", k, v, err));
    return absl::OkStatus();
  };
  std::map<std::string, std::string> all = defaults;
  all["bootstrap.servers"] = config.brokers;
  if (!config.client_id.empty()) all["client.id"] = config.client_id;
  for (const auto& [k, v] : config.overrides) all[k] = v;
  if (consumer)
    for (const auto& [k, v] : config.consumer_overrides) all[k] = v;
  // Operators can turn on librdkafka's own diagnostics without a rebuild.
  if (const char* debug = std::getenv("SLIPWAY_KAFKA_DEBUG"); debug && *debug) all["debug"] = debug;
  for (const auto& [k, v] : all) {
    if (auto st = set(k, v); !st.ok()) {
      rd_kafka_conf_destroy(conf);
      return st;
    }
  }
  rd_kafka_conf_set_log_cb(conf, LogToSpdlog);
  return conf;
}

// Per-message delivery report, owned by the sending thread.
struct Delivery {
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;
};

void OnDelivery(rd_kafka_t*, const rd_kafka_message_t* m, void*) {
  auto* d = static_cast<Delivery*>(m->_private);
  if (!d) return;
  std::lock_guard lock(d->mu);
  d->err = m->err;
  d->done = true;
  d->cv.notify_all();
}

std::string NowRfc3339() {
  auto now = std::chrono::system_clock::now();
  std::time_t t = std::chrono::system_clock::to_time_t(now);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()) % 1000;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  return fmt::format("{}.{:03d}Z", buf, static_cast<int>(ms.count()));
}

}  // namespace

std::string CommandTopic(const std::string& service) {
  return fmt::format("slipway.commands.{}.v1", service);
}

std::optional<std::string> Message::Header(const std::string& name) const {
  for (const auto& [k, v] : headers)
    if (k == name) return v;
  return std::nullopt;
}

Headers CloudEventHeaders(const std::string& id, const std::string& type, const std::string& source,
                          const std::string& traceparent, const std::string& content_type) {
  Headers h = {{"ce_specversion", "1.0"}, {"ce_id", id},
               {"ce_type", type},         {"ce_source", source},
               {"ce_time", NowRfc3339()}, {"content-type", content_type}};
  if (!traceparent.empty()) h.emplace_back("traceparent", traceparent);
  return h;
}

std::string MakeTraceparent(const std::string& trace_id, const std::string& span_id) {
  return fmt::format("00-{}-{}-01", trace_id, span_id);
}

std::string TraceIdOf(const std::string& traceparent) {
  // version(2) - trace id(32) - span id(16) - flags(2)
  if (traceparent.size() != 55 || traceparent[2] != '-' || traceparent[35] != '-' ||
      traceparent[52] != '-')
    return "";
  std::string id = traceparent.substr(3, 32);
  for (char c : id)
    if (!std::isxdigit(static_cast<unsigned char>(c))) return "";
  return id;
}

// A background thread serves delivery reports so that Send() can wait on its own message.
struct Producer::Poller {
  std::atomic<bool> stop{false};
  std::thread thread;
};

Producer::Producer(rd_kafka_t* rk) : rk_(rk), poller_(std::make_unique<Poller>()) {
  poller_->thread = std::thread([this] {
    while (!poller_->stop.load()) rd_kafka_poll(rk_, 50);
  });
}

Producer::~Producer() {
  rd_kafka_flush(rk_, 5000);
  poller_->stop = true;
  poller_->thread.join();
  rd_kafka_destroy(rk_);
}

absl::StatusOr<std::unique_ptr<Producer>> Producer::Create(const BusConfig& config) {
  auto conf = MakeConf(config, {{"enable.idempotence", "true"},
                                {"linger.ms", "0"},
                                {"message.max.bytes", "8388608"},
                                {"message.timeout.ms", "30000"}});
  if (!conf.ok()) return conf.status();
  rd_kafka_conf_set_dr_msg_cb(*conf, OnDelivery);
  char err[512];
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, *conf, err, sizeof err);
  if (!rk) {
    rd_kafka_conf_destroy(*conf);
    return absl::InvalidArgumentError(fmt::format("kafka producer: {}", err));
  }
  return std::unique_ptr<Producer>(new Producer(rk));
}

absl::Status Producer::Send(const Message& message, std::chrono::milliseconds timeout) {
  rd_kafka_headers_t* hdrs = rd_kafka_headers_new(message.headers.size());
  for (const auto& [k, v] : message.headers)
    rd_kafka_header_add(hdrs, k.data(), static_cast<ssize_t>(k.size()), v.data(),
                        static_cast<ssize_t>(v.size()));
  Delivery delivery;
  rd_kafka_resp_err_t err = rd_kafka_producev(
      rk_, RD_KAFKA_V_TOPIC(message.topic.c_str()),
      RD_KAFKA_V_KEY(message.key.data(), message.key.size()),
      RD_KAFKA_V_VALUE(const_cast<char*>(message.payload.data()), message.payload.size()),
      RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_HEADERS(hdrs),
      RD_KAFKA_V_OPAQUE(&delivery), RD_KAFKA_V_END);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    rd_kafka_headers_destroy(hdrs);
    return absl::UnavailableError(
        fmt::format("produce to {}: {}", message.topic, rd_kafka_err2str(err)));
  }
  std::unique_lock lock(delivery.mu);
  if (!delivery.cv.wait_for(lock, timeout, [&] { return delivery.done; })) {
    // The report still refers to `delivery`: wait for it before the frame goes away. librdkafka
    // guarantees a report for every message by message.timeout.ms.
    delivery.cv.wait(lock, [&] { return delivery.done; });
    return absl::DeadlineExceededError(
        fmt::format("produce to {}: no ack within {} ms", message.topic, timeout.count()));
  }
  if (delivery.err != RD_KAFKA_RESP_ERR_NO_ERROR)
    return absl::UnavailableError(
        fmt::format("produce to {}: {}", message.topic, rd_kafka_err2str(delivery.err)));
  return absl::OkStatus();
}

absl::Status Producer::Warm(const std::vector<std::string>& topics,
                            std::chrono::milliseconds timeout) {
  for (const auto& t : topics) {
    rd_kafka_topic_t* topic = rd_kafka_topic_new(rk_, t.c_str(), nullptr);
    const rd_kafka_metadata_t* md = nullptr;
    rd_kafka_resp_err_t e =
        rd_kafka_metadata(rk_, 0, topic, &md, static_cast<int>(timeout.count()));
    if (md) rd_kafka_metadata_destroy(md);
    rd_kafka_topic_destroy(topic);
    if (e != RD_KAFKA_RESP_ERR_NO_ERROR)
      return absl::UnavailableError(fmt::format("metadata for {}: {}", t, rd_kafka_err2str(e)));
  }
  return absl::OkStatus();
}

Consumer::Consumer(rd_kafka_t* rk) : rk_(rk) {}

Consumer::~Consumer() {
  Close();
  rd_kafka_destroy(rk_);
}

void Consumer::Close() {
  if (closed_) return;
  closed_ = true;
  rd_kafka_consumer_close(rk_);
}

absl::StatusOr<std::unique_ptr<Consumer>> Consumer::Create(const BusConfig& config,
                                                           const std::string& group,
                                                           const std::vector<std::string>& topics) {
  auto conf = MakeConf(config,
                       {{"group.id", group},
                        {"enable.auto.commit", "false"},
                        {"enable.auto.offset.store", "false"},
                        {"auto.offset.reset", "earliest"},
                        {"fetch.wait.max.ms", "10"},
                        {"fetch.error.backoff.ms", "50"},
                        {"session.timeout.ms", "10000"},
                        // A step may run for many minutes (a test suite) between polls;
                        // the group must not evict the member doing it.
                        {"max.poll.interval.ms", "3600000"},
                        {"heartbeat.interval.ms", "1000"},
                        {"topic.metadata.refresh.interval.ms", "5000"},
                        {"fetch.message.max.bytes", "8388608"}},
                       /*consumer=*/true);
  if (!conf.ok()) return conf.status();
  char err[512];
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, *conf, err, sizeof err);
  if (!rk) {
    rd_kafka_conf_destroy(*conf);
    return absl::InvalidArgumentError(fmt::format("kafka consumer: {}", err));
  }
  rd_kafka_poll_set_consumer(rk);
  rd_kafka_topic_partition_list_t* list =
      rd_kafka_topic_partition_list_new(static_cast<int>(topics.size()));
  for (const auto& t : topics) rd_kafka_topic_partition_list_add(list, t.c_str(), -1);
  rd_kafka_resp_err_t e = rd_kafka_subscribe(rk, list);
  rd_kafka_topic_partition_list_destroy(list);
  if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
    rd_kafka_destroy(rk);
    return absl::UnavailableError(fmt::format("subscribe: {}", rd_kafka_err2str(e)));
  }
  return std::unique_ptr<Consumer>(new Consumer(rk));
}

absl::StatusOr<std::optional<Message>> Consumer::Poll(std::chrono::milliseconds timeout) {
  rd_kafka_message_t* m = rd_kafka_consumer_poll(rk_, static_cast<int>(timeout.count()));
  if (!m) return std::optional<Message>();
  struct Guard {
    rd_kafka_message_t* m;
    ~Guard() { rd_kafka_message_destroy(m); }
  } guard{m};
  if (m->err) {
    // End of partition and transient errors are not messages; the client recovers by itself.
    if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF || m->err == RD_KAFKA_RESP_ERR__TRANSPORT ||
        m->err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART ||
        m->err == RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION)
      return std::optional<Message>();
    return absl::UnavailableError(fmt::format("consume: {}", rd_kafka_message_errstr(m)));
  }
  Message out;
  out.topic = rd_kafka_topic_name(m->rkt);
  out.partition = m->partition;
  out.offset = m->offset;
  if (m->key) out.key.assign(static_cast<const char*>(m->key), m->key_len);
  if (m->payload) out.payload.assign(static_cast<const char*>(m->payload), m->len);
  rd_kafka_headers_t* hdrs = nullptr;
  if (rd_kafka_message_headers(m, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR) {
    const char* name;
    const void* value;
    size_t size;
    for (size_t i = 0;
         rd_kafka_header_get_all(hdrs, i, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR; ++i)
      out.headers.emplace_back(
          name, value ? std::string(static_cast<const char*>(value), size) : std::string());
  }
  return std::optional<Message>(std::move(out));
}

void Consumer::ForEach(const std::atomic<bool>& stop,
                       const std::function<void(const Message&)>& handle) {
  while (!stop.load()) {
    auto polled = Poll(std::chrono::milliseconds(200));
    if (!polled.ok()) {
      spdlog::warn("poll: {}", polled.status().ToString());
      continue;
    }
    if (polled->has_value()) handle(**polled);
  }
}

absl::Status Consumer::Commit(const Message& message) {
  rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(list, message.topic.c_str(), message.partition)->offset =
      message.offset + 1;
  rd_kafka_resp_err_t e = rd_kafka_commit(rk_, list, 0);
  rd_kafka_topic_partition_list_destroy(list);
  if (e != RD_KAFKA_RESP_ERR_NO_ERROR)
    return absl::UnavailableError(fmt::format("commit {}[{}]@{}: {}", message.topic,
                                              message.partition, message.offset,
                                              rd_kafka_err2str(e)));
  return absl::OkStatus();
}

}  // namespace slipway::bus
