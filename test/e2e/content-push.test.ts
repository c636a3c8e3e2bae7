/**
 * Content changes reach live listings through the outbox: renaming a product re-upserts it on every
 * marketplace, and when its certificate is revoked the "OCOP n sao" claim disappears everywhere.
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

const CODES: MarketplaceCode[] = ["shopee", "lazada", "tiktok-shop", "tiki"];
let hub: TestHub;
const sandboxes = {} as Record<MarketplaceCode, MarketplaceSandbox>;
const queued: string[] = [];
const queue: JobQueue = {
  enqueueRun: async (id) => void queued.push(id),
  enqueueOrderImport: async () => undefined,
};
let productId: string;
let channels: Array<{ id: string; marketplace: MarketplaceCode; shopId: string }>;

beforeAll(async () => {
  resetRateBudgets();
  clearRemoteCatalogCache();
  hub = await startTestHub();
  hub.services.queue = queue;
  for (const code of CODES) {
    sandboxes[code] = SANDBOXES[code]();
    await sandboxes[code].start(0);
  }
  const ds = hub.db.dataSource;
  const [pr] = await ds.query(
    `INSERT INTO producer (legal_name, name_key, type) VALUES ('HTX Chè Tân Cương', 'htx che tan cuong', 'COOPERATIVE') RETURNING id`,
  );
  const [p] = await ds.query(
    `INSERT INTO product (producer_id, name, search_key, slug, category, description, images)
     VALUES ($1, 'Chè búp Tân Cương', 'che bup tan cuong', 'che-bup', 'FOOD', 'Chè búp hái tay, sao suốt bằng chảo gang.', '[]') RETURNING id`,
    [pr.id],
  );
  productId = p.id;
  const [v] = await ds.query(
    `INSERT INTO variant (product_id, producer_id, sku, pack_spec, price_vnd) VALUES ($1, $2, 'TC-CHE-200', 'gói 200g', 120000) RETURNING id`,
    [p.id, pr.id],
  );
  await ds.query(`INSERT INTO stock_level (variant_id, on_hand, reserved) VALUES ($1, 30, 0)`, [v.id]);
  await ds.query(
    `INSERT INTO ocop_certification (product_id, star, decision_number, decision_date, issuer_level, issuer_name, valid_until, validity_basis, verification)
     VALUES ($1, 4, '1/QĐ-UBND', '2025-03-10', 'PROVINCE', 'UBND tỉnh Thái Nguyên', '2028-03-10', 'DECISION_DATE', 'A')`,
    [p.id],
  );
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
}, 60_000);

afterAll(async () => {
  for (const s of Object.values(sandboxes)) await s?.close();
  await hub?.close();
});

/** Titles on the marketplaces that take content edits through the API (Tiki reviews them: see below). */
function titles(): string[] {
  return channels
    .filter((c) => c.marketplace !== "tiki")
    .map((c) => sandboxes[c.marketplace].skuView(c.shopId, "TC-CHE-200")?.title ?? "(missing)");
}

function tikiTitle(): string {
  const c = channels.find((x) => x.marketplace === "tiki")!;
  return sandboxes.tiki.skuView(c.shopId, "TC-CHE-200")!.title;
}

async function pushContent(): Promise<void> {
  const d = new OutboxDispatcher(hub.services.sync);
  for (const c of channels) await d.dispatch(c.id, "content", SyncTrigger.EVENT);
}

test("the published listing carries the OCOP claim on all four marketplaces", () => {
  expect(channels).toHaveLength(4);
  for (const t of [...titles(), tikiTitle()]) expect(t).toMatch(/^Chè búp Tân Cương.*OCOP 4 sao$/);
});

test("a rename is pushed to every marketplace through the outbox, once", async () => {
  const r = await hub.gql(
    `mutation($input: UpdateProductInput!) { updateProduct(input: $input) { userErrors { code } } }`,
    {
      input: { id: toGlobalId("Product", productId), name: "Chè búp đặc biệt Tân Cương" },
    },
  );
  expect(r.data.updateProduct.userErrors).toEqual([]);
  const [{ n }] = await hub.db.dataSource.query(
    `SELECT count(*)::int AS n FROM listing WHERE product_id = $1 AND content_version > content_pushed_version`,
    [productId],
  );
  expect(n).toBe(4);
  await pushContent();
  for (const t of titles()) expect(t).toMatch(/^Chè búp đặc biệt Tân Cương.*OCOP 4 sao$/);
  // Tiki reviews content edits: the update request is sent and followed; until Tiki approves, the hub
  // says so item by item instead of claiming it is live.
  expect(tikiTitle()).toMatch(/^Chè búp Tân Cương/);
  const rows = await hub.db.dataSource.query(
    `SELECT c.marketplace, l.content_version > l.content_pushed_version AS dirty, l.content_failed_version = l.content_version AS parked,
            l.last_error->>'code' AS code, l.content_review->>'state' AS review, l.last_error ? 'trackId' AS tracked_in_error
       FROM listing l JOIN channel c ON c.id = l.channel_id WHERE l.product_id = $1 ORDER BY 1`,
    [productId],
  );
  const none = { review: null, tracked_in_error: null };
  expect(rows).toEqual([
    { marketplace: "lazada", dirty: false, parked: null, code: null, ...none },
    { marketplace: "shopee", dirty: false, parked: null, code: null, ...none },
    {
      marketplace: "tiki",
      dirty: true,
      parked: true,
      code: "CONTENT_IN_REVIEW",
      review: "IN_REVIEW",
      tracked_in_error: false,
    },
    { marketplace: "tiktok-shop", dirty: false, parked: null, code: null, ...none },
  ]);
  const [skipped] = await hub.db.dataSource.query(
    `SELECT i.status, i.code, i.message_vi, i.hint_en FROM sync_item i JOIN sync_run r ON r.id = i.run_id
      JOIN channel c ON c.id = r.channel_id WHERE r.kind = 'CONTENT' AND c.marketplace = 'tiki'`,
  );
  expect(skipped).toMatchObject({ status: "SKIPPED", code: "CONTENT_IN_REVIEW" });
  expect(skipped.message_vi).toMatch(/Tiki duyệt/);
});

test("a revoked certificate removes the OCOP claim everywhere", async () => {
  await hub.db.dataSource.query(
    `UPDATE ocop_certification SET revoked_at = now(), revocation_reason = 'test' WHERE product_id = $1`,
    [productId],
  );
  await pushContent();
  for (const t of titles()) {
    expect(t).toMatch(/^Chè búp đặc biệt Tân Cương/);
    expect(t).not.toMatch(/OCOP/);
  }
});
