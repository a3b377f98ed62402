/**
 * Reaching a real Temporal cluster: TLS with a private CA, mutual TLS, an API key, the namespace.
 * The settings are checked at start with errors that name the variable; and a real connection is
 * made through a TLS-terminating proxy (certificates made here with openssl) in front of the test's
 * Temporal dev server, which speaks plain gRPC: a photo is made over TLS and over mTLS, and a wrong
 * CA fails the start with a message that says what to check.
 */
import { afterAll, beforeAll, describe, expect, test, setDefaultTimeout } from "bun:test";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import tls from "node:tls";
import { loadConfig, parseTemporalSecurity } from "../lib/config";
import { temporalConnectionOptions } from "../lib/temporal/connection";
import { eventually, startStack, type Stack } from "./support/stack";
import { testTemporal } from "./support/temporal";

setDefaultTimeout(240_000);

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "darkroom-tls-"));
const file = (name: string) => path.join(dir, name);

function openssl(...args: string[]) {
  execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
}

/** A CA, and certificates it signs: the server's for `temporal.test` and a client's. */
function makeCertificates() {
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  for (const ca of ["ca", "other-ca"]) {
    openssl("req", "-x509", ...ec, "-keyout", `${ca}.key`, "-out", `${ca}.pem`, "-days", "2", "-subj", `/CN=darkroom test ${ca}`);
  }
  const leaf = (name: string, cn: string, ext: string) => {
    openssl("req", ...ec, "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", `/CN=${cn}`);
    fs.writeFileSync(file(`${name}.ext`), `basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\n${ext}\n`);
    openssl("x509", "-req", "-in", `${name}.csr`, "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", `${name}.pem`, "-days", "2", "-extfile", `${name}.ext`);
  };
  leaf("server", "temporal.test", "subjectAltName=DNS:temporal.test\nextendedKeyUsage=serverAuth");
  leaf("client", "darkroom-worker", "extendedKeyUsage=clientAuth");
}

/** Terminates TLS (HTTP/2 by ALPN, as gRPC needs) and forwards the bytes to the dev server. */
interface TlsProxy {
  address: string;
  accepted: () => number;
  /** Common names of the client certificates presented (mTLS). */
  clients: Set<string>;
  stop: () => void;
}

async function tlsProxy(target: string, opts: { requireClientCert: boolean }): Promise<TlsProxy> {
  const [host, port] = [target.slice(0, target.lastIndexOf(":")), Number(target.slice(target.lastIndexOf(":") + 1))];
  let accepted = 0;
  const clients = new Set<string>();
  const sockets = new Set<net.Socket>();
  const server = tls.createServer(
    {
      key: fs.readFileSync(file("server.key")),
      cert: fs.readFileSync(file("server.pem")),
      ca: fs.readFileSync(file("ca.pem")),
      ALPNProtocols: ["h2"],
      requestCert: opts.requireClientCert,
      rejectUnauthorized: opts.requireClientCert,
    },
    (socket) => {
      accepted++;
      if (opts.requireClientCert && socket.authorized) clients.add(String(socket.getPeerCertificate().subject?.CN));
      const upstream = net.connect(port, host);
      sockets.add(socket).add(upstream);
      socket.pipe(upstream).pipe(socket);
      const close = () => {
        socket.destroy();
        upstream.destroy();
      };
      socket.on("error", close).on("close", close);
      upstream.on("error", close).on("close", close);
    },
  );
  server.on("tlsClientError", () => {});
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    address: `127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    accepted: () => accepted,
    clients,
    stop: () => {
      server.close();
      for (const s of sockets) s.destroy();
    },
  };
}

beforeAll(() => makeCertificates());
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe("Temporal connection settings", () => {
  test("no TLS variable: a plain connection", () => {
    expect(parseTemporalSecurity({})).toEqual({});
    expect(temporalConnectionOptions("t:7233", { namespace: "default" })).toEqual({ address: "t:7233" });
  });

  test("TEMPORAL_TLS=true: TLS with the system's CAs", () => {
    expect(parseTemporalSecurity({ TEMPORAL_TLS: "true" })).toEqual({ tls: true });
    expect(temporalConnectionOptions("t:7233", { namespace: "default", tls: true })).toEqual({ address: "t:7233", tls: true });
  });

  test("an API key implies TLS and sends the namespace", () => {
    const config = loadConfig({ TEMPORAL_API_KEY: "eyJ-cloud-key", TEMPORAL_NAMESPACE: "acme.a1b2c", TEMPORAL_ADDRESS: "eu-west-1.aws.api.temporal.io:7233" });
    expect(config.temporal).toMatchObject({ tls: true, apiKey: "eyJ-cloud-key", namespace: "acme.a1b2c" });
    expect(temporalConnectionOptions(config.temporal.address!, config.temporal)).toEqual({
      address: "eu-west-1.aws.api.temporal.io:7233",
      tls: true,
      apiKey: "eyJ-cloud-key",
      metadata: { "temporal-namespace": "acme.a1b2c" },
    });
  });

  test("CA, client certificate and server name are read from their files", () => {
    const parsed = parseTemporalSecurity({
      TEMPORAL_TLS_CA: file("ca.pem"),
      TEMPORAL_TLS_CERT: file("client.pem"),
      TEMPORAL_TLS_KEY: file("client.key"),
      TEMPORAL_TLS_SERVER_NAME: "temporal.test",
    });
    expect(parsed.tls).toEqual({
      serverName: "temporal.test",
      ca: fs.readFileSync(file("ca.pem")),
      clientCert: { crt: fs.readFileSync(file("client.pem")), key: fs.readFileSync(file("client.key")) },
    });
  });

  test("mistakes stop the start with the variable's name", () => {
    const refused = (env: Record<string, string>) => {
      try {
        parseTemporalSecurity(env);
        return "accepted";
      } catch (error) {
        return (error as Error).message;
      }
    };
    expect(refused({ TEMPORAL_TLS_CERT: file("client.pem") })).toBe(
      "TEMPORAL_TLS_CERT is set but TEMPORAL_TLS_KEY is not: mTLS needs the client certificate's private key too",
    );
    expect(refused({ TEMPORAL_TLS_KEY: file("client.key") })).toBe("TEMPORAL_TLS_KEY is set but TEMPORAL_TLS_CERT is not: mTLS needs the client certificate too");
    expect(refused({ TEMPORAL_TLS_CA: file("missing.pem") })).toBe(`TEMPORAL_TLS_CA: cannot read "${file("missing.pem")}" (no such file)`);
    expect(refused({ TEMPORAL_TLS_CA: dir })).toBe(`TEMPORAL_TLS_CA: cannot read "${dir}" (it is a folder)`);
    expect(refused({ TEMPORAL_TLS_CERT: file("client.ext"), TEMPORAL_TLS_KEY: file("client.key") })).toBe(
      `TEMPORAL_TLS_CERT: "${file("client.ext")}" is not a PEM file (no "-----BEGIN" line)`,
    );
    expect(refused({ TEMPORAL_TLS: "false", TEMPORAL_API_KEY: "k" })).toBe(
      "TEMPORAL_TLS=false contradicts TEMPORAL_API_KEY: these need TLS (unset TEMPORAL_TLS or set it to true)",
    );
    expect(refused({ TEMPORAL_TLS: "maybe" })).toBe('TEMPORAL_TLS must be true or false (or 1/0), got "maybe"');
    if (process.getuid?.() !== 0) {
      fs.copyFileSync(file("ca.pem"), file("unreadable.pem"));
      fs.chmodSync(file("unreadable.pem"), 0o000);
      expect(refused({ TEMPORAL_TLS_CA: file("unreadable.pem") })).toBe(`TEMPORAL_TLS_CA: cannot read "${file("unreadable.pem")}" (permission denied)`);
    }
  });
});

describe("a real TLS connection (a TLS proxy in front of the dev server)", () => {
  const stacks: Stack[] = [];
  const proxies: Array<{ stop: () => void }> = [];
  afterAll(async () => {
    for (const s of stacks) await s.stop();
    for (const p of proxies) p.stop();
  });

  async function photoOver(proxy: TlsProxy, env: Record<string, string>) {
    const stack = await startStack({ instances: 1, temporal: { address: proxy.address }, env });
    stacks.push(stack);
    const reply = await stack.request("POST", "/v1/agents/sofia/replies", { userId: "tls-1", text: "Sure! [IMAGE: a selfie at the beach]", persona: { name: "Sofia", personality: "cheerful" } });
    expect(reply.status).toBe(200);
    const id = reply.body.generations[0].id;
    const done = await eventually(async () => {
      const g = (await stack.request("GET", `/v1/generations/${id}`)).body;
      return ["completed", "failed"].includes(g?.status) ? g : undefined;
    }, "the photo over TLS");
    expect({ status: done.status, error: done.errorMessage }).toEqual({ status: "completed", error: undefined });
    // The client and the workers went through the proxy: nothing reached Temporal another way.
    expect(proxy.accepted()).toBeGreaterThanOrEqual(2);
    await stack.stop();
  }

  test("TLS with a private CA and a server name: a photo is made", async () => {
    const temporal = await testTemporal();
    const proxy = await tlsProxy(temporal.address, { requireClientCert: false });
    proxies.push(proxy);
    await photoOver(proxy, { TEMPORAL_TLS_CA: file("ca.pem"), TEMPORAL_TLS_SERVER_NAME: "temporal.test" });
  });

  test("mutual TLS: a photo is made with the client certificate", async () => {
    const temporal = await testTemporal();
    const proxy = await tlsProxy(temporal.address, { requireClientCert: true });
    proxies.push(proxy);
    await photoOver(proxy, {
      TEMPORAL_TLS_CA: file("ca.pem"),
      TEMPORAL_TLS_SERVER_NAME: "temporal.test",
      TEMPORAL_TLS_CERT: file("client.pem"),
      TEMPORAL_TLS_KEY: file("client.key"),
    });
    expect([...proxy.clients]).toEqual(["darkroom-worker"]);
  });

  test("an API key rides on the TLS connection: a photo is made", async () => {
    const temporal = await testTemporal();
    const proxy = await tlsProxy(temporal.address, { requireClientCert: false });
    proxies.push(proxy);
    await photoOver(proxy, { TEMPORAL_TLS_CA: file("ca.pem"), TEMPORAL_TLS_SERVER_NAME: "temporal.test", TEMPORAL_API_KEY: "test-cloud-api-key" });
  });

  test("a wrong CA fails the start, saying what to check", async () => {
    const temporal = await testTemporal();
    const proxy = await tlsProxy(temporal.address, { requireClientCert: false });
    proxies.push(proxy);
    const failed = await startStack({ instances: 1, temporal: { address: proxy.address }, env: { TEMPORAL_TLS_CA: file("other-ca.pem"), TEMPORAL_TLS_SERVER_NAME: "temporal.test" } }).then(
      (stack) => {
        stacks.push(stack);
        return "started";
      },
      (error: Error) => error.message,
    );
    expect(failed).toContain(`Could not connect to Temporal at ${proxy.address} over TLS`);
    expect(failed).toContain("the TLS handshake failed");
    expect(failed).toContain("check TEMPORAL_TLS_CA");
  });
});
