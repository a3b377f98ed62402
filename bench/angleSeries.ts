/**
 * Angle series: does a 3-angle series on 3 instances take about as long as one image? Runs the real
 * stack against the ComfyUI simulator with a fixed step time, and measures (request to last image
 * stored) one image, three angles on three instances, and three angles on one instance.
 */
import { startStack, type Stack } from "../test/support/stack";

const STEP_MS = 100;
const STEPS = 10;
const BMW = { brand: "BMW", model: "X5", year: 2020, color: "white", bodyType: "SUV" };

async function timeSeries(stack: Stack, nonce: string, angles: string[], extra: Record<string, unknown> = {}): Promise<number> {
  const t0 = performance.now();
  const res = await stack.request("POST", "/v1/series", { subject: BMW, nonce, angles, wait: 60, ...extra });
  const ms = performance.now() - t0;
  if (res.status !== 200 || res.body.status !== "completed") throw new Error(`series ${nonce} did not complete: ${res.status} ${JSON.stringify(res.body)}`);
  return ms;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function benchAngleSeries(): Promise<object> {
  const stack = await startStack({ instances: 3, stepMs: STEP_MS, steps: STEPS, env: { SERIES_PROVIDERS: "comfyui" } });
  const tag = Math.random().toString(36).slice(2, 8);
  const all = ["front", "side", "rear"];
  try {
    await timeSeries(stack, `warm-${tag}`, all);
    const single: number[] = [];
    const three: number[] = [];
    for (let i = 0; i < 3; i++) {
      single.push(await timeSeries(stack, `single-${tag}-${i}`, ["front"]));
      three.push(await timeSeries(stack, `three-${tag}-${i}`, all));
    }
    // "reference" consistency: the main view first, then the others from its picture.
    const reference = [await timeSeries(stack, `reference-${tag}`, all, { consistency: "reference" })];
    await stack.sim.instances[1]!.down();
    await stack.sim.instances[2]!.down();
    await Bun.sleep(600); // the pool's health cache forgets them
    const one = [await timeSeries(stack, `one-${tag}`, all)];
    const singleImageMs = Math.round(median(single));
    const threeInstancesMs = Math.round(median(three));
    return {
      stepMs: STEP_MS,
      steps: STEPS,
      singleImageMs,
      threeInstancesMs,
      oneInstanceMs: Math.round(median(one)),
      ratioToSingleImage: Math.round((threeInstancesMs / singleImageMs) * 100) / 100,
      referenceModeThreeInstancesMs: Math.round(median(reference)),
    };
  } finally {
    await stack.stop();
  }
}

if (import.meta.main) {
  console.log(JSON.stringify(await benchAngleSeries()));
  process.exit(0);
}
