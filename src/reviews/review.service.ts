/**
 * Reviews for the API, always through the caller's producer filter (READ_CATALOGUE): list with
 * filters, per-product rating summaries (overall, per channel, per star), the per-producer unread
 * count, marking read, and replying on the marketplace where its API allows it.
 * Buyer display names are shown only to callers who may read the producer's orders (READ_ORDERS):
 * they are the marketplace's own (often masked) names, but still about buyers.
 */
import { ConnectorError } from "../channels/connectors/http/types";
import type { PageWindow } from "../common/graphql/relay";
import { toGlobalId } from "../common/graphql/global-id";
import { UserErrors } from "../common/errors";
import type { Locale } from "../common/i18n";
import { Scope, Viewer, assertScope, canSeeProducer, producerFilter } from "../auth/viewer";
import { explainFailure } from "../sync/explain";
import { ChannelUnavailableError, SyncRuntime, openChannel } from "../sync/runtime";

export type ReplyStatus = "NONE" | "REPLIED";

/** Longest reply the hub sends: Lazada's documented 500 characters (Shopee documents none). */
export const MAX_REPLY_CHARS = 500;

export interface ReviewFilterInput {
  producerId?: string | null;
  productId?: string | null;
  channelId?: string | null;
  rating?: number[] | null;
  replyStatus?: ReplyStatus | null;
  /** Reviews written on the marketplace at or after this time. */
  since?: Date | null;
  /** Reviews the hub first stored at or after this time ("new reviews since"). */
  firstSeenSince?: Date | null;
  linked?: boolean | null;
}

export interface ReviewView {
  globalId: string;
  uuid: string;
  channelUuid: string;
  producerUuid: string;
  productUuid: string | null;
  variantUuid: string | null;
  linked: boolean;
  externalReviewId: string;
  externalItemId: string | null;
  externalOrderId: string | null;
  rating: number;
  text: string;
  buyerName: string | null;
  createdAt: Date;
  firstSeenAt: Date;
  replyStatus: ReplyStatus;
  replyText: string | null;
  repliedAt: Date | null;
  canReply: boolean;
  read: boolean;
}

export interface RatingSummary {
  average: number | null;
  count: number;
  byChannel: Array<{ channelUuid: string; average: number; count: number }>;
  /** Count per star, 1 to 5 (all five present). */
  byRating: Array<{ rating: number; count: number }>;
}

interface ReviewRow {
  id: string;
  channel_id: string;
  producer_id: string;
  product_id: string | null;
  variant_id: string | null;
  external_review_id: string;
  external_item_id: string | null;
  external_order_id: string | null;
  rating: number;
  text: string;
  buyer_name: string | null;
  remote_created_at: Date;
  first_seen_at: Date;
  reply_status: ReplyStatus;
  reply_text: string | null;
  replied_at: Date | null;
  can_reply: boolean;
  read_at: Date | null;
}

const COLUMNS = `r.id, r.channel_id, r.producer_id, r.product_id, r.variant_id, r.external_review_id,
  r.external_item_id, r.external_order_id, r.rating, r.text, r.buyer_name, r.remote_created_at, r.first_seen_at,
  r.reply_status, r.reply_text, r.replied_at, r.can_reply, r.read_at`;

function toView(viewer: Viewer, r: ReviewRow): ReviewView {
  return {
    globalId: toGlobalId("Review", r.id),
    uuid: r.id,
    channelUuid: r.channel_id,
    producerUuid: r.producer_id,
    productUuid: r.product_id,
    variantUuid: r.variant_id,
    linked: r.product_id !== null,
    externalReviewId: r.external_review_id,
    externalItemId: r.external_item_id,
    externalOrderId: canSeeProducer(viewer, r.producer_id, Scope.READ_ORDERS) ? r.external_order_id : null,
    rating: r.rating,
    text: r.text,
    buyerName: canSeeProducer(viewer, r.producer_id, Scope.READ_ORDERS) ? r.buyer_name : null,
    createdAt: r.remote_created_at,
    firstSeenAt: r.first_seen_at,
    replyStatus: r.reply_status,
    replyText: r.reply_text,
    repliedAt: r.replied_at,
    canReply: r.can_reply,
    read: r.read_at !== null,
  };
}

function where(viewer: Viewer, f: ReviewFilterInput): { sql: string; params: unknown[] } {
  const params: unknown[] = [];
  const cond: string[] = [];
  const add = (sql: (p: string) => string, value: unknown) => {
    params.push(value);
    cond.push(sql(`$${params.length}`));
  };
  const producers = producerFilter(viewer, Scope.READ_CATALOGUE);
  if (producers !== null) add((p) => `r.producer_id = ANY(${p}::uuid[])`, producers);
  if (f.producerId) add((p) => `r.producer_id = ${p}`, f.producerId);
  if (f.productId) add((p) => `r.product_id = ${p}`, f.productId);
  if (f.channelId) add((p) => `r.channel_id = ${p}`, f.channelId);
  if (f.rating?.length) add((p) => `r.rating = ANY(${p}::int[])`, f.rating);
  if (f.replyStatus) add((p) => `r.reply_status = ${p}`, f.replyStatus);
  if (f.since) add((p) => `r.remote_created_at >= ${p}`, f.since);
  if (f.firstSeenSince) add((p) => `r.first_seen_at >= ${p}`, f.firstSeenSince);
  if (f.linked != null) cond.push(f.linked ? `r.product_id IS NOT NULL` : `r.product_id IS NULL`);
  return { sql: cond.length ? `WHERE ${cond.join(" AND ")}` : "", params };
}

export class ReviewService {
  constructor(private readonly rt: SyncRuntime) {}

  /** Newest first (marketplace time); `limit + 1` rows so the connection knows about a next page. */
  async list(viewer: Viewer, f: ReviewFilterInput, win: PageWindow): Promise<ReviewView[]> {
    const w = where(viewer, f);
    const rows: ReviewRow[] = await this.rt.ds.query(
      `SELECT ${COLUMNS} FROM review r ${w.sql}
        ORDER BY r.remote_created_at DESC, r.id DESC
        OFFSET $${w.params.length + 1} LIMIT $${w.params.length + 2}`,
      [...w.params, win.offset, win.limit + 1],
    );
    return rows.map((r) => toView(viewer, r));
  }

  async count(viewer: Viewer, f: ReviewFilterInput): Promise<number> {
    const w = where(viewer, f);
    const [r] = await this.rt.ds.query(`SELECT count(*)::int AS n FROM review r ${w.sql}`, w.params);
    return r.n;
  }

  async get(viewer: Viewer, id: string): Promise<ReviewView | null> {
    const [row]: ReviewRow[] = await this.rt.ds.query(`SELECT ${COLUMNS} FROM review r WHERE r.id = $1`, [
      id,
    ]);
    return row && canSeeProducer(viewer, row.producer_id) ? toView(viewer, row) : null;
  }

  /** Rating summaries of many products at once (for a per-request DataLoader); callers checked the products. */
  async summaries(productIds: readonly string[]): Promise<RatingSummary[]> {
    const rows: Array<{ product_id: string; channel_id: string; rating: number; n: number }> =
      await this.rt.ds.query(
        `SELECT product_id, channel_id, rating, count(*)::int AS n FROM review
          WHERE product_id = ANY($1::uuid[]) GROUP BY product_id, channel_id, rating`,
        [productIds],
      );
    return productIds.map((id) => {
      const mine = rows.filter((r) => r.product_id === id);
      const count = mine.reduce((s, r) => s + r.n, 0);
      const stars = mine.reduce((s, r) => s + r.n * r.rating, 0);
      const channels = new Map<string, { n: number; stars: number }>();
      for (const r of mine) {
        const c = channels.get(r.channel_id) ?? { n: 0, stars: 0 };
        c.n += r.n;
        c.stars += r.n * r.rating;
        channels.set(r.channel_id, c);
      }
      return {
        average: count ? round2(stars / count) : null,
        count,
        byChannel: [...channels.entries()]
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([channelUuid, c]) => ({ channelUuid, average: round2(c.stars / c.n), count: c.n })),
        byRating: [1, 2, 3, 4, 5].map((rating) => ({
          rating,
          count: mine.filter((r) => r.rating === rating).reduce((s, r) => s + r.n, 0),
        })),
      };
    });
  }

  /** Reviews of each producer not yet marked read (for a per-request DataLoader). */
  async unreadCounts(producerIds: readonly string[]): Promise<number[]> {
    const rows: Array<{ producer_id: string; n: number }> = await this.rt.ds.query(
      `SELECT producer_id, count(*)::int AS n FROM review
        WHERE producer_id = ANY($1::uuid[]) AND read_at IS NULL GROUP BY producer_id`,
      [producerIds],
    );
    return producerIds.map((id) => rows.find((r) => r.producer_id === id)?.n ?? 0);
  }

  /** Marks every review of the producer first seen up to now as read; returns how many changed. */
  async markRead(viewer: Viewer, producerId: string): Promise<number> {
    if (!canSeeProducer(viewer, producerId))
      throw UserErrors.one("producerId", "NOT_FOUND", { entity: "chủ thể / producer", id: producerId });
    assertScope(viewer, Scope.WRITE_CATALOGUE, producerId);
    const [r] = await this.rt.ds.query(
      `WITH u AS (UPDATE review SET read_at = now() WHERE producer_id = $1 AND read_at IS NULL RETURNING id)
       SELECT count(*)::int AS n FROM u`,
      [producerId],
    );
    return r.n;
  }

  /**
   * Posts the seller's reply on the marketplace, then records it. Refused with a userError where the
   * marketplace has no reply API, the review is already answered or closed, or the marketplace says no.
   * Replying speaks for the shop: it needs WRITE_CATALOGUE on the review's producer.
   */
  async reply(viewer: Viewer, reviewId: string, rawText: string, locale: Locale): Promise<string> {
    const [row]: Array<{
      id: string;
      producer_id: string;
      channel_id: string;
      external_review_id: string;
      reply_status: ReplyStatus;
      can_reply: boolean;
    }> = await this.rt.ds.query(
      `SELECT id, producer_id, channel_id, external_review_id, reply_status, can_reply FROM review WHERE id = $1`,
      [reviewId],
    );
    if (!row || !canSeeProducer(viewer, row.producer_id))
      throw UserErrors.one("reviewId", "NOT_FOUND", { entity: "đánh giá / review", id: reviewId });
    assertScope(viewer, Scope.WRITE_CATALOGUE, row.producer_id);
    const text = rawText.normalize("NFC").trim();
    if (!text) throw UserErrors.one("text", "REQUIRED", { label: "text" });
    // Control characters (NUL, escapes) are never part of a reply a buyer should see.
    if ([...text].some((ch) => isControl(ch.codePointAt(0)!)))
      throw UserErrors.one("text", "INVALID_FORMAT", {
        label: "text",
        hint: "ký tự điều khiển / control characters",
      });
    if ([...text].length > MAX_REPLY_CHARS)
      throw UserErrors.one("text", "TOO_LONG", { label: "text", max: MAX_REPLY_CHARS });
    let handle;
    try {
      handle = await openChannel(this.rt, row.channel_id);
    } catch (e) {
      if (e instanceof ChannelUnavailableError)
        throw UserErrors.one("reviewId", "CHANNEL_STATE", {
          status: e.status,
          action: "trả lời đánh giá / reply to reviews",
        });
      throw e;
    }
    const { connector, ctx, channel } = handle;
    if (!connector.replyToReview || !connector.capabilities.has("review.reply"))
      throw UserErrors.one("reviewId", "REVIEW_REPLY_UNSUPPORTED", { marketplace: connector.displayName });
    if (row.reply_status === "REPLIED") throw UserErrors.one("reviewId", "REVIEW_ALREADY_REPLIED");
    if (!row.can_reply) throw UserErrors.one("reviewId", "REVIEW_REPLY_CLOSED");

    let result;
    try {
      result = await connector.replyToReview(ctx, row.external_review_id, text);
    } catch (e) {
      const ce = e instanceof ConnectorError ? e : null;
      if (!ce) throw e;
      result = {
        key: row.external_review_id,
        outcome: "failed_fatal" as const,
        remoteCode: ce.code,
        remoteMessage: ce.remoteMessage,
      };
    }
    if (result.outcome !== "applied") {
      const x = explainFailure({
        remoteCode: result.remoteCode,
        remoteMessage: result.remoteMessage,
        marketplace: channel.marketplace,
        kind: "review",
      });
      throw UserErrors.one("reviewId", "MARKETPLACE_REFUSED", {
        reason: `${locale === "vi" ? x.messageVi : x.messageEn} (${result.remoteCode ?? ""}: ${result.remoteMessage ?? ""})`,
      });
    }
    await this.rt.ds.query(
      `UPDATE review SET reply_status = 'REPLIED', reply_text = $2, replied_at = now(), can_reply = false,
              updated_at = now() WHERE id = $1`,
      [row.id, text],
    );
    return row.id;
  }
}

/** C0 controls except tab, line feed and carriage return, and DEL. */
function isControl(code: number): boolean {
  return (code < 0x20 && code !== 0x09 && code !== 0x0a && code !== 0x0d) || code === 0x7f;
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}
