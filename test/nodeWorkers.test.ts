/**
 * The workers are not tied to Bun: the main worker (workflows + general activities) and a GPU worker
 * run under Node (through tsx, which only strips the types) and make a companion photo end to end.
 */
import { afterAll, expect, test, setDefaultTimeout } from "bun:test";
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { eventually, startStack, type Stack } from "./support/stack";

// Real servers (Temporal, PostgreSQL, simulators) start cold; `bun test` alone defaults to 5 s.
setDefaultTimeout(180_000);

const ROOT = path.resolve(import.meta.dir, "..");
const children: ChildProcess[] = [];
let stack: Stack | undefined;

afterAll(async () => {
  for (const c of children) c.kill("SIGKILL");
  await stack?.stop();
});

function nodeWorker(s: Stack, args: string[]): ChildProcess {
  const child = spawn("node", ["--import", "tsx", "cli/darkroom.ts", "worker", ...args], {
    cwd: ROOT,
    env: { ...process.env, ...s.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (d) => (output += d));
  child.stderr?.on("data", (d) => (output += d));
  child.on("exit", (code) => {
    if (code) console.error(`node worker ${args.join(" ")} exited ${code}:\n${output.slice(-3000)}`);
  });
  children.push(child);
  return child;
}

test("a companion photo made entirely by workers running on Node", async () => {
  stack = await startStack({ instances: 1, mainWorker: false, gpuWorkers: [] });
  nodeWorker(stack, []);
  nodeWorker(stack, ["--gpu", stack.instanceNames[0]!]);
  const reply = await stack.request("POST", "/v1/agents/sofia/replies", {
    userId: "node-1",
    text: "¡Dale! [IMAGE: selfie en la playa]",
    persona: { name: "Sofia", personality: "alegre", language: "es" },
  });
  expect(reply.status).toBe(200);
  const id = reply.body.generations[0].id;
  const done = await eventually(async () => {
    const g = (await stack!.request("GET", `/v1/generations/${id}`)).body;
    return ["completed", "failed"].includes(g?.status) ? g : undefined;
  }, "the photo", 120_000);
  expect({ status: done.status, error: done.errorMessage }).toEqual({ status: "completed", error: undefined });
  expect(done.images).toHaveLength(1);
  expect(children.every((c) => c.exitCode === null)).toBe(true);
});
