/**
 * The Tiki connector against the Tiki sandbox over real HTTP, with credentials in the PostgreSQL
 * credential store: OAuth, listings, batched price/stock pushes, orders by window and page, order
 * detail, signed pushes, read-back and Vietnamese text.
 */
import crypto from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { SecretBox } from "../../src/common/crypto";
import type {
  ChannelContext,
  ListingDraft,
  OrderSummary,
  WebhookRequest,
} from "../../src/channels/connectors/connector";
import { paginate } from "../../src/channels/connectors/http/paginate";
import { resetRateBudgets } from "../../src/channels/connectors/http/rate-budget";
import { TIKI_LIMITS, TikiConnector } from "../../src/channels/connectors/tiki";
import { PgCredentialStore, saveCredentials } from "../../src/channels/credential-store";
import { TikiSandbox } from "../../src/sandbox/tiki";
import type { SandboxShop } from "../../src/sandbox/sandbox";
import { insertChannel } from "../support/channel-fixture";
import { createTestDatabase, TestDatabase } from "../support/test-db";

const box = new SecretBox([crypto.randomBytes(32)]);
const connector = new TikiConnector({ timeoutMs: 2000 });
const sandbox = new TikiSandbox();
let db: TestDatabase;

const UPDATE_SKUS = "/integration/v2.1/products/updateSkus";
const ORDER_LIST = "/integration/v2/orders";
const DAY = 86_400_000;

beforeAll(async () => {
  [db] = await Promise.all([createTestDatabase({ poolSize: 4 }), sandbox.start(0)]);
});
afterAll(async () => {
  await Promise.all([sandbox.close(), db?.drop()]);
});
beforeEach(() => {
  resetRateBudgets();
  sandbox.setFaults({ burst429: 0, errorRate: 0, timeoutRate: 0, rateLimitPerSecond: 0, silentNoopRate: 0 });
});

interface Connected {
  shop: SandboxShop;
  channelId: string;
  ctx: ChannelContext;
}

/** The real flow: consent URL → sandbox redirect with ?code → exchange → stored in PostgreSQL. */
async function connect(): Promise<Connected> {
  const shop = sandbox.createShop();
  const app = { appKey: shop.appKey, appSecret: shop.appSecret };
  const redirectUri = "http://127.0.0.1:9/tiki/callback";
  const url = connector.authorizationUrl({
    app,
    baseUrl: sandbox.baseUrl,
    redirectUri,
    state: "st-12345678",
  });
  const consent = await fetch(url, { redirect: "manual" });
  expect(consent.status).toBe(302);
  const callback = new URL(consent.headers.get("location")!);
  expect(callback.searchParams.get("state")).toBe("st-12345678");
  const tokens = await connector.exchangeCode({
    app,
    baseUrl: sandbox.baseUrl,
    callbackParams: Object.fromEntries(callback.searchParams),
    redirectUri,
  });
  const channelId = await insertChannel(db.dataSource, {
    marketplace: "tiki",
    baseUrl: sandbox.baseUrl,
    shopId: tokens.shopId,
  });
  await saveCredentials(db.dataSource, box, channelId, { ...app, ...tokens });
  const credentials = new PgCredentialStore(db.dataSource, box, channelId);
  return {
    shop,
    channelId,
    ctx: { channelId, baseUrl: sandbox.baseUrl, shopId: tokens.shopId ?? null, credentials },
  };
}

const calls = (path: string) => sandbox.counters().calls[path] ?? 0;
const tag = () => crypto.randomBytes(3).toString("hex").toUpperCase();

describe("tiki connector against the tiki sandbox", () => {
  let main: Connected;
  beforeAll(async () => {
    main = await connect();
  });

  it("exchanges the auth code for tokens, the seller id and its warehouse", async () => {
    const creds = await main.ctx.credentials.load();
    expect(main.ctx.shopId).toBe(main.shop.shopId);
    expect(creds.accessToken).toMatch(/\S{20,}/);
    expect(creds.refreshToken).toMatch(/\S{20,}/);
    expect(creds.accessExpiresAt).toBeGreaterThan(Date.now() + 3500_000);
    expect(creds.extra?.warehouseId).toBe(sandbox.warehouseOf(main.shop.shopId));
    // The code is single-use.
    const code = sandbox.issueAuthCode(main.shop.shopId);
    const app = { appKey: main.shop.appKey, appSecret: main.shop.appSecret };
    await connector.exchangeCode({ app, baseUrl: sandbox.baseUrl, callbackParams: { code } });
    await expect(
      connector.exchangeCode({ app, baseUrl: sandbox.baseUrl, callbackParams: { code } }),
    ).rejects.toMatchObject({
      kind: "needs_reauth",
      code: "invalid_grant",
    });
  });

  it("refreshes through the store, and the rotated refresh token cannot be used twice", async () => {
    const c = await connect();
    const before = await c.ctx.credentials.load();
    await connector.refreshToken(c.ctx);
    const after = await c.ctx.credentials.load();
    expect(after.accessToken).not.toBe(before.accessToken);
    expect(after.refreshToken).not.toBe(before.refreshToken);
    // The new token works.
    await expect(connector.listListings(c.ctx, null)).resolves.toMatchObject({ items: [] });
    // Replaying the old refresh token is refused the way Tiki's OAuth2 server does it.
    const replay = await fetch(`${sandbox.baseUrl}/sc/oauth2/token`, {
      method: "POST",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        authorization: `Basic ${Buffer.from(`${before.appKey}:${before.appSecret}`).toString("base64")}`,
      },
      body: new URLSearchParams({
        grant_type: "refresh_token",
        refresh_token: before.refreshToken!,
        client_id: before.appKey,
      }),
    });
    expect(replay.status).toBe(400);
    expect(await replay.json()).toMatchObject({ error: "invalid_grant" });
  });

  it("reads the category tree and the required attributes of a primary category", async () => {
    const cats = await connector.getCategories(main.ctx);
    const coffee = cats.find((c) => c.name === "Cà phê");
    expect(coffee).toMatchObject({ isLeaf: true, parentId: "4422" });
    expect(cats.find((c) => c.id === "4384")).toMatchObject({ parentId: null, isLeaf: false });
    const attrs = await connector.getCategoryAttributes(main.ctx, coffee!.id);
    expect(attrs.filter((a) => a.required).map((a) => a.id)).toEqual(["brand", "origin", "expiry_time"]);
    expect(attrs.find((a) => a.id === "origin")).toMatchObject({
      inputType: "select",
      options: expect.arrayContaining([{ id: "Việt Nam", name: "Việt Nam" }]),
    });
  });

  it("creates a listing with 2 variants and keeps Vietnamese text as sent (NFC)", async () => {
    const t = tag();
    const title = "Nước mắm cá cơm Phú Quốc – 40 độ đạm, OCOP 4 sao".normalize("NFC");
    const description =
      "Ủ chượp 12 tháng trong thùng gỗ bời lời. Sản xuất tại Dương Đông, Kiên Giang.".normalize("NFC");
    const draft: ListingDraft = {
      key: `NM-${t}`,
      title: title.normalize("NFD"), // the connector sends NFC whatever it is given
      description,
      categoryId: "8280",
      attributes: { brand: "Hưng Thịnh", origin: "Việt Nam", expiry_time: "24 tháng" },
      images: ["https://example.com/nuoc-mam-1.jpg", "https://example.com/nuoc-mam-2.jpg"],
      weightGrams: 600,
      variants: [
        { sku: `NM-${t}-500`, optionName: "chai 500ml", priceVnd: 95_000, stock: 30 },
        { sku: `NM-${t}-1L`, optionName: "chai 1 lít", priceVnd: 175_000, stock: 12 },
      ],
    };
    const bad: ListingDraft = {
      ...draft,
      key: `NM-${t}-BAD`,
      attributes: { brand: "Hưng Thịnh" },
      variants: [{ ...draft.variants[0], sku: `NM-${t}-X` }],
    };
    const results = await connector.upsertListings(main.ctx, [draft, bad]);
    expect(results.map((r) => [r.key, r.outcome])).toEqual([
      [draft.key, "applied"],
      [bad.key, "failed_fatal"],
    ]);
    expect(results[1].remoteMessage).toMatch(/origin/);
    const a = sandbox.skuView(main.shop.shopId, `NM-${t}-500`)!;
    const b = sandbox.skuView(main.shop.shopId, `NM-${t}-1L`)!;
    expect(a.externalItemId).toBe(results[0].externalItemId);
    expect(b.externalItemId).toBe(a.externalItemId);
    expect(a.externalSkuId).not.toBe(b.externalSkuId);
    expect([a.priceVnd, a.stock, b.priceVnd, b.stock]).toEqual([95_000, 30, 175_000, 12]);
    expect(a.title).toBe(title);
    expect(a.description).toBe(description);
    expect(a.attributes.brand).toBe("Hưng Thịnh");
    expect(a.images).toEqual(draft.images);

    // Linking by SKU: the product list shows both variants under one listing, text unchanged.
    const listings = [];
    for await (const l of paginate((cur) => connector.listListings(main.ctx, cur))) listings.push(l);
    const mine = listings.find((l) => l.externalItemId === a.externalItemId)!;
    expect(mine.title).toBe(title);
    expect(mine.variants.map((v) => v.sku).sort()).toEqual([`NM-${t}-1L`, `NM-${t}-500`]);

    // Updating the existing listing pushes its variants' price and stock.
    const [updated] = await connector.upsertListings(main.ctx, [
      {
        ...draft,
        externalItemId: a.externalItemId,
        variants: [
          { ...draft.variants[0], externalSkuId: a.externalSkuId, priceVnd: 99_000, stock: 25 },
          draft.variants[1],
        ],
      },
    ]);
    // Price and stock apply at once; the content goes to Tiki's review, so the result says "skipped"
    // (tiki-content-review.test.ts follows such requests to the end).
    expect(updated).toMatchObject({ outcome: "skipped", remoteCode: "CONTENT_IN_REVIEW" });
    expect(sandbox.skuView(main.shop.shopId, `NM-${t}-500`)).toMatchObject({ priceVnd: 99_000, stock: 25 });
  });

  it("pushes price and stock in the fewest batches, one bad item failing alone", async () => {
    const t = tag();
    const n = 2 * TIKI_LIMITS.pricePerCall + 1; // 101 → 3 calls, not more
    const skus = Array.from({ length: n }, (_, i) => `MO-${t}-${i}`);
    const { externalItemId } = sandbox.seedListing(main.shop.shopId, {
      title: "Mật ong bạc hà Hà Giang",
      categoryId: "8290",
      variants: skus.map((sku) => ({ sku, priceVnd: 200_000, stock: 5 })),
    });
    const ref = (sku: string, withId: boolean) => ({
      sku,
      externalItemId,
      externalSkuId: withId ? sandbox.skuView(main.shop.shopId, sku)!.externalSkuId : null,
    });
    const prices = skus.map((sku, i) => ({ ...ref(sku, i % 2 === 0), priceVnd: 210_000 + i * 1000 }));
    prices[60] = { ...prices[60], priceVnd: 5_000_000_000 }; // absurd
    sandbox.resetCounters();
    const pr = await connector.pushPrices(main.ctx, prices);
    expect(calls(UPDATE_SKUS)).toBe(3);
    expect(pr).toHaveLength(n);
    expect(pr.map((r) => r.key)).toEqual(skus);
    expect(pr.filter((r) => r.outcome !== "applied").map((r) => [r.key, r.outcome, r.remoteCode])).toEqual([
      [skus[60], "failed_fatal", "INVALID_PRICE"],
    ]);
    expect(sandbox.skuView(main.shop.shopId, skus[100])!.priceVnd).toBe(310_000);
    expect(sandbox.skuView(main.shop.shopId, skus[60])!.priceVnd).toBe(200_000);

    const stock = skus.map((sku, i) => ({ ...ref(sku, i % 3 === 0), stock: i }));
    stock[7] = { sku: `MO-${t}-UNKNOWN`, externalItemId, externalSkuId: null, stock: 3 };
    stock[8] = { ...stock[8], stock: -4 };
    sandbox.resetCounters();
    const st = await connector.pushStock(main.ctx, stock);
    expect(calls(UPDATE_SKUS)).toBe(3);
    expect(st.map((r) => r.key)).toEqual(stock.map((s) => s.sku));
    expect(st.filter((r) => r.outcome !== "applied").map((r) => [r.key, r.remoteCode])).toEqual([
      [`MO-${t}-UNKNOWN`, "PRODUCT_NOT_FOUND"],
      [skus[8], "INVALID_QUANTITY"],
    ]);
    expect(sandbox.skuView(main.shop.shopId, skus[100])!.stock).toBe(100);
    expect(sandbox.skuView(main.shop.shopId, skus[8])!.stock).toBe(5);

    // Exactly one full batch is one call.
    sandbox.resetCounters();
    await connector.pushPrices(main.ctx, prices.slice(0, TIKI_LIMITS.pricePerCall));
    expect(calls(UPDATE_SKUS)).toBe(1);

    // Read-back by Tiki product id and by seller SKU; an unknown SKU is reported as gone.
    const states = await connector.readBack(main.ctx, [
      ref(skus[100], true),
      ref(skus[99], false),
      ref(`MO-${t}-NONE`, false),
    ]);
    expect(states.map((s) => [s.sku, s.found, s.priceVnd, s.stock])).toEqual([
      [skus[100], true, 310_000, 100],
      [skus[99], true, 309_000, 99],
      [`MO-${t}-NONE`, false, null, null],
    ]);

    // A write Tiki answers OK without applying shows up as drift on read-back.
    sandbox.setFaults({ silentNoopRate: 1 });
    const [ok] = await connector.pushPrices(main.ctx, [{ ...ref(skus[1], true), priceVnd: 123_000 }]);
    expect(ok.outcome).toBe("applied");
    const [drift] = await connector.readBack(main.ctx, [ref(skus[1], true)]);
    expect(drift.priceVnd).toBe(211_000);
  });

  it("waits out a 429 burst and then applies the write", async () => {
    const t = tag();
    sandbox.seedListing(main.shop.shopId, {
      title: "Trà Shan tuyết",
      variants: [{ sku: `TR-${t}`, priceVnd: 90_000, stock: 3 }],
    });
    sandbox.resetCounters();
    sandbox.setFaults({ burst429: 1 });
    const [r] = await connector.pushPrices(main.ctx, [
      { sku: `TR-${t}`, externalItemId: "0", priceVnd: 91_000 },
    ]);
    expect(r.outcome).toBe("applied");
    expect(sandbox.counters().rateLimited).toBe(1);
    expect(calls(UPDATE_SKUS)).toBe(2);
    expect(sandbox.skuView(main.shop.shopId, `TR-${t}`)!.priceVnd).toBe(91_000);
  });

  it("pulls orders across several pages and more than one 30-day window, then their detail", async () => {
    const c = await connect(); // a shop of its own: the order counts below are exact
    const t = tag();
    sandbox.seedListing(c.shop.shopId, {
      title: "Cà phê Robusta Đắk Nông",
      variants: [
        { sku: `CF-${t}-A`, priceVnd: 150_000, stock: 1000 },
        { sku: `CF-${t}-B`, priceVnd: 260_000, stock: 1000 },
      ],
    });
    const now = Date.now();
    const from = now - 45 * DAY;
    const early: string[] = [];
    const late: string[] = [];
    for (let i = 0; i < 60; i++) {
      early.push(
        sandbox.createOrder(c.shop.shopId, [{ sku: `CF-${t}-A`, quantity: 1 }], {
          at: from + DAY + i * 60_000,
        }).externalOrderId,
      );
    }
    for (let i = 0; i < 5; i++) {
      late.push(
        sandbox.createOrder(c.shop.shopId, [{ sku: `CF-${t}-B`, quantity: 2 }], {
          at: now - DAY + i * 60_000,
        }).externalOrderId,
      );
    }
    expect(sandbox.skuView(c.shop.shopId, `CF-${t}-A`)!.stock).toBe(940); // orders take stock like Tiki does

    sandbox.resetCounters();
    const window = { from, to: now + 60_000 };
    const got: OrderSummary[] = [];
    for await (const o of paginate((cur) => connector.listOrders(c.ctx, window, cur))) got.push(o);
    expect(got.map((o) => o.externalOrderId).sort()).toEqual([...early, ...late].sort());
    expect(got.every((o) => o.status === "PENDING" && o.remoteStatus === "queueing")).toBe(true);
    // Window 1 (30 days): 60 orders = 2 pages of 50; window 2: 5 orders = 1 page.
    expect(calls(ORDER_LIST)).toBe(3);

    const orders = await connector.getOrders(c.ctx, [early[0], late[4], "999999999"]);
    expect(orders.map((o) => o.externalOrderId)).toEqual([early[0], late[4]]);
    expect(orders[1]).toMatchObject({
      currency: "VND",
      totalVnd: 520_000,
      buyerName: "Nguyễn Thị Hoà",
      lines: [{ sku: `CF-${t}-B`, quantity: 2, unitPriceVnd: 260_000, title: "Cà phê Robusta Đắk Nông" }],
    });
    expect(Math.abs(orders[1].createdAt - (now - DAY + 4 * 60_000))).toBeLessThan(1000);
  });

  it("verifies signed pushes on the raw body and parses them into stable events", async () => {
    const received: WebhookRequest[] = [];
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        received.push({
          rawBody: Buffer.concat(chunks),
          headers: Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)])),
          url: req.url ?? "/",
        });
        res.end("ok");
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    try {
      sandbox.setWebhookTarget(`http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/tiki/x`);
      sandbox.setFaults({ webhookDuplicates: 2 });
      const t = tag();
      sandbox.seedListing(main.shop.shopId, {
        title: "Bánh pía Sóc Trăng",
        variants: [{ sku: `BP-${t}`, priceVnd: 60_000, stock: 9 }],
      });
      const { externalOrderId } = sandbox.createOrder(main.shop.shopId, [{ sku: `BP-${t}`, quantity: 1 }]);
      await sandbox.flushWebhooks();
      sandbox.setOrderStatus(main.shop.shopId, externalOrderId, "CANCELLED");
      await sandbox.flushWebhooks();
      expect(received).toHaveLength(4);

      const app = { appKey: main.shop.appKey, appSecret: main.shop.appSecret };
      expect(received.every((r) => connector.verifyWebhook(r, app))).toBe(true);
      const tampered = {
        ...received[2],
        rawBody: Buffer.from(received[2].rawBody.toString().replace("canceled", "complete")),
      };
      expect(connector.verifyWebhook(tampered, app)).toBe(false);
      expect(connector.verifyWebhook({ ...received[0], headers: {} }, app)).toBe(false);
      expect(connector.verifyWebhook(received[0], { ...app, appSecret: "wrong" })).toBe(false);

      const events = received.flatMap((r) => connector.parseWebhook(r));
      expect(events.map((e) => [e.kind, e.externalOrderId, e.status, e.shopId])).toEqual([
        ["order.created", externalOrderId, "PENDING", main.shop.shopId],
        ["order.created", externalOrderId, "PENDING", main.shop.shopId],
        ["order.status", externalOrderId, "CANCELLED", main.shop.shopId],
        ["order.status", externalOrderId, "CANCELLED", main.shop.shopId],
      ]);
      // A redelivered event keeps its key (durable dedupe); different events differ.
      expect(events[0].eventKey).toBe(events[1].eventKey);
      expect(events[2].eventKey).toBe(events[3].eventKey);
      expect(events[0].eventKey).not.toBe(events[2].eventKey);
      expect(events[2].occurredAt).toBeGreaterThan(0);
      // Cancelling gives the stock back on Tiki's side.
      expect(sandbox.skuView(main.shop.shopId, `BP-${t}`)!.stock).toBe(9);
    } finally {
      sandbox.setWebhookTarget(null);
      sandbox.setFaults({ webhookDuplicates: 1 });
      await new Promise((r) => server.close(r));
    }
  });

  it("a revoked authorization ends in NEEDS_REAUTH after one refused refresh", async () => {
    const c = await connect();
    sandbox.revokeAuthorization(c.shop.shopId);
    await expect(connector.listListings(c.ctx, null)).rejects.toMatchObject({
      name: "NeedsReauthError",
      code: "invalid_grant",
    });
    const [row] = await db.dataSource.query(`SELECT status FROM channel WHERE id = $1`, [c.channelId]);
    expect(row.status).toBe("NEEDS_REAUTH");
  });
});
