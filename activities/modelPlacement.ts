/**
 * Model-aware placement: on a GPU, loading another checkpoint costs seconds (a warm page cache) to
 * a minute (slow disks), so the best instance for a job is not the one with the shortest queue
 * but the one that finishes it first — counting the swaps its queue will cause and whether the
 * job's own checkpoint will still be loaded when its turn comes. Pure: the activity feeds it what
 * the generation records say about each instance.
 */

export interface InstanceOutlook {
  name: string;
  /** Checkpoints of the jobs on the instance (running first, then waiting), in the order they run. */
  ahead: string[];
  /** Checkpoints loaded now, least recently used first. */
  loaded: string[];
}

export interface PlacementCosts {
  /** A job's GPU time without a model load. */
  jobMs: number;
  /** Loading a checkpoint that is not in VRAM. */
  swapMs: number;
  /** How many checkpoints an instance keeps loaded. */
  modelsInVram: number;
  /** How many swaps' time a swap caused by the job itself weighs extra (default SWAP_WEIGHT). */
  swapWeight?: number;
}

/**
 * How much extra a swap caused by the job itself weighs in the choice (see chooseByModel): one
 * reload of the checkpoint it evicts, and more for the swaps that spreading checkpoints thin over
 * the pool brings later. Chosen with `bun bench/placementWeights.ts` (40 random bursts of 4
 * checkpoints over 3 instances for each of 5 swap-to-job ratios and 3 burst sizes), against the 2
 * used before: 3 shortens the makespan more on bursts of 36 and 100 jobs (27.5% against 25.7%
 * shorter than least-loaded with a swap as long as a job and 36 jobs), and less on a burst of 12
 * with swaps half a job long (6.7% against 9.3%); averaged over every case, 25.9% against 25.4%.
 * 4 gains a little more on large bursts and loses more on small ones (1.7% for 12 jobs with cheap swaps).
 */
export const SWAP_WEIGHT = 3;

/** What is loaded once the instance's queue has run. */
function afterQueue(o: InstanceOutlook, modelsInVram: number): string[] {
  const vram = [...o.loaded];
  for (const ckpt of o.ahead) {
    const at = vram.indexOf(ckpt);
    if (at >= 0) vram.splice(at, 1);
    else if (vram.length >= modelsInVram) vram.shift();
    vram.push(ckpt);
  }
  return vram;
}

/** When this instance would finish a job with `checkpoint`, and how many loads it takes to get there. */
export function finishEstimate(o: InstanceOutlook, checkpoint: string, c: PlacementCosts): { ms: number; loads: number } {
  const vram = [...o.loaded];
  let ms = 0;
  let loads = 0;
  for (const ckpt of [...o.ahead, checkpoint]) {
    const at = vram.indexOf(ckpt);
    if (at >= 0) vram.splice(at, 1);
    else {
      loads += 1;
      ms += c.swapMs;
      if (vram.length >= c.modelsInVram) vram.shift();
    }
    vram.push(ckpt);
    ms += c.jobMs;
  }
  return { ms, loads };
}

/**
 * The instance that finishes the job first, where a swap the job causes counts more than its own
 * wait: it also costs the pool (the checkpoint it evicts has to come back
 * for the next job that needs it there). Without that, a greedy choice spreads every checkpoint
 * over every instance and the pool spends its time loading. Ties go to the shorter queue.
 */
export function chooseByModel(outlooks: InstanceOutlook[], checkpoint: string, c: PlacementCosts): string | undefined {
  let best: { name: string; ms: number; queue: number } | undefined;
  for (const o of outlooks) {
    const estimate = finishEstimate(o, checkpoint, c);
    const ownLoad = afterQueue(o, c.modelsInVram).includes(checkpoint) ? 0 : 1;
    const ms = estimate.ms + (c.swapWeight ?? SWAP_WEIGHT) * ownLoad * c.swapMs;
    const better = !best || ms < best.ms || (ms === best.ms && (o.ahead.length < best.queue || (o.ahead.length === best.queue && o.name < best.name)));
    if (better) best = { name: o.name, ms, queue: o.ahead.length };
  }
  return best?.name;
}
