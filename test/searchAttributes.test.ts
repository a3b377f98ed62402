/**
 * darkroom's search attributes as operators meet them: a Temporal server that does not have them yet
 * (as every fresh production cluster). The API registers them at start when the server allows it;
 * when it may not, /readyz says which are missing and the exact commands, and running those commands
 * makes it ready. A workflow start Temporal refuses is explained, never a bare "Failed to start".
 */
import { afterAll, beforeAll, describe, expect, test, setDefaultTimeout } from "bun:test";
import { spawnSync } from "node:child_process";
import { Client, Connection, WithStartWorkflowOperation } from "@temporalio/client";
import { defineUpdate } from "@temporalio/workflow";
import { explainStartFailure } from "../lib/temporal/startFailure";
import { DarkroomAgent, DarkroomTenant, searchAttributeNames } from "../domain/searchAttributes";
import { ensureSearchAttributes } from "../lib/temporal/searchAttributes";
import { findTemporalCli, freePort, startDevServer, type DevServer } from "../lib/temporal/devServer";
import { eventually, startStack, type Stack } from "./support/stack";

setDefaultTimeout(180_000);

let server: DevServer;
let connection: Connection;
const stacks: Stack[] = [];

beforeAll(async () => {
  // A server as a fresh cluster is: none of darkroom's attributes, in any namespace.
  server = await startDevServer({ headless: true, extraNamespaces: ["darkroom-auto", "darkroom-manual", "darkroom-refused"] });
  connection = await Connection.connect({ address: server.address });
});

afterAll(async () => {
  for (const s of stacks) await s.stop();
  await connection?.close();
  await server?.stop();
});

async function defined(namespace: string): Promise<Record<string, number>> {
  return ((await connection.operatorService.listSearchAttributes({ namespace })).customAttributes ?? {}) as Record<string, number>;
}

/** Runs a command line exactly as printed for an operator, with the project's Temporal CLI. */
function runAsOperator(line: string): void {
  const [program, ...args] = line.split(" ");
  expect(program).toBe("temporal");
  const run = spawnSync(findTemporalCli()!, args, { encoding: "utf8" });
  expect({ line, status: run.status, stderr: run.stderr }).toEqual({ line, status: 0, stderr: "" });
}

const KEYWORD = 2;

describe("a failed workflow start explained", () => {
  test("a missing search attribute: the exact command, which then makes the start succeed", async () => {
    const namespace = "darkroom-refused";
    const client = new Client({ connection, namespace });
    const startIt = () =>
      client.workflow.start("companionPhoto", {
        taskQueue: "nobody-polls-this",
        workflowId: `explain-${Math.random().toString(36).slice(2)}`,
        typedSearchAttributes: [{ key: DarkroomTenant, value: "acme" }],
      });
    const error = await startIt().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeDefined();
    const message = explainStartFailure(error, { namespace, address: server.address, searchAttributes: searchAttributeNames });
    const command = `temporal operator search-attribute create --name DarkroomTenant --type Keyword --namespace ${namespace} --address ${server.address}`;
    expect(message).toContain(command);
    expect(message).not.toMatch(/^Failed to start Workflow/);

    runAsOperator(command);
    const handle = await startIt();
    await handle.terminate("test done");
  });

  test("the same through Update-with-Start (as clients of the waiting-message update start): the server's reason, not the wrapper's", async () => {
    const namespace = "darkroom-refused";
    const client = new Client({ connection, namespace });
    const startWorkflowOperation = new WithStartWorkflowOperation("angleSeries", {
      taskQueue: "nobody-polls-this",
      workflowId: `explain-uws-${Math.random().toString(36).slice(2)}`,
      workflowIdConflictPolicy: "USE_EXISTING",
      typedSearchAttributes: [{ key: DarkroomAgent, value: "sofia" }],
    });
    const error = await client.workflow.executeUpdateWithStart(defineUpdate("seriesBegun"), { startWorkflowOperation }).then(
      () => undefined,
      (e: unknown) => e,
    );
    const message = explainStartFailure(error, { namespace, address: server.address, searchAttributes: searchAttributeNames });
    expect(message).toContain("DarkroomAgent");
    expect(message).not.toContain("Update-with-Start could not be executed");
    expect(message).toContain(`temporal operator search-attribute create --name DarkroomAgent --type Keyword --namespace ${namespace} --address ${server.address}`);
  });

  test("an unknown namespace: how to create it or which setting to fix", async () => {
    const client = new Client({ connection, namespace: "no-such-namespace" });
    const error = await client.workflow.start("companionPhoto", { taskQueue: "q", workflowId: "w" }).then(
      () => undefined,
      (e: unknown) => e,
    );
    const message = explainStartFailure(error, { namespace: "no-such-namespace", address: server.address });
    expect(message).toContain(`temporal operator namespace create --namespace no-such-namespace --address ${server.address}`);
    expect(message).toContain("TEMPORAL_NAMESPACE");
  });

  test("an unreachable server: says so, with the address to check", async () => {
    const address = `127.0.0.1:${await freePort()}`;
    const lazy = Connection.lazy({ address, connectTimeout: 500 });
    try {
      const client = new Client({ connection: lazy });
      const error = await client.workflow.start("companionPhoto", { taskQueue: "q", workflowId: "w" }).then(
        () => undefined,
        (e: unknown) => e,
      );
      const message = explainStartFailure(error, { namespace: "default", address });
      expect(message).toContain(`Temporal at ${address} is unreachable`);
      expect(message).toContain("TEMPORAL_ADDRESS");
    } finally {
      await lazy.close().catch(() => {});
    }
  });
});

describe("at start", () => {
  test("the API registers the missing attributes where the server allows it, and photos complete", async () => {
    const namespace = "darkroom-auto";
    expect(Object.keys(await defined(namespace)).filter((n) => n.startsWith("Darkroom"))).toEqual([]);
    const stack = await startStack({ instances: 1, temporal: { address: server.address, namespace } });
    stacks.push(stack);
    const now = await defined(namespace);
    for (const name of searchAttributeNames) expect({ name, type: now[name] }).toEqual({ name, type: KEYWORD });
    const ready = await fetch(`${stack.api}/readyz`);
    expect(ready.status).toBe(200);
    expect((await ready.json()).checks.searchAttributes).toEqual({ ok: true });

    const reply = await stack.request("POST", "/v1/agents/sofia/replies", {
      userId: "sa-user",
      text: "¡Claro! [IMAGE: selfie en el parque]",
      persona: { name: "Sofia", personality: "alegre", language: "es" },
    });
    expect(reply.status).toBe(200);
    const gen = reply.body.generations[0];
    const done = await eventually(async () => {
      const g = (await stack.request("GET", `/v1/generations/${gen.id}`)).body;
      return ["completed", "failed"].includes(g?.status) ? g : undefined;
    }, "the photo");
    expect(done.status).toBe("completed");
    const described = await stack.running.temporal.workflow.getHandle(gen.workflowId).describe();
    expect(described.searchAttributes.DarkroomTenant).toEqual([stack.tenant]);
  });

  test("where it may not register them, /readyz is 503 with the commands, and running them makes it ready", async () => {
    const namespace = "darkroom-manual";
    const stack = await startStack({
      instances: 1,
      temporal: { address: server.address, namespace },
      env: { TEMPORAL_REGISTER_SEARCH_ATTRIBUTES: "false" },
    });
    stacks.push(stack);
    const notReady = await fetch(`${stack.api}/readyz`);
    expect(notReady.status).toBe(503);
    const check = (await notReady.json()).checks.searchAttributes;
    expect(check.ok).toBe(false);
    expect(check.missing).toEqual([...searchAttributeNames]);
    expect(check.commands).toEqual(
      searchAttributeNames.map((name) => `temporal operator search-attribute create --name ${name} --type Keyword --namespace ${namespace} --address ${server.address}`),
    );

    for (const line of check.commands) runAsOperator(line);
    const ready = await fetch(`${stack.api}/readyz`);
    expect({ status: ready.status, body: await ready.json() }).toMatchObject({ status: 200, body: { status: "ready" } });
  });

  test("a server that refuses registration: the check reports them missing, with the commands and the server's reason", async () => {
    const refusing = {
      listSearchAttributes: (req: { namespace: string }) => connection.operatorService.listSearchAttributes(req) as Promise<{ customAttributes?: Record<string, number> }>,
      // What a locked-down cluster (or a cloud namespace) answers to a client without admin rights.
      addSearchAttributes: async () => {
        throw Object.assign(new Error("7 PERMISSION_DENIED: Request unauthorized."), { code: 7 });
      },
    };
    const check = await ensureSearchAttributes(refusing, { names: searchAttributeNames, namespace: "default", address: server.address, register: true });
    expect(check.ok).toBe(false);
    expect(check.missing).toEqual([...searchAttributeNames]);
    expect(check.error).toContain("PERMISSION_DENIED");
    expect(check.commands).toHaveLength(searchAttributeNames.length);
    expect(check.commands[0]).toBe(`temporal operator search-attribute create --name DarkroomTenant --type Keyword --namespace default --address ${server.address}`);

    // The same namespace with a server that allows it, from several processes at once: all end up ok.
    const checks = await Promise.all(
      [1, 2, 3].map(() => ensureSearchAttributes(connection.operatorService, { names: searchAttributeNames, namespace: "default", address: server.address, register: true })),
    );
    expect(checks.map((c) => c.ok)).toEqual([true, true, true]);
  });
});
