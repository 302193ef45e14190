// Watches the lab's own CPU so a saturated generator is reported instead of silently under-sending.
// Node runs our JS on one thread: > 90 % of one core over a second means schedules slip.

export interface CpuWatch {
  stop(): CpuWatchResult;
}

export interface CpuWatchResult {
  cpu_s: number;
  max_core_ratio: number; // busiest 1 s window, 1.0 = one core fully busy
  saturated_s: number; // seconds whose ratio exceeded the threshold
  saturated: boolean;
}

export function watchCpu(threshold = 0.9, periodMs = 1000): CpuWatch {
  const start = process.cpuUsage();
  let last = start;
  let lastAt = performance.now();
  let max = 0;
  let saturated = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    const u = process.cpuUsage(last);
    const ratio = (u.user + u.system) / 1000 / Math.max(1, now - lastAt);
    if (ratio > max) max = ratio;
    if (ratio > threshold) saturated++;
    last = process.cpuUsage();
    lastAt = now;
  }, periodMs);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      const u = process.cpuUsage(start);
      return {
        cpu_s: Math.round((u.user + u.system) / 1e4) / 100,
        max_core_ratio: Math.round(max * 100) / 100,
        saturated_s: saturated,
        saturated: saturated >= 2,
      };
    },
  };
}
