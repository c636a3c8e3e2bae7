/**
 * The worker on a real pg-boss queue in the test database: two workers (two queues, two
 * startWorker) share the jobs; each run executes once in effect, a worker that dies mid-run has its
 * run finished by the other, transient errors defer without burning attempts, channels that need a
 * new authorization are skipped, and two schedulers create one run per tick.
 */
import crypto from "node:crypto";
import { SecretBox } from "../../src/common/crypto";
import { createLogger } from "../../src/common/logger";
import { ConnectorError, NeedsReauthError } from "../../src/channels/connectors/http/types";
import { PgBossJobQueue } from "../../src/sync/job-queue";
import { JobQueue } from "../../src/sync/jobs";
import { createSyncRuntime, SyncRuntime } from "../../src/sync/runtime";
import { createRun } from "../../src/sync/sync-run.service";
import { SyncKind, SyncTrigger } from "../../src/sync/entities/sync-run.entity";
import { SyncItemStatus } from "../../src/sync/entities/sync-item.entity";
import { RunExecutor, RunningWorker, startWorker } from "../../src/sync/worker";
import { SyncScheduler, tickKey } from "../../src/sync/scheduler";
import { recordItems } from "../../src/sync/sync-run.service";
import { createTestDatabase, TestDatabase } from "../support/test-db";
import { insertChannel } from "../support/channel-fixture";

let db: TestDatabase;
let rt: SyncRuntime;
const started: Array<{ q: PgBossJobQueue; w?: RunningWorker }> = [];

beforeAll(async () => {
  db = await createTestDatabase({ poolSize: 10 });
  rt = createSyncRuntime({
    ds: db.dataSource,
    box: new SecretBox([crypto.randomBytes(32)]),
    log: createLogger(process.env.TEST_LOG ?? "silent"),
  });
});

afterEach(async () => {
  for (const s of started.splice(0)) {
    if (s.w) await s.w.stop().catch(() => undefined);
    else await s.q.boss.stop({ graceful: false }).catch(() => undefined);
  }
});

afterAll(async () => {
  await db?.drop();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(
  what: string,
  fn: () => Promise<T | null | undefined | false>,
  ms = 10_000,
): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

async function newQueue(opts: Partial<ConstructorParameters<typeof PgBossJobQueue>[0]> = {}) {
  const q = new PgBossJobQueue({
    connectionString: db.url,
    poolSize: 3,
    heartbeatSeconds: null,
    runExpireSeconds: 3,
    superviseIntervalSeconds: 1,
    pollingIntervalSeconds: 0.5,
    retryDelaySeconds: 1,
    log: rt.log,
    ...opts,
  });
  await q.start();
  const entry: { q: PgBossJobQueue; w?: RunningWorker } = { q };
  started.push(entry);
  return entry;
}

async function worker(executors: Partial<Record<SyncKind, RunExecutor>>) {
  const entry = await newQueue();
  entry.w = await startWorker(rt, entry.q, { executors, listen: false, sweepMs: 0, deferBaseSeconds: 0.2 });
  return entry;
}

async function channel(status = "ACTIVE"): Promise<string> {
  const id = await insertChannel(db.dataSource, { marketplace: "tiki", baseUrl: "http://127.0.0.1:9" });
  if (status !== "ACTIVE")
    await db.dataSource.query(`UPDATE channel SET status = $2 WHERE id = $1`, [id, status]);
  return id;
}

async function run(channelId: string, kind = SyncKind.RECONCILE): Promise<string> {
  return (await createRun(db.dataSource, { channelId, kind, trigger: SyncTrigger.MANUAL })).id;
}

async function runRow(id: string) {
  const [r] = await db.dataSource.query(`SELECT * FROM sync_run WHERE id = $1`, [id]);
  return r;
}

test("two workers run every job once, never two writes of one channel at a time", async () => {
  const executions = new Map<string, string[]>();
  const active = new Map<string, number>();
  let maxActivePerChannel = 0;
  const exec =
    (name: string): RunExecutor =>
    async (r, runRow) => {
      executions.set(runRow.id, [...(executions.get(runRow.id) ?? []), name]);
      const n = (active.get(runRow.channelId!) ?? 0) + 1;
      active.set(runRow.channelId!, n);
      maxActivePerChannel = Math.max(maxActivePerChannel, n);
      await sleep(15);
      active.set(runRow.channelId!, n - 1);
      await recordItems(r.ds, runRow.id, [{ kind: "stock", status: SyncItemStatus.APPLIED }]);
    };
  const a = await worker({ [SyncKind.RECONCILE]: exec("a") });
  const b = await worker({ [SyncKind.RECONCILE]: exec("b") });
  const channels = await Promise.all([channel(), channel(), channel()]);
  const runIds: string[] = [];
  for (let i = 0; i < 30; i++) runIds.push(await run(channels[i % 3]));
  // Each run is enqueued through both queues: the job id dedupes, startRun guards the rest.
  await Promise.all(runIds.flatMap((id) => [a.q.enqueueRun(id), b.q.enqueueRun(id)]));

  await until("all runs finished", async () => {
    const [r] = await db.dataSource.query(
      `SELECT count(*)::int AS n FROM sync_run WHERE id = ANY($1) AND status = 'FINISHED'`,
      [runIds],
    );
    return r.n === runIds.length;
  });
  for (const id of runIds) expect(executions.get(id)).toHaveLength(1);
  const byWorker = [...executions.values()].flat();
  expect(byWorker.filter((w) => w === "a").length + byWorker.filter((w) => w === "b").length).toBe(30);
  expect(maxActivePerChannel).toBe(1);
  const rows = await db.dataSource.query(`SELECT outcome, applied FROM sync_run WHERE id = ANY($1)`, [
    runIds,
  ]);
  expect(rows.every((r: any) => r.outcome === "SUCCEEDED" && r.applied === 1)).toBe(true);
});

test("a worker that dies mid-run has its run finished by the other", async () => {
  const ch = await channel();
  let startedOnA!: () => void;
  const onA = new Promise<void>((r) => (startedOnA = r));
  const a = await worker({
    [SyncKind.RECONCILE]: async () => {
      startedOnA();
      await new Promise(() => undefined); // hangs, as a process frozen or killed mid-call
    },
  });
  const id = await run(ch);
  await a.q.enqueueRun(id);
  await onA;
  // The crash: A's connections vanish without failing or completing its job.
  await (a.q.boss.getDb() as unknown as { close(): Promise<void> }).close();
  a.w = undefined;

  const finishedBy: string[] = [];
  await worker({
    [SyncKind.RECONCILE]: async (r, runRow) => {
      finishedBy.push(runRow.id);
      await recordItems(r.ds, runRow.id, [{ kind: "price", status: SyncItemStatus.APPLIED }]);
    },
  });
  const done = await until(
    "run taken over",
    async () => {
      const r = await runRow(id);
      return r.status === "FINISHED" ? r : null;
    },
    15_000,
  );
  expect(finishedBy).toEqual([id]);
  expect(done.outcome).toBe("SUCCEEDED");
  expect(done.details.takeovers).toBe(1);
});

test("rate limits defer the run without burning attempts; auth failures stop it and the channel", async () => {
  const limited = await channel();
  const revoked = await channel();
  const paused = await channel("NEEDS_REAUTH");
  const calls = new Map<string, number>();
  await worker({
    [SyncKind.STOCK]: async (r, runRow) => {
      const n = (calls.get(runRow.channelId!) ?? 0) + 1;
      calls.set(runRow.channelId!, n);
      if (runRow.channelId === revoked)
        throw new NeedsReauthError("tiki", "invalid_grant", "revoked", "token");
      // More 429s than the queue's retryLimit (3): they must not use up the attempts.
      if (n <= 4) throw new ConnectorError("tiki", "rate_limited", "429", "too many requests", "stock");
      return { total: 1, applied: 1, skipped: 0, failed: 0 };
    },
  });
  const q = started[0].q;
  const [rl, rv, pa] = [
    await run(limited, SyncKind.STOCK),
    await run(revoked, SyncKind.STOCK),
    await run(paused, SyncKind.STOCK),
  ];
  for (const id of [rl, rv, pa]) await q.enqueueRun(id);

  const done = await until(
    "rate-limited run finished",
    async () => {
      const r = await runRow(rl);
      return r.status === "FINISHED" ? r : null;
    },
    15_000,
  );
  expect(calls.get(limited)).toBe(5);
  expect(done.outcome).toBe("SUCCEEDED");
  expect(done.details.attempts).toBe(4);

  const rev = await until("revoked run finished", async () => {
    const r = await runRow(rv);
    return r.status === "FINISHED" ? r : null;
  });
  expect(rev.outcome).toBe("FAILED");
  expect(rev.error_code).toBe("CHANNEL_NEEDS_REAUTH");
  expect(calls.get(revoked)).toBe(1);
  const [ch] = await db.dataSource.query(`SELECT status FROM channel WHERE id = $1`, [revoked]);
  expect(ch.status).toBe("NEEDS_REAUTH");

  const skipped = await until("paused run skipped", async () => {
    const r = await runRow(pa);
    return r.status === "CANCELLED" ? r : null;
  });
  expect(skipped.error_code).toBe("CHANNEL_NEEDS_REAUTH");
  expect(calls.has(paused)).toBe(false);
}, 30_000);

test("two schedulers create and enqueue each tick once; inactive channels are not scheduled", async () => {
  const active = await channel();
  const inactive = await channel("NEEDS_REAUTH");
  const everySecond = { ORDERS: "* * * * * *", STOCK: "", PRICE: "", RECONCILE: "", REFRESH_TOKEN: "" };
  await db.dataSource.query(`UPDATE channel SET settings = $2 WHERE id = ANY($1)`, [
    [active, inactive],
    JSON.stringify({ schedules: everySecond }),
  ]);
  const enqueued: string[] = [];
  // A queue whose "worker" finishes each run at once, so every tick is free to create its run.
  const queue: JobQueue = {
    async enqueueRun(runId) {
      enqueued.push(runId);
      await db.dataSource.query(`UPDATE sync_run SET status = 'FINISHED' WHERE id = $1`, [runId]);
    },
    async enqueueOrderImport() {},
  };
  const s1 = new SyncScheduler(rt, queue, { pollMs: 60_000 });
  const s2 = new SyncScheduler(rt, queue, { pollMs: 60_000 });
  await Promise.all([s1.start(), s2.start()]);
  try {
    expect(s1.scheduled().filter((k) => k.startsWith(inactive))).toEqual([]);
    expect(s1.scheduled()).toContain(`${active}:ORDERS`);
    await sleep(3_200);
  } finally {
    await Promise.all([s1.stop(), s2.stop()]);
  }
  const runs = await db.dataSource.query(
    `SELECT details->>'tickKey' AS tick, trigger FROM sync_run WHERE channel_id = $1 AND kind = 'ORDERS'`,
    [active],
  );
  expect(runs.length).toBeGreaterThanOrEqual(2);
  expect(new Set(runs.map((r: any) => r.tick)).size).toBe(runs.length);
  expect(runs.every((r: any) => r.trigger === "SCHEDULE")).toBe(true);
  expect(enqueued).toHaveLength(runs.length);
  expect(s1.ticksOwned + s2.ticksOwned).toBe(runs.length);

  // The same tick raced by hand: one winner.
  const at = new Date();
  const [x, y] = await Promise.all([
    s1.tick(active, "ORDERS", "*/5 * * * *", at),
    s2.tick(active, "ORDERS", "*/5 * * * *", at),
  ]);
  expect([x, y].filter(Boolean)).toHaveLength(1);
  const [n] = await db.dataSource.query(
    `SELECT count(*)::int AS n FROM sync_run WHERE details->>'tickKey' = $1`,
    [tickKey("ORDERS", active, "*/5 * * * *", at)],
  );
  expect(n.n).toBe(1);
});
