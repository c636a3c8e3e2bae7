/**
 * Webhooks end to end, for every marketplace: the sandbox sends its real signed pushes (each three
 * times, shuffled) to the hub's HTTP server; each order is imported once and reserves once. A captured
 * genuine push replayed with one byte changed is refused with 401 and stores nothing; replayed intact
 * it is accepted but does no new work.
 */
import http from "node:http";
import type { MarketplaceCode } from "../../src/channels/connectors/connector";
import { SANDBOXES } from "../../src/sandbox/registry";
import type { MarketplaceSandbox } from "../../src/sandbox/sandbox";
import { resetRateBudgets } from "../../src/channels/connectors/http/rate-budget";
import { webhookCounters, webhookRoutes } from "../../src/orders/webhook.routes";
import { tiktokWebhookSignature } from "../../src/channels/connectors/tiktok-shop/tiktok-shop.signing";
import { startTestHub, TestHub } from "../support/test-hub";
import { connectSandbox, InlineJobQueue, insertCatalogue, stockOf } from "../support/order-fixture";

const MARKETPLACES = Object.keys(SANDBOXES) as MarketplaceCode[];

let hub: TestHub;
let origin: string;
let queue: InlineJobQueue;
/** When set, queuing fails as if pg-boss were unreachable. */
let queueDown = false;
const brokenQueue = {
  enqueueRun: async () => undefined,
  enqueueOrderImport: async () => {
    throw new Error("queue unreachable");
  },
};
const sandboxes = new Map<MarketplaceCode, MarketplaceSandbox>();

interface Captured {
  path: string;
  host: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** Receives pushes instead of the hub, so a test can replay them, intact or tampered. */
async function captureServer(): Promise<{ origin: string; got: Captured[]; close: () => Promise<void> }> {
  const got: Captured[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      got.push({
        path: req.url!,
        host: req.headers.host!,
        headers: req.headers,
        body: Buffer.concat(chunks),
      });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as { port: number }).port;
  return {
    origin: `http://127.0.0.1:${port}`,
    got,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/** Sends a captured push to the hub as the marketplace sent it (same Host header, so signed URLs match). */
function replay(c: Captured, body: Buffer): Promise<number> {
  const target = new URL(origin);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: target.hostname,
        port: target.port,
        method: "POST",
        path: c.path,
        headers: { ...c.headers, "content-length": body.length },
      },
      (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode ?? 0));
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

beforeAll(async () => {
  hub = await startTestHub({
    routes: (services) => {
      queue = new InlineJobQueue(() => services.sync);
      return [webhookRoutes({ rt: services.sync, queue: () => (queueDown ? brokenQueue : queue) })];
    },
  });
  origin = new URL(hub.url).origin;
  for (const code of MARKETPLACES) {
    const sb = SANDBOXES[code]();
    await sb.start(0);
    sandboxes.set(code, sb);
  }
});
afterAll(async () => {
  for (const sb of sandboxes.values()) await sb.close();
  await hub?.close();
});
beforeEach(() => resetRateBudgets());

async function setUp(code: MarketplaceCode, sku: string) {
  const ds = hub.db.dataSource;
  const sb = sandboxes.get(code)!;
  const cat = await insertCatalogue(ds, { [sku]: 30 });
  const { channelId, shopId } = await connectSandbox(ds, hub.services.sync.box, cat.producerId, sb);
  sb.seedListing(shopId, { title: "Mắm tôm chua Huế", variants: [{ sku, priceVnd: 85000, stock: 30 }] });
  return { ds, sb, cat, channelId, shopId, variantId: cat.variants[sku] };
}

describe.each(MARKETPLACES)("%s webhooks", (code) => {
  test("each order is imported once although every push arrives three times, shuffled", async () => {
    const sku = `WH-${code.toUpperCase()}`;
    const { ds, sb, channelId, shopId, variantId } = await setUp(code, sku);
    const before = webhookCounters()[code]?.duplicates ?? 0;
    sb.setWebhookTarget(`${origin}/webhooks/${code}/${channelId}`);
    sb.setFaults({ webhookDuplicates: 3, webhookShuffle: true });
    try {
      sb.createOrder(shopId, [{ sku, quantity: 2 }]);
      sb.createOrder(shopId, [{ sku, quantity: 1 }]);
      await sb.flushWebhooks();
      await queue.drain();
    } finally {
      sb.setWebhookTarget(null);
      sb.setFaults({ webhookDuplicates: 1, webhookShuffle: false });
    }
    expect(queue.errors).toEqual([]);
    const orders = await ds.query(`SELECT status FROM marketplace_order WHERE channel_id = $1`, [channelId]);
    expect(orders).toHaveLength(2);
    expect(await stockOf(ds, variantId)).toMatchObject({ onHand: 30, reserved: 3, ledgerReserved: 3 });
    const [{ n }] = await ds.query(
      `SELECT count(*)::int AS n FROM stock_movement WHERE variant_id = $1 AND kind = 'RESERVATION'`,
      [variantId],
    );
    expect(n).toBe(2);
    const events = await ds.query(
      `SELECT count(*)::int AS n, count(processed_at)::int AS done FROM webhook_event WHERE channel_id = $1`,
      [channelId],
    );
    expect(events[0].n).toBeGreaterThanOrEqual(2);
    expect(events[0].done).toBe(events[0].n);
    expect(webhookCounters()[code].duplicates - before).toBeGreaterThanOrEqual(4);
  });

  test("a tampered push is refused with 401 and stores nothing; the intact one is accepted once", async () => {
    const sku = `WT-${code.toUpperCase()}`;
    const { ds, sb, channelId, shopId, variantId } = await setUp(code, sku);
    const cap = await captureServer();
    try {
      sb.setWebhookTarget(`${cap.origin}/webhooks/${code}/${channelId}`);
      sb.createOrder(shopId, [{ sku, quantity: 4 }]);
      await sb.flushWebhooks();
    } finally {
      sb.setWebhookTarget(null);
      await cap.close();
    }
    expect(cap.got.length).toBeGreaterThanOrEqual(1);
    const push = cap.got[0];
    const rejectedBefore = webhookCounters()[code]?.rejected ?? 0;

    const tampered = Buffer.from(push.body);
    const i = tampered.indexOf("4") >= 0 ? tampered.indexOf("4") : tampered.length - 2;
    tampered[i] = tampered[i] === 0x35 ? 0x36 : 0x35;
    expect(await replay(push, tampered)).toBe(401);
    expect(
      await replay(
        { ...push, headers: { ...push.headers, authorization: "x", "x-signature": "x" } },
        push.body,
      ),
    ).toBe(401);
    expect(webhookCounters()[code].rejected - rejectedBefore).toBe(2);
    const [{ n: stored }] = await ds.query(
      `SELECT count(*)::int AS n FROM webhook_event WHERE channel_id = $1`,
      [channelId],
    );
    expect(stored).toBe(0);

    expect(await replay(push, push.body)).toBe(200);
    expect(await replay(push, push.body)).toBe(200);
    await queue.drain();
    const [{ n: orders }] = await ds.query(
      `SELECT count(*)::int AS n FROM marketplace_order WHERE channel_id = $1`,
      [channelId],
    );
    expect(orders).toBe(1);
    expect(await stockOf(ds, variantId)).toMatchObject({ onHand: 30, reserved: 4 });
  });
});

test("unknown marketplace, unknown channel and a channel of another marketplace answer 404", async () => {
  const ds = hub.db.dataSource;
  const cat = await insertCatalogue(ds, { "WH-404": 1 });
  const { channelId } = await connectSandbox(
    ds,
    hub.services.sync.box,
    cat.producerId,
    sandboxes.get("lazada")!,
  );
  const post = (path: string) =>
    fetch(`${origin}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    }).then((r) => r.status);
  expect(await post(`/webhooks/amazon/${channelId}`)).toBe(404);
  expect(await post(`/webhooks/lazada/00000000-0000-4000-8000-000000000000`)).toBe(404);
  expect(await post(`/webhooks/lazada/not-a-uuid`)).toBe(404);
  expect(await post(`/webhooks/shopee/${channelId}`)).toBe(404);
  expect(await post(`/webhooks/lazada/${channelId}`)).toBe(401);
  // The raw-body parser stays inside the webhook routes: GraphQL still gets parsed JSON.
  expect((await hub.gql(`{ __typename }`)).data).toEqual({ __typename: "Query" });
});

test("a burst of pushes for one channel becomes a few import jobs, not one per push", async () => {
  const { ds, sb, channelId, shopId, variantId } = await setUp("lazada", "WH-BURST");
  const jobsBefore = queue.jobs.length;
  sb.resetCounters();
  sb.setWebhookTarget(`${origin}/webhooks/lazada/${channelId}`);
  try {
    for (let i = 0; i < 20; i++) sb.createOrder(shopId, [{ sku: "WH-BURST", quantity: 1 }]);
    await sb.flushWebhooks();
    await queue.drain();
  } finally {
    sb.setWebhookTarget(null);
  }
  const jobs = queue.jobs.slice(jobsBefore).filter((j) => j.channelId === channelId);
  expect(jobs.reduce((n, j) => n + j.externalOrderIds.length, 0)).toBe(20);
  // Pushes arriving within 10 ms share a job: fewer jobs than pushes (on an idle machine, ≤ 5; the
  // bound here leaves room for a loaded CI machine, where fewer pushes land in one window).
  expect(jobs.length).toBeLessThan(20);
  // Jobs take over each other's pending events: never more detail calls (50 orders each) than jobs.
  expect(sb.counters().calls["/orders/items/get"]).toBeLessThanOrEqual(jobs.length);
  expect(await stockOf(ds, variantId)).toMatchObject({ reserved: 20 });
});

test("when the queue is down the push gets 503 and nothing is kept, so the redelivery is not lost", async () => {
  const { ds, sb, channelId, shopId, variantId } = await setUp("tiktok-shop", "WH-DOWN");
  const cap = await captureServer();
  try {
    sb.setWebhookTarget(`${cap.origin}/webhooks/tiktok-shop/${channelId}`);
    sb.createOrder(shopId, [{ sku: "WH-DOWN", quantity: 2 }]);
    await sb.flushWebhooks();
  } finally {
    sb.setWebhookTarget(null);
    await cap.close();
  }
  queueDown = true;
  try {
    expect(await replay(cap.got[0], cap.got[0].body)).toBe(503);
  } finally {
    queueDown = false;
  }
  const [{ n }] = await ds.query(`SELECT count(*)::int AS n FROM webhook_event WHERE channel_id = $1`, [
    channelId,
  ]);
  expect(n).toBe(0);
  expect(await replay(cap.got[0], cap.got[0].body)).toBe(200);
  await queue.drain();
  expect(await stockOf(ds, variantId)).toMatchObject({ reserved: 2 });
});

test("a correctly signed push outside the replay window is refused; a fresh one is accepted", async () => {
  const { channelId, shopId } = await setUp("tiktok-shop", "WH-REPLAY");
  const [{ credentials }] = await hub.db.dataSource.query(`SELECT credentials FROM channel WHERE id = $1`, [
    channelId,
  ]);
  const app = hub.services.sync.box.openJson<{ appKey: string; appSecret: string }>(credentials);
  const push = (sentAtSeconds: number) => {
    const body = JSON.stringify({
      type: 1,
      shop_id: shopId,
      timestamp: sentAtSeconds,
      data: { order_id: "5790000000000099", order_status: "AWAITING_SHIPMENT", update_time: sentAtSeconds },
    });
    return fetch(`${origin}/webhooks/tiktok-shop/${channelId}`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        authorization: tiktokWebhookSignature(app.appKey, app.appSecret, body),
      },
      body,
    }).then((r) => r.status);
  };
  const now = Math.floor(Date.now() / 1000);
  const rejectedBefore = webhookCounters()["tiktok-shop"]?.rejected ?? 0;
  expect(await push(now - 2 * 3600)).toBe(401);
  expect(await push(now + 3600)).toBe(401);
  expect(webhookCounters()["tiktok-shop"]?.rejected).toBe(rejectedBefore + 2);
  const [{ n }] = await hub.db.dataSource.query(
    `SELECT count(*)::int AS n FROM webhook_event WHERE channel_id = $1`,
    [channelId],
  );
  expect(n).toBe(0);
  expect(await push(now)).toBe(200);
  await queue.drain();
});
