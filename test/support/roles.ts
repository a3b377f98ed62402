/**
 * darkroom's production roles as their own OS processes, exactly as a deploy runs them:
 * `darkroom api`, `darkroom worker` and `darkroom worker --gpu NAME`. Every process started here is
 * SIGKILLed by `killAll` (tests call it after each test) and, should the test process die first, by
 * a watchdog outside it.
 */
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";

const ROOT = path.resolve(import.meta.dir, "../..");
const READY = /darkroom (API listening|worker polling|GPU worker for)/;

export interface RoleProcess {
  /** `api`, `worker` or `worker --gpu NAME`. */
  role: string;
  child: ChildProcess;
  /** The API's base URL (api role only). */
  url?: string;
  /** Everything it wrote to stdout and stderr (a test reads every log line). */
  output(): string;
  /** SIGKILL: no shutdown hook runs, in-flight work is simply gone (a crash, an OOM kill, a lost machine). */
  kill(): Promise<void>;
}

const live = new Set<ChildProcess>();

/** Spawns a role and resolves once it says it is up; rejects with its output if it exits first. */
export function spawnRole(args: string[], env: Record<string, string>, port?: number): Promise<RoleProcess> {
  const url = port ? `http://127.0.0.1:${port}` : undefined;
  const child = spawn(process.execPath, ["cli/darkroom.ts", ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env, ...(port ? { PORT: String(port), DARKROOM_PUBLIC_URL: url! } : {}) },
    stdio: ["ignore", "pipe", "pipe"],
  });
  live.add(child);
  const watchdog = spawn("sh", ["-c", `read _ignored; kill -9 ${child.pid} 2>/dev/null`], { detached: true, stdio: ["pipe", "ignore", "ignore"] });
  watchdog.unref();
  (watchdog.stdin as unknown as { unref?: () => void }).unref?.();
  let output = "";
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  void exited.then(() => {
    live.delete(child);
    watchdog.stdin?.end();
  });
  const role: RoleProcess = {
    role: args.join(" "),
    child,
    url,
    output: () => output,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await exited;
    },
  };
  return new Promise((resolve, reject) => {
    child.stdout!.on("data", (d: Buffer) => {
      output += d;
      if (READY.test(output)) resolve(role);
      if (process.env.DEBUG_WORKERS) process.stderr.write(d);
    });
    child.stderr!.on("data", (d: Buffer) => {
      output += d;
      if (process.env.DEBUG_WORKERS) process.stderr.write(d);
    });
    child.once("exit", (code, signal) => reject(new Error(`darkroom ${args.join(" ")} exited (${code ?? signal}) while starting:\n${output.slice(-4000)}`)));
  });
}

/** SIGKILLs every role process still running. */
export async function killAllRoles(): Promise<void> {
  await Promise.all(
    [...live].map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once("exit", () => resolve());
          child.kill("SIGKILL");
        }),
    ),
  );
}
