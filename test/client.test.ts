/**
 * The typed client (client/) and the commands built on it, against a real stack: a companion photo
 * from reply to WebP, an event stream that survives its connection being cut, and `./darkroom
 * generate`/`watch` as a person (or a script) uses them — progress lines, the file, Ctrl-C.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { DarkroomClient, DarkroomError, type GenerationEvent } from "../client/src/index";
import { eventually, startStack, type Stack } from "./support/stack";

const ROOT = path.resolve(import.meta.dir, "..");
const isWebp = (bytes: Uint8Array) => Buffer.from(bytes.subarray(0, 4)).toString() === "RIFF" && Buffer.from(bytes.subarray(8, 12)).toString() === "WEBP";

/** A TCP relay in front of the API whose connections the test can cut, as a flaky network would. */
async function cuttableProxy(target: string) {
  const { hostname, port } = new URL(target);
  const pairs = new Set<{ client: Bun.Socket<unknown>; upstream?: Bun.Socket<unknown>; pending: Uint8Array[] }>();
  const server = Bun.listen<{ pair: { client: Bun.Socket<unknown>; upstream?: Bun.Socket<unknown>; pending: Uint8Array[] } }>({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      open(client) {
        const pair = { client: client as Bun.Socket<unknown>, upstream: undefined as Bun.Socket<unknown> | undefined, pending: [] as Uint8Array[] };
        client.data = { pair };
        pairs.add(pair);
        void Bun.connect({
          hostname,
          port: Number(port),
          socket: {
            open(up) {
              pair.upstream = up as Bun.Socket<unknown>;
              for (const chunk of pair.pending.splice(0)) up.write(chunk);
            },
            data(_up, chunk) {
              pair.client.write(chunk);
            },
            close() {
              pair.client.end();
              pairs.delete(pair);
            },
            error() {
              pair.client.end();
            },
          },
        });
      },
      data(client, chunk) {
        const { pair } = client.data;
        if (pair.upstream) pair.upstream.write(chunk);
        else pair.pending.push(new Uint8Array(chunk));
      },
      close(client) {
        client.data.pair.upstream?.end();
        pairs.delete(client.data.pair);
      },
    },
  });
  return {
    url: `http://127.0.0.1:${server.port}`,
    /** Drops every open connection at once, both ways, without a goodbye. */
    cutAll() {
      const n = pairs.size;
      for (const pair of pairs) {
        pair.client.terminate();
        pair.upstream?.terminate();
      }
      pairs.clear();
      return n;
    },
    stop: () => server.stop(true),
  };
}

function runCli(args: string[], env: Record<string, string>) {
  const cwd = fs.mkdtempSync(path.join(os.tmpdir(), "darkroom-cli-"));
  const proc = Bun.spawn(["bun", path.join(ROOT, "cli/darkroom.ts"), ...args], {
    cwd,
    env: { ...process.env, ...env },
    stdout: "pipe",
    stderr: "pipe",
  });
  let out = "";
  const reading = (async () => {
    const decoder = new TextDecoder();
    const reader = proc.stdout.getReader();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      out += decoder.decode(value, { stream: true });
    }
  })();
  return {
    proc,
    cwd,
    output: () => out,
    async done() {
      const code = await proc.exited;
      await reading;
      return { code, stdout: out, stderr: await new Response(proc.stderr).text() };
    },
  };
}

describe("typed client and CLI", () => {
  let stack: Stack;
  let client: DarkroomClient;
  let env: Record<string, string>;

  beforeAll(async () => {
    // Slow enough steps that a connection can be cut, and Ctrl-C pressed, mid-generation.
    stack = await startStack({ instances: 1, steps: 20, stepMs: 120 });
    client = new DarkroomClient({ baseUrl: stack.api, apiKey: stack.key });
    env = { DARKROOM_URL: stack.api, DARKROOM_KEY: stack.key };
  });
  afterAll(async () => {
    await stack?.stop();
  });

  test("reply, waitForImages, then the image: a companion photo end to end", async () => {
    const reply = await client.reply("sofia", { userId: "client-u1", text: "¡Dale! [IMAGE: selfie en la playa]", persona: { name: "Sofia", personality: "alegre" } });
    expect(reply.generations).toHaveLength(1);
    expect(reply.messages.some((m) => m.kind === "waiting" && m.content.length > 0)).toBe(true);
    const seen: string[] = [];
    const [done] = await client.waitForImages(reply, { onEvent: (e) => seen.push(e.type) });
    expect(done!.status).toBe("completed");
    expect(seen).toContain("image:progress");
    expect(seen.at(-1)).toBe("image:completed");
    const bytes = await client.image(done!.images[0]!.url);
    expect(isWebp(bytes)).toBe(true);
  });

  test("API refusals arrive as DarkroomError with the API's code", async () => {
    const err = await client.generation("no-such-generation").catch((e) => e);
    expect(err).toBeInstanceOf(DarkroomError);
    expect(err.status).toBe(404);
    expect(err.code).toBe("not_found");
    const bad = await new DarkroomClient({ baseUrl: stack.api, apiKey: "wrong" }).personas().catch((e) => e);
    expect(bad.status).toBe(401);
  });

  test("events() resumes after the connection is cut: every event once, in order", async () => {
    const proxy = await cuttableProxy(stack.api);
    try {
      const viaProxy = new DarkroomClient({ baseUrl: proxy.url, apiKey: stack.key });
      const reply = await viaProxy.reply("sofia", { userId: "client-u2", text: "[IMAGE: a lighthouse at night]" });
      const id = reply.generations[0]!.id;
      const received: GenerationEvent[] = [];
      const reconnects: Array<string | undefined> = [];
      let cuts = 0;
      for await (const e of viaProxy.events(id, { retryDelayMs: 100, onReconnect: ({ lastEventId }) => reconnects.push(lastEventId) })) {
        received.push(e);
        // Cut twice mid-generation, each time right after a progress event.
        if (e.type === "image:progress" && cuts < 2 && received.filter((x) => x.type === "image:progress").length % 3 === 1) {
          if (proxy.cutAll() > 0) cuts += 1;
        }
      }
      expect(cuts).toBe(2);
      expect(reconnects.length).toBeGreaterThanOrEqual(2);
      // The whole log, read once afterwards, is exactly what the interrupted reader got.
      const all: GenerationEvent[] = [];
      for await (const e of client.events(id)) all.push(e);
      expect(received.map((e) => e.eventId)).toEqual(all.map((e) => e.eventId));
      expect(new Set(received.map((e) => e.eventId)).size).toBe(received.length);
      expect(received.at(-1)!.type).toBe("image:completed");
    } finally {
      proxy.stop();
    }
  });

  test("./darkroom generate prints progress and saves a WebP", async () => {
    // A picture like this one first, so that the instance has measured how long they take.
    expect((await runCli(["generate", "a fox in the rain", "--out", "rain.webp"], env).done()).code).toBe(0);
    const run = runCli(["generate", "a fox in the snow", "--out", "fox.webp"], env);
    const { code, stdout, stderr } = await run.done();
    expect(stderr).toBe("");
    expect(code).toBe(0);
    expect(stdout).toMatch(/^generation [0-9a-f-]{36}$/m);
    // Not a terminal: one plain line per change, with percent, step and the server's ETA.
    expect(stdout).toMatch(/^image generating \d+% step \d+\/20 eta \d+\.\ds$/m);
    expect(stdout).toMatch(/^image completed 100%/m);
    expect(stdout).toMatch(/^saved fox\.webp$/m);
    expect(isWebp(new Uint8Array(fs.readFileSync(path.join(run.cwd, "fox.webp"))))).toBe(true);
  });

  test("Ctrl-C during ./darkroom generate cancels the generation and exits 130", async () => {
    const run = runCli(["generate", "a slow sunset over the sea"], env);
    const id = await eventually(async () => run.output().match(/^generation ([0-9a-f-]{36})$/m)?.[1], "the generation id");
    await eventually(async () => (/generating \d+%/.test(run.output()) ? true : undefined), "a progress line");
    run.proc.kill("SIGINT");
    const { code, stdout } = await run.done();
    expect(code).toBe(130);
    expect(stdout).toMatch(/^image cancelled/m);
    const after = await client.generation(id);
    expect(after.status).toBe("cancelled");
  });

  test("./darkroom watch follows a generation to its end and saves its image", async () => {
    const reply = await client.reply("sofia", { userId: "client-u3", text: "[IMAGE: a red kite]" });
    const id = reply.generations[0]!.id;
    const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "darkroom-watch-")), "kite.webp");
    const { code, stdout } = await runCli(["watch", id, "--out", out], env).done();
    expect(code).toBe(0);
    expect(stdout).toMatch(/^companion_photo completed 100%/m);
    expect(isWebp(new Uint8Array(fs.readFileSync(out)))).toBe(true);
  });

  test("client.regenerate() and ./darkroom regenerate take another one of a finished photo", async () => {
    const reply = await client.reply("sofia", { userId: "client-u4", text: "[IMAGE: a paper boat on a pond]" });
    const id = reply.generations[0]!.id;
    const running = await client.regenerate(id).catch((err) => err);
    expect(running).toBeInstanceOf(DarkroomError);
    expect(running).toMatchObject({ status: 409, code: "still_running" });
    await client.waitForImages([id]);

    const again = await client.regenerate(id);
    expect(again.generation.regeneratedFrom).toBe(id);
    expect(again.messages[0]!.kind).toBe("waiting");
    const [done] = await client.waitForImages([again.generation.id]);
    expect(done!.status).toBe("completed");

    const run = runCli(["regenerate", id, "--out", "boat.webp"], env);
    const { code, stdout } = await run.done();
    expect(code).toBe(0);
    expect(stdout).toMatch(new RegExp(`^generation [0-9a-f-]{36} \\(another take of ${id}\\)$`, "m"));
    expect(stdout).toMatch(/^saved boat\.webp$/m);
    expect(isWebp(new Uint8Array(fs.readFileSync(path.join(run.cwd, "boat.webp"))))).toBe(true);
  });

  test("./darkroom series shows each angle's progress and saves one WebP per angle", async () => {
    const run = runCli(["series", "--brand", "Volvo", "--model", "XC40", "--year", "2023", "--color", "red", "--body-type", "SUV", "--angles", "front,side", "--out-dir", "xc40"], env);
    const { code, stdout } = await run.done();
    expect(code).toBe(0);
    for (const angle of ["front", "side"]) {
      expect(stdout).toMatch(new RegExp(`^${angle} generating \\d+% step \\d+/20`, "m"));
      expect(stdout).toMatch(new RegExp(`^saved xc40/${angle}\\.webp$`, "m"));
      expect(isWebp(new Uint8Array(fs.readFileSync(path.join(run.cwd, "xc40", `${angle}.webp`))))).toBe(true);
    }
  });

  test("usage mistakes exit 2; an unknown generation exits 1 with the API's words", async () => {
    expect((await runCli(["generate"], env).done()).code).toBe(2);
    expect((await runCli(["series", "--brand", "BMW"], env).done()).code).toBe(2);
    const missing = await runCli(["watch", "no-such-generation"], env).done();
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("was not found");
  });
});
