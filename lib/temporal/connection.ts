/**
 * How every darkroom process reaches Temporal: the same address, namespace, TLS and API key for the
 * client connection (API, starting and cancelling workflows) and the workers' native connection.
 */
import net from "node:net";
import tls from "node:tls";
import { Connection } from "@temporalio/client";
import type { NativeConnection } from "@temporalio/worker";
import type { TLSConfig } from "@temporalio/common/lib/internal-non-workflow";
import type { Config } from "../config";

type TemporalSettings = Pick<Config["temporal"], "namespace" | "tls" | "apiKey">;

export interface TemporalConnectionOptions {
  address: string;
  tls?: TLSConfig | boolean;
  apiKey?: string;
  metadata?: Record<string, string>;
}

export function temporalConnectionOptions(address: string, settings: TemporalSettings): TemporalConnectionOptions {
  const tls = settings.tls;
  return {
    address,
    ...(tls === true
      ? { tls: true }
      : tls
        ? {
            tls: {
              ...(tls.serverName ? { serverNameOverride: tls.serverName } : {}),
              ...(tls.ca ? { serverRootCACertificate: tls.ca } : {}),
              ...(tls.clientCert ? { clientCertPair: tls.clientCert } : {}),
            },
          }
        : {}),
    // Temporal Cloud routes API-key requests by namespace.
    ...(settings.apiKey ? { apiKey: settings.apiKey, metadata: { "temporal-namespace": settings.namespace } } : {}),
  };
}

/** What to check when a connection fails, by how it was configured. */
function hint(settings: TemporalSettings): string {
  if (settings.apiKey) return "check TEMPORAL_ADDRESS (the namespace's gRPC endpoint), TEMPORAL_NAMESPACE and TEMPORAL_API_KEY";
  if (settings.tls && settings.tls !== true && settings.tls.clientCert) {
    return "check TEMPORAL_TLS_CA (the CA that signed the server's certificate), TEMPORAL_TLS_SERVER_NAME, and that the server accepts TEMPORAL_TLS_CERT";
  }
  if (settings.tls) return "check TEMPORAL_TLS_CA (the CA that signed the server's certificate) and TEMPORAL_TLS_SERVER_NAME, and that the server speaks TLS";
  return "check TEMPORAL_ADDRESS, and whether the server expects TLS (TEMPORAL_TLS=true)";
}

/**
 * gRPC reports a failed handshake only as "failed to connect before the deadline"; a plain TLS
 * handshake with the same settings says why (an unknown CA, a name mismatch, a refused client
 * certificate).
 */
async function tlsDiagnosis(address: string, settings: TemporalSettings): Promise<string | undefined> {
  const t = settings.tls;
  if (!t) return undefined;
  const colon = address.lastIndexOf(":");
  const host = address.slice(0, colon);
  const port = Number(address.slice(colon + 1));
  const options = t === true ? {} : { ca: t.ca, cert: t.clientCert?.crt, key: t.clientCert?.key };
  const servername = (t !== true && t.serverName) || (net.isIP(host) ? undefined : host);
  return new Promise((resolve) => {
    const socket = tls.connect({ host, port, servername, ALPNProtocols: ["h2"], ...options });
    const done = (why: string | undefined) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(why);
    };
    const timer = setTimeout(() => done(undefined), 3000);
    // A server that refuses the client certificate closes the connection right after the handshake.
    socket.once("secureConnect", () => setTimeout(() => done(undefined), 200));
    socket.once("error", (error: NodeJS.ErrnoException) => done(`the TLS handshake failed: ${error.message}${error.code ? ` (${error.code})` : ""}`));
  });
}

function explain(address: string, settings: TemporalSettings, error: unknown, diagnosis?: string): Error {
  const how = settings.apiKey ? "over TLS with an API key" : settings.tls && settings.tls !== true && settings.tls.clientCert ? "over mTLS" : settings.tls ? "over TLS" : "without TLS";
  const message = diagnosis ?? (error instanceof Error ? error.message : String(error));
  return new Error(`Could not connect to Temporal at ${address} ${how}: ${message} — ${hint(settings)}`, { cause: error });
}

export async function connectTemporalClient(address: string, settings: TemporalSettings): Promise<Connection> {
  try {
    return await Connection.connect(temporalConnectionOptions(address, settings));
  } catch (error) {
    throw explain(address, settings, error, await tlsDiagnosis(address, settings));
  }
}

export async function connectTemporalWorker(address: string, settings: TemporalSettings): Promise<NativeConnection> {
  try {
    // Loaded on first use: only worker roles need the worker SDK (about 90 MB resident).
    const { NativeConnection } = await import("@temporalio/worker");
    return await NativeConnection.connect(temporalConnectionOptions(address, settings));
  } catch (error) {
    throw explain(address, settings, error, await tlsDiagnosis(address, settings));
  }
}
