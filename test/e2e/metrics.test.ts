/**
 * /metrics with real traffic: GraphQL requests, a sandbox marketplace connected through the real
 * code exchange, a signed webhook push imported into an order, a pg-boss queue with a waiting job,
 * sync items recorded, a propagation observed; each scrape shows the numbers moving. /readyz checks
 * the database and the queue; HUB_METRICS_TOKEN closes /metrics.
 */
import Fastify from "fastify";
import { SANDBOXES } from "../../src/sandbox/registry";
import type { MarketplaceSandbox } from "../../src/sandbox/sandbox";
import { webhookRoutes } from "../../src/orders/webhook.routes";
import { resetRateBudgets } from "../../src/channels/connectors/http/rate-budget";
import { installMetrics } from "../../src/observability/http";
import { observePropagation } from "../../src/observability/metrics";
import { recordItems } from "../../src/sync/sync-run.service";
import { SyncItemStatus } from "../../src/sync/entities/sync-item.entity";
import { PgBossJobQueue } from "../../src/sync/job-queue";
import { createDataSource } from "../../src/common/database";
import { startTestHub, TestHub } from "../support/test-hub";
import { connectSandbox, InlineJobQueue, insertCatalogue } from "../support/order-fixture";

let hub: TestHub;
let origin: string;
let queue: InlineJobQueue;
let sb: MarketplaceSandbox;

beforeAll(async () => {
  hub = await startTestHub({
    routes: (services) => {
      queue = new InlineJobQueue(() => services.sync);
      return [webhookRoutes({ rt: services.sync, queue: () => queue })];
    },
  });
  origin = new URL(hub.url).origin;
  sb = SANDBOXES.shopee();
  await sb.start(0);
  resetRateBudgets();
});
afterAll(async () => {
  await sb?.close();
  await hub?.close();
});

async function scrape(headers: Record<string, string> = {}): Promise<{ status: number; text: string }> {
  const res = await fetch(`${origin}/metrics`, { headers });
  return { status: res.status, text: await res.text() };
}

/** Sum of the samples of `name` whose labels include all of `labels`. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  let found = false;
  for (const line of text.split("\n")) {
    if (line.startsWith("#") || !line.startsWith(name)) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const got: Record<string, string> = {};
    for (const p of (m[3] ?? "").matchAll(/([a-zA-Z_]+)="((?:[^"\\]|\\.)*)"/g)) got[p[1]] = p[2];
    if (Object.entries(labels).every(([k, v]) => got[k] === v)) {
      sum += Number(m[4]);
      found = true;
    }
  }
  return found ? sum : NaN;
}

test("HTTP and GraphQL latency move with requests, by route pattern and operation name", async () => {
  const before = (await scrape()).text;
  const graphqlBefore =
    sample(before, "ocop_http_request_duration_seconds_count", { route: "/graphql" }) || 0;
  for (let i = 0; i < 3; i++) {
    const r = await hub.gql(`query MetricsProbe { products(first: 1) { totalCount } }`);
    expect(r.errors).toBeUndefined();
  }
  const bad = await hub.gql(`query MetricsBroken { node(id: "x") { id } }`, undefined, { key: "wrong" });
  expect(bad.status).toBe(401);
  const after = (await scrape()).text;
  expect(
    sample(after, "ocop_graphql_operation_duration_seconds_count", {
      operation: "MetricsProbe",
      type: "query",
      outcome: "ok",
    }),
  ).toBe(3);
  expect(sample(after, "ocop_http_request_duration_seconds_count", { route: "/graphql" })).toBe(
    graphqlBefore + 4,
  );
  expect(
    sample(after, "ocop_http_request_duration_seconds_count", { route: "/graphql", status: "4xx" }),
  ).toBeGreaterThanOrEqual(1);
  // Buckets are cumulative and end with +Inf = count.
  expect(
    sample(after, "ocop_graphql_operation_duration_seconds_bucket", {
      operation: "MetricsProbe",
      le: "+Inf",
    }),
  ).toBe(3);
  // A raw URL never becomes a label: unknown paths are one "unmatched" series.
  await fetch(`${origin}/no/such/path/123`);
  await fetch(`${origin}/no/such/path/456`);
  const later = (await scrape()).text;
  expect(later).not.toContain("/no/such/path");
  expect(
    sample(later, "ocop_http_request_duration_seconds_count", { route: "unmatched" }),
  ).toBeGreaterThanOrEqual(2);
});

test("marketplace calls, webhook receipts and token expiry come from a real sandbox shop", async () => {
  const ds = hub.db.dataSource;
  const before = (await scrape()).text;
  const callsBefore = sample(before, "ocop_marketplace_api_calls_total", { marketplace: "shopee" }) || 0;
  const cat = await insertCatalogue(ds, { "MET-1": 20 });
  const { channelId, shopId } = await connectSandbox(ds, hub.services.sync.box, cat.producerId, sb);
  sb.seedListing(shopId, {
    title: "Mắm tôm chua Huế",
    variants: [{ sku: "MET-1", priceVnd: 85000, stock: 20 }],
  });
  sb.setWebhookTarget(`${origin}/webhooks/shopee/${channelId}`);
  try {
    sb.createOrder(shopId, [{ sku: "MET-1", quantity: 2 }]);
    await sb.flushWebhooks();
    await queue.drain();
  } finally {
    sb.setWebhookTarget(null);
  }
  expect(queue.errors).toEqual([]);
  const [{ n }] = await ds.query(`SELECT count(*)::int AS n FROM marketplace_order WHERE channel_id = $1`, [
    channelId,
  ]);
  expect(n).toBe(1);

  const after = (await scrape()).text;
  const calls = sample(after, "ocop_marketplace_api_calls_total", {
    marketplace: "shopee",
    outcome: "success",
  });
  expect(calls).toBeGreaterThan(callsBefore);
  // Endpoints are the connectors' fixed labels, e.g. the order detail fetched by the import.
  const endpoints = [...after.matchAll(/ocop_marketplace_api_calls_total\{[^}]*endpoint="([^"]+)"/g)].map(
    (m) => m[1],
  );
  expect(endpoints.length).toBeGreaterThanOrEqual(2);
  expect(endpoints.every((e) => !/\d{4,}/.test(e))).toBe(true);
  expect(
    sample(after, "ocop_webhook_receipts_total", { marketplace: "shopee", result: "received" }),
  ).toBeGreaterThanOrEqual(1);
  expect(
    sample(after, "ocop_webhook_receipts_total", { marketplace: "shopee", result: "stored" }),
  ).toBeGreaterThanOrEqual(1);

  const [ch] = await ds.query(
    `SELECT extract(epoch FROM access_expires_at - now())::float8 AS access FROM channel WHERE id = $1`,
    [channelId],
  );
  const access = sample(after, "ocop_channel_token_expiry_seconds", {
    channel_id: channelId,
    token: "access",
  });
  expect(ch.access).toBeGreaterThan(0);
  expect(Math.abs(access - ch.access)).toBeLessThan(30);
  expect(sample(after, "ocop_channels", { marketplace: "shopee", status: "ACTIVE" })).toBeGreaterThanOrEqual(
    1,
  );

  // Expired tokens show as negative seconds.
  await ds.query(`UPDATE channel SET access_expires_at = now() - interval '1 hour' WHERE id = $1`, [
    channelId,
  ]);
  const expired = sample((await scrape()).text, "ocop_channel_token_expiry_seconds", {
    channel_id: channelId,
    token: "access",
  });
  expect(expired).toBeLessThan(-3500);
  expect(expired).toBeGreaterThan(-3700);
});

test("sync item results and propagation latency", async () => {
  const ds = hub.db.dataSource;
  const before = (await scrape()).text;
  const failedBefore = sample(before, "ocop_sync_items_total", { kind: "stock", status: "FAILED" }) || 0;
  const appliedBefore = sample(before, "ocop_sync_items_total", { kind: "stock", status: "APPLIED" }) || 0;
  const [run] = await ds.query(
    `INSERT INTO sync_run (kind, trigger, status) VALUES ('STOCK', 'MANUAL', 'RUNNING') RETURNING id`,
  );
  await recordItems(ds, run.id, [
    { kind: "stock", status: SyncItemStatus.APPLIED, sku: "A" },
    { kind: "stock", status: SyncItemStatus.APPLIED, sku: "B" },
    { kind: "stock", status: SyncItemStatus.FAILED, sku: "C" },
  ]);
  const propBefore = sample(before, "ocop_stock_propagation_seconds_count", { marketplace: "lazada" }) || 0;
  observePropagation("lazada", 1.5);
  observePropagation("lazada", 40);
  observePropagation("lazada", Number.NaN); // ignored
  const after = (await scrape()).text;
  expect(sample(after, "ocop_sync_items_total", { kind: "stock", status: "APPLIED" })).toBe(
    appliedBefore + 2,
  );
  expect(sample(after, "ocop_sync_items_total", { kind: "stock", status: "FAILED" })).toBe(failedBefore + 1);
  expect(sample(after, "ocop_stock_propagation_seconds_count", { marketplace: "lazada" })).toBe(
    propBefore + 2,
  );
  expect(sample(after, "ocop_stock_propagation_seconds_bucket", { marketplace: "lazada", le: "2" })).toBe(
    (sample(before, "ocop_stock_propagation_seconds_bucket", { marketplace: "lazada", le: "2" }) || 0) + 1,
  );
});

test("queue depth and oldest-job age come from pg-boss; /readyz checks database and queue", async () => {
  const noQueue = await fetch(`${origin}/readyz`);
  expect(noQueue.status).toBe(200);
  expect((await scrape()).text).not.toContain("ocop_queue_jobs{");

  const q = new PgBossJobQueue({ connectionString: hub.db.url, poolSize: 2 });
  await q.start();
  try {
    const ds = hub.db.dataSource;
    const [{ id }] = await ds.query(`SELECT id FROM channel LIMIT 1`);
    await q.enqueueOrderImport({ channelId: id, externalOrderIds: ["X1"], source: "PULL" });
    await q.enqueueOrderImport({ channelId: id, externalOrderIds: ["X2"], source: "PULL" });
    await new Promise((r) => setTimeout(r, 1100));
    // The scrape remembers "no pg-boss schema" per DataSource; this hub's DataSource saw none before.
    const text = (await scrapeFresh()).text;
    expect(sample(text, "ocop_queue_jobs", { queue: "order-import", state: "waiting" })).toBe(2);
    expect(sample(text, "ocop_queue_jobs", { queue: "order-import", state: "active" })).toBe(0);
    const age = sample(text, "ocop_queue_oldest_job_age_seconds", { queue: "order-import" });
    expect(age).toBeGreaterThanOrEqual(1);
    expect(age).toBeLessThan(60);

    // /readyz through the queue's own pool: 200 while pg-boss answers, 503 "queue" when it cannot.
    (hub.services as { queue: unknown }).queue = q;
    const ok = await fetch(`${origin}/readyz`);
    expect(ok.status).toBe(200);
    await ds.query(`ALTER TABLE pgboss.version RENAME TO version_gone`);
    const down = await fetch(`${origin}/readyz`);
    expect(down.status).toBe(503);
    expect(await down.json()).toEqual({ status: "unavailable", reason: "queue" });
    await ds.query(`ALTER TABLE pgboss.version_gone RENAME TO version`);
  } finally {
    (hub.services as { queue: unknown }).queue = null;
    await q.stop(1000);
  }
});

/** A scrape through a second server on the same database, with its own DataSource memo. */
async function scrapeFresh(): Promise<{ status: number; text: string }> {
  const ds = createDataSource({ url: hub.db.url, poolSize: 1 });
  await ds.initialize();
  const app = Fastify();
  installMetrics(app, { dataSource: ds, token: null });
  try {
    const res = await fetch(`${await app.listen({ port: 0, host: "127.0.0.1" })}/metrics`);
    return { status: res.status, text: await res.text() };
  } finally {
    await app.close();
    await ds.destroy();
  }
}

test("HUB_METRICS_TOKEN closes /metrics to callers without the bearer token", async () => {
  const app = Fastify();
  installMetrics(app, { dataSource: hub.db.dataSource, token: "s3cret-metrics" });
  try {
    const url = `${await app.listen({ port: 0, host: "127.0.0.1" })}/metrics`;
    expect((await fetch(url)).status).toBe(401);
    expect((await fetch(url, { headers: { authorization: "Bearer nope" } })).status).toBe(401);
    const ok = await fetch(url, { headers: { authorization: "Bearer s3cret-metrics" } });
    expect(ok.status).toBe(200);
    expect(ok.headers.get("content-type")).toContain("text/plain");
    expect(await ok.text()).toContain("ocop_http_request_duration_seconds");
  } finally {
    await app.close();
  }
});
