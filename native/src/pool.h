// A tiny fork-join pool: the caller runs chunk 0, persistent workers run the
// rest. Workers sleep on a condition variable (no spinning) so they never
// compete with OpenBLAS's own threads for the two cores between calls.
#pragma once
#include <cstddef>
#include <functional>

namespace clipcl {

/** Number of threads element-wise kernels split work across (>= 1). */
int pool_threads();
void pool_set_threads(int n);

/**
 * Runs fn(begin, end) over [0, total) in up to pool_threads() contiguous
 * chunks. Work below `grain` items runs on the calling thread only: waking a
 * worker costs tens of microseconds, more than a small op takes.
 */
void parallel_for(std::size_t total, std::size_t grain, const std::function<void(std::size_t, std::size_t)>& fn);

}  // namespace clipcl
