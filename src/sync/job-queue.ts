/**
 * The durable job queue on pg-boss 12, in schema "pgboss" of the hub's own database, so jobs,
 * retries and locks live where the data lives and any number of workers share them.
 *
 * Policies, and why:
 * - sync-run uses the `singleton` policy with a per-channel singletonKey (`write:<channelId>` for
 *   PUBLISH/PRICE/STOCK/CONTENT/RECONCILE, `<kind>:<channelId>` for reads): at most one write run per
 *   channel is active across all workers, so writes to one shop never interleave, while other
 *   channels run in parallel and the queue behind a key is unlimited. `key_strict_fifo` was not
 *   chosen: a job that fails for good blocks its key until someone deletes it, which would stop a
 *   channel's sync silently.
 * - Deduplication is by job id: `enqueueRun` derives the job id from the run id (or from the
 *   caller's singletonKey), and pg-boss inserts a job id once, so enqueuing twice queues once.
 * - Retries: thrown errors are retried with exponential backoff (pg-boss attempts). Rate limits and
 *   transient marketplace errors are not failures of the job: a handler throws `RetryLater`, and the
 *   queue re-sends the job with startAfter and completes this attempt, so no attempt is burnt.
 * - A worker that dies mid-job loses its claim after the heartbeat (or expiry) lapses; another
 *   worker then receives the same job with retryCount + 1 (see worker.ts for the run takeover).
 */
import crypto from "node:crypto";
import type { Logger } from "../common/logger";
import { JobQueue, OrderImportJob, QUEUES, QueueName, SyncRunJob } from "./jobs";

// pg-boss is ESM-only: require(esm) in Node ≥20.19 (and the swc transform under jest).
const { PgBoss } = require("pg-boss") as typeof import("pg-boss");
type Boss = InstanceType<typeof PgBoss>;
type BossJob<T> = import("pg-boss").JobWithMetadata<T>;

export interface PgBossJobQueueOptions {
  connectionString: string;
  /** Default "pgboss". */
  schema?: string;
  /** Connections in pg-boss's own pool. Default 4. */
  poolSize?: number;
  /** A sync run may stay active this long before it is retried elsewhere. Default 7,200 s (a 10,000-SKU publish). */
  runExpireSeconds?: number;
  /** Liveness of an active job: a worker that stops heartbeating loses it after this. Default 30 s; null = expiry only. */
  heartbeatSeconds?: number | null;
  /** How often expired/heartbeat-lost jobs are looked for. Default 10 s. */
  superviseIntervalSeconds?: number;
  /** Real attempts (thrown errors) before a job fails. Default 3. */
  retryLimit?: number;
  /** First retry delay after a failed or expired attempt, seconds (exponential backoff up to 300). Default 5. */
  retryDelaySeconds?: number;
  /** Re-sends for RetryLater before it counts as a real failure. Default 30. */
  maxDeferrals?: number;
  /** Idle polling when NOTIFY is unavailable, seconds. Default 2. */
  pollingIntervalSeconds?: number;
  log?: Logger;
  /** Name in pg-boss's instance registry, e.g. "worker". */
  instanceName?: string;
}

/** Thrown by a handler when the work should run again later without counting as a failed attempt. */
export class RetryLater extends Error {
  constructor(
    public readonly delaySeconds: number,
    reason: string,
  ) {
    super(reason);
    this.name = "RetryLater";
  }
}

/** What a handler sees of a job. */
export interface QueuedJob<T> {
  id: string;
  data: T;
  /** 0 on the first attempt; > 0 when a previous attempt failed, expired or its worker died. */
  retryCount: number;
  retryLimit: number;
  /** Times the job was deferred by RetryLater so far. */
  deferrals: number;
  signal: AbortSignal;
}

export interface JobHandlers {
  [QUEUES.SYNC_RUN]?: (job: QueuedJob<SyncRunJob>) => Promise<void>;
  [QUEUES.ORDER_IMPORT]?: (job: QueuedJob<OrderImportJob>) => Promise<void>;
}

export interface WorkOptions {
  /** Jobs of each queue one process runs at once. Default 4. */
  concurrency?: number;
}

/** Kinds whose runs write to the marketplace and are serialised per channel. */
const WRITE_KINDS = new Set(["PUBLISH", "PRICE", "STOCK", "CONTENT", "RECONCILE"]);

/** A uuid-shaped, deterministic job id, so the same logical job is inserted once. */
export function jobIdFor(key: string): string {
  const h = crypto.createHash("sha256").update(key).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export function orderingKey(kind: string, channelId: string | null): string {
  const ch = channelId ?? "none";
  return WRITE_KINDS.has(kind) ? `write:${ch}` : `${kind.toLowerCase()}:${ch}`;
}

type Envelope<T> = T & { __deferrals?: number };

export class PgBossJobQueue implements JobQueue {
  readonly boss: Boss;
  private readonly o: Required<Omit<PgBossJobQueueOptions, "log" | "instanceName" | "heartbeatSeconds">> & {
    heartbeatSeconds: number | null;
  };
  private readonly log: Logger | undefined;
  private started = false;

  constructor(opts: PgBossJobQueueOptions) {
    this.o = {
      connectionString: opts.connectionString,
      schema: opts.schema ?? "pgboss",
      poolSize: opts.poolSize ?? 4,
      runExpireSeconds: opts.runExpireSeconds ?? 7_200,
      heartbeatSeconds: opts.heartbeatSeconds === undefined ? 30 : opts.heartbeatSeconds,
      superviseIntervalSeconds: opts.superviseIntervalSeconds ?? 10,
      retryLimit: opts.retryLimit ?? 3,
      retryDelaySeconds: opts.retryDelaySeconds ?? 5,
      maxDeferrals: opts.maxDeferrals ?? 30,
      pollingIntervalSeconds: opts.pollingIntervalSeconds ?? 2,
    };
    this.log = opts.log;
    this.boss = new PgBoss({
      connectionString: this.o.connectionString,
      schema: this.o.schema,
      max: this.o.poolSize,
      application_name: "ocop-hub:pg-boss",
      useListenNotify: true,
      superviseIntervalSeconds: this.o.superviseIntervalSeconds,
      monitorIntervalSeconds: this.o.superviseIntervalSeconds,
      // Our schedules are node-cron + run rows (scheduler.ts); pg-boss's own cron stays off.
      schedule: false,
      instanceName: opts.instanceName,
      openTelemetry: { enabled: false },
    });
    this.boss.on("error", (err: unknown) => this.log?.error({ err }, "pg-boss error"));
    this.boss.on("warning", (w: unknown) => this.log?.warn({ warning: w }, "pg-boss warning"));
  }

  /** Installs/migrates the pgboss schema (under pg-boss's own lock) and creates the queues. */
  async start(): Promise<this> {
    await this.boss.start();
    const retry = {
      retryLimit: this.o.retryLimit,
      retryDelay: this.o.retryDelaySeconds,
      retryBackoff: true,
      retryDelayMax: 300,
    };
    const heartbeat = this.o.heartbeatSeconds == null ? {} : { heartbeatSeconds: this.o.heartbeatSeconds };
    await this.ensureQueue(QUEUES.SYNC_RUN, {
      policy: "singleton",
      notify: true,
      expireInSeconds: this.o.runExpireSeconds,
      ...heartbeat,
      ...retry,
    });
    await this.ensureQueue(QUEUES.ORDER_IMPORT, {
      policy: "standard",
      notify: true,
      expireInSeconds: Math.min(600, this.o.runExpireSeconds),
      ...heartbeat,
      ...retry,
      retryLimit: this.o.retryLimit + 2,
    });
    this.started = true;
    return this;
  }

  private async ensureQueue(name: QueueName, options: Omit<import("pg-boss").Queue, "name">): Promise<void> {
    if (await this.boss.getQueue(name)) {
      // Policy and heartbeat are fixed at creation; the rest follows this process's settings.
      const { policy: _p, heartbeatSeconds: _h, ...rest } = options;
      await this.boss.updateQueue(name, rest);
      return;
    }
    await this.boss.createQueue(name, options).catch(async (e) => {
      // Another process created it at the same moment.
      if (!(await this.boss.getQueue(name))) throw e;
    });
  }

  async enqueueRun(
    runId: string,
    opts: { singletonKey?: string; startAfterSeconds?: number } = {},
  ): Promise<void> {
    const { rows } = await this.boss
      .getDb()
      .executeSql(`SELECT kind, channel_id FROM public.sync_run WHERE id = $1`, [runId]);
    if (rows.length === 0) throw new Error(`sync_run ${runId} does not exist`);
    await this.boss.send(QUEUES.SYNC_RUN, { runId } satisfies SyncRunJob, {
      id: jobIdFor(opts.singletonKey ?? `run:${runId}`),
      singletonKey: orderingKey(rows[0].kind, rows[0].channel_id),
      startAfter: opts.startAfterSeconds ?? 0,
    });
  }

  async enqueueOrderImport(job: OrderImportJob): Promise<void> {
    await this.boss.send(QUEUES.ORDER_IMPORT, job);
  }

  /** Starts handlers for the queues given; each process may work any subset. */
  async work(handlers: JobHandlers, opts: WorkOptions = {}): Promise<void> {
    if (!this.started) throw new Error("PgBossJobQueue.work() before start()");
    for (const name of Object.keys(handlers) as QueueName[]) {
      const handler = handlers[name] as ((job: QueuedJob<unknown>) => Promise<void>) | undefined;
      if (!handler) continue;
      await this.boss.work(
        name,
        {
          batchSize: 1,
          includeMetadata: true,
          localConcurrency: opts.concurrency ?? 4,
          // NOTIFY wakes workers when a job is sent, but not when a singleton key frees up (the run
          // ahead of it on the same channel completes): that waiting job is found by this poll.
          pollingIntervalSeconds: this.o.pollingIntervalSeconds,
          notifyPollingIntervalSeconds: this.o.pollingIntervalSeconds,
        },
        async (jobs: BossJob<Envelope<object>>[]) => {
          for (const job of jobs) await this.runOne(name, job, handler);
        },
      );
    }
  }

  private async runOne(
    name: QueueName,
    job: BossJob<Envelope<object>>,
    handler: (job: QueuedJob<unknown>) => Promise<void>,
  ): Promise<void> {
    const { __deferrals, ...data } = job.data;
    const deferrals = __deferrals ?? 0;
    try {
      await handler({
        id: job.id,
        data,
        retryCount: job.retryCount,
        retryLimit: job.retryLimit,
        deferrals,
        signal: job.signal,
      });
    } catch (e) {
      if (!(e instanceof RetryLater) || deferrals >= this.o.maxDeferrals) throw e;
      // A fresh job for later; this attempt completes, so retryCount (the attempt budget) is untouched.
      const next = deferrals + 1;
      const runId = (data as Partial<SyncRunJob>).runId;
      await this.boss.send(
        name,
        { ...data, __deferrals: next },
        {
          id: jobIdFor(`${job.id}:deferral:${next}`),
          singletonKey: job.singletonKey ?? undefined,
          startAfter: Math.max(1, Math.round(e.delaySeconds)),
        },
      );
      this.log?.info({ queue: name, runId, delaySeconds: e.delaySeconds, deferrals: next }, e.message);
    }
  }

  /** Graceful: stops fetching, waits for active jobs (up to timeoutMs), then closes the pool. */
  async stop(timeoutMs = 30_000): Promise<void> {
    await this.boss.stop({ graceful: true, timeout: timeoutMs, close: true });
  }
}
