/**
 * Python tools the contract tests run — schemathesis (fuzzes the live API against its OpenAPI
 * document) and openapi-python-client (generates a Python client from it) — pinned, in a venv of
 * the project's own (.tools/pyenv), installed on first use.
 */
import fs from "node:fs";
import path from "node:path";

const ROOT = path.resolve(import.meta.dir, "../..");
export const PYENV = path.join(ROOT, ".tools/pyenv");
const PINNED = ["schemathesis==4.32.5", "openapi-python-client==0.29.1"];
const STAMP = path.join(PYENV, "darkroom-pins.txt");

function run(cmd: string[]) {
  const r = Bun.spawnSync(cmd, { stdout: "pipe", stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`${cmd.join(" ")} failed (${r.exitCode}):\n${r.stdout.toString()}\n${r.stderr.toString()}`);
}

/** The venv's bin folder, with the pinned tools installed (once per pin set). */
export function pythonTools(): string {
  const bin = path.join(PYENV, "bin");
  if (fs.existsSync(STAMP) && fs.readFileSync(STAMP, "utf8") === PINNED.join("\n")) return bin;
  if (!fs.existsSync(path.join(bin, "python"))) run(["python3", "-m", "venv", PYENV]);
  run([path.join(bin, "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", ...PINNED]);
  fs.writeFileSync(STAMP, PINNED.join("\n"));
  return bin;
}

// `bun test/support/pythonTools.ts` installs them ahead of the suite (CI does).
if (import.meta.main) console.log(`python tools in ${pythonTools()}`);
