// A chat-completions server on loopback for tests: it answers POST /v1/chat/completions with
// replies the test scripts, records every request, and can delay, fail or garble answers so
// that a client's retries, timeouts and limits are exercised over real HTTP.
//
// Threading: every method is thread-safe. Requests are served on the server's own threads,
// several at once; a responder set with SetResponder is called on those threads,
// concurrently when requests overlap. The destructor stops serving promptly, cutting short
// any reply still waiting out its delay (that request gets a 503).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace slipway::testing {

struct RecordedRequest {
  std::string method;
  std::string path;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
};

struct ChatReply {
  int status = 200;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  std::chrono::milliseconds delay{0};  // before the answer is sent
};

// A well-formed chat.completion answer: one choice with `content`, finish_reason "stop".
ChatReply Completion(std::string content, uint64_t prompt_tokens = 10,
                     uint64_t completion_tokens = 20, std::string model = "test-model");

// An OpenAI-style error answer: {"error":{"message":...,"type":...,"param":null,"code":null}}.
ChatReply ApiError(int status, std::string message,
                   std::vector<std::pair<std::string, std::string>> headers = {});

class ChatServer {
 public:
  // Binds 127.0.0.1 on a free port and starts serving; port() is -1 if binding failed.
  ChatServer();
  ChatServer(const ChatServer&) = delete;
  ChatServer& operator=(const ChatServer&) = delete;
  ~ChatServer();

  int port() const;
  std::string base_url() const;  // "http://127.0.0.1:<port>/v1"

  // Queues a reply; queued replies answer requests in order.
  void Push(ChatReply reply);
  // Answers requests when the queue is empty; by default a 500 "no reply scripted".
  void SetResponder(std::function<ChatReply(const RecordedRequest&)> responder);

  std::vector<RecordedRequest> requests() const;  // every request served, in arrival order
  size_t max_in_flight() const;  // the most requests seen being answered at the same time

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace slipway::testing
