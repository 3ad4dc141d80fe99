#include "tests/harness/traffic.h"

#include <httplib.h>

#include <algorithm>
#include <chrono>
#include <utility>

namespace slipway::testing {

Traffic::Traffic(std::string host, int port, int rate_per_second)
    : host_(std::move(host)), port_(port), rate_per_second_(std::max(1, rate_per_second)) {
  thread_ = std::thread([this] { Run(); });
}

Traffic::~Traffic() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void Traffic::Run() {
  using Clock = std::chrono::steady_clock;
  const auto period = std::chrono::microseconds(1'000'000 / rate_per_second_);
  httplib::Client client(host_, port_);
  client.set_connection_timeout(std::chrono::seconds(1));
  client.set_read_timeout(std::chrono::seconds(5));
  client.set_keep_alive(false);
  Clock::time_point next = Clock::now();
  while (true) {
    {
      std::unique_lock lock(mu_);
      if (wake_.wait_until(lock, next, [this] { return stopping_; })) return;
    }
    Answer answer;
    if (httplib::Result result = client.Get("/")) {
      answer.status = result->status;
      answer.version = result->get_header_value("X-Version");
    }
    {
      std::lock_guard lock(mu_);
      answers_.push_back(std::move(answer));
    }
    // A slow answer delays the next request rather than causing a burst after it.
    next = std::max(next + period, Clock::now());
  }
}

Traffic::Tally Traffic::Count(size_t from) const {
  Tally tally;
  for (size_t i = from; i < answers_.size(); ++i) {
    const Answer& answer = answers_[i];
    if (answer.status == 0) {
      ++tally.failed;
      continue;
    }
    if (!answer.version.empty()) ++tally.by_version[answer.version];
    ++(answer.status >= 200 && answer.status < 300 ? tally.ok : tally.errors);
  }
  return tally;
}

Traffic::Tally Traffic::Since(int64_t mark) const {
  std::lock_guard lock(mu_);
  return Count(
      static_cast<size_t>(std::clamp<int64_t>(mark, 0, static_cast<int64_t>(answers_.size()))));
}

int64_t Traffic::Mark() const {
  std::lock_guard lock(mu_);
  return static_cast<int64_t>(answers_.size());
}

Traffic::Tally Traffic::Last(int n) const {
  std::lock_guard lock(mu_);
  const size_t count = static_cast<size_t>(std::max(0, n));
  return Count(answers_.size() - std::min(count, answers_.size()));
}

}  // namespace slipway::testing
