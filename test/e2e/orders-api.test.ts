/**
 * The orders API over HTTP: filters, paging with totalCount, one order with its lines (mapped
 * variant, state), status history, channel and BigInt total; a producer key sees only its own orders.
 */
import { ApiKeyRole } from "../../src/auth/api-key.entity";
import { importOrders } from "../../src/orders/order-import.service";
import { startTestHub, TestHub } from "../support/test-hub";
import { insertCatalogue, insertChannel, order } from "../support/order-fixture";

let hub: TestHub;
let mine: { channelId: string; ids: string[]; producerId: string };
let theirs: { channelId: string; ids: string[] };

beforeAll(async () => {
  hub = await startTestHub();
  const ds = hub.db.dataSource;
  const rt = hub.services.sync;
  const a = await insertCatalogue(ds, { "TRA-SEN": 2, "TRA-LAI": 10 });
  const b = await insertCatalogue(ds, { "CA-PHE": 10 });
  const chA = await insertChannel(ds, a.producerId, "shopee");
  const chB = await insertChannel(ds, b.producerId, "tiki");
  const t = Date.parse("2026-11-20T03:00:00Z");
  const big = order([{ sku: "TRA-LAI", quantity: 3, unitPriceVnd: 1_000_000_000 }], {
    createdAt: t,
    updatedAt: t,
    buyerName: "Trần Văn Bình",
  });
  const problem = order(
    [
      { sku: "TRA-SEN", quantity: 5 },
      { sku: "KHONG-RO", quantity: 1 },
    ],
    { createdAt: t + 60_000, updatedAt: t + 60_000 },
  );
  const done = order([{ sku: "TRA-LAI", quantity: 1 }], { createdAt: t + 120_000, updatedAt: t + 120_000 });
  await importOrders(rt, chA, [big, problem, done], "PULL");
  await importOrders(
    rt,
    chA,
    [{ ...done, status: "SHIPPED", remoteStatus: "SHIPPED", updatedAt: t + 180_000 }],
    "WEBHOOK",
  );
  const other = order([{ sku: "CA-PHE", quantity: 1 }], { createdAt: t, updatedAt: t });
  await importOrders(rt, chB, [other], "WEBHOOK");
  mine = {
    channelId: chA,
    producerId: a.producerId,
    ids: [big.externalOrderId, problem.externalOrderId, done.externalOrderId],
  };
  theirs = { channelId: chB, ids: [other.externalOrderId] };
});
afterAll(async () => {
  await hub?.close();
});

const LIST = `query ($filter: OrderFilter, $first: Int, $after: String) {
  orders(filter: $filter, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    nodes { id externalOrderId status hasProblems totalVnd }
  }
}`;

test("lists newest first with filters, paging and totalCount", async () => {
  const all = await hub.gql(LIST, { filter: { channelId: mine.channelId } });
  expect(all.errors).toBeUndefined();
  expect(all.data.orders.totalCount).toBe(3);
  expect(all.data.orders.nodes.map((o: { externalOrderId: string }) => o.externalOrderId)).toEqual(
    [...mine.ids].reverse(),
  );

  const page1 = await hub.gql(LIST, { filter: { channelId: mine.channelId }, first: 2 });
  expect(page1.data.orders.pageInfo.hasNextPage).toBe(true);
  const page2 = await hub.gql(LIST, {
    filter: { channelId: mine.channelId },
    first: 2,
    after: page1.data.orders.pageInfo.endCursor,
  });
  expect(page2.data.orders.nodes.map((o: { externalOrderId: string }) => o.externalOrderId)).toEqual([
    mine.ids[0],
  ]);

  const problems = await hub.gql(LIST, { filter: { channelId: mine.channelId, hasProblems: true } });
  expect(problems.data.orders.nodes.map((o: { externalOrderId: string }) => o.externalOrderId)).toEqual([
    mine.ids[1],
  ]);
  const shipped = await hub.gql(LIST, { filter: { status: ["SHIPPED"], channelId: mine.channelId } });
  expect(shipped.data.orders.totalCount).toBe(1);
  const bySku = await hub.gql(LIST, { filter: { search: "KHONG-RO" } });
  expect(bySku.data.orders.nodes.map((o: { externalOrderId: string }) => o.externalOrderId)).toEqual([
    mine.ids[1],
  ]);
  const byBuyer = await hub.gql(LIST, { filter: { search: "văn bình" } });
  expect(byBuyer.data.orders.nodes.map((o: { externalOrderId: string }) => o.externalOrderId)).toEqual([
    mine.ids[0],
  ]);
  const window = await hub.gql(LIST, {
    filter: { channelId: mine.channelId, from: "2026-11-20T03:01:00Z", to: "2026-11-20T03:02:00Z" },
  });
  expect(window.data.orders.nodes.map((o: { externalOrderId: string }) => o.externalOrderId)).toEqual([
    mine.ids[1],
  ]);
});

test("one order with lines, variants, states, history, channel and a BigInt total", async () => {
  const list = await hub.gql(LIST, { filter: { channelId: mine.channelId } });
  const byExt = new Map(
    list.data.orders.nodes.map((o: { externalOrderId: string; id: string }) => [o.externalOrderId, o]),
  );
  const big = byExt.get(mine.ids[0]) as { id: string; totalVnd: number };
  expect(big.totalVnd).toBe(3_000_000_000);

  const q = `query ($id: ID!) { order(id: $id) {
    externalOrderId status remoteStatus buyerName source hasProblems
    lines { sku quantity unitPriceVnd state variant { sku } }
    statusHistory { status source }
    channel { marketplace }
  } }`;
  const problemId = (byExt.get(mine.ids[1]) as { id: string }).id;
  const r = await hub.gql(q, { id: problemId });
  expect(r.errors).toBeUndefined();
  expect(r.data.order).toMatchObject({
    hasProblems: true,
    source: "PULL",
    channel: { marketplace: "SHOPEE" },
    lines: [
      { sku: "TRA-SEN", quantity: 5, state: "OVERSOLD", variant: { sku: "TRA-SEN" } },
      { sku: "KHONG-RO", quantity: 1, state: "UNMAPPED", variant: null },
    ],
  });
  const done = await hub.gql(q, { id: (byExt.get(mine.ids[2]) as { id: string }).id });
  expect(done.data.order.statusHistory).toEqual([
    { status: "READY_TO_SHIP", source: "PULL" },
    { status: "SHIPPED", source: "WEBHOOK" },
  ]);
  expect(done.data.order.lines[0].state).toBe("SOLD");
});

test("a producer key sees only its producer's orders", async () => {
  const key = await hub.issueKey(ApiKeyRole.PRODUCER, mine.producerId);
  const own = await hub.gql(LIST, {}, { key });
  expect(own.errors).toBeUndefined();
  expect(own.data.orders.totalCount).toBe(3);
  const admin = await hub.gql(LIST, { filter: { channelId: theirs.channelId } });
  const otherId = admin.data.orders.nodes[0].id;
  expect(admin.data.orders.nodes[0].externalOrderId).toBe(theirs.ids[0]);
  const peek = await hub.gql(`query ($id: ID!) { order(id: $id) { id } }`, { id: otherId }, { key });
  expect(peek.errors).toBeUndefined();
  expect(peek.data.order).toBeNull();
  const filtered = await hub.gql(LIST, { filter: { channelId: theirs.channelId } }, { key });
  expect(filtered.data.orders.totalCount).toBe(0);
  const anonymous = await hub.gql(LIST, {}, { key: null });
  expect(anonymous.errors?.[0].extensions?.code).toBe("UNAUTHENTICATED");
});
