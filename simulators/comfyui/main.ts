/** Runs the ComfyUI simulator on its own: `bun simulators/comfyui/main.ts`. */
import path from "node:path";
import { loadConfig } from "../../lib/config";
import { startComfySimulator } from "./index";

const config = loadConfig();
const simulator = await startComfySimulator({
  instances: config.simulator.instances,
  basePort: config.simulator.port,
  host: config.simulator.host,
  steps: config.simulator.steps,
  stepMs: config.simulator.stepMs,
  outputDir: path.join(config.dataDir, "simulator"),
  // COMFYUI_SIM_JOBS_API=1 imitates a build with the job API (GET /api/jobs, /api/jobs/{id}, cancel).
  jobsApi: config.simulator.jobsApi,
  // COMFYUI_SIM_MODEL_LOAD_MS > 0 makes a checkpoint swap cost that long (COMFYUI_SIM_MODELS_IN_VRAM fit at once).
  modelLoadMs: config.simulator.modelLoadMs,
  modelsInVram: config.simulator.modelsInVram,
});
for (const instance of simulator.instances) console.log(`ComfyUI simulator ${instance.index}: ${instance.url}${config.simulator.jobsApi ? " (job API on)" : ""}`);

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await simulator.stop();
  process.exit(0);
};
process.on("SIGINT", () => void stop());
process.on("SIGTERM", () => void stop());
