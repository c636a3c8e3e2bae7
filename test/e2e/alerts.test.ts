/**
 * Alerts end to end on a real database: each rule raised by a real condition, deduplicated while
 * open, acknowledged over GraphQL, resolved by itself when the condition clears and raised anew when
 * it comes back; one evaluation per tick however many schedulers run; tenancy and vi/en messages.
 */
import { ApiKeyRole } from "../../src/auth/api-key.entity";
import { toGlobalId } from "../../src/common/graphql/global-id";
import { evaluateAlerts } from "../../src/alerts/alert.service";
import { AlertScheduler, alertTickKey } from "../../src/alerts/alert.scheduler";
import { PgBossJobQueue } from "../../src/sync/job-queue";
import { createLogger } from "../../src/common/logger";
import { startTestHub, TestHub } from "../support/test-hub";
import { insertCatalogue, insertChannel } from "../support/order-fixture";

let hub: TestHub;
let tick = 0;
const evaluate = (thresholds = {}) =>
  evaluateAlerts(hub.db.dataSource, { tickKey: `test:${++tick}`, thresholds });

const LIST = `query($f: AlertFilterInput) {
  alerts(filter: $f, first: 50) { totalCount nodes { id rule severity status subject producerId channelId
    message hint messageVi messageEn paramsJson raisedAt lastSeenAt acknowledgedAt acknowledgedBy resolvedAt } }
}`;
const ACK = `mutation($id: ID!) { acknowledgeAlert(id: $id) { alert { id status acknowledgedBy } userErrors { field code message } } }`;

let a: { producerId: string; productId: string; channelId: string; keyA: string };
let keyB: string;

beforeAll(async () => {
  hub = await startTestHub();
  const ds = hub.db.dataSource;
  const catA = await insertCatalogue(ds, { "AL-1": 5 });
  const catB = await insertCatalogue(ds, { "BL-1": 5 });
  const channelId = await insertChannel(ds, catA.producerId, "shopee");
  a = {
    producerId: catA.producerId,
    productId: catA.productId,
    channelId,
    keyA: await hub.issueKey(ApiKeyRole.PRODUCER, catA.producerId),
  };
  keyB = await hub.issueKey(ApiKeyRole.PRODUCER, catB.producerId);
});
afterAll(() => hub?.close());

async function alerts(f: Record<string, unknown> = {}, key?: string, lang?: string) {
  const r = await hub.gql(LIST, { f }, { key, lang });
  expect(r.errors).toBeUndefined();
  return r.data.alerts as { totalCount: number; nodes: any[] };
}

test("NEEDS_REAUTH: raise → dedupe → acknowledge → resolve → raise again", async () => {
  const ds = hub.db.dataSource;
  await ds.query(
    `UPDATE channel SET status = 'NEEDS_REAUTH', settings = settings || '{"lastAuthError":"invalid_access_token"}' WHERE id = $1`,
    [a.channelId],
  );
  const r1 = await evaluate();
  expect(r1).toMatchObject({ owned: true, failedRules: [] });
  expect(r1.raised).toBe(1);
  const f = { rule: "CHANNEL_NEEDS_REAUTH" };
  let list = await alerts(f, a.keyA);
  expect(list.totalCount).toBe(1);
  const [first] = list.nodes;
  expect(first).toMatchObject({
    severity: "CRITICAL",
    status: "OPEN",
    subject: `channel:${a.channelId}`,
    producerId: toGlobalId("Producer", a.producerId),
    channelId: toGlobalId("Channel", a.channelId),
  });
  expect(first.messageVi).toContain("cần cấp quyền lại");
  expect(first.messageEn).toContain("needs a new authorization");
  expect(first.message).toBe(first.messageVi); // Vietnamese by default
  expect(JSON.parse(first.paramsJson).reason).toBe("invalid_access_token");

  // Same tick again: another process already evaluated it.
  expect(await evaluateAlerts(ds, { tickKey: `test:${tick}` })).toMatchObject({ owned: false });

  // Later ticks while the condition holds: the same alert, seen again, no duplicate.
  await new Promise((r) => setTimeout(r, 20));
  const r2 = await evaluate();
  expect(r2.raised).toBe(0);
  list = await alerts(f, a.keyA);
  expect(list.totalCount).toBe(1);
  expect(list.nodes[0].id).toBe(first.id);
  expect(Date.parse(list.nodes[0].lastSeenAt)).toBeGreaterThan(Date.parse(first.lastSeenAt));

  // Another producer neither sees nor acknowledges it.
  expect((await alerts(f, keyB)).totalCount).toBe(0);
  const foreign = await hub.gql(ACK, { id: first.id }, { key: keyB });
  expect(foreign.data.acknowledgeAlert.userErrors[0].code).toBe("NOT_FOUND");

  const ack = await hub.gql(ACK, { id: first.id }, { key: a.keyA, lang: "en" });
  expect(ack.data.acknowledgeAlert.userErrors).toEqual([]);
  expect(ack.data.acknowledgeAlert.alert.status).toBe("ACKNOWLEDGED");
  expect(ack.data.acknowledgeAlert.alert.acknowledgedBy).toMatch(/^apiKey:/);
  await evaluate();
  list = await alerts(f, a.keyA, "en");
  expect(list.nodes).toHaveLength(1);
  expect(list.nodes[0]).toMatchObject({ id: first.id, status: "ACKNOWLEDGED" });
  expect(list.nodes[0].message).toBe(list.nodes[0].messageEn);
  expect(list.nodes[0].hint).toMatch(/reconnect/i);

  // The channel is re-authorized: the alert resolves by itself.
  await ds.query(`UPDATE channel SET status = 'ACTIVE' WHERE id = $1`, [a.channelId]);
  const r3 = await evaluate();
  expect(r3.resolved).toBeGreaterThanOrEqual(1);
  list = await alerts(f, a.keyA);
  expect(list.nodes[0]).toMatchObject({ id: first.id, status: "RESOLVED" });
  expect(list.nodes[0].resolvedAt).not.toBeNull();
  const late = await hub.gql(ACK, { id: first.id }, { key: a.keyA });
  expect(late.data.acknowledgeAlert.userErrors[0].code).toBe("INVALID_VALUE");

  // It comes back: a new alert, the resolved one stays as history.
  await ds.query(`UPDATE channel SET status = 'NEEDS_REAUTH' WHERE id = $1`, [a.channelId]);
  expect((await evaluate()).raised).toBe(1);
  list = await alerts(f, a.keyA);
  expect(list.nodes.map((n) => n.status).sort()).toEqual(["OPEN", "RESOLVED"]);
  expect((await alerts({ ...f, status: ["OPEN", "ACKNOWLEDGED"] }, a.keyA)).totalCount).toBe(1);
  await ds.query(`UPDATE channel SET status = 'ACTIVE' WHERE id = $1`, [a.channelId]);
  await evaluate();
});

test("refresh token expiring within 7 days (an access token about to expire is refreshed, no alert)", async () => {
  const ds = hub.db.dataSource;
  await ds.query(`UPDATE channel SET access_expires_at = now() + interval '1 hour' WHERE id = $1`, [
    a.channelId,
  ]);
  await evaluate();
  expect((await alerts({ rule: "TOKEN_EXPIRING", status: ["OPEN"] }, a.keyA)).totalCount).toBe(0);
  await ds.query(`UPDATE channel SET refresh_expires_at = now() + interval '3 days 2 hours' WHERE id = $1`, [
    a.channelId,
  ]);
  await evaluate();
  const open = await alerts({ rule: "TOKEN_EXPIRING", status: ["OPEN"] }, a.keyA);
  expect(open.totalCount).toBe(1);
  expect(JSON.parse(open.nodes[0].paramsJson).days).toBe(3);
  expect(open.nodes[0].messageVi).toContain("hết hạn sau 3 ngày");
  await ds.query(`UPDATE channel SET refresh_expires_at = now() + interval '30 days' WHERE id = $1`, [
    a.channelId,
  ]);
  await evaluate();
  expect((await alerts({ rule: "TOKEN_EXPIRING", status: ["OPEN"] }, a.keyA)).totalCount).toBe(0);
});

test("OCOP certificate expiring within 90 days; expired while listings are live", async () => {
  const ds = hub.db.dataSource;
  const [cert] = await ds.query(
    `INSERT INTO ocop_certification (product_id, star, decision_number, valid_until, validity_basis)
     VALUES ($1, 4, '123/QĐ-UBND', (now() AT TIME ZONE 'Asia/Ho_Chi_Minh')::date + 30, 'EXPIRY_GIVEN') RETURNING id`,
    [a.productId],
  );
  await evaluate();
  const expiring = await alerts({ rule: "OCOP_CERT_EXPIRING", status: ["OPEN"] }, a.keyA);
  expect(expiring.totalCount).toBe(1);
  expect(expiring.nodes[0]).toMatchObject({ severity: "WARNING", subject: `certification:${cert.id}` });
  expect(expiring.nodes[0].messageEn).toContain("30 days left");

  // Expired, no live listing: no false-claim alert (and no longer "expiring").
  await ds.query(
    `UPDATE ocop_certification SET valid_until = (now() AT TIME ZONE 'Asia/Ho_Chi_Minh')::date - 2 WHERE id = $1`,
    [cert.id],
  );
  await evaluate();
  expect((await alerts({ rule: "OCOP_CERT_EXPIRING", status: ["OPEN"] }, a.keyA)).totalCount).toBe(0);
  expect((await alerts({ rule: "OCOP_CERT_EXPIRED_LIVE", status: ["OPEN"] }, a.keyA)).totalCount).toBe(0);

  // A LIVE listing of the product, whose projected claim (ocop_claim_state, kept by the claims
  // job) still names the expired certificate: the stars are still shown, critical.
  const [v] = await ds.query(`SELECT id FROM variant WHERE product_id = $1`, [a.productId]);
  const [l] = await ds.query(
    `INSERT INTO listing (channel_id, product_id, variant_id, listing_key, state) VALUES ($1, $2, $3, 'k1', 'LIVE') RETURNING id`,
    [a.channelId, a.productId, v.id],
  );
  await ds.query(
    `INSERT INTO ocop_claim_state (product_id, certification_id, star, decision_number) VALUES ($1, $2, 4, '123/QĐ-UBND')
     ON CONFLICT (product_id) DO UPDATE SET certification_id = $2, star = 4`,
    [a.productId, cert.id],
  );
  await evaluate();
  const live = await alerts({ rule: "OCOP_CERT_EXPIRED_LIVE", status: ["OPEN"] }, a.keyA);
  expect(live.totalCount).toBe(1);
  expect(live.nodes[0]).toMatchObject({ severity: "CRITICAL", subject: `product:${a.productId}` });
  expect(JSON.parse(live.nodes[0].paramsJson).liveListings).toBe(1);

  // The claims job withdraws the claim (or projects a renewal): the alert resolves.
  await ds.query(`UPDATE ocop_claim_state SET certification_id = NULL, star = NULL WHERE product_id = $1`, [
    a.productId,
  ]);
  await evaluate();
  expect((await alerts({ rule: "OCOP_CERT_EXPIRED_LIVE", status: ["OPEN"] }, a.keyA)).totalCount).toBe(0);

  // Without the claims module, the rule falls back on the current certificate of products with
  // LIVE listings.
  await ds.query(`ALTER TABLE ocop_claim_state RENAME TO ocop_claim_state_away`);
  try {
    await evaluate();
    expect((await alerts({ rule: "OCOP_CERT_EXPIRED_LIVE", status: ["OPEN"] }, a.keyA)).totalCount).toBe(1);
  } finally {
    await ds.query(`ALTER TABLE ocop_claim_state_away RENAME TO ocop_claim_state`);
  }
  await evaluate();
  expect((await alerts({ rule: "OCOP_CERT_EXPIRED_LIVE", status: ["OPEN"] }, a.keyA)).totalCount).toBe(0);
  await ds.query(`DELETE FROM listing WHERE id = $1`, [l.id]);
});

test("sync error rate over the threshold, per channel over a window", async () => {
  const ds = hub.db.dataSource;
  const run = (total: number, failed: number, ago = "1 minute") =>
    ds.query(
      `INSERT INTO sync_run (channel_id, kind, trigger, status, outcome, total, applied, failed, queued_at, finished_at)
       VALUES ($1, 'STOCK', 'EVENT', 'FINISHED', $4, $2::int, $2::int - $3::int, $3::int, now() - $5::interval, now() - $5::interval)`,
      [a.channelId, total, failed, failed ? "PARTIALLY_FAILED" : "SUCCEEDED", ago],
    );
  await run(8, 1);
  // 1 of 8: too few items for a rate, and under 20% anyway.
  await evaluate();
  expect((await alerts({ rule: "SYNC_ERROR_RATE", status: ["OPEN"] }, a.keyA)).totalCount).toBe(0);
  await run(10, 6);
  // Old failures outside the window do not count.
  await run(100, 100, "3 hours");
  await evaluate();
  const open = await alerts({ rule: "SYNC_ERROR_RATE", status: ["OPEN"] }, a.keyA);
  expect(open.totalCount).toBe(1);
  expect(JSON.parse(open.nodes[0].paramsJson)).toMatchObject({ failed: 7, total: 18, percent: 39 });
  // A stricter threshold as configuration: below it, the alert resolves.
  await evaluate({ syncErrorRate: 0.5 });
  expect((await alerts({ rule: "SYNC_ERROR_RATE", status: ["OPEN"] }, a.keyA)).totalCount).toBe(0);
});

test("stock drift found by reconciliation stays open until a reconciliation finds none", async () => {
  const ds = hub.db.dataSource;
  const reconcile = (stockDrift: number) =>
    ds.query(
      `INSERT INTO sync_run (channel_id, kind, trigger, status, outcome, total, applied, details, finished_at)
       VALUES ($1, 'RECONCILE', 'SCHEDULE', 'FINISHED', 'SUCCEEDED', 5, 5, $2, now())`,
      [a.channelId, JSON.stringify({ checked: 5, drift: stockDrift, stockDrift, priceDrift: 0 })],
    );
  await reconcile(2);
  await evaluate();
  const open = await alerts({ rule: "STOCK_DRIFT", status: ["OPEN"] }, a.keyA);
  expect(open.totalCount).toBe(1);
  expect(open.nodes[0].messageVi).toContain("2 tin đăng lệch tồn kho");
  await new Promise((r) => setTimeout(r, 5));
  await reconcile(0);
  await evaluate();
  expect((await alerts({ rule: "STOCK_DRIFT", status: ["OPEN"] }, a.keyA)).totalCount).toBe(0);
  expect((await alerts({ rule: "STOCK_DRIFT", status: ["RESOLVED"] }, a.keyA)).totalCount).toBe(1);
});

test("queue age over the threshold is a platform alert, shown to the platform only", async () => {
  const q = new PgBossJobQueue({ connectionString: hub.db.url, poolSize: 2 });
  await q.start();
  try {
    await q.enqueueOrderImport({ channelId: a.channelId, externalOrderIds: ["Q1"], source: "PULL" });
    await new Promise((r) => setTimeout(r, 1200));
    await evaluate({ queueAgeSeconds: 1 });
    const admin = await alerts({ rule: "QUEUE_AGE", status: ["OPEN"] });
    expect(admin.totalCount).toBe(1);
    expect(admin.nodes[0]).toMatchObject({ subject: "queue:order-import", producerId: null });
    expect(JSON.parse(admin.nodes[0].paramsJson).waiting).toBe(1);
    expect((await alerts({ rule: "QUEUE_AGE" }, a.keyA)).totalCount).toBe(0);
    // A producer cannot acknowledge a platform alert it cannot see.
    const r = await hub.gql(ACK, { id: admin.nodes[0].id }, { key: a.keyA });
    expect(r.data.acknowledgeAlert.userErrors[0].code).toBe("NOT_FOUND");
    await evaluate({ queueAgeSeconds: 600 });
    expect((await alerts({ rule: "QUEUE_AGE", status: ["OPEN"] })).totalCount).toBe(0);
  } finally {
    await q.stop(1000);
  }
});

test("unread reviews raise one alert per producer until they are read", async () => {
  const ds = hub.db.dataSource;
  const review = (id: string, rating: number) =>
    ds.query(
      `INSERT INTO review (channel_id, producer_id, external_review_id, rating, text, remote_created_at)
       VALUES ($1, $2, $3, $4, 'Hàng giao chậm', now())`,
      [a.channelId, a.producerId, id, rating],
    );
  await review("R1", 5);
  await review("R2", 1);
  await evaluate();
  const open = await alerts({ rule: "NEW_REVIEWS", status: ["OPEN"] }, a.keyA);
  expect(open.totalCount).toBe(1);
  expect(open.nodes[0]).toMatchObject({ severity: "INFO", subject: `producer:${a.producerId}` });
  expect(open.nodes[0].messageVi).toBe("2 đánh giá mới của khách chưa đọc, trong đó 1 đánh giá 1–2 sao.");
  await review("R3", 4);
  await evaluate();
  const again = await alerts({ rule: "NEW_REVIEWS", status: ["OPEN"] }, a.keyA);
  expect(again.nodes).toHaveLength(1);
  expect(JSON.parse(again.nodes[0].paramsJson).unread).toBe(3);
  await ds.query(`UPDATE review SET read_at = now() WHERE producer_id = $1`, [a.producerId]);
  await evaluate();
  expect((await alerts({ rule: "NEW_REVIEWS", status: ["OPEN"] }, a.keyA)).totalCount).toBe(0);
});

test("two schedulers on one tick: one evaluation", async () => {
  const log = createLogger("silent");
  const s1 = new AlertScheduler(hub.db.dataSource, { cron: "* * * * *", log });
  const s2 = new AlertScheduler(hub.db.dataSource, { cron: "* * * * *", log });
  const at = new Date(Date.UTC(2030, 0, 1, 8, 0, 17));
  const [r1, r2] = await Promise.all([s1.tick(at), s2.tick(new Date(at.getTime() + 20_000))]);
  expect([r1.owned, r2.owned].filter(Boolean)).toHaveLength(1);
  expect(s1.evaluations + s2.evaluations).toBe(1);
  expect(alertTickKey("* * * * *", at)).toBe("alerts:2030-01-01T08:00:00.000Z");
  const [row] = await hub.db.dataSource.query(
    `SELECT finished_at FROM alert_evaluation WHERE tick_key = $1`,
    ["alerts:2030-01-01T08:00:00.000Z"],
  );
  expect(row.finished_at).not.toBeNull();
});
