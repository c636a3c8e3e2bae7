/**
 * The shared connector contract (as Meltano's tap conformance tests): ONE suite run against every
 * marketplace connector and its sandbox over real HTTP, with credentials in the PostgreSQL
 * credential store. It only uses connector.ts and sandbox.ts, so a new marketplace passes or fails
 * it without edits here.
 */
import crypto from "node:crypto";
import { SecretBox } from "../../src/common/crypto";
import {
  CAPABILITY_METHODS,
  Capability,
  ChannelContext,
  Credentials,
  CredentialStore,
  ListingDraft,
  MarketplaceCode,
  MarketplaceConnector,
  OrderSummary,
  TokenSet,
} from "../../src/channels/connectors/connector";
import { CONNECTORS } from "../../src/channels/connectors/registry";
import { SANDBOXES } from "../../src/sandbox/registry";
import type { MarketplaceSandbox, SandboxShop } from "../../src/sandbox/sandbox";
import { ConnectorError, NeedsReauthError } from "../../src/channels/connectors/http/types";
import { paginate, paginatePages, PaginationLoopError } from "../../src/channels/connectors/http/paginate";
import { resetRateBudgets } from "../../src/channels/connectors/http/rate-budget";
import { PgCredentialStore, saveCredentials } from "../../src/channels/credential-store";
import { createTestDatabase, TestDatabase } from "../support/test-db";
import { insertChannel } from "../support/channel-fixture";

const box = new SecretBox([crypto.randomBytes(32)]);
let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase({ poolSize: 8 });
});
afterAll(async () => {
  await db?.drop();
});
beforeEach(() => resetRateBudgets());

/** Counts refreshes that really ran (the store's refresh callback), around the real PG store. */
class CountingStore implements CredentialStore {
  refreshCalls = 0;
  constructor(private readonly inner: CredentialStore) {}
  load() {
    return this.inner.load();
  }
  refreshExclusive(seen: string | null | undefined, refresh: (c: Credentials) => Promise<TokenSet>) {
    return this.inner.refreshExclusive(seen, async (c) => {
      this.refreshCalls++;
      return refresh(c);
    });
  }
  markNeedsReauth(reason: string) {
    return this.inner.markNeedsReauth(reason);
  }
}

/**
 * Serves the real credentials with one part tampered (the app secret, or the access token for a
 * marketplace that authenticates shop calls by bearer token alone). Never refreshes for real, so the
 * shop's single-use refresh token is not spent; writes nothing back.
 */
class TamperedStore implements CredentialStore {
  reauth: string[] = [];
  constructor(
    private readonly inner: CredentialStore,
    private readonly part: "appSecret" | "accessToken",
  ) {}
  async load() {
    const c = await this.inner.load();
    return { ...c, [this.part]: `${String(c[this.part]).split("").reverse().join("")}x` };
  }
  async refreshExclusive() {
    return this.load();
  }
  async markNeedsReauth(reason: string) {
    this.reauth.push(reason);
  }
}

interface Connected {
  shop: SandboxShop;
  channelId: string;
  ctx: ChannelContext;
  store: CountingStore;
}

async function connect(c: MarketplaceConnector, sandbox: MarketplaceSandbox): Promise<Connected> {
  const shop = sandbox.createShop();
  const app = { appKey: shop.appKey, appSecret: shop.appSecret };
  // The real authorization flow: the seller clicks "authorize", the marketplace redirects with a code.
  const code = sandbox.issueAuthCode(shop.shopId);
  const tokens = await c.exchangeCode({
    app,
    baseUrl: sandbox.baseUrl,
    callbackParams: { code, shop_id: shop.shopId, state: "contract" },
    redirectUri: "http://127.0.0.1/callback",
  });
  const shopId = tokens.shopId ?? shop.shopId;
  const channelId = await insertChannel(db.dataSource, {
    marketplace: c.code,
    baseUrl: sandbox.baseUrl,
    shopId,
  });
  await saveCredentials(db.dataSource, box, channelId, {
    ...app,
    accessToken: tokens.accessToken,
    refreshToken: tokens.refreshToken,
    accessExpiresAt: tokens.accessExpiresAt,
    refreshExpiresAt: tokens.refreshExpiresAt,
    extra: tokens.extra,
  });
  const store = new CountingStore(new PgCredentialStore(db.dataSource, box, channelId));
  return { shop, channelId, store, ctx: { channelId, baseUrl: sandbox.baseUrl, shopId, credentials: store } };
}

/** A signed, read-only call every connector has: the cheapest declared read. */
function readCall(c: MarketplaceConnector): (ctx: ChannelContext) => Promise<unknown> {
  if (c.listListings) return (ctx) => c.listListings!(ctx, null);
  if (c.getCategories) return (ctx) => c.getCategories!(ctx);
  if (c.listOrders) {
    return (ctx) => c.listOrders!(ctx, { from: Date.now() - 3600_000, to: Date.now() }, null);
  }
  throw new Error(`${c.code}: no read call to test signing with`);
}

async function channelStatus(id: string): Promise<string> {
  const [r] = await db.dataSource.query(`SELECT status FROM channel WHERE id = $1`, [id]);
  return r.status;
}

async function accessToken(id: string): Promise<string | null | undefined> {
  return (await new PgCredentialStore(db.dataSource, box, id).load()).accessToken;
}

/** A valid listing for the marketplace: a leaf category and its required attributes from the connector. */
async function draftFor(
  c: MarketplaceConnector,
  ctx: ChannelContext,
  key: string,
  title: string,
): Promise<ListingDraft> {
  let categoryId = "0";
  const attributes: ListingDraft["attributes"] = {};
  if (c.getCategories && c.getCategoryAttributes) {
    const cats = await c.getCategories(ctx);
    const leaf = cats.find((x) => x.isLeaf);
    if (!leaf) throw new Error(`${c.code}: no leaf category`);
    categoryId = leaf.id;
    for (const a of await c.getCategoryAttributes(ctx, leaf.id)) {
      if (!a.required) continue;
      if (a.inputType === "select") attributes[a.id] = a.options?.[0]?.id ?? "Việt Nam";
      else if (a.inputType === "multiselect") attributes[a.id] = [a.options?.[0]?.id ?? "Việt Nam"];
      else if (a.inputType === "number") attributes[a.id] = "500";
      else attributes[a.id] = "Việt Nam";
    }
  }
  let images = ["https://example.com/ocop/ca-phe-dak-nong.jpg"];
  if (c.uploadImage) {
    // 1×1 PNG: a real image, small.
    const png = Buffer.from(
      "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==",
      "base64",
    );
    images = [
      await c.uploadImage(ctx, { bytes: png, filename: "anh-san-pham.png", contentType: "image/png" }),
    ];
  }
  return {
    key,
    title,
    description: "Cà phê Robusta Đắk Nông, rang mộc, sản phẩm OCOP 4 sao. Đóng gói 500g.".repeat(2),
    categoryId,
    attributes,
    images,
    brand: null,
    weightGrams: 550,
    dimensionsMm: { length: 200, width: 120, height: 60 },
    variants: [
      { sku: key, optionName: "gói 500g", priceVnd: 185_000, stock: 40, barcode: null, weightGrams: 550 },
    ],
  };
}

const CODES = Object.keys(CONNECTORS) as MarketplaceCode[];

describe.each(CODES)("connector contract: %s", (code) => {
  const c = CONNECTORS[code];
  let sandbox: MarketplaceSandbox;
  let main: Connected;

  beforeAll(async () => {
    sandbox = SANDBOXES[code]();
    await sandbox.start(0);
    main = await connect(c, sandbox);
  });
  afterAll(async () => {
    await sandbox?.close();
  });
  afterEach(() => {
    sandbox.setFaults({ burst429: 0, errorRate: 0, timeoutRate: 0, rateLimitPerSecond: 0 });
  });

  it("declares exactly the capabilities it implements", () => {
    expect(c.code).toBe(code);
    for (const [cap, methods] of Object.entries(CAPABILITY_METHODS) as Array<[Capability, string[]]>) {
      const present = methods.map((m) => typeof (c as unknown as Record<string, unknown>)[m] === "function");
      if (c.capabilities.has(cap))
        expect({ cap, present }).toEqual({ cap, present: methods.map(() => true) });
      else expect({ cap, present }).toEqual({ cap, present: methods.map(() => false) });
    }
    // Batch limits are real numbers the sync engine can split by.
    for (const v of Object.values(c.limits)) {
      if (typeof v === "number") expect(v).toBeGreaterThan(0);
    }
    expect(c.ratePolicy.requestsPerSecond).toBeGreaterThan(0);
  });

  it("makes a signed call the sandbox accepts", async () => {
    const before = sandbox.counters().badSignature;
    await expect(readCall(c)(main.ctx)).resolves.toBeDefined();
    expect(sandbox.counters().badSignature).toBe(before);
  });

  it("rejects a call signed with a tampered secret, as a fatal or re-auth error", async () => {
    const attempt = async (part: "appSecret" | "accessToken") => {
      const before = sandbox.counters().badSignature;
      const ctx = { ...main.ctx, credentials: new TamperedStore(main.store, part) };
      const err = await readCall(c)(ctx).then(
        () => null,
        (e) => e as Error,
      );
      return { err, rejectedAsBadSignature: sandbox.counters().badSignature > before };
    };
    let { err, rejectedAsBadSignature } = await attempt("appSecret");
    if (err === null) {
      // Accepted with a wrong secret: legitimate only where shop calls are not signed with it
      // (Tiki: OAuth2 bearer). Then the bearer token is the credential to tamper with.
      ({ err, rejectedAsBadSignature } = await attempt("accessToken"));
    }
    expect(err).toBeInstanceOf(ConnectorError);
    expect(["fatal", "needs_reauth"]).toContain((err as ConnectorError).kind);
    expect(rejectedAsBadSignature).toBe(true);
    // The real channel is untouched.
    expect(await channelStatus(main.channelId)).toBe("ACTIVE");
  });

  it("retries a burst of 429s within budget and succeeds", async () => {
    const before = sandbox.counters().rateLimited;
    sandbox.setFaults({ burst429: 3 });
    const started = Date.now();
    await expect(readCall(c)(main.ctx)).resolves.toBeDefined();
    expect(sandbox.counters().rateLimited - before).toBe(3);
    expect(Date.now() - started).toBeLessThan(15_000);
  });

  it("refreshes an expired access token once and retries", async () => {
    const before = await accessToken(main.channelId);
    const refreshes = main.store.refreshCalls;
    sandbox.expireAccessToken(main.shop.shopId);
    await expect(readCall(c)(main.ctx)).resolves.toBeDefined();
    expect(main.store.refreshCalls - refreshes).toBe(1);
    const after = await accessToken(main.channelId);
    expect(after).not.toBe(before);
    // The next call uses the stored new token without refreshing again.
    await readCall(c)(main.ctx);
    expect(main.store.refreshCalls - refreshes).toBe(1);
    expect(await channelStatus(main.channelId)).toBe("ACTIVE");
  });

  it("turns a revoked authorization into NeedsReauthError and a NEEDS_REAUTH channel", async () => {
    const other = await connect(c, sandbox);
    await expect(readCall(c)(other.ctx)).resolves.toBeDefined();
    sandbox.revokeAuthorization(other.shop.shopId);
    await expect(readCall(c)(other.ctx)).rejects.toBeInstanceOf(NeedsReauthError);
    expect(await channelStatus(other.channelId)).toBe("NEEDS_REAUTH");
  });

  // Every connector the hub registers must push prices and stock, list orders and upsert
  // listings: a connector without them fails here instead of being skipped.
  it("implements the calls the sync engine needs", () => {
    expect(typeof c.pushPrices).toBe("function");
    expect(typeof c.pushStock).toBe("function");
    expect(typeof c.listOrders).toBe("function");
    expect(typeof c.upsertListings).toBe("function");
  });

  it("applies the valid items of a batch and fails only the invalid one", async () => {
    const tag = crypto.randomBytes(3).toString("hex").toUpperCase();
    const skus = [`OCOP-${tag}-A`, `OCOP-${tag}-B`, `OCOP-${tag}-C`];
    const { externalItemId } = sandbox.seedListing(main.shop.shopId, {
      title: "Mật ong hoa cà phê Gia Lai",
      variants: skus.map((sku) => ({ sku, priceVnd: 150_000, stock: 10 })),
    });
    const ref = (sku: string) => ({
      sku,
      externalItemId,
      externalSkuId: sandbox.skuView(main.shop.shopId, sku)!.externalSkuId,
    });

    const prices = await c.pushPrices!(main.ctx, [
      { ...ref(skus[0]), priceVnd: 161_000 },
      { ...ref(skus[1]), priceVnd: -5 },
      { ...ref(skus[2]), priceVnd: 163_000 },
    ]);
    expect(prices.map((r) => r.key)).toEqual(skus);
    expect(prices.map((r) => r.outcome)).toEqual(["applied", expect.stringMatching(/^failed_/), "applied"]);
    expect(sandbox.skuView(main.shop.shopId, skus[0])!.priceVnd).toBe(161_000);
    expect(sandbox.skuView(main.shop.shopId, skus[1])!.priceVnd).toBe(150_000);
    expect(sandbox.skuView(main.shop.shopId, skus[2])!.priceVnd).toBe(163_000);

    const unknown = { sku: `OCOP-${tag}-UNKNOWN`, externalItemId, externalSkuId: "987654321987" };
    const stock = await c.pushStock!(main.ctx, [
      { ...ref(skus[0]), stock: 7 },
      { ...unknown, stock: 3 },
      { ...ref(skus[2]), stock: 9 },
    ]);
    expect(stock.map((r) => r.key)).toEqual([skus[0], unknown.sku, skus[2]]);
    expect(stock.map((r) => r.outcome)).toEqual(["applied", expect.stringMatching(/^failed_/), "applied"]);
    expect(sandbox.skuView(main.shop.shopId, skus[0])!.stock).toBe(7);
    expect(sandbox.skuView(main.shop.shopId, skus[2])!.stock).toBe(9);
  });

  it("pages orders to the end, detects a repeated cursor, and resumes after a crash without gaps", async () => {
    const shopId = main.shop.shopId;
    const sku = `ORD-${crypto.randomBytes(3).toString("hex").toUpperCase()}`;
    sandbox.seedListing(shopId, {
      title: "Trà Shan tuyết Hà Giang",
      variants: [{ sku, priceVnd: 120_000, stock: 100_000 }],
    });
    const n = Math.min(c.limits.orderPageSize, 100) * 2 + 3; // three pages at least
    const t0 = Date.now() - 3600_000;
    const created = new Set<string>();
    for (let i = 0; i < n; i++)
      created.add(sandbox.createOrder(shopId, [{ sku, quantity: 1 }], { at: t0 + i * 1000 }).externalOrderId);
    const window = {
      from: t0 - 1000,
      to: Math.min(Date.now() + 60_000, t0 - 1000 + c.limits.orderWindowSeconds * 1000),
    };
    const fetch = (cursor: string | null) => c.listOrders!(main.ctx, window, cursor);

    const ids = (list: OrderSummary[]) => list.map((o) => o.externalOrderId);
    const all: OrderSummary[] = [];
    for await (const o of paginate(fetch)) all.push(o);
    expect(new Set(ids(all)).size).toBe(all.length);
    expect(new Set(ids(all))).toEqual(created);

    // A marketplace that hands back an earlier cursor at the end would loop forever; we stop.
    let firstNext: string | null = null;
    const looping = async (cursor: string | null) => {
      const page = await fetch(cursor);
      if (cursor === null) firstNext = page.nextCursor;
      return page.nextCursor === null ? { ...page, nextCursor: firstNext } : page;
    };
    await expect(
      (async () => {
        for await (const _ of paginate(looping)) void _;
      })(),
    ).rejects.toBeInstanceOf(PaginationLoopError);

    // Crash after the first page: only the saved cursor survives.
    const seen: string[] = [];
    let saved: string | null = null;
    for await (const page of paginatePages(fetch)) {
      seen.push(...ids(page.items));
      saved = page.nextCursor;
      break;
    }
    expect(saved).not.toBeNull();
    const fresh = { ...main.ctx, credentials: new PgCredentialStore(db.dataSource, box, main.channelId) };
    for await (const o of paginate((cur) => c.listOrders!(fresh, window, cur), { startCursor: saved })) {
      seen.push(o.externalOrderId);
    }
    expect(seen).toHaveLength(created.size);
    expect(new Set(seen)).toEqual(created);
  });

  it("round-trips Vietnamese text (NFC, đ) unchanged", async () => {
    const title = "Cà phê Đắk Nông – hạt rang 500g".normalize("NFC");
    const key = `CAPHE-${crypto.randomBytes(3).toString("hex").toUpperCase()}`;
    const draft = await draftFor(c, main.ctx, key, title);
    const [result] = await c.upsertListings!(main.ctx, [draft]);
    expect({ ...result, key }).toEqual({ ...result, key, outcome: "applied" });
    const view = sandbox.skuView(main.shop.shopId, key);
    expect(view?.title).toBe(title);
    expect(view?.title.normalize("NFC")).toBe(view?.title);
    expect(view?.priceVnd).toBe(185_000);
    if (c.listListings) {
      const titles: string[] = [];
      for await (const l of paginate((cur) => c.listListings!(main.ctx, cur))) titles.push(l.title);
      expect(titles).toContain(title);
    }
  });
});
