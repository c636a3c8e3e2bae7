/**
 * Coalescing benchmark (issue 4): 1,000 stock changes to one SKU within about one second, each in
 * its own transaction, with the SKU listed on four sandbox marketplaces (50 ms added latency) and
 * the outbox driven by LISTEN/NOTIFY (the worker's OutboxListener + OutboxDispatcher). Reports the
 * stock pushes each channel received (target ≤ 3) and whether every marketplace ends at the final
 * value; baseline from the same run: a naive push-per-change makes one push per change per channel.
 *
 * Run: npm run build && node dist/bench/coalescing.js
 */
import "reflect-metadata";
import crypto from "node:crypto";
import { SecretBox } from "../src/common/crypto";
import { createLogger } from "../src/common/logger";
import type {
  ChannelContext,
  MarketplaceCode,
  MarketplaceConnector,
  StockUpdate,
} from "../src/channels/connectors/connector";
import { CONNECTORS } from "../src/channels/connectors/registry";
import { saveCredentials } from "../src/channels/credential-store";
import { SANDBOXES } from "../src/sandbox/registry";
import type { MarketplaceSandbox } from "../src/sandbox/sandbox";
import { createSyncRuntime } from "../src/sync/runtime";
import { OutboxDispatcher } from "../src/sync/outbox.dispatcher";
import { OutboxListener } from "../src/sync/worker";
import { scratchDatabase } from "./support";

const CHANGES = 1_000;
const LATENCY_MS = 50;
const CODES = Object.keys(CONNECTORS) as MarketplaceCode[];

async function main(): Promise<void> {
  const db = await scratchDatabase("coalescing");
  const box = new SecretBox([crypto.randomBytes(32)]);
  const log = createLogger("silent");
  const sandboxes = {} as Record<MarketplaceCode, MarketplaceSandbox>;
  const pushes = {} as Record<string, number>;
  const connectors = { ...CONNECTORS };
  for (const code of CODES) {
    // Counts stock-push calls per channel (what "pushes" means here: one connector call per batch).
    const real = CONNECTORS[code];
    const wrapped = Object.create(real) as MarketplaceConnector;
    wrapped.pushStock = (ctx: ChannelContext, u: StockUpdate[]) => {
      pushes[ctx.channelId] = (pushes[ctx.channelId] ?? 0) + 1;
      return real.pushStock!(ctx, u);
    };
    connectors[code] = wrapped;
  }
  const rt = createSyncRuntime({ ds: db.ds, box, log, connectors });
  const q = (sql: string, params: unknown[] = []) => db.ds.query(sql, params);

  try {
    const [producer] = await q(
      `INSERT INTO producer (legal_name, name_key, type) VALUES ('HTX Bench', 'htx bench', 'COOPERATIVE') RETURNING id`,
    );
    const [product] = await q(
      `INSERT INTO product (producer_id, name, search_key, slug, category) VALUES ($1, 'Trà sen Tây Hồ', 'tra sen tay ho', 'tra-sen', 'BEVERAGE') RETURNING id`,
      [producer.id],
    );
    const sku = "TRA-SEN-100G";
    const [variant] = await q(
      `INSERT INTO variant (product_id, producer_id, sku, price_vnd) VALUES ($1, $2, $3, 250000) RETURNING id`,
      [product.id, producer.id, sku],
    );
    const start = 5_000;
    await q(`INSERT INTO stock_level (variant_id, on_hand) VALUES ($1, $2)`, [variant.id, start]);

    const channels: Array<{ code: MarketplaceCode; channelId: string; shopId: string }> = [];
    for (const code of CODES) {
      const sandbox = SANDBOXES[code]();
      await sandbox.start(0);
      sandboxes[code] = sandbox;
      const shop = sandbox.createShop();
      const app = { appKey: shop.appKey, appSecret: shop.appSecret };
      const tokens = await CONNECTORS[code].exchangeCode({
        app,
        baseUrl: sandbox.baseUrl,
        callbackParams: { code: sandbox.issueAuthCode(shop.shopId), shop_id: shop.shopId, state: "bench" },
        redirectUri: "http://127.0.0.1/callback",
      });
      const shopId = tokens.shopId ?? shop.shopId;
      const [ch] = await q(
        `INSERT INTO channel (producer_id, marketplace, name, shop_id, base_url, status) VALUES ($1, $2, $2, $3, $4, 'ACTIVE') RETURNING id`,
        [producer.id, code, shopId, sandbox.baseUrl],
      );
      await saveCredentials(db.ds, box, ch.id, {
        ...app,
        accessToken: tokens.accessToken,
        refreshToken: tokens.refreshToken,
        accessExpiresAt: tokens.accessExpiresAt,
        refreshExpiresAt: tokens.refreshExpiresAt,
        extra: tokens.extra,
      });
      sandbox.seedListing(shopId, {
        title: "Trà sen Tây Hồ",
        variants: [{ sku, priceVnd: 250_000, stock: start }],
      });
      const view = sandbox.skuView(shopId, sku)!;
      await q(
        `INSERT INTO listing (channel_id, product_id, variant_id, listing_key, external_item_id, external_sku_id, state,
                              price_pushed_version, price_dirty_since, stock_pushed_version, stock_dirty_since,
                              content_pushed_version, content_dirty_since, pushed_price_vnd, pushed_stock)
         VALUES ($1, $2, $3, $4, $5, $6, 'LIVE', 1, NULL, 1, NULL, 1, NULL, 250000, $7)`,
        [ch.id, product.id, variant.id, sku, view.externalItemId, view.externalSkuId, start],
      );
      sandbox.setFaults({ latencyMs: LATENCY_MS });
      channels.push({ code, channelId: ch.id, shopId });
    }

    const dispatcher = new OutboxDispatcher(rt);
    const listener = new OutboxListener(rt, (c, k, t) => dispatcher.dispatch(c, k, t), {
      connectionString: db.url,
      listen: true,
      debounceMs: 10,
      sweepMs: 0,
      log,
    });
    await listener.start();

    // 1,000 changes, each its own transaction, spread evenly over one second by 4 writers.
    const t0 = Date.now();
    let next = 0;
    const writer = async () => {
      while (next < CHANGES) {
        const i = next++;
        const due = t0 + (i * 1000) / CHANGES;
        if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
        await q(`UPDATE stock_level SET on_hand = on_hand - 1 WHERE variant_id = $1`, [variant.id]);
      }
    };
    await Promise.all([writer(), writer(), writer(), writer()]);
    const writeMs = Date.now() - t0;
    const final = start - CHANGES;

    // Wait until every marketplace shows the final value and nothing is dirty.
    const deadline = Date.now() + 20_000;
    for (;;) {
      await listener.idle();
      const [dirty] = await q(
        `SELECT count(*)::int AS n FROM listing WHERE stock_version > stock_pushed_version`,
      );
      const shown = channels.map((c) => sandboxes[c.code].skuView(c.shopId, sku)!.stock);
      if ((dirty.n === 0 && shown.every((s) => s === final)) || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const settledMs = Date.now() - t0;
    await listener.stop();

    const lines: string[] = [];
    lines.push(
      `coalescing: ${CHANGES} stock changes to one SKU in ${writeMs} ms (separate transactions), 4 channels, +${LATENCY_MS} ms latency`,
    );
    lines.push(`all channels settled ${settledMs} ms after the first change`);
    lines.push("");
    lines.push("marketplace     pushes  naive baseline  final shown  expected  ok");
    let allOk = true;
    for (const c of channels) {
      const shown = sandboxes[c.code].skuView(c.shopId, sku)!.stock;
      const n = pushes[c.channelId] ?? 0;
      const ok = n <= 3 && shown === final;
      allOk &&= ok;
      lines.push(
        `${c.code.padEnd(14)} ${String(n).padStart(7)} ${String(CHANGES).padStart(15)} ${String(shown).padStart(12)} ${String(final).padStart(9)}  ${ok ? "yes" : "NO"}`,
      );
    }
    const [runs] = await q(
      `SELECT count(*)::int AS n, sum(applied)::int AS applied FROM sync_run WHERE kind = 'STOCK'`,
    );
    lines.push("");
    lines.push(
      `sync runs: ${runs.n}, items applied: ${runs.applied}; target ≤ 3 pushes per channel: ${allOk ? "MET" : "NOT MET"}`,
    );
    console.log(lines.join("\n"));
  } finally {
    for (const s of Object.values(sandboxes)) await s.close();
    await db.drop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
