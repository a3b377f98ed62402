/**
 * temporal-compose.yml cannot be started here (no Docker engine), so this checks what a user would
 * otherwise only find out at `docker compose up`: dangling dependencies, a wrong command for a
 * darkroom role, env vars darkroom never reads, search attributes that drifted from the code,
 * missing mounted files, floating image tags, and an environment that darkroom's own config rejects.
 */
import { describe, expect, test, setDefaultTimeout } from "bun:test";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { loadConfig, parseComfyInstances } from "../lib/config";

// Real servers (Temporal, PostgreSQL, simulators) start cold; `bun test` alone defaults to 5 s.
setDefaultTimeout(180_000);

const root = path.resolve(import.meta.dir, "..");
const read = (rel: string) => fs.readFileSync(path.join(root, rel), "utf8");

type Service = {
  image?: string;
  build?: string | { context?: string; dockerfile?: string };
  command?: string | string[];
  entrypoint?: string | string[];
  environment?: Record<string, string | number | boolean | null> | string[];
  depends_on?: string[] | Record<string, { condition?: string; required?: boolean }>;
  ports?: Array<string | { target: number; published?: string | number }>;
  volumes?: Array<string | { type?: string; source?: string; target: string }>;
  profiles?: string[];
  healthcheck?: { test: string | string[] };
};
type Compose = { services: Record<string, Service>; volumes?: Record<string, unknown> };

const compose = Bun.YAML.parse(read("temporal-compose.yml")) as Compose;
const services = compose.services;

/** Compose's variable interpolation, as a user with an empty environment gets it. */
function interpolate(value: string, vars: Record<string, string> = {}): string {
  return value.replace(/\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}/g, (whole, name?: string, fallback?: string) => {
    if (whole === "$$") return "$";
    const v = vars[name!];
    return v !== undefined && v !== "" ? v : (fallback ?? "");
  });
}

function envOf(svc: Service, vars: Record<string, string> = {}): Record<string, string> {
  const out: Record<string, string> = {};
  const env = svc.environment ?? {};
  const entries = Array.isArray(env)
    ? env.map((e) => [e.slice(0, e.indexOf("=") >>> 0), e.slice(e.indexOf("=") + 1)] as const)
    : Object.entries(env).map(([k, v]) => [k, v == null ? "" : String(v)] as const);
  for (const [k, v] of entries) out[k] = interpolate(v, vars);
  return out;
}

const argv = (c: string | string[] | undefined) => (c === undefined ? [] : Array.isArray(c) ? c : c.split(/\s+/));
const dependsOn = (svc: Service) => (Array.isArray(svc.depends_on) ? svc.depends_on : Object.keys(svc.depends_on ?? {}));
const buildsDarkroom = (svc: Service) => svc.build !== undefined;
const darkroomServices = Object.entries(services).filter(([, s]) => buildsDarkroom(s));

/** Every variable lib/config.ts reads: `env.NAME`, `env["NAME"]` and helpers called as `fn(env, "NAME", ...)`. */
function configVars(): Set<string> {
  const src = read("lib/config.ts");
  const names = new Set<string>();
  for (const re of [/\benv\.([A-Z][A-Z0-9_]*)/g, /\benv\[\s*["']([A-Z][A-Z0-9_]*)["']\s*\]/g, /\(\s*env\s*,\s*["']([A-Z][A-Z0-9_]*)["']/g]) {
    for (const m of src.matchAll(re)) names.add(m[1]!);
  }
  return names;
}

async function expectedSearchAttributes(): Promise<string[]> {
  if (fs.existsSync(path.join(root, "lib/temporal/searchAttributes.ts"))) {
    const mod = (await import("../domain/searchAttributes")) as { searchAttributeNames: readonly string[] };
    return [...mod.searchAttributeNames];
  }
  return ["DarkroomTenant", "DarkroomKind", "DarkroomAgent", "DarkroomUser", "DarkroomDialog", "DarkroomStatus"];
}

describe("temporal-compose.yml", () => {
  test("every depends_on names a service of this file, with a valid condition", () => {
    const conditions = new Set(["service_started", "service_healthy", "service_completed_successfully"]);
    for (const [name, svc] of Object.entries(services)) {
      for (const dep of dependsOn(svc)) {
        expect(Object.keys(services), `${name} depends on ${dep}`).toContain(dep);
        expect(dep).not.toBe(name);
      }
      if (svc.depends_on && !Array.isArray(svc.depends_on)) {
        for (const [dep, spec] of Object.entries(svc.depends_on)) {
          if (spec?.condition) expect(conditions.has(spec.condition), `${name} -> ${dep}: ${spec.condition}`).toBe(true);
          if (spec?.condition === "service_healthy") expect(services[dep]?.healthcheck, `${dep} needs a healthcheck`).toBeDefined();
        }
      }
      // Compose refuses to start a service that depends on one hidden behind an inactive profile.
      if (!svc.profiles?.length) {
        for (const dep of dependsOn(svc)) expect(services[dep]?.profiles ?? [], `${name} -> ${dep}`).toEqual([]);
      }
    }
  });

  test("dependencies have no cycle", () => {
    const state = new Map<string, "visiting" | "done">();
    const visit = (n: string, trail: string[]) => {
      if (state.get(n) === "done") return;
      if (state.get(n) === "visiting") throw new Error(`cycle: ${[...trail, n].join(" -> ")}`);
      state.set(n, "visiting");
      for (const d of dependsOn(services[n]!)) visit(d, [...trail, n]);
      state.set(n, "done");
    };
    for (const n of Object.keys(services)) visit(n, []);
  });

  test("every darkroom role runs from the project image with the right command", () => {
    const roles: Record<string, string[]> = {
      "darkroom-api": ["api"],
      "darkroom-worker": ["worker"],
      "darkroom-gpu0": ["worker", "--gpu", "gpu0"],
      "darkroom-gpu1": ["worker", "--gpu", "gpu1"],
      "comfyui-simulator": ["simulator"],
    };
    for (const [name, cmd] of Object.entries(roles)) {
      const svc = services[name];
      expect(svc, name).toBeDefined();
      expect(buildsDarkroom(svc!), `${name} builds the Dockerfile`).toBe(true);
      const build = typeof svc!.build === "string" ? { context: svc!.build } : svc!.build!;
      expect(path.resolve(root, build.context ?? "."), name).toBe(root);
      expect(fs.existsSync(path.join(root, build.dockerfile ?? "Dockerfile")), name).toBe(true);
      // The image's ENTRYPOINT is ./darkroom, so the command is the CLI's arguments.
      expect(argv(svc!.entrypoint), name).toEqual([]);
      expect(argv(svc!.command), name).toEqual(cmd);
    }
    expect(services["comfyui-simulator"]!.profiles).toContain("sim");
  });

  test("the Dockerfile uses the pinned Bun and enters through ./darkroom", () => {
    const dockerfile = read("Dockerfile");
    const wrapper = read("darkroom");
    const pinned = wrapper.match(/^BUN_VERSION="([^"]+)"/m)?.[1];
    expect(pinned).toBeDefined();
    expect(dockerfile).toMatch(new RegExp(`^FROM oven/bun:${pinned!.replace(/\./g, "\\.")}\\b`, "m"));
    expect(dockerfile).toMatch(/^ENTRYPOINT \["\/app\/darkroom"\]/m);
    expect(dockerfile).toMatch(/^WORKDIR \/app$/m);
  });

  test("the API port is published and the healthcheck asks /readyz", () => {
    const api = services["darkroom-api"]!;
    const port = envOf(api).PORT ?? "3000";
    const targets = (api.ports ?? []).map((p) => (typeof p === "string" ? interpolate(p).split(":").at(-1) : String(p.target)));
    expect(targets).toContain(port);
    expect(argv(api.healthcheck?.test).join(" ")).toContain(`:${port}/readyz`);
  });

  test("the Temporal Web UI is published on 8080", () => {
    const ports = (services["temporal-ui"]?.ports ?? []).map((p) => (typeof p === "string" ? interpolate(p) : `${p.published}:${p.target}`));
    expect(ports).toContain("8080:8080");
  });

  test("darkroom services set only variables lib/config.ts reads", () => {
    const known = configVars();
    // Sanity: the scan must find the obvious ones, or it would wave everything through.
    for (const v of ["DATABASE_URL", "TEMPORAL_ADDRESS", "COMFYUI_INSTANCES", "PORT"]) expect(known.has(v), v).toBe(true);
    for (const [name, svc] of darkroomServices) {
      for (const key of Object.keys(envOf(svc))) expect(known.has(key), `${name} sets ${key}`).toBe(true);
    }
  });

  test("darkroom's config accepts every darkroom service's environment as shipped", () => {
    for (const [name, svc] of darkroomServices) {
      const env = envOf(svc);
      let cfg: ReturnType<typeof loadConfig> | undefined;
      expect(() => (cfg = loadConfig(env)), name).not.toThrow();
      expect(cfg!.dataDir, name).toBe("/data");
      expect(cfg!.temporal.address, name).toBe("temporal:7233");
      expect(cfg!.databaseUrl, name).toMatch(/^postgresql:\/\/darkroom:[^@]+@postgresql:5432\/darkroom$/);
    }
  });

  test("GPU workers name instances that COMFYUI_INSTANCES defines, by default and for the simulator", () => {
    const gpuWorkers = darkroomServices.filter(([, s]) => argv(s.command).includes("--gpu"));
    expect(gpuWorkers.length).toBeGreaterThanOrEqual(2);
    const simUrls = "gpu0=http://comfyui-simulator:8188,gpu1=http://comfyui-simulator:8189";
    for (const vars of [{}, { COMFYUI_INSTANCES: simUrls }] as Array<Record<string, string>>) {
      for (const [name, svc] of gpuWorkers) {
        const cmd = argv(svc.command);
        const gpu = cmd[cmd.indexOf("--gpu") + 1];
        const instances = parseComfyInstances(envOf(svc, vars).COMFYUI_INSTANCES).map((i) => i.name);
        expect(instances, name).toContain(gpu!);
      }
    }
    // The simulator serves COMFYUI_SIM_INSTANCES ports from COMFYUI_SIM_PORT: the ones simUrls names.
    const simEnv = envOf(services["comfyui-simulator"]!);
    const first = Number(simEnv.COMFYUI_SIM_PORT ?? 8188);
    const count = Number(simEnv.COMFYUI_SIM_INSTANCES ?? 2);
    for (const url of parseComfyInstances(simUrls).map((i) => new URL(i.url))) {
      expect(Number(url.port)).toBeGreaterThanOrEqual(first);
      expect(Number(url.port)).toBeLessThan(first + count);
    }
  });

  test("the API and every worker share the image volume at /data", () => {
    for (const name of ["darkroom-api", "darkroom-worker", "darkroom-gpu0", "darkroom-gpu1"]) {
      const mounts = (services[name]!.volumes ?? []).map((v) => (typeof v === "string" ? v : `${v.source}:${v.target}`));
      expect(mounts, name).toContain("darkroom-data:/data");
    }
    expect(Object.keys(compose.volumes ?? {})).toContain("darkroom-data");
  });

  test("the API and the main worker pass the image storage settings through, and keep the volume by default", () => {
    for (const name of ["darkroom-api", "darkroom-worker"]) {
      const env = envOf(services[name]!);
      for (const key of ["DARKROOM_STORAGE", "S3_ENDPOINT", "S3_REGION", "S3_ACCESS_KEY_ID", "S3_SECRET_ACCESS_KEY", "S3_PRESIGN"]) {
        expect(Object.keys(env), `${name} passes ${key}`).toContain(key);
      }
      expect(loadConfig(env).storage, name).toEqual({ kind: "local", dir: "/data/images" });
    }
  });

  test("the setup job registers exactly darkroom's search attributes", async () => {
    const job = Object.entries(services).find(([, s]) => envOf(s).DARKROOM_SEARCH_ATTRIBUTES !== undefined);
    expect(job, "a service with DARKROOM_SEARCH_ATTRIBUTES").toBeDefined();
    const [name, svc] = job!;
    const registered = envOf(svc).DARKROOM_SEARCH_ATTRIBUTES!.split(",").map((s) => s.trim());
    expect(registered.sort()).toEqual((await expectedSearchAttributes()).sort());
    expect(envOf(svc).TEMPORAL_ADDRESS).toBe("temporal:7233");
    // The darkroom services wait for it, so no workflow starts before its attributes exist.
    expect(dependsOn(services["darkroom-api"]!)).toContain(name);
    const script = argv(svc.command).find((a) => a.startsWith("/deploy/"));
    expect(script).toBeDefined();
    const source = read(script!.replace(/^\/deploy\//, "deploy/"));
    expect(source).toContain("DARKROOM_SEARCH_ATTRIBUTES");
    expect(source).toContain("search-attribute create");
    expect(source).toContain("--type Keyword");
  });

  test("bind-mounted files exist and the scripts parse", () => {
    for (const [name, svc] of Object.entries(services)) {
      for (const v of svc.volumes ?? []) {
        const source = typeof v === "string" ? v.split(":")[0]! : (v.source ?? "");
        if (!source.startsWith(".")) continue;
        expect(fs.existsSync(path.join(root, source)), `${name} mounts ${source}`).toBe(true);
      }
    }
    const scripts = ["deploy/postgres/init-darkroom.sh", "deploy/temporal/setup-schema.sh", "deploy/temporal/setup-darkroom.sh"];
    for (const s of scripts) {
      const r = spawnSync("sh", ["-n", path.join(root, s)], { encoding: "utf8" });
      expect(r.status, `${s}: ${r.stderr}`).toBe(0);
    }
    for (const s of ["darkroom", ".ci/run"]) {
      const r = spawnSync("bash", ["-n", path.join(root, s)], { encoding: "utf8" });
      expect(r.status, `${s}: ${r.stderr}`).toBe(0);
      expect(fs.statSync(path.join(root, s)).mode & 0o111, `${s} is executable`).not.toBe(0);
    }
    const dyn = services.temporal ? envOf(services.temporal).DYNAMIC_CONFIG_FILE_PATH : undefined;
    expect(dyn).toBeDefined();
    expect(fs.existsSync(path.join(root, "deploy/temporal/dynamicconfig", path.basename(dyn!)))).toBe(true);
    Bun.YAML.parse(read(`deploy/temporal/dynamicconfig/${path.basename(dyn!)}`));
  });

  test("every image is pinned to a tag", () => {
    for (const [name, svc] of Object.entries(services)) {
      if (buildsDarkroom(svc) || !svc.image) continue;
      const tag = svc.image.split("/").at(-1)!.split(":")[1];
      expect(tag, `${name}: ${svc.image}`).toBeDefined();
      expect(tag).not.toBe("latest");
    }
  });

  test("Temporal's server, schema tools and their versions agree", () => {
    const version = (img?: string) => img?.split(":")[1];
    expect(version(services["temporal-admin-tools"]?.image)).toBe(version(services.temporal?.image));
    expect(version(services["temporal-setup"]?.image)).toBe(version(services.temporal?.image));
    expect(dependsOn(services.temporal!)).toContain("temporal-admin-tools");
    expect(envOf(services.temporal!).DB).toBe("postgres12");
  });
});
