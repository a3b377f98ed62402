/**
 * How much a swap the job itself causes should weigh in model-aware placement (`SWAP_WEIGHT`):
 * random bursts of 4 checkpoints over 3 instances (one checkpoint fits in VRAM; each instance starts
 * with a different one loaded), placed job by job by `chooseByModel` at each weight and by
 * least-loaded, then run as FIFO queues in a model of the GPU time (a job's time, plus a swap's when
 * its checkpoint is not the one loaded). Prints, per swap-to-job ratio and burst size, how much
 * shorter the makespan is than least-loaded's, averaged over the bursts. Pure arithmetic: it takes
 * a second, and the simulator-backed `bench/placement.ts` checks the chosen weight on real sockets.
 */
import { chooseByModel, SWAP_WEIGHT } from "../activities/modelPlacement";
import { CHECKPOINTS, jobMix, policies } from "./placement";

/** As in the placement bench: instance i starts with checkpoint i loaded. */
const LOADED_AT_START = CHECKPOINTS.slice(0, 3);
const BURSTS = 40;
const JOB_MS = 500;
const WEIGHTS = [0, 1, 2, 2.5, 3, 4];

function makespan(queues: string[][], swapMs: number): number {
  return Math.max(
    ...queues.map((queue, i) => {
      let loaded = LOADED_AT_START[i];
      let ms = 0;
      for (const ckpt of queue) {
        if (ckpt !== loaded) ms += swapMs;
        loaded = ckpt;
        ms += JOB_MS;
      }
      return ms;
    }),
  );
}

function place(jobs: string[], choose: (ckpt: string, queues: string[][]) => number): string[][] {
  const queues: string[][] = LOADED_AT_START.map(() => []);
  for (const ckpt of jobs) queues[choose(ckpt, queues)]!.push(ckpt);
  return queues;
}

const leastLoaded = (ckpt: string, queues: string[][]) => policies.leastLoaded!(0, ckpt, { queues, last: [] });
const byModel = (swapMs: number, swapWeight: number) => (ckpt: string, queues: string[][]) =>
  Number(chooseByModel(queues.map((ahead, i) => ({ name: String(i), ahead, loaded: [LOADED_AT_START[i]!] })), ckpt, { jobMs: JOB_MS, swapMs, modelsInVram: 1, swapWeight }));

const rows: Array<Record<string, string | number>> = [];
for (const ratio of [0.25, 0.5, 1, 2, 4]) {
  for (const jobs of [12, 36, 100]) {
    const swapMs = JOB_MS * ratio;
    const row: Record<string, string | number> = { swapToJob: ratio, jobs };
    for (const weight of WEIGHTS) {
      let shorter = 0;
      for (let b = 1; b <= BURSTS; b++) {
        const mix = jobMix(jobs, b * 7919);
        const ll = makespan(place(mix, leastLoaded), swapMs);
        shorter += (ll - makespan(place(mix, byModel(swapMs, weight)), swapMs)) / ll;
      }
      row[`weight ${weight}`] = `${((100 * shorter) / BURSTS).toFixed(1)}%`;
    }
    rows.push(row);
  }
}
console.log(`makespan shorter than least-loaded, mean of ${BURSTS} bursts (darkroom uses weight ${SWAP_WEIGHT}):`);
console.table(rows);
