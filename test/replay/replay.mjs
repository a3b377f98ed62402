// Replays every committed history against the current workflow code. Plain JavaScript so the same
// file runs under Node (`node test/replay/replay.mjs`) and under Bun: histories recorded on one
// runtime must replay on the other. With `--tracing` the bundle also holds OpenTelemetry's workflow
// interceptors, as a worker's does when traces are exported: they must not change a single command.
import fs from "node:fs";
import { createRequire } from "node:module";
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
const tracing = process.argv.includes("--tracing");
const require = createRequire(import.meta.url);
const workflowBundle = await bundleWorkflowCode({
  workflowsPath: path.resolve(here, "../../workflows/index.ts"),
  workflowInterceptorModules: tracing ? [require.resolve("@temporalio/interceptors-opentelemetry/lib/workflow-interceptors")] : [],
  logger: silent,
});
let sinks;
if (tracing) {
  const { makeWorkflowExporter } = await import("@temporalio/interceptors-opentelemetry");
  const { InMemorySpanExporter, SimpleSpanProcessor } = await import("@opentelemetry/sdk-trace-base");
  const { Resource } = await import("@opentelemetry/resources");
  sinks = { exporter: makeWorkflowExporter(new SimpleSpanProcessor(new InMemorySpanExporter()), new Resource({ "service.name": "replay" })) };
}
const histories = files.map((f) => ({
  workflowId: f.replace(/\.json$/, ""),
  history: historyFromJSON(JSON.parse(fs.readFileSync(path.join(dir, f), "utf8"))),
}));
let failed = 0;
for await (const result of Worker.runReplayHistories({ workflowBundle, replayName: "committed-histories", ...(sinks ? { sinks } : {}) }, histories)) {
  if (result.error) {
    failed++;
    console.error(`REPLAY FAILED ${result.workflowId}: ${result.error.message ?? result.error}`);
  } else {
    console.log(`replayed ${result.workflowId}`);
  }
}
console.log(`${files.length - failed}/${files.length} histories replayed on ${typeof Bun === "undefined" ? `node ${process.version}` : `bun ${Bun.version}`}${tracing ? " with the tracing interceptors" : ""}`);
process.exit(failed ? 1 : 0);
