/**
 * Per-channel schedules: node-cron tasks (Asia/Ho_Chi_Minh) for every ACTIVE channel and every
 * kind in its settings' schedules. Every worker process runs the same tasks; a tick creates its
 * sync_run with a tick key (`<kind>:<channelId>:<tick ISO>`) under a unique index, so whichever
 * process inserts first owns the tick and enqueues it, and the others do nothing. node-cron's
 * noOverlap only holds inside one process; the database is what makes N processes tick once.
 *
 * Schedules follow channel changes by polling (settings, status), so pausing a channel, a failed
 * authorization (NEEDS_REAUTH) or a new cron takes effect within one poll.
 */
import cron, { type ScheduledTask } from "node-cron";
import type { Logger } from "../common/logger";
import { settingsOf, ScheduleKind } from "../channels/channel-settings";
import type { MarketplaceCode } from "../channels/channel.entity";
import { VN_TIME_ZONE } from "../common/time";
import type { JobQueue } from "./jobs";
import type { SyncRuntime } from "./runtime";
import { createRun, finishRun } from "./sync-run.service";
import { SyncKind, SyncTrigger } from "./entities/sync-run.entity";

export interface SchedulerOptions {
  /** How often channels are re-read for schedule changes, ms. Default 30,000. */
  pollMs?: number;
  log?: Logger;
}

interface Task {
  expr: string;
  task: ScheduledTask;
}

/** The key that makes one tick one run: seconds precision for 6-field crons, minutes otherwise. */
export function tickKey(kind: ScheduleKind, channelId: string, expr: string, at: Date): string {
  const unitMs = expr.trim().split(/\s+/).length >= 6 ? 1_000 : 60_000;
  const tick = new Date(Math.floor(at.getTime() / unitMs) * unitMs);
  return `${kind}:${channelId}:${tick.toISOString()}`;
}

export class SyncScheduler {
  private readonly tasks = new Map<string, Task>();
  private pollTimer: NodeJS.Timeout | null = null;
  private stopped = false;
  private readonly log: Logger;
  /** Ticks this process created a run for (the others were taken by another process or skipped). */
  ticksOwned = 0;

  constructor(
    private readonly rt: SyncRuntime,
    private readonly queue: JobQueue,
    private readonly o: SchedulerOptions = {},
  ) {
    this.log = o.log ?? rt.log;
  }

  async start(): Promise<void> {
    await this.reload();
    const poll = () => {
      this.pollTimer = setTimeout(async () => {
        await this.reload().catch((err) => this.log.error({ err }, "schedule reload failed"));
        if (!this.stopped) poll();
      }, this.o.pollMs ?? 30_000);
    };
    poll();
  }

  /** Brings the running tasks in line with ACTIVE channels' schedules. */
  async reload(): Promise<void> {
    await this.requeueLostRuns().catch((err) => this.log.error({ err }, "re-queueing lost runs failed"));
    await this.finishAbandonedRuns().catch((err) =>
      this.log.error({ err }, "finishing abandoned runs failed"),
    );
    await this.retryFailedCreations().catch((err) =>
      this.log.error({ err }, "retrying failed creations failed"),
    );
    const rows: Array<{ id: string; settings: Record<string, unknown>; marketplace: MarketplaceCode }> =
      await this.rt.ds.query(`SELECT id, settings, marketplace FROM channel WHERE status = 'ACTIVE'`);
    const wanted = new Map<string, { channelId: string; kind: ScheduleKind; expr: string }>();
    for (const r of rows) {
      const schedules = settingsOf(r.settings).schedules;
      for (const [kind, expr] of Object.entries(schedules) as Array<[ScheduleKind, string | undefined]>) {
        if (!expr) continue;
        // Reviews only where the marketplace has a review API (no hourly no-op runs elsewhere).
        if (kind === "REVIEWS" && !this.rt.connectors[r.marketplace]?.capabilities.has("review.pull"))
          continue;
        if (!cron.validate(expr)) {
          this.log.warn({ channelId: r.id, kind, expr }, "invalid cron expression; not scheduled");
          continue;
        }
        wanted.set(`${r.id}:${kind}`, { channelId: r.id, kind, expr });
      }
    }
    for (const [key, t] of this.tasks) {
      if (wanted.get(key)?.expr === t.expr) continue;
      await t.task.destroy();
      this.tasks.delete(key);
    }
    if (this.stopped) return;
    for (const [key, w] of wanted) {
      if (this.tasks.has(key)) continue;
      const task = cron.schedule(
        w.expr,
        (ctx) =>
          this.tick(w.channelId, w.kind, w.expr, ctx.date).catch((err) =>
            this.log.error({ err, channelId: w.channelId, kind: w.kind }, "scheduled tick failed"),
          ),
        { timezone: VN_TIME_ZONE, noOverlap: true, name: `sync:${key}` },
      );
      this.tasks.set(key, { expr: w.expr, task });
    }
  }

  /**
   * One tick: creates the run unless another process already did (tick key) or the channel still
   * has a run of this kind waiting to start (no pile-up behind a slow marketplace), then enqueues it.
   * Returns the run id when this process owns the tick.
   */
  async tick(channelId: string, kind: ScheduleKind, expr: string, at: Date): Promise<string | null> {
    const key = tickKey(kind, channelId, expr, at);
    const rows: Array<{ id: string }> = await this.rt.ds.query(
      `INSERT INTO sync_run (channel_id, kind, trigger, status, details)
       SELECT $1, $2, 'SCHEDULE', 'QUEUED', jsonb_build_object('tickKey', $3::text, 'cron', $4::text)
        WHERE EXISTS (SELECT 1 FROM channel WHERE id = $1 AND status = 'ACTIVE')
          AND NOT EXISTS (SELECT 1 FROM sync_run WHERE channel_id = $1 AND kind = $2 AND status = 'QUEUED'
                          AND queued_at > now() - interval '1 hour')
       ON CONFLICT ((details->>'tickKey')) WHERE details ? 'tickKey' DO NOTHING
       RETURNING id`,
      [channelId, kind, key, expr],
    );
    if (rows.length === 0) return null;
    this.ticksOwned++;
    await this.queue.enqueueRun(rows[0].id, { singletonKey: key });
    return rows[0].id;
  }

  /**
   * A process that died (or lost its connection) between creating a QUEUED run and queueing its job
   * left a run no worker will ever take, and the tick guard above then blocks that channel and kind
   * for an hour (found by the fault suite, test/faults). Such runs are queued again; job ids are
   * derived from the tick key or run id, so a run whose job exists is not queued twice.
   */
  async requeueLostRuns(): Promise<number> {
    const rows: Array<{ id: string; tick_key: string | null }> = await this.rt.ds.query(
      `SELECT id, details->>'tickKey' AS tick_key FROM sync_run
        WHERE status = 'QUEUED' AND queued_at < now() - interval '60 seconds' AND queued_at > now() - interval '1 hour'`,
    );
    for (const r of rows) await this.queue.enqueueRun(r.id, r.tick_key ? { singletonKey: r.tick_key } : {});
    return rows.length;
  }

  /**
   * A price/stock/content run is executed by an outbox dispatcher holding the advisory lock
   * `outbox:<channelId>:<kind>` (outbox.dispatcher.ts). A dispatcher whose process died (SIGKILL,
   * crash) or whose push failed on a dropped connection left its run RUNNING for ever (found by the
   * fault suite). A RUNNING run of those kinds with no live job and no lock holder for over a minute
   * is finished as WORKER_LOST with the items it recorded; its listings are still dirty, so the next
   * dispatch pushes them. Were the dispatcher still alive after all, its own finishRun overwrites this.
   */
  async finishAbandonedRuns(): Promise<number> {
    const rows: Array<{ id: string; total: number; applied: number; skipped: number; failed: number }> =
      await this.rt.ds.query(
        `SELECT r.id,
                count(i.id)::int AS total,
                count(i.id) FILTER (WHERE i.status = 'APPLIED')::int AS applied,
                count(i.id) FILTER (WHERE i.status = 'SKIPPED')::int AS skipped,
                count(i.id) FILTER (WHERE i.status = 'FAILED')::int AS failed
           FROM sync_run r LEFT JOIN sync_item i ON i.run_id = r.id
          WHERE r.status = 'RUNNING' AND r.kind IN ('PRICE','STOCK','CONTENT')
            AND r.started_at < now() - interval '60 seconds'
            AND NOT EXISTS (SELECT 1 FROM pgboss.job j WHERE j.name = 'sync-run' AND j.data->>'runId' = r.id::text
                              AND j.state IN ('created','retry','active'))
            AND NOT EXISTS (SELECT 1 FROM pg_locks k WHERE k.locktype = 'advisory' AND k.granted AND k.objsubid = 1
                              AND ((k.classid::bigint << 32) | k.objid::bigint)
                                  = hashtextextended('outbox:' || r.channel_id || ':' || lower(r.kind), 0))
          GROUP BY r.id`,
      );
    for (const r of rows)
      await finishRun(this.rt.ds, r.id, {
        ...r,
        errorCode: "WORKER_LOST",
        errorMessage:
          "the process pushing this run stopped before finishing it; its listings stay dirty and are pushed again",
      });
    return rows.length;
  }

  /**
   * A new listing whose creation failed with a retriable answer (5xx, timeout, rate limit…) is FAILED
   * with its explanation and a `content_retry_at` (publish backs off 30 s × 2^attempts, and parks the
   * version after the fifth try). The outbox only pushes linked LIVE listings, so the retry is a
   * PUBLISH run for those products, queued here once it is due. The listings are claimed (their
   * retry time cleared) in the statement that finds them, so two schedulers never queue them twice.
   */
  async retryFailedCreations(): Promise<number> {
    const runIds = await this.rt.ds.transaction(async (m) => {
      const due: Array<{ channel_id: string; products: string[] }> = await m.query(
        `WITH claimed AS (
           UPDATE listing l SET content_retry_at = NULL, updated_at = now()
            WHERE l.id IN (
              SELECT l2.id FROM listing l2 JOIN channel c ON c.id = l2.channel_id
               WHERE l2.state = 'FAILED' AND l2.external_item_id IS NULL AND c.status = 'ACTIVE'
                 AND l2.content_failed_version IS NULL AND l2.content_retry_at <= now()
               FOR UPDATE OF l2 SKIP LOCKED)
           RETURNING l.channel_id, l.product_id)
         SELECT channel_id, array_agg(DISTINCT product_id::text) AS products FROM claimed GROUP BY channel_id`,
      );
      const ids: string[] = [];
      for (const d of due) {
        const run = await createRun(m, {
          channelId: d.channel_id,
          kind: SyncKind.PUBLISH,
          trigger: SyncTrigger.RETRY,
          details: { productIds: d.products, requestedBy: "retry of a failed creation" },
        });
        ids.push(run.id);
      }
      return ids;
    });
    // After the commit; a run whose job is lost here is queued again by requeueLostRuns.
    for (const id of runIds) await this.queue.enqueueRun(id);
    if (runIds.length) this.log.info({ runs: runIds.length }, "retrying failed creations");
    return runIds.length;
  }

  /** Scheduled task keys (`<channelId>:<kind>`), for tests and ops. */
  scheduled(): string[] {
    return [...this.tasks.keys()].sort();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.pollTimer) clearTimeout(this.pollTimer);
    for (const t of this.tasks.values()) await t.task.destroy();
    this.tasks.clear();
  }
}
