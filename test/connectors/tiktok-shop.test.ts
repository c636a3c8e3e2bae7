/**
 * The TikTok Shop connector against its sandbox over real HTTP, with credentials in PostgreSQL
 * (PgCredentialStore). Each test connects its own shop, so tests do not share tokens or budgets.
 */
import crypto from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { SecretBox } from "../../src/common/crypto";
import { PgCredentialStore, saveCredentials } from "../../src/channels/credential-store";
import type {
  ChannelContext,
  ListingDraft,
  PriceUpdate,
  StockUpdate,
} from "../../src/channels/connectors/connector";
import { ConnectorError, NeedsReauthError } from "../../src/channels/connectors/http/types";
import { paginate } from "../../src/channels/connectors/http/paginate";
import { TiktokShopConnector } from "../../src/channels/connectors/tiktok-shop";
import { TiktokShopSandbox } from "../../src/sandbox/tiktok-shop";
import { createTestDatabase, type TestDatabase } from "../support/test-db";

let db: TestDatabase;
let producerId: string;
const box = new SecretBox([crypto.randomBytes(32)]);
const sandbox = new TiktokShopSandbox();
const connector = new TiktokShopConnector({ http: { backoffBaseMs: 5, backoffMaxMs: 50, timeoutMs: 2000 } });

beforeAll(async () => {
  db = await createTestDatabase();
  await sandbox.start(0);
  const rows: Array<{ id: string }> = await db.dataSource.query(
    `INSERT INTO producer (legal_name, name_key, type) VALUES ('HTX Cà phê Ea Tu', 'htx ca phe ea tu', 'COOPERATIVE') RETURNING id`,
  );
  producerId = rows[0].id;
});

afterAll(async () => {
  await sandbox.close();
  await db.drop();
});

afterEach(() => sandbox.setFaults({ errorRate: 0, burst429: 0, silentNoopRate: 0, webhookDuplicates: 1 }));

/** Seller authorizes → code exchange → channel row with sealed credentials → context. */
async function connect(): Promise<{
  ctx: ChannelContext;
  shopId: string;
  app: { appKey: string; appSecret: string };
}> {
  const shop = sandbox.createShop();
  const app = { appKey: shop.appKey, appSecret: shop.appSecret };
  const code = sandbox.issueAuthCode(shop.shopId);
  const tokens = await connector.exchangeCode({
    app,
    baseUrl: sandbox.baseUrl,
    callbackParams: { code, state: "s1" },
  });
  const rows: Array<{ id: string }> = await db.dataSource.query(
    `INSERT INTO channel (producer_id, marketplace, name, shop_id, base_url, status) VALUES ($1, 'tiktok-shop', 'TikTok', $2, $3, 'ACTIVE') RETURNING id`,
    [producerId, tokens.shopId, sandbox.baseUrl],
  );
  await saveCredentials(db.dataSource, box, rows[0].id, { ...app, ...tokens });
  const ctx: ChannelContext = {
    channelId: rows[0].id,
    baseUrl: sandbox.baseUrl,
    shopId: tokens.shopId ?? null,
    credentials: new PgCredentialStore(db.dataSource, box, rows[0].id),
  };
  return { ctx, shopId: shop.shopId, app };
}

function calls(path: string): number {
  return sandbox.counters().calls[path] ?? 0;
}

const TITLE = "Cà phê Robusta rang xay nguyên chất Đắk Lắk – OCOP 4 sao";

function draft(key: string, images: string[], overrides: Partial<ListingDraft> = {}): ListingDraft {
  return {
    key,
    title: TITLE,
    description: "Hạt cà phê chọn lọc từ vùng Buôn Ma Thuột.\nRang mộc, không tẩm ướp.",
    categoryId: "600011",
    attributes: { "100107": "Việt Nam", "100203": "12 tháng", "100311": "Rang xay" },
    images,
    weightGrams: 550,
    dimensionsMm: { length: 200, width: 120, height: 60 },
    variants: [
      { sku: `${key}-250`, optionName: "Gói 250g", priceVnd: 95_000, stock: 40 },
      { sku: `${key}-500`, optionName: "Gói 500g", priceVnd: 179_000, stock: 25 },
    ],
    ...overrides,
  };
}

describe("TikTok Shop connector against the sandbox", () => {
  it("exchanges an auth code for tokens and the shop cipher; a code works once", async () => {
    const shop = sandbox.createShop();
    const app = { appKey: shop.appKey, appSecret: shop.appSecret };
    const code = sandbox.issueAuthCode(shop.shopId);
    const t = await connector.exchangeCode({ app, baseUrl: sandbox.baseUrl, callbackParams: { code } });
    expect(t.shopId).toBe(shop.shopId);
    expect(t.extra?.shop_cipher).toBe(sandbox.shopCipher(shop.shopId));
    expect(t.accessExpiresAt).toBeGreaterThan(Date.now() + 6 * 86_400_000);
    await expect(
      connector.exchangeCode({ app, baseUrl: sandbox.baseUrl, callbackParams: { code } }),
    ).rejects.toBeInstanceOf(ConnectorError);
    expect(
      connector.authorizationUrl({
        app,
        baseUrl: connector.defaultBaseUrl,
        redirectUri: "https://x",
        state: "st",
      }),
    ).toMatch(
      /^https:\/\/(services\.tiktokshop\.com\/open|auth\.tiktok-shops\.com\/oauth)\/authorize\?.*state=st/,
    );
  });

  it("refreshes an expired access token once, stores the new one, and the call goes through", async () => {
    const { ctx, shopId } = await connect();
    const before = await ctx.credentials.load();
    sandbox.expireAccessToken(shopId);
    sandbox.resetCounters();
    const cats = await connector.getCategories(ctx);
    expect(cats.length).toBeGreaterThan(0);
    expect(calls("/api/v2/token/refresh")).toBe(1);
    const after = await ctx.credentials.load();
    expect(after.accessToken).not.toBe(before.accessToken);
    expect(after.extra?.shop_cipher).toBe(before.extra?.shop_cipher);
  });

  it("a revoked authorization ends in NeedsReauthError and NEEDS_REAUTH", async () => {
    const { ctx, shopId } = await connect();
    sandbox.revokeAuthorization(shopId);
    await expect(connector.getCategories(ctx)).rejects.toBeInstanceOf(NeedsReauthError);
    const [row] = await db.dataSource.query(`SELECT status FROM channel WHERE id = $1`, [ctx.channelId]);
    expect(row.status).toBe("NEEDS_REAUTH");
  });

  it("reads the Vietnamese category tree and required attributes", async () => {
    const { ctx } = await connect();
    const cats = await connector.getCategories(ctx);
    expect(cats).toContainEqual({ id: "600011", parentId: "600010", name: "Cà phê", isLeaf: true });
    expect(cats.find((c) => c.id === "600001")?.parentId).toBeNull();
    const attrs = await connector.getCategoryAttributes(ctx, "600011");
    const origin = attrs.find((a) => a.id === "100107")!;
    expect(origin).toMatchObject({ name: "Xuất xứ", required: true, inputType: "select" });
    expect(attrs.find((a) => a.name === "Loại cà phê")?.required).toBe(true);
    expect(attrs.some((a) => a.name === "Quy cách")).toBe(false); // a sales property, not an attribute
  });

  it("creates a listing with 2 variants, keeps Vietnamese text, fails only the bad draft, then edits", async () => {
    const { ctx, shopId } = await connect();
    const uri = await connector.uploadImage(ctx, {
      bytes: Buffer.from("fake-jpeg-bytes"),
      filename: "a.jpg",
      contentType: "image/jpeg",
    });
    const nfdTitle = TITLE.normalize("NFD");
    const bad = draft("BAD", [uri], { attributes: { "100107": "Việt Nam" } }); // required attributes missing
    const res = await connector.upsertListings(ctx, [draft("CF", [uri], { title: nfdTitle }), bad]);
    expect(res[0]).toMatchObject({ key: "CF", outcome: "applied" });
    expect(res[0].variants).toHaveLength(2);
    expect(res[1]).toMatchObject({ key: "BAD", outcome: "failed_fatal", remoteCode: "12052203" });
    expect(res[1].remoteMessage).toMatch(/Hạn sử dụng|Loại cà phê/);

    const v = sandbox.skuView(shopId, "CF-500")!;
    expect(v.title).toBe(TITLE.normalize("NFC"));
    expect(v).toMatchObject({
      priceVnd: 179_000,
      stock: 25,
      externalItemId: res[0].externalItemId,
      images: [uri],
    });
    expect(v.description).toContain("Rang mộc, không tẩm ướp.");
    expect(v.attributes["100107"]).toBe("Việt Nam");
    expect(sandbox.allSkus(shopId)).toHaveLength(2);

    // Edit: same product, same SKU ids, new price.
    const edit = draft("CF", [uri], {
      externalItemId: res[0].externalItemId,
      variants: res[0].variants!.map((x, i) => ({
        sku: x.sku,
        externalSkuId: x.externalSkuId,
        optionName: i === 0 ? "Gói 250g" : "Gói 500g",
        priceVnd: 99_000 + i,
        stock: 10,
      })),
    });
    const [edited] = await connector.upsertListings(ctx, [edit]);
    expect(edited).toMatchObject({ outcome: "applied", externalItemId: res[0].externalItemId });
    expect(sandbox.skuView(shopId, "CF-250")).toMatchObject({
      priceVnd: 99_000,
      externalSkuId: res[0].variants![0].externalSkuId,
    });

    const [state] = await connector.readBack(ctx, [
      { sku: "CF-500", externalItemId: res[0].externalItemId! },
    ]);
    expect(state).toMatchObject({
      found: true,
      priceVnd: 99_001,
      stock: 10,
      externalSkuId: res[0].variants![1].externalSkuId,
    });
  });

  it("pushes price and stock across the batch boundary in the fewest calls", async () => {
    const { ctx, shopId } = await connect();
    const big = sandbox.seedListing(shopId, {
      title: "Mật ong hoa cà phê",
      variants: Array.from({ length: 100 }, (_, i) => ({ sku: `MO-${i}`, priceVnd: 100_000, stock: 5 })),
    });
    const small = sandbox.seedListing(shopId, {
      title: "Trà Shan tuyết",
      variants: Array.from({ length: 30 }, (_, i) => ({ sku: `TR-${i}`, priceVnd: 80_000, stock: 5 })),
    });
    const refs = sandbox
      .allSkus(shopId)
      .map((s) => ({ sku: s.sku, externalItemId: s.externalItemId, externalSkuId: s.externalSkuId }));
    expect(refs).toHaveLength(130);
    sandbox.resetCounters();
    const prices: PriceUpdate[] = refs.map((r, i) => ({ ...r, priceVnd: 120_000 + i }));
    const pr = await connector.pushPrices(ctx, prices);
    expect(pr.every((r) => r.outcome === "applied")).toBe(true);
    expect(pr.map((r) => r.key)).toEqual(refs.map((r) => r.sku));
    expect(calls("/product/202309/products/{product_id}/prices/update")).toBe(2);

    const stock: StockUpdate[] = refs.map((r, i) => ({ ...r, stock: i }));
    const sr = await connector.pushStock(ctx, stock);
    expect(sr.every((r) => r.outcome === "applied")).toBe(true);
    expect(calls("/product/202309/products/{product_id}/inventory/update")).toBe(2);
    expect(sandbox.skuView(shopId, "TR-29")).toMatchObject({
      priceVnd: 120_129,
      stock: 129,
      externalItemId: small.externalItemId,
    });
    expect(sandbox.skuView(shopId, "MO-0")).toMatchObject({
      priceVnd: 120_000,
      stock: 0,
      externalItemId: big.externalItemId,
    });

    sandbox.resetCounters();
    const states = await connector.readBack(ctx, refs);
    expect(states.map((s) => s.priceVnd)).toEqual(prices.map((p) => p.priceVnd));
    expect(states.map((s) => s.stock)).toEqual(stock.map((s) => s.stock));
    expect(calls("/product/202309/products/search")).toBe(2);
  });

  it("one bad item in a batch fails alone with TikTok's code; the others apply", async () => {
    const { ctx, shopId } = await connect();
    sandbox.seedListing(shopId, {
      title: "Nước mắm Phú Quốc",
      variants: Array.from({ length: 8 }, (_, i) => ({ sku: `NM-${i}`, priceVnd: 50_000, stock: 9 })),
    });
    const refs = sandbox
      .allSkus(shopId)
      .map((s) => ({ sku: s.sku, externalItemId: s.externalItemId, externalSkuId: s.externalSkuId }));
    const prices: PriceUpdate[] = refs.map((r) => ({ ...r, priceVnd: 60_000 }));
    prices[3] = { ...prices[3], externalSkuId: "1729999999999999999" }; // unknown SKU id
    prices[5] = { ...prices[5], priceVnd: -1 }; // absurd price, refused before sending
    const pr = await connector.pushPrices(ctx, prices);
    expect(pr[3]).toMatchObject({ key: "NM-3", outcome: "failed_fatal", remoteCode: "12019022" });
    expect(pr[5]).toMatchObject({ key: "NM-5", outcome: "failed_fatal", remoteCode: "INVALID_PRICE" });
    expect(pr.filter((r) => r.outcome === "applied")).toHaveLength(6);
    expect(sandbox.skuView(shopId, "NM-0")!.priceVnd).toBe(60_000);
    expect(sandbox.skuView(shopId, "NM-5")!.priceVnd).toBe(50_000);

    sandbox.resetCounters();
    const stock: StockUpdate[] = refs.map((r) => ({ ...r, stock: 7 }));
    stock[1] = { ...stock[1], externalSkuId: "1729999999999999998" };
    stock[2] = { ...stock[2], stock: 100_000 };
    const sr = await connector.pushStock(ctx, stock);
    expect(calls("/product/202309/products/{product_id}/inventory/update")).toBe(1);
    expect(sr[1]).toMatchObject({ outcome: "failed_fatal", remoteCode: "12019022" });
    expect(sr[2]).toMatchObject({ outcome: "failed_fatal", remoteCode: "12052074" });
    expect(sr.filter((r) => r.outcome === "applied")).toHaveLength(6);
    expect(sandbox.skuView(shopId, "NM-7")!.stock).toBe(7);
    expect(sandbox.skuView(shopId, "NM-2")!.stock).toBe(9);
  });

  it("pulls orders across pages and windows by cursor, then details them in batches of 50", async () => {
    const { ctx, shopId } = await connect();
    sandbox.seedListing(shopId, {
      title: "Hạt mắc ca Tây Nguyên",
      variants: [{ sku: "MC-1", priceVnd: 150_000, stock: 1000 }],
    });
    const day = 86_400_000;
    const t0 = Math.floor(Date.now() / 1000) * 1000 - 20 * day;
    const ids: string[] = [];
    for (let i = 0; i < 105; i++)
      ids.push(
        sandbox.createOrder(shopId, [{ sku: "MC-1", quantity: 1 }], { at: t0 + i * 60_000 }).externalOrderId,
      );
    for (let i = 0; i < 25; i++)
      ids.push(
        sandbox.createOrder(shopId, [{ sku: "MC-1", quantity: 2 }], { at: t0 + 9 * day + i * 60_000 })
          .externalOrderId,
      );
    sandbox.createOrder(shopId, [{ sku: "MC-1", quantity: 1 }], { at: t0 + 12 * day }); // outside the window
    expect(sandbox.skuView(shopId, "MC-1")!.stock).toBe(1000 - 105 - 50 - 1);

    sandbox.resetCounters();
    const seen: string[] = [];
    for await (const o of paginate((c) => connector.listOrders(ctx, { from: t0, to: t0 + 10 * day }, c)))
      seen.push(o.externalOrderId);
    expect(new Set(seen).size).toBe(130);
    expect(seen.sort()).toEqual([...ids].sort());
    // Window 1 (7 days): 105 orders = 2 pages; window 2: 25 orders = 1 page.
    expect(calls("/order/202309/orders/search")).toBe(3);

    const orders = await connector.getOrders(ctx, ids);
    expect(calls("/order/202309/orders")).toBe(3);
    expect(orders).toHaveLength(130);
    const last = orders[129];
    expect(last).toMatchObject({
      status: "PENDING",
      remoteStatus: "AWAITING_SHIPMENT",
      currency: "VND",
      totalVnd: 300_000,
    });
    expect(last.lines).toEqual([
      expect.objectContaining({ sku: "MC-1", quantity: 2, unitPriceVnd: 150_000 }),
    ]);
    expect(last.buyerName).toBe("Nguyễn Văn An");
  });

  it("writes READY_TO_SHIP back by shipping the package", async () => {
    const { ctx, shopId } = await connect();
    sandbox.seedListing(shopId, {
      title: "Trà xanh Thái Nguyên",
      variants: [{ sku: "TX-1", priceVnd: 70_000, stock: 3 }],
    });
    const { externalOrderId } = sandbox.createOrder(shopId, [{ sku: "TX-1", quantity: 1 }]);
    expect(await connector.setOrderStatus(ctx, externalOrderId, "READY_TO_SHIP")).toMatchObject({
      outcome: "applied",
    });
    const [o] = await connector.getOrders(ctx, [externalOrderId]);
    expect(o).toMatchObject({ status: "READY_TO_SHIP", remoteStatus: "AWAITING_COLLECTION" });
    expect(await connector.setOrderStatus(ctx, externalOrderId, "READY_TO_SHIP")).toMatchObject({
      outcome: "skipped",
    });
    expect(await connector.setOrderStatus(ctx, externalOrderId, "DELIVERED")).toMatchObject({
      outcome: "failed_fatal",
    });
  });

  it("receives signed webhooks: verifies good ones, rejects tampered, parses a stable key", async () => {
    const { shopId, app } = await connect();
    sandbox.seedListing(shopId, {
      title: "Bưởi da xanh",
      variants: [{ sku: "BX-1", priceVnd: 60_000, stock: 5 }],
    });
    const received: Array<{ raw: Buffer; headers: http.IncomingHttpHeaders }> = [];
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        received.push({ raw: Buffer.concat(chunks), headers: req.headers });
        res.end();
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    try {
      sandbox.setWebhookTarget(
        `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/tiktok-shop/x`,
      );
      sandbox.setFaults({ webhookDuplicates: 2 });
      const { externalOrderId } = sandbox.createOrder(shopId, [{ sku: "BX-1", quantity: 1 }]);
      await sandbox.flushWebhooks();
      expect(received).toHaveLength(2);
      const reqs = received.map((r) => ({
        rawBody: r.raw,
        headers: r.headers as Record<string, string>,
        url: "/webhooks",
      }));
      expect(reqs.every((r) => connector.verifyWebhook(r, app))).toBe(true);
      const tampered = {
        ...reqs[0],
        rawBody: Buffer.from(reqs[0].rawBody.toString().replace("AWAITING_SHIPMENT", "CANCELLED")),
      };
      expect(connector.verifyWebhook(tampered, app)).toBe(false);
      expect(connector.verifyWebhook({ ...reqs[0], headers: {} }, app)).toBe(false);
      const [e1] = connector.parseWebhook(reqs[0]);
      const [e2] = connector.parseWebhook(reqs[1]);
      expect(e1).toMatchObject({ kind: "order.status", shopId, externalOrderId, status: "PENDING" });
      expect(e1.eventKey).toBe(e2.eventKey);
      expect(e1.eventKey).toMatch(new RegExp(`^order:${externalOrderId}:AWAITING_SHIPMENT:\\d+$`));
    } finally {
      sandbox.setWebhookTarget(null);
      await new Promise<void>((r) => server.close(() => r()));
    }
  });

  it("lists listings for linking by SKU, and readBack exposes a silently ignored write", async () => {
    const { ctx, shopId } = await connect();
    const seeded = sandbox.seedListing(shopId, {
      title: "Miến dong Bình Liêu",
      variants: [{ sku: "MD-1", priceVnd: 45_000, stock: 12 }],
    });
    const page = await connector.listListings(ctx, null);
    expect(page.nextCursor).toBeNull();
    expect(page.items).toEqual([
      expect.objectContaining({
        externalItemId: seeded.externalItemId,
        title: "Miến dong Bình Liêu",
        variants: [expect.objectContaining({ sku: "MD-1", priceVnd: 45_000, stock: 12 })],
      }),
    ]);
    const ref = {
      sku: "MD-1",
      externalItemId: seeded.externalItemId,
      externalSkuId: page.items[0].variants[0].externalSkuId,
    };
    sandbox.setFaults({ silentNoopRate: 1 });
    const [r] = await connector.pushPrices(ctx, [{ ...ref, priceVnd: 49_000 }]);
    expect(r.outcome).toBe("applied"); // the marketplace said OK…
    sandbox.setFaults({ silentNoopRate: 0 });
    const [state, gone] = await connector.readBack(ctx, [ref, { sku: "GONE", externalItemId: "1" }]);
    expect(state.priceVnd).toBe(45_000); // …but did not apply it
    expect(gone).toMatchObject({ found: false, priceVnd: null, stock: null });
  });

  it("rides out a burst of 429s (36009002) without failing the call", async () => {
    const { ctx } = await connect();
    sandbox.resetCounters();
    sandbox.setFaults({ burst429: 2 });
    expect((await connector.getCategories(ctx)).length).toBeGreaterThan(0);
    expect(sandbox.counters().rateLimited).toBe(2);
  });

  it("the sandbox rejects a bad signature and a stale timestamp like TikTok", async () => {
    const { ctx } = await connect();
    const creds = await ctx.credentials.load();
    const base = `${sandbox.baseUrl}/product/202309/categories?app_key=${creds.appKey}&shop_cipher=${encodeURIComponent(creds.extra!.shop_cipher)}`;
    const now = Math.floor(Date.now() / 1000);
    const bad = await fetch(`${base}&timestamp=${now}&sign=deadbeef`, {
      headers: { "x-tts-access-token": creds.accessToken! },
    });
    expect(bad.status).toBe(401);
    expect(await bad.json()).toMatchObject({ code: 106001 });
    const stale = await fetch(`${base}&timestamp=${now - 400}&sign=deadbeef`, {
      headers: { "x-tts-access-token": creds.accessToken! },
    });
    expect(await stale.json()).toMatchObject({ code: 36009004, message: expect.stringMatching(/timestamp/) });
  });
});
