/**
 * Follows content edits a marketplace reviews before they go live (Tiki). A content push that Tiki
 * has not approved yet leaves the listing with `content_review` = {state: IN_REVIEW, trackId, hidden,
 * contentVersion, requestedAt} (hidden: the product set inactive because its live content claims an
 * OCOP star the new content withdraws); `last_error` keeps only the explanation of the outcome
 * (CONTENT_IN_REVIEW or HIDDEN_PENDING_REVIEW), which a later price or stock outcome may replace
 * without losing the review. This
 * follower asks the connector about every pending request of a channel:
 * - approved: the connector shows a hidden product again; the listing records the content version
 *   as pushed (UP_TO_DATE in ocopClaimChanges), its content_review and the review's explanation in
 *   last_error are cleared (another error there, a price one say, stays);
 * - rejected: an explained failure in last_error (vi/en + fix hint); a hidden product stays hidden
 *   (its live content still claims the old star) until a later request is approved, which
 *   content_review {state: REJECTED, hidden: true} tells the next push;
 * - still in review: nothing changes.
 * A new product's creation request (content_review.kind CREATE, the listing PENDING and unlinked) is
 * followed the same way: approved → a PUBLISH run for its product links it by SKU (and pushes the
 * current price and stock); rejected → the listing FAILED with Tiki's reason explained.
 * Run by the OCOP claims job (every worker, throttled); two workers following the same request do
 * the same idempotent things (tracking read, `active: 1`, a conditional UPDATE).
 */
import type { Logger } from "../common/logger";
import type {
  ContentReview,
  ContentReviewState,
  MarketplaceCode,
  RemoteRef,
} from "../channels/connectors/connector";
import { explainFailure } from "../sync/explain";
import type { JobQueue } from "../sync/jobs";
import { openChannel, type SyncRuntime } from "../sync/runtime";
import { createRun } from "../sync/sync-run.service";
import { SyncKind, SyncTrigger } from "../sync/entities/sync-run.entity";

/** The codes publish writes to last_error for an edit still in review: cleared on approval. */
const REVIEW_CODES = ["CONTENT_IN_REVIEW", "HIDDEN_PENDING_REVIEW"];

export interface FollowResult {
  checked: number;
  approved: number;
  rejected: number;
  inReview: number;
}

interface PendingRow {
  id: string;
  channel_id: string;
  marketplace: string;
  sku: string;
  external_item_id: string | null;
  external_sku_id: string | null;
  product_id: string;
  track_id: string;
  hidden: boolean;
  cv: string;
  create: boolean;
}

export class ContentReviewFollower {
  private readonly log: Logger | undefined;

  constructor(
    private readonly rt: SyncRuntime,
    /** Where publishes of approved creations go; without one the scheduler picks the QUEUED run up. */
    private readonly queue: JobQueue | null = null,
  ) {
    this.log = rt.log;
  }

  async followAll(): Promise<FollowResult> {
    const rows: PendingRow[] = await this.rt.ds.query(
      `SELECT l.id, l.channel_id, c.marketplace, v.sku, l.external_item_id, l.external_sku_id, l.product_id,
              l.content_review->>'trackId' AS track_id,
              coalesce(l.content_review->>'hidden' = 'true', false) AS hidden,
              coalesce(l.content_review->>'contentVersion', '0') AS cv,
              coalesce(l.content_review->>'kind' = 'CREATE', false) AS "create"
         FROM listing l JOIN variant v ON v.id = l.variant_id JOIN channel c ON c.id = l.channel_id
        WHERE l.content_review IS NOT NULL AND l.content_review->>'state' = 'IN_REVIEW'
          AND l.content_review ? 'trackId' AND c.status = 'ACTIVE'
          AND (l.external_item_id IS NOT NULL OR l.content_review->>'kind' = 'CREATE')`,
    );
    const out: FollowResult = { checked: 0, approved: 0, rejected: 0, inReview: 0 };
    const byChannel = new Map<string, PendingRow[]>();
    for (const r of rows) byChannel.set(r.channel_id, [...(byChannel.get(r.channel_id) ?? []), r]);
    for (const [channelId, list] of byChannel) {
      try {
        const r = await this.followChannel(channelId, list);
        out.checked += r.checked;
        out.approved += r.approved;
        out.rejected += r.rejected;
        out.inReview += r.inReview;
      } catch (err) {
        // The next poll tries again (a marketplace outage, a lost authorization…).
        this.log?.warn({ channelId, err: (err as Error).message }, "content review follow-up failed");
      }
    }
    return out;
  }

  private async followChannel(channelId: string, rows: PendingRow[]): Promise<FollowResult> {
    const out: FollowResult = { checked: 0, approved: 0, rejected: 0, inReview: 0 };
    const h = await openChannel(this.rt, channelId);
    if (!h.connector.followContentReviews) return out;
    const byTrack = new Map<string, PendingRow[]>();
    for (const r of rows) byTrack.set(r.track_id, [...(byTrack.get(r.track_id) ?? []), r]);
    const reviews: ContentReview[] = [...byTrack.entries()].map(([trackId, list]) => ({
      trackId,
      hidden: list.some((r) => r.hidden),
      refs: list.map(
        (r): RemoteRef => ({
          sku: r.sku,
          externalItemId: r.external_item_id ?? "",
          externalSkuId: r.external_sku_id,
        }),
      ),
    }));
    const states: ContentReviewState[] = await h.connector.followContentReviews(h.ctx, reviews);
    for (const s of states) {
      out.checked++;
      const rowsOf = byTrack.get(s.trackId) ?? [];
      const ids = rowsOf.map((r) => r.id);
      if (rowsOf.some((r) => r.create)) {
        await this.followCreate(channelId, h.channel.marketplace, s, rowsOf);
        if (s.state === "approved") out.approved++;
        else if (s.state === "rejected") out.rejected++;
        else out.inReview++;
        continue;
      }
      if (s.state === "approved") {
        out.approved++;
        // Only while the listing still waits for this request (a newer push replaced it otherwise).
        await this.rt.ds.query(
          `UPDATE listing l
              SET content_pushed_version = greatest(l.content_pushed_version, (l.content_review->>'contentVersion')::bigint),
                  content_dirty_since = CASE WHEN l.content_version <= (l.content_review->>'contentVersion')::bigint
                                             THEN NULL ELSE l.content_dirty_since END,
                  content_failed_version = NULL, content_attempts = 0, content_retry_at = NULL,
                  content_review = NULL,
                  last_error = CASE WHEN l.last_error->>'code' = ANY($3::text[]) THEN NULL ELSE l.last_error END,
                  updated_at = now()
            WHERE l.id = ANY($1::uuid[]) AND l.content_review->>'state' = 'IN_REVIEW'
              AND l.content_review->>'trackId' = $2`,
          [ids, s.trackId, REVIEW_CODES],
        );
        this.log?.info(
          { channelId, trackId: s.trackId, reactivated: s.reactivated },
          "content review approved",
        );
      } else if (s.state === "rejected") {
        out.rejected++;
        const hidden = (byTrack.get(s.trackId) ?? []).some((r) => r.hidden);
        const x = explainFailure({
          remoteCode: "REQUEST_REJECTED",
          remoteMessage: s.reason ?? undefined,
          marketplace: h.channel.marketplace,
          kind: "content",
        });
        const at = new Date().toISOString();
        const error = { ...x, remoteCode: "REQUEST_REJECTED", remoteMessage: s.reason, at };
        // A hidden product stays hidden (what buyers would see still claims the old star): the
        // review stays on the listing as REJECTED so the next request keeps it hidden until approved.
        await this.rt.ds.query(
          `UPDATE listing l
              SET last_error = $3::jsonb,
                  content_review = CASE WHEN l.content_review->>'hidden' = 'true'
                                        THEN l.content_review || jsonb_build_object('state', 'REJECTED', 'rejectedAt', $4::text, 'reason', $5::text)
                                        ELSE NULL END,
                  updated_at = now()
            WHERE l.id = ANY($1::uuid[]) AND l.content_review->>'state' = 'IN_REVIEW'
              AND l.content_review->>'trackId' = $2`,
          [ids, s.trackId, JSON.stringify(error), at, s.reason],
        );
        this.log?.warn(
          { channelId, trackId: s.trackId, reason: s.reason, hidden },
          "content review rejected",
        );
      } else out.inReview++;
    }
    return out;
  }

  /** A new product's creation request was decided (or is still in review: nothing to do). */
  private async followCreate(
    channelId: string,
    marketplace: MarketplaceCode,
    s: ContentReviewState,
    rows: PendingRow[],
  ): Promise<void> {
    const ids = rows.map((r) => r.id);
    if (s.state === "approved") {
      const runId = await this.rt.ds.transaction(async (m) => {
        const [, n] = await m.query(
          `UPDATE listing l SET content_review = NULL,
                  last_error = CASE WHEN l.last_error->>'code' = 'LISTING_IN_REVIEW' THEN NULL ELSE l.last_error END,
                  updated_at = now()
            WHERE l.id = ANY($1::uuid[]) AND l.content_review->>'trackId' = $2`,
          [ids, s.trackId],
        );
        if (n === 0) return null; // another worker got there first
        const run = await createRun(m, {
          channelId,
          kind: SyncKind.PUBLISH,
          trigger: SyncTrigger.EVENT,
          details: {
            productIds: [...new Set(rows.map((r) => r.product_id))],
            requestedBy: "creation approved",
          },
        });
        return run.id;
      });
      if (!runId) return;
      // After the commit; if this process dies first, the scheduler re-queues the QUEUED run.
      await this.queue?.enqueueRun(runId);
      this.log?.info({ channelId, trackId: s.trackId }, "product creation approved; publishing to link it");
      return;
    }
    if (s.state !== "rejected") return;
    const x = explainFailure({
      remoteCode: "REQUEST_REJECTED",
      remoteMessage: s.reason ?? undefined,
      marketplace,
      kind: "listing",
    });
    const error = {
      ...x,
      remoteCode: "REQUEST_REJECTED",
      remoteMessage: s.reason,
      at: new Date().toISOString(),
    };
    await this.rt.ds.query(
      `UPDATE listing l SET state = 'FAILED', last_error = $3::jsonb, content_review = NULL, updated_at = now()
        WHERE l.id = ANY($1::uuid[]) AND l.content_review->>'trackId' = $2`,
      [ids, s.trackId, JSON.stringify(error)],
    );
    this.log?.warn({ channelId, trackId: s.trackId, reason: s.reason }, "product creation rejected");
  }
}
