/**
 * The document is portable: a Python client generated from the live `/openapi/json` by
 * openapi-python-client (into a temporary folder; nothing generated is kept) runs the
 * companion-photo scenario end to end — reply, poll the generation until completed, download the
 * image.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { pythonTools } from "./support/pythonTools";
import { startStack, type Stack } from "./support/stack";

async function run(cmd: string[], env: Record<string, string> = {}) {
  // Asynchronous: the API the command talks to runs in this very process.
  const p = Bun.spawn(cmd, { stdout: "pipe", stderr: "pipe", env: { ...process.env, ...env } });
  const [stdout, stderr, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  return { stdout, stderr, code };
}

describe("a Python client generated from the document", () => {
  let stack: Stack;
  let bin: string;

  beforeAll(async () => {
    bin = pythonTools();
    stack = await startStack({ instances: 1 });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  test("generates and runs the companion-photo scenario: reply, poll, download", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "darkroom-pyclient-"));
    try {
      const gen = await run([path.join(bin, "openapi-python-client"), "generate", "--url", `${stack.api}/openapi/json`, "--meta", "none", "--output-path", path.join(dir, "darkroom_client")]);
      expect(gen.code).toBe(0);
      expect(fs.existsSync(path.join(dir, "darkroom_client/api/companion_photos/create_reply.py"))).toBe(true);

      const out = path.join(dir, "photo.webp");
      const scenario = await run([path.join(bin, "python"), path.join(import.meta.dir, "python/companion_photo.py"), stack.api, stack.key, out], { PYTHONPATH: dir });
      if (scenario.code !== 0) console.log(scenario.stdout.slice(0, 2000), scenario.stderr.slice(-3000));
      expect(scenario.code).toBe(0);
      const result = JSON.parse(scenario.stdout.trim().split("\n").at(-1)!);
      expect(result.status).toBe("completed");
      expect(result.waiting).toHaveLength(1);
      expect(result.waiting[0].length).toBeGreaterThan(0);
      const bytes = fs.readFileSync(out);
      expect(bytes.length).toBe(result.bytes);
      expect(bytes.subarray(0, 4).toString()).toBe("RIFF");
      expect(bytes.subarray(8, 12).toString()).toBe("WEBP");
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
