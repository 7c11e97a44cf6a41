#include "pool.h"

#include <algorithm>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <vector>

namespace clipcl {
namespace {

struct Pool {
  std::mutex mu;
  std::condition_variable wake;
  std::condition_variable done;
  std::vector<std::thread> workers;
  const std::function<void(std::size_t, std::size_t)>* job = nullptr;
  std::size_t total = 0;
  int chunks = 1;
  unsigned long generation = 0;
  int pending = 0;
  int threads = 1;
  bool stop = false;

  Pool() {
    int n = static_cast<int>(std::thread::hardware_concurrency());
    if (const char* env = std::getenv("CLIPCL_THREADS")) n = std::atoi(env);
    threads = std::max(1, std::min(n, 64));
  }

  ~Pool() {
    {
      std::lock_guard<std::mutex> lock(mu);
      stop = true;
    }
    wake.notify_all();
    for (auto& t : workers) t.join();
  }

  void ensure_workers(int n) {
    while (static_cast<int>(workers.size()) < n - 1) {
      int index = static_cast<int>(workers.size()) + 1;
      workers.emplace_back([this, index] { loop(index); });
    }
  }

  void run_chunk(int index) {
    std::size_t begin = total * index / chunks;
    std::size_t end = total * (index + 1) / chunks;
    if (begin < end) (*job)(begin, end);
  }

  void loop(int index) {
    unsigned long seen = 0;
    for (;;) {
      {
        std::unique_lock<std::mutex> lock(mu);
        wake.wait(lock, [&] { return stop || generation != seen; });
        if (stop) return;
        seen = generation;
        if (index >= chunks) continue;
      }
      run_chunk(index);
      {
        std::lock_guard<std::mutex> lock(mu);
        if (--pending == 0) done.notify_one();
      }
    }
  }
};

Pool& pool() {
  // Leaked on purpose: joining threads from a static destructor at process
  // exit can deadlock inside Node's shutdown.
  static Pool* p = new Pool();
  return *p;
}

}  // namespace

int pool_threads() { return pool().threads; }

void pool_set_threads(int n) { pool().threads = std::max(1, std::min(n, 64)); }

void parallel_for(std::size_t total, std::size_t grain, const std::function<void(std::size_t, std::size_t)>& fn) {
  Pool& p = pool();
  int n = p.threads;
  if (grain == 0) grain = 1;
  n = static_cast<int>(std::min<std::size_t>(n, total / grain));
  if (n <= 1) {
    if (total > 0) fn(0, total);
    return;
  }
  p.ensure_workers(n);
  {
    std::lock_guard<std::mutex> lock(p.mu);
    p.job = &fn;
    p.total = total;
    p.chunks = n;
    p.pending = n - 1;
    ++p.generation;
  }
  p.wake.notify_all();
  p.run_chunk(0);
  std::unique_lock<std::mutex> lock(p.mu);
  p.done.wait(lock, [&] { return p.pending == 0; });
  p.job = nullptr;
}

}  // namespace clipcl
