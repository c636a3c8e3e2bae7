/**
 * Sync runs through the GraphQL API, on a real hub, a real pg-boss queue and worker, and a real
 * Tiki sandbox: dry runs plan without sending, triggered runs push and are recorded item by item,
 * failed items are retried as a RETRY run, messages follow the caller's language, and a producer's
 * key sees and triggers only its own channels.
 */
import crypto from "node:crypto";
import { ApiKeyRole } from "../../src/auth/api-key.entity";
import { SANDBOXES } from "../../src/sandbox/registry";
import type { MarketplaceSandbox } from "../../src/sandbox/sandbox";
import { PgBossJobQueue } from "../../src/sync/job-queue";
import { RunningWorker, startWorker } from "../../src/sync/worker";
import { createRun, finishRun, recordItems } from "../../src/sync/sync-run.service";
import { SyncKind, SyncTrigger } from "../../src/sync/entities/sync-run.entity";
import { SyncItemStatus } from "../../src/sync/entities/sync-item.entity";
import { toGlobalId } from "../../src/common/graphql/global-id";
import { startTestHub, TestHub } from "../support/test-hub";
import { connectSandbox, insertCatalogue } from "../support/order-fixture";

let hub: TestHub;
let sandbox: MarketplaceSandbox;
let worker: RunningWorker;
let channelGid: string;
let channelId: string;
let shopId: string;
let listingId: string;
let variantId: string;
let producerKey: string;
let strangerKey: string;
const SKU = `RUN-${crypto.randomBytes(3).toString("hex")}`;

beforeAll(async () => {
  hub = await startTestHub();
  const ds = hub.db.dataSource;
  const queue = new PgBossJobQueue({
    connectionString: hub.db.url,
    poolSize: 3,
    pollingIntervalSeconds: 0.5,
  });
  await queue.start();
  hub.services.queue = queue;
  worker = await startWorker(hub.services.sync, queue, { listen: false, sweepMs: 0 });

  sandbox = SANDBOXES.tiki();
  await sandbox.start(0);
  const cat = await insertCatalogue(ds, { [SKU]: 30 });
  variantId = cat.variants[SKU];
  const c = await connectSandbox(ds, hub.services.sync.box, cat.producerId, sandbox);
  channelId = c.channelId;
  shopId = c.shopId;
  channelGid = toGlobalId("Channel", channelId);
  sandbox.seedListing(shopId, {
    title: "Mắm tôm chua Huế",
    variants: [{ sku: SKU, priceVnd: 85_000, stock: 30 }],
  });
  const view = sandbox.skuView(shopId, SKU)!;
  const [l] = await ds.query(
    `INSERT INTO listing (channel_id, product_id, variant_id, listing_key, external_item_id, external_sku_id, state,
                          price_pushed_version, price_dirty_since, stock_pushed_version, stock_dirty_since,
                          content_pushed_version, content_dirty_since, pushed_price_vnd, pushed_stock)
     VALUES ($1, $2, $3, $4, $5, $6, 'LIVE', 1, NULL, 1, NULL, 1, NULL, 85000, 30) RETURNING id`,
    [channelId, cat.productId, variantId, SKU, view.externalItemId, view.externalSkuId],
  );
  listingId = l.id;
  producerKey = await hub.issueKey(ApiKeyRole.PRODUCER, cat.producerId);
  const other = await insertCatalogue(ds, { [`${SKU}-X`]: 1 });
  strangerKey = await hub.issueKey(ApiKeyRole.PRODUCER, other.producerId);
});

afterAll(async () => {
  await worker?.stop();
  await sandbox?.close();
  await hub?.close();
});

const RUN_FIELDS = `id channelId kind trigger status outcome dryRun total applied failed retryOf
  items { totalCount nodes { sku kind status valueJson code message hint messageVi messageEn } }`;

const TRIGGER = `mutation($c: ID!, $k: SyncKind!, $d: Boolean) {
  triggerSync(channelId: $c, kind: $k, dryRun: $d) { run { ${RUN_FIELDS} } userErrors { field code message } } }`;

async function finished(id: string, key?: string) {
  for (let i = 0; i < 200; i++) {
    const r = await hub.gql(`query($id: ID!) { syncRun(id: $id) { ${RUN_FIELDS} } }`, { id }, { key });
    if (r.data?.syncRun?.status === "FINISHED") return r.data.syncRun;
    await new Promise((res) => setTimeout(res, 50));
  }
  throw new Error(`run ${id} did not finish`);
}

const setOnHand = (n: number) =>
  hub.db.dataSource.query(`UPDATE stock_level SET on_hand = $2 WHERE variant_id = $1`, [variantId, n]);

test("a dry run plans the pending stock push and sends nothing", async () => {
  await setOnHand(24);
  const r = await hub.gql(TRIGGER, { c: channelGid, k: "STOCK", d: true }, { key: producerKey });
  expect(r.data.triggerSync.userErrors).toEqual([]);
  const run = r.data.triggerSync.run;
  expect(run).toMatchObject({
    status: "FINISHED",
    outcome: "SUCCEEDED",
    dryRun: true,
    total: 1,
    kind: "STOCK",
  });
  expect(run.items.nodes).toEqual([
    expect.objectContaining({
      sku: SKU,
      kind: "stock",
      status: "PLANNED",
      valueJson: JSON.stringify({ stock: 24 }),
    }),
  ]);
  expect(sandbox.skuView(shopId, SKU)!.stock).toBe(30);

  const orders = await hub.gql(
    TRIGGER,
    { c: channelGid, k: "ORDERS", d: true },
    { key: producerKey, lang: "en" },
  );
  expect(orders.data.triggerSync.userErrors[0]).toMatchObject({
    field: "dryRun",
    code: "DRY_RUN_UNSUPPORTED",
  });
});

test("a triggered run is queued, executed by the worker and recorded item by item", async () => {
  const r = await hub.gql(TRIGGER, { c: channelGid, k: "STOCK" }, { key: producerKey });
  expect(r.data.triggerSync.userErrors).toEqual([]);
  expect(r.data.triggerSync.run).toMatchObject({ status: "QUEUED", trigger: "MANUAL", dryRun: false });
  const run = await finished(r.data.triggerSync.run.id, producerKey);
  expect(run).toMatchObject({ outcome: "SUCCEEDED", applied: 1, failed: 0 });
  expect(run.items.nodes[0]).toMatchObject({ sku: SKU, status: "APPLIED" });
  expect(sandbox.skuView(shopId, SKU)!.stock).toBe(24);

  const list = await hub.gql(
    `query($f: SyncRunFilterInput) { syncRuns(filter: $f, first: 10) { totalCount nodes { id kind dryRun } } }`,
    { f: { channelId: channelGid, kind: "STOCK", outcome: "SUCCEEDED" } },
    { key: producerKey },
  );
  expect(list.data.syncRuns.totalCount).toBe(2);
  expect(list.data.syncRuns.nodes.map((n: any) => n.dryRun)).toEqual([false, true]);
});

test("failed items are retried as a RETRY run, with messages in the caller's language", async () => {
  const ds = hub.db.dataSource;
  await setOnHand(19);
  // Let the change be taken by the retry, not by a dispatch of its own.
  await ds.query(`UPDATE listing SET stock_pushed_version = stock_version WHERE id = $1`, [listingId]);
  const failedRun = await createRun(ds, { channelId, kind: SyncKind.STOCK, trigger: SyncTrigger.EVENT });
  await recordItems(ds, failedRun.id, [
    {
      listingId,
      sku: SKU,
      kind: "stock",
      status: SyncItemStatus.FAILED,
      remoteCode: "429",
      code: "RATE_LIMITED",
      messageVi: "Sàn đang giới hạn số lượt gọi.",
      messageEn: "The marketplace is rate limiting calls.",
      hintVi: "Hệ thống sẽ tự thử lại.",
      hintEn: "The hub retries by itself.",
    },
  ]);
  await finishRun(ds, failedRun.id, { total: 1, applied: 0, skipped: 0, failed: 1 });

  const en = await hub.gql(
    `query($id: ID!) { syncRun(id: $id) { items(status: FAILED) { nodes { id code message hint messageVi } } } }`,
    { id: failedRun.id },
    { key: producerKey, lang: "en" },
  );
  const item = en.data.syncRun.items.nodes[0];
  expect(item).toMatchObject({ code: "RATE_LIMITED", message: "The marketplace is rate limiting calls." });
  expect(item.messageVi).toBe("Sàn đang giới hạn số lượt gọi.");

  const retry = await hub.gql(
    `mutation($r: ID!, $i: [ID!]) { retrySyncItems(runId: $r, itemIds: $i) { run { id trigger retryOf } userErrors { code } } }`,
    { r: failedRun.id, i: [item.id] },
    { key: producerKey },
  );
  expect(retry.data.retrySyncItems.userErrors).toEqual([]);
  expect(retry.data.retrySyncItems.run).toMatchObject({ trigger: "RETRY", retryOf: failedRun.id });
  const done = await finished(retry.data.retrySyncItems.run.id);
  expect(done).toMatchObject({ outcome: "SUCCEEDED", applied: 1 });
  expect(sandbox.skuView(shopId, SKU)!.stock).toBe(19);

  const again = await hub.gql(
    `mutation($r: ID!) { retrySyncItems(runId: $r) { run { id } userErrors { code } } }`,
    { r: done.id },
    { key: producerKey },
  );
  expect(again.data.retrySyncItems.userErrors[0].code).toBe("NOTHING_TO_RETRY");
});

test("another producer's key neither sees nor triggers this channel's runs", async () => {
  const list = await hub.gql(`{ syncRuns(first: 50) { totalCount } }`, {}, { key: strangerKey });
  expect(list.data.syncRuns.totalCount).toBe(0);
  const [anyRun] = await hub.db.dataSource.query(`SELECT id FROM sync_run LIMIT 1`);
  const one = await hub.gql(
    `query($id: ID!) { syncRun(id: $id) { id } }`,
    { id: anyRun.id },
    { key: strangerKey },
  );
  expect(one.data.syncRun).toBeNull();
  const t = await hub.gql(TRIGGER, { c: channelGid, k: "STOCK" }, { key: strangerKey });
  expect(t.data.triggerSync.userErrors[0]).toMatchObject({ field: "channelId", code: "NOT_FOUND" });
  const admin = await hub.gql(`{ syncRuns(first: 50) { totalCount } }`);
  expect(admin.data.syncRuns.totalCount).toBeGreaterThanOrEqual(4);
});
