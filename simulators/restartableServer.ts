/**
 * A simulator's HTTP server that can die and come back on the same port, as a receiver or an API
 * does when its host restarts: tests use it to prove deliveries wait and retry instead of losing
 * anything. The first `up()` picks a free port (unless one is given) and keeps it.
 */
import type { Server } from "bun";

export interface RestartableServer {
  /** `http://host:port` once up. */
  readonly origin: string;
  up(): Promise<void>;
  down(): Promise<void>;
}

export function restartableServer(opts: { host?: string; port?: number; fetch(req: Request): Response | Promise<Response> }): RestartableServer {
  const host = opts.host ?? "127.0.0.1";
  let port = opts.port ?? 0;
  let server: Server<undefined> | undefined;
  return {
    get origin() {
      return `http://${host}:${port}`;
    },
    async up() {
      if (server) return;
      server = Bun.serve({ hostname: host, port, fetch: opts.fetch });
      port = server.port!;
    },
    async down() {
      await server?.stop(true);
      server = undefined;
    },
  };
}
