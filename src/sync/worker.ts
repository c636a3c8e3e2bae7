/**
 * The worker: executes queued sync runs and order imports from the job queue, and pushes catalogue
 * changes to marketplaces within milliseconds of their commit (LISTEN 'ocop_outbox', debounced per
 * channel and kind), with a periodic sweep of dirty listings as the safety net for notifications
 * lost while a connection was down.
 *
 * A sync run executes at most once in effect: startRun moves it QUEUED → RUNNING atomically, so a
 * duplicate job finds it taken; a job re-delivered after its worker died (retryCount > 0) takes the
 * RUNNING run over. A channel whose authorization failed is moved to NEEDS_REAUTH and its runs are
 * recorded as cancelled, not retried.
 */
import { Client } from "pg";
import type { Logger } from "../common/logger";
import { Channel, ChannelStatus } from "../channels/channel.entity";
import { ConnectorError, NeedsReauthError } from "../channels/connectors/http/types";
import { PgCredentialStore } from "../channels/credential-store";
import type { OutboxKind } from "./entities/listing.entity";
import { SyncKind, SyncRun, SyncRunStatus, SyncTrigger } from "./entities/sync-run.entity";
import { SyncItemStatus } from "./entities/sync-item.entity";
import { JobQueue, OrderImportJob, QUEUES, SyncRunJob } from "./jobs";
import { PgBossJobQueue, QueuedJob, RetryLater } from "./job-queue";
import { ChannelUnavailableError, SyncRuntime } from "./runtime";
import { finishRun, recordItems, RunTotals, startRun } from "./sync-run.service";
import { refreshTokenRun } from "./token-refresh";
import { DispatchResult, OutboxDispatcher } from "./outbox.dispatcher";
import { desiredValues } from "./desired-state";
import { runPublish } from "./publish.service";
import { reconcile } from "./reconcile.service";
import { pullOrders } from "../orders/order-pull.service";
import { processOrderImportJob } from "../orders/order-import.service";
import { pullReviews } from "../reviews/review-pull.service";

export type DispatchFn = (
  channelId: string,
  kind: OutboxKind,
  trigger: SyncTrigger,
  opts?: { runId?: string },
) => Promise<DispatchResult>;

/** Executes one RUNNING run; returns its totals, or nothing when it finished the run itself or recorded items. */
export type RunExecutor = (rt: SyncRuntime, run: SyncRun, queue: JobQueue) => Promise<RunTotals | void>;

export interface WorkerOptions {
  /** For the LISTEN connection; defaults to the DataSource's URL. */
  connectionString?: string;
  /** Jobs of each queue this process runs at once. Default 4. */
  concurrency?: number;
  /** LISTEN on 'ocop_outbox' (default true); off only to measure the sweep alone. */
  listen?: boolean;
  /** Coalescing window after a notification, ms. Default 5. */
  debounceMs?: number;
  /** Safety-net sweep for dirty listings, ms; 0 = none. Default 5,000. */
  sweepMs?: number;
  /** Replace executors by run kind (tests); the others stay the real ones. */
  executors?: Partial<Record<SyncKind, RunExecutor>>;
  /** Replace the order import (tests). */
  importOrders?: (rt: SyncRuntime, job: OrderImportJob) => Promise<void>;
  /** Replace the outbox dispatch (tests). */
  dispatch?: DispatchFn;
  /** First delay after a rate limit or transient error, seconds (doubles per deferral). Default 5. */
  deferBaseSeconds?: number;
}

export interface RunningWorker {
  listener: OutboxListener;
  stop(): Promise<void>;
}

const OUTBOX_KIND: Partial<Record<SyncKind, OutboxKind>> = {
  [SyncKind.PRICE]: "price",
  [SyncKind.STOCK]: "stock",
  [SyncKind.CONTENT]: "content",
};

function defaultExecutors(dispatch: DispatchFn): Record<SyncKind, RunExecutor> {
  const outbox: RunExecutor = async (rt, run) => {
    const kind = OUTBOX_KIND[run.kind]!;
    if (run.dryRun) return planOutbox(rt, run, kind);
    // The dispatcher executes this run (records its items and finishes it).
    await dispatch(run.channelId!, kind, run.trigger, { runId: run.id });
  };
  return {
    [SyncKind.PUBLISH]: (rt, run) => runPublish(rt, run.id),
    [SyncKind.PRICE]: outbox,
    [SyncKind.STOCK]: outbox,
    [SyncKind.CONTENT]: outbox,
    [SyncKind.ORDERS]: (rt, run, queue) => pullOrders(rt, queue, run.id),
    [SyncKind.RECONCILE]: (rt, run, queue) => reconcile(rt, run.id, queue),
    [SyncKind.REFRESH_TOKEN]: (rt, run) => refreshTokenRun(rt, run),
    [SyncKind.REVIEWS]: (rt, run) => pullReviews(rt, run),
  };
}

/**
 * A dry run of a price/stock/content sweep: what would be sent, as PLANNED items, nothing sent.
 * Values come from desired-state (catalogue + channel rules), the same source the dispatcher uses.
 */
export async function planOutbox(rt: SyncRuntime, run: SyncRun, kind: OutboxKind): Promise<RunTotals> {
  const rows: Array<{ id: string; sku: string; version: string }> = await rt.ds.query(
    `SELECT l.id, v.sku, l.${kind}_version AS version
       FROM listing l JOIN variant v ON v.id = l.variant_id
      WHERE l.channel_id = $1 AND l.state = 'LIVE' AND l.${kind}_version > l.${kind}_pushed_version
      ORDER BY v.sku`,
    [run.channelId],
  );
  const values =
    kind === "content"
      ? new Map<string, { priceVnd: number | null; stock: number }>()
      : await desiredValues(
          rt.ds,
          rows.map((r) => r.id),
        );
  await recordItems(
    rt.ds,
    run.id,
    rows.map((r) => {
      const v = values.get(r.id);
      return {
        listingId: r.id,
        sku: r.sku,
        kind,
        status: SyncItemStatus.PLANNED,
        version: r.version,
        value:
          kind === "price"
            ? { priceVnd: v?.priceVnd ?? null }
            : kind === "stock"
              ? { stock: v?.stock ?? 0 }
              : null,
      };
    }),
  );
  return { total: rows.length, applied: 0, skipped: 0, failed: 0 };
}

// ---------- run execution ----------

async function countsOf(rt: SyncRuntime, runId: string): Promise<RunTotals> {
  const [r] = await rt.ds.query(
    `SELECT count(*)::int AS total,
            count(*) FILTER (WHERE status = 'APPLIED')::int AS applied,
            count(*) FILTER (WHERE status = 'SKIPPED')::int AS skipped,
            count(*) FILTER (WHERE status = 'FAILED')::int AS failed
       FROM sync_item WHERE run_id = $1`,
    [runId],
  );
  return r;
}

async function cancelRun(rt: SyncRuntime, runId: string, code: string, message: string): Promise<void> {
  await rt.ds.query(
    `UPDATE sync_run SET status = 'CANCELLED', error_code = $2, error_message = $3, finished_at = now()
      WHERE id = $1 AND status IN ('QUEUED', 'RUNNING')`,
    [runId, code, message],
  );
}

/** Puts a RUNNING run back in the queue state, so the next attempt's startRun takes it again. */
async function requeueRun(rt: SyncRuntime, runId: string, reason: Record<string, unknown>): Promise<void> {
  await rt.ds.query(
    `UPDATE sync_run SET status = 'QUEUED', started_at = NULL,
            details = jsonb_set(details || jsonb_build_object('lastError', $2::jsonb), '{attempts}',
                                to_jsonb(coalesce((details->>'attempts')::int, 0) + 1))
      WHERE id = $1 AND status = 'RUNNING'`,
    [runId, JSON.stringify(reason)],
  );
}

/** Backoff for transient/rate-limited failures: 5 s doubling to 5 minutes, with jitter. */
export function deferralSeconds(deferrals: number, baseSeconds = 5): number {
  const base = Math.min(300, baseSeconds * 2 ** Math.min(deferrals, 6));
  return base * (0.75 + Math.random() * 0.5);
}

function isAuthFailure(e: unknown): e is NeedsReauthError | ChannelUnavailableError {
  return e instanceof NeedsReauthError || e instanceof ChannelUnavailableError;
}

async function markNeedsReauth(rt: SyncRuntime, channelId: string, e: NeedsReauthError): Promise<void> {
  const [ch] = await rt.ds.query(`SELECT status FROM channel WHERE id = $1`, [channelId]);
  if (ch?.status === ChannelStatus.ACTIVE)
    await new PgCredentialStore(rt.ds, rt.box, channelId).markNeedsReauth(`${e.code}: ${e.remoteMessage}`);
}

/** Executes one sync run for a job; exported for tests and for running a run inline. */
export async function executeRunJob(
  rt: SyncRuntime,
  queue: JobQueue,
  executors: Record<SyncKind, RunExecutor>,
  job: Pick<QueuedJob<SyncRunJob>, "data" | "retryCount" | "retryLimit" | "deferrals">,
  deferBaseSeconds = 5,
): Promise<void> {
  const runId = job.data.runId;
  const run = await rt.ds.getRepository(SyncRun).findOneBy({ id: runId });
  if (!run) return rt.log.warn({ runId }, "sync run vanished before it ran");
  if (run.status === SyncRunStatus.FINISHED || run.status === SyncRunStatus.CANCELLED) return;
  if (run.status === SyncRunStatus.QUEUED) {
    if (!(await startRun(rt.ds, runId))) return; // another worker took it a moment ago
  } else if (job.retryCount === 0) {
    return; // RUNNING under another job: a duplicate delivery
  } else {
    // Re-delivered after the attempt that started it died or expired: this worker finishes it.
    rt.log.warn({ runId, retryCount: job.retryCount }, "taking over a sync run whose worker stopped");
    await rt.ds.query(
      `UPDATE sync_run SET details = jsonb_set(details, '{takeovers}', to_jsonb(coalesce((details->>'takeovers')::int, 0) + 1))
        WHERE id = $1`,
      [runId],
    );
  }

  if (run.channelId) {
    const channel = await rt.ds.getRepository(Channel).findOneBy({ id: run.channelId });
    if (!channel || channel.status !== ChannelStatus.ACTIVE) {
      const status = channel?.status ?? "MISSING";
      return cancelRun(rt, runId, `CHANNEL_${status}`, `channel is ${status}; run skipped`);
    }
  }

  const log = rt.log.child({ runId, kind: run.kind, channelId: run.channelId, requestId: run.requestId });
  try {
    const totals = await executors[run.kind](rt, { ...run, status: SyncRunStatus.RUNNING }, queue);
    const [now] = await rt.ds.query(`SELECT status FROM sync_run WHERE id = $1`, [runId]);
    if (now?.status === SyncRunStatus.RUNNING)
      await finishRun(rt.ds, runId, totals ?? (await countsOf(rt, runId)));
  } catch (e) {
    if (isAuthFailure(e)) {
      if (e instanceof NeedsReauthError && run.channelId) await markNeedsReauth(rt, run.channelId, e);
      log.warn({ err: e.message }, "channel needs a new authorization; run stopped");
      await finishRun(rt.ds, runId, {
        ...(await countsOf(rt, runId)),
        errorCode: e instanceof ChannelUnavailableError ? `CHANNEL_${e.status}` : "CHANNEL_NEEDS_REAUTH",
        errorMessage: e.message,
      });
      return;
    }
    if (e instanceof ConnectorError && e.retriable) {
      await requeueRun(rt, runId, { code: e.code, message: e.message, kind: e.kind });
      throw new RetryLater(
        deferralSeconds(job.deferrals, deferBaseSeconds),
        `${e.kind}: ${e.code}; run deferred`,
      );
    }
    const message = e instanceof Error ? e.message : String(e);
    if (job.retryCount >= job.retryLimit) {
      log.error({ err: e }, "sync run failed for good");
      await finishRun(rt.ds, runId, {
        ...(await countsOf(rt, runId)),
        errorCode: e instanceof ConnectorError ? e.code : "INTERNAL_ERROR",
        errorMessage: message,
      });
    } else {
      log.warn({ err: message, attempt: job.retryCount + 1 }, "sync run failed; will retry");
      await requeueRun(rt, runId, { message });
    }
    throw e;
  }
}

async function executeOrderImport(
  rt: SyncRuntime,
  importOrders: (rt: SyncRuntime, job: OrderImportJob) => Promise<void>,
  job: QueuedJob<OrderImportJob>,
  deferBaseSeconds = 5,
): Promise<void> {
  try {
    await importOrders(rt, job.data);
  } catch (e) {
    if (isAuthFailure(e)) {
      // The webhook events stay unprocessed; the order pull after re-authorization picks them up.
      if (e instanceof NeedsReauthError) await markNeedsReauth(rt, job.data.channelId, e);
      rt.log.warn(
        { channelId: job.data.channelId, requestId: job.data.requestId, err: e.message },
        "order import skipped: channel unavailable",
      );
      return;
    }
    if (e instanceof ConnectorError && e.retriable)
      throw new RetryLater(
        deferralSeconds(job.deferrals, deferBaseSeconds),
        `${e.kind}: ${e.code}; order import deferred`,
      );
    throw e;
  }
}

// ---------- LISTEN/NOTIFY-driven outbox dispatch ----------

interface KeyState {
  timer: NodeJS.Timeout | null;
  running: Promise<void> | null;
  again: boolean;
  trigger: SyncTrigger;
}

export interface OutboxListenerOptions {
  connectionString: string;
  listen: boolean;
  debounceMs: number;
  sweepMs: number;
  log: Logger;
}

/**
 * Turns '<channelId>:<kind>' notifications into dispatches: a few ms of debounce coalesces a burst
 * into one batch, and one key never has two dispatches in flight in this process (a notification
 * during a dispatch schedules one more right after it). Other processes are kept out by the
 * dispatcher's advisory lock.
 */
export class OutboxListener {
  private client: Client | null = null;
  private readonly keys = new Map<string, KeyState>();
  private sweepTimer: NodeJS.Timeout | null = null;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private stopped = false;
  /** Dispatches started, for tests and metrics. */
  dispatches = 0;

  constructor(
    private readonly rt: SyncRuntime,
    private readonly dispatch: DispatchFn,
    private readonly o: OutboxListenerOptions,
  ) {}

  async start(): Promise<void> {
    if (this.o.listen) await this.connect();
    if (this.o.sweepMs > 0) this.scheduleSweep();
  }

  private async connect(): Promise<void> {
    const client = new Client({
      connectionString: this.o.connectionString,
      application_name: "ocop-hub:outbox",
    });
    client.on("notification", (n) => {
      if (n.channel !== "ocop_outbox" || !n.payload) return;
      const [channelId, kind] = n.payload.split(":");
      if (kind === "price" || kind === "stock" || kind === "content")
        this.notify(channelId, kind, SyncTrigger.EVENT);
    });
    const lost = (err?: Error) => {
      if (this.client !== client) return;
      this.client = null;
      client.removeAllListeners("error");
      client.on("error", () => undefined);
      void client.end().catch(() => undefined);
      if (this.stopped) return;
      this.o.log.warn({ err: err?.message }, "outbox LISTEN connection lost; reconnecting");
      this.reconnectTimer = setTimeout(() => void this.reconnect(), 500);
    };
    client.on("error", lost);
    client.on("end", () => lost());
    await client.connect();
    await client.query("LISTEN ocop_outbox");
    this.client = client;
  }

  private async reconnect(): Promise<void> {
    this.reconnectTimer = null;
    if (this.stopped) return;
    try {
      await this.connect();
      // Notifications sent while we were away are gone: catch up at once.
      await this.sweep(0);
    } catch (err) {
      this.o.log.warn({ err: (err as Error).message }, "outbox LISTEN reconnect failed");
      this.reconnectTimer = setTimeout(() => void this.reconnect(), 2_000);
    }
  }

  /** Queues a dispatch of one channel and kind, coalescing with any already pending. */
  notify(channelId: string, kind: OutboxKind, trigger: SyncTrigger): void {
    if (this.stopped) return;
    const key = `${channelId}:${kind}`;
    let s = this.keys.get(key);
    if (!s) {
      s = { timer: null, running: null, again: false, trigger };
      this.keys.set(key, s);
    }
    if (s.running) {
      s.again = true;
      return;
    }
    if (s.timer) return;
    s.trigger = trigger;
    s.timer = setTimeout(() => this.run(key, channelId, kind), this.o.debounceMs);
  }

  private run(key: string, channelId: string, kind: OutboxKind): void {
    const s = this.keys.get(key)!;
    s.timer = null;
    s.again = false;
    this.dispatches++;
    s.running = (async () => {
      let progress = false;
      try {
        const r = await this.dispatch(channelId, kind, s.trigger);
        // More than one batch's worth was dirty: go on while it makes progress (failures wait for the sweep).
        progress = r.remaining > 0 && r.pushed > 0;
      } catch (err) {
        if (err instanceof ChannelUnavailableError)
          this.o.log.debug({ channelId }, "dispatch skipped: channel unavailable");
        else this.o.log.error({ err, channelId, kind }, "outbox dispatch failed");
      } finally {
        s.running = null;
      }
      if (s.again || progress) this.notify(channelId, kind, SyncTrigger.EVENT);
      else if (!s.timer) this.keys.delete(key);
    })();
  }

  private scheduleSweep(): void {
    if (this.stopped) return;
    this.sweepTimer = setTimeout(async () => {
      // Listings dirtied within the last second are the listener's; the sweep is for lost notifications.
      await this.sweep(this.client ? 1_000 : 0).catch((err) =>
        this.o.log.error({ err }, "outbox sweep failed"),
      );
      this.scheduleSweep();
    }, this.o.sweepMs);
  }

  /** Dispatches every ACTIVE channel/kind with listings dirty for longer than minAgeMs. */
  async sweep(minAgeMs: number): Promise<number> {
    const parts = (["price", "stock", "content"] as const).map(
      (k) => `SELECT DISTINCT channel_id, '${k}' AS kind FROM listing
                WHERE ${k}_version > ${k}_pushed_version AND state <> 'DELISTED'
                  AND ${k}_dirty_since <= now() - make_interval(secs => $1::double precision / 1000)`,
    );
    const rows: Array<{ channel_id: string; kind: OutboxKind }> = await this.rt.ds.query(
      `SELECT d.channel_id, d.kind FROM (${parts.join(" UNION ")}) d
         JOIN channel c ON c.id = d.channel_id AND c.status = 'ACTIVE'`,
      [minAgeMs],
    );
    for (const r of rows) this.notify(r.channel_id, r.kind, SyncTrigger.SCHEDULE);
    return rows.length;
  }

  /** Resolves when nothing is pending or running (tests, graceful stop). */
  async idle(): Promise<void> {
    for (;;) {
      const busy = [...this.keys.values()].filter((s) => s.timer || s.running);
      if (busy.length === 0) return;
      await Promise.all(
        busy.map((s) => s.running ?? new Promise((r) => setTimeout(r, this.o.debounceMs + 1))),
      );
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.sweepTimer) clearTimeout(this.sweepTimer);
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    for (const s of this.keys.values()) if (s.timer) clearTimeout(s.timer);
    await Promise.all([...this.keys.values()].map((s) => s.running));
    const c = this.client;
    this.client = null;
    if (c) await c.end().catch(() => undefined);
  }
}

// ---------- the worker ----------

/** Starts job handlers and the outbox listener; stop() is graceful (in-flight jobs and dispatches finish). */
export async function startWorker(
  rt: SyncRuntime,
  queue: PgBossJobQueue,
  opts: WorkerOptions = {},
): Promise<RunningWorker> {
  // One dispatcher per process: it paces push cycles per (channel, kind) across calls.
  let dispatch: DispatchFn;
  if (opts.dispatch) dispatch = opts.dispatch;
  else {
    const d = new OutboxDispatcher(rt);
    dispatch = (c, k, t, o) => d.dispatch(c, k, t, o);
  }
  const executors = { ...defaultExecutors(dispatch), ...opts.executors };
  const importOrders = opts.importOrders ?? processOrderImportJob;

  await queue.work(
    {
      [QUEUES.SYNC_RUN]: (job) => executeRunJob(rt, queue, executors, job, opts.deferBaseSeconds),
      [QUEUES.ORDER_IMPORT]: (job) => executeOrderImport(rt, importOrders, job, opts.deferBaseSeconds),
    },
    { concurrency: opts.concurrency },
  );

  const connectionString = opts.connectionString ?? (rt.ds.options as { url?: string }).url;
  if (!connectionString) throw new Error("startWorker: no connection string for LISTEN");
  const listener = new OutboxListener(rt, dispatch, {
    connectionString,
    listen: opts.listen ?? true,
    debounceMs: opts.debounceMs ?? 5,
    sweepMs: opts.sweepMs ?? 5_000,
    log: rt.log,
  });
  await listener.start();
  return {
    listener,
    async stop() {
      await listener.stop();
      await queue.stop();
    },
  };
}
