/**
 * A pool of simulated ComfyUI servers for dev mode and integration tests: real HTTP and WebSocket
 * on real ports, real PNGs, and knobs for the failures real GPU boxes produce. Each instance speaks
 * ComfyUI 0.3.64 as recorded in test/fixtures/comfyui-0.3.64, awkward parts included: progress_state
 * frames, the feature_flags handshake and event 4 previews, the node cache (an identical re-run
 * runs nothing), client_id addressing, a same-clientId reconnect that goes deaf, a restart that
 * forgets everything. `jobsApi` adds the job routes of later builds.
 */
import path from "node:path";
import { SimulatedComfyInstance } from "./instance";
import type { ComfySimulator, ComfySimulatorOptions } from "./types";

export type { ComfySimulator, ComfySimulatorOptions, InjectedFailure, SimInstance, SimRun, RunOutcome } from "./types";

export async function startComfySimulator(opts: ComfySimulatorOptions): Promise<ComfySimulator> {
  const host = opts.host ?? "127.0.0.1";
  const instances: SimulatedComfyInstance[] = [];
  try {
    for (let index = 0; index < opts.instances; index++) {
      const instance = new SimulatedComfyInstance({
        index,
        port: opts.basePort ? opts.basePort + index : 0,
        host,
        root: path.join(opts.outputDir, `comfy${index}`),
        steps: opts.steps,
        stepMs: opts.stepMs,
        // Upstream 0.3.64 on CPU records history well under a millisecond after execution_success
        // (0.05–0.6 ms measured); tests that need the lag visible ask for more.
        historyDelayMs: opts.historyDelayMs ?? 1,
        jobsApi: opts.jobsApi ?? false,
        modelLoadMs: opts.modelLoadMs ?? 0,
        modelsInVram: opts.modelsInVram ?? 1,
      });
      await instance.up();
      instances.push(instance);
    }
  } catch (ex) {
    await Promise.all(instances.map((instance) => instance.down()));
    throw ex;
  }
  return {
    instances,
    stop: async () => {
      await Promise.all(instances.map((instance) => instance.down()));
    },
  };
}
