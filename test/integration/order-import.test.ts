/**
 * Order import against a real database: idempotence (a replay writes nothing), unmapped lines kept and
 * flagged, the stock life of an order (reserve, release, sell once, return), zero oversell under
 * concurrency across four channels, and the listings of the variant marked dirty in the same
 * transaction.
 */
import crypto from "node:crypto";
import { SecretBox } from "../../src/common/crypto";
import { createLogger } from "../../src/common/logger";
import type { MarketplaceCode } from "../../src/channels/connectors/connector";
import { createSyncRuntime, SyncRuntime } from "../../src/sync/runtime";
import { importOrders } from "../../src/orders/order-import.service";
import { createTestDatabase, TestDatabase } from "../support/test-db";
import { insertCatalogue, insertChannel, order, stockOf } from "../support/order-fixture";

let db: TestDatabase;
let rt: SyncRuntime;
const writes: string[] = [];
let countWrites = false;

beforeAll(async () => {
  db = await createTestDatabase({
    poolSize: 12,
    onQuery: (sql) => {
      if (
        countWrites &&
        /^\s*(WITH[\s\S]*\b(INSERT|UPDATE|DELETE)\b|INSERT|UPDATE|DELETE|START TRANSACTION|BEGIN)/i.test(sql)
      )
        writes.push(sql);
    },
  });
  rt = createSyncRuntime({
    ds: db.dataSource,
    box: new SecretBox([crypto.randomBytes(32)]),
    log: createLogger("silent"),
  });
});
afterAll(async () => {
  await db?.drop();
});

async function lines(orderExternalId: string) {
  return db.dataSource.query(
    `SELECT l.sku, l.state, l.variant_id, l.quantity, o.has_problems
       FROM order_line l JOIN marketplace_order o ON o.id = l.order_id
      WHERE o.external_order_id = $1 ORDER BY l.external_line_id`,
    [orderExternalId],
  );
}

test("importing the same order twice reserves once and the replay writes nothing", async () => {
  const cat = await insertCatalogue(db.dataSource, { "MAM-200": 10 });
  const ch = await insertChannel(db.dataSource, cat.producerId, "shopee");
  const o = order([{ sku: "MAM-200", quantity: 3 }]);

  writes.length = 0;
  countWrites = true;
  expect(await importOrders(rt, ch, [o], "WEBHOOK")).toMatchObject({ created: 1, updated: 0, oversold: 0 });
  countWrites = false;
  // The counter sees the first import's writes (so its silence below means something).
  expect(writes.length).toBeGreaterThan(3);
  const before = await stockOf(db.dataSource, cat.variants["MAM-200"]);
  expect(before).toMatchObject({
    onHand: 10,
    reserved: 3,
    ledgerOnHand: 10,
    ledgerReserved: 3,
    movements: 2,
  });

  writes.length = 0;
  countWrites = true;
  const again = await importOrders(rt, ch, [o, { ...o }], "PULL");
  countWrites = false;
  expect(again).toMatchObject({ created: 0, updated: 0, unchanged: 1 });
  expect(writes).toEqual([]);
  expect(await stockOf(db.dataSource, cat.variants["MAM-200"])).toEqual(before);
  const [{ n }] = await db.dataSource.query(
    `SELECT count(*)::int AS n FROM order_status_history h JOIN marketplace_order o ON o.id = h.order_id
      WHERE o.external_order_id = $1`,
    [o.externalOrderId],
  );
  expect(n).toBe(1);
});

test("a line whose SKU matches no variant is kept as UNMAPPED and the order flagged", async () => {
  const cat = await insertCatalogue(db.dataSource, { "CHE-100": 5 });
  const ch = await insertChannel(db.dataSource, cat.producerId, "lazada");
  const o = order([
    { sku: "CHE-100", quantity: 1 },
    { sku: "KHONG-CO", quantity: 2 },
    { sku: null, quantity: 1 },
  ]);
  expect(await importOrders(rt, ch, [o], "PULL")).toMatchObject({ created: 1, unmapped: 2, oversold: 0 });
  expect(await lines(o.externalOrderId)).toEqual([
    expect.objectContaining({ sku: "CHE-100", state: "RESERVED", has_problems: true }),
    expect.objectContaining({ sku: "KHONG-CO", state: "UNMAPPED", variant_id: null }),
    expect.objectContaining({ sku: null, state: "UNMAPPED", variant_id: null }),
  ]);
  expect(await stockOf(db.dataSource, cat.variants["CHE-100"])).toMatchObject({ onHand: 5, reserved: 1 });
});

test("a SKU of another producer is not mapped", async () => {
  const mine = await insertCatalogue(db.dataSource, { "GAO-5KG": 5 });
  await insertCatalogue(db.dataSource, { "GAO-ST25": 5 });
  const ch = await insertChannel(db.dataSource, mine.producerId, "tiki");
  const o = order([{ sku: "GAO-ST25", quantity: 1 }]);
  expect(await importOrders(rt, ch, [o], "PULL")).toMatchObject({ unmapped: 1 });
});

test("cancel releases the reservation; ship sells once; return puts stock back", async () => {
  const cat = await insertCatalogue(db.dataSource, { "MAT-ONG": 20 });
  const v = cat.variants["MAT-ONG"];
  const ch = await insertChannel(db.dataSource, cat.producerId, "tiktok-shop");
  const t0 = Date.now() - 60_000;
  const cancelled = order([{ sku: "MAT-ONG", quantity: 4 }], { updatedAt: t0 });
  const shipped = order([{ sku: "MAT-ONG", quantity: 5 }], { updatedAt: t0 });
  await importOrders(rt, ch, [cancelled, shipped], "WEBHOOK");
  expect(await stockOf(db.dataSource, v)).toMatchObject({ onHand: 20, reserved: 9 });

  const at = (s: number) => ({ updatedAt: t0 + s * 1000 });
  const status = (o: typeof cancelled, st: typeof o.status, s: number) => ({
    ...o,
    status: st,
    remoteStatus: st,
    ...at(s),
  });
  expect(
    await importOrders(rt, ch, [status(cancelled, "CANCELLED", 1), status(shipped, "SHIPPED", 1)], "WEBHOOK"),
  ).toMatchObject({ updated: 2 });
  expect(await stockOf(db.dataSource, v)).toMatchObject({
    onHand: 15,
    reserved: 0,
    ledgerOnHand: 15,
    ledgerReserved: 0,
  });
  expect((await lines(cancelled.externalOrderId))[0].state).toBe("RELEASED");
  expect((await lines(shipped.externalOrderId))[0].state).toBe("SOLD");

  // Delivered and completed later: still one sale. A late, older webhook changes nothing.
  await importOrders(rt, ch, [status(shipped, "DELIVERED", 2)], "WEBHOOK");
  await importOrders(rt, ch, [status(shipped, "COMPLETED", 3)], "PULL");
  expect(await importOrders(rt, ch, [status(shipped, "READY_TO_SHIP", 0)], "WEBHOOK")).toMatchObject({
    unchanged: 1,
  });
  expect(await stockOf(db.dataSource, v)).toMatchObject({ onHand: 15, reserved: 0 });
  const kinds = await db.dataSource.query(
    `SELECT kind, count(*)::int AS n FROM stock_movement WHERE variant_id = $1 GROUP BY kind ORDER BY kind`,
    [v],
  );
  expect(kinds).toEqual([
    { kind: "INITIAL", n: 1 },
    { kind: "RELEASE", n: 1 },
    { kind: "RESERVATION", n: 2 },
    { kind: "SALE", n: 1 },
  ]);

  await importOrders(rt, ch, [status(shipped, "RETURNED", 4)], "PULL");
  expect(await stockOf(db.dataSource, v)).toMatchObject({ onHand: 20, reserved: 0, ledgerOnHand: 20 });
  expect((await lines(shipped.externalOrderId))[0].state).toBe("RETURNED");
  const history = await db.dataSource.query(
    `SELECT h.status FROM order_status_history h JOIN marketplace_order o ON o.id = h.order_id
      WHERE o.external_order_id = $1 ORDER BY h.id`,
    [shipped.externalOrderId],
  );
  expect(history.map((h: { status: string }) => h.status)).toEqual([
    "READY_TO_SHIP",
    "SHIPPED",
    "DELIVERED",
    "COMPLETED",
    "RETURNED",
  ]);
});

test("an order first seen already shipped reserves and sells in one go; first seen cancelled holds nothing", async () => {
  const cat = await insertCatalogue(db.dataSource, { "NEM-CHUA": 3 });
  const ch = await insertChannel(db.dataSource, cat.producerId, "shopee");
  await importOrders(
    rt,
    ch,
    [
      order([{ sku: "NEM-CHUA", quantity: 2 }], { status: "COMPLETED", remoteStatus: "COMPLETED" }),
      order([{ sku: "NEM-CHUA", quantity: 1 }], { status: "CANCELLED", remoteStatus: "CANCELLED" }),
    ],
    "PULL",
  );
  expect(await stockOf(db.dataSource, cat.variants["NEM-CHUA"])).toMatchObject({
    onHand: 1,
    reserved: 0,
    ledgerOnHand: 1,
    ledgerReserved: 0,
  });
});

test("400 concurrent orders for 100 units across 4 channels: exactly 100 reserved, 300 oversold", async () => {
  const cat = await insertCatalogue(db.dataSource, { "HOT-SKU": 100 });
  const v = cat.variants["HOT-SKU"];
  const markets: MarketplaceCode[] = ["shopee", "lazada", "tiktok-shop", "tiki"];
  const channels = await Promise.all(markets.map((m) => insertChannel(db.dataSource, cat.producerId, m)));
  // A listing per channel: every reservation must mark them all dirty.
  for (const c of channels) {
    await db.dataSource.query(
      `INSERT INTO listing (channel_id, product_id, variant_id, listing_key, state, stock_pushed_version, stock_version)
       VALUES ($1, $2, $3, 'HOT-SKU', 'LIVE', 1, 1)`,
      [c, cat.productId, v],
    );
  }
  // 200 single-order imports (webhooks) and 4 pages of 50 (pulls, one per channel), all at once.
  const singles = Array.from({ length: 200 }, (_, i) => ({
    ch: channels[i % 4],
    o: order([{ sku: "HOT-SKU", quantity: 1 }]),
  }));
  const pages = channels.map((ch) => ({
    ch,
    orders: Array.from({ length: 50 }, () => order([{ sku: "HOT-SKU", quantity: 1 }])),
  }));
  const results = await Promise.all([
    ...singles.map(({ ch, o }) => importOrders(rt, ch, [o], "WEBHOOK")),
    ...pages.map((p) => importOrders(rt, p.ch, p.orders, "PULL")),
  ]);
  expect(results.reduce((n, r) => n + r.created, 0)).toBe(400);
  expect(results.reduce((n, r) => n + r.oversold, 0)).toBe(300);

  const s = await stockOf(db.dataSource, v);
  expect(s).toMatchObject({ onHand: 100, reserved: 100, ledgerOnHand: 100, ledgerReserved: 100 });
  const states = await db.dataSource.query(
    `SELECT state, count(*)::int AS n FROM order_line WHERE variant_id = $1 GROUP BY state ORDER BY state`,
    [v],
  );
  expect(states).toEqual([
    { state: "OVERSOLD", n: 300 },
    { state: "RESERVED", n: 100 },
  ]);
  const [{ flagged }] = await db.dataSource.query(
    `SELECT count(*)::int AS flagged FROM marketplace_order WHERE producer_id = $1 AND has_problems`,
    [cat.producerId],
  );
  expect(flagged).toBe(300);
  const dirty = await db.dataSource.query(
    `SELECT count(*)::int AS n FROM listing WHERE variant_id = $1 AND stock_version > stock_pushed_version`,
    [v],
  );
  expect(dirty[0].n).toBe(4);
});

test("a batch of orders sharing SKUs allocates first come, first served, and a bad order fails alone", async () => {
  const cat = await insertCatalogue(db.dataSource, { "BANH-DA": 5 });
  const ch = await insertChannel(db.dataSource, cat.producerId, "lazada");
  const t = Date.now() - 10_000;
  const batch = [
    order([{ sku: "BANH-DA", quantity: 3 }], { createdAt: t, updatedAt: t }),
    order([{ sku: "BANH-DA", quantity: 3 }], { createdAt: t + 1, updatedAt: t + 1 }),
    order([{ sku: "BANH-DA", quantity: 2 }], { createdAt: t + 2, updatedAt: t + 2 }),
    order([{ sku: "BANH-DA", quantity: 0 }], { createdAt: t + 3, updatedAt: t + 3 }),
  ];
  const r = await importOrders(rt, ch, batch, "PULL");
  expect(r).toMatchObject({ created: 3, oversold: 1, failed: 1 });
  expect(r.failures[0].externalOrderId).toBe(batch[3].externalOrderId);
  expect((await lines(batch[0].externalOrderId))[0].state).toBe("RESERVED");
  expect((await lines(batch[1].externalOrderId))[0].state).toBe("OVERSOLD");
  expect((await lines(batch[2].externalOrderId))[0].state).toBe("RESERVED");
  expect(await stockOf(db.dataSource, cat.variants["BANH-DA"])).toMatchObject({ onHand: 5, reserved: 5 });
});
