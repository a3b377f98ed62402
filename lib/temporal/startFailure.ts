/**
 * Turns a failed workflow start into a message an operator can act on. The SDK's own message is a bare
 * "Failed to start Workflow"; the reason sits in the gRPC error underneath (its status code and the
 * server's text). The API's handlers put this message in their 503 answers.
 */
import { createSearchAttributeCommand } from "./searchAttributes";

/** gRPC status codes the server and the client library answer with. */
const GRPC = { INVALID_ARGUMENT: 3, DEADLINE_EXCEEDED: 4, NOT_FOUND: 5, PERMISSION_DENIED: 7, RESOURCE_EXHAUSTED: 8, UNAVAILABLE: 14, UNAUTHENTICATED: 16 };

interface Chained {
  message?: string;
  code?: number | string;
  details?: string;
  cause?: unknown;
}

/** The error and its causes, outermost first. */
function chain(error: unknown): Chained[] {
  const out: Chained[] = [];
  let current: unknown = error;
  while (current && typeof current === "object" && out.length < 10 && !out.includes(current as Chained)) {
    out.push(current as Chained);
    current = (current as Chained).cause;
  }
  return out;
}

export interface StartFailureContext {
  /** The namespace the client uses (TEMPORAL_NAMESPACE). */
  namespace?: string;
  /** The frontend address (TEMPORAL_ADDRESS), for the commands and the message. */
  address?: string;
  /** The custom search attributes the workflows set, to name the missing ones. */
  searchAttributes?: readonly string[];
}

/**
 * One sentence or two saying why Temporal did not start the workflow and what to do: a search
 * attribute missing from the namespace (with the exact commands), an unknown namespace, an
 * unreachable or overloaded server, refused credentials; otherwise the server's own words.
 */
export function explainStartFailure(error: unknown, where: StartFailureContext = {}): string {
  const links = chain(error);
  const grpc = links.find((e) => typeof e.code === "number");
  const code = grpc?.code as number | undefined;
  const serverText = (grpc?.details || links.at(-1)?.message || (error instanceof Error ? error.message : String(error))).trim();
  const everything = links.map((e) => `${e.details ?? ""} ${e.message ?? ""}`).join(" ");
  const namespace = where.namespace ?? "default";
  const at = where.address ? ` at ${where.address}` : "";

  // The server names the attribute ("search attribute DarkroomTenant is not defined" or "no mapping
  // defined for search attribute DarkroomTenant"), in one of several phrasings across versions.
  if (/search attribute/i.test(everything) && (code === GRPC.INVALID_ARGUMENT || code === undefined)) {
    // Update-with-Start wraps the start's own error under a generic one: quote the one that says why.
    const said = links.flatMap((e) => [e.details, e.message]).find((t) => t && /search attribute/i.test(t))?.trim() ?? serverText;
    const known = where.searchAttributes ?? [];
    const named = known.filter((name) => everything.includes(name));
    const quoted = [...new Set([...everything.matchAll(/search attribute "?([A-Za-z_][A-Za-z0-9_]*)/gi)].map((m) => m[1]!))];
    const names = named.length ? named : quoted.length ? quoted : [...known];
    return (
      `Temporal${at} refused the workflow: namespace "${namespace}" lacks darkroom's search attribute${names.length > 1 ? "s" : ""} ` +
      `${names.join(", ")} (${said}). Create ${names.length > 1 ? "them" : "it"} (darkroom does so at start when the server allows it; ` +
      `it also needs the other darkroom attributes, /readyz lists what is missing): ` +
      names.map((name) => createSearchAttributeCommand(name, { namespace, address: where.address })).join(" ; ")
    );
  }
  // The SDK turns the server's NOT_FOUND into its own NamespaceNotFoundError, with no gRPC cause.
  const namespaceMissing = links.some((e) => (e as { name?: string }).name === "NamespaceNotFoundError") || /namespace .*not found|namespace not found/i.test(everything);
  if (namespaceMissing && (code === undefined || code === GRPC.NOT_FOUND)) {
    return (
      `Temporal${at} has no namespace "${namespace}" (${serverText}). Create it (\`temporal operator namespace create --namespace ${namespace}` +
      `${where.address ? ` --address ${where.address}` : ""}\`) or set TEMPORAL_NAMESPACE to an existing one.`
    );
  }
  if (code === GRPC.UNAVAILABLE || /ECONNREFUSED|connection refused|No connection established|failed to connect|Connection dropped|tcp connect error/i.test(everything)) {
    return `Temporal${at} is unreachable (${serverText}). Check that the server is up and that TEMPORAL_ADDRESS points at its frontend (host:port, 7233 by default); /readyz reports it too.`;
  }
  if (code === GRPC.DEADLINE_EXCEEDED) {
    return `Temporal${at} did not answer in time (${serverText}). The server or the network to it is overloaded or down; try again, and check /readyz.`;
  }
  if (code === GRPC.UNAUTHENTICATED || code === GRPC.PERMISSION_DENIED) {
    return `Temporal${at} refused this client's credentials for namespace "${namespace}" (${serverText}). Check the namespace's API key or mTLS certificates and their permissions.`;
  }
  if (code === GRPC.RESOURCE_EXHAUSTED) {
    return `Temporal${at} is rate-limiting namespace "${namespace}" (${serverText}). Try again shortly; raise the namespace's limits if this persists.`;
  }
  return `Temporal${at} did not start the workflow: ${serverText}`;
}
