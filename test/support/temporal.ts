/** One real Temporal dev server per test process (the CLI binary, not a mock), stopped at exit. */
import { SEARCH_ATTRIBUTES } from "../../domain/searchAttributes";
import { startDevServer, type DevServer } from "../../lib/temporal/devServer";

let server: Promise<DevServer> | undefined;

export function testTemporal(): Promise<DevServer> {
  server ??= startDevServer({ headless: true, searchAttributes: SEARCH_ATTRIBUTES }).then((s) => {
    process.once("exit", () => void s.stop());
    return s;
  });
  return server;
}
