// Steady load on one HTTP endpoint, for tests that watch a rollout from the user's side: which
// version answered, and how often it failed.
//
// Traffic sends GET / to host:port at about `rate_per_second` from its own thread, one request
// at a time and a new connection each (no burst to catch up when the service is slow), and
// keeps every answer in order. The destructor stops it, waiting for the request in flight (at
// most its 5 s read timeout). The accessors may be called from any thread.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace slipway::testing {

class Traffic {
 public:
  Traffic(std::string host, int port, int rate_per_second = 50);
  Traffic(const Traffic&) = delete;
  Traffic& operator=(const Traffic&) = delete;
  ~Traffic();

  struct Tally {
    std::map<std::string, int> by_version;  // X-Version of every answer, 5xx included
    int ok = 0;                             // 2xx
    int errors = 0;                         // any other status
    int failed = 0;                         // no answer (refused, reset, timed out)
    int total() const { return ok + errors + failed; }
  };

  // The answers after `mark` (a value of Mark()), in all.
  Tally Since(int64_t mark) const;
  // The number of answers so far: Since(Mark()) counts only what comes next.
  int64_t Mark() const;
  // The last `n` answers (fewer when there are not as many yet).
  Tally Last(int n) const;

 private:
  struct Answer {
    int status = 0;  // 0: no answer
    std::string version;
  };

  void Run();
  Tally Count(size_t from) const;  // called with mu_ held

  const std::string host_;
  const int port_;
  const int rate_per_second_;
  mutable std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;        // guarded by mu_
  std::vector<Answer> answers_;  // guarded by mu_
  std::thread thread_;
};

}  // namespace slipway::testing
