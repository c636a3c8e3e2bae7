/**
 * OCOP claims follow the certificate, on the real path: four sandbox marketplaces over HTTP, listings
 * published with "– OCOP n sao", a clock that runs in real time from a chosen instant (so expiry
 * happens by the passage of time, with no write), the claim job polling as in a worker (two of
 * them, as two workers would), and the outbox listener pushing content on NOTIFY.
 *
 * Figure: a certificate expiring at T → every affected live listing on every marketplace shows no
 * OCOP claim to buyers within 60 s of T. Tiki reviews content edits: the hub submits the update
 * request and, because the live content still claims the star, hides the product at once (inactive);
 * when the sandbox approves (after TIKI_REVIEW_MS) the claims job shows it again with the corrected
 * title.
 */
import { startTestHub, TestHub } from "../support/test-hub";
import { SANDBOXES } from "../../src/sandbox/registry";
import type { MarketplaceSandbox } from "../../src/sandbox/sandbox";
import type {
  ChannelContext,
  MarketplaceCode,
  MarketplaceConnector,
} from "../../src/channels/connectors/connector";
import { CONNECTORS } from "../../src/channels/connectors/registry";
import { toGlobalId } from "../../src/common/graphql/global-id";
import { addMonths, type Clock, vnToday } from "../../src/common/time";
import { runPublish } from "../../src/sync/publish.service";
import { buildDrafts } from "../../src/sync/listing-draft";
import { connectDemoChannels } from "../../src/sync/demo-channels";
import { OutboxDispatcher } from "../../src/sync/outbox.dispatcher";
import { OutboxListener } from "../../src/sync/worker";
import type { JobQueue } from "../../src/sync/jobs";
import { resetRateBudgets } from "../../src/channels/connectors/http/rate-budget";
import { clearRemoteCatalogCache } from "../../src/channels/mapping.service";
import { OcopClaimsJob } from "../../src/ocop-claims/claims-job";
import { OcopClaimsService } from "../../src/ocop-claims/claims.service";
import { expiryInstant } from "../../src/ocop-claims/claim-rules";

/**
 * The sandboxes run on real time (request signatures, token expiry), so what the hub says to them is
 * stamped with real time; everything else (drafts, the claim job, GraphQL) uses the shifted clock.
 * In production both are the same clock.
 */
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

/** Real time, shifted: set(at) makes now() = at and lets it run on from there. */
class ShiftedClock implements Clock {
  private offset = 0;
  now(): Date {
    return new Date(Date.now() + this.offset);
  }
  set(at: Date): void {
    this.offset = at.getTime() - Date.now();
  }
}

const CODES: MarketplaceCode[] = ["shopee", "lazada", "tiktok-shop", "tiki"];
// Today's date in Vietnam: T is the coming midnight there (marketplace tokens are real-time, so the
// clock is moved hours ahead, not years).
const VALID_UNTIL = vnToday(new Date());
const T = expiryInstant(VALID_UNTIL);
const DAY_AFTER = vnToday(T);
const plusDays = (day: string, n: number) =>
  new Date(Date.parse(`${day}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);
const clock = new ShiftedClock();
let hub: TestHub;
const sandboxes = {} as Record<MarketplaceCode, MarketplaceSandbox>;
const queued: string[] = [];
const queue: JobQueue = {
  enqueueRun: async (id) => void queued.push(id),
  enqueueOrderImport: async () => undefined,
};
let channels: Array<{ id: string; marketplace: MarketplaceCode; shopId: string }>;
let listener: OutboxListener;
const jobs: OcopClaimsJob[] = [];
/** sku → product id; EXP expires at T, KEEP stays certified, UP is upgraded later. */
const products: Record<string, { id: string; cert: string }> = {};

async function addProduct(sku: string, name: string, star: number, validUntil: string): Promise<void> {
  const ds = hub.db.dataSource;
  const [pr] = await ds.query(`SELECT id FROM producer WHERE legal_name = 'HTX Chè Tân Cương'`);
  const [p] = await ds.query(
    `INSERT INTO product (producer_id, name, search_key, slug, category, product_set_no, description, images)
     VALUES ($1, $2, $3, $4, 'FOOD', 11, 'Chè búp hái tay.', '[]') RETURNING id`,
    [pr.id, name, name.toLowerCase(), sku.toLowerCase()],
  );
  const [v] = await ds.query(
    `INSERT INTO variant (product_id, producer_id, sku, pack_spec, price_vnd) VALUES ($1, $2, $3, 'gói 200g', 120000) RETURNING id`,
    [p.id, pr.id, sku],
  );
  await ds.query(`INSERT INTO stock_level (variant_id, on_hand, reserved) VALUES ($1, 30, 0)`, [v.id]);
  const [c] = await ds.query(
    `INSERT INTO ocop_certification (product_id, star, decision_number, decision_date, issuer_level, issuer_name, valid_until, validity_basis, verification)
     VALUES ($1, $2, $3, '2025-03-10', 'PROVINCE', 'UBND tỉnh Thái Nguyên', $4, 'DECISION_DATE', 'A') RETURNING id`,
    [p.id, star, `${sku}/QĐ-UBND`, validUntil],
  );
  products[sku] = { id: p.id, cert: c.id };
}

/** Titles of one SKU on each marketplace. */
function titles(sku: string): Record<MarketplaceCode, string> {
  return Object.fromEntries(
    channels.map((c) => [
      c.marketplace,
      sandboxes[c.marketplace].skuView(c.shopId, sku)?.title ?? "(missing)",
    ]),
  ) as Record<MarketplaceCode, string>;
}

/** Marketplaces that apply content edits at once (Tiki reviews them first). */
const PUSHED: MarketplaceCode[] = ["shopee", "lazada", "tiktok-shop"];
/** How long the Tiki sandbox keeps an update request in review. */
const TIKI_REVIEW_MS = 4_000;

/** What Tiki buyers see of one SKU: null when the product is hidden (inactive). */
function tikiShown(sku: string): string | null {
  const c = channels.find((x) => x.marketplace === "tiki")!;
  const v = sandboxes.tiki.skuView(c.shopId, sku);
  return v && v.active !== false ? v.title : null;
}

async function waitFor(cond: () => boolean | Promise<boolean>, ms: number): Promise<number> {
  const start = Date.now();
  while (!(await cond())) {
    if (Date.now() - start > ms) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return Date.now() - start;
}

beforeAll(async () => {
  resetRateBudgets();
  clearRemoteCatalogCache();
  clock.set(new Date(T.getTime() - 10 * 60_000));
  hub = await startTestHub({ clock });
  hub.services.queue = queue;
  hub.services.sync.connectors = realTimeConnectors();
  for (const code of CODES) {
    sandboxes[code] = SANDBOXES[code]();
    await sandboxes[code].start(0);
  }
  sandboxes.tiki.setFaults({ contentReviewMs: TIKI_REVIEW_MS });
  const ds = hub.db.dataSource;
  await ds.query(
    `INSERT INTO producer (legal_name, name_key, type) VALUES ('HTX Chè Tân Cương', 'htx che tan cuong', 'COOPERATIVE')`,
  );
  await addProduct("EXP-1", "Chè búp Tân Cương", 4, VALID_UNTIL);
  await addProduct("KEEP-1", "Chè móc câu", 4, plusDays(VALID_UNTIL, 71));
  await addProduct("UP-1", "Chè đinh", 3, plusDays(VALID_UNTIL, 400));
  const demo = await connectDemoChannels(hub.services.sync, sandboxes, queue, {
    hubUrl: "http://127.0.0.1:1",
  });
  while (queued.length) await runPublish(hub.services.sync, queued.shift()!);
  channels = await Promise.all(
    demo.channels.map(async (c) => {
      const [row] = await ds.query(`SELECT id, marketplace, shop_id FROM channel WHERE id = $1`, [
        c.channelId,
      ]);
      return { id: row.id, marketplace: row.marketplace, shopId: row.shop_id };
    }),
  );
  const d = new OutboxDispatcher(hub.services.sync);
  listener = new OutboxListener(hub.services.sync, (c, k, t, o) => d.dispatch(c, k, t, o), {
    connectionString: hub.db.url,
    listen: true,
    debounceMs: 5,
    sweepMs: 0,
    log: hub.services.sync.log,
  });
  await listener.start();
  // Two workers' claim jobs polling at once.
  for (let i = 0; i < 2; i++) {
    const job = new OcopClaimsJob(hub.services.sync, { pollMs: 100, reviewPollMs: 200 });
    job.start();
    jobs.push(job);
  }
}, 90_000);

afterAll(async () => {
  for (const j of jobs) await j.stop();
  await listener?.stop();
  for (const s of Object.values(sandboxes)) await s?.close();
  await hub?.close();
});

test("published listings carry the claim on all four marketplaces; first claims are recorded once", async () => {
  expect(channels).toHaveLength(4);
  for (const sku of ["EXP-1", "KEEP-1"])
    for (const t of Object.values(titles(sku))) expect(t).toMatch(/OCOP 4 sao$/);
  await waitFor(async () => {
    const [{ n }] = await hub.db.dataSource.query(`SELECT count(*)::int AS n FROM ocop_claim_change`);
    return n === 3;
  }, 10_000);
  const rows = await hub.db.dataSource.query(
    `SELECT reason, source, new_star FROM ocop_claim_change ORDER BY new_star`,
  );
  expect(rows).toEqual([
    { reason: "RECOGNISED", source: "WRITE", new_star: 3 },
    { reason: "RECOGNISED", source: "WRITE", new_star: 4 },
    { reason: "RECOGNISED", source: "WRITE", new_star: 4 },
  ]);
});

test("expiry warnings from 90 days before the last valid day, on certification and product", async () => {
  const r = await hub.gql(
    `query($id: ID!, $keep: ID!) {
       exp: product(id: $id) { ocopExpiryWarning { validUntil daysLeft level } certifications { expiryWarning { daysLeft level } } }
       keep: product(id: $keep) { ocopExpiryWarning { daysLeft level } }
     }`,
    { id: toGlobalId("Product", products["EXP-1"].id), keep: toGlobalId("Product", products["KEEP-1"].id) },
  );
  expect(r.errors).toBeUndefined();
  // The clock is 10 minutes before midnight of the last valid day.
  expect(r.data.exp.ocopExpiryWarning).toEqual({ validUntil: VALID_UNTIL, daysLeft: 0, level: "URGENT" });
  expect(r.data.exp.certifications[0].expiryWarning).toEqual({ daysLeft: 0, level: "URGENT" });
  expect(r.data.keep.ocopExpiryWarning).toEqual({ daysLeft: 71, level: "NOTICE" });
});

test("at T the claim disappears from every marketplace within 60 s, with no write (Tiki: hidden until approved)", async () => {
  const ds = hub.db.dataSource;
  const [{ before }] = await ds.query(`SELECT count(*)::int AS before FROM ocop_claim_change`);
  clock.set(new Date(T.getTime() - 2_000));
  // Before T nothing changes.
  await new Promise((r) => setTimeout(r, 1_000));
  const [{ n }] = await ds.query(`SELECT count(*)::int AS n FROM ocop_claim_change`);
  expect(n).toBe(before);
  for (const code of CODES) expect(titles("EXP-1")[code]).toMatch(/OCOP 4 sao$/);
  expect(tikiShown("EXP-1")).toMatch(/OCOP 4 sao$/);
  const tAt = Date.now() + (T.getTime() - clock.now().getTime());
  let tikiAt = 0;
  await waitFor(() => {
    const shown = tikiShown("EXP-1");
    if (!tikiAt && (shown === null || !/OCOP/.test(shown))) tikiAt = Date.now();
    return tikiAt > 0 && PUSHED.every((code) => !/OCOP/.test(titles("EXP-1")[code]));
  }, 60_000);
  const sinceT = Date.now() - tAt;
  console.log(
    `certificate expiry → no claim on ${PUSHED.join(", ")}: ${sinceT} ms after T; Tiki hidden ${tikiAt - tAt} ms after T`,
  );
  expect(sinceT).toBeGreaterThanOrEqual(0);
  expect(sinceT).toBeLessThan(60_000);
  expect(tikiAt - tAt).toBeLessThan(60_000);
  for (const code of PUSHED) expect(titles("EXP-1")[code]).toBe("Chè búp Tân Cương gói 200g");
  // Tiki: hidden from buyers while it reviews the corrected content, which it still holds unchanged.
  expect(tikiShown("EXP-1")).toBeNull();
  expect(titles("EXP-1").tiki).toMatch(/OCOP 4 sao$/);
  const tikiExp1 = async () =>
    (
      await ds.query(
        `SELECT l.last_error->>'code' AS code, l.content_review AS review FROM listing l JOIN channel c ON c.id = l.channel_id
          WHERE c.marketplace = 'tiki' AND l.product_id = $1`,
        [products["EXP-1"].id],
      )
    )[0];
  await waitFor(async () => (await tikiExp1()).code === "HIDDEN_PENDING_REVIEW", 10_000);
  // The request is followed through its own column; last_error only explains the outcome.
  const inReview = await tikiExp1();
  expect(inReview.review).toMatchObject({ state: "IN_REVIEW", hidden: true });
  expect(inReview.review.trackId).toMatch(/^[0-9a-f]{32}$/);
  // The other products keep their claims.
  for (const t of Object.values(titles("KEEP-1"))) expect(t).toMatch(/OCOP 4 sao$/);
  // Recorded once, although two jobs polled.
  const changes = await ds.query(
    `SELECT product_id, reason, source, old_star, new_star, effective_day::text AS day, listings_touched
       FROM ocop_claim_change WHERE reason = 'EXPIRED'`,
  );
  expect(changes).toEqual([
    {
      product_id: products["EXP-1"].id,
      reason: "EXPIRED",
      source: "SCHEDULE",
      old_star: 4,
      new_star: null,
      day: DAY_AFTER,
      listings_touched: 4,
    },
  ]);
  // Per listing: up to date on the three (once the hub has settled the push), hidden on Tiki during its review.
  const claimListings = async () =>
    (
      await hub.gql(
        `query($p: ID!) { ocopClaimChanges(first: 1, filter: { productId: $p }) { nodes { reason listings { marketplace sku status errorCode } } } }`,
        { p: toGlobalId("Product", products["EXP-1"].id) },
      )
    ).data.ocopClaimChanges.nodes[0];
  await waitFor(
    async () =>
      (await claimListings()).listings.filter((l: { status: string }) => l.status === "UP_TO_DATE").length ===
      3,
    10_000,
  );
  expect(await claimListings()).toEqual({
    reason: "EXPIRED",
    listings: [
      { marketplace: "LAZADA", sku: "EXP-1", status: "UP_TO_DATE", errorCode: null },
      { marketplace: "SHOPEE", sku: "EXP-1", status: "UP_TO_DATE", errorCode: null },
      { marketplace: "TIKI", sku: "EXP-1", status: "HIDDEN", errorCode: "HIDDEN_PENDING_REVIEW" },
      { marketplace: "TIKTOK_SHOP", sku: "EXP-1", status: "UP_TO_DATE", errorCode: null },
    ],
  });
  // Tiki approves: the claims job sees it, the product is back on sale with the corrected title.
  const approvedIn = await waitFor(() => tikiShown("EXP-1") === "Chè búp Tân Cương gói 200g", 30_000);
  console.log(
    `Tiki back on sale without the claim ${approvedIn} ms after the check (review ${TIKI_REVIEW_MS} ms)`,
  );
  await waitFor(
    async () => (await claimListings()).listings.every((l: { status: string }) => l.status === "UP_TO_DATE"),
    10_000,
  );
  expect(
    (await claimListings()).listings.find((l: { marketplace: string }) => l.marketplace === "TIKI"),
  ).toEqual({
    marketplace: "TIKI",
    sku: "EXP-1",
    status: "UP_TO_DATE",
    errorCode: null,
  });
  expect(await tikiExp1()).toEqual({ code: null, review: null });
  // A further run (another worker, a retry) finds nothing to do.
  const again = await new OcopClaimsService(ds, clock).refresh({ wait: true });
  expect(again.changes).toEqual([]);
}, 90_000);

test("a revocation goes the same way and is recorded before the mutation answers", async () => {
  const r = await hub.gql(
    `mutation($i: RevokeCertificationInput!) { revokeCertification(input: $i) {
       certification { id status revokedAt revocationReason } userErrors { field code message } } }`,
    {
      i: {
        certificationId: toGlobalId("OcopCertification", products["KEEP-1"].cert),
        reason: "QĐ thu hồi 12/QĐ-UBND",
      },
    },
  );
  expect(r.data.revokeCertification.userErrors).toEqual([]);
  expect(r.data.revokeCertification.certification.status).toBe("REVOKED");
  const [change] = await hub.db.dataSource.query(
    `SELECT reason, source, old_star, new_star FROM ocop_claim_change WHERE product_id = $1 ORDER BY id DESC LIMIT 1`,
    [products["KEEP-1"].id],
  );
  expect(change).toEqual({ reason: "REVOKED", source: "WRITE", old_star: 4, new_star: null });
  await waitFor(() => PUSHED.every((code) => !/OCOP/.test(titles("KEEP-1")[code])), 30_000);
  // Tiki: hidden while in review, then back with the claim removed.
  await waitFor(() => tikiShown("KEEP-1") === null, 30_000);
  await waitFor(() => tikiShown("KEEP-1") === "Chè móc câu gói 200g", 30_000);
  // 20 characters without the claim: TikTok Shop refuses titles under 25, so it is completed with the
  // producer's name (otherwise the marketplace would refuse the edit and keep the stale claim).
  expect(titles("KEEP-1")["tiktok-shop"]).toBe("Chè móc câu gói 200g – HTX Chè Tân Cương");
  expect(titles("KEEP-1").shopee).toBe("Chè móc câu gói 200g");
  // Twice is refused, in both languages.
  const again = await hub.gql(
    `mutation($i: RevokeCertificationInput!) { revokeCertification(input: $i) { certification { id } userErrors { field code message } } }`,
    { i: { certificationId: toGlobalId("OcopCertification", products["KEEP-1"].cert), reason: "lần hai" } },
    { lang: "en" },
  );
  expect(again.data.revokeCertification.userErrors).toEqual([
    {
      field: "certificationId",
      code: "CERTIFICATION_STATE",
      message: "This OCOP certification is already revoked (REVOKED); it cannot be revoked again.",
    },
  ]);
});

test("an upgraded star (a new decision) is pushed and recorded as UPGRADED", async () => {
  const r = await hub.gql(
    `mutation($p: ID!, $d: String!) { recordCertification(input: { productId: $p, star: 4, decisionNumber: "77/QĐ-UBND",
       decisionDate: $d, issuerLevel: PROVINCE, issuerName: "UBND tỉnh Thái Nguyên" }) { userErrors { code } } }`,
    { p: toGlobalId("Product", products["UP-1"].id), d: DAY_AFTER },
  );
  expect(r.data.recordCertification.userErrors).toEqual([]);
  await waitFor(() => PUSHED.every((code) => /OCOP 4 sao$/.test(titles("UP-1")[code])), 30_000);
  // Tiki: an upgrade is no false claim, so the product stays on sale with 3 sao until Tiki approves 4.
  expect(tikiShown("UP-1")).toMatch(/OCOP 3 sao$/);
  await waitFor(() => /OCOP 4 sao$/.test(tikiShown("UP-1") ?? ""), 30_000);
  await waitFor(async () => {
    const rows = await hub.db.dataSource.query(
      `SELECT reason FROM ocop_claim_change WHERE product_id = $1 AND reason = 'UPGRADED'`,
      [products["UP-1"].id],
    );
    return rows.length === 1;
  }, 10_000);
  const q = await hub.gql(
    `query($p: ID!) { ocopClaimChanges(first: 10, filter: { productId: $p }) { totalCount nodes { reason source oldStar newStar newDecisionNumber effectiveDay } } }`,
    { p: toGlobalId("Product", products["UP-1"].id) },
  );
  expect(q.data.ocopClaimChanges.totalCount).toBe(2);
  expect(q.data.ocopClaimChanges.nodes[0]).toEqual({
    reason: "UPGRADED",
    source: "WRITE",
    oldStar: 3,
    newStar: 4,
    newDecisionNumber: "77/QĐ-UBND",
    effectiveDay: DAY_AFTER,
  });
});

test("channel claim template: custom suffix, certificate picture, validation in vi and en", async () => {
  const shopee = channels.find((c) => c.marketplace === "shopee")!;
  const bad = await hub.gql(
    `mutation($id: ID!) { updateChannelSettings(id: $id, settings: { ocopClaim: { titleSuffix: "| OCOP {sao}" } }) {
       channel { id } userErrors { field code message } } }`,
    { id: toGlobalId("Channel", shopee.id) },
  );
  expect(bad.data.updateChannelSettings.userErrors).toEqual([
    {
      field: "settings.ocopClaim.titleSuffix",
      code: "OCOP_TEMPLATE_PLACEHOLDER",
      message: 'Mẫu hậu tố OCOP có chỗ thay thế không hợp lệ "{sao}"; chỉ dùng: {star}, {stars}.',
    },
  ]);
  const imagesBefore = sandboxes.shopee.skuView(shopee.shopId, "UP-1")!.images.length;
  const img = await hub.gql(
    `mutation($i: SetCertificationImageInput!) { setCertificationImage(input: $i) { certification { imageUrl } userErrors { code } } }`,
    {
      i: {
        certificationId: toGlobalId(
          "OcopCertification",
          (
            await hub.db.dataSource.query(
              `SELECT id FROM ocop_certification WHERE product_id = $1 AND decision_number = '77/QĐ-UBND'`,
              [products["UP-1"].id],
            )
          )[0].id,
        ),
        imageUrl: "http://127.0.0.1:1/static/ocop-placeholder.png?certificate=77",
      },
    },
  );
  expect(img.data.setCertificationImage.userErrors).toEqual([]);
  const ok = await hub.gql(
    `mutation($id: ID!) { updateChannelSettings(id: $id, settings: { ocopClaim: { titleSuffix: "| {stars} OCOP",
       descriptionBlock: { validUntil: true } } }) {
       channel { settings { ocopClaim { titleSuffix setAttribute addCertificateImage descriptionBlock { enabled validUntil } } } }
       userErrors { code } } }`,
    { id: toGlobalId("Channel", shopee.id) },
  );
  expect(ok.data.updateChannelSettings.userErrors).toEqual([]);
  expect(ok.data.updateChannelSettings.channel.settings.ocopClaim).toEqual({
    titleSuffix: "| {stars} OCOP",
    setAttribute: true,
    addCertificateImage: true,
    descriptionBlock: { enabled: true, validUntil: true },
  });
  await waitFor(() => titles("UP-1").shopee === "Chè đinh gói 200g | ★★★★ OCOP", 30_000);
  const view = sandboxes.shopee.skuView(shopee.shopId, "UP-1")!;
  expect(view.images.length).toBe(imagesBefore + 1);
  const [y, m, d] = addMonths(DAY_AFTER, 36).split("-");
  expect(view.description).toContain(
    `Sản phẩm OCOP 4 sao theo Quyết định số 77/QĐ-UBND của UBND tỉnh Thái Nguyên. Hiệu lực đến ${d}/${m}/${y}.`,
  );
  // The other channels keep the default template.
  await waitFor(() => titles("UP-1").lazada === "Chè đinh gói 200g – OCOP 4 sao", 30_000);
});

test("star attribute: set from the claim where the category maps one, left out without a claim or when the template says so", async () => {
  const ds = hub.db.dataSource;
  const shopee = channels.find((c) => c.marketplace === "shopee")!;
  const [cat] = await ds.query(
    `SELECT remote_category_id FROM category_mapping WHERE marketplace = 'shopee' AND category = 'FOOD' LIMIT 1`,
  );
  await ds.query(
    `INSERT INTO attribute_mapping (marketplace, remote_category_id, remote_attribute_id, value_source, value)
     VALUES ('shopee', $1, 'ocop-star-test', 'PRODUCT_FIELD', 'ocop.star')`,
    [cat.remote_category_id],
  );
  const listingOf = async (sku: string) =>
    (
      await ds.query(
        `SELECT l.id FROM listing l JOIN variant v ON v.id = l.variant_id WHERE l.channel_id = $1 AND v.sku = $2`,
        [shopee.id, sku],
      )
    )[0].id as string;
  const attrs = async (sku: string) =>
    (await buildDrafts(ds, [await listingOf(sku)], clock.now()))[0].draft.attributes["ocop-star-test"];
  expect(await attrs("UP-1")).toBe("4");
  expect(await attrs("EXP-1")).toBeUndefined(); // expired: no claim, no attribute
  await ds.query(
    `UPDATE channel SET settings = jsonb_set(settings, '{ocopClaim,setAttribute}', 'false') WHERE id = $1`,
    [shopee.id],
  );
  expect(await attrs("UP-1")).toBeUndefined();
  await ds.query(`DELETE FROM attribute_mapping WHERE remote_attribute_id = 'ocop-star-test'`);
});

/** The Tiki origin mapping before the rejection test changed it (restored by the next test). */
let originMapping: { id: string; value_source: string; value: string } | undefined;
let tikiCategory = "";

test("Tiki rejects the corrected content: an explained failure (vi/en + hint), the product stays hidden", async () => {
  const ds = hub.db.dataSource;
  const tiki = channels.find((c) => c.marketplace === "tiki")!;
  expect(tikiShown("UP-1")).toMatch(/OCOP 4 sao$/);
  // An origin Tiki does not accept: its review rejects the next content update.
  const [cat] = await ds.query(
    `SELECT remote_category_id FROM category_mapping WHERE marketplace = 'tiki' AND category = 'FOOD' LIMIT 1`,
  );
  originMapping = (
    await ds.query(
      `SELECT id, value_source, value FROM attribute_mapping
        WHERE marketplace = 'tiki' AND remote_category_id = $1 AND remote_attribute_id = 'origin'`,
      [cat.remote_category_id],
    )
  )[0];
  tikiCategory = cat.remote_category_id;
  const updated = await ds.query(
    `UPDATE attribute_mapping SET value_source = 'FIXED', value = 'Sao Hỏa'
      WHERE marketplace = 'tiki' AND remote_category_id = $1 AND remote_attribute_id = 'origin' RETURNING id`,
    [cat.remote_category_id],
  );
  if (updated.length === 0)
    await ds.query(
      `INSERT INTO attribute_mapping (marketplace, remote_category_id, remote_attribute_id, value_source, value)
       VALUES ('tiki', $1, 'origin', 'FIXED', 'Sao Hỏa')`,
      [cat.remote_category_id],
    );
  const [cert] = await ds.query(
    `SELECT id FROM ocop_certification WHERE product_id = $1 AND revoked_at IS NULL ORDER BY decision_date DESC LIMIT 1`,
    [products["UP-1"].id],
  );
  const r = await hub.gql(
    `mutation($i: RevokeCertificationInput!) { revokeCertification(input: $i) { userErrors { code } } }`,
    { i: { certificationId: toGlobalId("OcopCertification", cert.id), reason: "QĐ thu hồi 13/QĐ-UBND" } },
  );
  expect(r.data.revokeCertification.userErrors).toEqual([]);
  await waitFor(() => tikiShown("UP-1") === null, 30_000);
  const lastError = async () =>
    (
      await ds.query(
        `SELECT l.last_error AS e FROM listing l JOIN variant v ON v.id = l.variant_id
          WHERE l.channel_id = $1 AND v.sku = 'UP-1'`,
        [tiki.id],
      )
    )[0].e;
  await waitFor(async () => (await lastError())?.code === "CONTENT_REVIEW_REJECTED", 30_000);
  const e = await lastError();
  expect(e).toMatchObject({ remoteCode: "REQUEST_REJECTED" });
  // last_error is only the error: that the product stays hidden is the review's state.
  expect(e).not.toHaveProperty("hidden");
  expect(e).not.toHaveProperty("trackId");
  const [{ review }] = await ds.query(
    `SELECT l.content_review AS review FROM listing l JOIN variant v ON v.id = l.variant_id
      WHERE l.channel_id = $1 AND v.sku = 'UP-1'`,
    [tiki.id],
  );
  expect(review).toMatchObject({ state: "REJECTED", hidden: true });
  expect(e.remoteMessage).toMatch(/origin.*Sao Hỏa/);
  expect(e.messageVi).toMatch(/Tiki từ chối yêu cầu sản phẩm/);
  expect(e.messageEn).toMatch(/Tiki rejected the product request/);
  expect(e.hintVi).toMatch(/Sửa nội dung/);
  expect(e.hintEn).toMatch(/Fix the content/);
  // Nothing false is shown meanwhile: Tiki still holds the 4-star title, but the product is hidden.
  expect(titles("UP-1").tiki).toMatch(/OCOP 4 sao$/);
  expect(tikiShown("UP-1")).toBeNull();
  const q = await hub.gql(
    `query($p: ID!) { ocopClaimChanges(first: 1, filter: { productId: $p }) { nodes { reason listings { marketplace status errorCode } } } }`,
    { p: toGlobalId("Product", products["UP-1"].id) },
  );
  const node = q.data.ocopClaimChanges.nodes[0];
  expect(node.reason).toBe("REVOKED");
  expect(node.listings.find((l: { marketplace: string }) => l.marketplace === "TIKI")).toEqual({
    marketplace: "TIKI",
    status: "FAILED",
    errorCode: "CONTENT_REVIEW_REJECTED",
  });
}, 90_000);

test("re-recognised while hidden after a rejection: Tiki shows the product again only once the new content is approved", async () => {
  const ds = hub.db.dataSource;
  // The origin fixed (as the rejection's hint says), then a new decision for the product.
  if (originMapping)
    await ds.query(`UPDATE attribute_mapping SET value_source = $2, value = $3 WHERE id = $1`, [
      originMapping.id,
      originMapping.value_source,
      originMapping.value,
    ]);
  else
    await ds.query(
      `DELETE FROM attribute_mapping WHERE marketplace = 'tiki' AND remote_category_id = $1 AND remote_attribute_id = 'origin'`,
      [tikiCategory],
    );
  const r = await hub.gql(
    `mutation($p: ID!, $d: String!) { recordCertification(input: { productId: $p, star: 4, decisionNumber: "88/QĐ-UBND",
       decisionDate: $d, issuerLevel: PROVINCE, issuerName: "UBND tỉnh Thái Nguyên" }) { userErrors { code } } }`,
    { p: toGlobalId("Product", products["UP-1"].id), d: DAY_AFTER },
  );
  expect(r.data.recordCertification.userErrors).toEqual([]);
  // The new content claims 4 sao like the hidden one: no withdrawal, but the product was hidden for
  // the earlier (rejected) request, so it stays hidden while Tiki reviews this one.
  await waitFor(async () => {
    const [l] = await ds.query(
      `SELECT l.last_error->>'code' AS code, l.content_review AS review FROM listing l JOIN variant v ON v.id = l.variant_id
         JOIN channel c ON c.id = l.channel_id WHERE c.marketplace = 'tiki' AND v.sku = 'UP-1'`,
    );
    return l.code === "HIDDEN_PENDING_REVIEW" && l.review?.state === "IN_REVIEW" && l.review?.hidden === true;
  }, 30_000);
  expect(tikiShown("UP-1")).toBeNull();
  await waitFor(() => /OCOP 4 sao$/.test(tikiShown("UP-1") ?? ""), 30_000);
  const q = await hub.gql(
    `query($p: ID!) { ocopClaimChanges(first: 1, filter: { productId: $p }) { nodes { reason listings { marketplace status } } } }`,
    { p: toGlobalId("Product", products["UP-1"].id) },
  );
  expect(q.data.ocopClaimChanges.nodes[0].reason).toBe("RECOGNISED");
  await waitFor(async () => {
    const again = await hub.gql(
      `query($p: ID!) { ocopClaimChanges(first: 1, filter: { productId: $p }) { nodes { listings { marketplace status } } } }`,
      { p: toGlobalId("Product", products["UP-1"].id) },
    );
    return again.data.ocopClaimChanges.nodes[0].listings.every(
      (l: { status: string }) => l.status === "UP_TO_DATE",
    );
  }, 10_000);
}, 90_000);
