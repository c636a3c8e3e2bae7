/**
 * The Shopee connector's native promotion calls against the Shopee sandbox over real HTTP:
 * add_discount + add_discount_item (per-model refusals), Shopee's own rules (future start, at least
 * an hour), end_discount of a running discount and delete_discount of one not started, read as what
 * a buyer pays at an instant.
 */
import { createTestDatabase, TestDatabase } from "../support/test-db";
import { connectSandbox, insertCatalogue } from "../support/order-fixture";
import { createServices } from "../../src/app/services";
import { SANDBOXES } from "../../src/sandbox/registry";
import type { ShopeeSandbox } from "../../src/sandbox/shopee/shopee.sandbox";
import { openChannel, type ChannelHandle } from "../../src/sync/runtime";
import { ConnectorError } from "../../src/channels/connectors/http/types";
import { resetRateBudgets } from "../../src/channels/connectors/http/rate-budget";

let db: TestDatabase;
let sb: ShopeeSandbox;
let h: ChannelHandle;
let shopId: string;
const refs: Record<string, { externalItemId: string; externalSkuId: string }> = {};

beforeAll(async () => {
  resetRateBudgets();
  db = await createTestDatabase();
  const services = createServices(db.dataSource, { maxPageSize: 100, mode: "test" });
  sb = SANDBOXES.shopee() as ShopeeSandbox;
  await sb.start(0);
  const cat = await insertCatalogue(db.dataSource, { "PR-1": 10, "PR-2": 10 });
  const c = await connectSandbox(db.dataSource, services.sync.box, cat.producerId, sb);
  shopId = c.shopId;
  sb.seedListing(shopId, {
    title: "Mắm tôm chua Huế",
    variants: [
      { sku: "PR-1", priceVnd: 85_000, stock: 10 },
      { sku: "PR-2", priceVnd: 120_000, stock: 10 },
    ],
  });
  for (const sku of ["PR-1", "PR-2"]) {
    const v = sb.skuView(shopId, sku)!;
    refs[sku] = { externalItemId: v.externalItemId, externalSkuId: v.externalSkuId };
  }
  h = await openChannel(services.sync, c.channelId);
}, 60_000);

afterAll(async () => {
  await sb?.close();
  await db?.drop();
});

const later = (ms: number) => new Date(Date.now() + ms);

test("a discount is scheduled with per-model prices; a price not below the listed one is refused for that model only", async () => {
  const startsAt = later(1_500);
  const r = await h.connector.schedulePromotion!(h.ctx, {
    name: "Livestream thứ Sáu",
    startsAt,
    endsAt: new Date(startsAt.getTime() + 3_600_000),
    items: [
      { sku: "PR-1", ...refs["PR-1"], promotionPriceVnd: 69_000 },
      { sku: "PR-2", ...refs["PR-2"], promotionPriceVnd: 130_000 },
    ],
  });
  expect(r.results.map((x) => [x.key, x.outcome])).toEqual([
    ["PR-1", "applied"],
    ["PR-2", "failed_fatal"],
  ]);
  expect(r.results[1].remoteMessage).toMatch(/lower than original price/);
  expect(sb.buyerPriceAt(shopId, "PR-1", Date.now())).toBe(85_000); // not started yet
  expect(sb.buyerPriceAt(shopId, "PR-1", startsAt.getTime() + 1_000)).toBe(69_000);

  // Running: end_discount stops it now; the listed price was never touched.
  await new Promise((res) => setTimeout(res, startsAt.getTime() + 1_100 - Date.now()));
  expect(sb.buyerPriceAt(shopId, "PR-1", Date.now())).toBe(69_000);
  await h.connector.endPromotion!(h.ctx, r.promotionId, true);
  expect(sb.buyerPriceAt(shopId, "PR-1", Date.now())).toBe(85_000);
  expect(sb.buyerPriceAt(shopId, "PR-1", startsAt.getTime() + 1_800_000)).toBe(85_000);
  expect(sb.skuView(shopId, "PR-1")!.priceVnd).toBe(85_000);
});

test("a discount not started is deleted, also when our clock believes it started", async () => {
  const startsAt = later(3_600_000);
  const make = () =>
    h.connector.schedulePromotion!(h.ctx, {
      name: "Hội chợ",
      startsAt,
      endsAt: new Date(startsAt.getTime() + 7_200_000),
      items: [{ sku: "PR-1", ...refs["PR-1"], promotionPriceVnd: 70_000 }],
    });
  const a = await make();
  await h.connector.endPromotion!(h.ctx, a.promotionId, false);
  const b = await make();
  await h.connector.endPromotion!(h.ctx, b.promotionId, true); // end refused by Shopee → delete
  const left = sb.discountsOf(shopId).filter((d) => [a.promotionId, b.promotionId].includes(d.discountId));
  expect(left).toEqual([]);
  expect(sb.buyerPriceAt(shopId, "PR-1", startsAt.getTime() + 1_000)).toBe(85_000);
});

test("Shopee's own rules: a start in the past or a discount under an hour is refused", async () => {
  const item = [{ sku: "PR-1", ...refs["PR-1"], promotionPriceVnd: 70_000 }];
  const short = h.connector.schedulePromotion!(h.ctx, {
    name: "Ngắn",
    startsAt: later(60_000),
    endsAt: later(60_000 + 1_800_000),
    items: item,
  });
  await expect(short).rejects.toBeInstanceOf(ConnectorError);
  await expect(short).rejects.toThrow(/1 hour later/);
  const past = h.connector.schedulePromotion!(h.ctx, {
    name: "Đã qua",
    startsAt: later(-60_000),
    endsAt: later(3_600_000),
    items: item,
  });
  await expect(past).rejects.toThrow(/later than current time/);
});
