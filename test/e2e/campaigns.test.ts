/**
 * Sale windows end to end: GraphQL createCampaign (preview, validation, overlap), the ticker on a
 * test clock starting and ending occurrences, the outbox pushing to the four sandboxes over HTTP,
 * and what the sandboxes show (never our own records) at every step.
 */
import { startTestHub, TestHub } from "../support/test-hub";
import { SANDBOXES } from "../../src/sandbox/registry";
import type { MarketplaceSandbox } from "../../src/sandbox/sandbox";
import type { MarketplaceCode } from "../../src/channels/connectors/connector";
import { toGlobalId } from "../../src/common/graphql/global-id";
import { runPublish } from "../../src/sync/publish.service";
import { connectDemoChannels } from "../../src/sync/demo-channels";
import { OutboxDispatcher } from "../../src/sync/outbox.dispatcher";
import { SyncTrigger } from "../../src/sync/entities/sync-run.entity";
import type { JobQueue } from "../../src/sync/jobs";
import { resetRateBudgets } from "../../src/channels/connectors/http/rate-budget";
import { clearRemoteCatalogCache } from "../../src/channels/mapping.service";
import { ManualClock } from "../../src/common/time";
import { CampaignTicker } from "../../src/campaigns/campaign-ticker";
import { ApiKeyRole } from "../../src/auth/api-key.entity";
import type { ShopeeSandbox } from "../../src/sandbox/shopee/shopee.sandbox";
import { processOrderImportJob } from "../../src/orders/order-import.service";

const CODES: MarketplaceCode[] = ["shopee", "lazada", "tiktok-shop", "tiki"];
const SKUS = ["CD-MAM-200", "CD-MAM-500"];
const NORMAL: Record<string, number> = { "CD-MAM-200": 85_000, "CD-MAM-500": 190_000 };
let hub: TestHub;
const sandboxes = {} as Record<MarketplaceCode, MarketplaceSandbox>;
const queued: string[] = [];
const queue: JobQueue = {
  enqueueRun: async (id) => void queued.push(id),
  enqueueOrderImport: async () => undefined,
};
let producerId: string;
let otherVariant: string;
const variants: Record<string, string> = {};
let channels: Array<{ id: string; marketplace: MarketplaceCode; shopId: string }>;
const clock = new ManualClock(new Date());
let ticker: CampaignTicker;

const CREATE = `mutation($input: CreateCampaignInput!, $dryRun: Boolean) {
  createCampaign(input: $input, dryRun: $dryRun) {
    dryRun
    campaign { id name state pricing startsAt endsAt occurrences { startsAt endsAt state } variants { sku salePriceVnd reservedUnits } channels { marketplace method } }
    occurrences { startsAt endsAt }
    preview { marketplace sku normalPriceVnd salePriceVnd method reason reasonVi reasonEn listed reservedUnits warnings { code message } }
    userErrors { field code message }
  }
}`;

beforeAll(async () => {
  resetRateBudgets();
  clearRemoteCatalogCache();
  hub = await startTestHub();
  hub.services.queue = queue;
  // The hub runs on the real clock (marketplace signatures need it); the ticker on a test clock.
  ticker = new CampaignTicker(hub.services.sync, { clock });
  for (const code of CODES) {
    sandboxes[code] = SANDBOXES[code]();
    await sandboxes[code].start(0);
  }
  const ds = hub.db.dataSource;
  const [pr] = await ds.query(
    `INSERT INTO producer (legal_name, name_key, type) VALUES ('HTX Mắm Cửa Đại', 'htx mam cua dai', 'COOPERATIVE') RETURNING id`,
  );
  producerId = pr.id;
  const [p] = await ds.query(
    `INSERT INTO product (producer_id, name, search_key, slug, category, description, images)
     VALUES ($1, 'Mắm cá cơm Cửa Đại ủ chượp truyền thống', 'mam ca com cua dai u chuop truyen thong', 'mam-ca-com', 'FOOD',
             'Mắm cá cơm ủ chượp 12 tháng trong thùng gỗ theo cách của làng biển Cửa Đại, Hội An; không chất bảo quản, đóng chai thủy tinh.', '[]') RETURNING id`,
    [pr.id],
  );
  for (const sku of SKUS) {
    const [v] = await ds.query(
      `INSERT INTO variant (product_id, producer_id, sku, pack_spec, price_vnd) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
      [p.id, pr.id, sku, sku.endsWith("200") ? "chai 200ml" : "chai 500ml", NORMAL[sku]],
    );
    await ds.query(`INSERT INTO stock_level (variant_id, on_hand, reserved) VALUES ($1, 40, 0)`, [v.id]);
    variants[sku] = v.id;
  }
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
  // Lazada sells at +10 %, rounded up to 1,000 đ: discounts must follow that channel's rounding.
  const lazada = channels.find((c) => c.marketplace === "lazada")!;
  await ds.query(
    `UPDATE channel SET settings = jsonb_set(coalesce(settings, '{}'), '{priceRule}', '{"markupBasisPoints":1000,"roundingStepVnd":1000,"rounding":"UP"}') WHERE id = $1`,
    [lazada.id],
  );
  await ds.query(`UPDATE listing SET price_version = price_version + 1 WHERE channel_id = $1`, [lazada.id]);
  await pushAll();
  // Another producer's variant, for the tenancy check.
  const [o] = await ds.query(
    `INSERT INTO producer (legal_name, name_key, type) VALUES ('HTX Khác', 'htx khac', 'COOPERATIVE') RETURNING id`,
  );
  const [op] = await ds.query(
    `INSERT INTO product (producer_id, name, search_key, slug, category) VALUES ($1, 'Nước mắm khác', 'nuoc mam khac', 'nuoc-mam-khac', 'FOOD') RETURNING id`,
    [o.id],
  );
  const [ov] = await ds.query(
    `INSERT INTO variant (product_id, producer_id, sku, price_vnd) VALUES ($1, $2, 'OTHER-1', 50000) RETURNING id`,
    [op.id, o.id],
  );
  otherVariant = ov.id;
}, 90_000);

afterAll(async () => {
  await ticker?.stop();
  for (const s of Object.values(sandboxes)) await s?.close();
  await hub?.close();
});

/** Pushes every dirty price and stock of every channel, as the worker would on NOTIFY. */
async function pushAll(): Promise<void> {
  const d = new OutboxDispatcher(hub.services.sync, { minCycleMs: 0 });
  for (const c of channels) {
    await d.dispatch(c.id, "price", SyncTrigger.EVENT);
    await d.dispatch(c.id, "stock", SyncTrigger.EVENT);
  }
}

/**
 * What each marketplace shows for a SKU: { shopee: 85000, … }. A price is what a buyer pays at the
 * ticker's clock: on Shopee, a discount in force (native promotion) or else the listed price.
 */
function shown(sku: string, what: "priceVnd" | "stock"): Record<string, number | undefined> {
  return Object.fromEntries(
    channels.map((c) => [
      c.marketplace,
      what === "priceVnd" && c.marketplace === "shopee"
        ? (shopee().buyerPriceAt(c.shopId, sku, clock.now().getTime()) ?? undefined)
        : sandboxes[c.marketplace].skuView(c.shopId, sku)?.[what],
    ]),
  );
}

function shopee(): ShopeeSandbox {
  return sandboxes.shopee as ShopeeSandbox;
}

function shopeeShop(): string {
  return channels.find((c) => c.marketplace === "shopee")!.shopId;
}

/** Ticks at the real time: what the workers do right after a campaign is saved (schedules promotions). */
async function tickNow() {
  clock.set(new Date());
  return ticker.tick();
}

function everywhere(value: number): Record<string, number> {
  return Object.fromEntries(CODES.map((c) => [c, value]));
}

/** The normal price on each marketplace (Lazada: +10 %, up to 1,000 đ). */
function normal(catalogue: number): Record<string, number> {
  return { ...everywhere(catalogue), lazada: Math.ceil((catalogue * 11) / 10 / 1000) * 1000 };
}

function input(over: Record<string, unknown> = {}) {
  const start = new Date(Date.now() + 3_600_000);
  return {
    producerId: toGlobalId("Producer", producerId),
    name: "Livestream Chợ đêm trên mây",
    channelIds: channels.map((c) => toGlobalId("Channel", c.id)),
    variants: SKUS.map((sku) => ({
      variantId: toGlobalId("Variant", variants[sku]),
      salePriceVnd: sku.endsWith("200") ? 69_000 : 159_000,
    })),
    startsAt: start.toISOString(),
    endsAt: new Date(start.getTime() + 3_600_000).toISOString(),
    ...over,
  };
}

async function campaignCount(): Promise<number> {
  const [{ n }] = await hub.db.dataSource.query(`SELECT count(*)::int AS n FROM campaign`);
  return n;
}

test("the four sandboxes start at the normal prices", () => {
  expect(channels).toHaveLength(4);
  for (const sku of SKUS) expect(shown(sku, "priceVnd")).toEqual(normal(NORMAL[sku]));
});

test("a dry run previews every channel × variant with its method and reason, and writes nothing", async () => {
  const r = await hub.gql(CREATE, { input: input(), dryRun: true }, { lang: "en" });
  const p = r.data.createCampaign;
  expect(p.userErrors).toEqual([]);
  expect(p.dryRun).toBe(true);
  expect(p.campaign).toBeNull();
  expect(p.occurrences).toHaveLength(1);
  expect(p.preview).toHaveLength(8);
  const lazada200 = p.preview.find((x: any) => x.marketplace === "LAZADA" && x.sku === "CD-MAM-200");
  expect(lazada200).toMatchObject({
    normalPriceVnd: 94_000,
    salePriceVnd: 69_000,
    method: "PRICE_ADJUST",
    listed: true,
  });
  // Shopee runs its own discount for a window of an hour or more; the others get the price adjusted.
  for (const x of p.preview) {
    expect(x.reason).toBe(x.reasonEn);
    if (x.marketplace === "SHOPEE") {
      expect(x.method).toBe("NATIVE_PROMOTION");
      expect(x.reasonEn).toMatch(/schedules a Shopee discount \(v2\.discount\.add_discount\) ahead/);
      expect(x.reasonVi).toMatch(/Hub đặt lịch Shopee discount/);
    } else {
      expect(x.method).toBe("PRICE_ADJUST");
      expect(x.reasonEn).toMatch(/does not drive the marketplace's own promotion/);
      expect(x.reasonVi).toMatch(/Hub chưa điều khiển/);
    }
  }
  // A window shorter than an hour cannot be a Shopee discount: adjusted there too, and said why.
  const short = await hub.gql(
    CREATE,
    { input: input({ endsAt: new Date(Date.now() + 3_600_000 + 1_800_000).toISOString() }), dryRun: true },
    { lang: "en" },
  );
  const shortShopee = short.data.createCampaign.preview.find((x: any) => x.marketplace === "SHOPEE");
  expect(shortShopee.method).toBe("PRICE_ADJUST");
  expect(shortShopee.reasonEn).toMatch(/must last at least an hour/);
  expect(p.preview.flatMap((x: any) => x.warnings)).toEqual([]);
  // A "sale" price above the normal price is flagged where it is (not on Lazada, which lists at 94,000).
  const odd = await hub.gql(
    CREATE,
    {
      input: input({
        variants: [{ variantId: toGlobalId("Variant", variants["CD-MAM-200"]), salePriceVnd: 90_000 }],
      }),
      dryRun: true,
    },
    { lang: "en" },
  );
  const warned = odd.data.createCampaign.preview.map((x: any) => [
    x.marketplace,
    x.warnings.map((w: any) => w.code),
  ]);
  expect(warned.sort()).toEqual([
    ["LAZADA", []],
    ["SHOPEE", ["NOT_A_DISCOUNT"]],
    ["TIKI", ["NOT_A_DISCOUNT"]],
    ["TIKTOK_SHOP", ["NOT_A_DISCOUNT"]],
  ]);
  const shopeeWarning = odd.data.createCampaign.preview.find((x: any) => x.marketplace === "SHOPEE")
    .warnings[0];
  expect(shopeeWarning.message).toBe("The sale price 90.000 ₫ is not below the normal price 85.000 ₫.");
  expect(await campaignCount()).toBe(0);
});

test("windows, prices, pricing choice and tenancy are validated with vi/en messages", async () => {
  const cases: Array<[Record<string, unknown>, string, string]> = [
    [{ endsAt: new Date(Date.now() + 1_800_000).toISOString() }, "endsAt", "WINDOW_END_BEFORE_START"],
    [{ startsAt: new Date(Date.now() - 60_000).toISOString() }, "startsAt", "WINDOW_IN_PAST"],
    [
      { variants: [{ variantId: toGlobalId("Variant", variants["CD-MAM-200"]), salePriceVnd: 0 }] },
      "variants.0.salePriceVnd",
      "MUST_BE_POSITIVE",
    ],
    [
      { variants: [{ variantId: toGlobalId("Variant", otherVariant), salePriceVnd: 1000 }] },
      "variants.0.variantId",
      "NOT_FOUND",
    ],
    [{ discount: { kind: "PERCENT", value: 2000 } }, "discount", "CAMPAIGN_PRICING"],
    [
      { channelIds: [toGlobalId("Channel", channels[0].id), toGlobalId("Channel", channels[0].id)] },
      "channelIds",
      "DUPLICATE",
    ],
    [
      {
        variants: [
          { variantId: toGlobalId("Variant", variants["CD-MAM-200"]), salePriceVnd: 1000 },
          { variantId: toGlobalId("Variant", variants["CD-MAM-200"]), salePriceVnd: 2000 },
        ],
      },
      "variants",
      "DUPLICATE",
    ],
    [{ startsAt: null, endsAt: null }, "", "CAMPAIGN_WINDOW_REQUIRED"],
    [
      {
        startsAt: null,
        endsAt: null,
        recurrence: {
          weekdays: [8],
          startTime: "25:00",
          endTime: "23:00",
          fromDate: "2026-01-01",
          untilDate: "2026-02-01",
        },
      },
      "recurrence.weekdays",
      "OUT_OF_RANGE",
    ],
    [
      { variants: [{ variantId: toGlobalId("Variant", variants["CD-MAM-200"]) }] },
      "variants.0.salePriceVnd",
      "CAMPAIGN_PRICING",
    ],
  ];
  for (const [over, field, code] of cases) {
    const r = await hub.gql(CREATE, { input: input(over) });
    expect(r.data.createCampaign.userErrors).toContainEqual(expect.objectContaining({ field, code }));
  }
  const en = await hub.gql(CREATE, { input: input(cases[0][0]) }, { lang: "en" });
  expect(en.data.createCampaign.userErrors[0].message).toBe("The end must be after the start.");
  const vi = await hub.gql(CREATE, { input: input(cases[0][0]) });
  expect(vi.data.createCampaign.userErrors[0].message).toBe("Thời điểm kết thúc phải sau thời điểm bắt đầu.");
  expect(await campaignCount()).toBe(0);
});

let mainId: string;
let mainStart: Date;
let mainEnd: Date;

test("a campaign is created SCHEDULED; an overlapping one on a shared variant and channel is refused, naming it", async () => {
  const r = await hub.gql(CREATE, { input: input() });
  const c = r.data.createCampaign.campaign;
  expect(r.data.createCampaign.userErrors).toEqual([]);
  expect(c).toMatchObject({ state: "SCHEDULED", pricing: "SALE_PRICES" });
  mainId = c.id;
  mainStart = new Date(c.startsAt);
  mainEnd = new Date(c.endsAt);
  expect(c.channels.map((x: any) => [x.marketplace, x.method]).sort()).toEqual([
    ["LAZADA", "PRICE_ADJUST"],
    ["SHOPEE", "NATIVE_PROMOTION"],
    ["TIKI", "PRICE_ADJUST"],
    ["TIKTOK_SHOP", "PRICE_ADJUST"],
  ]);
  // The next tick schedules the Shopee discount for the window, with the sale prices, on Shopee itself.
  expect((await tickNow()).promotions).toMatchObject({ scheduled: 1 });
  const [discount] = shopee().discountsOf(shopeeShop());
  // Shopee keeps whole seconds.
  const seconds = (d: Date) => Math.floor(d.getTime() / 1000) * 1000;
  expect(discount).toMatchObject({ name: "Livestream Chợ đêm trên mây", startsAt: seconds(mainStart) });
  expect(discount.endsAt).toBe(seconds(mainEnd));
  expect(Object.values(discount.prices).sort()).toEqual([159_000, 69_000]);

  const tiki = channels.find((x) => x.marketplace === "tiki")!;
  const overlapping = input({
    name: "Hội chợ OCOP online",
    channelIds: [toGlobalId("Channel", tiki.id)],
    variants: [{ variantId: toGlobalId("Variant", variants["CD-MAM-500"]), salePriceVnd: 150_000 }],
    startsAt: new Date(mainEnd.getTime() - 600_000).toISOString(),
    endsAt: new Date(mainEnd.getTime() + 3_600_000).toISOString(),
  });
  const refused = await hub.gql(CREATE, { input: overlapping }, { lang: "en" });
  const [e] = refused.data.createCampaign.userErrors;
  expect(e).toMatchObject({ field: "variants.0.variantId", code: "CAMPAIGN_OVERLAP" });
  expect(e.message).toContain(`"Livestream Chợ đêm trên mây" (${mainId})`);
  expect(e.message).toContain("CD-MAM-500");
  const vi = await hub.gql(CREATE, { input: overlapping });
  expect(vi.data.createCampaign.userErrors[0].message).toMatch(/^Trùng thời gian với chiến dịch "Livestream/);
  // Right after the window it is fine.
  const after = await hub.gql(CREATE, {
    input: {
      ...overlapping,
      startsAt: mainEnd.toISOString(),
      endsAt: new Date(mainEnd.getTime() + 3_600_000).toISOString(),
    },
    dryRun: true,
  });
  expect(after.data.createCampaign.userErrors).toEqual([]);
  expect(await campaignCount()).toBe(1);
});

test("three overlapping creations racing: exactly one is created, the others refused", async () => {
  const start = new Date(Date.now() + 30 * 86_400_000);
  const race = (name: string) =>
    hub.gql(CREATE, {
      input: input({
        name,
        startsAt: start.toISOString(),
        endsAt: new Date(start.getTime() + 3_600_000).toISOString(),
      }),
    });
  const results = await Promise.all([race("Đua 1"), race("Đua 2"), race("Đua 3")]);
  const created = results.filter((r) => r.data.createCampaign.campaign);
  const refused = results.filter((r) => r.data.createCampaign.userErrors[0]?.code === "CAMPAIGN_OVERLAP");
  expect([created.length, refused.length]).toEqual([1, 2]);
  // Cancelled again, so the rest of this file sees the same world.
  const c = await hub.gql(`mutation($id: ID!) { cancelCampaign(id: $id) { userErrors { code } } }`, {
    id: created[0].data.createCampaign.campaign.id,
  });
  expect(c.data.cancelCampaign.userErrors).toEqual([]);
  await hub.db.dataSource.query(`DELETE FROM campaign WHERE id = $1`, [
    created[0].data.createCampaign.campaign.id,
  ]);
});

test("nothing happens before the start; at the start the sale prices are live on every sandbox, flipped once by concurrent ticks", async () => {
  clock.set(new Date(mainStart.getTime() - 1));
  expect(await ticker.tick()).toMatchObject({ started: 0, ended: 0 });
  clock.set(mainStart);
  const before = await hub.db.dataSource.query(
    `SELECT sum(price_version)::int AS v FROM listing WHERE channel_id = ANY($1::uuid[])`,
    [channels.map((c) => c.id)],
  );
  // Three processes' ticks at the same instant: one start, eight listings touched once.
  const other = () => new CampaignTicker(hub.services.sync, { clock });
  const results = await Promise.all([ticker.tick(), other().tick(), other().tick()]);
  expect(results.reduce((n, r) => n + r.started, 0)).toBe(1);
  // Six listings: Shopee's listed price is not touched, its own discount does the work.
  expect(results.reduce((n, r) => n + r.touched, 0)).toBe(6);
  const after = await hub.db.dataSource.query(
    `SELECT sum(price_version)::int AS v FROM listing WHERE channel_id = ANY($1::uuid[])`,
    [channels.map((c) => c.id)],
  );
  expect(after[0].v - before[0].v).toBe(6);
  const q = await hub.gql(`query($id: ID!) { campaign(id: $id) { state occurrences { state startedAt } } }`, {
    id: mainId,
  });
  expect(q.data.campaign.state).toBe("RUNNING");
  await pushAll();
  expect(shown("CD-MAM-200", "priceVnd")).toEqual(everywhere(69_000));
  expect(shown("CD-MAM-500", "priceVnd")).toEqual(everywhere(159_000));
  expect(shopee().skuView(shopeeShop(), "CD-MAM-200")!.priceVnd).toBe(85_000); // listed price unchanged
});

test("a catalogue price change during the window keeps the sale price; the end reverts to the NEW normal price", async () => {
  await hub.db.dataSource.query(`UPDATE variant SET price_vnd = 99000 WHERE id = $1`, [
    variants["CD-MAM-200"],
  ]);
  await pushAll();
  expect(shown("CD-MAM-200", "priceVnd")).toEqual(everywhere(69_000));

  clock.set(mainEnd);
  expect(await ticker.tick()).toMatchObject({ started: 0, ended: 1 });
  expect(await ticker.tick()).toMatchObject({ started: 0, ended: 0 });
  await pushAll();
  expect(shown("CD-MAM-200", "priceVnd")).toEqual(normal(99_000));
  expect(shown("CD-MAM-500", "priceVnd")).toEqual(normal(190_000));
  // 0 variants left at a sale price on any marketplace.
  const atSale = CODES.flatMap((code) =>
    SKUS.filter((sku) => [69_000, 159_000].includes(shown(sku, "priceVnd")[code]!)),
  );
  expect(atSale).toEqual([]);
  const q = await hub.gql(`query($id: ID!) { campaign(id: $id) { state occurrences { state endedAt } } }`, {
    id: mainId,
  });
  expect(q.data.campaign).toMatchObject({ state: "ENDED", occurrences: [{ state: "ENDED" }] });
});

test("a weekly recurrence (Fridays 20:30–23:00, Vietnam) materialises its occurrences and runs each one", async () => {
  // Fridays of the next three weeks.
  const today = new Date(Date.now() + 7 * 3_600_000);
  const from = new Date(today.getTime() + 86_400_000).toISOString().slice(0, 10);
  const until = new Date(today.getTime() + 21 * 86_400_000).toISOString().slice(0, 10);
  const r = await hub.gql(CREATE, {
    input: input({
      name: "Chợ đêm trên mây thứ Sáu",
      startsAt: null,
      endsAt: null,
      recurrence: { weekdays: [5], startTime: "20:30", endTime: "23:00", fromDate: from, untilDate: until },
    }),
  });
  expect(r.data.createCampaign.userErrors).toEqual([]);
  const c = r.data.createCampaign.campaign;
  expect(c.occurrences.length).toBe(3);
  for (const o of c.occurrences) {
    const s = new Date(o.startsAt);
    expect(s.getUTCDay()).toBe(5);
    expect(s.toISOString().slice(11, 16)).toBe("13:30"); // 20:30 in Vietnam
    expect(new Date(o.endsAt).getTime() - s.getTime()).toBe(150 * 60_000);
  }
  expect((await tickNow()).promotions).toMatchObject({ scheduled: 3 });
  const first = c.occurrences[0];
  clock.set(new Date(first.startsAt));
  expect(await ticker.tick()).toMatchObject({ started: 1 });
  await pushAll();
  expect(shown("CD-MAM-200", "priceVnd")).toEqual(everywhere(69_000));
  clock.set(new Date(first.endsAt));
  expect(await ticker.tick()).toMatchObject({ ended: 1 });
  await pushAll();
  expect(shown("CD-MAM-200", "priceVnd")).toEqual(normal(99_000));
  const q = await hub.gql(`query($id: ID!) { campaign(id: $id) { state occurrences { state } } }`, {
    id: c.id,
  });
  expect(q.data.campaign.state).toBe("SCHEDULED");
  expect(q.data.campaign.occurrences.map((o: any) => o.state)).toEqual(["ENDED", "SCHEDULED", "SCHEDULED"]);
  // Cancelled before its next Friday: nothing more will run.
  const cancel = await hub.gql(
    `mutation($id: ID!) { cancelCampaign(id: $id) { campaign { state occurrences { state } } userErrors { code } } }`,
    { id: c.id },
  );
  expect(cancel.data.cancelCampaign.campaign.occurrences.map((o: any) => o.state)).toEqual([
    "ENDED",
    "CANCELLED",
    "CANCELLED",
  ]);
  // Its two Shopee discounts still to come are deleted from Shopee by the next tick.
  const before = shopee().discountsOf(shopeeShop()).length;
  expect((await tickNow()).promotions).toMatchObject({ ended: 2 });
  expect(shopee().discountsOf(shopeeShop()).length).toBe(before - 2);
});

test("a percent discount follows each channel's rounding; cancelling mid-way reverts at once", async () => {
  const start = new Date(Date.now() + 7_200_000);
  const r = await hub.gql(CREATE, {
    input: input({
      name: "Flash sale 20 %",
      variants: SKUS.map((sku) => ({ variantId: toGlobalId("Variant", variants[sku]) })),
      discount: { kind: "PERCENT", value: 2000 },
      startsAt: start.toISOString(),
      endsAt: new Date(start.getTime() + 3_600_000).toISOString(),
    }),
  });
  expect(r.data.createCampaign.userErrors).toEqual([]);
  const id = r.data.createCampaign.campaign.id;
  expect((await tickNow()).promotions).toMatchObject({ scheduled: 1 });
  clock.set(start);
  expect(await ticker.tick()).toMatchObject({ started: 1 });
  await pushAll();
  // 99,000 × 0.8 = 79,200; Lazada: 109,000 (99,000 + 10 % rounded up) × 0.8 = 87,200 → 88,000.
  expect(shown("CD-MAM-200", "priceVnd")).toEqual({ ...everywhere(79_200), lazada: 88_000 });
  expect(shown("CD-MAM-500", "priceVnd")).toEqual({ ...everywhere(152_000), lazada: 168_000 });

  const cancel = await hub.gql(
    `mutation($id: ID!) { cancelCampaign(id: $id) { campaign { state cancelledAt occurrences { state } } userErrors { code } } }`,
    { id },
  );
  expect(cancel.data.cancelCampaign.userErrors).toEqual([]);
  expect(cancel.data.cancelCampaign.campaign).toMatchObject({
    state: "CANCELLED",
    occurrences: [{ state: "CANCELLED" }],
  });
  // The next tick removes the Shopee discount; the outbox restores the others' listed prices.
  expect((await ticker.tick()).promotions).toMatchObject({ ended: 1 });
  await pushAll();
  expect(shown("CD-MAM-200", "priceVnd")).toEqual(normal(99_000));
  expect(shown("CD-MAM-500", "priceVnd")).toEqual(normal(190_000));
  // The ticker at the planned end finds nothing left to do, and a second cancel is refused.
  clock.set(new Date(start.getTime() + 3_600_000));
  expect(await ticker.tick()).toMatchObject({ started: 0, ended: 0, touched: 0 });
  const again = await hub.gql(
    `mutation($id: ID!) { cancelCampaign(id: $id) { campaign { id } userErrors { code message } } }`,
    { id },
    { lang: "en" },
  );
  expect(again.data.cancelCampaign.userErrors[0]).toMatchObject({
    code: "CAMPAIGN_STATE",
    message: "The campaign is CANCELLED; it cannot be cancelled.",
  });
});

test("reserved units are held out of the other channels' stock during the window, and come back at the end", async () => {
  const tiktok = channels.find((c) => c.marketplace === "tiktok-shop")!;
  expect(shown("CD-MAM-500", "stock")).toEqual(everywhere(40));
  const start = new Date(Date.now() + 10_800_000);
  const r = await hub.gql(CREATE, {
    input: input({
      name: "Livestream TikTok",
      channelIds: [toGlobalId("Channel", tiktok.id)],
      variants: [
        {
          variantId: toGlobalId("Variant", variants["CD-MAM-500"]),
          salePriceVnd: 149_000,
          reservedUnits: 15,
        },
      ],
      startsAt: start.toISOString(),
      endsAt: new Date(start.getTime() + 3_600_000).toISOString(),
    }),
  });
  expect(r.data.createCampaign.userErrors).toEqual([]);
  expect(r.data.createCampaign.preview).toEqual([
    expect.objectContaining({ marketplace: "TIKTOK_SHOP", reservedUnits: 15, salePriceVnd: 149_000 }),
  ]);
  clock.set(start);
  expect(await ticker.tick()).toMatchObject({ started: 1 });
  await pushAll();
  expect(shown("CD-MAM-500", "stock")).toEqual({ ...everywhere(25), "tiktok-shop": 40 });
  expect(shown("CD-MAM-500", "priceVnd")).toEqual({ ...normal(190_000), "tiktok-shop": 149_000 });
  // 5 units sold in the livestream come out of the hold: the other channels do not drop again.
  const { externalOrderId } = sandboxes["tiktok-shop"].createOrder(tiktok.shopId, [
    { sku: "CD-MAM-500", quantity: 5 },
  ]);
  await processOrderImportJob(hub.services.sync, {
    channelId: tiktok.id,
    externalOrderIds: [externalOrderId],
    source: "PULL",
  });
  await pushAll();
  expect(shown("CD-MAM-500", "stock")).toEqual({ ...everywhere(25), "tiktok-shop": 35 });
  // A sale elsewhere lowers everyone; the hold (10 left) stays.
  const shopee = channels.find((c) => c.marketplace === "shopee")!;
  const other = sandboxes.shopee.createOrder(shopee.shopId, [{ sku: "CD-MAM-500", quantity: 3 }]);
  await processOrderImportJob(hub.services.sync, {
    channelId: shopee.id,
    externalOrderIds: [other.externalOrderId],
    source: "PULL",
  });
  await pushAll();
  expect(shown("CD-MAM-500", "stock")).toEqual({ ...everywhere(22), "tiktok-shop": 32 });
  clock.set(new Date(start.getTime() + 3_600_000));
  expect(await ticker.tick()).toMatchObject({ ended: 1 });
  await pushAll();
  expect(shown("CD-MAM-500", "stock")).toEqual(everywhere(32));
  expect(shown("CD-MAM-500", "priceVnd")).toEqual(normal(190_000));
});

test("updateCampaign replaces the definition before the start (not conflicting with itself), and is refused once started", async () => {
  const start = new Date(Date.now() + 18_000_000);
  const r = await hub.gql(CREATE, {
    input: input({
      name: "Hội chợ nháp",
      startsAt: start.toISOString(),
      endsAt: new Date(start.getTime() + 3_600_000).toISOString(),
    }),
  });
  const id = r.data.createCampaign.campaign.id;
  const UPDATE = `mutation($id: ID!, $input: UpdateCampaignInput!, $dryRun: Boolean) {
    updateCampaign(id: $id, input: $input, dryRun: $dryRun) {
      campaign { id name startsAt variants { sku salePriceVnd } occurrences { startsAt state } }
      preview { sku salePriceVnd }
      userErrors { field code message }
    }
  }`;
  const later = new Date(start.getTime() + 1_800_000);
  const { producerId: _p, ...rest } = input({
    name: "Hội chợ OCOP Quảng Nam",
    variants: [{ variantId: toGlobalId("Variant", variants["CD-MAM-200"]), salePriceVnd: 75_000 }],
    startsAt: later.toISOString(),
    endsAt: new Date(later.getTime() + 3_600_000).toISOString(),
  });
  const u = await hub.gql(UPDATE, { id, input: rest });
  expect(u.data.updateCampaign.userErrors).toEqual([]);
  expect(u.data.updateCampaign.campaign).toMatchObject({
    id,
    name: "Hội chợ OCOP Quảng Nam",
    startsAt: later.toISOString(),
    variants: [{ sku: "CD-MAM-200", salePriceVnd: 75_000 }],
    occurrences: [{ startsAt: later.toISOString(), state: "SCHEDULED" }],
  });
  clock.set(later);
  // No tick scheduled a Shopee discount before the start: Shopee falls back to a price adjustment.
  expect(await ticker.tick()).toMatchObject({ started: 1, promotions: { fellBack: 1 } });
  await pushAll();
  expect(shown("CD-MAM-200", "priceVnd")).toEqual(everywhere(75_000));
  expect(shown("CD-MAM-500", "priceVnd")).toEqual(normal(190_000));
  const refused = await hub.gql(UPDATE, { id, input: rest }, { lang: "en" });
  expect(refused.data.updateCampaign.userErrors[0]).toMatchObject({
    code: "CAMPAIGN_STATE",
    message: "The campaign is RUNNING; it cannot be changed once an occurrence has started.",
  });
  await hub.gql(`mutation($id: ID!) { cancelCampaign(id: $id) { userErrors { code } } }`, { id });
  await pushAll();
  expect(shown("CD-MAM-200", "priceVnd")).toEqual(normal(99_000));
});

test("campaigns(filter) lists them; a producer key of another producer sees none and cannot cancel", async () => {
  const all = await hub.gql(
    `query($p: ID!) { campaigns(first: 10, filter: { producerId: $p }) { totalCount nodes { name state } } }`,
    { p: toGlobalId("Producer", producerId) },
  );
  expect(all.data.campaigns.totalCount).toBe(5);
  const ended = await hub.gql(`{ campaigns(first: 10, filter: { state: ENDED }) { totalCount } }`);
  expect(ended.data.campaigns.totalCount).toBe(2);
  const [o] = await hub.db.dataSource.query(`SELECT producer_id FROM variant WHERE id = $1`, [otherVariant]);
  const key = await hub.issueKey(ApiKeyRole.PRODUCER, o.producer_id);
  const theirs = await hub.gql(`{ campaigns(first: 10) { totalCount } }`, undefined, { key });
  expect(theirs.data.campaigns.totalCount).toBe(0);
  const one = await hub.gql(`query($id: ID!) { campaign(id: $id) { id } }`, { id: mainId }, { key });
  expect(one.data.campaign).toBeNull();
  const create = await hub.gql(CREATE, { input: input() }, { key });
  expect(create.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
});
