/**
 * The request id from the edge reaches the work it starts: a GraphQL triggerSync stores the
 * caller's X-Request-Id on the sync_run the worker executes, and a marketplace webhook hands the
 * request id of its push to the order-import job it queues. (Whether the worker's log lines carry
 * it is src/sync/worker.ts's part; see the ops-backend report.)
 */
import { SANDBOXES } from "../../src/sandbox/registry";
import type { MarketplaceSandbox } from "../../src/sandbox/sandbox";
import { webhookRoutes } from "../../src/orders/webhook.routes";
import type { JobQueue, OrderImportJob } from "../../src/sync/jobs";
import { toGlobalId } from "../../src/common/graphql/global-id";
import { resetRateBudgets } from "../../src/channels/connectors/http/rate-budget";
import { startTestHub, TestHub } from "../support/test-hub";
import { connectSandbox, insertCatalogue } from "../support/order-fixture";

let hub: TestHub;
let sb: MarketplaceSandbox;
const runs: string[] = [];
const imports: OrderImportJob[] = [];
const queue: JobQueue = {
  enqueueRun: async (runId) => void runs.push(runId),
  enqueueOrderImport: async (job) => void imports.push(job),
};

beforeAll(async () => {
  hub = await startTestHub({
    routes: (services) => [webhookRoutes({ rt: services.sync, queue: () => queue })],
  });
  (hub.services as { queue: JobQueue | null }).queue = queue;
  sb = SANDBOXES.shopee();
  await sb.start(0);
  resetRateBudgets();
});
afterAll(async () => {
  await sb?.close();
  await hub?.close();
});

test("triggerSync: the caller's X-Request-Id is on the queued sync run", async () => {
  const ds = hub.db.dataSource;
  const cat = await insertCatalogue(ds, { "RID-1": 5 });
  const { channelId, shopId } = await connectSandbox(ds, hub.services.sync.box, cat.producerId, sb);
  const res = await fetch(hub.url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      authorization: `Bearer ${hub.adminKey}`,
      "x-request-id": "req-ops-4711",
    },
    body: JSON.stringify({
      query: `mutation($c: ID!) { triggerSync(channelId: $c, kind: STOCK) { run { id } userErrors { code } } }`,
      variables: { c: toGlobalId("Channel", channelId) },
    }),
  });
  const body = (await res.json()) as { data: { triggerSync: { run: { id: string } } } };
  const runId = body.data.triggerSync.run.id;
  expect(runs).toContain(runId);
  const [row] = await ds.query(`SELECT request_id FROM sync_run WHERE id = $1`, [runId]);
  expect(row.request_id).toBe("req-ops-4711");

  // A marketplace push: the order-import job carries the id of the request that delivered it.
  const origin = new URL(hub.url).origin;
  sb.seedListing(shopId, { title: "Trà", variants: [{ sku: "RID-1", priceVnd: 50000, stock: 5 }] });
  sb.setWebhookTarget(`${origin}/webhooks/shopee/${channelId}`);
  try {
    sb.createOrder(shopId, [{ sku: "RID-1", quantity: 1 }]);
    await sb.flushWebhooks();
  } finally {
    sb.setWebhookTarget(null);
  }
  // The receiver batches a channel's pushes for a moment before queuing one job.
  for (let i = 0; i < 100 && !imports.some((j) => j.channelId === channelId); i++)
    await new Promise((r) => setTimeout(r, 50));
  const job = imports.find((j) => j.channelId === channelId);
  expect(job).toBeDefined();
  expect(job!.requestId).toMatch(/^[0-9a-f-]{36}$|^req-/);
});
