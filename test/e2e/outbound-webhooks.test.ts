/**
 * Outbound webhooks against a real local HTTP receiver: events written by the triggers in the
 * transaction of real changes (stock through the API, orders through the import, listing failures,
 * alerts), signed deliveries that verify, retries with backoff after 500s with every attempt
 * recorded and visible over GraphQL, a delivery that fails for good and is redelivered, paused
 * subscriptions, tenancy, the secret shown once, and the target-address policy.
 */
import crypto from "node:crypto";
import http from "node:http";
import { ApiKeyRole } from "../../src/auth/api-key.entity";
import { toGlobalId } from "../../src/common/graphql/global-id";
import { createLogger } from "../../src/common/logger";
import { importOrders } from "../../src/orders/order-import.service";
import { evaluateAlerts } from "../../src/alerts/alert.service";
import { WebhookDeliverer, backoffMs } from "../../src/outbound-webhooks/deliverer";
import { checkTargetUrl, isPrivateAddress, targetPolicyFor } from "../../src/outbound-webhooks/target-policy";
import { verifySignature } from "../../src/outbound-webhooks/signing";
import { registry } from "../../src/observability/registry";
import { SecretBox } from "../../src/common/crypto";
import { resealWebhookSecrets } from "../../src/outbound-webhooks/reseal";
import { startTestHub, TestHub } from "../support/test-hub";
import { insertCatalogue, insertChannel, order } from "../support/order-fixture";

interface Received {
  headers: http.IncomingHttpHeaders;
  body: string;
  at: number;
}

let hub: TestHub;
let deliverer: WebhookDeliverer;
let receiver: http.Server;
let receiverUrl: string;
const got: Received[] = [];
/** Status codes the receiver answers with, in order; 200 once exhausted. */
let answers: number[] = [];

let A: { producerId: string; variantId: string; channelId: string; key: string };
let B: { producerId: string; variantId: string; key: string };
let sub: { id: string; secret: string };

const CREATE = `mutation($i: CreateWebhookSubscriptionInput!) {
  createWebhookSubscription(input: $i) { secret subscription { id url events producerId active } userErrors { field code message } }
}`;
const DELIVERIES = `query($s: ID!, $st: WebhookDeliveryStatus) {
  webhookDeliveries(subscriptionId: $s, status: $st, first: 100) { totalCount nodes { id eventId eventType payloadJson status attempts
    lastStatusCode lastError deliveredAt attemptLog { attempt statusCode durationMs error responseExcerpt } } }
}`;

beforeAll(async () => {
  hub = await startTestHub();
  const ds = hub.db.dataSource;
  receiver = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      got.push({ headers: req.headers, body: Buffer.concat(chunks).toString("utf8"), at: Date.now() });
      const status = answers.shift() ?? 200;
      res.writeHead(status, { "content-type": "text/plain" }).end(status === 200 ? "ok" : "boom");
    });
  });
  await new Promise<void>((r) => receiver.listen(0, "127.0.0.1", r));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as { port: number }).port}/hooks`;
  const a = await insertCatalogue(ds, { "WH-A": 10 });
  const b = await insertCatalogue(ds, { "WH-B": 10 });
  A = {
    producerId: a.producerId,
    variantId: a.variants["WH-A"],
    channelId: await insertChannel(ds, a.producerId, "shopee"),
    key: await hub.issueKey(ApiKeyRole.PRODUCER, a.producerId),
  };
  B = {
    producerId: b.producerId,
    variantId: b.variants["WH-B"],
    key: await hub.issueKey(ApiKeyRole.PRODUCER, b.producerId),
  };
  deliverer = new WebhookDeliverer({
    ds,
    box: hub.services.sync.box,
    log: createLogger("silent"),
    policy: { allowPrivate: true },
    connectionString: hub.db.url,
    pollMs: 100,
    backoffBaseMs: 150,
    backoffMaxMs: 1_000,
    maxAttempts: 4,
    timeoutMs: 2_000,
  });
  await deliverer.start();
});
afterAll(async () => {
  await deliverer?.stop();
  await new Promise((r) => receiver?.close(r));
  await hub?.close();
});

async function until<T>(
  what: string,
  fn: () => Promise<T | null | undefined | false>,
  ms = 10_000,
): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Waits until no delivery is pending, so one test's retries never take the next test's answers. */
async function settle(): Promise<void> {
  await until("no pending deliveries", async () => {
    const [{ n }] = await hub.db.dataSource.query(
      `SELECT count(*)::int AS n FROM webhook_delivery d JOIN webhook_subscription s ON s.id = d.subscription_id
        WHERE d.status = 'PENDING' AND s.active`,
    );
    return n === 0;
  });
}

async function deliveries(subscriptionId: string, key = A.key, status?: string) {
  const r = await hub.gql(DELIVERIES, { s: subscriptionId, st: status }, { key });
  expect(r.errors).toBeUndefined();
  return r.data.webhookDeliveries as { totalCount: number; nodes: any[] } | null;
}

test("creating a subscription shows the secret once and stores it sealed", async () => {
  const r = await hub.gql(
    CREATE,
    {
      i: {
        producerId: toGlobalId("Producer", A.producerId),
        url: receiverUrl,
        events: [
          "STOCK_CHANGED",
          "PRODUCT_CHANGED",
          "ORDER_IMPORTED",
          "ORDER_STATUS_CHANGED",
          "LISTING_FAILED",
          "ALERT_RAISED",
        ],
        description: "ERP của HTX",
      },
    },
    { key: A.key },
  );
  const p = r.data.createWebhookSubscription;
  expect(p.userErrors).toEqual([]);
  expect(p.secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
  expect(p.subscription).toMatchObject({
    url: receiverUrl,
    active: true,
    producerId: toGlobalId("Producer", A.producerId),
  });
  sub = { id: p.subscription.id, secret: p.secret };
  const [row] = await hub.db.dataSource.query(`SELECT secret FROM webhook_subscription WHERE id = $1`, [
    sub.id,
  ]);
  expect(row.secret.toString("latin1")).not.toContain(sub.secret);
  expect(hub.services.sync.box.open(row.secret)).toBe(sub.secret);
  // Never again: no field of the type carries it.
  const list = await hub.gql(
    `{ webhookSubscriptions { totalCount nodes { id url events description } } }`,
    {},
    { key: A.key },
  );
  expect(list.data.webhookSubscriptions.totalCount).toBe(1);
  expect(JSON.stringify(list)).not.toContain(sub.secret);
  const introspect = await hub.gql(`{ __type(name: "WebhookSubscription") { fields { name } } }`);
  expect(introspect.data.__type.fields.map((f: { name: string }) => f.name)).not.toContain("secret");
  // Producer B neither sees nor changes it.
  expect(
    (await hub.gql(`{ webhookSubscriptions { totalCount } }`, {}, { key: B.key })).data.webhookSubscriptions
      .totalCount,
  ).toBe(0);
  expect(await deliveries(sub.id, B.key)).toBeNull();
});

test("a stock change is delivered signed; 500s are retried with backoff and every attempt is recorded", async () => {
  got.length = 0;
  answers = [500, 503];
  const r = await hub.gql(
    `mutation($i: AdjustStockInput!) { adjustStock(input: $i) { userErrors { code } } }`,
    { i: { variantId: toGlobalId("Variant", A.variantId), delta: -3, reason: "hàng hỏng" } },
    { key: A.key },
  );
  expect(r.errors).toBeUndefined();
  const d = await until("delivered", async () => {
    const l = await deliveries(sub.id, A.key, "DELIVERED");
    return l!.nodes.find((n) => n.eventType === "STOCK_CHANGED");
  });
  expect(got).toHaveLength(3);
  expect(d.attemptLog.map((a: { statusCode: number }) => a.statusCode)).toEqual([500, 503, 200]);
  expect(d.attemptLog.map((a: { attempt: number }) => a.attempt)).toEqual([1, 2, 3]);
  expect(d.attemptLog[0]).toMatchObject({ error: "HTTP 500", responseExcerpt: "boom" });
  expect(d.attemptLog.every((a: { durationMs: number }) => a.durationMs >= 0)).toBe(true);
  expect(d).toMatchObject({ status: "DELIVERED", lastStatusCode: 200, lastError: null });
  // Backoff between attempts: ~150 ms, then ~300 ms (±20 %).
  expect(got[1].at - got[0].at).toBeGreaterThanOrEqual(110);
  expect(got[2].at - got[1].at).toBeGreaterThanOrEqual(230);

  for (const g of got) {
    expect(g.headers["content-type"]).toBe("application/json");
    expect(g.headers["x-ocop-event-id"]).toBe(d.eventId);
    expect(g.headers["x-ocop-event-type"]).toBe("STOCK_CHANGED");
    expect(g.headers["x-ocop-delivery-id"]).toBe(d.id);
    const ok = verifySignature({
      secret: sub.secret,
      rawBody: g.body,
      timestamp: g.headers["x-ocop-timestamp"] as string,
      signature: g.headers["x-ocop-signature"] as string,
    });
    expect(ok).toBe(true);
    // One byte changed, or another secret: refused.
    expect(
      verifySignature({
        secret: sub.secret,
        rawBody: g.body.replace('"onHand":7', '"onHand":8'),
        timestamp: g.headers["x-ocop-timestamp"] as string,
        signature: g.headers["x-ocop-signature"] as string,
      }),
    ).toBe(false);
    expect(
      verifySignature({
        secret: "whsec_other",
        rawBody: g.body,
        timestamp: g.headers["x-ocop-timestamp"] as string,
        signature: g.headers["x-ocop-signature"] as string,
      }),
    ).toBe(false);
  }
  expect(got.map((g) => g.headers["x-ocop-delivery-attempt"])).toEqual(["1", "2", "3"]);
  expect(new Set(got.map((g) => g.body)).size).toBe(1);
  const body = JSON.parse(got[0].body);
  expect(body).toMatchObject({
    id: d.eventId,
    type: "STOCK_CHANGED",
    data: {
      sku: "WH-A",
      onHand: 7,
      reserved: 0,
      available: 7,
      previousAvailable: 10,
      variantId: toGlobalId("Variant", A.variantId),
    },
  });
  // A stale timestamp is refused by the verifier even with a good signature.
  expect(
    verifySignature({
      secret: sub.secret,
      rawBody: got[0].body,
      timestamp: got[0].headers["x-ocop-timestamp"] as string,
      signature: got[0].headers["x-ocop-signature"] as string,
      nowSeconds: Number(got[0].headers["x-ocop-timestamp"]) + 3600,
    }),
  ).toBe(false);
});

test("a change that rolls back emits nothing; other producers' changes do not reach this subscription", async () => {
  const ds = hub.db.dataSource;
  const before = (await deliveries(sub.id))!.totalCount;
  const qr = ds.createQueryRunner();
  await qr.startTransaction();
  await qr.query(`UPDATE stock_level SET on_hand = on_hand + 5 WHERE variant_id = $1`, [A.variantId]);
  await qr.rollbackTransaction();
  await qr.release();
  await ds.query(`UPDATE stock_level SET on_hand = on_hand + 5 WHERE variant_id = $1`, [B.variantId]);
  await new Promise((r) => setTimeout(r, 300));
  expect((await deliveries(sub.id))!.totalCount).toBe(before);
  const [{ n }] = await ds.query(`SELECT count(*)::int AS n FROM outbound_event WHERE producer_id = $1`, [
    B.producerId,
  ]);
  expect(n).toBe(0); // nobody subscribes to B: not even an event row
});

test("orders imported and status changes, listing failures and alerts are delivered", async () => {
  const ds = hub.db.dataSource;
  got.length = 0;
  const o = order([{ sku: "WH-A", quantity: 1 }]);
  await importOrders(hub.services.sync, A.channelId, [o], "PULL");
  await importOrders(
    hub.services.sync,
    A.channelId,
    [{ ...o, status: "SHIPPED", remoteStatus: "SHIPPED", updatedAt: o.updatedAt + 60_000 }],
    "WEBHOOK",
  );
  const [{ id: productId }] = await ds.query(`SELECT product_id AS id FROM variant WHERE id = $1`, [
    A.variantId,
  ]);
  const [l] = await ds.query(
    `INSERT INTO listing (channel_id, product_id, variant_id, listing_key, state) VALUES ($1, $2, $3, 'wh', 'PENDING') RETURNING id`,
    [A.channelId, productId, A.variantId],
  );
  await ds.query(
    `UPDATE listing SET state = 'FAILED', last_error = '{"code":"CATEGORY_REQUIRED"}' WHERE id = $1`,
    [l.id],
  );
  await ds.query(`UPDATE channel SET status = 'NEEDS_REAUTH' WHERE id = $1`, [A.channelId]);
  await evaluateAlerts(ds, { tickKey: "webhook-test-1" });

  const want = ["ORDER_IMPORTED", "ORDER_STATUS_CHANGED", "LISTING_FAILED", "ALERT_RAISED"];
  const list = await until("four more deliveries", async () => {
    const l2 = await deliveries(sub.id, A.key, "DELIVERED");
    const types = new Set(l2!.nodes.map((n) => n.eventType));
    return want.every((t) => types.has(t)) ? l2 : null;
  });
  const byType = (t: string) => JSON.parse(list.nodes.find((n) => n.eventType === t).payloadJson);
  expect(byType("ORDER_IMPORTED")).toMatchObject({
    externalOrderId: o.externalOrderId,
    marketplace: "shopee",
    source: "PULL",
  });
  expect(byType("ORDER_STATUS_CHANGED")).toMatchObject({
    externalOrderId: o.externalOrderId,
    status: "SHIPPED",
  });
  expect(byType("ORDER_STATUS_CHANGED").previousStatus).not.toBe("SHIPPED");
  expect(byType("LISTING_FAILED")).toMatchObject({ sku: "WH-A", error: { code: "CATEGORY_REQUIRED" } });
  expect(byType("ALERT_RAISED")).toMatchObject({ rule: "CHANNEL_NEEDS_REAUTH", severity: "CRITICAL" });
  // The order's stock reservation is a stock change too.
  expect(list.nodes.filter((n) => n.eventType === "STOCK_CHANGED").length).toBeGreaterThanOrEqual(2);
  for (const g of got)
    expect(
      verifySignature({
        secret: sub.secret,
        rawBody: g.body,
        timestamp: g.headers["x-ocop-timestamp"] as string,
        signature: g.headers["x-ocop-signature"] as string,
      }),
    ).toBe(true);
  await ds.query(`UPDATE channel SET status = 'ACTIVE' WHERE id = $1`, [A.channelId]);
  await settle();
});

test("a delivery failing on every attempt is FAILED; redeliverWebhook sends it again", async () => {
  await settle();
  got.length = 0;
  answers = [500, 500, 500, 500];
  await hub.gql(
    `mutation($i: AdjustStockInput!) { adjustStock(input: $i) { userErrors { code } } }`,
    { i: { variantId: toGlobalId("Variant", A.variantId), delta: 1, reason: "nhập lô mới" } },
    { key: A.key },
  );
  const failed = await until("failed", async () => (await deliveries(sub.id, A.key, "FAILED"))!.nodes[0]);
  expect(failed.attempts).toBe(4);
  expect(failed.attemptLog.map((a: { statusCode: number }) => a.statusCode)).toEqual([500, 500, 500, 500]);
  expect(got).toHaveLength(4);
  // The attempts are counted for /metrics too.
  const counted = await registry.getSingleMetricAsString("ocop_outbound_webhook_attempts_total");
  expect(Number(/outcome="http_error"[^}]*} (\d+)/.exec(counted)?.[1])).toBeGreaterThanOrEqual(6);
  expect(Number(/outcome="delivered"[^}]*} (\d+)/.exec(counted)?.[1])).toBeGreaterThanOrEqual(5);

  // Another producer cannot redeliver it.
  const REDELIVER = `mutation($id: ID!) { redeliverWebhook(deliveryId: $id) { delivery { id status attempts } userErrors { code } } }`;
  const foreign = await hub.gql(REDELIVER, { id: failed.id }, { key: B.key });
  expect(foreign.data.redeliverWebhook.userErrors[0].code).toBe("NOT_FOUND");

  const r = await hub.gql(REDELIVER, { id: failed.id }, { key: A.key });
  expect(r.data.redeliverWebhook.userErrors).toEqual([]);
  expect(r.data.redeliverWebhook.delivery).toMatchObject({ id: failed.id, status: "PENDING", attempts: 0 });
  const done = await until("redelivered", async () => {
    const l = await deliveries(sub.id, A.key, "DELIVERED");
    return l!.nodes.find((n) => n.id === failed.id);
  });
  expect(
    done.attemptLog.map((a: { attempt: number; statusCode: number }) => [a.attempt, a.statusCode]),
  ).toEqual([
    [1, 500],
    [2, 500],
    [3, 500],
    [4, 500],
    [5, 200],
  ]);
  expect(got).toHaveLength(5);
  expect(got[4].headers["x-ocop-event-id"]).toBe(got[0].headers["x-ocop-event-id"]);
});

test("a paused subscription records no new events and keeps its pending deliveries waiting; update and delete", async () => {
  const UPDATE = `mutation($id: ID!, $i: UpdateWebhookSubscriptionInput!) { updateWebhookSubscription(id: $id, input: $i) { subscription { active events } userErrors { code } } }`;
  const paused = await hub.gql(UPDATE, { id: sub.id, i: { active: false } }, { key: A.key });
  expect(paused.data.updateWebhookSubscription.subscription.active).toBe(false);
  const before = (await deliveries(sub.id))!.totalCount;
  got.length = 0;
  await hub.db.dataSource.query(`UPDATE stock_level SET on_hand = on_hand + 1 WHERE variant_id = $1`, [
    A.variantId,
  ]);
  const [old] = (await deliveries(sub.id, A.key, "DELIVERED"))!.nodes;
  const again = await hub.gql(
    `mutation($id: ID!) { redeliverWebhook(deliveryId: $id) { delivery { status } userErrors { code } } }`,
    { id: old.id },
    { key: A.key },
  );
  expect(again.data.redeliverWebhook.delivery.status).toBe("PENDING");
  await new Promise((r) => setTimeout(r, 400));
  expect(got).toHaveLength(0);
  expect((await deliveries(sub.id))!.totalCount).toBe(before);
  expect((await deliveries(sub.id, A.key, "PENDING"))!.totalCount).toBe(1);
  await hub.gql(UPDATE, { id: sub.id, i: { active: true } }, { key: A.key });
  await until("sent after resuming", async () => got.length === 1);
  expect(got[0].headers["x-ocop-event-id"]).toBe(old.eventId);

  const bad = await hub.gql(
    UPDATE,
    { id: sub.id, i: { url: "ftp://example.com/x", events: [] } },
    { key: A.key },
  );
  expect(bad.data.updateWebhookSubscription.userErrors.map((e: { code: string }) => e.code).sort()).toEqual([
    "EMPTY_LIST",
    "INVALID_FORMAT",
  ]);
  const byB = await hub.gql(UPDATE, { id: sub.id, i: { active: false } }, { key: B.key });
  expect(byB.data.updateWebhookSubscription.userErrors[0].code).toBe("NOT_FOUND");

  const del = await hub.gql(
    `mutation($id: ID!) { deleteWebhookSubscription(id: $id) { deletedId userErrors { code } } }`,
    { id: sub.id },
    { key: A.key },
  );
  expect(del.data.deleteWebhookSubscription.deletedId).toBe(sub.id);
  expect(
    (await hub.gql(`{ webhookSubscriptions { totalCount } }`, {}, { key: A.key })).data.webhookSubscriptions
      .totalCount,
  ).toBe(0);
});

test("URLs: http(s) only; internal addresses refused in production unless allowed", async () => {
  const r = await hub.gql(
    CREATE,
    {
      i: {
        producerId: toGlobalId("Producer", A.producerId),
        url: "file:///etc/passwd",
        events: ["STOCK_CHANGED"],
      },
    },
    { key: A.key },
  );
  expect(r.data.createWebhookSubscription.userErrors[0]).toMatchObject({
    field: "url",
    code: "INVALID_FORMAT",
  });
  expect(r.data.createWebhookSubscription.secret).toBeNull();
  // Order events need READ_ORDERS: an integrator key that only reads the catalogue cannot subscribe.
  const noOrders = await hub.gql(
    CREATE,
    { i: { producerId: toGlobalId("Producer", A.producerId), url: receiverUrl, events: ["ORDER_IMPORTED"] } },
    { key: await hub.issueKey(ApiKeyRole.INTEGRATOR_READ) },
  );
  expect(noOrders.data.createWebhookSubscription.userErrors[0].code).toBe("FORBIDDEN");

  const prod = targetPolicyFor("production", {});
  expect(prod.allowPrivate).toBe(false);
  expect(targetPolicyFor("production", { HUB_WEBHOOKS_ALLOW_PRIVATE: "true" }).allowPrivate).toBe(true);
  expect(targetPolicyFor("test", {}).allowPrivate).toBe(true);
  for (const url of [
    "http://127.0.0.1:8080/x",
    "http://10.1.2.3/x",
    "http://192.168.1.10/x",
    "http://169.254.169.254/latest/meta-data",
    "http://[::1]/x",
    "http://[fd00::1]/x",
    "http://[::ffff:10.0.0.1]/x",
    "http://localhost/x",
  ])
    expect([url, await checkTargetUrl(url, prod)]).toEqual([url, "PRIVATE_ADDRESS"]);
  expect(await checkTargetUrl("https://93.184.216.34/hook", prod)).toBeNull();
  expect(await checkTargetUrl("https://user:pw@93.184.216.34/hook", prod)).toBe("CREDENTIALS");
  expect(isPrivateAddress("100.64.1.1")).toBe(true);
  expect(isPrivateAddress("8.8.8.8")).toBe(false);
  expect(isPrivateAddress("2001:4860:4860::8888")).toBe(false);

  // At delivery time too: a subscription saved while allowed is refused by a production deliverer.
  const ds = hub.db.dataSource;
  const strict = new WebhookDeliverer({
    ds,
    box: hub.services.sync.box,
    log: createLogger("silent"),
    policy: prod,
    pollMs: 60_000,
  });
  const c = await hub.gql(
    CREATE,
    { i: { producerId: toGlobalId("Producer", A.producerId), url: receiverUrl, events: ["STOCK_CHANGED"] } },
    { key: A.key },
  );
  const id = c.data.createWebhookSubscription.subscription.id;
  await deliverer.stop();
  got.length = 0;
  await ds.query(`UPDATE stock_level SET on_hand = on_hand + 1 WHERE variant_id = $1`, [A.variantId]);
  await strict.pass();
  await strict.stop();
  expect(got).toHaveLength(0);
  const [d] = (await deliveries(id))!.nodes;
  expect(d.status).toBe("FAILED");
  expect(d.attemptLog[0]).toMatchObject({ statusCode: null });
  expect(d.attemptLog[0].error).toMatch(/internal address \(127\.0\.0\.1\)/);
});

test("two deliverers on one database send each delivery once", async () => {
  const ds = hub.db.dataSource;
  const c = await hub.gql(
    CREATE,
    { i: { producerId: toGlobalId("Producer", A.producerId), url: receiverUrl, events: ["STOCK_CHANGED"] } },
    { key: A.key },
  );
  const id = c.data.createWebhookSubscription.subscription.id;
  // The refused deliveries of the previous test stay FAILED; only this subscription's matter here.
  await ds.query(`UPDATE webhook_subscription SET active = false WHERE id <> $1`, [id]);
  const make = () =>
    new WebhookDeliverer({
      ds,
      box: hub.services.sync.box,
      log: createLogger("silent"),
      policy: { allowPrivate: true },
      connectionString: hub.db.url,
      pollMs: 50,
      concurrency: 4,
    });
  const [d1, d2] = [make(), make()];
  got.length = 0;
  answers = [];
  // 30 changes in 30 transactions: 30 events.
  for (let i = 0; i < 30; i++)
    await ds.query(`UPDATE stock_level SET on_hand = on_hand + 1 WHERE variant_id = $1`, [A.variantId]);
  await Promise.all([d1.start(), d2.start()]);
  try {
    await until("30 delivered", async () => (await deliveries(id, A.key, "DELIVERED"))!.totalCount === 30);
  } finally {
    await Promise.all([d1.stop(), d2.stop()]);
  }
  const ids = got.map((g) => g.headers["x-ocop-event-id"]);
  expect(ids).toHaveLength(30);
  expect(new Set(ids).size).toBe(30);
  expect(d1.attempts + d2.attempts).toBe(30);
});

test("a deliverer whose LISTEN connection is killed reconnects and is woken again", async () => {
  const ds = hub.db.dataSource;
  const c = await hub.gql(
    CREATE,
    { i: { producerId: toGlobalId("Producer", A.producerId), url: receiverUrl, events: ["STOCK_CHANGED"] } },
    { key: A.key },
  );
  const id = c.data.createWebhookSubscription.subscription.id;
  await ds.query(`UPDATE webhook_subscription SET active = false WHERE id <> $1`, [id]);
  // Polling once a minute: only a NOTIFY can wake it within this test.
  const d = new WebhookDeliverer({
    ds,
    box: hub.services.sync.box,
    log: createLogger("silent"),
    policy: { allowPrivate: true },
    connectionString: hub.db.url,
    pollMs: 60_000,
  });
  await d.start();
  try {
    await new Promise((r) => setTimeout(r, 200));
    got.length = 0;
    const killed = await ds.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
        WHERE application_name = 'ocop-hub:webhooks' AND datname = current_database()`,
    );
    expect(killed.length).toBeGreaterThanOrEqual(1);
    await until("listening again", async () => {
      const [{ n }] = await ds.query(
        `SELECT count(*)::int AS n FROM pg_stat_activity
          WHERE application_name = 'ocop-hub:webhooks' AND datname = current_database()`,
      );
      return n >= 1;
    });
    await new Promise((r) => setTimeout(r, 300));
    await ds.query(`UPDATE stock_level SET on_hand = on_hand + 1 WHERE variant_id = $1`, [A.variantId]);
    await until("delivered after the reconnect", async () => got.length === 1, 5_000);
  } finally {
    await d.stop();
  }
});

test("key rotation re-seals webhook secrets under the new key", async () => {
  const ds = hub.db.dataSource;
  const c = await hub.gql(
    CREATE,
    { i: { producerId: toGlobalId("Producer", A.producerId), url: receiverUrl, events: ["STOCK_CHANGED"] } },
    { key: A.key },
  );
  const created = {
    id: c.data.createWebhookSubscription.subscription.id,
    secret: c.data.createWebhookSubscription.secret,
  };
  const [before] = await ds.query(`SELECT id, secret FROM webhook_subscription WHERE id = $1`, [created.id]);
  const oldKey = (hub.services.sync.box as unknown as { keys: Map<string, Buffer> }).keys
    .values()
    .next().value!;
  const rotated = new SecretBox([crypto.randomBytes(32), oldKey]);
  const r = await resealWebhookSecrets(ds, rotated);
  expect(r.unreadable).toEqual([]);
  expect(r.resealed).toBeGreaterThanOrEqual(1);
  const [after] = await ds.query(`SELECT secret FROM webhook_subscription WHERE id = $1`, [before.id]);
  expect(SecretBox.sealedKeyId(after.secret)).toBe(rotated.keyId);
  expect(rotated.open(after.secret)).toBe(created.secret);
  expect((await resealWebhookSecrets(ds, rotated)).resealed).toBe(0);
});

test("backoff doubles from the base up to the cap, with ±20 % jitter", () => {
  expect(backoffMs(1, 10_000, 3_600_000, () => 0.5)).toBe(10_000);
  expect(backoffMs(2, 10_000, 3_600_000, () => 0.5)).toBe(20_000);
  expect(backoffMs(4, 10_000, 3_600_000, () => 0)).toBe(64_000);
  expect(backoffMs(30, 10_000, 3_600_000, () => 1)).toBe(4_320_000);
});
