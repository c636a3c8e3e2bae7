/**
 * The audit log over HTTP: every successful mutation is recorded with who, what, on which target,
 * from where; refused ones are not; secrets never enter it; producers read only entries about
 * their own data; the table is append-only.
 */
import { startTestHub, TestHub } from "../support/test-hub";
import { ApiKeyRole } from "../../src/auth/api-key.entity";
import { toGlobalId } from "../../src/common/graphql/global-id";

const AUDIT = `query($f: AuditLogFilter) { auditLog(filter: $f, first: 50) { totalCount nodes {
  actor operation targetType targetId changes ip requestId apiKeyId userId } } }`;

describe("audit log", () => {
  let hub: TestHub;
  const products: string[] = [];
  const producerIds: string[] = [];

  beforeAll(async () => {
    hub = await startTestHub();
    for (const k of ["a", "b"]) {
      const [p] = await hub.db.dataSource.query(
        `INSERT INTO producer (legal_name, name_key, type) VALUES ($1, $2, 'COOPERATIVE') RETURNING id`,
        [`HTX ${k}`, `htx ${k}`],
      );
      producerIds.push(p.id);
      const r = await hub.gql(
        `mutation($i: CreateProductInput!) { createProduct(input: $i) { product { id } } }`,
        {
          i: {
            producerId: toGlobalId("Producer", p.id),
            name: `Mật ong ${k}`,
            productSetNo: 13,
            variants: [{ sku: `MO-${k}`, priceVnd: 120000 }],
          },
        },
      );
      products.push(r.data.createProduct.product.id);
    }
  });
  afterAll(() => hub.close());

  it("records a successful mutation with actor, target, input, address and request id", async () => {
    const res = await fetch(hub.url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        authorization: `Bearer ${hub.adminKey}`,
        "x-request-id": "req-audit-1",
      },
      body: JSON.stringify({
        query: `mutation { updateProduct(input: { id: "${products[0]}", name: "Mật ong rừng U Minh" }) { product { id } userErrors { code } } }`,
      }),
    });
    expect(res.status).toBe(200);
    const r = await hub.gql(AUDIT, { f: { targetId: products[0], operation: "updateProduct" } });
    expect(r.data.auditLog.totalCount).toBe(1);
    const e = r.data.auditLog.nodes[0];
    expect(e).toMatchObject({
      operation: "updateProduct",
      targetType: "Product",
      targetId: products[0],
      ip: "127.0.0.1",
      requestId: "req-audit-1",
      userId: null,
    });
    expect(e.actor).toMatch(/^apiKey:/);
    expect(e.apiKeyId).toBeTruthy();
    expect(e.changes.input).toEqual({ input: { id: products[0], name: "Mật ong rừng U Minh" } });

    // The producers' creation earlier is there too, newest first.
    const all = await hub.gql(AUDIT, { f: { operation: "createProduct" } });
    expect(all.data.auditLog.nodes.map((n: { targetId: string }) => n.targetId)).toEqual(
      [...products].reverse(),
    );
  });

  it("does not record refused mutations", async () => {
    const before = (await hub.gql(AUDIT, {})).data.auditLog.totalCount;
    const bad = await hub.gql(
      `mutation { updateProduct(input: { id: "${products[0]}", name: "" }) { userErrors { code } } }`,
    );
    expect(bad.data.updateProduct.userErrors.length).toBeGreaterThan(0);
    const ro = await hub.issueKey(ApiKeyRole.INTEGRATOR_READ);
    const forbidden = await hub.gql(
      `mutation { updateProduct(input: { id: "${products[0]}", name: "x" }) { userErrors { code } } }`,
      {},
      { key: ro },
    );
    expect(forbidden.errors?.[0].extensions?.code).toBe("FORBIDDEN");
    expect((await hub.gql(AUDIT, {})).data.auditLog.totalCount).toBe(before);
  });

  it("keeps secrets out: passwords, new keys, session tokens", async () => {
    const password = "mat-khau-bi-mat-123";
    const newPassword = "mat-khau-moi-bi-mat-456";
    await hub.gql(`mutation($i: CreateUserInput!) { createUser(input: $i) { user { id } } }`, {
      i: {
        email: "kiemtra@example.vn",
        password,
        role: "PRODUCER_OWNER",
        producerId: toGlobalId("Producer", producerIds[0]),
      },
    });
    const login = await hub.gql(
      `mutation { login(input: { email: "kiemtra@example.vn", password: "${password}" }) { accessToken refreshToken } }`,
      {},
      { key: null },
    );
    const { accessToken, refreshToken } = login.data.login;
    await hub.gql(
      `mutation($c: String!, $n: String!) { changePassword(input: { currentPassword: $c, newPassword: $n }) { changed } }`,
      { c: password, n: newPassword },
      { key: accessToken },
    );
    const key = await hub.gql(
      `mutation { createApiKey(input: { name: "k", scopes: [READ_CATALOGUE] }) { key } }`,
    );
    const rows = await hub.db.dataSource.query(`SELECT * FROM audit_log`);
    const text = JSON.stringify(rows);
    for (const secret of [password, newPassword, accessToken, refreshToken, key.data.createApiKey.key]) {
      expect(text).not.toContain(secret);
    }
    const ops = rows.map((r: { operation: string }) => r.operation);
    expect(ops).toEqual(expect.arrayContaining(["createUser", "changePassword", "createApiKey"]));
    expect(ops).not.toContain("login");
    const change = rows.find((r: { operation: string }) => r.operation === "changePassword");
    expect(change.actor).toMatch(/^user:/);
    expect(change.changes.input.input).toEqual({ currentPassword: "[REDACTED]", newPassword: "[REDACTED]" });
  });

  it("shows a producer only the entries about its own data; admins see all", async () => {
    const keyA = await hub.issueKey(ApiKeyRole.PRODUCER, producerIds[0]);
    const keyB = await hub.issueKey(ApiKeyRole.PRODUCER, producerIds[1]);
    await hub.gql(
      `mutation { updateProduct(input: { id: "${products[1]}", name: "Mật ong b2" }) { userErrors { code } } }`,
      {},
      { key: keyB },
    );
    const seenByA = (await hub.gql(AUDIT, {}, { key: keyA })).data.auditLog.nodes;
    const seenByB = (await hub.gql(AUDIT, {}, { key: keyB })).data.auditLog.nodes;
    expect(seenByA.length).toBeGreaterThan(0);
    expect(seenByA.every((n: { targetId: string | null }) => n.targetId !== products[1])).toBe(true);
    expect(seenByB.some((n: { targetId: string; actor: string }) => n.targetId === products[1])).toBe(true);
    expect(seenByB.every((n: { targetId: string | null }) => n.targetId !== products[0])).toBe(true);
    const foreign = await hub.gql(AUDIT, { f: { targetId: products[0] } }, { key: keyB });
    expect(foreign.data.auditLog.totalCount).toBe(0);
    const admin = await hub.gql(AUDIT, { f: { targetId: products[1] } });
    expect(admin.data.auditLog.totalCount).toBeGreaterThanOrEqual(2);
  });

  it("keeps a price change's old and new value, written in the change's own transaction", async () => {
    const r = await hub.gql(
      `mutation($p: ID!) { upsertVariants(productId: $p, variants: [{ sku: "MO-a", priceVnd: 135000 }]) { variants { id } userErrors { code } } }`,
      { p: products[0] },
    );
    expect(r.data.upsertVariants.userErrors).toEqual([]);
    const e = await hub.gql(AUDIT, { f: { operation: "variant.priceChanged" } });
    expect(e.data.auditLog.nodes).toHaveLength(1);
    expect(e.data.auditLog.nodes[0]).toMatchObject({
      targetType: "Variant",
      targetId: r.data.upsertVariants.variants[0].id,
      changes: { sku: "MO-a", priceVnd: { before: 120000, after: 135000 } },
    });
    // Same price again: no change, no entry.
    await hub.gql(
      `mutation($p: ID!) { upsertVariants(productId: $p, variants: [{ sku: "MO-a", priceVnd: 135000 }]) { userErrors { code } } }`,
      {
        p: products[0],
      },
    );
    expect(
      (await hub.gql(AUDIT, { f: { operation: "variant.priceChanged" } })).data.auditLog.totalCount,
    ).toBe(1);
  });

  it("is append-only", async () => {
    await expect(hub.db.dataSource.query(`UPDATE audit_log SET actor = 'someone else'`)).rejects.toThrow(
      /append-only/,
    );
    await expect(hub.db.dataSource.query(`DELETE FROM audit_log`)).rejects.toThrow(/append-only/);
  });
});
