import type { GenerationService } from "../service";
import type { EventHub } from "../lib/live/eventHub";

/** What the HTTP and WebSocket layer may use. It holds no business logic: it calls the service. */
export interface ApiContext {
  service: GenerationService;
  /** Resolves a bearer key to its tenant id (cached). */
  resolveTenant(key: string | undefined): Promise<string | undefined>;
  /** This process's reader of the event log, feeding SSE streams and WebSockets. */
  liveEvents: EventHub;
  /** Open a server span per request (only when the process exports traces). */
  tracing?: boolean;
}
