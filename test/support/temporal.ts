/** One real Temporal dev server per test process (the CLI binary, not a mock), stopped at exit. */
import { spawn } from "node:child_process";
import { SEARCH_ATTRIBUTES } from "../../domain/searchAttributes";
import { startDevServer, type DevServer } from "../../lib/temporal/devServer";

let server: Promise<DevServer> | undefined;

export function testTemporal(): Promise<DevServer> {
  server ??= startDevServer({ headless: true, searchAttributes: SEARCH_ATTRIBUTES }).then((s) => {
    process.once("exit", () => void s.stop());
    // `bun test` runs no exit handlers (and a killed process none at all): a watchdog outside this
    // process kills the server once this process's end closes its stdin, so no run leaves one behind.
    if (s.pid) {
      const watchdog = spawn("sh", ["-c", `read _ignored; kill -9 ${s.pid} 2>/dev/null`], { detached: true, stdio: ["pipe", "ignore", "ignore"] });
      watchdog.unref();
      (watchdog.stdin as unknown as { unref?: () => void }).unref?.();
    }
    return s;
  });
  return server;
}
