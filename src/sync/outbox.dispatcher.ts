/**
 * The outbox dispatcher: pushes dirty listings of one channel and one kind (price, stock, content)
 * to the marketplace. Triggers mark listings dirty in the transaction that changes the catalogue;
 * this drains them in the largest batches the connector allows, reads writes back where the
 * marketplace can say "OK" without applying, and records the result by compare-and-set on the
 * version it read: a change made during a push keeps the listing dirty (pushed again), an old push
 * never marks a newer version done. One dispatcher per (channel, kind) across all processes, held
 * by a PostgreSQL advisory lock on its own connection (released if the process dies).
 */
import { Client, type ClientConfig } from "pg";
import type { DataSource } from "typeorm";
import type {
  ItemResult,
  MarketplaceConnector,
  RemoteRef,
  RemoteState,
} from "../channels/connectors/connector";
import { ConnectorError, NeedsReauthError } from "../channels/connectors/http/types";
import type { OutboxKind } from "./entities/listing.entity";
import { SyncItemStatus } from "./entities/sync-item.entity";
import { SyncKind, SyncTrigger } from "./entities/sync-run.entity";
import { desiredValues } from "./desired-state";
import { runPublish } from "./publish.service";
import { explainFailure, type Explanation } from "./explain";
import { ChannelHandle, ChannelUnavailableError, openChannel, type SyncRuntime } from "./runtime";
import {
  createRun,
  finishRun,
  recordItems,
  startRun,
  type ItemRecord,
  type RunTotals,
} from "./sync-run.service";
import { SyncRunStatus } from "./entities/sync-run.entity";
import { chunk, mapLimit } from "../common/collections";
import { observePropagation } from "../observability/registry";

export interface DispatchResult {
  /** The sync_run that recorded the pushes; null when nothing was pushed. */
  runId: string | null;
  /** Listings whose value the marketplace applied (and, where it can, confirmed by read-back). */
  pushed: number;
  /** Listings that failed for good in this dispatch (explained; retried only after a new change). */
  failed: number;
  /** Listings of this channel and kind still dirty afterwards (pending retries included). */
  remaining: number;
}

export interface OutboxDispatcherOptions {
  /**
   * Least time between two pushes of one listing's value (per kind) from this process. While one
   * listing keeps changing, its values coalesce for this long; a first change is pushed at once, and
   * other listings of the channel never wait for it. A hot listing (several changes during its hold,
   * pushed again as soon as the hold ended) is held twice as long after that push (at most
   * 2 × minCycleMs), so a burst of up to 2.1 s at the default 700 ms ends in ≤ 3 pushes however fast
   * the database takes it; two sales in a row are not a burst and keep the 700 ms hold.
   */
  minCycleMs?: number;
  /** Retriable failures (incl. read-back mismatches) of one listing before it is failed, explained. Default 5. */
  maxAttempts?: number;
  /** First retry delay, doubled per attempt up to `maxBackoffMs`. Default 250 ms. */
  backoffMs?: number;
  /** Default 60 s. */
  maxBackoffMs?: number;
  /** A dispatch waits in-process for a retry due within this long; later ones are left to the next dispatch. Default 5 s. */
  maxRetryWaitMs?: number;
  /** Listings taken per cycle. Default 2,000. */
  batchLimit?: number;
  /** Connector calls in flight at once per cycle (the HTTP client's rate budget still applies). Default 4. */
  callConcurrency?: number;
  /** Read pushed values back where the connector can. Default true. */
  readBack?: boolean;
}

interface DirtyRow {
  id: string;
  sku: string;
  listing_key: string;
  external_item_id: string;
  external_sku_id: string | null;
  version: string;
  attempts: number;
  /** When the listing became dirty (the oldest change this push carries). */
  dirty_since: Date | null;
}

/** The outcome of one listing in one cycle, before it is written back. */
interface Outcome {
  row: DirtyRow;
  value: number | null;
  result: ItemResult;
  /** Read-back value when it matched. */
  confirmed?: number | null;
  /** Our code when we decided the failure (no price, read-back mismatch). */
  code?: string;
}

const KIND_RUN: Record<OutboxKind, SyncKind> = {
  price: SyncKind.PRICE,
  stock: SyncKind.STOCK,
  content: SyncKind.CONTENT,
};

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Splits a batch into the calls the marketplace allows: for `perItemCalls` marketplaces (Shopee,
 * TikTok Shop) one parent item per call, each at most `perCall` SKUs.
 */
export function callBatches<T extends RemoteRef>(items: T[], perCall: number, perItemCalls: boolean): T[][] {
  if (!perItemCalls) return chunk(items, perCall);
  const byItem = new Map<string, T[]>();
  for (const u of items) {
    const list = byItem.get(u.externalItemId) ?? [];
    list.push(u);
    byItem.set(u.externalItemId, list);
  }
  return [...byItem.values()].flatMap((list) => chunk(list, perCall));
}

/** A thrown connector failure as per-item results; a lost authorization aborts the dispatch. */
function failedAll(keys: string[], e: unknown): ItemResult[] {
  if (e instanceof NeedsReauthError) throw e;
  if (e instanceof ConnectorError) {
    return keys.map((key) => ({
      key,
      outcome: e.retriable ? "failed_retriable" : "failed_fatal",
      remoteCode: e.code,
      remoteMessage: e.remoteMessage,
    }));
  }
  const message = e instanceof Error ? e.message : String(e);
  return keys.map((key) => ({
    key,
    outcome: "failed_retriable",
    remoteCode: "CLIENT_ERROR",
    remoteMessage: message,
  }));
}

interface DispatchState {
  runId: string | null;
  ownRun: boolean;
  pushed: number;
  failed: number;
  items: { total: number; applied: number; skipped: number; failed: number; retrying: number };
  calls: number;
  cycles: number;
  errorCode: string | null;
  errorMessage: string | null;
}

/** What a dispatch achieved, as the totals its sync run is finished with. */
function runTotals(
  state: DispatchState,
  errorCode: string | null,
  errorMessage: string | null,
  extra: Record<string, unknown> = {},
): RunTotals {
  const { total, applied, skipped, failed, retrying } = state.items;
  return {
    total,
    applied,
    skipped,
    failed,
    calls: state.calls,
    errorCode,
    errorMessage,
    details: { cycles: state.cycles, retrying, ...extra },
  };
}

/** Changes to one listing within one hold that make it "hot" (its next hold is doubled). */
const HOT_CHANGES = 3;

export class OutboxDispatcher {
  private readonly opts: Required<OutboxDispatcherOptions>;
  /** When each listing's value was last sent from this process, by `<kind>:<listingId>`: paces hot listings. */
  private readonly lastSent = new Map<string, { at: number; holdMs: number; version: number }>();

  constructor(
    private readonly rt: SyncRuntime,
    opts: OutboxDispatcherOptions = {},
  ) {
    this.opts = {
      minCycleMs: 700,
      maxAttempts: 5,
      backoffMs: 250,
      maxBackoffMs: 60_000,
      maxRetryWaitMs: 5_000,
      batchLimit: 2_000,
      callConcurrency: 4,
      readBack: true,
      ...opts,
    };
  }

  /**
   * Pushes every dirty listing of (channel, kind) until none is ready. Returns at once when another
   * dispatcher (any process) holds this (channel, kind): it re-reads before it stops, so it sees the
   * changes that triggered this call. `runId` executes an existing QUEUED run (the worker's).
   */
  async dispatch(
    channelId: string,
    kind: OutboxKind,
    trigger: SyncTrigger,
    opts: { runId?: string } = {},
  ): Promise<DispatchResult> {
    const state: DispatchState = {
      runId: opts.runId ?? null,
      ownRun: !opts.runId,
      pushed: 0,
      failed: 0,
      items: { total: 0, applied: 0, skipped: 0, failed: 0, retrying: 0 },
      calls: 0,
      cycles: 0,
      errorCode: null,
      errorMessage: null,
    };
    const qr = this.rt.ds;
    // The lock lives on a connection of its own, outside the pool: a dispatcher waiting for a pool
    // connection while holding one could starve the writers (and other dispatchers) it waits for.
    const lock = new Client({ ...lockConfig(qr), application_name: "ocop-hub:outbox-lock" });
    lock.on("error", () => undefined);
    await lock.connect();
    const lockKey = `outbox:${channelId}:${kind}`;
    try {
      if (opts.runId) await startRun(qr, opts.runId);
      for (;;) {
        const {
          rows: [{ locked }],
        } = await lock.query(`SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS locked`, [lockKey]);
        if (!locked) break;
        try {
          await this.drain(qr, channelId, kind, trigger, state);
        } finally {
          await lock.query(`SELECT pg_advisory_unlock(hashtextextended($1, 0))`, [lockKey]);
        }
        // A dispatcher that found the lock taken just before we released it returned at once;
        // re-check so its change is not left for the safety sweep.
        if (state.errorCode || (await this.readyCount(qr, channelId, kind)) === 0) break;
      }
      const remaining = await this.dirtyCount(qr, channelId, kind);
      if (state.runId) {
        await finishRun(
          qr,
          state.runId,
          runTotals(state, state.errorCode, state.errorMessage, { remaining }),
        );
      }
      return { runId: state.runId, pushed: state.pushed, failed: state.failed, remaining };
    } catch (e) {
      // A run this dispatch created must not stay RUNNING (the worker's own runs are its to finish).
      // The listings stay dirty: the next notification or sweep pushes them again.
      if (state.ownRun && state.runId) {
        await finishRun(
          qr,
          state.runId,
          runTotals(state, "INTERNAL_ERROR", e instanceof Error ? e.message : String(e)),
        ).catch(() => undefined); // the database itself may be what failed; the scheduler closes it later
      }
      throw e;
    } finally {
      await lock.end().catch(() => undefined);
    }
  }

  private async drain(
    qr: DataSource,
    channelId: string,
    kind: OutboxKind,
    trigger: SyncTrigger,
    state: DispatchState,
  ): Promise<void> {
    let handle: ChannelHandle;
    try {
      handle = await openChannel(this.rt, channelId);
    } catch (e) {
      if (!(e instanceof ChannelUnavailableError)) throw e;
      state.errorCode = e.status === "NEEDS_REAUTH" ? "NEEDS_REAUTH" : "CHANNEL_UNAVAILABLE";
      state.errorMessage = e.message;
      return;
    }
    if (kind === "content") {
      // Before any run is created: a sweep over content-dirty listings must not fill sync_run with empty runs.
      await this.pushContent(qr, handle, trigger, state);
      return;
    }
    for (;;) {
      const dirty = await this.loadReady(qr, channelId, kind);
      if (dirty.length === 0) {
        const wait = await this.nextRetryInMs(qr, channelId, kind);
        if (wait === null || wait > this.opts.maxRetryWaitMs) return;
        await sleep(Math.max(10, wait));
        continue;
      }
      // Pace each listing, not the channel: a listing sent less than minCycleMs ago waits (its
      // changes coalesce and the last value is what is sent); every other dirty listing goes now.
      const { rows, holdMs } = this.unpaced(kind, dirty);
      if (rows.length === 0) {
        await sleep(holdMs);
        continue;
      }
      this.markSent(kind, rows);
      state.cycles++;
      if (!state.runId) {
        const run = await createRun(qr, { channelId, kind: KIND_RUN[kind], trigger }, SyncRunStatus.RUNNING);
        state.runId = run.id;
      }
      try {
        const outcomes = await this.pushValues(qr, handle, kind, rows, state);
        await this.settle(qr, handle.connector, kind, outcomes, state);
      } catch (e) {
        if (!(e instanceof NeedsReauthError)) throw e;
        // The store has already moved the channel to NEEDS_REAUTH; the listings stay dirty.
        state.errorCode = "NEEDS_REAUTH";
        state.errorMessage = e.message;
        return;
      }
    }
  }

  /** The rows whose hold has ended, and how long until the first held one may go. */
  private unpaced(kind: OutboxKind, dirty: DirtyRow[]): { rows: DirtyRow[]; holdMs: number } {
    const now = Date.now();
    const rows: DirtyRow[] = [];
    let holdMs = Infinity;
    for (const r of dirty) {
      const last = this.lastSent.get(`${kind}:${r.id}`);
      const due = last ? last.at + last.holdMs : -Infinity;
      if (due <= now) rows.push(r);
      else holdMs = Math.min(holdMs, due - now);
    }
    if (this.lastSent.size > 100_000) {
      for (const [k, v] of this.lastSent) if (v.at + 2 * v.holdMs <= now) this.lastSent.delete(k);
    }
    return { rows, holdMs: Math.max(1, holdMs) };
  }

  /** Starts each pushed listing's hold: doubled when a burst of changes kept it busy through the last one. */
  private markSent(kind: OutboxKind, rows: DirtyRow[]): void {
    const now = Date.now();
    const base = this.opts.minCycleMs;
    for (const r of rows) {
      const key = `${kind}:${r.id}`;
      const last = this.lastSent.get(key);
      const version = Number(r.version);
      const hot =
        last !== undefined &&
        now - last.at <= last.holdMs + base / 2 &&
        version - last.version >= HOT_CHANGES;
      this.lastSent.set(key, { at: now, holdMs: hot ? Math.min(2 * base, 2 * last.holdMs) : base, version });
    }
  }

  /** Dirty LIVE listings with remote ids whose retry is due and whose version has not failed for good. */
  private loadReady(qr: DataSource, channelId: string, kind: OutboxKind): Promise<DirtyRow[]> {
    return qr.query(
      `SELECT l.id, v.sku, l.listing_key, l.external_item_id, l.external_sku_id,
              l.${kind}_version AS version, l.${kind}_attempts AS attempts, l.${kind}_dirty_since AS dirty_since
         FROM listing l JOIN variant v ON v.id = l.variant_id
        WHERE l.channel_id = $1 AND l.${kind}_version > l.${kind}_pushed_version
          AND l.state = 'LIVE' AND l.external_item_id IS NOT NULL
          AND (l.${kind}_failed_version IS NULL OR l.${kind}_failed_version < l.${kind}_version)
          AND (l.${kind}_retry_at IS NULL OR l.${kind}_retry_at <= now())
        ORDER BY l.${kind}_dirty_since NULLS LAST, l.id
        LIMIT $2`,
      [channelId, this.opts.batchLimit],
    );
  }

  private async readyCount(qr: DataSource, channelId: string, kind: OutboxKind): Promise<number> {
    const [r] = await qr.query(
      `SELECT count(*)::int AS n FROM listing l
        WHERE l.channel_id = $1 AND l.${kind}_version > l.${kind}_pushed_version
          AND l.state = 'LIVE' AND l.external_item_id IS NOT NULL
          AND (l.${kind}_failed_version IS NULL OR l.${kind}_failed_version < l.${kind}_version)
          AND (l.${kind}_retry_at IS NULL OR l.${kind}_retry_at <= now())`,
      [channelId],
    );
    return r.n;
  }

  private async dirtyCount(qr: DataSource, channelId: string, kind: OutboxKind): Promise<number> {
    const [r] = await qr.query(
      `SELECT count(*)::int AS n FROM listing l
        WHERE l.channel_id = $1 AND l.${kind}_version > l.${kind}_pushed_version
          AND l.state = 'LIVE' AND l.external_item_id IS NOT NULL
          AND (l.${kind}_failed_version IS NULL OR l.${kind}_failed_version < l.${kind}_version)`,
      [channelId],
    );
    return r.n;
  }

  private async nextRetryInMs(qr: DataSource, channelId: string, kind: OutboxKind): Promise<number | null> {
    const [r] = await qr.query(
      `SELECT (extract(epoch FROM min(l.${kind}_retry_at) - now()) * 1000)::int AS ms FROM listing l
        WHERE l.channel_id = $1 AND l.${kind}_version > l.${kind}_pushed_version
          AND l.state = 'LIVE' AND l.external_item_id IS NOT NULL
          AND (l.${kind}_failed_version IS NULL OR l.${kind}_failed_version < l.${kind}_version)`,
      [channelId],
    );
    return r.ms === null ? null : Number(r.ms);
  }

  /** Price or stock: desired values (read after the versions, so never older), pushed, read back. */
  private async pushValues(
    qr: DataSource,
    { connector, ctx }: ChannelHandle,
    kind: "price" | "stock",
    rows: DirtyRow[],
    state: DispatchState,
  ): Promise<Outcome[]> {
    const desired = await desiredValues(
      qr,
      rows.map((r) => r.id),
    );
    const outcomes: Outcome[] = [];
    const toPush: Array<{ row: DirtyRow; value: number }> = [];
    for (const row of rows) {
      const d = desired.get(row.id);
      const value = d ? (kind === "price" ? d.priceVnd : d.stock) : null;
      if (value === null) {
        outcomes.push({
          row,
          value: null,
          code: "NO_PRICE",
          result: { key: row.sku, outcome: "failed_fatal" },
        });
      } else toPush.push({ row, value });
    }
    const push = kind === "price" ? connector.pushPrices : connector.pushStock;
    if (!push) {
      for (const p of toPush)
        outcomes.push({
          ...p,
          result: {
            key: p.row.sku,
            outcome: "failed_fatal",
            remoteCode: "UNSUPPORTED",
            remoteMessage: `no ${kind} push`,
          },
        });
      return outcomes;
    }
    const updates = toPush.map(({ row, value }) => ({
      sku: row.sku,
      externalItemId: row.external_item_id,
      externalSkuId: row.external_sku_id,
      ...(kind === "price" ? { priceVnd: value } : { stock: value }),
      index: 0,
    }));
    updates.forEach((u, i) => (u.index = i));
    const perCall = kind === "price" ? connector.limits.pricePerCall : connector.limits.stockPerCall;
    const batches = callBatches(updates, perCall, connector.limits.perItemCalls);
    state.calls += batches.length;
    const results: ItemResult[] = new Array(updates.length);
    await mapLimit(batches, this.opts.callConcurrency, async (batch) => {
      const clean = batch.map(({ index: _index, ...u }) => u);
      let got: ItemResult[];
      try {
        got = await push.call(connector, ctx, clean as never);
      } catch (e) {
        got = failedAll(
          batch.map((u) => u.sku),
          e,
        );
      }
      batch.forEach((u, i) => (results[u.index] = got[i]));
    });
    const pushed: Outcome[] = toPush.map((p, i) => ({ ...p, result: results[i] }));
    // Read back at once when it costs no more calls than the push did, or at most two calls (a quiet
    // moment). Under load, where reading back would multiply the calls (Tiki reads one listing per
    // call, Shopee one model list per item), pushes go out at full rate and reconciliation confirms.
    const refs = pushed.map((o) => ({
      sku: o.row.sku,
      externalItemId: o.row.external_item_id,
      externalSkuId: o.row.external_sku_id,
    }));
    const readBackCalls =
      connector.readBackCalls?.(refs) ??
      Math.ceil(pushed.length / Math.max(1, connector.limits.readbackPerCall));
    if (this.opts.readBack && connector.readBack && readBackCalls <= Math.max(batches.length, 2)) {
      await this.readBack(connector, ctx, kind, pushed, state);
    }
    return [...outcomes, ...pushed];
  }

  /** Reads applied values back; a value the marketplace did not take becomes a retriable failure. */
  private async readBack(
    connector: MarketplaceConnector,
    ctx: ChannelHandle["ctx"],
    kind: "price" | "stock",
    outcomes: Outcome[],
    state: DispatchState,
  ): Promise<void> {
    const applied = outcomes.filter((o) => o.result.outcome === "applied");
    if (applied.length === 0) return;
    const batches = chunk(applied, connector.limits.readbackPerCall);
    state.calls += batches.length;
    await mapLimit(batches, this.opts.callConcurrency, async (batch) => {
      let states: RemoteState[];
      try {
        states = await connector.readBack!(
          ctx,
          batch.map((o) => ({
            sku: o.row.sku,
            externalItemId: o.row.external_item_id,
            externalSkuId: o.row.external_sku_id,
          })),
        );
      } catch (e) {
        if (e instanceof NeedsReauthError) throw e;
        // The write was acknowledged; an unreadable marketplace does not undo it (reconciliation checks later).
        return;
      }
      batch.forEach((o, i) => {
        const s = states[i];
        const seen = s ? (kind === "price" ? s.priceVnd : s.stock) : null;
        if (s && s.found && seen === o.value) {
          o.confirmed = seen;
        } else {
          o.code = s && !s.found ? "SKU_NOT_FOUND_REMOTE" : "REMOTE_NOT_APPLIED";
          o.result = {
            ...o.result,
            outcome: s && !s.found ? "failed_fatal" : "failed_retriable",
            remoteCode: "READ_BACK",
            remoteMessage:
              s && !s.found ? "not found on read-back" : `pushed ${o.value}, read back ${String(seen)}`,
          };
        }
      });
    });
  }

  /**
   * Content changes (name, description, images, pack, OCOP claim) re-upsert the whole listing on the
   * marketplace through publish's draft builder (runPublish with a CONTENT run): one definition of
   * what a marketplace should show, versions settled by compare-and-set there.
   */
  private async pushContent(
    qr: DataSource,
    handle: ChannelHandle,
    trigger: SyncTrigger,
    state: DispatchState,
  ): Promise<void> {
    const rows: Array<{ product_id: string }> = await qr.query(
      `SELECT DISTINCT l.product_id FROM listing l
        WHERE l.channel_id = $1 AND l.state = 'LIVE' AND l.external_item_id IS NOT NULL
          AND l.content_version > l.content_pushed_version
          AND (l.content_failed_version IS NULL OR l.content_failed_version < l.content_version)
          AND (l.content_retry_at IS NULL OR l.content_retry_at <= now())`,
      [handle.channel.id],
    );
    if (rows.length === 0) return;
    const productIds = rows.map((r) => r.product_id);
    if (!state.runId) {
      const run = await createRun(qr, {
        channelId: handle.channel.id,
        kind: SyncKind.CONTENT,
        trigger,
        details: { productIds },
      });
      state.runId = run.id;
    } else {
      await qr.query(`UPDATE sync_run SET details = details || $2::jsonb, status = 'QUEUED' WHERE id = $1`, [
        state.runId,
        JSON.stringify({ productIds }),
      ]);
    }
    await runPublish(this.rt, state.runId);
    // runPublish finished the run; carry its counts so dispatch's own finish keeps them.
    const [r] = await qr.query(`SELECT total, applied, skipped, failed FROM sync_run WHERE id = $1`, [
      state.runId,
    ]);
    state.items.total = r.total;
    state.items.applied = r.applied;
    state.items.skipped = r.skipped;
    state.items.failed = r.failed;
    state.pushed = r.applied;
    state.failed = r.failed;
  }

  /**
   * Writes every outcome back by compare-and-set on the version read, and records the run's items.
   * last_error is only the last error; a content edit in the marketplace's review (Tiki) lives in
   * listing.content_review, which price and stock outcomes never touch.
   */
  private async settle(
    qr: DataSource,
    connector: MarketplaceConnector,
    kind: OutboxKind,
    outcomes: Outcome[],
    state: DispatchState,
  ): Promise<void> {
    const applied = outcomes.filter((o) => o.result.outcome === "applied");
    if (kind === "stock") {
      // Change (a sale, a stock edit) → value accepted by this marketplace: the propagation latency.
      const now = Date.now();
      for (const o of applied)
        if (o.row.dirty_since) observePropagation(connector.code, (now - o.row.dirty_since.getTime()) / 1000);
    }
    const retry: Outcome[] = [];
    const fatal: Array<{ o: Outcome; exp: Explanation; attempts: number }> = [];
    const items: ItemRecord[] = [];
    const explain = (o: Outcome) =>
      explainFailure({
        code: o.code,
        remoteCode: o.result.remoteCode,
        remoteMessage: o.result.remoteMessage,
        marketplace: connector.code,
        kind,
      });
    for (const o of outcomes) {
      const base = {
        listingId: o.row.id,
        sku: o.row.sku,
        kind,
        version: o.row.version,
        value: o.value === null ? undefined : { [kind === "price" ? "priceVnd" : "stock"]: o.value },
        remoteCode: o.result.remoteCode ?? null,
        remoteMessage: o.result.remoteMessage ?? null,
        attempts: o.row.attempts + 1,
      };
      if (o.result.outcome === "applied") {
        items.push({ ...base, status: SyncItemStatus.APPLIED });
        continue;
      }
      const exp = explain(o);
      const exhausted = o.result.outcome !== "failed_fatal" && o.row.attempts + 1 >= this.opts.maxAttempts;
      if (o.result.outcome === "failed_fatal" || exhausted) {
        fatal.push({ o, exp, attempts: o.row.attempts + 1 });
        items.push({ ...base, status: SyncItemStatus.FAILED, ...texts(exp) });
      } else {
        retry.push(o);
        items.push({
          ...base,
          status: o.result.outcome === "skipped" ? SyncItemStatus.SKIPPED : SyncItemStatus.RETRYING,
          ...texts(exp),
        });
      }
    }

    const pushedCol = kind === "price" ? "pushed_price_vnd" : kind === "stock" ? "pushed_stock" : null;
    const confirmedCol =
      kind === "price" ? "confirmed_price_vnd" : kind === "stock" ? "confirmed_stock" : null;
    if (applied.length > 0) {
      await qr.query(
        `UPDATE listing l
            SET ${kind}_pushed_version = greatest(l.${kind}_pushed_version, u.v),
                ${kind}_dirty_since = CASE WHEN l.${kind}_version <= u.v THEN NULL ELSE l.${kind}_dirty_since END,
                ${kind}_attempts = 0, ${kind}_retry_at = NULL, ${kind}_failed_version = NULL,
                ${pushedCol ? `${pushedCol} = u.val,` : ""}
                ${confirmedCol ? `${confirmedCol} = coalesce(u.conf, l.${confirmedCol}), confirmed_at = CASE WHEN u.conf IS NULL THEN l.confirmed_at ELSE now() END,` : ""}
                last_error = CASE WHEN l.last_error->>'kind' = $5 THEN NULL ELSE l.last_error END,
                updated_at = now()
           FROM unnest($1::uuid[], $2::bigint[], $3::int[], $4::int[]) AS u(id, v, val, conf)
          WHERE l.id = u.id AND l.${kind}_pushed_version < u.v`,
        [
          applied.map((o) => o.row.id),
          applied.map((o) => o.row.version),
          applied.map((o) => o.value),
          applied.map((o) => o.confirmed ?? null),
          kind,
        ],
      );
    }
    if (retry.length > 0) {
      await qr.query(
        `UPDATE listing l
            SET ${kind}_attempts = l.${kind}_attempts + 1,
                ${kind}_retry_at = now() + make_interval(secs => u.delay_ms / 1000.0),
                last_error = u.err, updated_at = now()
           FROM unnest($1::uuid[], $2::int[], $3::jsonb[]) AS u(id, delay_ms, err)
          WHERE l.id = u.id`,
        [
          retry.map((o) => o.row.id),
          retry.map((o) => this.backoff(o.row.attempts + 1)),
          retry.map((o) => JSON.stringify(lastError(kind, o, explain(o), o.row.attempts + 1))),
        ],
      );
    }
    if (fatal.length > 0) {
      // CAS on the version too: a change made during the push is pushed again, not left failed.
      await qr.query(
        `UPDATE listing l
            SET ${kind}_failed_version = u.v, ${kind}_attempts = 0, ${kind}_retry_at = NULL,
                last_error = u.err, updated_at = now()
           FROM unnest($1::uuid[], $2::bigint[], $3::jsonb[]) AS u(id, v, err)
          WHERE l.id = u.id`,
        [
          fatal.map((f) => f.o.row.id),
          fatal.map((f) => f.o.row.version),
          fatal.map((f) => JSON.stringify(lastError(kind, f.o, f.exp, f.attempts))),
        ],
      );
    }
    await recordItems(qr, state.runId!, items);
    state.pushed += applied.length;
    state.failed += fatal.length;
    state.items.total += items.length;
    state.items.applied += applied.length;
    state.items.failed += fatal.length;
    state.items.skipped += items.filter((i) => i.status === SyncItemStatus.SKIPPED).length;
    state.items.retrying += items.filter((i) => i.status === SyncItemStatus.RETRYING).length;
  }

  private backoff(attempt: number): number {
    const base = Math.min(this.opts.maxBackoffMs, this.opts.backoffMs * 2 ** Math.max(0, attempt - 1));
    // Jitter keeps many listings that failed together from retrying in lockstep.
    return Math.round(base * (0.8 + Math.random() * 0.4));
  }
}

/** The pool's connection settings (url or host/user/…), for the dedicated lock connection. */
function lockConfig(ds: DataSource): ClientConfig {
  const pool = (ds.driver as unknown as { master?: { options?: ClientConfig } }).master;
  return { ...(pool?.options ?? {}) };
}

function texts(e: Explanation) {
  return { code: e.code, messageVi: e.messageVi, messageEn: e.messageEn, hintVi: e.hintVi, hintEn: e.hintEn };
}

function lastError(kind: OutboxKind, o: Outcome, e: Explanation, attempts: number): Record<string, unknown> {
  return {
    kind,
    version: o.row.version,
    attempts,
    ...texts(e),
    remoteCode: o.result.remoteCode ?? null,
    remoteMessage: o.result.remoteMessage ?? null,
    at: new Date().toISOString(),
  };
}
