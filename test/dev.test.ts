/**
 * `./darkroom dev` as a person runs it: one quiet banner whose links and copy-paste commands work,
 * a clear refusal when a port is taken, and nothing left running after Ctrl-C/SIGTERM or after a
 * failed start (a Temporal dev server left behind would hold its ports until someone finds it).
 *
 * Each run gets its own ports and data folder and its own process group, so "nothing left behind"
 * is checked both by the group being empty and by every port being free again.
 */
import { afterAll, describe, expect, test, setDefaultTimeout } from "bun:test";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { freePort } from "../lib/temporal/devServer";
import { portHolder } from "../cli/ports";

setDefaultTimeout(180_000);

const ROOT = path.resolve(import.meta.dir, "..");
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

interface DevRun {
  child: ChildProcess;
  ports: Record<string, number>;
  out: () => string;
  err: () => string;
  exited: Promise<number | null>;
}

async function startDev(extraEnv: Record<string, string> = {}): Promise<DevRun> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "darkroom-dev-"));
  dirs.push(dataDir);
  const ports = {
    api: await freePort(),
    temporal: await freePort(),
    temporalUi: await freePort(),
    comfy: await freePort(),
    telegram: await freePort(),
  };
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    // A developer's own settings would point dev at other servers; this run must start its own.
    if (v !== undefined && !/^(TEMPORAL_ADDRESS|COMFYUI_INSTANCES|DATABASE_URL|DARKROOM_API_KEYS|DARKROOM_PUBLIC_URL|TELEGRAM_|LLM_BASE_URL)/.test(k)) env[k] = v;
  }
  Object.assign(env, {
    DARKROOM_DATA_DIR: dataDir,
    PORT: String(ports.api),
    TEMPORAL_PORT: String(ports.temporal),
    TEMPORAL_UI_PORT: String(ports.temporalUi),
    COMFYUI_SIM_PORT: String(ports.comfy),
    COMFYUI_SIM_INSTANCES: "1",
    COMFYUI_SIM_STEPS: "4",
    COMFYUI_SIM_STEP_MS: "20",
    TELEGRAM_SIM_PORT: String(ports.telegram),
    ...extraEnv,
  });
  // Its own process group (pgid = pid), so everything it starts can be found afterwards.
  const child = spawn(path.join(ROOT, "darkroom"), ["dev"], { cwd: ROOT, env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (err += d));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { child, ports, out: () => out, err: () => err, exited };
}

async function until(what: string, check: () => boolean | Promise<boolean>, run?: DevRun) {
  const deadline = Date.now() + 150_000;
  while (Date.now() < deadline) {
    if (await check()) return;
    await Bun.sleep(100);
  }
  throw new Error(`timed out waiting for ${what}${run ? `\nstdout:\n${run.out()}\nstderr:\n${run.err()}` : ""}`);
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/** What is still running in the group, for a readable failure. */
function groupMembers(pgid: number): string {
  const ps = spawnSync("ps", ["-o", "pid,pgid,args", "-g", String(pgid)], { encoding: "utf8" });
  return ps.stdout ?? "";
}

async function expectNothingLeft(run: DevRun) {
  const pgid = run.child.pid!;
  // Stopping takes a moment (workers drain, the Temporal server shuts down); wait, then judge.
  await until("the process group to empty", () => !groupAlive(pgid)).catch(() => {});
  expect(groupMembers(pgid).split("\n").filter((l) => l.trim() && !l.includes("PGID"))).toEqual([]);
  for (const [what, port] of Object.entries(run.ports)) {
    expect({ what, port, holder: await portHolder(port) }).toEqual({ what, port, holder: undefined });
  }
}

function killGroup(run: DevRun) {
  try {
    process.kill(-run.child.pid!, "SIGKILL");
  } catch {}
}

describe("./darkroom dev", () => {
  test("one quiet banner whose links and curl commands work; SIGTERM stops everything it started", async () => {
    const run = await startDev();
    try {
      await until("the banner", () => run.out().includes("Try it:") || run.child.exitCode !== null, run);
      const banner = run.out();
      const { api, temporalUi, comfy, telegram } = run.ports;
      const key = /API key\s+(\S+)/.exec(banner)?.[1];
      expect(key).toBeTruthy();
      for (const url of [
        `http://localhost:${api}`,
        `http://localhost:${api}/openapi`,
        `http://localhost:${api}/demo?key=`,
        `http://localhost:${temporalUi}`,
        `http://127.0.0.1:${comfy}`,
        `http://127.0.0.1:${telegram}`,
      ]) {
        expect(banner).toContain(url);
      }
      // Nothing but the banner: no SDK notices, no per-worker warnings, no stack traces.
      expect(run.err()).toBe("");
      expect(banner).not.toContain("promiseHooks");
      expect(banner).not.toContain("No workflows registered");

      // Every link in the banner answers; the pages a person opens answer with the page.
      const links = [...banner.slice(0, banner.indexOf("Try it:")).matchAll(/https?:\/\/[^\s)]+/g)].map((m) => m[0].replace(/;$/, ""));
      for (const link of new Set(links)) {
        const res = await fetch(link);
        const page = /\/(openapi|demo\?|received)/.test(link) || link === `http://localhost:${temporalUi}`;
        expect({ link, ok: page ? res.status === 200 : res.status < 500 }).toEqual({ link, ok: true });
      }
      const received = await (await fetch(`http://127.0.0.1:${telegram}/received`)).json();
      expect(received).toEqual({ photos: [], messages: [], chatActions: [] });
      expect((await fetch(`http://localhost:${temporalUi}`)).status).toBe(200);

      // The two copy-paste commands, exactly as printed, make a companion photo and read it back.
      const tryIt = banner.slice(banner.indexOf("Try it:")).split("\n").slice(1).join("\n").trim();
      const shell = spawnSync("bash", ["-c", tryIt], { encoding: "utf8" });
      expect(shell.status).toBe(0);
      const generation = JSON.parse(shell.stdout);
      expect(generation.id).toMatch(/\S/);
      expect(["pending", "queued", "generating", "completed"]).toContain(generation.status);

      run.child.kill("SIGTERM");
      expect(await run.exited).toBe(0);
      await expectNothingLeft(run);
      expect(run.err()).not.toContain("Error");
    } finally {
      killGroup(run);
    }
  });

  test("SIGTERM while it is still starting stops what had started", async () => {
    const run = await startDev();
    try {
      // The Temporal dev server is up, the rest is still starting: the moment a person gives up.
      await until("the Temporal dev server", async () => (await portHolder(run.ports.temporal!)) !== undefined || run.child.exitCode !== null, run);
      expect(run.out()).not.toContain("darkroom dev is running");
      run.child.kill("SIGTERM");
      await run.exited;
      await expectNothingLeft(run);
    } finally {
      killGroup(run);
    }
  });

  test("a broken COMFYUI_DEFAULT_TEMPLATE fails the start and leaves nothing running", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "darkroom-dev-template-"));
    dirs.push(dir);
    const template = path.join(dir, "broken.json");
    fs.writeFileSync(template, "{ this is not JSON");
    const run = await startDev({ COMFYUI_DEFAULT_TEMPLATE: template });
    try {
      const code = await run.exited;
      expect(code).not.toBe(0);
      expect(run.err()).toContain("could not start");
      expect(run.err()).toContain(template);
      await expectNothingLeft(run);
    } finally {
      killGroup(run);
    }
  });

  test("a taken port is named with the process holding it, and nothing starts", async () => {
    const blocker = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response("someone else") });
    const run = await startDev({ TEMPORAL_UI_PORT: String(blocker.port) });
    try {
      const code = await run.exited;
      expect(code).toBe(1);
      const err = run.err();
      expect(err).toContain(`port ${blocker.port} (the Temporal Web UI) is in use by process ${process.pid}`);
      expect(err).toContain("TEMPORAL_UI_PORT");
      // It did not move to another port: nothing was started at all.
      expect(run.out()).not.toContain("darkroom dev is running");
      delete (run.ports as Record<string, number>).temporalUi;
      await expectNothingLeft(run);
    } finally {
      blocker.stop(true);
      killGroup(run);
    }
  });
});

describe("./darkroom command line", () => {
  const cli = (...args: string[]) => spawnSync(path.join(ROOT, "darkroom"), args, { cwd: ROOT, encoding: "utf8", env: { ...process.env, DARKROOM_DATA_DIR: fs.mkdtempSync(path.join(os.tmpdir(), "darkroom-cli-")) } });

  test("--help lists every command with one line each", () => {
    const help = cli("--help");
    expect(help.status).toBe(0);
    for (const command of ["dev", "test", "bench", "keys create --tenant NAME", "api", "worker [--gpu NAME]", "simulator"]) {
      expect(help.stdout).toMatch(new RegExp(`^  ${command.replace(/[[\]]/g, "\\$&")}\\s+\\S`, "m"));
    }
  });

  test("<command> --help lists the command's options", () => {
    const worker = cli("worker", "--help");
    expect(worker.status).toBe(0);
    expect(worker.stdout).toMatch(/^  --gpu NAME\s+\S/m);
    expect(worker.stdout).toMatch(/^  --help, -h\s+\S/m);
    const keys = cli("keys", "--help");
    expect(keys.stdout).toMatch(/^  --tenant NAME\s+\S/m);
    expect(cli("test", "--help").stdout).toContain("usage: ./darkroom test");
  });

  test("an unknown option or command is a clear error with exit code 2", () => {
    const option = cli("worker", "--gpuu", "gpu0");
    expect(option.status).toBe(2);
    expect(option.stderr).toContain("Unknown option '--gpuu'");
    expect(option.stderr).toContain("./darkroom worker --help");
    const command = cli("frobnicate");
    expect(command.status).toBe(2);
    expect(command.stderr).toContain('unknown command "frobnicate"');
    const missing = cli("keys", "create");
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain("--tenant");
  });

  test("keys create --tenant prints a new key", () => {
    const key = cli("keys", "create", "--tenant", "acme");
    expect(key.status).toBe(0);
    expect(key.stdout.trim()).toMatch(/^\S{20,}$/);
  });

  test("tenants set stores a tenant's daily quotas; keys create can set them too; default goes back", () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "darkroom-cli-"));
    const run = (...args: string[]) =>
      spawnSync(path.join(ROOT, "darkroom"), args, { cwd: ROOT, encoding: "utf8", env: { ...process.env, DARKROOM_DATA_DIR: dataDir, DARKROOM_QUOTA_TENANT_DAY: "900" } });
    const key = run("keys", "create", "--tenant", "beta", "--images-per-user-per-day", "12");
    expect(key.status).toBe(0);
    expect(key.stdout.trim()).toMatch(/^\S{20,}$/);
    const set = run("tenants", "set", "--tenant", "beta", "--images-per-tenant-per-day", "300", "--max-concurrent-per-user", "3");
    expect(set.status).toBe(0);
    expect(set.stdout).toMatch(/^  images per user per day\s+12$/m);
    expect(set.stdout).toMatch(/^  images per tenant per day\s+300$/m);
    expect(set.stdout).toMatch(/^  max concurrent per user\s+3$/m);
    const back = run("tenants", "set", "--tenant", "beta", "--images-per-tenant-per-day", "default");
    expect(back.stdout).toMatch(/^  images per tenant per day\s+default \(900\)$/m);
    expect(back.stdout).toMatch(/^  images per user per day\s+12$/m);
    const bad = run("tenants", "set", "--tenant", "beta", "--images-per-user-per-day", "lots");
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain("--images-per-user-per-day must be a whole number");
    expect(run("tenants", "set", "--tenant", "beta").status).toBe(2);
    const unknown = run("tenants", "set", "--tenant", "nobody", "--images-per-user-per-day", "3");
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toContain('no tenant named "nobody"');
  });
});
