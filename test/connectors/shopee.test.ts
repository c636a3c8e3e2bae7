/**
 * The Shopee connector against the Shopee sandbox over real HTTP, with credentials in PostgreSQL
 * (PgCredentialStore): auth, refresh, listings, batched pushes, orders, webhooks and read-back.
 */
import crypto from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { SecretBox } from "../../src/common/crypto";
import type { ChannelContext, ListingDraft } from "../../src/channels/connectors/connector";
import { ConnectorError, NeedsReauthError } from "../../src/channels/connectors/http/types";
import { paginate } from "../../src/channels/connectors/http/paginate";
import { ShopeeConnector } from "../../src/channels/connectors/shopee";
import { PgCredentialStore, saveCredentials } from "../../src/channels/credential-store";
import { ShopeeSandbox } from "../../src/sandbox/shopee";
import { insertChannel } from "../support/channel-fixture";
import { createTestDatabase, type TestDatabase } from "../support/test-db";

const PNG = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  crypto.randomBytes(64),
]);
const DAY = 86_400_000;

let db: TestDatabase;
let sandbox: ShopeeSandbox;
let connector: ShopeeConnector;
let box: SecretBox;
let shop: { shopId: string; appKey: string; appSecret: string };
let ctx: ChannelContext;
let channelId: string;
let receiver: http.Server;
let receiverUrl: string;
const received: Array<{ raw: Buffer; headers: http.IncomingHttpHeaders }> = [];

async function connect(): Promise<void> {
  const code = sandbox.issueAuthCode(shop.shopId);
  const tokens = await connector.exchangeCode({
    app: { appKey: shop.appKey, appSecret: shop.appSecret },
    baseUrl: sandbox.baseUrl,
    callbackParams: { code, shop_id: shop.shopId },
  });
  await saveCredentials(db.dataSource, box, channelId, {
    appKey: shop.appKey,
    appSecret: shop.appSecret,
    ...tokens,
  });
}

function calls(path: string): number {
  return sandbox.counters().calls[path] ?? 0;
}

beforeAll(async () => {
  db = await createTestDatabase();
  sandbox = new ShopeeSandbox();
  await sandbox.start(0);
  connector = new ShopeeConnector();
  box = new SecretBox([crypto.randomBytes(32)]);
  const created = sandbox.createShop();
  shop = { shopId: created.shopId, appKey: created.appKey, appSecret: created.appSecret };
  channelId = await insertChannel(db.dataSource, {
    marketplace: "shopee",
    baseUrl: sandbox.baseUrl,
    shopId: shop.shopId,
  });
  ctx = {
    channelId,
    baseUrl: sandbox.baseUrl,
    shopId: shop.shopId,
    credentials: new PgCredentialStore(db.dataSource, box, channelId),
  };
  receiver = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      received.push({ raw: Buffer.concat(chunks), headers: req.headers });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, "127.0.0.1", () => r()));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/webhooks/shopee/${channelId}`;
});

afterAll(async () => {
  await sandbox?.close();
  await new Promise((r) => receiver?.close(r));
  await db?.drop();
});

describe("authorization", () => {
  it("sends the seller to a signed auth_partner link that comes back with a code", async () => {
    const url = connector.authorizationUrl({
      app: { appKey: shop.appKey, appSecret: shop.appSecret },
      baseUrl: sandbox.baseUrl,
      redirectUri: "https://hub.example.vn/connect/shopee",
      state: "s-123",
    });
    const location = await new Promise<string>((resolve, reject) =>
      http
        .get(url, (res) => {
          res.resume();
          resolve(String(res.headers.location ?? `status ${res.statusCode}`));
        })
        .on("error", reject),
    );
    const back = new URL(location);
    expect(back.origin + back.pathname).toBe("https://hub.example.vn/connect/shopee");
    expect(back.searchParams.get("state")).toBe("s-123");
    expect(back.searchParams.get("shop_id")).toBe(shop.shopId);
    expect(back.searchParams.get("code")).toMatch(/^[0-9a-f]{32}$/);
  });

  it("exchanges an auth code for tokens, and a code works once only", async () => {
    const code = sandbox.issueAuthCode(shop.shopId);
    const exchange = {
      app: { appKey: shop.appKey, appSecret: shop.appSecret },
      baseUrl: sandbox.baseUrl,
      callbackParams: { code, shop_id: shop.shopId },
    };
    const tokens = await connector.exchangeCode(exchange);
    expect(tokens.shopId).toBe(shop.shopId);
    expect(tokens.accessExpiresAt - Date.now()).toBeGreaterThan(3.9 * 3600_000);
    await expect(connector.exchangeCode(exchange)).rejects.toMatchObject({
      code: "invalid_code",
      kind: "fatal",
    });
    await saveCredentials(db.dataSource, box, channelId, {
      appKey: shop.appKey,
      appSecret: shop.appSecret,
      ...tokens,
    });
  });

  it("refreshes an expired access token once through the store, and the old refresh token is spent", async () => {
    const before = await ctx.credentials.load();
    sandbox.expireAccessToken(shop.shopId);
    const categories = await connector.getCategories(ctx);
    const after = await ctx.credentials.load();
    expect(after.accessToken).not.toBe(before.accessToken);
    expect(after.refreshToken).not.toBe(before.refreshToken);
    expect(calls("/api/v2/auth/access_token/get")).toBe(1);
    expect(categories.find((c) => c.id === "100631")).toEqual({
      id: "100631",
      parentId: "100630",
      name: "Cà phê",
      isLeaf: true,
    });

    // Single-use: the spent refresh token is refused, which can only end in re-authorization.
    await expect(
      connector["client"].sendApp(sandbox.baseUrl, before, {
        method: "POST",
        path: "/api/v2/auth/access_token/get",
        query: {},
        headers: {},
        body: {
          refresh_token: before.refreshToken,
          partner_id: Number(shop.appKey),
          shop_id: Number(shop.shopId),
        },
        auth: "app",
        endpoint: "auth.refresh",
      }),
    ).rejects.toBeInstanceOf(NeedsReauthError);
  });

  it("rejects a wrong signature with Shopee's error_sign", async () => {
    const bad = new ShopeeConnector();
    const wrongKey = {
      ...ctx,
      credentials: {
        ...ctx.credentials,
        load: async () => ({ ...(await ctx.credentials.load()), appSecret: "not-the-key" }),
      },
    };
    const before = sandbox.counters().badSignature;
    await expect(bad.getCategories(wrongKey)).rejects.toMatchObject({ code: "error_sign", kind: "fatal" });
    expect(sandbox.counters().badSignature).toBe(before + 1);
  });
});

describe("catalogue and listings", () => {
  let imageId: string;
  const title = "Cà phê Robusta rang mộc Đắk Nông – OCOP 4 sao";
  const draft = (): ListingDraft => ({
    key: "CF-DN-001",
    title: title.normalize("NFD"),
    description: "Hạt cà phê Robusta trồng ở Đắk Nông, rang mộc, không tẩm ướp. Sản phẩm OCOP 4 sao.",
    categoryId: "100631",
    attributes: { "100095": "12 tháng", "100099": "Việt Nam", "100200": ["3001", "Culi"], "100131": "250" },
    images: [imageId],
    brand: null,
    weightGrams: 300,
    dimensionsMm: { length: 200, width: 120, height: 60 },
    variants: [
      { sku: "CF-DN-250", optionName: "Gói 250g", priceVnd: 95_000, stock: 40 },
      { sku: "CF-DN-500", optionName: "Gói 500g", priceVnd: 180_000, stock: 25 },
    ],
  });

  it("reads required attributes of a category", async () => {
    const attrs = await connector.getCategoryAttributes(ctx, "100631");
    expect(attrs.filter((a) => a.required).map((a) => a.name)).toEqual([
      "Hạn sử dụng",
      "Xuất xứ",
      "Loại cà phê",
    ]);
    expect(attrs.find((a) => a.id === "100200")).toMatchObject({
      inputType: "multiselect",
      options: expect.arrayContaining([{ id: "3003", name: "Culi" }]),
    });
    expect(attrs.find((a) => a.id === "100131")?.inputType).toBe("number");
  });

  it("uploads an image as a public multipart call", async () => {
    imageId = await connector.uploadImage(ctx, {
      bytes: PNG,
      filename: "ca-phe.png",
      contentType: "image/png",
    });
    expect(imageId).toMatch(/^vn-11134207-/);
    await expect(
      connector.uploadImage(ctx, {
        bytes: Buffer.from("not an image"),
        filename: "x.txt",
        contentType: "text/plain",
      }),
    ).rejects.toMatchObject({
      code: "error_invalid_image_format",
    });
  });

  it("creates a listing with two variants and Vietnamese text arrives NFC, unchanged", async () => {
    const [result] = await connector.upsertListings(ctx, [draft()]);
    expect(result).toMatchObject({ key: "CF-DN-001", outcome: "applied" });
    expect(result.variants?.map((v) => v.sku)).toEqual(["CF-DN-250", "CF-DN-500"]);
    const view = sandbox.skuView(shop.shopId, "CF-DN-500")!;
    expect(view).toMatchObject({
      title,
      priceVnd: 180_000,
      stock: 25,
      externalItemId: result.externalItemId,
    });
    expect(view.externalSkuId).toBe(result.variants![1].externalSkuId);
    expect(view.attributes).toEqual({
      "100095": "12 tháng",
      "100099": "Việt Nam",
      "100200": ["Robusta", "Culi"],
      "100131": "250",
    });

    // Read back through the connector: the same text and numbers.
    const page = await connector.listListings(ctx, null);
    const mine = page.items.find((l) => l.externalItemId === result.externalItemId)!;
    expect(mine.title).toBe(title);
    expect(mine.variants).toEqual([
      { sku: "CF-DN-250", externalSkuId: result.variants![0].externalSkuId, priceVnd: 95_000, stock: 40 },
      { sku: "CF-DN-500", externalSkuId: result.variants![1].externalSkuId, priceVnd: 180_000, stock: 25 },
    ]);
  });

  it("updates an existing listing and fails only the draft with a missing mandatory attribute", async () => {
    const existing = sandbox.skuView(shop.shopId, "CF-DN-250")!;
    const update = {
      ...draft(),
      externalItemId: existing.externalItemId,
      title: "Cà phê Culi Đắk Nông",
      variants: draft().variants.map((v) => ({ ...v, priceVnd: v.priceVnd + 5_000 })),
    };
    const broken = {
      ...draft(),
      key: "CF-BROKEN",
      attributes: { "100099": "Việt Nam" },
      variants: [{ sku: "CF-X", optionName: "", priceVnd: 50_000, stock: 1 }],
    };
    const results = await connector.upsertListings(ctx, [broken, update]);
    expect(results[0]).toMatchObject({
      key: "CF-BROKEN",
      outcome: "failed_fatal",
      remoteCode: "product.error_attribute_mandatory",
    });
    expect(results[1]).toMatchObject({ key: "CF-DN-001", outcome: "applied" });
    expect(sandbox.skuView(shop.shopId, "CF-DN-250")).toMatchObject({
      title: "Cà phê Culi Đắk Nông",
      priceVnd: 100_000,
    });
  });

  it("links existing listings by SKU across pages and statuses", async () => {
    for (let i = 0; i < 101; i++)
      sandbox.seedListing(shop.shopId, {
        title: `Mật ong bạc hà ${i}`,
        categoryId: "100642",
        variants: [{ sku: `MO-${i}`, priceVnd: 150_000, stock: 5 }],
      });
    const skus: string[] = [];
    for await (const listing of paginate((c) => connector.listListings(ctx, c)))
      skus.push(...listing.variants.map((v) => v.sku));
    expect(skus).toEqual(expect.arrayContaining(["CF-DN-250", "CF-DN-500", "MO-0", "MO-100"]));
    expect(new Set(skus).size).toBe(skus.length);
  });
});

describe("price and stock pushes", () => {
  let big: { itemId: string; models: string[] };
  let small: { itemId: string; models: string[] };

  beforeAll(() => {
    const seed = (prefix: string, n: number) => {
      const { externalItemId } = sandbox.seedListing(shop.shopId, {
        title: `Trà Shan tuyết ${prefix}`,
        categoryId: "100632",
        variants: Array.from({ length: n }, (_, i) => ({
          sku: `${prefix}-${i}`,
          priceVnd: 100_000,
          stock: 10,
        })),
      });
      return {
        itemId: externalItemId,
        models: Array.from(
          { length: n },
          (_, i) => sandbox.skuView(shop.shopId, `${prefix}-${i}`)!.externalSkuId,
        ),
      };
    };
    big = seed("TRA-A", 50);
    small = seed("TRA-B", 3);
  });

  it("pushes 53 prices and 53 stocks in the minimum number of calls (one item per call, ≤50 models)", async () => {
    sandbox.resetCounters();
    const refs = [
      ...big.models.map((m, i) => ({ sku: `TRA-A-${i}`, externalItemId: big.itemId, externalSkuId: m })),
      ...small.models.map((m, i) => ({ sku: `TRA-B-${i}`, externalItemId: small.itemId, externalSkuId: m })),
    ];
    const prices = await connector.pushPrices(
      ctx,
      refs.map((r, i) => ({ ...r, priceVnd: 120_000 + i * 1_000 })),
    );
    const stocks = await connector.pushStock(
      ctx,
      refs.map((r, i) => ({ ...r, stock: i })),
    );
    expect(prices.every((r) => r.outcome === "applied")).toBe(true);
    expect(stocks.every((r) => r.outcome === "applied")).toBe(true);
    expect(prices.map((r) => r.key)).toEqual(refs.map((r) => r.sku));
    expect(calls("/api/v2/product/update_price")).toBe(2);
    expect(calls("/api/v2/product/update_stock")).toBe(2);
    expect(sandbox.skuView(shop.shopId, "TRA-A-49")).toMatchObject({ priceVnd: 169_000, stock: 49 });
    expect(sandbox.skuView(shop.shopId, "TRA-B-2")).toMatchObject({ priceVnd: 172_000, stock: 52 });
  });

  it("fails only the bad items of a batch with Shopee's per-model reason", async () => {
    const results = await connector.pushPrices(ctx, [
      { sku: "TRA-B-0", externalItemId: small.itemId, externalSkuId: small.models[0], priceVnd: 99_000 },
      { sku: "GHOST", externalItemId: small.itemId, externalSkuId: "999999999", priceVnd: 99_000 },
      { sku: "TRA-B-1", externalItemId: small.itemId, externalSkuId: small.models[1], priceVnd: 500_000_000 },
      { sku: "TRA-B-2", externalItemId: small.itemId, externalSkuId: small.models[2], priceVnd: -5 },
      { sku: "NO-ITEM", externalItemId: "424242", externalSkuId: "1", priceVnd: 99_000 },
    ]);
    expect(results.map((r) => [r.key, r.outcome, r.remoteMessage ?? r.remoteCode])).toEqual([
      ["TRA-B-0", "applied", undefined],
      ["GHOST", "failed_fatal", "Wrong model_id."],
      ["TRA-B-1", "failed_fatal", "Price is out of range."],
      ["TRA-B-2", "failed_fatal", "price must be a positive whole number of đồng"],
      ["NO-ITEM", "failed_fatal", "Item_id is not found."],
    ]);
    expect(sandbox.skuView(shop.shopId, "TRA-B-0")?.priceVnd).toBe(99_000);
    expect(sandbox.skuView(shop.shopId, "TRA-B-1")?.priceVnd).toBe(171_000);
  });

  it("reads back remote price and stock, and catches an OK-but-not-applied write", async () => {
    const ref = { sku: "TRA-B-0", externalItemId: small.itemId, externalSkuId: small.models[0] };
    sandbox.setFaults({ silentNoopRate: 1 });
    const [pushed] = await connector.pushStock(ctx, [{ ...ref, stock: 77 }]);
    sandbox.setFaults({ silentNoopRate: 0 });
    expect(pushed.outcome).toBe("applied");
    const [state, missing, single] = await connector.readBack(ctx, [
      ref,
      { sku: "GONE", externalItemId: "424242", externalSkuId: "1" },
      {
        sku: "MO-3",
        externalItemId: sandbox.skuView(shop.shopId, "MO-3")!.externalItemId,
        externalSkuId: "0",
      },
    ]);
    expect(state).toMatchObject({ sku: "TRA-B-0", priceVnd: 99_000, stock: 50, found: true });
    expect(missing).toMatchObject({ found: false, priceVnd: null, stock: null });
    expect(single).toMatchObject({ found: true, priceVnd: 150_000, stock: 5 });
  });

  it("rides out a burst of rate-limit answers", async () => {
    sandbox.setFaults({ burst429: 2 });
    const before = sandbox.counters().rateLimited;
    const [r] = await connector.pushStock(ctx, [
      { sku: "TRA-B-0", externalItemId: small.itemId, externalSkuId: small.models[0], stock: 60 },
    ]);
    expect(r.outcome).toBe("applied");
    expect(sandbox.counters().rateLimited - before).toBe(2);
    expect(sandbox.skuView(shop.shopId, "TRA-B-0")?.stock).toBe(60);
  });
});

describe("orders and webhooks", () => {
  const now = Date.now();
  let recentIds: string[] = [];
  let oldIds: string[] = [];

  beforeAll(() => {
    sandbox.seedListing(shop.shopId, {
      title: "Nước mắm Phú Quốc 40 độ đạm",
      categoryId: "100651",
      variants: [
        { sku: "NM-500", priceVnd: 85_000, stock: 1_000 },
        { sku: "NM-1000", priceVnd: 150_000, stock: 1_000 },
      ],
    });
    recentIds = Array.from(
      { length: 105 },
      (_, i) =>
        sandbox.createOrder(shop.shopId, [{ sku: "NM-500", quantity: 1 }], { at: now - DAY + i * 1000 })
          .externalOrderId,
    );
    oldIds = [
      sandbox.createOrder(
        shop.shopId,
        [
          { sku: "NM-1000", quantity: 2 },
          { sku: "NM-500", quantity: 1, unitPriceVnd: 80_000 },
        ],
        { at: now - 30 * DAY },
      ).externalOrderId,
      sandbox.createOrder(shop.shopId, [{ sku: "NM-1000", quantity: 1 }], { at: now - 20 * DAY })
        .externalOrderId,
    ];
  });

  it("createOrder took the ordered quantity off the marketplace stock", () => {
    expect(sandbox.skuView(shop.shopId, "NM-500")?.stock).toBe(1_000 - 105 - 1);
    expect(sandbox.skuView(shop.shopId, "NM-1000")?.stock).toBe(997);
  });

  it("pulls orders across 15-day slices and pages, resuming from cursors", async () => {
    sandbox.resetCounters();
    const window = { from: now - 40 * DAY, to: now + 60_000 };
    const seen: string[] = [];
    let pages = 0;
    let cursor: string | null = null;
    do {
      const page = await connector.listOrders(ctx, window, cursor);
      seen.push(...page.items.map((o) => o.externalOrderId));
      if (page.items.length > 0)
        expect(page.items[0]).toMatchObject({ status: "READY_TO_SHIP", remoteStatus: "READY_TO_SHIP" });
      cursor = page.nextCursor;
      pages++;
    } while (cursor);
    expect(seen.sort()).toEqual([...recentIds, ...oldIds].sort());
    expect(pages).toBeGreaterThanOrEqual(3);
    // 40 days → 3 slices; the recent slice has 105 orders → 2 pages; so 4 list calls.
    expect(calls("/api/v2/order/get_order_list")).toBe(4);
    expect(sandbox.counters().badSignature).toBe(0);
  });

  it("refuses a window longer than 15 days at the marketplace", async () => {
    await expect(
      connector["call"](ctx, "GET", "/api/v2/order/get_order_list", "order.get_order_list", {
        time_range_field: "update_time",
        time_from: 1,
        time_to: 1 + 16 * 86_400,
        page_size: 10,
      }),
    ).rejects.toMatchObject({ code: "error_param", message: expect.stringMatching(/15days/) });
  });

  it("reads order details in batches of 50", async () => {
    sandbox.resetCounters();
    const orders = await connector.getOrders(ctx, [...recentIds.slice(0, 60), oldIds[0]]);
    expect(orders).toHaveLength(61);
    expect(calls("/api/v2/order/get_order_detail")).toBe(2);
    const old = orders.find((o) => o.externalOrderId === oldIds[0])!;
    expect(old).toMatchObject({
      currency: "VND",
      totalVnd: 380_000,
      buyerName: "nguyenthimai",
      status: "READY_TO_SHIP",
    });
    expect(old.lines.map((l) => [l.sku, l.quantity, l.unitPriceVnd])).toEqual([
      ["NM-1000", 2, 150_000],
      ["NM-500", 1, 80_000],
    ]);
    expect(old.createdAt).toBe(Math.floor((now - 30 * DAY) / 1000) * 1000);
  });

  it("arranges shipment and cancels through Shopee's own calls", async () => {
    expect(await connector.setOrderStatus(ctx, recentIds[0], "READY_TO_SHIP")).toMatchObject({
      outcome: "applied",
    });
    expect(await connector.setOrderStatus(ctx, recentIds[0], "READY_TO_SHIP")).toMatchObject({
      outcome: "skipped",
    });
    const [shipped] = await connector.getOrders(ctx, [recentIds[0]]);
    expect(shipped).toMatchObject({ remoteStatus: "PROCESSED", status: "READY_TO_SHIP" });

    const stockBefore = sandbox.skuView(shop.shopId, "NM-1000")!.stock;
    expect(await connector.setOrderStatus(ctx, oldIds[1], "CANCELLED")).toMatchObject({ outcome: "applied" });
    expect(sandbox.skuView(shop.shopId, "NM-1000")!.stock).toBe(stockBefore + 1);
    expect(await connector.setOrderStatus(ctx, oldIds[1], "DELIVERED")).toMatchObject({
      outcome: "failed_fatal",
      remoteCode: "unsupported_status",
    });
  });

  it("receives signed pushes: verifies good and tampered bodies, parses stable keys, dedupes duplicates", async () => {
    received.length = 0;
    sandbox.setWebhookTarget(receiverUrl);
    sandbox.setFaults({ webhookDuplicates: 2, webhookShuffle: true });
    const { externalOrderId } = sandbox.createOrder(shop.shopId, [{ sku: "NM-500", quantity: 3 }]);
    sandbox.setOrderStatus(shop.shopId, externalOrderId, "SHIPPED");
    await sandbox.flushWebhooks();
    sandbox.setFaults({ webhookDuplicates: 1, webhookShuffle: false });
    expect(received).toHaveLength(4);

    const app = { appKey: shop.appKey, appSecret: shop.appSecret };
    const events = received.map((r) => {
      const req = { rawBody: r.raw, headers: r.headers as Record<string, string>, url: receiverUrl };
      expect(connector.verifyWebhook(req, app)).toBe(true);
      const tampered = Buffer.from(r.raw.toString("utf8").replace(/"code":3/, '"code":4'));
      expect(connector.verifyWebhook({ ...req, rawBody: tampered }, app)).toBe(false);
      expect(connector.verifyWebhook({ ...req, url: `${receiverUrl}/other` }, app)).toBe(false);
      return connector.parseWebhook(req)[0];
    });
    const keys = [...new Set(events.map((e) => e.eventKey))].sort();
    expect(keys).toHaveLength(2);
    expect(keys.every((k) => k.startsWith(`order:${externalOrderId}:`))).toBe(true);
    expect(events.map((e) => e.status).sort()).toEqual([
      "READY_TO_SHIP",
      "READY_TO_SHIP",
      "SHIPPED",
      "SHIPPED",
    ]);
    expect(events[0]).toMatchObject({ kind: "order.status", shopId: shop.shopId, externalOrderId });
  });
});

describe("lost authorization", () => {
  it("moves the channel to NEEDS_REAUTH when the shop revokes access, then a new code restores it", async () => {
    sandbox.revokeAuthorization(shop.shopId);
    await expect(connector.getCategories(ctx)).rejects.toBeInstanceOf(NeedsReauthError);
    const [row] = await db.dataSource.query(`SELECT status FROM channel WHERE id = $1`, [channelId]);
    expect(row.status).toBe("NEEDS_REAUTH");

    await connect();
    expect((await connector.getCategories(ctx)).length).toBeGreaterThan(5);
    const [after] = await db.dataSource.query(`SELECT status FROM channel WHERE id = $1`, [channelId]);
    expect(after.status).toBe("ACTIVE");
  });

  it("reports a fatal marketplace error as a ConnectorError with Shopee's code", async () => {
    await expect(connector.getCategoryAttributes(ctx, "100629")).rejects.toBeInstanceOf(ConnectorError);
    await expect(connector.getCategoryAttributes(ctx, "100629")).rejects.toMatchObject({
      code: "error_invalid_category",
    });
  });
});
