/**
 * The API's outside: every route refuses bad input with a 4xx a person can act on and writes nothing;
 * a tenant never sees another tenant's data (404, not 403); OpenAPI and health are open.
 */
import { afterAll, beforeAll, describe, expect, test, setDefaultTimeout } from "bun:test";
import { eventually, startStack, type Stack } from "./support/stack";

// Real servers (Temporal, PostgreSQL, simulators) start cold; `bun test` alone defaults to 5 s.
setDefaultTimeout(180_000);

let stack: Stack;
const OTHER_KEY = "key-globex-abcdefghijklmnop";
const persona = { name: "Sofia", personality: "alegre", language: "es" };

beforeAll(async () => {
  stack = await startStack({ instances: 1, tenants: { acme: "key-acme-abcdefghijklmnop", globex: OTHER_KEY } });
});
afterAll(() => stack?.stop());

async function counts() {
  const p = stack.db.prisma;
  return { generations: await p.generation.count(), messages: await p.message.count(), events: await p.event.count() };
}

function expectActionableError(res: { status: number; body: any }, status: number, mention?: string) {
  expect(res.status).toBe(status);
  expect(typeof res.body.error.code).toBe("string");
  expect(res.body.error.message.length).toBeGreaterThan(10);
  if (mention) expect(res.body.error.message.toLowerCase()).toContain(mention.toLowerCase());
}

describe("bad input on POST /v1/agents/:agentId/replies", () => {
  const cases: Array<[string, string | object, string | undefined]> = [
    ["malformed JSON", '{"userId": "u1", "text": ', "json"],
    ["a JSON array", "[1,2,3]", undefined],
    ["missing text", { userId: "u1" }, "text"],
    ["missing userId", { text: "[IMAGE: x]" }, "userId"],
    ["text of the wrong type", { userId: "u1", text: 42 }, "text"],
    ["a huge text", { userId: "u1", text: `[IMAGE: ${"a".repeat(25_000)}]` }, "text"],
    ["an empty userId", { userId: "", text: "[IMAGE: x]" }, "userId"],
    ["a userId with control characters", { userId: "u1\n\u0000", text: "[IMAGE: x]" }, "userId"],
    ["a persona without a name", { userId: "u1", text: "[IMAGE: x]", persona: { personality: "x" } }, "persona"],
    ["a persona file name that escapes", { userId: "u1", text: "[IMAGE: x]", persona: { id: "../../etc/passwd", name: "S", personality: "" } }, "persona"],
  ];
  for (const [what, body, mention] of cases) {
    test(`${what} → 400 and nothing written`, async () => {
      const before = await counts();
      const res = await stack.request("POST", "/v1/agents/sofia/replies", body);
      expectActionableError(res, 400, mention);
      expect(await counts()).toEqual(before);
    });
  }

  test("a body of megabytes → 413 before it is read, and nothing written", async () => {
    const before = await counts();
    const res = await stack.request("POST", "/v1/agents/sofia/replies", { userId: "u1", text: `[IMAGE: ${"a".repeat(3 * 1024 * 1024)}]` });
    expectActionableError(res, 413, "API_MAX_BODY_BYTES");
    expect(res.body.error.code).toBe("payload_too_large");
    expect(await counts()).toEqual(before);
  });

  test("a bad agent id in the path → 400 naming it", async () => {
    const res = await stack.request("POST", `/v1/agents/${encodeURIComponent("sofia <script>")}/replies`, { userId: "u1", text: "hi" });
    expectActionableError(res, 400, "agentId");
  });
});

describe("authentication and tenants", () => {
  test("no key or a wrong key → 401 with a hint", async () => {
    const res = await fetch(`${stack.api}/v1/agents/sofia/pending-images?userId=u1`);
    expect(res.status).toBe(401);
    expect((await res.json()).error.message).toContain("Bearer");
    const wrong = await stack.request("GET", "/v1/agents/sofia/pending-images?userId=u1", undefined, "not-a-key-at-all-123");
    expect(wrong.status).toBe(401);
  });

  test("another tenant's generation and image are 404, and its list is empty", async () => {
    const reply = await stack.request("POST", "/v1/agents/sofia/replies", { userId: "u1", text: "[IMAGE: un atardecer]", persona });
    const id = reply.body.generations[0].id;
    const done = await eventually(async () => {
      const g = (await stack.request("GET", `/v1/generations/${id}`)).body;
      return g.status === "completed" ? g : undefined;
    }, "completion");

    for (const [method, route] of [
      ["GET", `/v1/generations/${id}`],
      ["POST", `/v1/generations/${id}/cancel`],
      ["POST", `/v1/generations/${id}/retry`],
      ["GET", `/v1/generations/${id}/events`],
      ["GET", `/v1/images/${done.images[0].id}`],
    ] as const) {
      const res = await stack.request(method, route, undefined, OTHER_KEY);
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe("not_found");
    }
    const list = await stack.request("GET", "/v1/agents/sofia/pending-images?userId=u1", undefined, OTHER_KEY);
    expect(list.body).toEqual({ pending: [], completed: [] });
  });

  test("unknown ids → 404 naming the id; malformed ids → 400", async () => {
    const unknown = await stack.request("GET", "/v1/generations/00000000-0000-0000-0000-000000000000");
    expectActionableError(unknown, 404, "00000000-0000-0000-0000-000000000000");
    const malformed = await stack.request("GET", `/v1/generations/${encodeURIComponent("not an id!")}`);
    expectActionableError(malformed, 400, "id");
    const image = await stack.request("GET", "/v1/images/00000000-0000-0000-0000-000000000000");
    expect(image.status).toBe(404);
  });

  test("pending-images requires a userId", async () => {
    expectActionableError(await stack.request("GET", "/v1/agents/sofia/pending-images"), 400, "userId");
  });
});

describe("open routes", () => {
  test("OpenAPI documents the routes", async () => {
    const res = await fetch(`${stack.api}/openapi/json`);
    expect(res.status).toBe(200);
    const doc = await res.json();
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(["/v1/agents/{agentId}/replies", "/v1/agents/{agentId}/pending-images", "/v1/generations/{id}", "/v1/images/{imageId}"]),
    );
    expect((await fetch(`${stack.api}/openapi`)).status).toBe(200);
  });

  test("health, readiness and the instance pool", async () => {
    expect(await (await fetch(`${stack.api}/healthz`)).json()).toEqual({ status: "ok" });
    const ready = await fetch(`${stack.api}/readyz`);
    expect(ready.status).toBe(200);
    expect((await ready.json()).checks.database.ok).toBe(true);
    const pool = await stack.request("GET", "/v1/instances");
    expect(pool.body.instances).toHaveLength(1);
    expect(pool.body.instances[0]).toMatchObject({ name: stack.instanceNames[0], taskQueue: `comfy.${stack.instanceNames[0]}`, healthy: true });
  });

  test("an unknown route is a JSON 404", async () => {
    const res = await fetch(`${stack.api}/v1/nope`);
    expect(res.status).toBe(404);
    expect((await res.json()).error.code).toBe("not_found");
  });
});
