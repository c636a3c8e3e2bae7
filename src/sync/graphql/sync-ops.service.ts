/**
 * Sync runs for the API: trigger a run (or plan one: a dry run records what would be sent and
 * sends nothing), list and read runs with their items, retry failed items. Row access follows the
 * channel's producer: a producer's key sees and triggers only its own channels' runs.
 */
import { ChannelStatus, type MarketplaceCode } from "../../channels/channel.entity";
import { UserErrors } from "../../common/errors";
import { Scope, Viewer, canSeeProducer, hasScope, producerFilter } from "../../auth/viewer";
import { ForbiddenError } from "../../common/errors";
import type { PageWindow } from "../../common/graphql/relay";
import type { OutboxKind } from "../entities/listing.entity";
import { SyncItem, SyncItemStatus } from "../entities/sync-item.entity";
import { SyncKind, SyncOutcome, SyncRun, SyncRunStatus, SyncTrigger } from "../entities/sync-run.entity";
import type { JobQueue } from "../jobs";
import type { SyncRuntime } from "../runtime";
import { createRun, finishRun } from "../sync-run.service";
import { planOutbox } from "../worker";
import { refreshTokenRun } from "../token-refresh";

export interface SyncRunFilter {
  channelId?: string | null;
  kind?: SyncKind | null;
  status?: SyncRunStatus | null;
  outcome?: SyncOutcome | null;
  trigger?: SyncTrigger | null;
}

const OUTBOX: Partial<Record<SyncKind, OutboxKind>> = {
  [SyncKind.PRICE]: "price",
  [SyncKind.STOCK]: "stock",
  [SyncKind.CONTENT]: "content",
};

interface ChannelRow {
  id: string;
  producer_id: string;
  status: ChannelStatus;
  marketplace: MarketplaceCode;
}

export class SyncOpsService {
  constructor(
    private readonly rt: SyncRuntime,
    private readonly queue: JobQueue | null,
  ) {}

  /** The channel when the viewer may see it; NOT_FOUND otherwise (no existence leak). */
  private async visibleChannel(viewer: Viewer, channelId: string, field: string): Promise<ChannelRow> {
    const [ch]: ChannelRow[] = await this.rt.ds.query(
      `SELECT id, producer_id, status, marketplace FROM channel WHERE id = $1`,
      [channelId],
    );
    if (!ch || !canSeeProducer(viewer, ch.producer_id))
      throw UserErrors.one(field, "NOT_FOUND", { entity: "channel", id: channelId });
    return ch;
  }

  /** Running sync work needs channel management (producers, offices) or the operations desk. */
  private assertCanOperate(viewer: Viewer, producerId: string): void {
    if (!hasScope(viewer, Scope.MANAGE_CHANNELS, producerId) && !hasScope(viewer, Scope.OPS, producerId))
      throw new ForbiddenError();
  }

  async trigger(
    viewer: Viewer,
    input: { channelId: string; kind: SyncKind; dryRun: boolean },
    requestId: string | null = null,
  ): Promise<SyncRun> {
    const ch = await this.visibleChannel(viewer, input.channelId, "channelId");
    this.assertCanOperate(viewer, ch.producer_id);
    if (input.kind === SyncKind.PUBLISH)
      throw UserErrors.one("kind", "INVALID_VALUE", {
        label: "kind",
        value: input.kind,
        allowed:
          "PRICE, STOCK, CONTENT, ORDERS, RECONCILE, REFRESH_TOKEN, REVIEWS (publishProducts publishes)",
      });
    const connector = this.rt.connectors[ch.marketplace];
    if (input.kind === SyncKind.REVIEWS && !connector.capabilities.has("review.pull"))
      throw UserErrors.one("kind", "REVIEWS_UNSUPPORTED", { marketplace: connector.displayName });
    if (input.dryRun) return this.dryRun(ch, input.kind, requestId);
    if (ch.status !== ChannelStatus.ACTIVE)
      throw UserErrors.one("channelId", "CHANNEL_STATE", { status: ch.status, action: "sync" });
    if (!this.queue) throw UserErrors.one("", "QUEUE_UNAVAILABLE");
    const run = await createRun(this.rt.ds, {
      channelId: ch.id,
      kind: input.kind,
      trigger: SyncTrigger.MANUAL,
      requestId,
      details: { actor: viewer.actor },
    });
    await this.queue.enqueueRun(run.id);
    return run;
  }

  /** Plans inline: reads the database only, so it needs no worker and sends nothing. */
  private async dryRun(ch: ChannelRow, kind: SyncKind, requestId: string | null): Promise<SyncRun> {
    if (!OUTBOX[kind] && kind !== SyncKind.REFRESH_TOKEN)
      throw UserErrors.one("dryRun", "DRY_RUN_UNSUPPORTED", { kind });
    const run = await createRun(
      this.rt.ds,
      { channelId: ch.id, kind, trigger: SyncTrigger.MANUAL, dryRun: true, requestId },
      SyncRunStatus.RUNNING,
    );
    const totals = OUTBOX[kind]
      ? await planOutbox(this.rt, run, OUTBOX[kind]!)
      : await refreshTokenRun(this.rt, run);
    await finishRun(this.rt.ds, run.id, totals);
    return (await this.rt.ds.getRepository(SyncRun).findOneBy({ id: run.id }))!;
  }

  private where(viewer: Viewer, f: SyncRunFilter): { sql: string; params: unknown[] } {
    const params: unknown[] = [];
    const cond: string[] = [];
    const add = (c: string, v: unknown) => {
      params.push(v);
      cond.push(c.replace("$?", `$${params.length}`));
    };
    const producers = producerFilter(viewer);
    // Runs without a channel are platform-wide: only for viewers who see every producer.
    if (producers !== null) add(`c.producer_id = ANY($?::uuid[])`, producers);
    if (f.channelId) add(`r.channel_id = $?`, f.channelId);
    if (f.kind) add(`r.kind = $?`, f.kind);
    if (f.status) add(`r.status = $?`, f.status);
    if (f.outcome) add(`r.outcome = $?`, f.outcome);
    if (f.trigger) add(`r.trigger = $?`, f.trigger);
    return {
      sql: `FROM sync_run r LEFT JOIN channel c ON c.id = r.channel_id${cond.length ? ` WHERE ${cond.join(" AND ")}` : ""}`,
      params,
    };
  }

  async list(viewer: Viewer, f: SyncRunFilter, win: PageWindow): Promise<SyncRun[]> {
    const w = this.where(viewer, f);
    const ids: Array<{ id: string }> = await this.rt.ds.query(
      `SELECT r.id ${w.sql} ORDER BY r.queued_at DESC, r.id DESC OFFSET ${win.offset} LIMIT ${win.limit + 1}`,
      w.params,
    );
    return this.byIds(ids.map((r) => r.id));
  }

  async count(viewer: Viewer, f: SyncRunFilter): Promise<number> {
    const w = this.where(viewer, f);
    const [r] = await this.rt.ds.query(`SELECT count(*)::int AS n ${w.sql}`, w.params);
    return r.n;
  }

  private async byIds(ids: string[]): Promise<SyncRun[]> {
    if (ids.length === 0) return [];
    const rows = await this.rt.ds.getRepository(SyncRun).createQueryBuilder("r").whereInIds(ids).getMany();
    const byId = new Map(rows.map((r) => [r.id, r]));
    return ids.map((id) => byId.get(id)!).filter(Boolean);
  }

  async get(viewer: Viewer, runId: string): Promise<SyncRun | null> {
    const run = await this.rt.ds.getRepository(SyncRun).findOneBy({ id: runId });
    if (!run) return null;
    if (!run.channelId) return producerFilter(viewer) === null ? run : null;
    const [ch] = await this.rt.ds.query(`SELECT producer_id FROM channel WHERE id = $1`, [run.channelId]);
    return ch && canSeeProducer(viewer, ch.producer_id) ? run : null;
  }

  async items(runId: string, status: SyncItemStatus | null, win: PageWindow): Promise<SyncItem[]> {
    return this.rt.ds.getRepository(SyncItem).find({
      where: status ? { runId, status } : { runId },
      order: { id: "ASC" },
      skip: win.offset,
      take: win.limit + 1,
    });
  }

  async countItems(runId: string, status: SyncItemStatus | null): Promise<number> {
    return this.rt.ds.getRepository(SyncItem).count({ where: status ? { runId, status } : { runId } });
  }

  /**
   * Retries the failed items of a run (all, or the ones given). Outbox items: their listings are
   * marked dirty again (version bump + NOTIFY, so workers push them at once), and a RETRY run of the
   * same kind is queued to record the result. Other kinds: the run is queued again as a RETRY run.
   */
  async retry(viewer: Viewer, runId: string, itemIds: string[] | null, requestId: string | null = null) {
    const run = await this.get(viewer, runId);
    if (!run || !run.channelId) throw UserErrors.one("runId", "NOT_FOUND", { entity: "sync run", id: runId });
    const ch = await this.visibleChannel(viewer, run.channelId, "runId");
    this.assertCanOperate(viewer, ch.producer_id);
    if (ch.status !== ChannelStatus.ACTIVE)
      throw UserErrors.one("runId", "CHANNEL_STATE", { status: ch.status, action: "sync" });
    if (!this.queue) throw UserErrors.one("", "QUEUE_UNAVAILABLE");
    const failed: Array<{ id: string; listing_id: string | null; kind: string }> = await this.rt.ds.query(
      `SELECT id, listing_id, kind FROM sync_item
        WHERE run_id = $1 AND status = 'FAILED' AND ($2::bigint[] IS NULL OR id = ANY($2::bigint[]))`,
      [runId, itemIds],
    );
    if (failed.length === 0 && run.outcome !== SyncOutcome.FAILED)
      throw UserErrors.one("itemIds", "NOTHING_TO_RETRY");

    // What the run itself needs (e.g. a publish's products), without its bookkeeping.
    const { tickKey: _t, takeovers: _o, attempts: _a, lastError: _l, ...carried } = run.details;
    const retryRun = await this.rt.ds.transaction(async (m) => {
      for (const kind of ["price", "stock", "content"] as const) {
        const ids = failed.filter((i) => i.kind === kind && i.listing_id).map((i) => i.listing_id!);
        if (ids.length === 0) continue;
        await m.query(
          `UPDATE listing SET ${kind}_version = ${kind}_version + 1,
                  ${kind}_dirty_since = coalesce(${kind}_dirty_since, now()), updated_at = now()
            WHERE id = ANY($1::uuid[]) AND state <> 'DELISTED'`,
          [ids],
        );
        await m.query(`SELECT pg_notify('ocop_outbox', $1)`, [`${run.channelId}:${kind}`]);
      }
      return createRun(m, {
        channelId: run.channelId,
        kind: run.kind,
        trigger: SyncTrigger.RETRY,
        requestId,
        details: {
          ...(OUTBOX[run.kind] ? {} : carried),
          retryOf: run.id,
          itemIds: failed.map((i) => i.id),
          actor: viewer.actor,
        },
      });
    });
    await this.queue.enqueueRun(retryRun.id);
    return retryRun;
  }
}
