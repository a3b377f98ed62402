// Replays every committed history against the current workflow code. Plain JavaScript so the same
// file runs under Node (`node test/replay/replay.mjs`) and under Bun: histories recorded on one
// runtime must replay on the other.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Worker, bundleWorkflowCode } from "@temporalio/worker";
import { historyFromJSON } from "@temporalio/common/lib/proto-utils.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const dir = path.resolve(here, "../histories");
const files = fs.readdirSync(dir).filter((f) => f.endsWith(".json")).sort();
if (files.length === 0) {
  console.error(`no histories in ${dir}`);
  process.exit(1);
}
const silent = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error: console.error };
const workflowBundle = await bundleWorkflowCode({ workflowsPath: path.resolve(here, "../../workflows/index.ts"), logger: silent });
const histories = files.map((f) => ({
  workflowId: f.replace(/\.json$/, ""),
  history: historyFromJSON(JSON.parse(fs.readFileSync(path.join(dir, f), "utf8"))),
}));
let failed = 0;
for await (const result of Worker.runReplayHistories({ workflowBundle, replayName: "committed-histories" }, histories)) {
  if (result.error) {
    failed++;
    console.error(`REPLAY FAILED ${result.workflowId}: ${result.error.message ?? result.error}`);
  } else {
    console.log(`replayed ${result.workflowId}`);
  }
}
console.log(`${files.length - failed}/${files.length} histories replayed on ${typeof Bun === "undefined" ? `node ${process.version}` : `bun ${Bun.version}`}`);
process.exit(failed ? 1 : 0);
