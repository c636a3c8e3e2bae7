/**
 * Publish once: preflight (what each marketplace would show, and what blocks it), then listing rows
 * go PENDING and one PUBLISH sync run per channel is queued. `runPublish` executes such a run: it
 * first links listings the shop already has (matched by SKU) instead of creating duplicates, uploads
 * images once per channel, creates or updates the rest in batches, and records every variant's result
 * (LIVE with its remote ids, or FAILED with an explained reason). Pushed versions are set to the
 * versions whose values were sent, so a change made meanwhile stays dirty for the outbox.
 */
import fs from "node:fs";
import path from "node:path";
import axios from "axios";
import type { DataSource } from "typeorm";
import type { FastifyInstance } from "fastify";
import type {
  ItemResult,
  ListingDraft,
  MarketplaceConnector,
  ChannelContext,
} from "../channels/connectors/connector";
import { Channel, ChannelStatus } from "../channels/channel.entity";
import { remoteAttributesCached } from "../channels/mapping.service";
import { paginate } from "../channels/connectors/http/paginate";
import { ConnectorError } from "../channels/connectors/http/types";
import { Viewer, assertCanWriteProducer, canSeeProducer } from "../auth/viewer";
import { UserErrors } from "../common/errors";
import { BuiltDraft, DraftTarget, draftsFor, restrict } from "./listing-draft";
import { PreflightProblem, blocking, checkDraft, problem } from "./preflight";
import { SyncRuntime, openChannel } from "./runtime";
import type { JobQueue } from "./jobs";
import { SyncKind, SyncRun, SyncRunStatus, SyncTrigger } from "./entities/sync-run.entity";
import { SyncItemStatus } from "./entities/sync-item.entity";
import type { ContentReviewRecord } from "./entities/listing.entity";
import { ItemRecord, createRun, finishRun, recordItems, startRun } from "./sync-run.service";
import { explainFailure } from "./explain";
import { desiredValues } from "./desired-state";

export const MAX_PUBLISH_PRODUCTS = 1_000;
/** Drafts per upsertListings call; several calls run at once and the rate budget paces them. */
const UPSERT_CHUNK = 5;
/** Where the hub's own static files (placeholder image) live; served at /static/. */
export const STATIC_DIR = path.join(__dirname, "..", "app", "static");
const STATIC_SRC_DIR = path.join(__dirname, "..", "..", "..", "src", "app", "static");

export interface PublishInput {
  productIds: string[];
  channelIds: string[];
  dryRun: boolean;
  /** The API request that asked, carried into the runs (and their jobs' logs). */
  requestId?: string | null;
}

export interface ListingPreview {
  channelId: string;
  productId: string;
  /** False when an ERROR problem blocks this listing. */
  ready: boolean;
  draft: ListingDraft;
  categoryName: string | null;
  variants: BuiltDraft["variants"];
  ocopStar: number | null;
  problems: PreflightProblem[];
}

export interface PublishChannelResult {
  channelId: string;
  runId: string | null;
  listingsQueued: number;
  previews: ListingPreview[];
}

export interface PublishResult {
  dryRun: boolean;
  channels: PublishChannelResult[];
}

export class PublishService {
  constructor(
    private readonly rt: SyncRuntime,
    private readonly queue: JobQueue | null,
  ) {}

  /** Field-level preview and problems for every (channel, product); writes nothing. */
  async preflight(viewer: Viewer, input: Omit<PublishInput, "dryRun">): Promise<ListingPreview[]> {
    const { channels, targets } = await this.targets(viewer, input);
    const built = await draftsFor(this.rt.ds, targets, this.rt.clock.now());
    const previews: ListingPreview[] = [];
    for (const b of built) {
      const channel = channels.get(b.channelId)!;
      const connector = this.rt.connectors[channel.marketplace];
      const problems =
        channel.status === ChannelStatus.ACTIVE
          ? checkDraft(
              b,
              await this.requiredAttributes(channel, connector, b.remoteCategoryId),
              connector.limits.variantsPerListing,
            )
          : [problem(b, "CHANNEL_NOT_ACTIVE", "channel", { status: channel.status })];
      previews.push({
        channelId: b.channelId,
        productId: b.productId,
        ready: !blocking(problems),
        draft: b.draft,
        categoryName: b.remoteCategoryName,
        variants: b.variants,
        ocopStar: b.ocop?.star ?? null,
        problems,
      });
    }
    return previews;
  }

  async publishProducts(viewer: Viewer, input: PublishInput): Promise<PublishResult> {
    const previews = await this.preflight(viewer, input);
    const byChannel = new Map<string, ListingPreview[]>();
    for (const id of input.channelIds) byChannel.set(id, []);
    for (const p of previews) byChannel.get(p.channelId)!.push(p);
    const result: PublishResult = { dryRun: input.dryRun, channels: [] };
    if (input.dryRun) {
      for (const [channelId, list] of byChannel)
        result.channels.push({ channelId, runId: null, listingsQueued: 0, previews: list });
      return result;
    }
    if (!this.queue) throw new Error("publishProducts needs the job queue; this process has none");
    for (const [channelId, list] of byChannel) {
      const ready = list.filter((p) => p.ready);
      if (ready.length === 0) {
        result.channels.push({ channelId, runId: null, listingsQueued: 0, previews: list });
        continue;
      }
      const rows = ready.flatMap((p) =>
        p.variants.map((v) => ({ productId: p.productId, variantId: v.variantId, key: p.draft.key })),
      );
      const runId = await this.rt.ds.transaction(async (m) => {
        // New, failed or delisted listings go PENDING; LIVE ones stay LIVE (the run updates them).
        await m.query(
          `INSERT INTO listing (channel_id, product_id, variant_id, listing_key, state)
           SELECT $1::uuid, r.product_id, r.variant_id, r.listing_key, 'PENDING'
             FROM unnest($2::uuid[], $3::uuid[], $4::text[]) AS r(product_id, variant_id, listing_key)
           ON CONFLICT (channel_id, variant_id) DO UPDATE
             SET state = CASE WHEN listing.state = 'LIVE' THEN 'LIVE' ELSE 'PENDING' END,
                 listing_key = EXCLUDED.listing_key, updated_at = now()`,
          [channelId, rows.map((r) => r.productId), rows.map((r) => r.variantId), rows.map((r) => r.key)],
        );
        const run = await createRun(m, {
          channelId,
          kind: SyncKind.PUBLISH,
          trigger: SyncTrigger.MANUAL,
          requestId: input.requestId ?? null,
          details: { productIds: ready.map((p) => p.productId), requestedBy: viewer.actor },
        });
        return run.id;
      });
      await this.queue.enqueueRun(runId);
      result.channels.push({ channelId, runId, listingsQueued: rows.length, previews: list });
    }
    return result;
  }

  private async targets(
    viewer: Viewer,
    input: Omit<PublishInput, "dryRun">,
  ): Promise<{ channels: Map<string, Channel>; targets: DraftTarget[] }> {
    const productIds = [...new Set(input.productIds)];
    const channelIds = [...new Set(input.channelIds)];
    if (productIds.length === 0) throw UserErrors.one("productIds", "EMPTY_LIST");
    if (channelIds.length === 0) throw UserErrors.one("channelIds", "EMPTY_LIST");
    if (productIds.length > MAX_PUBLISH_PRODUCTS)
      throw UserErrors.one("productIds", "TOO_MANY_ROWS", { max: MAX_PUBLISH_PRODUCTS });
    const products: Array<{ id: string; producer_id: string }> = await this.rt.ds.query(
      `SELECT id, producer_id FROM product WHERE id = ANY($1::uuid[])`,
      [productIds],
    );
    const visibleProducts = new Map(
      products.filter((p) => canSeeProducer(viewer, p.producer_id)).map((p) => [p.id, p]),
    );
    for (const [i, id] of productIds.entries())
      if (!visibleProducts.has(id))
        throw UserErrors.one(`productIds.${i}`, "NOT_FOUND", { entity: "product", id });
    const found = await this.rt.ds.getRepository(Channel).find({ where: channelIds.map((id) => ({ id })) });
    const channels = new Map(found.filter((c) => canSeeProducer(viewer, c.producerId)).map((c) => [c.id, c]));
    for (const [i, id] of channelIds.entries()) {
      const c = channels.get(id);
      if (!c || c.status === ChannelStatus.DISCONNECTED)
        throw UserErrors.one(`channelIds.${i}`, "NOT_FOUND", { entity: "channel", id });
      assertCanWriteProducer(viewer, c.producerId);
    }
    const targets: DraftTarget[] = [];
    for (const channelId of channelIds) {
      for (const [i, productId] of productIds.entries()) {
        // A shop sells its own producer's products only.
        if (visibleProducts.get(productId)!.producer_id !== channels.get(channelId)!.producerId)
          throw UserErrors.one(`productIds.${i}`, "FORBIDDEN");
        targets.push({ channelId, productId });
      }
    }
    return { channels, targets };
  }

  private async requiredAttributes(
    channel: Channel,
    connector: MarketplaceConnector,
    categoryId: string | null,
  ) {
    if (!categoryId || !connector.getCategoryAttributes) return undefined;
    try {
      const h = await openChannel(this.rt, channel.id);
      return await remoteAttributesCached(channel.marketplace, channel.baseUrl, categoryId, () =>
        connector.getCategoryAttributes!(h.ctx, categoryId),
      );
    } catch (e) {
      this.rt.log.warn(
        { channelId: channel.id, err: (e as Error).message },
        "category attributes unavailable",
      );
      return null;
    }
  }
}

// ---------- executing a PUBLISH run ----------

interface RunTarget {
  built: BuiltDraft;
  /** listing id per SKU */
  listingBySku: Map<string, string>;
}

/** Executes a PUBLISH sync_run. Safe to run again after a crash: linking by SKU prevents duplicates. */
export async function runPublish(rt: SyncRuntime, runId: string): Promise<void> {
  const run = await rt.ds.getRepository(SyncRun).findOneBy({ id: runId });
  // CONTENT runs (the outbox, after a content change) re-upsert live listings the same way.
  if (!run || (run.kind !== SyncKind.PUBLISH && run.kind !== SyncKind.CONTENT) || !run.channelId) return;
  if (run.status === SyncRunStatus.FINISHED || run.status === SyncRunStatus.CANCELLED) return;
  // A RUNNING run is one whose worker died: take it over.
  if (run.status === SyncRunStatus.QUEUED && !(await startRun(rt.ds, runId))) return;
  let h;
  try {
    h = await openChannel(rt, run.channelId);
  } catch (e) {
    await finishRun(rt.ds, runId, {
      total: 0,
      applied: 0,
      skipped: 0,
      failed: 0,
      errorCode: "CHANNEL_NOT_ACTIVE",
      errorMessage: (e as Error).message,
    });
    return;
  }
  const { connector, ctx, channel } = h;
  const productIds = (run.details.productIds as string[] | undefined) ?? [];
  const listings: Array<{
    id: string;
    product_id: string;
    sku: string;
    external_item_id: string | null;
    hidden: boolean;
  }> = await rt.ds.query(
    `SELECT l.id, l.product_id, v.sku, l.external_item_id, coalesce(l.content_review->>'hidden' = 'true', false) AS hidden
         FROM listing l JOIN variant v ON v.id = l.variant_id
      WHERE l.channel_id = $1 AND l.product_id = ANY($2::uuid[]) AND l.state IN ('PENDING','LIVE','FAILED')
        -- A creation the marketplace is still reviewing is not sent twice (two products once approved).
        AND NOT coalesce(l.content_review->>'kind' = 'CREATE' AND l.content_review->>'state' = 'IN_REVIEW', false)`,
    [channel.id, productIds],
  );
  const wanted = new Set(listings.map((l) => l.id));
  const built = (
    await draftsFor(
      rt.ds,
      [...new Set(listings.map((l) => l.product_id))].map((productId) => ({
        channelId: channel.id,
        productId,
      })),
      rt.clock.now(),
    )
  )
    .map((b) => restrict(b, (v) => v.listingId !== null && wanted.has(v.listingId)))
    .filter((b) => b.variants.length > 0);
  // Hidden on the marketplace while a reviewed content edit is pending, or after one was refused
  // (Tiki, listing.content_review): the connector keeps it so until a request is approved.
  const hidden = new Set(listings.filter((l) => l.hidden).map((l) => l.id));
  for (const b of built) if (b.variants.some((v) => hidden.has(v.listingId!))) b.draft.hiddenForReview = true;
  // The values sent are exactly what the outbox would push (one definition of "desired").
  const desired = await desiredValues(rt.ds, [...wanted]);
  for (const b of built) {
    for (const [i, v] of b.variants.entries()) {
      const d = desired.get(v.listingId!);
      if (!d) continue;
      v.priceVnd = d.priceVnd;
      v.stock = d.stock;
      b.draft.variants[i].priceVnd = d.priceVnd ?? 0;
      b.draft.variants[i].stock = d.stock;
    }
  }
  const items: ItemRecord[] = [];
  let applied = 0;
  let failed = 0;
  let skipped = 0;

  // 1. Link what the shop already sells under our SKUs.
  const targets: RunTarget[] = built.map((b) => ({
    built: b,
    listingBySku: new Map(b.variants.map((v) => [v.sku, v.listingId!])),
  }));
  const unlinked = targets.filter((t) => !t.built.draft.externalItemId);
  if (unlinked.length > 0 && connector.listListings) {
    const remote = new Map<string, { externalItemId: string; externalSkuId: string | null }>();
    try {
      for await (const r of paginate((cursor) => connector.listListings!(ctx, cursor)))
        for (const v of r.variants)
          remote.set(v.sku, { externalItemId: r.externalItemId, externalSkuId: v.externalSkuId });
    } catch (e) {
      await failRun(rt, runId, e);
      return;
    }
    const linked: Array<{ id: string; item: string; sku: string | null }> = [];
    for (const t of unlinked) {
      const hits = t.built.variants.map((v) => remote.get(v.sku));
      if (!hits.some(Boolean)) continue;
      const itemId = hits.find(Boolean)!.externalItemId;
      t.built.draft.externalItemId = itemId;
      for (const [i, v] of t.built.variants.entries()) {
        const hit = hits[i];
        t.built.draft.variants[i].externalSkuId = hit?.externalSkuId ?? null;
        if (hit) linked.push({ id: v.listingId!, item: hit.externalItemId, sku: hit.externalSkuId });
      }
      t.built.draft.key = t.built.variants[0].sku;
      (t as RunTarget & { linkedOnly?: boolean }).linkedOnly = hits.every(Boolean);
    }
    if (linked.length) {
      // Linked listings are LIVE; their price/stock/content versions stay dirty, so the outbox
      // brings the marketplace in line with the catalogue.
      await rt.ds.query(
        `UPDATE listing l SET external_item_id = u.item, external_sku_id = u.sku, state = 'LIVE', last_error = NULL, updated_at = now()
           FROM unnest($1::uuid[], $2::text[], $3::text[]) AS u(id, item, sku) WHERE l.id = u.id`,
        [linked.map((x) => x.id), linked.map((x) => x.item), linked.map((x) => x.sku)],
      );
      for (const x of linked) {
        items.push({
          listingId: x.id,
          kind: "link",
          status: SyncItemStatus.APPLIED,
          value: { externalItemId: x.item, externalSkuId: x.sku },
        });
        applied++;
      }
    }
  }
  const toSend = targets.filter((t) => !(t as RunTarget & { linkedOnly?: boolean }).linkedOnly);

  // 2. Images: once per channel and source URL.
  try {
    await resolveImages(
      rt.ds,
      connector,
      ctx,
      channel.id,
      toSend.map((t) => t.built.draft),
    );
  } catch (e) {
    await failRun(rt, runId, e, items, applied);
    return;
  }

  // 3. Create or update the rest, several batches at once (the rate budget paces the calls).
  const chunks: RunTarget[][] = [];
  for (let i = 0; i < toSend.length; i += UPSERT_CHUNK) chunks.push(toSend.slice(i, i + UPSERT_CHUNK));
  const concurrency = Math.max(2, Math.min(16, connector.ratePolicy.burst));
  let next = 0;
  const work = async () => {
    while (next < chunks.length) {
      const chunk = chunks[next++];
      let results: ItemResult[];
      try {
        results = await connector.upsertListings!(
          ctx,
          chunk.map((t) => t.built.draft),
        );
      } catch (e) {
        const ce = e instanceof ConnectorError ? e : null;
        results = chunk.map((t) => ({
          key: t.built.draft.key,
          outcome: "failed_retriable",
          remoteCode: ce?.code ?? "ERROR",
          remoteMessage: (e as Error).message,
        }));
      }
      const r = await recordResults(rt, channel.marketplace, chunk, results);
      items.push(...r.items);
      applied += r.applied;
      failed += r.failed;
      skipped += r.skipped;
    }
  };
  if (connector.upsertListings)
    await Promise.all(Array.from({ length: Math.min(concurrency, chunks.length) }, work));
  else for (const t of toSend) failed += t.built.variants.length;
  await recordItems(rt.ds, runId, items);
  await finishRun(rt.ds, runId, { total: applied + failed + skipped, applied, failed, skipped });
}

async function failRun(
  rt: SyncRuntime,
  runId: string,
  e: unknown,
  items: ItemRecord[] = [],
  applied = 0,
): Promise<void> {
  const code = e instanceof ConnectorError ? e.code : "ERROR";
  rt.log.warn({ runId, code, err: (e as Error).message }, "publish run failed");
  await recordItems(rt.ds, runId, items);
  await finishRun(rt.ds, runId, {
    total: applied,
    applied,
    skipped: 0,
    failed: 0,
    errorCode: code,
    errorMessage: (e as Error).message,
  });
}

async function recordResults(
  rt: SyncRuntime,
  marketplace: Channel["marketplace"],
  chunk: RunTarget[],
  results: ItemResult[],
): Promise<{ items: ItemRecord[]; applied: number; failed: number; skipped: number }> {
  const items: ItemRecord[] = [];
  const ok: Array<{
    id: string;
    item: string;
    sku: string | null;
    pv: string;
    sv: string;
    cv: string;
    price: number | null;
    stock: number;
    /** The content was applied (not left for the marketplace's review): any earlier review is over. */
    content: boolean;
  }> = [];
  /** review: set when the answer was about a reviewed request (null: the review is over). */
  const bad: Array<{ id: string; error: string; cv: string; fatal: boolean; review?: string | null }> = [];
  let applied = 0;
  let failed = 0;
  let skipped = 0;
  /** review: the request to follow (listing.content_review); undefined keeps the one in place. */
  const skippedContent: Array<{ id: string; cv: string; error: string; review?: string }> = [];
  /** New listings whose creation the marketplace reviews (Tiki): PENDING, followed until decided. */
  const createsInReview: Array<{ id: string; error: string; review: string | null }> = [];
  chunk.forEach((t, i) => {
    const r = results[i] ?? { key: t.built.draft.key, outcome: "failed_retriable", remoteCode: "NO_RESULT" };
    const remoteSku = new Map((r.variants ?? []).map((v) => [v.sku, v.externalSkuId]));
    for (const v of t.built.variants) {
      const listingId = t.listingBySku.get(v.sku)!;
      const value = { priceVnd: v.priceVnd, stock: v.stock, title: t.built.draft.title };
      // A request the marketplace reviews (Tiki): a SKIPPED item and an explanation for the listing,
      // and the request to follow (src/ocop-claims/content-reviews.ts) when there is one.
      const parkForReview = (
        kind: "listing" | "content",
        review: Pick<ContentReviewRecord, "kind" | "trackId" | "hidden"> | null,
      ) => {
        const x = explainFailure({
          remoteCode: r.remoteCode,
          remoteMessage: r.remoteMessage,
          marketplace,
          kind,
        });
        const at = new Date().toISOString();
        items.push({
          listingId,
          sku: v.sku,
          kind: "listing",
          status: SyncItemStatus.SKIPPED,
          value,
          version: v.contentVersion,
          remoteCode: r.remoteCode ?? null,
          remoteMessage: r.remoteMessage ?? null,
          code: x.code,
          messageVi: x.messageVi,
          messageEn: x.messageEn,
          hintVi: x.hintVi,
          hintEn: x.hintEn,
        });
        skipped++;
        const record: ContentReviewRecord | null = review && {
          state: "IN_REVIEW",
          ...review,
          contentVersion: v.contentVersion ?? "0",
          requestedAt: at,
        };
        return {
          error: JSON.stringify({
            ...x,
            remoteCode: r.remoteCode ?? null,
            remoteMessage: r.remoteMessage ?? null,
            at,
          }),
          review: record && JSON.stringify(record),
        };
      };
      if (r.outcome === "skipped" && !t.built.draft.externalItemId) {
        // A new product in the marketplace's review: PENDING until approved (then linked by SKU).
        const review = r.review
          ? { kind: "CREATE" as const, trackId: r.review.trackId, hidden: false }
          : null;
        createsInReview.push({ id: listingId, ...parkForReview("listing", review) });
        continue;
      }
      // "skipped" on an existing listing: price and stock applied, content not (e.g. Tiki reviews
      // content edits): settle price and stock, park this content version with an explanation.
      const contentSkipped = r.outcome === "skipped" && !!t.built.draft.externalItemId;
      if (contentSkipped) {
        const review = r.review ? { trackId: r.review.trackId, hidden: r.review.hidden } : null;
        const parked = parkForReview("content", review);
        // No request to follow keeps the review in place (undefined), rather than clearing it.
        skippedContent.push({
          id: listingId,
          cv: v.contentVersion ?? "0",
          error: parked.error,
          review: parked.review ?? undefined,
        });
      }
      if (r.outcome === "applied" || r.outcome === "skipped") {
        const externalSku =
          remoteSku.get(v.sku) ?? (t.built.variants.length === 1 ? (r.externalSkuId ?? null) : null);
        ok.push({
          id: listingId,
          item: r.externalItemId ?? t.built.draft.externalItemId ?? "",
          sku: externalSku ?? t.built.draft.variants.find((d) => d.sku === v.sku)?.externalSkuId ?? null,
          pv: v.priceVersion ?? "0",
          sv: v.stockVersion ?? "0",
          cv: contentSkipped ? "0" : (v.contentVersion ?? "0"),
          price: v.priceVnd,
          stock: v.stock,
          content: !contentSkipped,
        });
        if (!contentSkipped) {
          items.push({
            listingId,
            sku: v.sku,
            kind: "listing",
            status: SyncItemStatus.APPLIED,
            value,
            version: v.contentVersion,
          });
          applied++;
        }
      } else {
        const x = explainFailure({
          remoteCode: r.remoteCode,
          remoteMessage: r.remoteMessage,
          marketplace,
          kind: "listing",
        });
        const at = new Date().toISOString();
        const error = { ...x, remoteCode: r.remoteCode ?? null, remoteMessage: r.remoteMessage ?? null, at };
        bad.push({
          id: listingId,
          error: JSON.stringify(error),
          cv: v.contentVersion ?? "0",
          fatal: r.outcome === "failed_fatal",
          // A reviewed request refused at once (Tiki): a product hidden for it stays hidden until a
          // later request is approved. Other failures leave an earlier review as it is.
          review: r.review
            ? r.review.hidden
              ? JSON.stringify({
                  state: "REJECTED",
                  trackId: r.review.trackId,
                  hidden: true,
                  contentVersion: v.contentVersion ?? "0",
                  requestedAt: at,
                  rejectedAt: at,
                  reason: r.remoteMessage ?? null,
                } satisfies ContentReviewRecord)
              : null
            : undefined,
        });
        items.push({
          listingId,
          sku: v.sku,
          kind: "listing",
          status: SyncItemStatus.FAILED,
          value,
          remoteCode: r.remoteCode ?? null,
          remoteMessage: r.remoteMessage ?? null,
          code: x.code,
          messageVi: x.messageVi,
          messageEn: x.messageEn,
          hintVi: x.hintVi,
          hintEn: x.hintEn,
        });
        failed++;
      }
    }
  });
  if (ok.length) {
    // Pushed versions become the versions whose values were sent (never lowered): a change made
    // during the call keeps the listing dirty.
    await rt.ds.query(
      `UPDATE listing l SET external_item_id = nullif(u.item, ''), external_sku_id = coalesce(u.sku, l.external_sku_id), state = 'LIVE',
              price_pushed_version = CASE WHEN u.price IS NULL THEN l.price_pushed_version ELSE greatest(l.price_pushed_version, u.pv) END,
              stock_pushed_version = greatest(l.stock_pushed_version, u.sv),
              content_pushed_version = greatest(l.content_pushed_version, u.cv),
              price_dirty_since = CASE WHEN u.price IS NOT NULL AND l.price_version <= u.pv THEN NULL ELSE l.price_dirty_since END,
              stock_dirty_since = CASE WHEN l.stock_version <= u.sv THEN NULL ELSE l.stock_dirty_since END,
              content_dirty_since = CASE WHEN l.content_version <= u.cv THEN NULL ELSE l.content_dirty_since END,
              pushed_price_vnd = coalesce(u.price, l.pushed_price_vnd), pushed_stock = u.stock,
              content_attempts = 0, content_retry_at = NULL, last_error = NULL,
              content_review = CASE WHEN u.content THEN NULL ELSE l.content_review END, updated_at = now()
         FROM unnest($1::uuid[], $2::text[], $3::text[], $4::bigint[], $5::bigint[], $6::bigint[], $7::int[], $8::int[], $9::bool[])
              AS u(id, item, sku, pv, sv, cv, price, stock, content)
        WHERE l.id = u.id`,
      [
        ok.map((o) => o.id),
        ok.map((o) => o.item),
        ok.map((o) => o.sku),
        ok.map((o) => o.pv),
        ok.map((o) => o.sv),
        ok.map((o) => o.cv),
        ok.map((o) => o.price),
        ok.map((o) => o.stock),
        ok.map((o) => o.content),
      ],
    );
  }
  if (skippedContent.length) {
    await rt.ds.query(
      `UPDATE listing l SET content_failed_version = greatest(coalesce(l.content_failed_version, 0), u.cv), last_error = u.error::jsonb,
              content_review = coalesce(u.review::jsonb, l.content_review), updated_at = now()
         FROM unnest($1::uuid[], $2::bigint[], $3::text[], $4::text[]) AS u(id, cv, error, review) WHERE l.id = u.id`,
      [
        skippedContent.map((x) => x.id),
        skippedContent.map((x) => x.cv),
        skippedContent.map((x) => x.error),
        skippedContent.map((x) => x.review ?? null),
      ],
    );
  }
  if (createsInReview.length) {
    await rt.ds.query(
      `UPDATE listing l SET state = 'PENDING', last_error = u.error::jsonb, content_review = u.review::jsonb,
              updated_at = now()
         FROM unnest($1::uuid[], $2::text[], $3::text[]) AS u(id, error, review) WHERE l.id = u.id`,
      [
        createsInReview.map((x) => x.id),
        createsInReview.map((x) => x.error),
        createsInReview.map((x) => x.review),
      ],
    );
  }
  if (bad.length) {
    await rt.ds.query(
      // A fatal answer (or the fifth retriable one) parks this content version until it changes again;
      // a retriable one is retried with backoff: by the outbox for a LIVE listing, by the scheduler's
      // retryFailedCreations for a creation.
      `UPDATE listing l SET state = CASE WHEN l.state = 'LIVE' THEN 'LIVE' ELSE 'FAILED' END, last_error = u.error::jsonb,
              content_attempts = CASE WHEN u.fatal THEN 0 ELSE l.content_attempts + 1 END,
              content_failed_version = CASE WHEN u.fatal OR l.content_attempts + 1 >= 5 THEN u.cv ELSE l.content_failed_version END,
              content_retry_at = CASE WHEN u.fatal THEN NULL ELSE now() + make_interval(secs => 30 * power(2, l.content_attempts)) END,
              content_review = CASE WHEN u.reviewed THEN u.review::jsonb ELSE l.content_review END,
              updated_at = now()
         FROM unnest($1::uuid[], $2::text[], $3::bigint[], $4::bool[], $5::bool[], $6::text[])
              AS u(id, error, cv, fatal, reviewed, review) WHERE l.id = u.id`,
      [
        bad.map((b) => b.id),
        bad.map((b) => b.error),
        bad.map((b) => b.cv),
        bad.map((b) => b.fatal),
        bad.map((b) => b.review !== undefined),
        bad.map((b) => b.review ?? null),
      ],
    );
  }
  return { items, applied, failed, skipped };
}

// ---------- images ----------

/** Swaps each draft's source image URLs for the marketplace's refs, uploading each picture once per channel. */
async function resolveImages(
  ds: DataSource,
  connector: MarketplaceConnector,
  ctx: ChannelContext,
  channelId: string,
  drafts: ListingDraft[],
): Promise<void> {
  if (!connector.uploadImage) return; // the marketplace fetches URLs itself (Tiki)
  const sources = [...new Set(drafts.flatMap((d) => d.images))];
  if (sources.length === 0) return;
  const known: Array<{ source_url: string; remote_ref: string }> = await ds.query(
    `SELECT source_url, remote_ref FROM channel_image WHERE channel_id = $1 AND source_url = ANY($2)`,
    [channelId, sources],
  );
  const refs = new Map(known.map((k) => [k.source_url, k.remote_ref]));
  for (const url of sources) {
    if (refs.has(url)) continue;
    const image = await loadImage(url);
    const ref = await connector.uploadImage(ctx, image);
    await ds.query(
      `INSERT INTO channel_image (channel_id, source_url, remote_ref) VALUES ($1, $2, $3)
       ON CONFLICT (channel_id, source_url) DO UPDATE SET remote_ref = EXCLUDED.remote_ref`,
      [channelId, url, ref],
    );
    refs.set(url, ref);
  }
  for (const d of drafts) d.images = d.images.map((u) => refs.get(u) ?? u);
}

/** Serves the hub's static files (the placeholder product image) at /static/<name>. */
export function staticRoutes(app: FastifyInstance): void {
  app.get<{ Params: { file: string } }>("/static/:file", async (req, reply) => {
    const name = path.basename(req.params.file);
    for (const dir of [STATIC_DIR, STATIC_SRC_DIR]) {
      const file = path.join(dir, name);
      if (/^[a-z0-9._-]+$/i.test(name) && fs.existsSync(file)) {
        const type = name.endsWith(".png") ? "image/png" : "application/octet-stream";
        return reply.type(type).header("cache-control", "public, max-age=86400").send(fs.readFileSync(file));
      }
    }
    return reply.code(404).send({ error: "not found" });
  });
}

/** The hub's own /static/ files are read from disk; other images are fetched (≤10 MB, 15 s). */
export async function loadImage(
  url: string,
): Promise<{ bytes: Buffer; filename: string; contentType: string }> {
  const u = new URL(url);
  const filename = path.basename(u.pathname) || "image";
  const contentType = filename.endsWith(".png")
    ? "image/png"
    : filename.endsWith(".webp")
      ? "image/webp"
      : "image/jpeg";
  if (u.pathname.startsWith("/static/")) {
    for (const dir of [STATIC_DIR, STATIC_SRC_DIR]) {
      const file = path.join(dir, path.basename(u.pathname));
      if (fs.existsSync(file)) return { bytes: fs.readFileSync(file), filename, contentType };
    }
  }
  const res = await axios.get<ArrayBuffer>(url, {
    responseType: "arraybuffer",
    timeout: 15_000,
    maxContentLength: 10 * 1024 * 1024,
  });
  const type = String(res.headers["content-type"] ?? contentType).split(";")[0];
  return { bytes: Buffer.from(res.data), filename, contentType: type };
}
