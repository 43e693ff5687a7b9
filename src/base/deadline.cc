#include "base/deadline.h"

#include <cmath>
#include <cstdio>

namespace infertune {

ProbeRunner::ProbeRunner(double timeout_s)
    : timeout_s_(timeout_s > 0 ? timeout_s : 5.0), state_(std::make_shared<State>()) {}

ProbeRunner::~ProbeRunner() {
  if (!worker_.joinable()) return;
  {
    std::lock_guard<std::mutex> lock(state_->m);
    state_->stop = true;
  }
  state_->cv.notify_all();
  worker_.join();
}

void ProbeRunner::worker_loop(std::shared_ptr<State> st) {
  std::unique_lock<std::mutex> lock(st->m);
  for (;;) {
    st->cv.wait(lock, [&] { return st->stop || !st->jobs.empty(); });
    if (st->jobs.empty()) return;  // stop requested and nothing left
    std::function<void(std::mutex&)> job = std::move(st->jobs.front());
    st->jobs.pop_front();
    lock.unlock();
    job(st->m);  // may block for a long time: the caller may have given up on it
    lock.lock();
    st->cv.notify_all();
    if (st->stop) return;
  }
}

bool ProbeRunner::submit_and_wait(const std::string& what, std::function<void(std::mutex&)> job,
                                  std::function<bool()> finished) {
  if (!worker_.joinable()) worker_ = std::thread(worker_loop, state_);
  std::unique_lock<std::mutex> lock(state_->m);
  // The job writes its result under the lock, so `finished` (read under the lock) sees it completely.
  state_->jobs.push_back(std::move(job));
  state_->cv.notify_all();
  auto deadline = std::chrono::steady_clock::now() + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                                         std::chrono::duration<double>(timeout_s_));
  bool ok = state_->cv.wait_until(lock, deadline, finished);
  if (ok) return true;
  // Abandon the worker: it exits when (if ever) the call returns; everything it touches is shared.
  state_->stop = true;
  state_->jobs.clear();
  lock.unlock();
  worker_.detach();
  stuck_call_ = what;
  return false;
}

std::string format_timeout(double seconds) {
  char buf[32];
  if (std::fabs(seconds - std::round(seconds)) < 1e-9) {
    std::snprintf(buf, sizeof buf, "%.0f s", seconds);
  } else {
    std::snprintf(buf, sizeof buf, "%g s", seconds);
  }
  return buf;
}

}  // namespace infertune
