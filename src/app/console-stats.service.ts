/**
 * Read-only figures for the web console's charts and ops pages, computed from what the hub already
 * records: orders per marketplace over time, sync items applied/failed over time, error rate and
 * pending listings per channel, stock propagation latency (ledger change → item applied on the
 * marketplace), failed items grouped by error code, and each product's listings per channel.
 * Every query is confined to the producers the viewer may read (producerFilter).
 */
import type { DataSource } from "typeorm";
import { Scope, Viewer, canSeeProducer, hasScope, producerFilter } from "../auth/viewer";
import { explainFailure } from "../sync/explain";
import type { MarketplaceCode } from "../channels/channel.entity";

export interface SeriesPoint {
  at: Date;
  value: number;
}
export interface Series {
  metric: "orders" | "syncApplied" | "syncFailed";
  marketplace: string;
  points: SeriesPoint[];
}
export interface ChannelStat {
  channelId: string;
  name: string;
  marketplace: string;
  status: string;
  applied: number;
  failed: number;
  errorRate: number;
  pendingListings: number;
  oldestPendingAt: Date | null;
}
export interface LatencyPoint {
  at: Date;
  count: number;
  p50Ms: number;
  p95Ms: number;
}
export interface FailedItemRow {
  id: string;
  runId: string;
  channelId: string;
  marketplace: string;
  sku: string | null;
  kind: string;
  createdAt: Date;
  /** A run that failed as a whole (no item reached the marketplace); `id` is then the run's id. */
  wholeRun: boolean;
}
export interface FailureGroup {
  code: string;
  count: number;
  messageVi: string | null;
  messageEn: string | null;
  hintVi: string | null;
  hintEn: string | null;
  items: FailedItemRow[];
}
export interface QueueDepth {
  queue: string;
  waiting: number;
  active: number;
  oldestWaitingAt: Date | null;
}
export interface ConsoleStatsResult {
  since: Date;
  bucketSeconds: number;
  series: Series[];
  channels: ChannelStat[];
  propagation: LatencyPoint[];
  failures: FailureGroup[];
  /** Null when the caller is not on the operations desk (queue depth is cluster-wide). */
  queues: QueueDepth[] | null;
}
export interface ProductListingRow {
  id: string;
  channelId: string;
  channelName: string;
  marketplace: string;
  channelStatus: string;
  sku: string;
  state: string;
  externalItemId: string | null;
  lastErrorCode: string | null;
  updatedAt: Date;
}

const MAX_DAYS = 31;
const ITEMS_PER_GROUP = 20;

export class ConsoleStatsService {
  constructor(private readonly ds: DataSource) {}

  async stats(viewer: Viewer, o: { days: number; producerId?: string | null }): Promise<ConsoleStatsResult> {
    const days = Math.min(Math.max(Math.floor(o.days) || 7, 1), MAX_DAYS);
    const bucketSeconds = days <= 2 ? 3600 : 86400;
    const since = new Date(Date.now() - days * 86400_000);
    let producers = producerFilter(viewer);
    if (o.producerId) {
      // Asking for a producer one may not read yields nothing rather than an existence leak.
      producers = canSeeProducer(viewer, o.producerId) ? [o.producerId] : [];
    }
    const p = producers === null ? null : [...producers];
    const bucket = `${bucketSeconds} seconds`;
    const [orders, sync, channels, propagation, failures, queues] = await Promise.all([
      this.ds.query(
        `SELECT c.marketplace, date_bin($1::interval, coalesce(o.remote_created_at, o.imported_at), $2) AS at,
                count(*)::int AS n
           FROM marketplace_order o JOIN channel c ON c.id = o.channel_id
          WHERE coalesce(o.remote_created_at, o.imported_at) >= $2
            AND ($3::uuid[] IS NULL OR o.producer_id = ANY($3::uuid[]))
          GROUP BY 1, 2 ORDER BY 2`,
        [bucket, since, p],
      ),
      this.ds.query(
        `SELECT c.marketplace, date_bin($1::interval, i.created_at, $2) AS at,
                count(*) FILTER (WHERE i.status = 'APPLIED')::int AS applied,
                count(*) FILTER (WHERE i.status = 'FAILED')::int AS failed
           FROM sync_item i JOIN sync_run r ON r.id = i.run_id JOIN channel c ON c.id = r.channel_id
          WHERE i.created_at >= $2 AND NOT r.dry_run AND i.status IN ('APPLIED', 'FAILED')
            AND ($3::uuid[] IS NULL OR c.producer_id = ANY($3::uuid[]))
          GROUP BY 1, 2 ORDER BY 2`,
        [bucket, since, p],
      ),
      this.ds.query(
        `SELECT c.id, c.name, c.marketplace, c.status,
                coalesce(s.applied, 0)::int AS applied, coalesce(s.failed, 0)::int AS failed,
                coalesce(q.pending, 0)::int AS pending, q.oldest
           FROM channel c
           LEFT JOIN LATERAL (
             SELECT count(*) FILTER (WHERE i.status = 'APPLIED') AS applied,
                    count(*) FILTER (WHERE i.status = 'FAILED') AS failed
               FROM sync_run r JOIN sync_item i ON i.run_id = r.id
              WHERE r.channel_id = c.id AND NOT r.dry_run AND i.created_at >= $1) s ON true
           LEFT JOIN LATERAL (
             SELECT count(*) AS pending,
                    min(least(l.price_dirty_since, l.stock_dirty_since, l.content_dirty_since)) AS oldest
               FROM listing l
              WHERE l.channel_id = c.id AND l.state = 'LIVE'
                AND (l.price_version > l.price_pushed_version OR l.stock_version > l.stock_pushed_version
                     OR l.content_version > l.content_pushed_version)) q ON true
          WHERE c.status <> 'DISCONNECTED' AND ($2::uuid[] IS NULL OR c.producer_id = ANY($2::uuid[]))
          ORDER BY c.marketplace, c.name`,
        [since, p],
      ),
      this.ds.query(
        // Stock is the one value with a ledger: latency = item applied − the last movement before it.
        `WITH lat AS (
           SELECT i.created_at,
                  extract(epoch FROM i.created_at - (
                    SELECT max(m.created_at) FROM stock_movement m
                     WHERE m.variant_id = l.variant_id AND m.created_at <= i.created_at)) * 1000 AS ms
             FROM sync_item i JOIN sync_run r ON r.id = i.run_id JOIN listing l ON l.id = i.listing_id
             JOIN channel c ON c.id = r.channel_id
            WHERE i.created_at >= $2 AND i.kind = 'stock' AND i.status = 'APPLIED' AND r.trigger = 'EVENT'
              AND NOT r.dry_run AND ($3::uuid[] IS NULL OR c.producer_id = ANY($3::uuid[])))
         SELECT date_bin($1::interval, created_at, $2) AS at, count(*)::int AS n,
                percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS p50,
                percentile_cont(0.95) WITHIN GROUP (ORDER BY ms) AS p95
           FROM lat WHERE ms IS NOT NULL GROUP BY 1 ORDER BY 1`,
        [bucket, since, p],
      ),
      this.failures(since, p),
      hasScope(viewer, Scope.OPS) && producerFilter(viewer) === null ? this.queues() : Promise.resolve(null),
    ]);

    const series = new Map<string, Series>();
    const add = (metric: Series["metric"], marketplace: string, at: Date, value: number) => {
      const key = `${metric}:${marketplace}`;
      let s = series.get(key);
      if (!s) series.set(key, (s = { metric, marketplace, points: [] }));
      s.points.push({ at: new Date(at), value });
    };
    for (const r of orders) add("orders", r.marketplace, r.at, r.n);
    for (const r of sync) {
      add("syncApplied", r.marketplace, r.at, r.applied);
      add("syncFailed", r.marketplace, r.at, r.failed);
    }
    return {
      since,
      bucketSeconds,
      series: [...series.values()],
      channels: channels.map((c: any) => ({
        channelId: c.id,
        name: c.name,
        marketplace: c.marketplace,
        status: c.status,
        applied: c.applied,
        failed: c.failed,
        errorRate: c.applied + c.failed === 0 ? 0 : c.failed / (c.applied + c.failed),
        pendingListings: c.pending,
        oldestPendingAt: c.oldest ? new Date(c.oldest) : null,
      })),
      propagation: propagation.map((r: any) => ({
        at: new Date(r.at),
        count: r.n,
        p50Ms: Math.round(Number(r.p50)),
        p95Ms: Math.round(Number(r.p95)),
      })),
      failures,
      queues,
    };
  }

  /**
   * Failed items of real runs not yet retried, grouped by our error code, newest first; a run that
   * failed as a whole (e.g. the marketplace was down before any item) counts as one item, explained
   * the same way from its error.
   */
  private async failures(since: Date, p: string[] | null): Promise<FailureGroup[]> {
    const notRetried = `NOT EXISTS (SELECT 1 FROM sync_run rr WHERE rr.details->>'retryOf' = r.id::text)`;
    const [items, runs]: [any[], any[]] = await Promise.all([
      this.ds.query(
        `SELECT i.id::text, i.run_id, r.channel_id, c.marketplace, i.sku, i.kind, i.created_at,
                coalesce(i.code, 'UNKNOWN') AS code, i.message_vi, i.message_en, i.hint_vi, i.hint_en
           FROM sync_item i JOIN sync_run r ON r.id = i.run_id JOIN channel c ON c.id = r.channel_id
          WHERE i.status = 'FAILED' AND NOT r.dry_run AND i.created_at >= $1
            AND ($2::uuid[] IS NULL OR c.producer_id = ANY($2::uuid[])) AND ${notRetried}
          ORDER BY i.created_at DESC, i.id DESC
          LIMIT 5000`,
        [since, p],
      ),
      this.ds.query(
        `SELECT r.id, r.channel_id, c.marketplace, r.kind, r.error_code, r.error_message,
                coalesce(r.finished_at, r.queued_at) AS at
           FROM sync_run r JOIN channel c ON c.id = r.channel_id
          WHERE r.outcome = 'FAILED' AND NOT r.dry_run AND r.failed = 0 AND r.error_code IS NOT NULL
            AND coalesce(r.finished_at, r.queued_at) >= $1
            AND ($2::uuid[] IS NULL OR c.producer_id = ANY($2::uuid[])) AND ${notRetried}
          ORDER BY at DESC
          LIMIT 500`,
        [since, p],
      ),
    ]);
    const rows = [
      ...items.map((r) => ({ ...r, wholeRun: false })),
      ...runs.map((r) => {
        const x = explainFailure({
          remoteCode: r.error_code,
          remoteMessage: r.error_message ?? undefined,
          marketplace: r.marketplace as MarketplaceCode,
          kind: String(r.kind).toLowerCase(),
        });
        return {
          id: r.id,
          run_id: r.id,
          channel_id: r.channel_id,
          marketplace: r.marketplace,
          sku: null,
          kind: String(r.kind).toLowerCase(),
          created_at: r.at,
          code: x.code,
          message_vi: x.messageVi,
          message_en: x.messageEn,
          hint_vi: x.hintVi,
          hint_en: x.hintEn,
          wholeRun: true,
        };
      }),
    ].sort((a, b) => new Date(b.created_at).getTime() - new Date(a.created_at).getTime());
    const groups = new Map<string, FailureGroup>();
    for (const r of rows) {
      let g = groups.get(r.code);
      if (!g) {
        groups.set(
          r.code,
          (g = {
            code: r.code,
            count: 0,
            messageVi: r.message_vi,
            messageEn: r.message_en,
            hintVi: r.hint_vi,
            hintEn: r.hint_en,
            items: [],
          }),
        );
      }
      g.count++;
      if (g.items.length < ITEMS_PER_GROUP)
        g.items.push({
          id: r.id,
          runId: r.run_id,
          channelId: r.channel_id,
          marketplace: r.marketplace,
          sku: r.sku,
          kind: r.kind,
          createdAt: new Date(r.created_at),
          wholeRun: r.wholeRun,
        });
    }
    return [...groups.values()].sort((a, b) => b.count - a.count);
  }

  /** pg-boss queue depth, every queue listed (idle ones at 0); empty when the queue schema is absent. */
  private async queues(): Promise<QueueDepth[]> {
    const [exists] = await this.ds.query(
      `SELECT to_regclass('pgboss.job') IS NOT NULL AND to_regclass('pgboss.queue') IS NOT NULL AS ok`,
    );
    if (!exists?.ok) return [];
    const rows: any[] = await this.ds.query(
      `SELECT q.name,
              count(j.id) FILTER (WHERE j.state IN ('created', 'retry'))::int AS waiting,
              count(j.id) FILTER (WHERE j.state = 'active')::int AS active,
              min(j.created_on) FILTER (WHERE j.state IN ('created', 'retry')) AS oldest
         FROM pgboss.queue q
         LEFT JOIN pgboss.job j ON j.name = q.name AND j.state IN ('created', 'retry', 'active')
        GROUP BY q.name ORDER BY q.name`,
    );
    return rows.map((r) => ({
      queue: r.name,
      waiting: r.waiting,
      active: r.active,
      oldestWaitingAt: r.oldest ? new Date(r.oldest) : null,
    }));
  }

  /** Listings of several products (one query for a whole page), on the channels the viewer may see. */
  async listingsOf(viewer: Viewer, productIds: readonly string[]): Promise<Map<string, ProductListingRow[]>> {
    const p = producerFilter(viewer);
    const rows: any[] = await this.ds.query(
      `SELECT l.id, l.product_id, l.channel_id, c.name AS channel_name, c.marketplace, c.status AS channel_status,
              v.sku, l.state, l.external_item_id, l.last_error->>'code' AS last_error_code, l.updated_at
         FROM listing l JOIN channel c ON c.id = l.channel_id JOIN variant v ON v.id = l.variant_id
        WHERE l.product_id = ANY($1::uuid[]) AND ($2::uuid[] IS NULL OR c.producer_id = ANY($2::uuid[]))
        ORDER BY c.marketplace, c.name, v.sku`,
      [[...productIds], p === null ? null : [...p]],
    );
    const out = new Map<string, ProductListingRow[]>(productIds.map((id) => [id, []]));
    for (const r of rows)
      out.get(r.product_id)?.push({
        id: r.id,
        channelId: r.channel_id,
        channelName: r.channel_name,
        marketplace: r.marketplace,
        channelStatus: r.channel_status,
        sku: r.sku,
        state: r.state,
        externalItemId: r.external_item_id,
        lastErrorCode: r.last_error_code,
        updatedAt: new Date(r.updated_at),
      });
    return out;
  }
}
