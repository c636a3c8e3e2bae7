/**
 * Found by the fault suite (seed 1246855089): a worker killed between a scheduler tick's INSERT of
 * its QUEUED run and the enqueue of its job left a run nobody would take, and the tick guard then
 * blocked that channel's RECONCILE schedule for an hour. The scheduler now re-queues such runs;
 * this proves it on a real pg-boss queue: the lost run gets a job and is executed once, a run whose
 * job exists is not queued twice, and a run only just created is left to its own tick.
 * Same suite: a worker SIGKILLed mid-push (or a push failing on a terminated connection) left its
 * outbox run RUNNING for ever; such runs are now finished as WORKER_LOST.
 */
import crypto from "node:crypto";
import { Client } from "pg";
import { SecretBox } from "../../src/common/crypto";
import { createLogger } from "../../src/common/logger";
import { PgBossJobQueue } from "../../src/sync/job-queue";
import { createSyncRuntime, SyncRuntime } from "../../src/sync/runtime";
import { SyncScheduler } from "../../src/sync/scheduler";
import { SyncKind } from "../../src/sync/entities/sync-run.entity";
import { RunningWorker, startWorker } from "../../src/sync/worker";
import { createTestDatabase, TestDatabase } from "../support/test-db";
import { insertChannel } from "../support/channel-fixture";
import { insertCatalogue } from "../support/order-fixture";

let db: TestDatabase;
let rt: SyncRuntime;
let queue: PgBossJobQueue;
let worker: RunningWorker | null = null;

beforeAll(async () => {
  db = await createTestDatabase({ poolSize: 10 });
  rt = createSyncRuntime({
    ds: db.dataSource,
    box: new SecretBox([crypto.randomBytes(32)]),
    log: createLogger("silent"),
  });
  queue = await new PgBossJobQueue({ connectionString: db.url, log: rt.log }).start();
});

afterAll(async () => {
  if (worker) await worker.stop();
  else await queue.stop();
  await db?.drop();
});

async function queuedRun(channelId: string, ageSeconds: number, tick: string): Promise<string> {
  const [r] = await db.dataSource.query(
    `INSERT INTO sync_run (channel_id, kind, trigger, status, details, queued_at)
     VALUES ($1, 'RECONCILE', 'SCHEDULE', 'QUEUED', jsonb_build_object('tickKey', $2::text), now() - make_interval(secs => $3))
     RETURNING id`,
    [channelId, tick, ageSeconds],
  );
  return r.id;
}

const jobsOf = async (runId: string): Promise<number> =>
  (
    await db.dataSource.query(
      `SELECT count(*)::int AS n FROM pgboss.job WHERE name = 'sync-run' AND data->>'runId' = $1`,
      [runId],
    )
  )[0].n;

test("a QUEUED run left without a job is queued again, once, and executed", async () => {
  const channelId = await insertChannel(db.dataSource, {
    marketplace: "shopee",
    baseUrl: "http://127.0.0.1:1",
  });
  const lost = await queuedRun(channelId, 120, `RECONCILE:${channelId}:lost`);
  const fresh = await queuedRun(channelId, 5, `RECONCILE:${channelId}:fresh`);
  const scheduler = new SyncScheduler(rt, queue, { pollMs: 60_000 });

  expect(await scheduler.requeueLostRuns()).toBe(1);
  expect(await jobsOf(lost)).toBe(1);
  expect(await jobsOf(fresh)).toBe(0);
  // Again (as every worker's poll does): the job id is the tick key's, so no second job.
  await scheduler.requeueLostRuns();
  expect(await jobsOf(lost)).toBe(1);

  const executed: string[] = [];
  worker = await startWorker(rt, queue, {
    listen: false,
    sweepMs: 0,
    executors: {
      [SyncKind.RECONCILE]: async (_rt, run) => {
        executed.push(run.id);
      },
    },
  });
  const until = Date.now() + 15_000;
  while (Date.now() < until) {
    const [r] = await db.dataSource.query(`SELECT status FROM sync_run WHERE id = $1`, [lost]);
    if (r.status === "FINISHED") break;
    await new Promise((res) => setTimeout(res, 100));
  }
  expect(executed).toEqual([lost]);
  const [after] = await db.dataSource.query(`SELECT status FROM sync_run WHERE id = $1`, [lost]);
  expect(after.status).toBe("FINISHED");
});

test("a push run whose dispatcher died is finished as WORKER_LOST; one whose dispatcher holds its lock is not", async () => {
  const channelId = await insertChannel(db.dataSource, {
    marketplace: "lazada",
    baseUrl: "http://127.0.0.1:1",
  });
  const running = async (kind: string, ageSeconds: number): Promise<string> => {
    const [r] = await db.dataSource.query(
      `INSERT INTO sync_run (channel_id, kind, trigger, status, queued_at, started_at)
       VALUES ($1, $2, 'EVENT', 'RUNNING', now() - make_interval(secs => $3), now() - make_interval(secs => $3))
       RETURNING id`,
      [channelId, kind, ageSeconds],
    );
    return r.id;
  };
  const abandoned = await running("STOCK", 120);
  await db.dataSource.query(
    `INSERT INTO sync_item (run_id, sku, kind, status) VALUES ($1, 'A-1', 'stock', 'APPLIED'), ($1, 'A-2', 'stock', 'APPLIED')`,
    [abandoned],
  );
  const locked = await running("PRICE", 120);
  const young = await running("CONTENT", 10);
  // A live dispatcher of (channel, price) holds its advisory lock on a connection of its own.
  const holder = new Client({ connectionString: db.url });
  await holder.connect();
  try {
    await holder.query(`SELECT pg_advisory_lock(hashtextextended($1, 0))`, [`outbox:${channelId}:price`]);
    const scheduler = new SyncScheduler(rt, queue, { pollMs: 60_000 });
    expect(await scheduler.finishAbandonedRuns()).toBe(1);
  } finally {
    await holder.end();
  }
  const rows: Array<{ id: string; status: string; error_code: string | null; applied: number }> =
    await db.dataSource.query(
      `SELECT id, status, error_code, applied FROM sync_run WHERE id = ANY($1::uuid[])`,
      [[abandoned, locked, young]],
    );
  const by = new Map(rows.map((r) => [r.id, r]));
  expect(by.get(abandoned)).toMatchObject({ status: "FINISHED", error_code: "WORKER_LOST", applied: 2 });
  expect(by.get(locked)).toMatchObject({ status: "RUNNING", error_code: null });
  expect(by.get(young)).toMatchObject({ status: "RUNNING", error_code: null });
});

test("a creation that failed with a retriable answer is published again once due, by one scheduler", async () => {
  const cat = await insertCatalogue(db.dataSource, { "RETRY-A": 5, "RETRY-B": 5, "RETRY-C": 5 });
  const channelId = await insertChannel(db.dataSource, {
    marketplace: "tiki",
    baseUrl: "http://127.0.0.1:1",
  });
  const listing = async (sku: string, retryIn: number | null, failedVersion: number | null) =>
    db.dataSource.query(
      `INSERT INTO listing (channel_id, product_id, variant_id, listing_key, state, last_error,
                            content_version, content_attempts, content_retry_at, content_failed_version)
       VALUES ($1, $2, $3, $4, 'FAILED', '{"code":"REMOTE_UNAVAILABLE"}', 1, 1,
               CASE WHEN $5::int IS NULL THEN NULL ELSE now() + make_interval(secs => $5::int) END, $6)`,
      [channelId, cat.productId, cat.variants[sku], sku, retryIn, failedVersion],
    );
  await listing("RETRY-A", -5, null); // due
  await listing("RETRY-B", 600, null); // backing off
  await listing("RETRY-C", null, 1); // failed for good (fatal, or the fifth try): explained, not retried
  const a = new SyncScheduler(rt, queue, { pollMs: 60_000 });
  const b = new SyncScheduler(rt, queue, { pollMs: 60_000 });
  const [na, nb] = await Promise.all([a.retryFailedCreations(), b.retryFailedCreations()]);
  expect(na + nb).toBe(1);
  const runs = await db.dataSource.query(
    `SELECT id, kind, trigger, details FROM sync_run WHERE channel_id = $1 AND kind = 'PUBLISH'`,
    [channelId],
  );
  expect(runs).toHaveLength(1);
  expect(runs[0]).toMatchObject({ trigger: "RETRY", details: { productIds: [cat.productId] } });
  expect(await jobsOf(runs[0].id)).toBe(1);
  const left = await db.dataSource.query(
    `SELECT listing_key, content_retry_at IS NOT NULL AS waiting FROM listing WHERE channel_id = $1 ORDER BY listing_key`,
    [channelId],
  );
  expect(left).toEqual([
    { listing_key: "RETRY-A", waiting: false },
    { listing_key: "RETRY-B", waiting: true },
    { listing_key: "RETRY-C", waiting: false },
  ]);
  expect(await a.retryFailedCreations()).toBe(0); // claimed: not queued again
});
