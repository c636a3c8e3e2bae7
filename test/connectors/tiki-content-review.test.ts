/**
 * Tiki content edits of live products, against the Tiki sandbox over real HTTP: the reviewed
 * update request (requests/updateProductInfo) and its tracking, the active flag (updateSku), and
 * the rule that an edit withdrawing or lowering an OCOP claim hides the product at once and shows
 * it again only when Tiki approves. Price and stock pushes never re-activate a hidden product.
 */
import crypto from "node:crypto";
import { SecretBox } from "../../src/common/crypto";
import type { ChannelContext, ListingDraft } from "../../src/channels/connectors/connector";
import { resetRateBudgets } from "../../src/channels/connectors/http/rate-budget";
import { TikiConnector } from "../../src/channels/connectors/tiki";
import { claimedStar, withdrawsClaim } from "../../src/channels/connectors/tiki/tiki.mapper";
import { PgCredentialStore, saveCredentials } from "../../src/channels/credential-store";
import { TikiSandbox } from "../../src/sandbox/tiki";
import type { SandboxShop } from "../../src/sandbox/sandbox";
import { insertChannel } from "../support/channel-fixture";
import { createTestDatabase, TestDatabase } from "../support/test-db";

const box = new SecretBox([crypto.randomBytes(32)]);
const connector = new TikiConnector({ timeoutMs: 2000 });
const sandbox = new TikiSandbox();
let db: TestDatabase;
let shop: SandboxShop;
let ctx: ChannelContext;
const REVIEW_MS = 600;

beforeAll(async () => {
  [db] = await Promise.all([createTestDatabase({ poolSize: 4 }), sandbox.start(0)]);
  resetRateBudgets();
  shop = sandbox.createShop();
  const channelId = await insertChannel(db.dataSource, {
    marketplace: "tiki",
    baseUrl: sandbox.baseUrl,
    shopId: shop.shopId,
  });
  await saveCredentials(db.dataSource, box, channelId, {
    appKey: shop.appKey,
    appSecret: shop.appSecret,
    accessToken: shop.accessToken,
    refreshToken: shop.refreshToken,
    accessExpiresAt: shop.accessExpiresAt,
    refreshExpiresAt: null,
    extra: { warehouseId: sandbox.warehouseOf(shop.shopId) },
  });
  ctx = {
    channelId,
    baseUrl: sandbox.baseUrl,
    shopId: shop.shopId,
    credentials: new PgCredentialStore(db.dataSource, box, channelId),
  };
  sandbox.setFaults({ contentReviewMs: REVIEW_MS });
});
afterAll(async () => {
  await Promise.all([sandbox.close(), db?.drop()]);
});

const tag = () => crypto.randomBytes(3).toString("hex").toUpperCase();
const calls = (path: string) => sandbox.counters().calls[path] ?? 0;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A live single-variant product created through the connector, with its claim in the title. */
async function liveProduct(star: number | null): Promise<ListingDraft> {
  const t = tag();
  const draft: ListingDraft = {
    key: `CHE-${t}`,
    title: `Chè búp Tân Cương gói 200g${star ? ` – OCOP ${star} sao` : ""}`,
    description: star
      ? `Chè hái tay. Sản phẩm OCOP ${star} sao theo Quyết định số 12/QĐ-UBND.`
      : "Chè hái tay.",
    categoryId: "8274",
    attributes: { brand: "HTX Tân Cương", origin: "Việt Nam", expiry_time: "12 tháng" },
    images: ["https://example.com/che-1.jpg"],
    weightGrams: 200,
    variants: [{ sku: `CHE-${t}`, optionName: "gói 200g", priceVnd: 120_000, stock: 30 }],
    ocopStar: star,
  };
  const [r] = await connector.upsertListings(ctx, [draft]);
  expect(r.outcome).toBe("applied");
  const v = sandbox.skuView(shop.shopId, draft.variants[0].sku)!;
  return {
    ...draft,
    externalItemId: r.externalItemId!,
    variants: [{ ...draft.variants[0], externalSkuId: v.externalSkuId }],
  };
}

test("claims are read from titles and descriptions as the templates write them", () => {
  expect(claimedStar("Chè búp – OCOP 4 sao")).toBe(4);
  expect(claimedStar("Chè búp | ★★★ OCOP")).toBe(3);
  expect(claimedStar("Chè búp 5 sao OCOP")).toBe(5);
  expect(claimedStar("Chè búp gói 200g")).toBeNull();
  expect(withdrawsClaim({ name: "Chè – OCOP 4 sao" }, null)).toBe(true);
  expect(withdrawsClaim({ name: "Chè – OCOP 4 sao" }, 3)).toBe(true);
  expect(withdrawsClaim({ name: "Chè – OCOP 3 sao" }, 4)).toBe(false);
  expect(withdrawsClaim({ name: "Chè", description: "Sản phẩm OCOP 4 sao theo…" }, null)).toBe(true);
  expect(withdrawsClaim({ name: "Chè" }, null)).toBe(false);
});

test("an edit that removes the claim hides the product at once and shows the new content when approved", async () => {
  const live = await liveProduct(4);
  const sku = live.variants[0].sku;
  const before = calls("/integration/v2/requests/updateProductInfo");
  const edited: ListingDraft = {
    ...live,
    title: "Chè búp Tân Cương gói 200g",
    description: "Chè hái tay.",
    ocopStar: null,
  };
  const [r] = await connector.upsertListings(ctx, [edited]);
  expect(r).toMatchObject({
    outcome: "skipped",
    remoteCode: "HIDDEN_PENDING_REVIEW",
    review: { hidden: true },
  });
  expect(r.review!.trackId).toMatch(/^[0-9a-f]{32}$/);
  expect(calls("/integration/v2/requests/updateProductInfo")).toBe(before + 1);
  // Buyers see nothing: hidden, while the old (claiming) content is still what Tiki holds.
  const during = sandbox.skuView(shop.shopId, sku)!;
  expect(during).toMatchObject({ active: false, title: "Chè búp Tân Cương gói 200g – OCOP 4 sao" });

  // Stock and price pushes while in review do not put it back on sale.
  const ref = { sku, externalItemId: live.externalItemId!, externalSkuId: live.variants[0].externalSkuId };
  expect((await connector.pushStock(ctx, [{ ...ref, stock: 7 }]))[0].outcome).toBe("applied");
  expect((await connector.pushPrices(ctx, [{ ...ref, priceVnd: 118_000 }]))[0].outcome).toBe("applied");
  expect(sandbox.skuView(shop.shopId, sku)).toMatchObject({ active: false, stock: 7, priceVnd: 118_000 });

  const review = { trackId: r.review!.trackId, hidden: true, refs: [ref] };
  expect(await connector.followContentReviews(ctx, [review])).toEqual([
    { trackId: review.trackId, state: "in_review", reason: null, reactivated: false },
  ]);
  expect(sandbox.skuView(shop.shopId, sku)!.active).toBe(false);
  await sleep(REVIEW_MS + 100);
  expect(await connector.followContentReviews(ctx, [review])).toEqual([
    { trackId: review.trackId, state: "approved", reason: null, reactivated: true },
  ]);
  expect(sandbox.skuView(shop.shopId, sku)).toMatchObject({
    active: true,
    title: "Chè búp Tân Cương gói 200g",
    description: "Chè hái tay.",
    stock: 7,
  });
});

test("a downgrade hides too; an upgrade or a plain edit goes to review without hiding", async () => {
  const live = await liveProduct(4);
  const sku = live.variants[0].sku;
  const [down] = await connector.upsertListings(ctx, [
    { ...live, title: "Chè búp Tân Cương gói 200g – OCOP 3 sao", ocopStar: 3 },
  ]);
  expect(down).toMatchObject({ remoteCode: "HIDDEN_PENDING_REVIEW", review: { hidden: true } });
  expect(sandbox.skuView(shop.shopId, sku)!.active).toBe(false);

  const other = await liveProduct(3);
  const [up] = await connector.upsertListings(ctx, [
    { ...other, title: "Chè búp Tân Cương gói 200g – OCOP 4 sao", ocopStar: 4 },
  ]);
  expect(up).toMatchObject({
    outcome: "skipped",
    remoteCode: "CONTENT_IN_REVIEW",
    review: { hidden: false },
  });
  expect(sandbox.skuView(shop.shopId, other.variants[0].sku)!.active).toBe(true);
  await sleep(REVIEW_MS + 100);
  const [s] = await connector.followContentReviews(ctx, [
    {
      trackId: up.review!.trackId,
      hidden: false,
      refs: [{ sku: other.variants[0].sku, externalItemId: other.externalItemId! }],
    },
  ]);
  expect(s).toMatchObject({ state: "approved", reactivated: false });
  expect(sandbox.skuView(shop.shopId, other.variants[0].sku)!.title).toMatch(/OCOP 4 sao$/);
});

test("a rejected request is reported with Tiki's reason and the hidden product stays hidden", async () => {
  const live = await liveProduct(4);
  const sku = live.variants[0].sku;
  const [r] = await connector.upsertListings(ctx, [
    {
      ...live,
      title: "Chè búp Tân Cương gói 200g",
      attributes: { ...live.attributes, origin: "Sao Hỏa" },
      ocopStar: null,
    },
  ]);
  expect(r).toMatchObject({ remoteCode: "HIDDEN_PENDING_REVIEW", review: { hidden: true } });
  await sleep(REVIEW_MS + 100);
  const ref = { sku, externalItemId: live.externalItemId!, externalSkuId: live.variants[0].externalSkuId };
  const [s] = await connector.followContentReviews(ctx, [
    { trackId: r.review!.trackId, hidden: true, refs: [ref] },
  ]);
  expect(s).toMatchObject({ state: "rejected", reactivated: false });
  expect(s.reason).toMatch(/origin.*Sao Hỏa/);
  expect(sandbox.skuView(shop.shopId, sku)).toMatchObject({
    active: false,
    title: "Chè búp Tân Cương gói 200g – OCOP 4 sao",
  });
  // Tiki forgets track ids after 30 days: counted as rejected, not retried forever.
  const [gone] = await connector.followContentReviews(ctx, [
    { trackId: "0".repeat(32), hidden: false, refs: [ref] },
  ]);
  expect(gone).toMatchObject({ state: "rejected", reason: "tracking id not found" });
});

test("a product hidden by an earlier request stays hidden until the next request is approved", async () => {
  const live = await liveProduct(4);
  const sku = live.variants[0].sku;
  await connector.upsertListings(ctx, [{ ...live, title: "Chè búp Tân Cương gói 200g", ocopStar: null }]);
  expect(sandbox.skuView(shop.shopId, sku)!.active).toBe(false);
  // Re-recognised before Tiki approved: the new content claims 4 again, not a withdrawal, but the
  // product was hidden for the earlier request (the hub passes hiddenForReview).
  const [again] = await connector.upsertListings(ctx, [{ ...live, ocopStar: 4, hiddenForReview: true }]);
  expect(again).toMatchObject({ remoteCode: "HIDDEN_PENDING_REVIEW", review: { hidden: true } });
  await sleep(REVIEW_MS + 100);
  const ref = { sku, externalItemId: live.externalItemId!, externalSkuId: live.variants[0].externalSkuId };
  const [s] = await connector.followContentReviews(ctx, [
    { trackId: again.review!.trackId, hidden: true, refs: [ref] },
  ]);
  expect(s).toMatchObject({ state: "approved", reactivated: true });
  expect(sandbox.skuView(shop.shopId, sku)).toMatchObject({
    active: true,
    title: "Chè búp Tân Cương gói 200g – OCOP 4 sao",
  });
});

test("updateSku answers Tiki's shape and refuses a bad active flag", async () => {
  const live = await liveProduct(null);
  const creds = await ctx.credentials.load();
  const put = (body: unknown) =>
    fetch(`${sandbox.baseUrl}/integration/v2.1/products/updateSku`, {
      method: "PUT",
      headers: { authorization: `Bearer ${creds.accessToken}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
  const id = Number(live.variants[0].externalSkuId);
  const ok = await put({ product_id: id, active: 0 });
  expect(ok.status).toBe(200);
  expect(await ok.json()).toMatchObject({ state: "approved", errors: [] });
  expect(sandbox.skuView(shop.shopId, live.variants[0].sku)!.active).toBe(false);
  const bad = await put({ product_id: id, active: 2 });
  expect(bad.status).toBe(422);
  const missing = await put({ product_id: 1, active: 1 });
  expect(missing.status).toBe(404);
});

test("a product with several variants (one Tiki product each) is hidden and shown as a whole", async () => {
  const t = tag();
  const draft: ListingDraft = {
    key: `MO-${t}`,
    title: "Mật ong bạc hà Hà Giang – OCOP 5 sao",
    description: "Mật ong hoa bạc hà.",
    categoryId: "8274",
    attributes: { brand: "HTX Mèo Vạc", origin: "Việt Nam", expiry_time: "24 tháng" },
    images: ["https://example.com/mat-ong.jpg"],
    weightGrams: 500,
    variants: [
      { sku: `MO-${t}-250`, optionName: "chai 250ml", priceVnd: 150_000, stock: 10 },
      { sku: `MO-${t}-500`, optionName: "chai 500ml", priceVnd: 280_000, stock: 6 },
    ],
    ocopStar: 5,
  };
  const [created] = await connector.upsertListings(ctx, [draft]);
  expect(created.outcome).toBe("applied");
  const views = () => draft.variants.map((v) => sandbox.skuView(shop.shopId, v.sku)!);
  const live: ListingDraft = {
    ...draft,
    externalItemId: created.externalItemId!,
    variants: draft.variants.map((v, i) => ({ ...v, externalSkuId: views()[i].externalSkuId })),
  };
  const [r] = await connector.upsertListings(ctx, [
    { ...live, title: "Mật ong bạc hà Hà Giang", ocopStar: null },
  ]);
  expect(r).toMatchObject({ remoteCode: "HIDDEN_PENDING_REVIEW", review: { hidden: true } });
  expect(views().map((v) => v.active)).toEqual([false, false]);
  await sleep(REVIEW_MS + 100);
  const [s] = await connector.followContentReviews(ctx, [
    {
      trackId: r.review!.trackId,
      hidden: true,
      refs: live.variants.map((v) => ({
        sku: v.sku,
        externalItemId: live.externalItemId!,
        externalSkuId: v.externalSkuId,
      })),
    },
  ]);
  expect(s).toMatchObject({ state: "approved", reactivated: true });
  expect(views().map((v) => [v.active, v.title])).toEqual([
    [true, "Mật ong bạc hà Hà Giang"],
    [true, "Mật ong bạc hà Hà Giang"],
  ]);
});
