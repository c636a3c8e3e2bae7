/**
 * Publish once, end to end over real HTTP: mappings through the API, preflight problems with their
 * field and code, a dry run that writes nothing, a publish that creates listings on two sandboxes
 * (OCOP claim only for the product whose certificate is in force), linking an existing remote
 * listing by SKU instead of duplicating it, and the npm-start demo on all four sandboxes.
 */
import { startTestHub, TestHub } from "../support/test-hub";
import { SANDBOXES } from "../../src/sandbox/registry";
import type { MarketplaceSandbox } from "../../src/sandbox/sandbox";
import type { MarketplaceCode } from "../../src/channels/connectors/connector";
import { idOf, toGlobalId } from "../../src/common/graphql/global-id";
import { runPublish } from "../../src/sync/publish.service";
import { connectDemoChannels, mapDemoCategories } from "../../src/sync/demo-channels";
import type { JobQueue } from "../../src/sync/jobs";
import { ApiKeyRole } from "../../src/auth/api-key.entity";
import { resetRateBudgets } from "../../src/channels/connectors/http/rate-budget";
import { clearRemoteCatalogCache } from "../../src/channels/mapping.service";
import { ContentReviewFollower } from "../../src/ocop-claims/content-reviews";

let hub: TestHub;
const sandboxes = {} as Record<MarketplaceCode, MarketplaceSandbox>;
const queued: string[] = [];
const queue: JobQueue = {
  enqueueRun: async (runId) => void queued.push(runId),
  enqueueOrderImport: async () => undefined,
};
const IMAGE = "http://127.0.0.1:1/static/ocop-placeholder.png";

async function producer(name: string): Promise<string> {
  const [p] = await hub.db.dataSource.query(
    `INSERT INTO producer (legal_name, name_key, type, address_raw) VALUES ($1, $2, 'COOPERATIVE', 'Gia Nghĩa, Lâm Đồng') RETURNING id`,
    [name, name.toLowerCase()],
  );
  return p.id;
}

async function product(
  producerId: string,
  o: {
    name: string;
    slug: string;
    sku: string;
    price?: number | null;
    images?: boolean;
    description?: string;
    cert?: "active" | "expired";
  },
): Promise<string> {
  const [p] = await hub.db.dataSource.query(
    `INSERT INTO product (producer_id, name, search_key, slug, category, description, story, images)
     VALUES ($1, $2, $3, $4, 'BEVERAGE', $5, 'Trồng dưới tán rừng, hái tay, rang mộc tại hợp tác xã.', $6) RETURNING id`,
    [
      producerId,
      o.name,
      o.slug,
      o.slug,
      o.description ??
        "Cà phê Robusta rang mộc, không tẩm ướp, hương thơm tự nhiên của đất đỏ bazan Tây Nguyên.",
      JSON.stringify(o.images === false ? [] : [{ url: IMAGE }]),
    ],
  );
  const [v] = await hub.db.dataSource.query(
    `INSERT INTO variant (product_id, producer_id, sku, pack_spec, weight_grams, price_vnd) VALUES ($1, $2, $3, 'gói 500g', 550, $4) RETURNING id`,
    [p.id, producerId, o.sku, o.price === undefined ? 185_000 : o.price],
  );
  await hub.db.dataSource.query(
    `INSERT INTO stock_level (variant_id, on_hand, reserved) VALUES ($1, 40, 0)`,
    [v.id],
  );
  if (o.cert) {
    const decided = o.cert === "active" ? "2025-03-10" : "2020-01-15";
    await hub.db.dataSource.query(
      `INSERT INTO ocop_certification (product_id, star, decision_number, decision_date, issuer_level, issuer_name, valid_until, validity_basis, verification)
       VALUES ($1, 4, '123/QĐ-UBND', $2, 'PROVINCE', 'UBND tỉnh Lâm Đồng', ($2::date + interval '36 months')::date, 'DECISION_DATE', 'A')`,
      [p.id, decided],
    );
  }
  return p.id;
}

async function connect(code: MarketplaceCode, producerId: string): Promise<string> {
  const sb = sandboxes[code];
  const shop = sb.createShop();
  const res = await hub.gql(
    `mutation($input: ConnectChannelInput!) { connectChannel(input: $input) { channel { id } userErrors { code } } }`,
    {
      input: {
        producerId: toGlobalId("Producer", producerId),
        marketplace: code === "tiktok-shop" ? "TIKTOK_SHOP" : code.toUpperCase(),
        name: code,
        shopId: shop.shopId,
        baseUrl: sb.baseUrl,
        appKey: shop.appKey,
        appSecret: shop.appSecret,
        accessToken: shop.accessToken,
        refreshToken: shop.refreshToken,
        accessExpiresAt: new Date(shop.accessExpiresAt).toISOString(),
      },
    },
  );
  expect(res.data.connectChannel.userErrors).toEqual([]);
  return res.data.connectChannel.channel.id;
}

const PUBLISH = `mutation($input: PublishProductsInput!) { publishProducts(input: $input) {
  dryRun userErrors { field code }
  channels { channelId runId listingsQueued previews { productId ready title description categoryId attributes { id values } images ocopStar
    variants { sku priceVnd stock } problems { field code severity sku message hint messageVi messageEn hintVi hintEn } } } } }`;

async function drain(): Promise<void> {
  while (queued.length) await runPublish(hub.services.sync, queued.shift()!);
}

beforeAll(async () => {
  resetRateBudgets();
  clearRemoteCatalogCache();
  hub = await startTestHub();
  hub.services.queue = queue;
  for (const code of ["shopee", "lazada", "tiktok-shop", "tiki"] as MarketplaceCode[]) {
    sandboxes[code] = SANDBOXES[code]();
    await sandboxes[code].start(0);
  }
});

afterAll(async () => {
  for (const s of Object.values(sandboxes)) await s?.close();
  await hub?.close();
});

describe("publish to Shopee and Lazada", () => {
  let pid: string;
  let shopeeCh: string;
  let lazadaCh: string;
  const products: Record<string, string> = {};

  beforeAll(async () => {
    pid = await producer("HTX Cà phê Gia Nghĩa");
    products.certified = await product(pid, {
      name: "Cà phê Robusta Gia Nghĩa",
      slug: "cf-cert",
      sku: "CF-CERT-500",
      cert: "active",
    });
    products.expired = await product(pid, {
      name: "Cà phê Culi Gia Nghĩa",
      slug: "cf-exp",
      sku: "CF-EXP-500",
      cert: "expired",
    });
    products.plain = await product(pid, {
      name: "Cà phê Moka Gia Nghĩa",
      slug: "cf-plain",
      sku: "CF-PLAIN-500",
    });
    shopeeCh = await connect("shopee", pid);
    lazadaCh = await connect("lazada", pid);
  });

  test("preflight reports each problem with its field and code; a dry run writes nothing", async () => {
    const bad = await product(pid, {
      name: "Cà phê OCOP đặc biệt",
      slug: "cf-bad",
      sku: "CF-BAD-500",
      price: null,
      images: false,
    });
    const before = await hub.db.dataSource.query(
      `SELECT (SELECT count(*) FROM listing) l, (SELECT count(*) FROM sync_run) r`,
    );
    const res = await hub.gql(
      PUBLISH,
      { input: { productIds: [toGlobalId("Product", bad)], channelIds: [shopeeCh], dryRun: true } },
      { lang: "en" },
    );
    expect(res.errors).toBeUndefined();
    const [preview] = res.data.publishProducts.channels[0].previews;
    expect(preview.ready).toBe(false);
    const codes = preview.problems.map((p: any) => `${p.field}:${p.code}`).sort();
    // No category mapped yet, no image, no price, and "OCOP" in the name without a certificate.
    expect(codes).toEqual(
      [
        "category:CATEGORY_UNMAPPED",
        "images:IMAGE_MISSING",
        "title:OCOP_CLAIM_UNCERTIFIED",
        "variants.CF-BAD-500.priceVnd:PRICE_MISSING",
      ].sort(),
    );
    const p = preview.problems.find((x: any) => x.code === "PRICE_MISSING");
    expect(p.message).toBe(p.messageEn);
    expect(p.messageVi).toContain("chưa có giá");
    expect(p.hintVi.length).toBeGreaterThan(5);
    const after = await hub.db.dataSource.query(
      `SELECT (SELECT count(*) FROM listing) l, (SELECT count(*) FROM sync_run) r`,
    );
    expect(after).toEqual(before);
    expect(queued).toEqual([]);
  });

  test("mappings through the API; missing required attributes are found from the connector", async () => {
    const cats = await hub.gql(`query($id: ID!) { remoteCategories(channelId: $id) { id name isLeaf } }`, {
      id: shopeeCh,
    });
    const coffee = cats.data.remoteCategories.find((c: any) => c.name === "Cà phê" && c.isLeaf);
    expect(coffee).toBeDefined();
    const set = await hub.gql(
      `mutation($input: SetCategoryMappingInput!) { setCategoryMapping(input: $input) { mapping { id remoteCategoryId } userErrors { code } } }`,
      {
        input: {
          marketplace: "SHOPEE",
          category: "BEVERAGE",
          remoteCategoryId: coffee.id,
          remoteCategoryName: coffee.name,
        },
      },
    );
    expect(set.data.setCategoryMapping.mapping.remoteCategoryId).toBe(coffee.id);
    const dry = await hub.gql(PUBLISH, {
      input: { productIds: [toGlobalId("Product", products.plain)], channelIds: [shopeeCh], dryRun: true },
    });
    const missing = dry.data.publishProducts.channels[0].previews[0].problems.filter(
      (p: any) => p.code === "ATTRIBUTE_MISSING",
    );
    const attrs = await hub.gql(
      `query($id: ID!, $c: String!) { remoteCategoryAttributes(channelId: $id, categoryId: $c) { id required options { id name } } }`,
      {
        id: shopeeCh,
        c: coffee.id,
      },
    );
    const required = attrs.data.remoteCategoryAttributes.filter((a: any) => a.required);
    expect(missing.map((p: any) => p.field).sort()).toEqual(
      required.map((a: any) => `attributes.${a.id}`).sort(),
    );
    for (const a of required) {
      const r = await hub.gql(
        `mutation($input: SetAttributeMappingInput!) { setAttributeMapping(input: $input) { mapping { id } userErrors { field code } } }`,
        {
          input: {
            marketplace: "SHOPEE",
            remoteCategoryId: coffee.id,
            remoteAttributeId: a.id,
            valueSource: "FIXED",
            value: a.options[0]?.id ?? "Việt Nam",
          },
        },
      );
      expect(r.data.setAttributeMapping.userErrors).toEqual([]);
    }
    const badField = await hub.gql(
      `mutation($input: SetAttributeMappingInput!) { setAttributeMapping(input: $input) { userErrors { field code } } }`,
      {
        input: {
          marketplace: "SHOPEE",
          remoteCategoryId: coffee.id,
          remoteAttributeId: "x",
          valueSource: "PRODUCT_FIELD",
          value: "product.secret",
        },
      },
    );
    expect(badField.data.setAttributeMapping.userErrors).toEqual([{ field: "value", code: "INVALID_VALUE" }]);
    // A producer key cannot change the shared mappings.
    const key = await hub.issueKey(ApiKeyRole.PRODUCER, pid);
    const denied = await hub.gql(
      `mutation($input: SetCategoryMappingInput!) { setCategoryMapping(input: $input) { userErrors { code } } }`,
      { input: { marketplace: "SHOPEE", category: "FOOD", remoteCategoryId: coffee.id } },
      { key },
    );
    expect(denied.errors?.[0].extensions?.code).toBe("FORBIDDEN");
    await mapDemoCategories(hub.services.sync, idOf("Channel", lazadaCh)!);
  });

  test("publish creates listings on both sandboxes; OCOP n sao only with a certificate in force", async () => {
    const ids = [products.certified, products.expired, products.plain].map((p) => toGlobalId("Product", p));
    const res = await hub.gql(PUBLISH, {
      input: { productIds: ids, channelIds: [shopeeCh, lazadaCh], dryRun: false },
    });
    expect(res.data.publishProducts.userErrors).toEqual([]);
    for (const c of res.data.publishProducts.channels) {
      expect(c.previews.filter((p: any) => !p.ready).map((p: any) => p.problems)).toEqual([]);
      expect(c.runId).not.toBeNull();
      expect(c.listingsQueued).toBe(3);
    }
    expect(queued).toHaveLength(2);
    const pending = await hub.db.dataSource.query(
      `SELECT DISTINCT state FROM listing WHERE product_id = ANY($1)`,
      [Object.values(products)],
    );
    expect(pending).toEqual([{ state: "PENDING" }]);
    await drain();
    for (const [code, ch] of [
      ["shopee", shopeeCh],
      ["lazada", lazadaCh],
    ] as const) {
      const shopId: string = (
        await hub.db.dataSource.query(`SELECT shop_id FROM channel WHERE id = $1`, [idOf("Channel", ch)])
      )[0].shop_id;
      const sb = sandboxes[code];
      const cert = sb.skuView(shopId, "CF-CERT-500")!;
      expect(cert.title).toBe("Cà phê Robusta Gia Nghĩa gói 500g – OCOP 4 sao");
      expect(cert.description).toContain("123/QĐ-UBND");
      expect(cert.priceVnd).toBe(185_000);
      expect(cert.stock).toBe(40);
      expect(cert.images.length).toBe(1);
      expect(sb.skuView(shopId, "CF-EXP-500")!.title).toBe("Cà phê Culi Gia Nghĩa gói 500g");
      expect(sb.skuView(shopId, "CF-PLAIN-500")!.title).not.toContain("OCOP");
    }
    const rows = await hub.db.dataSource.query(
      `SELECT state, external_item_id, price_version = price_pushed_version AS price_clean,
              stock_version = stock_pushed_version AS stock_clean, content_version = content_pushed_version AS content_clean
         FROM listing WHERE product_id = ANY($1)`,
      [Object.values(products)],
    );
    expect(rows).toHaveLength(6);
    for (const r of rows)
      expect(r).toMatchObject({ state: "LIVE", price_clean: true, stock_clean: true, content_clean: true });
    expect(rows.every((r: any) => r.external_item_id)).toBe(true);
    const runs = await hub.db.dataSource.query(
      `SELECT status, outcome, applied, failed FROM sync_run WHERE kind = 'PUBLISH'`,
    );
    expect(runs).toEqual([
      { status: "FINISHED", outcome: "SUCCEEDED", applied: 3, failed: 0 },
      { status: "FINISHED", outcome: "SUCCEEDED", applied: 3, failed: 0 },
    ]);
    const ch = await hub.gql(
      `query($id: ID!) { channel(id: $id) { listingCounts { state count } lastSuccess { kind } } }`,
      { id: shopeeCh },
    );
    expect(ch.data.channel.listingCounts).toEqual([{ state: "LIVE", count: 3 }]);
    expect(ch.data.channel.lastSuccess).toEqual([{ kind: "PUBLISH" }]);
  });

  test("an existing remote listing is linked by SKU, not duplicated", async () => {
    const linked = await product(pid, {
      name: "Cà phê Arabica Gia Nghĩa",
      slug: "cf-link",
      sku: "CF-LINK-500",
    });
    const shopId: string = (
      await hub.db.dataSource.query(`SELECT shop_id FROM channel WHERE id = $1`, [idOf("Channel", shopeeCh)])
    )[0].shop_id;
    const sb = sandboxes.shopee;
    const { externalItemId } = sb.seedListing(shopId, {
      title: "Cà phê Arabica (đăng tay)",
      variants: [{ sku: "CF-LINK-500", priceVnd: 150_000, stock: 3 }],
    });
    const before = sb.allSkus(shopId).length;
    sb.resetCounters();
    await hub.gql(PUBLISH, {
      input: { productIds: [toGlobalId("Product", linked)], channelIds: [shopeeCh], dryRun: false },
    });
    await drain();
    expect(sb.allSkus(shopId).length).toBe(before);
    expect(sb.counters().calls["/api/v2/product/add_item"] ?? 0).toBe(0);
    const [l] = await hub.db.dataSource.query(
      `SELECT state, external_item_id, stock_version > stock_pushed_version AS stock_dirty FROM listing WHERE product_id = $1`,
      [linked],
    );
    // Linked and LIVE; its stock and price stay dirty so the outbox brings the shop in line.
    expect(l).toEqual({ state: "LIVE", external_item_id: externalItemId, stock_dirty: true });
  });

  test("a producer key cannot publish to another producer's channel", async () => {
    const other = await producer("HTX Khác");
    const key = await hub.issueKey(ApiKeyRole.PRODUCER, other);
    const res = await hub.gql(
      PUBLISH,
      {
        input: { productIds: [toGlobalId("Product", products.plain)], channelIds: [shopeeCh], dryRun: true },
      },
      { key },
    );
    expect(res.data.publishProducts.userErrors[0]).toMatchObject({ code: "NOT_FOUND" });
  });
});

test("npm start demo: four sandbox channels for the biggest producer, products LIVE, idempotent", async () => {
  const pid = await producer("HTX Đặc sản Demo");
  for (let i = 0; i < 8; i++)
    await product(pid, {
      name: `Trà Shan tuyết cổ thụ số ${i + 1} Hà Giang`,
      slug: `demo-${i}`,
      sku: `DEMO-${i}`,
      images: false,
    });
  await hub.db.dataSource.query(`UPDATE variant SET weight_grams = NULL WHERE producer_id = $1`, [pid]);
  const r = await connectDemoChannels(hub.services.sync, sandboxes, queue, { hubUrl: "http://127.0.0.1:1" });
  expect(r.producerId).toBe(pid);
  expect(r.channels.map((c) => c.marketplace).sort()).toEqual(["lazada", "shopee", "tiki", "tiktok-shop"]);
  await drain();
  const states = await hub.db.dataSource.query(
    `SELECT c.marketplace, l.state, count(*)::int n, max(l.last_error::text) err FROM listing l JOIN channel c ON c.id = l.channel_id
      WHERE c.producer_id = $1 GROUP BY 1, 2 ORDER BY 1`,
    [pid],
  );
  expect(states).toEqual(
    ["lazada", "shopee", "tiki", "tiktok-shop"].map((m) => ({
      marketplace: m,
      state: "LIVE",
      n: 8,
      err: null,
    })),
  );
  const again = await connectDemoChannels(hub.services.sync, sandboxes, queue, {
    hubUrl: "http://127.0.0.1:1",
  });
  expect(again.channels).toEqual([]);
});

test("Tiki reviews a new product: PENDING and explained meanwhile, linked and LIVE once approved; a lost request fails explained", async () => {
  const tiki = sandboxes.tiki;
  tiki.setFaults({ createReviewMs: 300 });
  try {
    const pid = await producer("HTX Mật ong Bạc Hà Đồng Văn");
    const description =
      "Mật ong hoa bạc hà nguyên chất từ cao nguyên đá Đồng Văn, thu hoạch mùa đông, không pha trộn, kết tinh tự nhiên khi trời lạnh.";
    const a = await product(pid, {
      name: "Mật ong bạc hà Đồng Văn",
      slug: "mo-review-a",
      sku: "MO-REVIEW-A",
      description,
    });
    const b = await product(pid, {
      name: "Mật ong bạc hà Mèo Vạc",
      slug: "mo-review-b",
      sku: "MO-REVIEW-B",
      description,
    });
    const ch = await connect("tiki", pid);
    const channelId = idOf("Channel", ch)!;
    await mapDemoCategories(hub.services.sync, channelId);
    const res = await hub.gql(PUBLISH, {
      input: { productIds: [toGlobalId("Product", a), toGlobalId("Product", b)], channelIds: [ch] },
    });
    expect(res.data.publishProducts.userErrors).toEqual([]);
    await drain();
    const rows = () =>
      hub.db.dataSource.query(
        `SELECT v.sku, l.state, l.external_item_id, l.content_review, l.last_error->>'code' AS code,
                l.last_error->>'messageEn' AS message, l.last_error->>'remoteMessage' AS remote
           FROM listing l JOIN variant v ON v.id = l.variant_id WHERE l.channel_id = $1 ORDER BY v.sku`,
        [channelId],
      );
    // In review: nothing to link yet, so PENDING (not LIVE without an id), explained, and followed.
    for (const r of await rows()) {
      expect(r).toMatchObject({ state: "PENDING", external_item_id: null, code: "LISTING_IN_REVIEW" });
      expect(r.content_review).toMatchObject({ state: "IN_REVIEW", kind: "CREATE", hidden: false });
      expect(r.message).toContain("reviews every new product");
    }
    // A second publish while Tiki reviews does not send the creation again.
    await hub.gql(PUBLISH, { input: { productIds: [toGlobalId("Product", a)], channelIds: [ch] } });
    await drain();
    const [{ shop_id: shopId }] = await hub.db.dataSource.query(`SELECT shop_id FROM channel WHERE id = $1`, [
      channelId,
    ]);
    expect(tiki.allSkus(shopId)).toEqual([]);
    // Tiki loses B's request (its track id is unknown): that creation fails, explained.
    await hub.db.dataSource.query(
      `UPDATE listing l SET content_review = jsonb_set(l.content_review, '{trackId}', '"lost-track-id"')
        FROM variant v WHERE v.id = l.variant_id AND v.sku = 'MO-REVIEW-B' AND l.channel_id = $1`,
      [channelId],
    );
    await new Promise((r) => setTimeout(r, 350));
    const follower = new ContentReviewFollower(hub.services.sync, queue);
    expect(await follower.followAll()).toMatchObject({ checked: 2, approved: 1, rejected: 1 });
    expect(await follower.followAll()).toMatchObject({ checked: 0 }); // decided requests are not asked again
    await drain();
    const [ra, rb] = await rows();
    expect(ra).toMatchObject({ sku: "MO-REVIEW-A", state: "LIVE", content_review: null, code: null });
    expect(ra.external_item_id).toMatch(/^\d+$/);
    expect(rb).toMatchObject({
      sku: "MO-REVIEW-B",
      state: "FAILED",
      content_review: null,
      remote: "tracking id not found",
    });
    expect(tiki.skuView(shopId, "MO-REVIEW-A")).toMatchObject({ sku: "MO-REVIEW-A" });
  } finally {
    tiki.setFaults({ createReviewMs: 0 });
  }
});
