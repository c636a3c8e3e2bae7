/**
 * Abuse limits over real HTTP: cost in `extensions.cost`, depth, aliases, page sizes, batches, body
 * size, per-key throttling with Retry-After, production mode (no introspection, no landing page),
 * error masking of a real SQL failure, and CSRF refusal of simple cross-site requests.
 */
import { startTestHub, TestHub } from "../support/test-hub";
import { ApiKeyRole } from "../../src/auth/api-key.entity";
import { hostileQueries, deepQuery, postRaw } from "../../bench/hostile-queries";

const NORMAL = `{ products(first: 10) { nodes { id producer { id } } } }`;

async function post(hub: TestHub, body: string | Buffer, headers: Record<string, string> = {}) {
  return postRaw(hub.url, body, {
    "content-type": "application/json",
    authorization: `Bearer ${hub.adminKey}`,
    ...headers,
  });
}

describe("abuse limits", () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startTestHub({ limits: { rate: { capacity: 1000, restorePerSecond: 50 } } });
  });
  afterAll(() => hub.close());

  it("reports the requested cost and the key's budget in extensions.cost", async () => {
    const r = await hub.gql(NORMAL);
    expect(r.errors).toBeUndefined();
    // products: 2 + 10 × (nodes 1 + producer 1).
    expect(r.extensions?.cost).toMatchObject({
      requestedQueryCost: 22,
      maximumQueryCost: 1000,
      throttleStatus: { maximumAvailable: 1000, restoreRate: 50 },
    });
    const cheap = await hub.gql(`{ products(first: 1) { totalCount } }`);
    expect((cheap.extensions?.cost as { requestedQueryCost: number }).requestedQueryCost).toBe(2);
  });

  it("prices nested connections as first × child cost and refuses a query over the limit", async () => {
    const r = await hub.gql(
      `{ products(first: 50) { nodes { variants { stockMovements(first: 50) { nodes { id } } } } } }`,
    );
    expect(r.data).toBeUndefined();
    expect(r.status).toBe(400);
    expect(r.errors?.[0].extensions).toMatchObject({
      code: "QUERY_TOO_COMPLEX",
      maxCost: 1000,
      requestedQueryCost: 2 + 50 * (1 + 1 + (2 + 50 * 1)),
    });
    expect(r.errors?.[0].message).toMatch(/tốn kém.*\/ Query cost/);
  });

  it("caps first on every connection, nested ones included, before running anything", async () => {
    const nested = await hub.gql(`{ products(first: 1) { nodes { variants { stockMovements(first: 101) {
      totalCount } } } } }`);
    expect(nested.errors?.[0].extensions?.code).toBe("BAD_USER_INPUT");
    expect(nested.status).toBe(400);
    expect(nested.errors?.[0].message).toMatch(/stockMovements.*100/);
    const viaVariable = await hub.gql(`query($n: Int) { producers(first: $n) { totalCount } }`, { n: 5000 });
    expect(viaVariable.errors?.[0].extensions?.code).toBe("BAD_USER_INPUT");
    const negative = await hub.gql(`{ producers(first: -1) { totalCount } }`);
    expect(negative.errors?.[0].extensions?.code).toBe("BAD_USER_INPUT");
  });

  it("refuses NUL characters in any text input before a resolver runs (PostgreSQL cannot store them)", async () => {
    const inVariables = await hub.gql(
      `query($q: String) { products(filter: { search: $q }) { totalCount } }`,
      {
        q: "a\u0000b",
      },
    );
    expect(inVariables.errors?.[0].extensions?.code).toBe("BAD_USER_INPUT");
    expect(inVariables.errors?.[0].message).toMatch(/NUL/);
    expect(inVariables.status).toBe(400);
    const inline = await hub.gql(`{ products(filter: { search: "a\\u0000b" }) { totalCount } }`);
    expect(inline.errors?.[0].extensions?.code).toBe("BAD_USER_INPUT");
  });

  it("refuses a query nested deeper than 12 levels, and accepts one at the limit", async () => {
    const deep = await post(hub, JSON.stringify({ query: deepQuery(50) }));
    expect(deep.status).toBe(400);
    const body = JSON.parse(deep.text);
    expect(body.errors[0].extensions).toEqual({ code: "QUERY_TOO_DEEP", maxDepth: 12 });
    expect(body.errors[0].message).toMatch(/lồng quá sâu.*\/ Query is nested too deeply/);
    const ok = await hub.gql(deepQuery(12));
    expect(ok.errors).toBeUndefined();
    const over = await hub.gql(deepQuery(13));
    expect(over.errors?.[0].extensions?.code).toBe("QUERY_TOO_DEEP");
  });

  it("refuses more than 30 aliases, and documents over 2000 tokens while parsing", async () => {
    const few = await hub.gql(
      `{ ${Array.from({ length: 30 }, (_, i) => `a${i}: productSets { number }`).join(" ")} }`,
    );
    expect(few.errors).toBeUndefined();
    const many = await hub.gql(
      `{ ${Array.from({ length: 31 }, (_, i) => `a${i}: productSets { number }`).join(" ")} }`,
    );
    expect(many.errors?.[0].extensions).toEqual({ code: "TOO_MANY_ALIASES", maxAliases: 30 });
    // Unaliased repetition is not an alias, but the parser's token cap stops it.
    const repeated = await hub.gql(`{ ${"productSets { number } ".repeat(2000)} }`);
    expect(repeated.errors?.[0]).toEqual({
      message: "Truy vấn quá dài (tối đa 2000 token). / Query document too large (at most 2000 tokens).",
      extensions: { code: "QUERY_TOO_LARGE", maxTokens: 2000 },
    });
  });

  it("rejects each hostile request within 50 ms with a clear error, and keeps serving", async () => {
    for (const h of hostileQueries(hub.adminKey)) {
      const times: number[] = [];
      let last = { status: 0, text: "" };
      for (let i = 0; i < 5; i++) {
        const r = await post(hub, h.body, h.headers);
        times.push(r.ms);
        last = r;
      }
      expect({ name: h.name, status: last.status }).toEqual({ name: h.name, status: h.status });
      expect(JSON.parse(last.text).errors[0].extensions.code).toBe(h.code);
      // The first try pays for cold paths (JIT, connection set-up); the best of five is the figure
      // (five, so a busy shared machine cannot fail it by stealing the CPU three times in a row).
      expect({ name: h.name, fast: Math.min(...times) <= 50 }).toEqual({ name: h.name, fast: true });
    }
    const after = await hub.gql(NORMAL);
    expect(after.errors).toBeUndefined();
  });

  it("answers a body over 1 MiB with 413 PAYLOAD_TOO_LARGE also for clients that do not ask first", async () => {
    const body = JSON.stringify({ query: "{ productSets { number } }", pad: " ".repeat(2 * 1024 * 1024) });
    const res = await fetch(hub.url, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${hub.adminKey}` },
      body,
    });
    expect(res.status).toBe(413);
    expect(await res.json()).toEqual({
      errors: [
        {
          message: "Nội dung yêu cầu quá lớn (tối đa 1 MiB). / Request body too large (at most 1 MiB).",
          extensions: { code: "PAYLOAD_TOO_LARGE", limitBytes: 1024 * 1024 },
        },
      ],
    });
  });

  it("throttles a key past its budget with THROTTLED, 429 and Retry-After, without touching other keys", async () => {
    const key = await hub.issueKey(ApiKeyRole.INTEGRATOR_READ);
    const heavy = `{ products(first: 100) { nodes { producer { id } variants { id } } } }`; // 302 points
    const statuses: number[] = [];
    let throttled: Awaited<ReturnType<typeof post>> | null = null;
    for (let i = 0; i < 4; i++) {
      const r = await post(hub, JSON.stringify({ query: heavy }), { authorization: `Bearer ${key}` });
      statuses.push(r.status);
      if (r.status === 429) throttled = r;
    }
    expect(statuses).toEqual([200, 200, 200, 429]);
    const body = JSON.parse(throttled!.text);
    expect(body.errors[0].extensions.code).toBe("THROTTLED");
    expect(body.errors[0].message).toMatch(/Vượt hạn mức.*\/ Query budget exceeded/);
    const retry = Number(throttled!.headers["retry-after"]);
    expect(retry).toBeGreaterThanOrEqual(1);
    expect(body.errors[0].extensions.retryAfterSeconds).toBe(retry);
    expect(body.errors[0].extensions.cost.throttleStatus.currentlyAvailable).toBeLessThan(302);
    expect(body.data).toBeUndefined();
    const other = await hub.gql(NORMAL);
    expect(other.errors).toBeUndefined();
  });

  it("refuses simple cross-site requests (CSRF): form posts, text/plain posts, GET without preflight", async () => {
    const form = await post(hub, "query=%7B__typename%7D", {
      "content-type": "application/x-www-form-urlencoded",
    });
    expect(form.status).toBe(415);
    const plain = await post(hub, JSON.stringify({ query: "{ __typename }" }), {
      "content-type": "text/plain",
    });
    expect([400, 415]).toContain(plain.status);
    const get = await fetch(`${hub.url}?query=${encodeURIComponent("{ __typename }")}`);
    expect(get.status).toBe(400);
    expect(await get.text()).toMatch(/CSRF|preflight/i);
    // A non-simple GET (JSON content type, needs a CORS preflight) may read, never write.
    const mutation = await fetch(
      `${hub.url}?query=${encodeURIComponent('mutation { archiveProduct(id: "x") { userErrors { code } } }')}`,
      { headers: { "content-type": "application/json", authorization: `Bearer ${hub.adminKey}` } },
    );
    expect(mutation.status).toBe(405);
  });
});

describe("production mode", () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startTestHub({ mode: "production", capture: true, logLevel: "error" });
  });
  afterAll(() => hub.close());

  it("turns introspection and the landing page off", async () => {
    const r = await hub.gql(`{ __schema { queryType { name } } }`);
    expect(r.errors?.[0].extensions?.code).toBe("GRAPHQL_VALIDATION_FAILED");
    expect(r.errors?.[0].message).toMatch(/introspection/i);
    const page = await fetch(hub.url, { headers: { accept: "text/html" } });
    expect(await page.text()).not.toMatch(/<html/i);
    // Rate limiting is on by default outside test mode.
    const normal = await hub.gql(NORMAL);
    expect(normal.extensions?.cost).toHaveProperty("throttleStatus");
  });

  it("masks a real SQL failure: no SQL, stack or table name reaches the client, the log has it", async () => {
    await hub.db.dataSource.query(`ALTER TABLE product RENAME TO product_gone_for_test`);
    try {
      const res = await post(hub, JSON.stringify({ query: NORMAL }));
      const body = JSON.parse(res.text);
      expect(body.errors[0].extensions).toEqual({ code: "INTERNAL_SERVER_ERROR" });
      expect(body.errors[0].message).toBe(
        "Lỗi máy chủ; đã ghi nhận. / Internal server error; it has been logged.",
      );
      expect(res.text).not.toMatch(/SELECT|FROM|relation|product_gone|QueryFailedError|\bat .*:\d+:\d+/);
      expect(hub.captured.logs.join("\n")).toMatch(/relation \\?"product\\?" does not exist/);
    } finally {
      await hub.db.dataSource.query(`ALTER TABLE product_gone_for_test RENAME TO product`);
    }
  });
});
