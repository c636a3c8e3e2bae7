/**
 * Campaign window: 1,000 variants live on the four sandbox marketplaces (50 ms added latency each),
 * one campaign (20 % off) on all of them. Measured from what the sandboxes show (never our DB):
 *  - start: from the scheduled start T until all 4,000 SKU × marketplace prices are the sale price;
 *  - end: from the scheduled end until all 4,000 show the normal price again, where 100 variants
 *    had their catalogue price changed during the window (they must come back at the NEW price);
 *  - left at a sale price after the end (must be 0).
 * Everything runs the real path: two campaign tickers (two "workers", real clock, 1 s period) race
 * for each flip, the flip's transaction marks listings dirty and NOTIFYs, the worker's outbox
 * listener dispatches, connectors push over HTTP.
 * Baseline from the same run: the same 4,000 price changes made as one plain catalogue edit
 * (UPDATE of 1,000 variant prices) and pushed by the same outbox.
 * The 45 s window is too short for a Shopee discount (an hour at least), so all four adjust prices;
 * a last phase schedules a 1-hour window 2 hours ahead, which Shopee runs natively, and reads what
 * Shopee will charge at its start and end.
 *
 * Run: npm run bench:campaign-window  (or node dist/bench/campaign-window.js [windowSeconds=45])
 */
import "reflect-metadata";
import crypto from "node:crypto";
import { SecretBox } from "../src/common/crypto";
import { createLogger } from "../src/common/logger";
import { createServices } from "../src/app/services";
import type { MarketplaceCode } from "../src/channels/connectors/connector";
import { PgBossJobQueue } from "../src/sync/job-queue";
import { startWorker } from "../src/sync/worker";
import { createDataSource } from "../src/common/database";
import { systemViewer } from "../src/auth/viewer";
import { CampaignService } from "../src/campaigns/campaign.service";
import { CampaignTicker } from "../src/campaigns/campaign-ticker";
import type { ShopeeSandbox } from "../src/sandbox/shopee/shopee.sandbox";
import { machine, scratchDatabase } from "./support";
import { linkedWorld, type WorldShop } from "./linked-world";

const SKUS = 1_000;
const VARIANTS_PER_PRODUCT = 10;
const PRICE = 120_000;
const SALE = 96_000; // 20 % off
const CHANGED = 100;
const CHANGED_PRICE = 125_000;
const CHANGED_SALE = 100_000;
const BASELINE_PRICE = 130_000;
const LATENCY_MS = 50;
const POLL_MS = 100;
const TIMEOUT_MS = 120_000;

type Shop = WorldShop;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** SKU × marketplace pairs whose shown price differs from `expected(sku)`. */
function differing(shops: Shop[], expected: (sku: string) => number): number {
  let n = 0;
  for (const s of shops) n += differingIn(s, expected);
  return n;
}

function differingIn(s: Shop, expected: (sku: string) => number): number {
  let n = 0;
  for (const v of s.sb.allSkus(s.shopId)) if (v.priceVnd !== expected(v.sku)) n++;
  return n;
}

interface Reached {
  /** ms after `from` until every pair showed the value (NaN on timeout). */
  all: number;
  /** The same per marketplace. */
  per: Array<[MarketplaceCode, number]>;
}

/** Polls the sandboxes until every pair shows `expected`; ms after `from` (epoch ms), or NaN on timeout. */
async function until(shops: Shop[], expected: (sku: string) => number, from: number): Promise<Reached> {
  const per = new Map<MarketplaceCode, number>();
  for (;;) {
    const now = Date.now();
    for (const s of shops)
      if (!per.has(s.code) && differingIn(s, expected) === 0) per.set(s.code, now - from);
    if (per.size === shops.length)
      return { all: Math.max(...per.values()), per: shops.map((s) => [s.code, per.get(s.code)!]) };
    if (now - from > TIMEOUT_MS) return { all: NaN, per: shops.map((s) => [s.code, per.get(s.code) ?? NaN]) };
    await sleep(POLL_MS);
  }
}

function priceCalls(shops: Shop[]): number {
  return shops.reduce(
    (sum, s) =>
      sum +
      Object.entries(s.sb.counters().calls)
        .filter(([path]) => /price/i.test(path))
        .reduce((a, [, n]) => a + n, 0),
    0,
  );
}

async function main(): Promise<void> {
  const windowSeconds = Number(process.argv[2] ?? 45);
  console.log(
    `campaign-window bench: ${SKUS} variants on 4 sandboxes (${LATENCY_MS} ms added latency), one 20 % campaign of ${windowSeconds} s; ${machine()}`,
  );
  const scratch = await scratchDatabase("campaign");
  const ds = createDataSource({ url: scratch.url, poolSize: 20, applicationName: "bench-campaign" });
  await ds.initialize();
  const log = createLogger(process.env.LOG_LEVEL ?? "silent");
  const box = new SecretBox([crypto.randomBytes(32)]);
  const queue = await new PgBossJobQueue({ connectionString: scratch.url, log }).start();
  const services = createServices(ds, { maxPageSize: 100, mode: "test" }, { box, log, queue });
  const rt = services.sync;
  const worker = await startWorker(rt, queue, { concurrency: 8, listen: true, sweepMs: 5_000 });
  const tickers = [new CampaignTicker(rt), new CampaignTicker(rt)];
  const shops: Shop[] = [];
  try {
    const { producerId, skus, variants } = await linkedWorld(
      ds,
      box,
      { skus: SKUS, perProduct: VARIANTS_PER_PRODUCT, priceVnd: PRICE, onHand: 100, latencyMs: LATENCY_MS },
      shops,
    );
    if (differing(shops, () => PRICE) !== 0) throw new Error("sandboxes do not start at the normal price");

    // ---- the campaign ----
    for (const t of tickers) t.start();
    const svc = new CampaignService(rt);
    const viewer = systemViewer("bench");
    const start = new Date(Date.now() + 5_000);
    const end = new Date(start.getTime() + windowSeconds * 1_000);
    const input = {
      producerId: producerId,
      name: "Bench 20 %",
      channelIds: shops.map((s) => s.channelId),
      variants: variants.map((v) => ({ variantId: v.id })),
      discount: { kind: "PERCENT" as const, value: 2_000 },
      startsAt: start,
      endsAt: end,
    };
    let t0 = performance.now();
    const preview = await svc.create(viewer, input, true);
    const previewMs = performance.now() - t0;
    t0 = performance.now();
    await svc.create(viewer, input, false);
    const createMs = performance.now() - t0;
    for (const s of shops) s.sb.resetCounters();

    const startMs = await until(shops, () => SALE, start.getTime());
    const startCalls = priceCalls(shops);
    // During the window the catalogue price of 100 variants changes: they stay on sale (20 % off
    // the new price) and must come back at the new price at the end.
    const changed = new Set(skus.slice(0, CHANGED));
    await ds.query(`UPDATE variant SET price_vnd = $2 WHERE sku = ANY($1::text[])`, [
      [...changed],
      CHANGED_PRICE,
    ]);
    const midMs = await until(shops, (sku) => (changed.has(sku) ? CHANGED_SALE : SALE), Date.now());
    const normalNow = (sku: string) => (changed.has(sku) ? CHANGED_PRICE : PRICE);
    while (Date.now() < end.getTime() - POLL_MS) await sleep(POLL_MS);
    for (const s of shops) s.sb.resetCounters();
    const endMs = await until(shops, normalNow, end.getTime());
    const endCalls = priceCalls(shops);
    await sleep(2_000);
    await worker.listener.idle();
    const atSale = shops.reduce(
      (n, s) =>
        n + s.sb.allSkus(s.shopId).filter((v) => v.priceVnd === SALE || v.priceVnd === CHANGED_SALE).length,
      0,
    );
    const wrong = differing(shops, normalNow);
    const [flips] = await ds.query(
      `SELECT count(*) FILTER (WHERE started_at IS NOT NULL)::int AS started,
              count(*) FILTER (WHERE state = 'ENDED')::int AS ended FROM campaign_occurrence`,
    );
    const [versions] = await ds.query(
      `SELECT min(price_version)::int AS lo, max(price_version)::int AS hi FROM listing
                                        WHERE variant_id <> ALL(SELECT id FROM variant WHERE sku = ANY($1::text[]))`,
      [[...changed]],
    );

    // ---- baseline: the same 4,000 changes as one plain catalogue edit ----
    for (const s of shops) s.sb.resetCounters();
    const b0 = Date.now();
    await ds.query(`UPDATE variant SET price_vnd = $1`, [BASELINE_PRICE]);
    const baselineMs = await until(shops, () => BASELINE_PRICE, b0);
    const baselineCalls = priceCalls(shops);

    // ---- native: a 1-hour window two hours ahead is a Shopee discount scheduled by the tickers ----
    const nStart = new Date(Date.now() + 2 * 3_600_000);
    const nEnd = new Date(nStart.getTime() + 3_600_000);
    const shopee = shops.find((s) => s.code === "shopee")!;
    const shopeeSb = shopee.sb as ShopeeSandbox;
    shopee.sb.resetCounters();
    const n0 = Date.now();
    const native = await svc.create(
      viewer,
      { ...input, name: "Bench native", startsAt: nStart, endsAt: nEnd },
      false,
    );
    const nativeMethod = native.campaign!.channels.find((c) => c.marketplace === "shopee")!.method;
    let scheduledMs = NaN;
    while (Date.now() - n0 < TIMEOUT_MS) {
      const d = shopeeSb.discountsOf(shopee.shopId)[0];
      if (d && Object.keys(d.prices).length === SKUS) {
        scheduledMs = Date.now() - n0;
        break;
      }
      await sleep(POLL_MS);
    }
    const discountCalls = Object.entries(shopee.sb.counters().calls)
      .filter(([path]) => /discount/.test(path))
      .reduce((a, [, n]) => a + n, 0);
    const paidAt = (at: number) =>
      skus.filter((sku) => shopeeSb.buyerPriceAt(shopee.shopId, sku, at) === (BASELINE_PRICE * 8) / 10)
        .length;
    const onSaleDuring = paidAt(nStart.getTime() + 1_000);
    const onSaleAfter = paidAt(nEnd.getTime() + 1_000);
    const listedUnchanged = shopee.sb
      .allSkus(shopee.shopId)
      .filter((v) => v.priceVnd === BASELINE_PRICE).length;
    await svc.cancel(viewer, native.campaign!.id);
    const c0 = Date.now();
    let removedMs = NaN;
    while (Date.now() - c0 < TIMEOUT_MS) {
      if (shopeeSb.discountsOf(shopee.shopId).length === 0) {
        removedMs = Date.now() - c0;
        break;
      }
      await sleep(POLL_MS);
    }

    const per = (r: Reached) => r.per.map(([code, ms]) => `${code} ${f(ms)}`).join(", ");
    const f = (ms: number) =>
      Number.isFinite(ms) ? `${(ms / 1000).toFixed(2)} s` : `not within ${TIMEOUT_MS / 1000} s`;
    console.log(
      [
        `dry-run preview of ${SKUS} variants × 4 channels: ${Math.round(previewMs)} ms (${preview.preview.length} rows); create: ${Math.round(createMs)} ms`,
        `start: all ${SKUS * 4} SKU × marketplace prices at the sale price ${f(startMs.all)} after the scheduled start (target ≤ 30 s); price calls received ${startCalls}`,
        `  per marketplace: ${per(startMs)}`,
        `  mid-window catalogue change of ${CHANGED} variants: sale price recomputed on all 4 marketplaces in ${f(midMs.all)}`,
        `end: all ${SKUS * 4} back at the normal price (${CHANGED} at their NEW price) ${f(endMs.all)} after the scheduled end (target ≤ 30 s); price calls ${endCalls}`,
        `  per marketplace: ${per(endMs)}`,
        `  left at a sale price: ${atSale}; pairs differing from the normal price: ${wrong}`,
        `  two tickers raced: occurrences started ${flips.started}, ended ${flips.ended}; price_version of untouched listings ${versions.lo}–${versions.hi} (1 + start + end = 3: each flip marked them once)`,
        `baseline (the same ${SKUS * 4} price changes as one catalogue edit through the same outbox): ${f(baselineMs.all)}; price calls ${baselineCalls}`,
        `  per marketplace: ${per(baselineMs)}`,
        `native (1 h window 2 h ahead): Shopee ${nativeMethod}; discount with all ${SKUS} models on Shopee ${f(scheduledMs)} after createCampaign (${discountCalls} discount calls); at the start + 1 s Shopee charges the sale price for ${onSaleDuring} of ${SKUS} SKUs, at the end + 1 s for ${onSaleAfter}; listed price unchanged on ${listedUnchanged}; cancelled: discount gone from Shopee ${f(removedMs)} later`,
        `(measurement: sandboxes polled every ${POLL_MS} ms; the ticker's 1 s period is inside the start and end figures)`,
      ].join("\n"),
    );
  } finally {
    for (const t of tickers) await t.stop();
    for (const s of shops) await s.sb.close();
    await worker.stop();
    // pg-boss closes its pool after stop() resolves; dropping the database before that kills its
    // connections with FATAL 57P01, an unhandled 'error' event.
    await sleep(2_000);
    await ds.destroy();
    await scratch.drop();
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
