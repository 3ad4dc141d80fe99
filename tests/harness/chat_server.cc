#include "tests/harness/chat_server.h"

#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <condition_variable>
#include <ctime>
#include <deque>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>

namespace slipway::testing {
namespace {

using Json = nlohmann::json;

std::string ErrorType(int status) {
  switch (status) {
    case 401:
      return "invalid_request_error";
    case 403:
      return "permission_error";
    case 404:
      return "not_found_error";
    case 429:
      return "rate_limit_error";
    default:
      return status >= 500 ? "server_error" : "invalid_request_error";
  }
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// httplib files the peer's and its own address among the request headers.
bool IsPseudoHeader(const std::string& name) {
  return name == "REMOTE_ADDR" || name == "REMOTE_PORT" || name == "LOCAL_ADDR" ||
         name == "LOCAL_PORT";
}

}  // namespace

ChatReply Completion(std::string content, uint64_t prompt_tokens, uint64_t completion_tokens,
                     std::string model) {
  static std::atomic<uint64_t> next_id{1};
  const Json body = {
      {"id", "chatcmpl-test-" + std::to_string(next_id++)},
      {"object", "chat.completion"},
      {"created", static_cast<int64_t>(std::time(nullptr))},
      {"model", std::move(model)},
      {"choices",
       Json::array({{{"index", 0},
                     {"message", {{"role", "assistant"}, {"content", std::move(content)}}},
                     {"finish_reason", "stop"}}})},
      {"usage",
       {{"prompt_tokens", prompt_tokens},
        {"completion_tokens", completion_tokens},
        {"total_tokens", prompt_tokens + completion_tokens}}},
  };
  ChatReply reply;
  reply.body = body.dump(-1, ' ', false, Json::error_handler_t::replace);
  return reply;
}

ChatReply ApiError(int status, std::string message,
                   std::vector<std::pair<std::string, std::string>> headers) {
  const Json body = {{"error",
                      {{"message", std::move(message)},
                       {"type", ErrorType(status)},
                       {"param", nullptr},
                       {"code", nullptr}}}};
  ChatReply reply;
  reply.status = status;
  reply.body = body.dump(-1, ' ', false, Json::error_handler_t::replace);
  reply.headers = std::move(headers);
  return reply;
}

struct ChatServer::State {
  httplib::Server server;
  int port = -1;
  std::thread thread;
  std::atomic<bool> listen_returned{false};

  mutable std::mutex mu;
  std::condition_variable stopping_cv;  // wakes replies waiting out their delay
  bool stopping = false;                // guarded by mu
  std::deque<ChatReply> queue;          // guarded by mu
  std::function<ChatReply(const RecordedRequest&)> responder;  // guarded by mu
  std::vector<RecordedRequest> requests;                       // guarded by mu
  size_t in_flight = 0;                                        // guarded by mu
  size_t max_in_flight = 0;                                    // guarded by mu

  void Serve(const httplib::Request& req, httplib::Response& res) {
    RecordedRequest recorded{req.method, req.path, {}, req.body};
    for (const auto& [name, value] : req.headers) {
      if (!IsPseudoHeader(name)) recorded.headers[Lower(name)] = value;
    }
    std::optional<ChatReply> reply;
    std::function<ChatReply(const RecordedRequest&)> respond;
    {
      std::lock_guard lock(mu);
      ++in_flight;
      max_in_flight = std::max(max_in_flight, in_flight);
      requests.push_back(recorded);
      if (!queue.empty()) {
        reply = std::move(queue.front());
        queue.pop_front();
      } else {
        respond = responder;
      }
    }
    if (!reply) reply = respond ? respond(recorded) : ApiError(500, "no reply scripted");
    if (reply->delay.count() > 0) {
      std::unique_lock lock(mu);
      if (stopping_cv.wait_for(lock, reply->delay, [this] { return stopping; })) {
        reply = ApiError(503, "chat server stopping");
      }
    }
    res.status = reply->status;
    for (const auto& [name, value] : reply->headers) res.set_header(name.c_str(), value);
    res.set_content(reply->body, "application/json");
    std::lock_guard lock(mu);
    --in_flight;
  }
};

ChatServer::ChatServer() : state_(std::make_unique<State>()) {
  State& state = *state_;
  // One request a connection: a kept-alive idle connection would hold the destructor until
  // the keep-alive timeout.
  state.server.set_keep_alive_max_count(1);
  state.server.new_task_queue = [] { return new httplib::ThreadPool(16); };
  state.server.Post(
      "/v1/chat/completions",
      [&state](const httplib::Request& req, httplib::Response& res) { state.Serve(req, res); });
  state.port = state.server.bind_to_any_port("127.0.0.1");
  if (state.port <= 0) {
    state.port = -1;
    return;
  }
  // The socket listens from here on: connections made before the thread runs wait in the
  // backlog.
  state.thread = std::thread([&state] {
    state.server.listen_after_bind();
    state.listen_returned = true;
  });
}

ChatServer::~ChatServer() {
  State& state = *state_;
  {
    std::lock_guard lock(state.mu);
    state.stopping = true;
  }
  state.stopping_cv.notify_all();
  if (!state.thread.joinable()) return;
  // stop() is a no-op until the accept loop has started; wait for it so the join ends.
  while (!state.server.is_running() && !state.listen_returned) std::this_thread::yield();
  state.server.stop();
  state.thread.join();
}

int ChatServer::port() const { return state_->port; }

std::string ChatServer::base_url() const {
  return "http://127.0.0.1:" + std::to_string(state_->port) + "/v1";
}

void ChatServer::Push(ChatReply reply) {
  std::lock_guard lock(state_->mu);
  state_->queue.push_back(std::move(reply));
}

void ChatServer::SetResponder(std::function<ChatReply(const RecordedRequest&)> responder) {
  std::lock_guard lock(state_->mu);
  state_->responder = std::move(responder);
}

std::vector<RecordedRequest> ChatServer::requests() const {
  std::lock_guard lock(state_->mu);
  return state_->requests;
}

size_t ChatServer::max_in_flight() const {
  std::lock_guard lock(state_->mu);
  return state_->max_in_flight;
}

}  // namespace slipway::testing
