/**
 * Status write-back over HTTP: "ready to ship" set in the hub reaches the marketplace (Shopee,
 * Lazada, TikTok Shop sandboxes), and the hub records what the marketplace then says. Tiki's
 * write-back is not supported and says so; a producer key cannot act on another producer's order.
 */
import { startTestHub, TestHub } from "../support/test-hub";
import { connectSandbox, insertCatalogue } from "../support/order-fixture";
import { SANDBOXES } from "../../src/sandbox/registry";
import type { MarketplaceSandbox } from "../../src/sandbox/sandbox";
import type { MarketplaceCode } from "../../src/channels/connectors/connector";
import { CONNECTORS } from "../../src/channels/connectors/registry";
import { importOrders } from "../../src/orders/order-import.service";
import { openChannel } from "../../src/sync/runtime";
import { toGlobalId } from "../../src/common/graphql/global-id";
import { ApiKeyRole } from "../../src/auth/api-key.entity";
import { resetRateBudgets } from "../../src/channels/connectors/http/rate-budget";

let hub: TestHub;
const sandboxes: MarketplaceSandbox[] = [];
const SET = `mutation($id: ID!) { setOrderStatus(id: $id, status: READY_TO_SHIP) {
  order { status statusHistory { status } } userErrors { field code message } } }`;

beforeAll(async () => {
  resetRateBudgets();
  hub = await startTestHub();
});
afterAll(async () => {
  for (const s of sandboxes) await s.close();
  await hub.close();
});

/** One paid order on a sandbox, imported into the hub; returns its global id. */
async function paidOrder(
  code: MarketplaceCode,
): Promise<{ id: string; producerId: string; sandbox: MarketplaceSandbox; shopId: string; ext: string }> {
  const sandbox = SANDBOXES[code]();
  await sandbox.start(0);
  sandboxes.push(sandbox);
  const sku = `RTS-${code}`;
  const cat = await insertCatalogue(hub.db.dataSource, { [sku]: 20 });
  const { channelId, shopId } = await connectSandbox(
    hub.db.dataSource,
    hub.services.sync.box,
    cat.producerId,
    sandbox,
  );
  sandbox.seedListing(shopId, {
    title: "Mắm tôm chua Huế",
    variants: [{ sku, priceVnd: 85_000, stock: 20 }],
  });
  const { externalOrderId } = sandbox.createOrder(shopId, [{ sku, quantity: 2 }]);
  const { ctx } = await openChannel(hub.services.sync, channelId);
  const orders = await CONNECTORS[code].getOrders!(ctx, [externalOrderId]);
  await importOrders(hub.services.sync, channelId, orders, "PULL");
  const [row] = await hub.db.dataSource.query(
    `SELECT id FROM marketplace_order WHERE external_order_id = $1`,
    [externalOrderId],
  );
  return {
    id: toGlobalId("Order", row.id),
    producerId: cat.producerId,
    sandbox,
    shopId,
    ext: externalOrderId,
  };
}

test.each(["shopee", "lazada", "tiktok-shop"] as MarketplaceCode[])(
  "%s: ready to ship reaches the marketplace",
  async (code) => {
    const o = await paidOrder(code);
    const r = await hub.gql(SET, { id: o.id });
    expect(r.errors).toBeUndefined();
    expect(r.data.setOrderStatus.userErrors).toEqual([]);
    expect(r.data.setOrderStatus.order.status).toBe("READY_TO_SHIP");
    expect(r.data.setOrderStatus.order.statusHistory.map((h: { status: string }) => h.status)).toContain(
      "READY_TO_SHIP",
    );
  },
);

test("tiki: not supported, said plainly, nothing changes", async () => {
  const o = await paidOrder("tiki");
  const r = await hub.gql(SET, { id: o.id }, { lang: "en" });
  expect(r.data.setOrderStatus.order).toBeNull();
  expect(r.data.setOrderStatus.userErrors[0]).toMatchObject({ field: "status", code: "MARKETPLACE_REFUSED" });
  expect(r.data.setOrderStatus.userErrors[0].message).toMatch(/no status write-back/);
});

test("a producer key cannot set another producer's order", async () => {
  const o = await paidOrder("shopee");
  const other = await insertCatalogue(hub.db.dataSource, { "OTHER-1": 1 });
  const key = await hub.issueKey(ApiKeyRole.PRODUCER, other.producerId);
  const r = await hub.gql(SET, { id: o.id }, { key });
  expect(r.data.setOrderStatus.userErrors[0].code).toBe("NOT_FOUND");
});
