#pragma once
// Calls that may never return, run under a deadline. A wedged GPU can block an NVML or CUDA call for minutes;
// the tool must still report. ProbeRunner runs each call on one worker thread and waits at most the timeout.
// When a call overruns, the worker is abandoned (detached, still inside the call) and the runner is "stuck":
// every later call is refused at once, since the library is most likely blocked on the same lock.
//
// Safety of the abandoned thread: it only touches state it shares by shared_ptr (the job queue and the result
// slot), so nothing it writes can be freed under it. Callers must capture by value in the function they pass
// (no references to their locals: those are gone when the abandoned call finally returns). Libraries called
// this way are never unloaded (base/dynamic_library.h).

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

namespace infertune {

class ProbeRunner {
 public:
  explicit ProbeRunner(double timeout_s);
  ~ProbeRunner();
  ProbeRunner(const ProbeRunner&) = delete;
  ProbeRunner& operator=(const ProbeRunner&) = delete;

  // Runs fn on the worker thread; its result, or nullopt when it did not finish within the timeout (the runner
  // is then stuck) or the runner was already stuck.
  template <class R>
  std::optional<R> run(const std::string& what, std::function<R()> fn) {
    if (stuck()) return std::nullopt;
    auto slot = std::make_shared<std::optional<R>>();
    bool done = submit_and_wait(
        what,
        [slot, fn = std::move(fn)](std::mutex& m) {
          R r = fn();  // outside the lock: this is the call that may block
          std::lock_guard<std::mutex> lock(m);
          *slot = std::move(r);
        },
        [slot] { return slot->has_value(); });
    if (!done) return std::nullopt;
    return std::move(*slot);
  }

  bool stuck() const { return !stuck_call_.empty(); }
  // The call that did not answer ("nvmlDeviceGetHandleByIndex"), "" when none.
  const std::string& stuck_call() const { return stuck_call_; }
  double timeout_s() const { return timeout_s_; }

 private:
  struct State {
    std::mutex m;
    std::condition_variable cv;
    std::deque<std::function<void(std::mutex&)>> jobs;
    bool stop = false;
  };
  static void worker_loop(std::shared_ptr<State> st);
  bool submit_and_wait(const std::string& what, std::function<void(std::mutex&)> job, std::function<bool()> finished);

  double timeout_s_;
  std::shared_ptr<State> state_;
  std::thread worker_;
  std::string stuck_call_;
};

// "5 s", "0.2 s": a timeout as the notes and findings print it.
std::string format_timeout(double seconds);

}  // namespace infertune
