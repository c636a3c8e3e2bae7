/**
 * Demo traffic for `npm start`: every few seconds a buyer orders one unit of a published product on a
 * random sandbox marketplace. The sandbox sends its signed webhook to the hub, which imports the
 * order, reserves the stock and pushes the new stock to the other marketplaces: the whole loop a
 * newcomer should see, on the same paths real traffic takes. Off with HUB_DEMO_ORDERS=false.
 * On marketplaces with a review API, every other demo buyer also leaves a review, which the next
 * REVIEWS run (hourly, or triggerSync) brings home.
 */
import type { Logger } from "../common/logger";
import type { MarketplaceCode } from "../channels/connectors/connector";
import type { MarketplaceSandbox } from "../sandbox/sandbox";
import type { SyncRuntime } from "./runtime";

/** What demo buyers write: mostly happy, sometimes not (producers learn most from those). */
const DEMO_REVIEWS: Array<[number, string]> = [
  [5, "Sản phẩm OCOP chất lượng, đóng gói cẩn thận, sẽ ủng hộ tiếp."],
  [5, "Hàng đúng mô tả, giao nhanh."],
  [4, "Ngon, nhưng bao bì hơi móp."],
  [3, "Tạm được, giá hơi cao so với chợ."],
  [2, "Giao chậm, hũ bị nứt nắp."],
];

export interface DemoOrdersHandle {
  stop(): void;
}

export async function startDemoOrders(
  rt: SyncRuntime,
  sandboxes: Partial<Record<MarketplaceCode, MarketplaceSandbox>>,
  opts: { hubUrl: string; everyMs?: number; log: Logger },
): Promise<DemoOrdersHandle> {
  const channels: Array<{ id: string; marketplace: MarketplaceCode; shop_id: string }> = await rt.ds.query(
    `SELECT id, marketplace, shop_id FROM channel WHERE status = 'ACTIVE' AND base_url = ANY($1::text[])`,
    [Object.values(sandboxes).map((s) => s!.baseUrl)],
  );
  for (const c of channels)
    sandboxes[c.marketplace]?.setWebhookTarget(`${opts.hubUrl}/webhooks/${c.marketplace}/${c.id}`);
  const tick = async () => {
    if (channels.length === 0) return;
    const c = channels[Math.floor(Math.random() * channels.length)];
    const sandbox = sandboxes[c.marketplace];
    const inStock = sandbox?.allSkus(c.shop_id).filter((v) => v.stock > 0) ?? [];
    if (!sandbox || inStock.length === 0) return;
    const sku = inStock[Math.floor(Math.random() * inStock.length)].sku;
    const { externalOrderId } = sandbox.createOrder(c.shop_id, [{ sku, quantity: 1 }]);
    opts.log.info(
      { marketplace: c.marketplace, externalOrderId, sku },
      "demo order placed on a sandbox marketplace",
    );
    if (sandbox.seedReview && Math.random() < 0.5) {
      const [rating, text] = DEMO_REVIEWS[Math.floor(Math.random() * DEMO_REVIEWS.length)];
      sandbox.seedReview(c.shop_id, { sku, rating, text, buyerName: "k***h" });
    }
  };
  const timer = setInterval(
    () => void tick().catch((err) => opts.log.warn({ err }, "demo order failed")),
    opts.everyMs ?? 20_000,
  );
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
