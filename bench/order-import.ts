/**
 * Order import benchmark. A TikTok Shop sandbox shop gets N orders (default 20,000; 1–3 lines over
 * 1,000 SKUs, spread over two days). Figures, all from one run:
 *   1. fetch: every page and order detail over HTTP through the connector (bounded by TikTok's
 *      documented 50 requests/s, which the client respects);
 *   2. import: those pages imported into PostgreSQL page by page, as the pull does (orders/s);
 *   3. re-import: the same pages again: orders/s and the number of write statements (must be 0);
 *   4. baseline: a plain multi-row INSERT of the same orders and lines into bare tables (no
 *      constraints, triggers, stock or history): the floor for moving these rows into PostgreSQL;
 *   5. pull: pullOrders end to end for a second channel on the same shop (fetch + import).
 * Run: npx tsc -p tsconfig.build.json && node dist/bench/order-import.js   (BENCH_ORDERS, DATABASE_URL optional)
 */
import "reflect-metadata";
import crypto from "node:crypto";
import { createDataSource } from "../src/common/database";
import { SecretBox } from "../src/common/crypto";
import { createLogger } from "../src/common/logger";
import type { Order } from "../src/channels/connectors/connector";
import { CONNECTORS } from "../src/channels/connectors/registry";
import { saveCredentials } from "../src/channels/credential-store";
import { SANDBOXES } from "../src/sandbox/registry";
import { SyncKind, SyncTrigger } from "../src/sync/entities/sync-run.entity";
import { createSyncRuntime, openChannel } from "../src/sync/runtime";
import { createRun } from "../src/sync/sync-run.service";
import { fetchOrderDetails, importOrders } from "../src/orders/order-import.service";
import { pullOrders } from "../src/orders/order-pull.service";
import { scratchDatabase } from "./support";

const N = Number(process.env.BENCH_ORDERS ?? 20_000);
const SKUS = 1_000;

async function main(): Promise<void> {
  const scratch = await scratchDatabase("orders");
  let writes = 0;
  let counting = false;
  const ds = createDataSource({
    url: scratch.url,
    poolSize: 4,
    onQuery: (sql) => {
      if (counting && /\b(INSERT|UPDATE|DELETE)\b/i.test(sql)) writes++;
    },
  });
  await ds.initialize();
  const box = new SecretBox([crypto.randomBytes(32)]);
  const rt = createSyncRuntime({ ds, box, log: createLogger("silent") });
  const sandbox = SANDBOXES["tiktok-shop"]();
  await sandbox.start(0);
  try {
    // Catalogue: two producers with the same 1,000 SKUs and plenty of stock.
    const producers: string[] = [];
    for (const p of ["A", "B"]) {
      const [producer] = await ds.query(
        `INSERT INTO producer (legal_name, name_key, type) VALUES ($1, $2, 'COOPERATIVE') RETURNING id`,
        [`HTX Bench ${p}`, `htx bench ${p.toLowerCase()}`],
      );
      const [product] = await ds.query(
        `INSERT INTO product (producer_id, name, search_key, slug, category) VALUES ($1, 'Trà', 'tra', 'tra', 'BEVERAGE') RETURNING id`,
        [producer.id],
      );
      await ds.query(
        `WITH v AS (
           INSERT INTO variant (product_id, producer_id, sku, price_vnd)
           SELECT $1, $2, 'SKU-' || lpad(g::text, 4, '0'), 50000 FROM generate_series(1, $3) g RETURNING id)
         INSERT INTO stock_level (variant_id, on_hand, reserved) SELECT id, 1000000, 0 FROM v`,
        [product.id, producer.id, SKUS],
      );
      producers.push(producer.id);
    }
    const shop = sandbox.createShop();
    for (let s = 1; s <= SKUS; s++) {
      const sku = `SKU-${String(s).padStart(4, "0")}`;
      sandbox.seedListing(shop.shopId, {
        title: `Trà ${sku}`,
        variants: [{ sku, priceVnd: 50000, stock: 10_000_000 }],
      });
    }
    const t0 = Date.now() - 2 * 24 * 3600_000;
    let lineCount = 0;
    for (let i = 0; i < N; i++) {
      const lines = Array.from({ length: 1 + (i % 3) }, (_, k) => ({
        sku: `SKU-${String(((i * 7 + k * 131) % SKUS) + 1).padStart(4, "0")}`,
        quantity: 1 + ((i + k) % 2),
      }));
      lineCount += lines.length;
      sandbox.createOrder(shop.shopId, lines, { at: t0 + Math.floor((i / N) * 2 * 24 * 3600_000) });
    }

    const connector = CONNECTORS["tiktok-shop"];
    const channels: string[] = [];
    for (const producerId of producers) {
      const code = sandbox.issueAuthCode(shop.shopId);
      const tokens = await connector.exchangeCode({
        app: { appKey: shop.appKey, appSecret: shop.appSecret },
        baseUrl: sandbox.baseUrl,
        callbackParams: { code, shop_id: shop.shopId, state: "bench" },
        redirectUri: "http://127.0.0.1/callback",
      });
      const [ch] = await ds.query(
        `INSERT INTO channel (producer_id, marketplace, name, shop_id, base_url, status)
         VALUES ($1, 'tiktok-shop', 'bench', NULL, $2, 'ACTIVE') RETURNING id`,
        [producerId, sandbox.baseUrl],
      );
      await saveCredentials(ds, box, ch.id, {
        appKey: shop.appKey,
        appSecret: shop.appSecret,
        accessToken: tokens.accessToken,
        refreshToken: tokens.refreshToken,
        accessExpiresAt: tokens.accessExpiresAt,
        refreshExpiresAt: tokens.refreshExpiresAt,
        extra: tokens.extra,
      });
      channels.push(ch.id);
    }

    // 1. fetch every page over HTTP
    const { ctx } = await openChannel(rt, channels[0]);
    let t = performance.now();
    const pages: Order[][] = [];
    const window = { from: t0 - 60_000, to: Date.now() + 1000 };
    let cursor: string | null = null;
    do {
      const page = await connector.listOrders!(ctx, window, cursor);
      pages.push(
        await fetchOrderDetails(
          page.items.map((s) => s.externalOrderId),
          connector.limits.orderDetailPerCall,
          (ids) => connector.getOrders!(ctx, ids),
        ),
      );
      cursor = page.nextCursor;
    } while (cursor);
    const fetchMs = performance.now() - t;
    const fetched = pages.reduce((n, p) => n + p.length, 0);

    // 2. import page by page
    t = performance.now();
    let created = 0;
    for (const p of pages) created += (await importOrders(rt, channels[0], p, "PULL")).created;
    const importMs = performance.now() - t;

    // 3. re-import: nothing may be written
    counting = true;
    t = performance.now();
    let unchanged = 0;
    for (const p of pages) unchanged += (await importOrders(rt, channels[0], p, "PULL")).unchanged;
    const reimportMs = performance.now() - t;
    counting = false;

    // 4. baseline: multi-row INSERT of the same rows into bare tables
    await ds.query(`CREATE TABLE bench_order (id uuid, channel_id uuid, external_order_id text, status text,
      remote_status text, buyer_name text, total_vnd bigint, created_at timestamptz, updated_at timestamptz)`);
    await ds.query(`CREATE TABLE bench_line (id uuid, order_id uuid, external_line_id text, sku text, title text,
      quantity int, unit_price_vnd int)`);
    t = performance.now();
    for (const p of pages) {
      const orderIds = p.map(() => crypto.randomUUID());
      await ds.transaction(async (m) => {
        const ov: unknown[] = [];
        const oph = p.map((o, i) => {
          ov.push(
            orderIds[i],
            channels[0],
            o.externalOrderId,
            o.status,
            o.remoteStatus,
            o.buyerName,
            o.totalVnd,
            new Date(o.createdAt),
            new Date(o.updatedAt),
          );
          const b = i * 9;
          return `($${b + 1},$${b + 2},$${b + 3},$${b + 4},$${b + 5},$${b + 6},$${b + 7},$${b + 8},$${b + 9})`;
        });
        await m.query(`INSERT INTO bench_order VALUES ${oph.join(",")}`, ov);
        const lv: unknown[] = [];
        const lph: string[] = [];
        p.forEach((o, i) =>
          o.lines.forEach((l) => {
            const b = lv.length;
            lv.push(
              crypto.randomUUID(),
              orderIds[i],
              l.externalLineId,
              l.sku,
              l.title,
              l.quantity,
              l.unitPriceVnd,
            );
            lph.push(`($${b + 1},$${b + 2},$${b + 3},$${b + 4},$${b + 5},$${b + 6},$${b + 7})`);
          }),
        );
        await m.query(`INSERT INTO bench_line VALUES ${lph.join(",")}`, lv);
      });
    }
    const baselineMs = performance.now() - t;

    // 5. end-to-end pull for the second channel
    const run = await createRun(ds, {
      channelId: channels[1],
      kind: SyncKind.ORDERS,
      trigger: SyncTrigger.MANUAL,
    });
    t = performance.now();
    await pullOrders(rt, null, run.id, { initialLookbackMs: Date.now() - t0 + 60_000 });
    const pullMs = performance.now() - t;
    const [r] = await ds.query(`SELECT outcome, applied, calls, details FROM sync_run WHERE id = $1`, [
      run.id,
    ]);

    const [{ reserved }] = await ds.query(
      `SELECT sum(reserved)::int AS reserved FROM stock_level s JOIN variant v ON v.id = s.variant_id WHERE v.producer_id = $1`,
      [producers[0]],
    );
    const rate = (n: number, ms: number) => Math.round((n / ms) * 1000);
    console.log(
      `order import bench: ${N} orders (${lineCount} sandbox lines) over ${SKUS} SKUs, TikTok Shop sandbox`,
    );
    console.log(
      `  fetch (HTTP, ${pages.length} pages + details, 50 req/s budget): ${fetched} orders in ${fetchMs.toFixed(0)} ms = ${rate(fetched, fetchMs)} orders/s`,
    );
    console.log(
      `  import into PostgreSQL, page by page:  ${created} created in ${importMs.toFixed(0)} ms = ${rate(created, importMs)} orders/s (units reserved: ${reserved})`,
    );
    console.log(
      `  re-import of the same pages:           ${unchanged} unchanged in ${reimportMs.toFixed(0)} ms = ${rate(unchanged, reimportMs)} orders/s, write statements: ${writes}`,
    );
    console.log(
      `  baseline multi-row INSERT, bare tables: ${fetched} orders in ${baselineMs.toFixed(0)} ms = ${rate(fetched, baselineMs)} orders/s`,
    );
    console.log(
      `  pullOrders end to end (2nd channel):   ${r.applied} imported in ${pullMs.toFixed(0)} ms = ${rate(r.applied, pullMs)} orders/s, ${r.calls} calls, outcome ${r.outcome}`,
    );
  } finally {
    await sandbox.close();
    await ds.destroy();
    await scratch.drop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
