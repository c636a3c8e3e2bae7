/**
 * Executes one REVIEWS sync run: pulls the buyer reviews a channel's marketplace shows, page by page
 * (connector.listReviews), and upserts them by (channel, marketplace review id). A review already held
 * and unchanged writes nothing; a changed one (reply made in Seller Center, rating edited, listing now
 * known) is updated in place; a new one gets `first_seen_at` = now, which alert rules query.
 *
 * Window: from the end of the last completed pull minus an overlap (marketplaces index late and replies
 * change older reviews) to now; the first pull looks back 90 days (Lazada's limit). The position is
 * saved after every page in channel_cursor (kind REVIEWS), so a deferred or crashed run resumes there.
 */
import type { MarketplaceConnector, RemoteReview } from "../channels/connectors/connector";
import { ConnectorError, NeedsReauthError } from "../channels/connectors/http/types";
import { SyncItemStatus } from "../sync/entities/sync-item.entity";
import type { SyncRun } from "../sync/entities/sync-run.entity";
import { explainFailure } from "../sync/explain";
import { ChannelHandle, SyncRuntime, openChannel } from "../sync/runtime";
import { ItemRecord, RunTotals, recordItems } from "../sync/sync-run.service";

export const REVIEW_CURSOR_KIND = "REVIEWS";
const DAY_MS = 86_400_000;

export interface ReviewPullOptions {
  /** How far before the end of the last completed pull each pull starts (default 7 days). */
  overlapMs?: number;
  /** How far back the first pull of a channel looks (default 90 days). */
  initialLookbackMs?: number;
}

/** What channel_cursor holds for reviews. */
export interface ReviewCursor {
  /** End (exclusive, ms) of the last completed pull; null before the first. */
  doneUntil: number | null;
  /**
   * The pull in progress: its window, the connector's page cursor, and the run doing it with what it
   * has done so far (a deferred run that resumes reports the whole pass, not just its last attempt).
   */
  pass: {
    since: number;
    until: number;
    page: string | null;
    runId?: string;
    progress?: PullProgress;
  } | null;
}

interface PullProgress {
  pages: number;
  calls: number;
  fetched: number;
  counts: UpsertCounts;
}

export interface UpsertCounts {
  created: number;
  updated: number;
  unchanged: number;
  unlinked: number;
  invalid: number;
}

export async function pullReviews(
  rt: SyncRuntime,
  run: Pick<SyncRun, "id" | "channelId">,
  opts: ReviewPullOptions = {},
): Promise<RunTotals> {
  if (!run.channelId) throw new Error(`sync run ${run.id} has no channel`);
  const handle = await openChannel(rt, run.channelId);
  const { connector } = handle;
  if (!connector.listReviews || !connector.capabilities.has("review.pull")) {
    // Nothing to pull from this marketplace: done, and said so (no failure to chase every hour).
    return {
      total: 0,
      applied: 0,
      skipped: 0,
      failed: 0,
      details: { unsupported: `${connector.displayName} publishes no seller review API` },
    };
  }
  const progress: PullProgress = { pages: 0, calls: 0, fetched: 0, counts: emptyCounts() };
  const items: ItemRecord[] = [];
  let fault: ConnectorError | null = null;
  try {
    await pullPass(rt, handle, run.id, opts, progress);
  } catch (e) {
    // Transient faults and lost authorizations go to the worker (deferred retry / NEEDS_REAUTH); the
    // cursor is saved, so the retry resumes at the failed page.
    if (!(e instanceof ConnectorError) || e.retriable || e instanceof NeedsReauthError) throw e;
    fault = e;
    items.push(failureItem(connector, e));
  }
  const c = progress.counts;
  await recordItems(rt.ds, run.id, items);
  return {
    total: progress.fetched + (fault ? 1 : 0),
    applied: c.created + c.updated,
    skipped: c.unchanged,
    failed: c.invalid + (fault ? 1 : 0),
    calls: progress.calls,
    errorCode: fault ? fault.code : null,
    errorMessage: fault ? fault.message.slice(0, 500) : null,
    details: { pages: progress.pages, ...c },
  };
}

async function pullPass(
  rt: SyncRuntime,
  { channel, connector, ctx }: ChannelHandle,
  runId: string,
  opts: ReviewPullOptions,
  progress: PullProgress,
): Promise<void> {
  const saved = await loadCursor(rt, channel.id);
  // This run's own earlier attempt: carry its counts on. Another (dead) run's pass: only ours count.
  if (saved.pass?.runId === runId && saved.pass.progress) {
    const p = saved.pass.progress;
    Object.assign(progress, { pages: p.pages, calls: p.calls, fetched: p.fetched });
    addCounts(progress.counts, p.counts);
  }
  const now = rt.clock.now().getTime();
  let pass = saved.pass;
  if (!pass) {
    const since =
      saved.doneUntil !== null
        ? saved.doneUntil - (opts.overlapMs ?? 7 * DAY_MS)
        : now - (opts.initialLookbackMs ?? 90 * DAY_MS);
    pass = { since: Math.min(since, now), until: now + 1, page: null };
  }
  const itemRows: Array<{ external_item_id: string }> = await rt.ds.query(
    `SELECT DISTINCT external_item_id FROM listing
      WHERE channel_id = $1 AND external_item_id IS NOT NULL ORDER BY external_item_id`,
    [channel.id],
  );
  const query = {
    since: pass.since,
    until: pass.until,
    externalItemIds: itemRows.map((r) => r.external_item_id),
  };
  let page = pass.page;
  do {
    const res = await connector.listReviews!(ctx, query, page);
    progress.pages++;
    progress.calls += res.calls ?? 1;
    progress.fetched += res.items.length;
    addCounts(progress.counts, await upsertReviews(rt, channel.id, channel.producerId, res.items));
    page = res.nextCursor;
    pass = { ...pass, page, runId, progress };
    await saveCursor(rt, channel.id, { doneUntil: saved.doneUntil, pass });
  } while (page);
  await saveCursor(rt, channel.id, { doneUntil: pass.until, pass: null });
}

/**
 * Upserts reviews of one channel in one statement; returns what changed. Links each review to the
 * listing of the variant bought when the marketplace names it, else to the item's product (and its
 * variant when the item has a single listing here); reviews of items the hub does not list are kept
 * unlinked.
 */
export async function upsertReviews(
  rt: Pick<SyncRuntime, "ds">,
  channelId: string,
  producerId: string,
  reviews: RemoteReview[],
): Promise<UpsertCounts> {
  const counts = emptyCounts();
  const valid = dedupe(reviews).filter((r) => {
    const ok = Number.isInteger(r.rating) && r.rating >= 1 && r.rating <= 5 && r.createdAt > 0;
    if (!ok) counts.invalid++;
    return ok;
  });
  if (valid.length === 0) return counts;
  const rows: Array<{ inserted: boolean; linked: boolean }> = await rt.ds.query(
    `WITH incoming AS (
       SELECT * FROM unnest($3::text[], $4::text[], $5::text[], $6::text[], $7::int[], $8::text[], $9::text[],
                            $10::timestamptz[], $11::text[], $12::timestamptz[], $13::boolean[])
         AS t(external_review_id, external_item_id, external_sku_id, external_order_id, rating, text, buyer_name,
              remote_created_at, reply_text, replied_at, can_reply)
     ), linked AS (
       SELECT i.*,
              coalesce(exact.id, single.id) AS listing_id,
              coalesce(exact.variant_id, single.variant_id) AS variant_id,
              coalesce(exact.product_id, anyl.product_id) AS product_id
         FROM incoming i
         LEFT JOIN LATERAL (SELECT l.id, l.variant_id, l.product_id FROM listing l
                             WHERE l.channel_id = $1 AND l.external_item_id = i.external_item_id
                               AND i.external_sku_id IS NOT NULL AND l.external_sku_id = i.external_sku_id
                             ORDER BY l.created_at LIMIT 1) exact ON true
         LEFT JOIN LATERAL (SELECT min(l.product_id::text)::uuid AS product_id FROM listing l
                             WHERE l.channel_id = $1 AND l.external_item_id = i.external_item_id) anyl ON true
         LEFT JOIN LATERAL (SELECT (array_agg(l.id))[1] AS id, (array_agg(l.variant_id))[1] AS variant_id
                              FROM listing l WHERE l.channel_id = $1 AND l.external_item_id = i.external_item_id
                            HAVING count(*) = 1) single ON true
     )
     INSERT INTO review AS r (channel_id, producer_id, external_review_id, external_item_id, external_sku_id,
                              external_order_id, listing_id, variant_id, product_id, rating, text, buyer_name,
                              remote_created_at, reply_status, reply_text, replied_at, can_reply)
     SELECT $1, $2, external_review_id, external_item_id, external_sku_id, external_order_id, listing_id,
            variant_id, product_id, rating, text, buyer_name, remote_created_at,
            CASE WHEN reply_text IS NULL THEN 'NONE' ELSE 'REPLIED' END, reply_text,
            CASE WHEN reply_text IS NULL THEN NULL ELSE coalesce(replied_at, remote_created_at) END, can_reply
       FROM linked
     ON CONFLICT (channel_id, external_review_id) DO UPDATE SET
            external_item_id = EXCLUDED.external_item_id,
            external_sku_id = EXCLUDED.external_sku_id,
            listing_id = coalesce(EXCLUDED.listing_id, r.listing_id),
            variant_id = coalesce(EXCLUDED.variant_id, r.variant_id),
            product_id = coalesce(EXCLUDED.product_id, r.product_id),
            rating = EXCLUDED.rating,
            text = EXCLUDED.text,
            buyer_name = EXCLUDED.buyer_name,
            -- A reply posted from the hub stays even while the marketplace has not indexed it yet.
            reply_text = coalesce(EXCLUDED.reply_text, r.reply_text),
            reply_status = CASE WHEN coalesce(EXCLUDED.reply_text, r.reply_text) IS NULL THEN 'NONE' ELSE 'REPLIED' END,
            replied_at = coalesce(r.replied_at, EXCLUDED.replied_at),
            can_reply = EXCLUDED.can_reply AND r.reply_status = 'NONE',
            updated_at = now()
      WHERE (r.external_item_id, r.external_sku_id, r.rating, r.text, r.buyer_name, r.can_reply)
              IS DISTINCT FROM (EXCLUDED.external_item_id, EXCLUDED.external_sku_id, EXCLUDED.rating, EXCLUDED.text,
                                EXCLUDED.buyer_name, EXCLUDED.can_reply AND r.reply_status = 'NONE')
         OR (EXCLUDED.reply_text IS NOT NULL AND EXCLUDED.reply_text IS DISTINCT FROM r.reply_text)
         OR (r.product_id IS NULL AND EXCLUDED.product_id IS NOT NULL)
         OR (r.listing_id IS NULL AND EXCLUDED.listing_id IS NOT NULL)
     RETURNING (xmax = 0) AS inserted, (r.product_id IS NOT NULL) AS linked`,
    [
      channelId,
      producerId,
      valid.map((r) => r.externalReviewId),
      valid.map((r) => r.externalItemId),
      valid.map((r) => r.externalSkuId),
      valid.map((r) => r.externalOrderId),
      valid.map((r) => r.rating),
      valid.map((r) => r.text.normalize("NFC")),
      valid.map((r) => r.buyerName),
      valid.map((r) => new Date(r.createdAt)),
      valid.map((r) => r.replyText),
      valid.map((r) => (r.repliedAt ? new Date(r.repliedAt) : null)),
      valid.map((r) => r.canReply),
    ],
  );
  for (const row of rows) {
    if (row.inserted) counts.created++;
    else counts.updated++;
    if (!row.linked) counts.unlinked++;
  }
  counts.unchanged = valid.length - rows.length;
  return counts;
}

/** The same review twice in one page (marketplace paging overlap) is one row. */
function dedupe(reviews: RemoteReview[]): RemoteReview[] {
  const byId = new Map<string, RemoteReview>();
  for (const r of reviews) byId.set(r.externalReviewId, r);
  return [...byId.values()];
}

function emptyCounts(): UpsertCounts {
  return { created: 0, updated: 0, unchanged: 0, unlinked: 0, invalid: 0 };
}

function addCounts(into: UpsertCounts, c: UpsertCounts): void {
  into.created += c.created;
  into.updated += c.updated;
  into.unchanged += c.unchanged;
  into.unlinked += c.unlinked;
  into.invalid += c.invalid;
}

export async function loadCursor(rt: Pick<SyncRuntime, "ds">, channelId: string): Promise<ReviewCursor> {
  const [row]: Array<{ cursor: ReviewCursor }> = await rt.ds.query(
    `SELECT cursor FROM channel_cursor WHERE channel_id = $1 AND kind = $2`,
    [channelId, REVIEW_CURSOR_KIND],
  );
  return { doneUntil: row?.cursor?.doneUntil ?? null, pass: row?.cursor?.pass ?? null };
}

async function saveCursor(rt: SyncRuntime, channelId: string, cursor: ReviewCursor): Promise<void> {
  await rt.ds.query(
    `INSERT INTO channel_cursor (channel_id, kind, cursor) VALUES ($1, $2, $3::jsonb)
     ON CONFLICT (channel_id, kind) DO UPDATE SET cursor = EXCLUDED.cursor, updated_at = now()`,
    [channelId, REVIEW_CURSOR_KIND, JSON.stringify(cursor)],
  );
}

function failureItem(connector: MarketplaceConnector, e: ConnectorError): ItemRecord {
  const x = explainFailure({
    remoteCode: e.code,
    remoteMessage: e.remoteMessage,
    marketplace: connector.code,
    kind: "review",
  });
  return {
    kind: "review",
    status: SyncItemStatus.FAILED,
    remoteCode: e.code,
    remoteMessage: e.remoteMessage,
    code: x.code,
    messageVi: x.messageVi,
    messageEn: x.messageEn,
    hintVi: x.hintVi,
    hintEn: x.hintEn,
  };
}
