/**
 * How busy each GPU instance is over time: the pool's health probe, sampled at a fixed interval.
 * The time since the previous sample counts as busy when the instance was running a prompt at the
 * sample; the ratio is taken over a sliding window.
 */
import type { InstancePool } from "../../activities/instancePool";

interface Sample {
  at: number;
  seconds: number;
  busy: boolean;
}

export interface InstanceLoad {
  busySeconds: number;
  /** Busy share of the sampled time in the window, 0..1; undefined before the first interval. */
  busyRatio?: number;
}

export function createInstanceSampler(pool: InstancePool, opts: { intervalMs: number; windowMs: number }) {
  const history = new Map<string, Sample[]>(pool.instances.map((i) => [i.name, []]));
  const busyTotal = new Map<string, number>(pool.instances.map((i) => [i.name, 0]));
  let lastAt: number | undefined;
  let timer: ReturnType<typeof setInterval> | undefined;
  let sampling = false;

  async function sample(): Promise<void> {
    // A probe can take longer than the interval (an instance not answering): never stack them.
    if (sampling) return;
    sampling = true;
    try {
      const health = await pool.snapshot();
      const now = Date.now();
      const seconds = lastAt === undefined ? 0 : (now - lastAt) / 1000;
      lastAt = now;
      pool.instances.forEach((instance, i) => {
        const h = health[i];
        const busy = !!h?.healthy && h.queueRunning > 0;
        if (busy) busyTotal.set(instance.name, (busyTotal.get(instance.name) ?? 0) + seconds);
        const samples = history.get(instance.name)!;
        samples.push({ at: now, seconds, busy });
        while (samples.length && samples[0]!.at < now - opts.windowMs) samples.shift();
      });
    } finally {
      sampling = false;
    }
  }

  return {
    start(): void {
      if (timer) return;
      void sample();
      timer = setInterval(() => void sample(), opts.intervalMs);
      (timer as { unref?: () => void }).unref?.();
    },
    stop(): void {
      clearInterval(timer);
      timer = undefined;
    },
    load(name: string): InstanceLoad {
      const samples = history.get(name) ?? [];
      const total = samples.reduce((s, x) => s + x.seconds, 0);
      const busy = samples.reduce((s, x) => s + (x.busy ? x.seconds : 0), 0);
      return { busySeconds: busyTotal.get(name) ?? 0, busyRatio: total > 0 ? busy / total : undefined };
    },
  };
}
