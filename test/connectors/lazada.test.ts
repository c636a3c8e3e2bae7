/**
 * The Lazada connector against the Lazada sandbox over real HTTP, with credentials in the PostgreSQL
 * credential store: OAuth, catalogue data, listings with variants, batched price/stock pushes with
 * per-SKU failures, orders by window and page, order detail, ready-to-ship write-back, signed pushes,
 * read-back and Vietnamese text.
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
import { ConnectorError } from "../../src/channels/connectors/http/types";
import { paginate } from "../../src/channels/connectors/http/paginate";
import { resetRateBudgets } from "../../src/channels/connectors/http/rate-budget";
import { LAZADA_LIMITS, LazadaConnector } from "../../src/channels/connectors/lazada";
import { PgCredentialStore, saveCredentials } from "../../src/channels/credential-store";
import { LazadaSandbox } from "../../src/sandbox/lazada";
import type { SandboxShop } from "../../src/sandbox/sandbox";
import { insertChannel } from "../support/channel-fixture";
import { createTestDatabase, TestDatabase } from "../support/test-db";

const box = new SecretBox([crypto.randomBytes(32)]);
const connector = new LazadaConnector({ http: { timeoutMs: 2000 } });
const sandbox = new LazadaSandbox();
let db: TestDatabase;

const PRICE_QTY = "/product/price_quantity/update";
const ORDERS = "/orders/get";
const DAY = 86_400_000;
const PNG = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==",
  "base64",
);

beforeAll(async () => {
  [db] = await Promise.all([createTestDatabase({ poolSize: 4 }), sandbox.start(0)]);
});
afterAll(async () => {
  await Promise.all([sandbox.close(), db?.drop()]);
});
beforeEach(() => {
  resetRateBudgets();
  sandbox.setFaults({
    burst429: 0,
    errorRate: 0,
    timeoutRate: 0,
    rateLimitPerSecond: 0,
    silentNoopRate: 0,
    webhookDuplicates: 1,
  });
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
  const redirectUri = "http://127.0.0.1:9/lazada/callback";
  const url = connector.authorizationUrl({ app, baseUrl: sandbox.baseUrl, redirectUri, state: "st-lzd-1" });
  expect(new URL(url).searchParams.get("client_id")).toBe(shop.appKey);
  const consent = await fetch(url, { redirect: "manual" });
  expect(consent.status).toBe(302);
  const callback = new URL(consent.headers.get("location")!);
  expect(callback.searchParams.get("state")).toBe("st-lzd-1");
  const tokens = await connector.exchangeCode({
    app,
    baseUrl: sandbox.baseUrl,
    callbackParams: Object.fromEntries(callback.searchParams),
  });
  const channelId = await insertChannel(db.dataSource, {
    marketplace: "lazada",
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

describe("lazada connector against the lazada sandbox", () => {
  let main: Connected;
  beforeAll(async () => {
    main = await connect();
  });

  it("uses the production hosts unless the channel overrides them", () => {
    expect(connector.defaultBaseUrl).toBe("https://api.lazada.vn/rest");
    const url = new URL(
      connector.authorizationUrl({
        app: { appKey: "100001", appSecret: "s" },
        baseUrl: connector.defaultBaseUrl,
        redirectUri: "https://hub.example/cb",
        state: "x",
      }),
    );
    expect(url.origin + url.pathname).toBe("https://auth.lazada.com/oauth/authorize");
    expect(Object.fromEntries(url.searchParams)).toEqual({
      response_type: "code",
      force_auth: "true",
      redirect_uri: "https://hub.example/cb",
      client_id: "100001",
      state: "x",
    });
  });

  it("exchanges the auth code for tokens and the seller id; the code is single-use", async () => {
    const creds = await main.ctx.credentials.load();
    expect(main.ctx.shopId).toBe(main.shop.shopId);
    expect(creds.accessToken).toMatch(/^\S{20,}$/);
    expect(creds.refreshToken).toMatch(/^\S{20,}$/);
    expect(creds.accessExpiresAt).toBeGreaterThan(Date.now() + 29 * DAY);
    expect(creds.refreshExpiresAt).toBeGreaterThan(Date.now() + 179 * DAY);
    expect(creds.extra?.country).toBe("vn");
    const code = sandbox.issueAuthCode(main.shop.shopId);
    const app = { appKey: main.shop.appKey, appSecret: main.shop.appSecret };
    await connector.exchangeCode({ app, baseUrl: sandbox.baseUrl, callbackParams: { code } });
    await expect(
      connector.exchangeCode({ app, baseUrl: sandbox.baseUrl, callbackParams: { code } }),
    ).rejects.toMatchObject({
      kind: "fatal",
      code: "InvalidCode",
    });
  });

  it("refreshes through the store without extending the refresh token's life", async () => {
    const c = await connect();
    const before = await c.ctx.credentials.load();
    await connector.refreshToken(c.ctx);
    const after = await c.ctx.credentials.load();
    expect(after.accessToken).not.toBe(before.accessToken);
    expect(Math.abs(after.refreshExpiresAt! - before.refreshExpiresAt!)).toBeLessThan(5000);
    await expect(connector.listListings(c.ctx, null)).resolves.toMatchObject({ items: [] });
    // An expired access token is refreshed once, in the call.
    sandbox.expireAccessToken(c.shop.shopId);
    await expect(connector.listListings(c.ctx, null)).resolves.toMatchObject({ items: [] });
    expect((await c.ctx.credentials.load()).accessToken).not.toBe(after.accessToken);
  });

  it("reads the category tree and the required attributes of a leaf", async () => {
    const cats = await connector.getCategories(main.ctx);
    const coffee = cats.find((c) => c.name === "Cà phê");
    expect(coffee).toMatchObject({ id: "10000011", parentId: "10000010", isLeaf: true });
    expect(cats.find((c) => c.id === "10000001")).toMatchObject({ parentId: null, isLeaf: false });
    const attrs = await connector.getCategoryAttributes(main.ctx, coffee!.id);
    expect(attrs.filter((a) => a.required).map((a) => a.id)).toEqual(["coffee_type"]);
    expect(attrs.find((a) => a.id === "coffee_type")).toMatchObject({
      inputType: "select",
      options: expect.arrayContaining([{ id: "Cà phê hạt", name: "Cà phê hạt" }]),
    });
    // Sale properties and the fields the connector fills itself are not for mapping.
    expect(attrs.map((a) => a.id)).not.toEqual(expect.arrayContaining(["variation"]));
    expect(attrs.map((a) => a.id)).not.toContain("name");
  });

  it("creates a listing with 2 variants, then updates it, keeping Vietnamese text NFC", async () => {
    const t = tag();
    const title = "Cà phê Robusta Đắk Nông – rang mộc, OCOP 4 sao".normalize("NFC");
    const image = await connector.uploadImage(main.ctx, {
      bytes: PNG,
      filename: "ca-phe.png",
      contentType: "image/png",
    });
    expect(image).toMatch(/^https:\/\/.+\.png$/);
    const draft: ListingDraft = {
      key: `CF-${t}`,
      title: title.normalize("NFD"), // the connector sends NFC whatever it is given
      description: "Hạt Robusta trồng ở Đắk Nông, rang mộc không tẩm.".normalize("NFD"),
      categoryId: "10000011",
      attributes: { coffee_type: "Cà phê hạt" },
      images: [image],
      brand: "HTX Cà phê Đắk Nông",
      weightGrams: 550,
      dimensionsMm: { length: 200, width: 120, height: 60 },
      variants: [
        { sku: `CF-${t}-250`, optionName: "gói 250g", priceVnd: 95_000, stock: 30 },
        { sku: `CF-${t}-500`, optionName: "gói 500g", priceVnd: 175_000, stock: 12 },
      ],
    };
    const [created] = await connector.upsertListings(main.ctx, [draft]);
    expect(created).toMatchObject({
      key: draft.key,
      outcome: "applied",
      externalItemId: expect.stringMatching(/^\d+$/),
    });
    expect(created.variants!.map((v) => v.sku)).toEqual([`CF-${t}-250`, `CF-${t}-500`]);
    const v500 = sandbox.skuView(main.shop.shopId, `CF-${t}-500`)!;
    expect(v500).toMatchObject({
      title,
      priceVnd: 175_000,
      stock: 12,
      externalItemId: created.externalItemId,
    });
    expect(v500.attributes).toMatchObject({
      variation: "gói 500g",
      coffee_type: "Cà phê hạt",
      brand: "HTX Cà phê Đắk Nông",
    });
    expect(v500.description).toBe("Hạt Robusta trồng ở Đắk Nông, rang mộc không tẩm.".normalize("NFC"));

    // A duplicate SellerSku fails that draft only, with Lazada's code.
    const [dup, ok] = await connector.upsertListings(main.ctx, [
      { ...draft, key: "DUP" },
      { ...draft, key: `CF-${t}-X`, variants: [{ ...draft.variants[0], sku: `CF-${t}-X` }] },
    ]);
    expect(dup).toMatchObject({ key: "DUP", outcome: "failed_fatal", remoteCode: "4105" });
    expect(ok).toMatchObject({ outcome: "applied" });

    const [updated] = await connector.upsertListings(main.ctx, [
      {
        ...draft,
        externalItemId: created.externalItemId,
        title: "Cà phê Robusta Đắk Nông – hạt rang 500g",
        variants: draft.variants.map((v, i) => ({ ...v, externalSkuId: created.variants![i].externalSkuId })),
      },
    ]);
    expect(updated).toMatchObject({ outcome: "applied", externalItemId: created.externalItemId });
    expect(sandbox.skuView(main.shop.shopId, `CF-${t}-250`)!.title).toBe(
      "Cà phê Robusta Đắk Nông – hạt rang 500g",
    );

    const titles: string[] = [];
    for await (const l of paginate((cur) => connector.listListings(main.ctx, cur))) titles.push(l.title);
    expect(titles).toContain("Cà phê Robusta Đắk Nông – hạt rang 500g");
  });

  it("pushes price and stock across the 50-SKU boundary in the minimum number of calls", async () => {
    const t = tag();
    const skus = Array.from({ length: 60 }, (_, i) => `MO-${t}-${String(i).padStart(2, "0")}`);
    const { externalItemId } = sandbox.seedListing(main.shop.shopId, {
      title: "Mật ong hoa cà phê Gia Lai",
      variants: skus.map((sku) => ({ sku, priceVnd: 150_000, stock: 10 })),
    });
    const refs = skus.map((sku) => ({
      sku,
      externalItemId,
      externalSkuId: sandbox.skuView(main.shop.shopId, sku)!.externalSkuId,
    }));

    let before = calls(PRICE_QTY);
    const prices = await connector.pushPrices(
      main.ctx,
      refs.map((r, i) => ({ ...r, priceVnd: 160_000 + i * 1000 })),
    );
    expect(calls(PRICE_QTY) - before).toBe(Math.ceil(60 / LAZADA_LIMITS.pricePerCall));
    expect(prices.map((r) => r.key)).toEqual(skus);
    expect(prices.every((r) => r.outcome === "applied")).toBe(true);
    expect(sandbox.skuView(main.shop.shopId, skus[59])!.priceVnd).toBe(219_000);

    before = calls(PRICE_QTY);
    const stock = await connector.pushStock(
      main.ctx,
      refs.map((r, i) => ({ ...r, stock: i })),
    );
    expect(calls(PRICE_QTY) - before).toBe(2);
    expect(stock.every((r) => r.outcome === "applied")).toBe(true);
    expect(sandbox.skuView(main.shop.shopId, skus[51])!.stock).toBe(51);

    // Read-back sees what Lazada shows, in batches of 50.
    const back = await connector.readBack(main.ctx, [...refs, { sku: `MO-${t}-GONE`, externalItemId }]);
    expect(back).toHaveLength(61);
    expect(back[59]).toMatchObject({ sku: skus[59], priceVnd: 219_000, stock: 59, found: true });
    expect(back[60]).toMatchObject({ found: false, priceVnd: null, stock: null });
  });

  it("fails only the bad items of a batch, with Lazada's per-SKU error", async () => {
    const t = tag();
    const skus = [`TR-${t}-A`, `TR-${t}-B`, `TR-${t}-C`];
    const { externalItemId } = sandbox.seedListing(main.shop.shopId, {
      title: "Trà Shan tuyết cổ thụ Hà Giang",
      variants: skus.map((sku) => ({ sku, priceVnd: 120_000, stock: 10 })),
    });
    const ref = (sku: string) => ({ sku, externalItemId });
    const before = calls(PRICE_QTY);
    const res = await connector.pushPrices(main.ctx, [
      { ...ref(skus[0]), priceVnd: 125_000 },
      { ...ref(skus[1]), priceVnd: 0 },
      { ...ref(`TR-${t}-NOPE`), priceVnd: 99_000 },
      { ...ref(skus[2]), priceVnd: 2_000_000_000 },
    ]);
    expect(calls(PRICE_QTY) - before).toBe(1);
    expect(res.map((r) => [r.key, r.outcome, r.remoteCode])).toEqual([
      [skus[0], "applied", undefined],
      [skus[1], "failed_fatal", "BIZ_CHECK_PRICE_IS_ZERO"],
      [`TR-${t}-NOPE`, "failed_fatal", "SELLER_SKU_NOT_FOUND"],
      [skus[2], "failed_fatal", "BIZ_CHECK_PRICE_OUT_OF_RANGE"],
    ]);
    expect(res[1].remoteMessage).toContain("E501");
    expect(sandbox.skuView(main.shop.shopId, skus[0])!.priceVnd).toBe(125_000);
    expect(sandbox.skuView(main.shop.shopId, skus[1])!.priceVnd).toBe(120_000);
  });

  it("lets read-back catch an 'OK but not applied' write", async () => {
    const sku = `NM-${tag()}`;
    const { externalItemId } = sandbox.seedListing(main.shop.shopId, {
      title: "Nước mắm Phú Quốc",
      variants: [{ sku, priceVnd: 90_000, stock: 5 }],
    });
    sandbox.setFaults({ silentNoopRate: 1 });
    const [r] = await connector.pushStock(main.ctx, [{ sku, externalItemId, stock: 40 }]);
    expect(r.outcome).toBe("applied");
    const [back] = await connector.readBack(main.ctx, [{ sku, externalItemId }]);
    expect(back.stock).toBe(5);
  });

  it("pulls orders across pages and windows, then reads their detail in one call", async () => {
    const c = await connect();
    const sku = `OR-${tag()}`;
    sandbox.seedListing(c.shop.shopId, {
      title: "Bưởi da xanh Bến Tre",
      variants: [{ sku, priceVnd: 80_000, stock: 10_000 }],
    });
    const t0 = Date.now() - 10 * DAY;
    const created: string[] = [];
    for (let i = 0; i < 110; i++)
      created.push(
        sandbox.createOrder(c.shop.shopId, [{ sku, quantity: 1 }], { at: t0 + i * 60_000 }).externalOrderId,
      );
    for (let i = 0; i < 20; i++)
      created.push(
        sandbox.createOrder(c.shop.shopId, [{ sku, quantity: 1 }], { at: t0 + 8 * DAY + i * 60_000 })
          .externalOrderId,
      );
    expect(sandbox.skuView(c.shop.shopId, sku)!.stock).toBe(10_000 - 130);

    const window = { from: t0 - 1000, to: t0 + 9 * DAY };
    const before = calls(ORDERS);
    const all: OrderSummary[] = [];
    for await (const o of paginate((cur) => connector.listOrders(c.ctx, window, cur))) all.push(o);
    expect(all.map((o) => o.externalOrderId)).toEqual(created);
    // Window 1: a page of 100 and one of 10; window 2: one page of 20.
    expect(calls(ORDERS) - before).toBe(3);
    expect(all[0]).toMatchObject({ status: "PENDING", remoteStatus: "pending" });

    // Past the offset cap the walk restarts at the last update time seen, without losing orders.
    const capped = new LazadaConnector({ http: { timeoutMs: 2000 }, maxOrderOffset: 50 });
    const seen = new Set<string>();
    for await (const o of paginate((cur) => capped.listOrders(c.ctx, window, cur)))
      seen.add(o.externalOrderId);
    expect(seen).toEqual(new Set(created));

    const detail = await connector.getOrders(c.ctx, created.slice(0, 50));
    expect(detail).toHaveLength(50);
    expect(detail[0]).toMatchObject({
      externalOrderId: created[0],
      currency: "VND",
      totalVnd: 80_000,
      status: "PENDING",
    });
  });

  it("reads order detail with per-unit items grouped, and writes back ready-to-ship", async () => {
    const a = `OD-${tag()}`;
    const b = `OD-${tag()}`;
    sandbox.seedListing(main.shop.shopId, {
      title: "Mắm tôm chua Huế",
      variants: [
        { sku: a, priceVnd: 65_000, stock: 20 },
        { sku: b, priceVnd: 120_000, stock: 20 },
      ],
    });
    const { externalOrderId } = sandbox.createOrder(main.shop.shopId, [
      { sku: a, quantity: 3 },
      { sku: b, quantity: 1, unitPriceVnd: 110_000 },
    ]);
    const [order] = await connector.getOrders(main.ctx, [externalOrderId, "999999999"]);
    expect(order).toMatchObject({ externalOrderId, status: "PENDING", totalVnd: 3 * 65_000 + 110_000 });
    expect(order.lines.map((l) => [l.sku, l.quantity, l.unitPriceVnd])).toEqual([
      [a, 3, 65_000],
      [b, 1, 110_000],
    ]);
    expect(order.lines[0].title).toContain("Mắm tôm chua Huế");

    const rts = await connector.setOrderStatus(main.ctx, externalOrderId, "READY_TO_SHIP");
    expect(rts).toMatchObject({ key: externalOrderId, outcome: "applied" });
    const [after] = await connector.getOrders(main.ctx, [externalOrderId]);
    expect(after).toMatchObject({ status: "READY_TO_SHIP", remoteStatus: "ready_to_ship" });
    expect(await connector.setOrderStatus(main.ctx, externalOrderId, "READY_TO_SHIP")).toMatchObject({
      outcome: "skipped",
    });
    expect(await connector.setOrderStatus(main.ctx, externalOrderId, "DELIVERED")).toMatchObject({
      outcome: "failed_fatal",
      remoteCode: "UNSUPPORTED",
    });
  });

  it("verifies pushes over the raw body, rejects tampered ones, and parses them with a stable key", async () => {
    const received: WebhookRequest[] = [];
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        received.push({
          rawBody: Buffer.concat(chunks),
          headers: req.headers as Record<string, string>,
          url: req.url ?? "/",
        });
        res.end();
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    try {
      sandbox.setWebhookTarget(
        `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/lazada/x`,
      );
      sandbox.setFaults({ webhookDuplicates: 2 });
      const sku = `WH-${tag()}`;
      sandbox.seedListing(main.shop.shopId, {
        title: "Chè Thái Nguyên",
        variants: [{ sku, priceVnd: 70_000, stock: 5 }],
      });
      const { externalOrderId } = sandbox.createOrder(main.shop.shopId, [{ sku, quantity: 1 }]);
      await sandbox.flushWebhooks();
      expect(received).toHaveLength(2);
      const app = { appKey: main.shop.appKey, appSecret: main.shop.appSecret };
      for (const r of received) expect(connector.verifyWebhook(r, app)).toBe(true);
      const tampered = {
        ...received[0],
        rawBody: Buffer.from(received[0].rawBody.toString().replace("pending", "canceled")),
      };
      expect(connector.verifyWebhook(tampered, app)).toBe(false);
      expect(connector.verifyWebhook(received[0], { ...app, appSecret: "wrong" })).toBe(false);
      const [e1] = connector.parseWebhook(received[0]);
      const [e2] = connector.parseWebhook(received[1]);
      expect(e1).toMatchObject({
        kind: "order.status",
        shopId: main.shop.shopId,
        externalOrderId,
        status: "PENDING",
      });
      expect(e1.eventKey).toBe(e2.eventKey);
      expect(e1.eventKey).toMatch(new RegExp(`^lazada:order:${externalOrderId}:\\d+:pending:\\d+$`));
    } finally {
      sandbox.setWebhookTarget(null);
      await new Promise<void>((r) => server.close(() => r()));
    }
  });

  it("fails every item as retriable when Lazada keeps failing the whole call, and survives its rate limit", async () => {
    const fast = new LazadaConnector({
      http: { timeoutMs: 300, maxAttempts: 2, backoffBaseMs: 5, backoffMaxMs: 20 },
    });
    const sku = `FX-${tag()}`;
    const { externalItemId } = sandbox.seedListing(main.shop.shopId, {
      title: "Gạo ST25",
      variants: [{ sku, priceVnd: 40_000, stock: 5 }],
    });
    sandbox.setFaults({ errorRate: 1 });
    const [busy] = await fast.pushPrices(main.ctx, [{ sku, externalItemId, priceVnd: 41_000 }]);
    expect(busy).toMatchObject({ key: sku, outcome: "failed_retriable" });
    sandbox.setFaults({ errorRate: 0, timeoutRate: 1 });
    const [slow] = await fast.pushStock(main.ctx, [{ sku, externalItemId, stock: 6 }]);
    expect(slow).toMatchObject({ outcome: "failed_retriable", remoteCode: "TIMEOUT" });
    sandbox.setFaults({ timeoutRate: 0, rateLimitPerSecond: 3 });
    const limitedBefore = sandbox.counters().rateLimited;
    const pages = await Promise.all(Array.from({ length: 5 }, () => connector.listListings(main.ctx, null)));
    expect(pages.every((p) => p.items.length > 0)).toBe(true);
    expect(sandbox.counters().rateLimited).toBeGreaterThan(limitedBefore);
    expect(sandbox.skuView(main.shop.shopId, sku)).toMatchObject({ priceVnd: 40_000, stock: 5 });
  });

  it("answers a bad signature with Lazada's IncompleteSignature as a fatal error", async () => {
    const creds = await main.ctx.credentials.load();
    const wrong = {
      ...main.ctx,
      credentials: { ...main.ctx.credentials, load: async () => ({ ...creds, appSecret: "not-the-secret" }) },
    };
    const before = sandbox.counters().badSignature;
    const err = await connector.listListings(wrong, null).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectorError);
    expect(err).toMatchObject({ kind: "fatal", code: "IncompleteSignature" });
    expect(sandbox.counters().badSignature).toBe(before + 1);
  });
});
