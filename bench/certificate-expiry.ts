/**
 * Certificate expiry → no OCOP claim on any marketplace. N products (one SKU each) published with
 * "– OCOP 4 sao" on four sandboxes (50 ms added latency), their certificates' last valid day is
 * today (Vietnam), so they stop being in force at the coming midnight T. The hub's clock is moved to
 * a few seconds before T and runs on in real time: nothing is written; the claim job (as in a
 * worker, default 2 s poll) notices the day change, marks the listings content-dirty through the
 * outbox, and the worker (pg-boss + LISTEN/NOTIFY + 5 s sweep, as in production) pushes the new
 * titles. Measured: from T until the last sandbox shows no claim for any of the N products, read
 * from the sandboxes' own state.
 *
 * Then, on the same listings: re-recognition (N new decisions in one INSERT) until every sandbox shows
 * the claim again, and the baseline: those certificates revoked by one explicit write (a single
 * UPDATE, as an import or an admin fix would do), from its commit until the last sandbox shows no
 * claim.
 *
 * Tiki reviews content edits: the connector submits Tiki's update request and, when the live content
 * claims a star the new content withdraws, sets the product inactive at once; the claims job shows
 * it again when the (sandbox) review approves, after TIKI_REVIEW_MS. For Tiki, "no claim" means what
 * buyers see: the product hidden, or active with a title without the claim; "with claim" means
 * active with the claim. Also measured: from T until every Tiki product is back on sale with the
 * corrected title (depends on the review time; real Tiki reviews take far longer than the sandbox's).
 *
 * The sandboxes check request signatures and token expiry against real time, so the connectors
 * stamp requests with real time while every other part of the hub uses the moved clock (in
 * production both are the same clock).
 *
 * Run: npm run bench:certificate-expiry [products=300]
 */
import "reflect-metadata";
import crypto from "node:crypto";
import { SecretBox } from "../src/common/crypto";
import { createLogger } from "../src/common/logger";
import { createServices } from "../src/app/services";
import type {
  ChannelContext,
  MarketplaceCode,
  MarketplaceConnector,
} from "../src/channels/connectors/connector";
import { CONNECTORS } from "../src/channels/connectors/registry";
import { SANDBOXES } from "../src/sandbox/registry";
import type { MarketplaceSandbox, SandboxSkuView } from "../src/sandbox/sandbox";
import { PgBossJobQueue } from "../src/sync/job-queue";
import { startWorker } from "../src/sync/worker";
import { connectDemoChannels } from "../src/sync/demo-channels";
import { runPublish } from "../src/sync/publish.service";
import type { JobQueue } from "../src/sync/jobs";
import { createDataSource } from "../src/common/database";
import { Clock, vnToday } from "../src/common/time";
import { OcopClaimsJob } from "../src/ocop-claims/claims-job";
import { expiryInstant } from "../src/ocop-claims/claim-rules";
import { machine, percentile, scratchDatabase } from "./support";

const LATENCY_MS = 50;
const TIMEOUT_MS = 180_000;
/** How often the sandboxes' state is read (measurement resolution). */
const TICK_MS = 200;
const CODES: MarketplaceCode[] = ["shopee", "lazada", "tiktok-shop", "tiki"];
/** How long the Tiki sandbox keeps a content update request in review. */
const TIKI_REVIEW_MS = 3_000;

/** What buyers see of a SKU: its title, or null when the product is hidden (Tiki inactive). */
const shownTitle = (v: SandboxSkuView | undefined): string | null =>
  v && v.active !== false ? v.title : null;
const noClaim = (v: SandboxSkuView) => !/OCOP/.test(shownTitle(v) ?? "");

class ShiftedClock implements Clock {
  private offset = 0;
  now(): Date {
    return new Date(Date.now() + this.offset);
  }
  set(at: Date): void {
    this.offset = at.getTime() - Date.now();
  }
}

/** Connectors whose requests are stamped with real time (the sandboxes' clock). */
function realTimeConnectors(): Record<MarketplaceCode, MarketplaceConnector> {
  const isCtx = (a: unknown): a is ChannelContext =>
    !!a && typeof a === "object" && "channelId" in a && "credentials" in a;
  return Object.fromEntries(
    Object.entries(CONNECTORS).map(([code, c]) => [
      code,
      new Proxy(c, {
        get(target, prop, recv) {
          const v = Reflect.get(target, prop, recv);
          if (typeof v !== "function") return v;
          return (...args: unknown[]) =>
            v.apply(
              target,
              args.map((a) => (isCtx(a) ? { ...a, now: () => Date.now() } : a)),
            );
        },
      }),
    ]),
  ) as Record<MarketplaceCode, MarketplaceConnector>;
}

interface Shop {
  code: MarketplaceCode;
  sb: MarketplaceSandbox;
  shopId: string;
}

/**
 * Waits until every SKU of `skus` meets `done` (default: buyers see no "OCOP") on the marketplaces
 * `codes`; returns, per marketplace, the ms after `t0` at which each SKU was first seen so.
 */
async function watch(
  shops: Shop[],
  skus: string[],
  t0: number,
  done: (v: SandboxSkuView) => boolean = noClaim,
  codes: MarketplaceCode[] = CODES,
): Promise<Map<MarketplaceCode, number[]>> {
  const seen = new Map<MarketplaceCode, Map<string, number>>(codes.map((c) => [c, new Map()]));
  for (;;) {
    const now = performance.now();
    let left = 0;
    for (const s of shops) {
      if (!codes.includes(s.code)) continue;
      const m = seen.get(s.code)!;
      // One pass over the shop per tick: the sandboxes run in this process and share its 2 cores.
      const shown = new Map(s.sb.allSkus(s.shopId).map((v) => [v.sku, v]));
      for (const sku of skus) {
        if (m.has(sku)) continue;
        const v = shown.get(sku);
        if (v && done(v)) m.set(sku, now - t0);
        else left++;
      }
    }
    if (left === 0) break;
    if (now - t0 > TIMEOUT_MS) {
      const per = [...seen].map(([code, m]) => `${code} ${skus.length - m.size}`).join(", ");
      throw new Error(`${left} SKU × marketplace pairs not there after ${TIMEOUT_MS / 1000} s (${per})`);
    }
    await new Promise((r) => setTimeout(r, TICK_MS));
  }
  return new Map([...seen].map(([code, m]) => [code, [...m.values()].sort((a, b) => a - b)]));
}

function line(label: string, per: Map<MarketplaceCode, number[]>, what = "without claim"): string {
  const all = [...per.values()].flat().sort((a, b) => a - b);
  const f = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  return [
    `${label}: last marketplace ${what} ${f(all[all.length - 1])} (p50 of SKU × marketplace ${f(percentile(all, 50))})`,
    ...[...per].map(
      ([code, l]) =>
        `    ${code.padEnd(11)} first ${f(l[0])}, p50 ${f(percentile(l, 50))}, last ${f(l[l.length - 1])}`,
    ),
  ].join("\n");
}

async function main(): Promise<void> {
  const n = Number(process.argv[2] ?? 300);
  const validUntil = vnToday(new Date());
  const T = expiryInstant(validUntil);
  const clock = new ShiftedClock();
  clock.set(new Date(T.getTime() - 30 * 60_000));
  console.log(
    `certificate-expiry bench: ${n} products, 1 SKU each, on 4 sandboxes (${LATENCY_MS} ms added latency): expiry at T, then re-recognition, then revocation by one write, on the same listings; ${machine()}`,
  );
  const scratch = await scratchDatabase("claims");
  const ds = createDataSource({ url: scratch.url, poolSize: 20, applicationName: "bench-claims" });
  await ds.initialize();
  const log = createLogger(process.env.LOG_LEVEL ?? "silent");
  const box = new SecretBox([crypto.randomBytes(32)]);
  const pgboss = await new PgBossJobQueue({ connectionString: scratch.url, log }).start();
  const services = createServices(ds, { maxPageSize: 100, mode: "test" }, { box, log, queue: pgboss, clock });
  const rt = services.sync;
  rt.connectors = realTimeConnectors();
  const sandboxes = {} as Record<MarketplaceCode, MarketplaceSandbox>;
  let worker: Awaited<ReturnType<typeof startWorker>> | null = null;
  let job: OcopClaimsJob | null = null;
  try {
    for (const code of CODES) {
      sandboxes[code] = SANDBOXES[code]();
      await sandboxes[code].start(0);
    }
    const [producer] = await ds.query(
      `INSERT INTO producer (legal_name, name_key, type) VALUES ('HTX Chè Bench', 'htx che bench', 'COOPERATIVE') RETURNING id`,
    );
    const skus = Array.from({ length: n }, (_, i) => `CHE-${String(i).padStart(4, "0")}`);
    const products: Array<{ id: string }> = await ds.query(
      `INSERT INTO product (producer_id, name, search_key, slug, category, description, images)
       SELECT $1, 'Chè Tân Cương ' || g, 'che tan cuong ' || g, 'che-tan-cuong-' || g, 'FOOD', 'Chè búp.', '[]'
         FROM generate_series(1, $2) g ORDER BY g RETURNING id`,
      [producer.id, n],
    );
    const variants: Array<{ id: string }> = await ds.query(
      `INSERT INTO variant (product_id, producer_id, sku, pack_spec, price_vnd)
       SELECT p, $1, s, 'gói 100g', 120000 FROM unnest($2::uuid[], $3::text[]) AS t(p, s) RETURNING id`,
      [producer.id, products.map((p) => p.id), skus],
    );
    await ds.query(
      `INSERT INTO stock_level (variant_id, on_hand, reserved) SELECT unnest($1::uuid[]), 50, 0`,
      [variants.map((v) => v.id)],
    );
    const ids = products.map((p) => p.id);
    await ds.query(
      `INSERT INTO ocop_certification (product_id, star, decision_number, decision_date, issuer_level, issuer_name, valid_until, validity_basis, verification)
       SELECT p, 4, 'B' || i || '/QĐ-UBND', '2023-11-26', 'PROVINCE', 'UBND tỉnh Thái Nguyên', $2::date, 'DECISION_DATE', 'A'
         FROM unnest($1::uuid[]) WITH ORDINALITY AS t(p, i)`,
      [ids, validUntil],
    );

    // Initial publish on the real path (no latency yet: it is not what is measured).
    const queued: string[] = [];
    const inline: JobQueue = {
      enqueueRun: async (id) => void queued.push(id),
      enqueueOrderImport: async () => undefined,
    };
    const t0 = performance.now();
    const demo = await connectDemoChannels(rt, sandboxes, inline, { hubUrl: "http://127.0.0.1:1" });
    while (queued.length) await runPublish(rt, queued.shift()!);
    const shops: Shop[] = [];
    for (const c of demo.channels) {
      const [row] = await ds.query(`SELECT marketplace, shop_id FROM channel WHERE id = $1`, [c.channelId]);
      shops.push({
        code: row.marketplace,
        sb: sandboxes[row.marketplace as MarketplaceCode],
        shopId: row.shop_id,
      });
    }
    const [{ live }] = await ds.query(`SELECT count(*)::int AS live FROM listing WHERE state = 'LIVE'`);
    console.log(
      `published ${live} listings on ${shops.length} marketplaces in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    );
    for (const s of shops) {
      const claimed = skus.filter((sku) =>
        /OCOP 4 sao$/.test(s.sb.skuView(s.shopId, sku)?.title ?? ""),
      ).length;
      if (claimed !== n) throw new Error(`${s.code}: ${claimed} of ${n} SKUs show the claim after publish`);
      s.sb.setFaults({ latencyMs: LATENCY_MS, contentReviewMs: TIKI_REVIEW_MS });
      s.sb.resetCounters();
    }

    worker = await startWorker(rt, pgboss, { concurrency: 8, listen: true, sweepMs: 5_000 });
    job = new OcopClaimsJob(rt, { log });
    job.start();
    // Let the job record the first claims (written by the inserts above) before measuring.
    await new Promise((r) => setTimeout(r, 3_000));

    // 1. Expiry by time: the clock reaches T; nothing is written.
    await worker.listener.idle();
    clock.set(new Date(T.getTime() - 3_000));
    const tT = performance.now() + (T.getTime() - clock.now().getTime());
    await new Promise((r) => setTimeout(r, Math.max(0, tT - performance.now() - 100)));
    const stillBefore = shops.every((s) =>
      skus.every((sku) => /OCOP/.test(shownTitle(s.sb.skuView(s.shopId, sku) ?? undefined) ?? "")),
    );
    // Both watches run from T (the second one's first/p50 would otherwise start where the first ended).
    const [exp, tikiBack] = await Promise.all([
      watch(shops, skus, tT),
      watch(shops, skus, tT, (v) => v.active !== false && !/OCOP/.test(v.title), ["tiki"]),
    ]);
    console.log(line(`expiry at T, ${n} certificates (from T, no write; Tiki: hidden or corrected)`, exp));
    console.log(
      `  claims still shown just before T: ${stillBefore ? "yes (all)" : "NO"}; target: ≤ 60 s after T`,
    );
    console.log(
      line(
        `  tiki back on sale with the corrected title (review ${TIKI_REVIEW_MS / 1000} s in the sandbox)`,
        tikiBack,
        "on sale",
      ),
    );

    // 2. Re-recognition (new decisions, one write): the claims come back on the same listings.
    await worker.listener.idle();
    const tR = performance.now();
    await ds.query(
      `INSERT INTO ocop_certification (product_id, star, decision_number, decision_date, issuer_level, issuer_name, valid_until, validity_basis, verification, is_re_recognition)
       SELECT p, 4, 'R' || i || '/QĐ-UBND', $2::date, 'PROVINCE', 'UBND tỉnh Thái Nguyên', $2::date + interval '36 months', 'DECISION_DATE', 'A', true
         FROM unnest($1::uuid[]) WITH ORDINALITY AS t(p, i)`,
      [ids, vnToday(clock.now())],
    );
    const back = await watch(shops, skus, tR, (v) => /OCOP 4 sao$/.test(shownTitle(v) ?? ""));
    console.log(
      line(`re-recognition, ${n} new decisions in one write (from its commit)`, back, "with claim"),
    );

    // 3. Baseline: the same listings, the claim removed by an explicit revoke write.
    await worker.listener.idle();
    const tW = performance.now();
    await ds.query(
      `UPDATE ocop_certification SET revoked_at = now(), revocation_reason = 'bench'
        WHERE product_id = ANY($1::uuid[]) AND revoked_at IS NULL`,
      [ids],
    );
    const base = await watch(shops, skus, tW);
    console.log(line(`baseline, ${n} certificates revoked by one write (from its commit)`, base));
    await new Promise((r) => setTimeout(r, 3_000)); // the job records the written changes within a poll
    const [rec] = await ds.query(
      `SELECT count(*) FILTER (WHERE reason = 'EXPIRED' AND source = 'SCHEDULE')::int AS expired,
              count(*) FILTER (WHERE reason = 'REVOKED')::int AS revoked,
              count(*) FILTER (WHERE reason = 'RECOGNISED' AND source = 'WRITE')::int AS recognised,
              coalesce(sum(listings_touched) FILTER (WHERE reason = 'EXPIRED'), 0)::int AS touched
         FROM ocop_claim_change`,
    );
    console.log(
      `  recorded: ${rec.expired} EXPIRED (schedule), ${rec.recognised} RECOGNISED (write, incl. the ${n} initial ones), ${rec.revoked} REVOKED changes; ${rec.touched} listings marked by the expiry run`,
    );
    const tiki = shops.find((s) => s.code === "tiki");
    if (tiki) {
      const views = skus.map((sku) => tiki.sb.skuView(tiki.shopId, sku)!);
      const [{ hidden }] = await ds.query(
        `SELECT count(*)::int AS hidden FROM listing l JOIN channel c ON c.id = l.channel_id
          WHERE c.marketplace = 'tiki' AND l.last_error->>'code' = 'HIDDEN_PENDING_REVIEW'`,
      );
      console.log(
        `  tiki 3 s after that: ${views.filter((v) => v.active === false).length} of ${n} products hidden, ${
          views.filter((v) => !noClaim(v)).length
        } showing a claim to buyers; ${hidden} listings HIDDEN_PENDING_REVIEW in the hub`,
      );
    }
  } finally {
    await job?.stop();
    await worker?.stop();
    for (const s of Object.values(sandboxes)) await s?.close();
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
