/**
 * One-shot health probe of a ComfyUI instance: /system_stats (is it up, how much VRAM is free)
 * and /queue (how busy). Never throws; an unreachable instance is reported as unhealthy.
 */
import type { ComfyInstance } from "../../lib/config";
import { ComfyClient } from "./client";

export interface ComfyInstanceHealth {
  name: string;
  url: string;
  healthy: boolean;
  queueRunning: number;
  queuePending: number;
  vramFreeBytes?: number;
  error?: string;
  checkedAt: number;
}

export async function probeInstance(instance: ComfyInstance, timeoutMs = 3000): Promise<ComfyInstanceHealth> {
  // A throwaway client: a probe needs no websocket, and one quick attempt is the point.
  const client = new ComfyClient(instance, { timeoutMs, attempts: 1 });
  const base = { name: instance.name, url: client.url };
  try {
    const [stats, queue] = await Promise.all([client.systemStats(), client.queue()]);
    const vram = stats.devices.map((d) => d.vram_free).filter((v): v is number => typeof v === "number");
    return {
      ...base,
      healthy: true,
      queueRunning: queue.running.length,
      queuePending: queue.pending.length,
      vramFreeBytes: vram.length ? vram.reduce((a, b) => a + b, 0) : undefined,
      checkedAt: Date.now(),
    };
  } catch (err) {
    return { ...base, healthy: false, queueRunning: 0, queuePending: 0, error: (err as Error)?.message ?? String(err), checkedAt: Date.now() };
  } finally {
    client.close();
  }
}
