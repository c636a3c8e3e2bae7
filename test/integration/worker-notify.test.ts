/**
 * Change propagation through the worker against real sandboxes over HTTP: a committed stock change
 * NOTIFYs the worker, which dispatches it to every marketplace in well under a second; with the
 * listener off the periodic sweep still delivers; a queued STOCK run is executed by the dispatcher.
 */
import crypto from "node:crypto";
import { SecretBox } from "../../src/common/crypto";
import { createLogger } from "../../src/common/logger";
import type { MarketplaceCode } from "../../src/channels/connectors/connector";
import { SANDBOXES } from "../../src/sandbox/registry";
import type { MarketplaceSandbox } from "../../src/sandbox/sandbox";
import { PgBossJobQueue } from "../../src/sync/job-queue";
import { createSyncRuntime, SyncRuntime } from "../../src/sync/runtime";
import { createRun } from "../../src/sync/sync-run.service";
import { SyncKind, SyncTrigger } from "../../src/sync/entities/sync-run.entity";
import { RunningWorker, startWorker } from "../../src/sync/worker";
import { createTestDatabase, TestDatabase } from "../support/test-db";
import { connectSandbox, insertCatalogue } from "../support/order-fixture";

const box = new SecretBox([crypto.randomBytes(32)]);
const CODES: MarketplaceCode[] = ["tiki", "shopee"];
let db: TestDatabase;
let rt: SyncRuntime;
const sandboxes = {} as Record<MarketplaceCode, MarketplaceSandbox>;
const shops = {} as Record<MarketplaceCode, { channelId: string; shopId: string }>;
let variantId: string;
const SKU = `NOTIFY-${crypto.randomBytes(3).toString("hex")}`;

beforeAll(async () => {
  db = await createTestDatabase({ poolSize: 10 });
  rt = createSyncRuntime({ ds: db.dataSource, box, log: createLogger(process.env.TEST_LOG ?? "silent") });
  const cat = await insertCatalogue(db.dataSource, { [SKU]: 20 });
  variantId = cat.variants[SKU];
  for (const code of CODES) {
    sandboxes[code] = SANDBOXES[code]();
    await sandboxes[code].start(0);
    const c = await connectSandbox(db.dataSource, box, cat.producerId, sandboxes[code]);
    shops[code] = { channelId: c.channelId, shopId: c.shopId };
    sandboxes[code].seedListing(c.shopId, {
      title: "Mắm tôm chua Huế",
      variants: [{ sku: SKU, priceVnd: 85_000, stock: 20 }],
    });
    const view = sandboxes[code].skuView(c.shopId, SKU)!;
    // Linked and in sync: nothing dirty until the test changes the catalogue.
    await db.dataSource.query(
      `INSERT INTO listing (channel_id, product_id, variant_id, listing_key, external_item_id, external_sku_id, state,
                            price_pushed_version, price_dirty_since, stock_pushed_version, stock_dirty_since,
                            content_pushed_version, content_dirty_since, pushed_price_vnd, pushed_stock)
       VALUES ($1, $2, $3, $4, $5, $6, 'LIVE', 1, NULL, 1, NULL, 1, NULL, 85000, 20)`,
      [c.channelId, cat.productId, variantId, SKU, view.externalItemId, view.externalSkuId],
    );
  }
});

let current: { q: PgBossJobQueue; w: RunningWorker } | null = null;
afterEach(async () => {
  await current?.w.stop();
  current = null;
});
afterAll(async () => {
  for (const s of Object.values(sandboxes)) await s.close();
  await db?.drop();
});

async function start(opts: { listen: boolean; sweepMs: number }) {
  const q = new PgBossJobQueue({ connectionString: db.url, poolSize: 3, pollingIntervalSeconds: 0.5 });
  await q.start();
  const w = await startWorker(rt, q, opts);
  current = { q, w };
  return current;
}

/** ms from now until every marketplace shows `stock` for the SKU. */
async function timeUntilShown(stock: number, limitMs = 8_000): Promise<number> {
  const t0 = performance.now();
  for (;;) {
    const shown = CODES.every((c) => sandboxes[c].skuView(shops[c].shopId, SKU)?.stock === stock);
    const ms = performance.now() - t0;
    if (shown) return ms;
    if (ms > limitMs) throw new Error(`stock ${stock} not shown within ${limitMs} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const setOnHand = (n: number) =>
  db.dataSource.query(`UPDATE stock_level SET on_hand = $2 WHERE variant_id = $1`, [variantId, n]);

test("a committed stock change reaches every marketplace in well under a second (LISTEN/NOTIFY)", async () => {
  const { w } = await start({ listen: true, sweepMs: 0 });
  const times: number[] = [];
  for (const n of [17, 11, 5]) {
    await setOnHand(n);
    times.push(await timeUntilShown(n));
  }
  expect(Math.max(...times)).toBeLessThan(1_000);
  await w.listener.idle();
  const dirty = await db.dataSource.query(
    `SELECT count(*)::int AS n FROM listing WHERE stock_version > stock_pushed_version`,
  );
  expect(dirty[0].n).toBe(0);
});

test("with the listener off, the sweep still delivers the change", async () => {
  const { w } = await start({ listen: false, sweepMs: 300 });
  await setOnHand(9);
  const ms = await timeUntilShown(9);
  expect(ms).toBeGreaterThan(0);
  expect(w.listener.dispatches).toBeGreaterThan(0);
});

test("a queued STOCK run is executed by the dispatcher and recorded", async () => {
  const { q } = await start({ listen: false, sweepMs: 0 });
  await setOnHand(3);
  const run = await createRun(db.dataSource, {
    channelId: shops.tiki.channelId,
    kind: SyncKind.STOCK,
    trigger: SyncTrigger.MANUAL,
  });
  await q.enqueueRun(run.id);
  let row: any;
  for (let i = 0; i < 200; i++) {
    [row] = await db.dataSource.query(`SELECT * FROM sync_run WHERE id = $1`, [run.id]);
    if (row.status === "FINISHED") break;
    await new Promise((r) => setTimeout(r, 50));
  }
  expect(row.status).toBe("FINISHED");
  expect(row.outcome).toBe("SUCCEEDED");
  expect(row.applied).toBe(1);
  expect(sandboxes.tiki.skuView(shops.tiki.shopId, SKU)?.stock).toBe(3);
  // Only the channel the run was for: the other marketplace still waits for its own dispatch.
  expect(sandboxes.shopee.skuView(shops.shopee.shopId, SKU)?.stock).toBe(9);
});
