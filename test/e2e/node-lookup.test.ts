/** `node(id)` resolves channels and orders too, under the same visibility rules as their own queries. */
import { startTestHub, TestHub } from "../support/test-hub";
import { insertCatalogue, insertChannel, order } from "../support/order-fixture";
import { importOrders } from "../../src/orders/order-import.service";
import { toGlobalId } from "../../src/common/graphql/global-id";
import { ApiKeyRole } from "../../src/auth/api-key.entity";

let hub: TestHub;
afterAll(() => hub.close());

test("channel and order nodes, hidden from another producer", async () => {
  hub = await startTestHub();
  const ds = hub.db.dataSource;
  const mine = await insertCatalogue(ds, { "NODE-1": 5 });
  const other = await insertCatalogue(ds, { "NODE-2": 5 });
  const channelId = await insertChannel(ds, mine.producerId, "lazada");
  await importOrders(hub.services.sync, channelId, [order([{ sku: "NODE-1", quantity: 1 }])], "PULL");
  const [o] = await ds.query(`SELECT id FROM marketplace_order WHERE channel_id = $1`, [channelId]);
  const ids = { Channel: toGlobalId("Channel", channelId), Order: toGlobalId("Order", o.id) };
  const q = `query($id: ID!) { node(id: $id) { __typename id } }`;
  for (const [type, id] of Object.entries(ids)) {
    const r = await hub.gql(q, { id });
    expect(r.data.node).toEqual({ __typename: type, id });
  }
  const key = await hub.issueKey(ApiKeyRole.PRODUCER, other.producerId);
  for (const id of Object.values(ids)) expect((await hub.gql(q, { id }, { key })).data.node).toBeNull();
});
