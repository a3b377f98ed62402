/**
 * Which ComfyUI instance gets the next job: a healthy one with the shortest queue. Health comes from
 * ComfyUI's own `/system_stats` and `/queue`, cached briefly so a burst of jobs does not probe the
 * pool once per job; jobs handed out since the last probe count as queued, so a burst spreads out.
 */
import type { ComfyInstance } from "../lib/config";
import { probeInstance } from "./comfyui/health";

export type InstanceHealth = Awaited<ReturnType<typeof probeInstance>>;

export interface PickedInstance {
  name: string;
  url: string;
}

export function createInstancePool(instances: ComfyInstance[], opts: { probeTtlMs?: number; probeTimeoutMs?: number } = {}) {
  const ttl = opts.probeTtlMs ?? 500;
  const cache = new Map<string, { at: number; health: Promise<InstanceHealth> }>();
  const handedOut = new Map<string, number>();

  function health(instance: ComfyInstance): Promise<InstanceHealth> {
    const hit = cache.get(instance.name);
    if (hit && Date.now() - hit.at < ttl) return hit.health;
    const probe = probeInstance(instance, opts.probeTimeoutMs ?? 2000);
    cache.set(instance.name, { at: Date.now(), health: probe });
    handedOut.set(instance.name, 0);
    return probe;
  }

  return {
    instances,
    /** Current health of every instance (for GET /v1/instances). */
    async snapshot(): Promise<InstanceHealth[]> {
      return Promise.all(instances.map(health));
    },
    /** Activity: the least-loaded healthy instance not in `exclude`, or null when there is none. */
    async pickInstance(input: { exclude: string[] }): Promise<PickedInstance | null> {
      const candidates = instances.filter((i) => !input.exclude.includes(i.name));
      const probed = await Promise.all(candidates.map(async (i) => ({ instance: i, health: await health(i) })));
      let best: { instance: ComfyInstance; load: number } | undefined;
      for (const { instance, health: h } of probed) {
        if (!h.healthy) continue;
        const load = h.queueRunning + h.queuePending + (handedOut.get(instance.name) ?? 0);
        if (!best || load < best.load) best = { instance, load };
      }
      if (!best) return null;
      handedOut.set(best.instance.name, (handedOut.get(best.instance.name) ?? 0) + 1);
      return { name: best.instance.name, url: best.instance.url };
    },
  };
}

export type InstancePool = ReturnType<typeof createInstancePool>;
