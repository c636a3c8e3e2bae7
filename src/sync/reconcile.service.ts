/**
 * Reconciliation: reads back what the marketplace shows for every LIVE listing of a channel and
 * compares it with what we last pushed and with what it should show now. Drift (someone edited the
 * shop by hand, a write the marketplace lost) is recorded per listing and repaired by bumping the
 * listing's version, so the ordinary outbox dispatcher pushes the right value (no second push path).
 * Listings with a push already pending are not drift: the dispatcher is about to fix them anyway.
 */
import { NeedsReauthError } from "../channels/connectors/http/types";
import type { RemoteState } from "../channels/connectors/connector";
import { SyncItemStatus } from "./entities/sync-item.entity";
import { SyncKind, SyncRun, SyncRunStatus, SyncTrigger } from "./entities/sync-run.entity";
import type { JobQueue } from "./jobs";
import { desiredValues } from "./desired-state";
import { explainFailure } from "./explain";
import { ChannelUnavailableError, openChannel, type SyncRuntime } from "./runtime";
import { createRun, finishRun, recordItems, startRun, type ItemRecord } from "./sync-run.service";

/** Listings read per page of the walk (each page is split into `readbackPerCall` calls). */
const PAGE = 500;

interface Row {
  product_id: string;
  id: string;
  sku: string;
  external_item_id: string;
  external_sku_id: string | null;
  pushed_price_vnd: number | null;
  pushed_stock: number | null;
  price_dirty: boolean;
  stock_dirty: boolean;
}

/**
 * `queue`, when given, lets a listing the marketplace no longer has (deleted there, or a create it
 * acknowledged without applying) be published again: it goes back to PENDING and a PUBLISH run for
 * its product is queued, which links by SKU first and creates only what is really missing.
 */
export async function reconcile(rt: SyncRuntime, runId: string, queue?: JobQueue | null): Promise<void> {
  const run = await rt.ds.getRepository(SyncRun).findOneBy({ id: runId });
  if (!run || !run.channelId) throw new Error(`reconcile: run ${runId} not found or has no channel`);
  if (run.status === SyncRunStatus.QUEUED && !(await startRun(rt.ds, runId))) return;
  if (run.status === SyncRunStatus.FINISHED || run.status === SyncRunStatus.CANCELLED) return;
  const channelId = run.channelId;

  let handle;
  try {
    handle = await openChannel(rt, channelId);
  } catch (e) {
    if (!(e instanceof ChannelUnavailableError)) throw e;
    await finishRun(rt.ds, runId, {
      total: 0,
      applied: 0,
      skipped: 0,
      failed: 0,
      errorCode: e.status === "NEEDS_REAUTH" ? "NEEDS_REAUTH" : "CHANNEL_UNAVAILABLE",
      errorMessage: e.message,
    });
    return;
  }
  const { connector, ctx } = handle;
  if (!connector.readBack) {
    await finishRun(rt.ds, runId, {
      total: 0,
      applied: 0,
      skipped: 0,
      failed: 0,
      errorCode: "UNSUPPORTED",
      errorMessage: `${connector.code} cannot read listings back`,
    });
    return;
  }

  const t = { checked: 0, inSync: 0, priceDrift: 0, stockDrift: 0, notFound: 0, calls: 0 };
  let errorCode: string | null = null;
  let errorMessage: string | null = null;
  let after = "00000000-0000-0000-0000-000000000000";
  const republishRuns: string[] = [];
  try {
    for (;;) {
      const rows: Row[] = await rt.ds.query(
        `SELECT l.id, l.product_id, v.sku, l.external_item_id, l.external_sku_id, l.pushed_price_vnd, l.pushed_stock,
                -- In flight: a newer version waits to be pushed. A version parked as failed (retries used
                -- up) is not, so a marketplace still showing the old value is drift, and is pushed again.
                l.price_version > l.price_pushed_version
                  AND (l.price_failed_version IS NULL OR l.price_failed_version < l.price_version) AS price_dirty,
                l.stock_version > l.stock_pushed_version
                  AND (l.stock_failed_version IS NULL OR l.stock_failed_version < l.stock_version) AS stock_dirty
           FROM listing l JOIN variant v ON v.id = l.variant_id
          WHERE l.channel_id = $1 AND l.state = 'LIVE' AND l.external_item_id IS NOT NULL AND l.id > $2
          ORDER BY l.id LIMIT $3`,
        [channelId, after, PAGE],
      );
      if (rows.length === 0) break;
      after = rows[rows.length - 1].id;

      const remote: RemoteState[] = [];
      for (let i = 0; i < rows.length; i += connector.limits.readbackPerCall) {
        const batch = rows.slice(i, i + connector.limits.readbackPerCall);
        t.calls++;
        remote.push(
          ...(await connector.readBack(
            ctx,
            batch.map((r) => ({
              sku: r.sku,
              externalItemId: r.external_item_id,
              externalSkuId: r.external_sku_id,
            })),
          )),
        );
      }
      // Desired values read after the remote ones: a change in between shows as drift at worst,
      // and its repair (a version bump) is harmless.
      const desired = await desiredValues(
        rt.ds,
        rows.map((r) => r.id),
      );
      const items: ItemRecord[] = [];
      const bumpPrice: string[] = [];
      const bumpStock: string[] = [];
      const confirm: Array<{ id: string; price: number | null; stock: number | null }> = [];
      const missing: Row[] = [];

      rows.forEach((r, i) => {
        t.checked++;
        const s = remote[i];
        const want = desired.get(r.id);
        if (!s || !s.found) {
          t.notFound++;
          missing.push(r);
          const exp = explainFailure({
            code: "SKU_NOT_FOUND_REMOTE",
            marketplace: connector.code,
            kind: "listing",
          });
          items.push({
            listingId: r.id,
            sku: r.sku,
            kind: "listing",
            status: SyncItemStatus.FAILED,
            value: { remote: null },
            ...exp,
          });
          return;
        }
        let drift = false;
        const check = (
          kind: "price" | "stock",
          remoteValue: number | null,
          wanted: number | null,
          pushed: number | null,
          dirty: boolean,
        ) => {
          if (wanted === null || dirty || remoteValue === wanted) return false;
          const exp = explainFailure({
            code: kind === "price" ? "PRICE_DRIFT" : "STOCK_DRIFT",
            marketplace: connector.code,
            kind,
          });
          items.push({
            listingId: r.id,
            sku: r.sku,
            kind,
            status: run.dryRun ? SyncItemStatus.PLANNED : SyncItemStatus.RETRYING,
            value: { remote: remoteValue, pushed, desired: wanted },
            ...exp,
          });
          return true;
        };
        if (check("price", s.priceVnd, want?.priceVnd ?? null, r.pushed_price_vnd, r.price_dirty)) {
          t.priceDrift++;
          bumpPrice.push(r.id);
          drift = true;
        }
        if (check("stock", s.stock, want?.stock ?? null, r.pushed_stock, r.stock_dirty)) {
          t.stockDrift++;
          bumpStock.push(r.id);
          drift = true;
        }
        if (!drift) t.inSync++;
        confirm.push({
          id: r.id,
          price: s.priceVnd !== null && s.priceVnd === want?.priceVnd ? s.priceVnd : null,
          stock: s.stock !== null && s.stock === want?.stock ? s.stock : null,
        });
      });

      await rt.ds.transaction(async (m) => {
        if (!run.dryRun) {
          for (const [kind, ids] of [
            ["price", bumpPrice],
            ["stock", bumpStock],
          ] as const) {
            if (ids.length === 0) continue;
            // The repair: the listing wants a newer version, so the dispatcher pushes the desired value.
            await m.query(
              `UPDATE listing SET ${kind}_version = ${kind}_version + 1,
                      ${kind}_dirty_since = coalesce(${kind}_dirty_since, now()),
                      ${kind}_attempts = 0, ${kind}_retry_at = NULL, ${kind}_failed_version = NULL, updated_at = now()
                WHERE id = ANY($1::uuid[])`,
              [ids],
            );
            await m.query(`SELECT pg_notify('ocop_outbox', $1)`, [`${channelId}:${kind}`]);
          }
        }
        await m.query(
          `UPDATE listing l
              SET confirmed_price_vnd = coalesce(u.price, l.confirmed_price_vnd),
                  confirmed_stock = coalesce(u.stock, l.confirmed_stock),
                  confirmed_at = CASE WHEN u.price IS NULL AND u.stock IS NULL THEN l.confirmed_at ELSE now() END
             FROM unnest($1::uuid[], $2::int[], $3::int[]) AS u(id, price, stock)
            WHERE l.id = u.id`,
          [confirm.map((c) => c.id), confirm.map((c) => c.price), confirm.map((c) => c.stock)],
        );
        await recordItems(m, runId, items);
        if (!run.dryRun && queue && missing.length > 0) {
          await m.query(
            `UPDATE listing SET state = 'PENDING', external_item_id = NULL, external_sku_id = NULL, updated_at = now()
              WHERE id = ANY($1::uuid[]) AND state = 'LIVE'`,
            [missing.map((r) => r.id)],
          );
          const republish = await createRun(m, {
            channelId,
            kind: SyncKind.PUBLISH,
            trigger: SyncTrigger.SCHEDULE,
            requestId: run.requestId,
            details: { productIds: [...new Set(missing.map((r) => r.product_id))], requestedBy: "reconcile" },
          });
          republishRuns.push(republish.id);
        }
      });
    }
  } catch (e) {
    if (!(e instanceof NeedsReauthError)) throw e;
    errorCode = "NEEDS_REAUTH";
    errorMessage = e.message;
  }
  for (const id of republishRuns) await queue!.enqueueRun(id);
  const drift = t.priceDrift + t.stockDrift;
  await finishRun(rt.ds, runId, {
    total: t.checked,
    applied: t.checked - t.notFound,
    skipped: 0,
    failed: t.notFound,
    calls: t.calls,
    errorCode,
    errorMessage,
    details: {
      checked: t.checked,
      inSync: t.inSync,
      drift,
      priceDrift: t.priceDrift,
      stockDrift: t.stockDrift,
      notFound: t.notFound,
      republishRuns,
    },
  });
}
