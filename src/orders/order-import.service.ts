/**
 * Idempotent order import: marketplace orders become rows keyed by (channel, external order id), lines
 * are mapped to variants by SKU within the channel's producer, and stock follows the order's life in
 * the same transaction (reserve on arrival, release on cancel, sell on ship, return on return). The
 * stock triggers mark the variant's listings on every channel dirty in that transaction, so the outbox
 * pushes the new stock everywhere else at once.
 *
 * Orders are written in batches (set-based SQL, one SKU lookup per batch); an unchanged order costs
 * one read and no write, so re-importing a page writes nothing. A batch that fails is retried order by
 * order, so one bad order never blocks the others.
 */
import crypto from "node:crypto";
import type { EntityManager } from "typeorm";
import type { MarketplaceConnector, NormalizedOrderStatus, Order } from "../channels/connectors/connector";
import { StockMovementKind } from "../catalogue/entities/stock.entity";
import { nfc } from "../common/text";
import { ChannelHandle, ChannelUnavailableError, SyncRuntime, openChannel } from "../sync/runtime";
import type { OrderImportJob } from "../sync/jobs";
import { OrderLineState } from "./entities/order.entity";
import { LineStockChange, applyStockChanges } from "./order-stock";

export type ImportSource = "WEBHOOK" | "PULL";

export interface ImportFailure {
  externalOrderId: string;
  message: string;
}

export interface ImportCounts {
  created: number;
  updated: number;
  /** Already imported with the same data, or older than what we have. */
  unchanged: number;
  /** Lines flagged OVERSOLD by this import (nothing reserved for them). */
  oversold: number;
  /** Lines of new orders whose SKU matches no variant of the producer (kept, flagged). */
  unmapped: number;
  /** Orders that could not be written; the others of their batch were. */
  failed: number;
  failures: ImportFailure[];
}

/** Orders per transaction: large enough for set-based SQL to pay off, small enough to keep locks short. */
const BATCH = 500;

export function emptyCounts(): ImportCounts {
  return { created: 0, updated: 0, unchanged: 0, oversold: 0, unmapped: 0, failed: 0, failures: [] };
}

export function addCounts(into: ImportCounts, c: ImportCounts): ImportCounts {
  into.created += c.created;
  into.updated += c.updated;
  into.unchanged += c.unchanged;
  into.oversold += c.oversold;
  into.unmapped += c.unmapped;
  into.failed += c.failed;
  into.failures.push(...c.failures);
  return into;
}

interface ChannelRow {
  id: string;
  producer_id: string;
  marketplace: string;
}

interface StoredOrder {
  id: string;
  external_order_id: string;
  status: NormalizedOrderStatus;
  remote_status: string;
  buyer_name: string | null;
  total_vnd: string;
  remote_updated_at: Date | null;
  has_problems: boolean;
}

export async function importOrders(
  rt: SyncRuntime,
  channelId: string,
  orders: Order[],
  source: ImportSource,
): Promise<ImportCounts> {
  const [channel]: ChannelRow[] = await rt.ds.query(
    `SELECT id, producer_id, marketplace FROM channel WHERE id = $1`,
    [channelId],
  );
  if (!channel) throw new ChannelUnavailableError(channelId, "MISSING");
  const counts = emptyCounts();
  const latest = latestPerOrder(orders);
  for (let i = 0; i < latest.length; i += BATCH) {
    addCounts(counts, await importBatch(rt, channel, latest.slice(i, i + BATCH), source));
  }
  return counts;
}

/**
 * Fetches the orders a job names (in the connector's batch size), imports them, marks its webhook
 * events done. A webhook job also takes over its channel's pending backlog, and keeps doing so while
 * pushes arrive during its work, so a burst costs a few detail calls and no event waits for a poll.
 */
export async function processOrderImportJob(rt: SyncRuntime, job: OrderImportJob): Promise<void> {
  const handle = await openChannel(rt, job.channelId, true);
  if (!handle.connector.getOrders) throw new Error(`${handle.connector.code} cannot fetch order details`);
  if (!job.webhookEventIds?.length) {
    await fetchAndImport(rt, handle, job.source, [...new Set(job.externalOrderIds)], []);
    return;
  }
  const limit = sweepLimit(handle.connector);
  let claim = await claimWebhookEvents(rt, job.channelId, job.webhookEventIds, limit);
  if (claim.channelBusy && claim.own > 0) {
    // Another job of this channel is fetching; it or the next one takes these over.
    const { RetryLater } = require("../sync/job-queue") as typeof import("../sync/job-queue");
    throw new RetryLater(1, "order import: another import of this channel is running");
  }
  for (let round = 0; claim.eventIds.length > 0 && round < 20; round++) {
    await fetchAndImport(rt, handle, job.source, [...new Set(claim.orderIds)], claim.eventIds);
    claim = await claimWebhookEvents(rt, job.channelId, [], limit);
  }
}

async function fetchAndImport(
  rt: SyncRuntime,
  { channel, connector, ctx }: ChannelHandle,
  source: ImportSource,
  ids: string[],
  eventIds: string[],
): Promise<void> {
  let orders: Order[];
  try {
    orders = await fetchOrderDetails(ids, connector.limits.orderDetailPerCall, (chunk) =>
      connector.getOrders!(ctx, chunk),
    );
    const counts = await importOrders(rt, channel.id, orders, source);
    if (counts.failed > 0) {
      // Thrown so the queue retries the job; the orders that were written are no-ops the next time.
      throw new Error(
        `order import failed for ${counts.failures.map((f) => `${f.externalOrderId} (${f.message})`).join(", ")}`,
      );
    }
    rt.log.debug({ channelId: channel.id, ...counts, failures: undefined }, "orders imported");
  } catch (e) {
    // Free the claimed events at once, so the retry (or another job) need not wait for the claim to expire.
    if (eventIds.length > 0) {
      await rt.ds.query(
        `UPDATE webhook_event SET claimed_at = NULL WHERE id = ANY($1::bigint[]) AND processed_at IS NULL`,
        [eventIds],
      );
    }
    throw e;
  }
  const got = new Set(orders.map((o) => o.externalOrderId));
  const missing = ids.filter((id) => !got.has(id));
  if (missing.length > 0) {
    rt.log.warn({ channelId: channel.id, missing }, "marketplace returned no detail for some orders");
  }
  if (eventIds.length > 0) {
    await rt.ds.query(
      `UPDATE webhook_event SET processed_at = now() WHERE id = ANY($1::bigint[]) AND processed_at IS NULL`,
      [eventIds],
    );
  }
}

/** Most pending events one job takes over beyond its own: about 20 s of detail calls at the marketplace's rate. */
function sweepLimit(connector: MarketplaceConnector): number {
  const perCall = Math.max(1, connector.limits.orderDetailPerCall);
  return Math.min(500, Math.max(perCall, Math.floor(connector.ratePolicy.requestsPerSecond * perCall * 20)));
}

/** A claim older than this belongs to a job that died; its events are free again. */
const CLAIM_SECONDS = 90;

/**
 * Claims the job's own unprocessed events plus the channel's other pending order events, unless
 * another job of the channel holds a live claim: marketplaces that push one webhook at a time queue
 * one job per push, and the job that runs imports the whole backlog in a few detail calls while the
 * later ones find their events done.
 */
async function claimWebhookEvents(
  rt: SyncRuntime,
  channelId: string,
  own: string[],
  limit: number,
): Promise<{ own: number; channelBusy: boolean; orderIds: string[]; eventIds: string[] }> {
  const [state]: Array<{ own: number; busy: boolean }> = await rt.ds.query(
    `SELECT (SELECT count(*)::int FROM webhook_event
              WHERE id = ANY($2::bigint[]) AND channel_id = $1 AND processed_at IS NULL) AS own,
            EXISTS (SELECT 1 FROM webhook_event
                     WHERE channel_id = $1 AND processed_at IS NULL
                       AND claimed_at > now() - make_interval(secs => $3)) AS busy`,
    [channelId, own, CLAIM_SECONDS],
  );
  const result = {
    own: state.own,
    channelBusy: state.busy,
    orderIds: [] as string[],
    eventIds: [] as string[],
  };
  // Another job of this channel is fetching: claim nothing. One import at a time per channel keeps
  // worker slots free for other channels while a slow marketplace's rate budget drains. With its own
  // events done, a job still takes over whatever backlog is left, so no event waits for its own job.
  if (state.busy) return result;
  const rows: Array<{ id: string; external_order_id: string | null }> = await rt.ds.query(
    `WITH others AS (
       SELECT id FROM webhook_event
        WHERE channel_id = $1 AND processed_at IS NULL AND external_order_id IS NOT NULL
          AND kind IN ('order.created', 'order.status') AND NOT (id = ANY($2::bigint[]))
          AND (claimed_at IS NULL OR claimed_at <= now() - make_interval(secs => $4))
        ORDER BY id LIMIT $3 FOR UPDATE SKIP LOCKED),
     claimed AS (
       UPDATE webhook_event w SET claimed_at = now()
        WHERE (w.id = ANY($2::bigint[]) AND w.processed_at IS NULL) OR w.id IN (SELECT id FROM others)
        RETURNING w.id, w.external_order_id)
     SELECT id::text, external_order_id FROM claimed`,
    [channelId, own, limit, CLAIM_SECONDS],
  );
  return {
    ...result,
    orderIds: rows.map((r) => r.external_order_id).filter((x): x is string => !!x),
    eventIds: rows.map((r) => r.id),
  };
}

/** Detail calls in the connector's batch size, a few at a time (Tiki answers one order per call). */
export async function fetchOrderDetails(
  ids: string[],
  perCall: number,
  fetch: (chunk: string[]) => Promise<Order[]>,
  parallel = 4,
): Promise<Order[]> {
  const chunks: string[][] = [];
  for (let i = 0; i < ids.length; i += Math.max(1, perCall))
    chunks.push(ids.slice(i, i + Math.max(1, perCall)));
  const out: Order[] = [];
  for (let i = 0; i < chunks.length; i += parallel) {
    const pages = await Promise.all(chunks.slice(i, i + parallel).map(fetch));
    for (const p of pages) out.push(...p);
  }
  return out;
}

// ---------------------------------------------------------------- batches

function latestPerOrder(orders: Order[]): Order[] {
  const byId = new Map<string, Order>();
  for (const o of orders) {
    const prior = byId.get(o.externalOrderId);
    if (!prior || o.updatedAt >= prior.updatedAt) byId.set(o.externalOrderId, o);
  }
  // A stable order keeps the row locks of concurrent batches in one order (no deadlocks).
  return [...byId.values()].sort((a, b) => (a.externalOrderId < b.externalOrderId ? -1 : 1));
}

type Change = "new" | "changed" | "same";

function compare(stored: StoredOrder | undefined, o: Order): Change {
  if (!stored) return "new";
  const storedAt = stored.remote_updated_at?.getTime() ?? null;
  // An older snapshot (a late webhook, an overlapping pull window) never rolls an order back.
  if (storedAt !== null && o.updatedAt < storedAt) return "same";
  const same =
    stored.status === o.status &&
    stored.remote_status === o.remoteStatus &&
    Number(stored.total_vnd) === o.totalVnd &&
    stored.buyer_name === (o.buyerName == null ? null : nfc(o.buyerName)) &&
    storedAt === o.updatedAt;
  return same ? "same" : "changed";
}

async function readStored(
  db: { query: (sql: string, params: unknown[]) => Promise<StoredOrder[]> },
  channelId: string,
  ids: string[],
  lock: boolean,
): Promise<Map<string, StoredOrder>> {
  const rows = await db.query(
    `SELECT id, external_order_id, status, remote_status, buyer_name, total_vnd, remote_updated_at, has_problems
       FROM marketplace_order WHERE channel_id = $1 AND external_order_id = ANY($2::text[])
      ${lock ? "ORDER BY external_order_id FOR UPDATE" : ""}`,
    [channelId, ids],
  );
  return new Map(rows.map((r) => [r.external_order_id, r]));
}

async function importBatch(
  rt: SyncRuntime,
  channel: ChannelRow,
  batch: Order[],
  source: ImportSource,
): Promise<ImportCounts> {
  // A plain read first: the common case (a page we already have) ends here without a transaction.
  const stored = await readStored(
    rt.ds,
    channel.id,
    batch.map((o) => o.externalOrderId),
    false,
  );
  const counts = emptyCounts();
  const work = batch.filter((o) => {
    if (compare(stored.get(o.externalOrderId), o) !== "same") return true;
    counts.unchanged++;
    return false;
  });
  if (work.length === 0) return counts;
  try {
    return addCounts(counts, await writeWithRetry(rt, channel, work, source));
  } catch (e) {
    if (work.length === 1) {
      rt.log.error({ err: e, channelId: channel.id, order: work[0].externalOrderId }, "order import failed");
      counts.failed++;
      counts.failures.push({ externalOrderId: work[0].externalOrderId, message: errorText(e) });
      return counts;
    }
    for (const o of work) addCounts(counts, await importBatch(rt, channel, [o], source));
    return counts;
  }
}

async function writeWithRetry(
  rt: SyncRuntime,
  channel: ChannelRow,
  work: Order[],
  source: ImportSource,
): Promise<ImportCounts> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await rt.ds.transaction((m) => writeOrders(m, channel, work, source));
    } catch (e) {
      const code = (e as { code?: string }).code;
      // Deadlock or serialization failure between concurrent imports: the whole batch is safe to redo.
      if ((code === "40P01" || code === "40001") && attempt < 4) {
        await new Promise((r) => setTimeout(r, 5 + Math.random() * 20 * attempt));
        continue;
      }
      throw e;
    }
  }
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message.slice(0, 300) : String(e).slice(0, 300);
}

// ---------------------------------------------------------------- one transaction

/** Where an order's stock stands for a status: held for the buyer, sold, released, or returned. */
type Phase = "HOLD" | "SOLD" | "RELEASED" | "RETURNED";

const PHASE: Record<NormalizedOrderStatus, Phase> = {
  UNPAID: "HOLD",
  PENDING: "HOLD",
  READY_TO_SHIP: "HOLD",
  SHIPPED: "SOLD",
  DELIVERED: "SOLD",
  COMPLETED: "SOLD",
  CANCELLED: "RELEASED",
  RETURNED: "RETURNED",
};

/** A line as the stock plan sees it; "NEW" is a line that has never held stock. */
type PlanState = OrderLineState | "NEW";

interface LinePlan {
  kinds: StockMovementKind[];
  /** State once every movement applied. */
  done: OrderLineState;
  /** State when the first movement is refused for lack of stock. */
  refused: OrderLineState;
}

const { RESERVATION, RELEASE, SALE, RETURN } = StockMovementKind;
const S = OrderLineState;

/**
 * What a line goes through when its order reaches a phase. Cancelled after shipping and un-cancelled
 * orders keep their lines as they are (the marketplace returns goods through RETURNED).
 */
function planLine(state: PlanState, phase: Phase): LinePlan | null {
  const unfilled = state === "NEW" ? S.OVERSOLD : state;
  switch (state) {
    case "NEW":
    case S.OVERSOLD:
      if (phase === "HOLD") return { kinds: [RESERVATION], done: S.RESERVED, refused: S.OVERSOLD };
      if (phase === "SOLD") return { kinds: [RESERVATION, SALE], done: S.SOLD, refused: S.OVERSOLD };
      return { kinds: [], done: S.RELEASED, refused: unfilled };
    case S.RESERVED:
      if (phase === "SOLD") return { kinds: [SALE], done: S.SOLD, refused: S.RESERVED };
      if (phase === "RELEASED") return { kinds: [RELEASE], done: S.RELEASED, refused: S.RESERVED };
      if (phase === "RETURNED") return { kinds: [SALE, RETURN], done: S.RETURNED, refused: S.RESERVED };
      return null;
    case S.SOLD:
      return phase === "RETURNED" ? { kinds: [RETURN], done: S.RETURNED, refused: S.SOLD } : null;
    default:
      return null;
  }
}

const DELTAS: Record<string, { onHand: number; reserved: number }> = {
  [RESERVATION]: { onHand: 0, reserved: 1 },
  [RELEASE]: { onHand: 0, reserved: -1 },
  [SALE]: { onHand: -1, reserved: -1 },
  [RETURN]: { onHand: 1, reserved: 0 },
};

interface LineWork {
  id: string;
  orderId: string;
  externalOrderId: string;
  variantId: string;
  quantity: number;
  from: PlanState;
  plan: LinePlan;
  /** Index of this line's first change in the batch's change list. */
  first: number;
}

async function writeOrders(
  m: EntityManager,
  channel: ChannelRow,
  work: Order[],
  source: ImportSource,
): Promise<ImportCounts> {
  const counts = emptyCounts();
  const ids = work.map((o) => o.externalOrderId);
  const stored = await readStored(m, channel.id, ids, true);

  // New orders: inserted first, so a concurrent import of the same order waits here and then updates.
  const fresh = work.filter((o) => !stored.has(o.externalOrderId));
  const variants = await variantsBySku(m, channel.producer_id, fresh);
  const created = new Map<string, string>();
  if (fresh.length > 0) {
    const rows: Array<{ id: string; external_order_id: string }> = await m.query(
      `INSERT INTO marketplace_order (channel_id, producer_id, external_order_id, status, remote_status, buyer_name,
              total_vnd, currency, remote_created_at, remote_updated_at, source, has_problems)
       SELECT $1, $2, t.* FROM unnest($3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[], $8::text[],
              $9::timestamptz[], $10::timestamptz[], $11::text[], $12::boolean[]) AS t
       ON CONFLICT (channel_id, external_order_id) DO NOTHING
       RETURNING id, external_order_id`,
      [
        channel.id,
        channel.producer_id,
        fresh.map((o) => o.externalOrderId),
        fresh.map((o) => o.status),
        fresh.map((o) => o.remoteStatus),
        fresh.map((o) => (o.buyerName == null ? null : nfc(o.buyerName))),
        fresh.map((o) => String(Math.round(o.totalVnd))),
        fresh.map((o) => o.currency ?? "VND"),
        fresh.map((o) => new Date(o.createdAt)),
        fresh.map((o) => new Date(o.updatedAt)),
        fresh.map(() => source),
        fresh.map((o) => o.lines.some((l) => !variantOf(variants, l.sku))),
      ],
    );
    for (const r of rows) created.set(r.external_order_id, r.id);
    const lost = fresh.filter((o) => !created.has(o.externalOrderId)).map((o) => o.externalOrderId);
    if (lost.length > 0) {
      // Another import created these between our read and our insert: handle them as updates.
      for (const [k, v] of await readStored(m, channel.id, lost, true)) stored.set(k, v);
    }
  }

  const lines: LineWork[] = [];
  const changes: LineStockChange[] = [];
  const addLine = (l: Omit<LineWork, "first">, reason: string) => {
    lines.push({ ...l, first: changes.length });
    l.plan.kinds.forEach((kind, k) =>
      changes.push({
        variantId: l.variantId,
        kind,
        onHandDelta: DELTAS[kind].onHand * l.quantity,
        reservedDelta: DELTAS[kind].reserved * l.quantity,
        reference: `order-line:${l.id}`,
        reason,
        after: k === 0 ? undefined : changes.length - 1,
      }),
    );
  };

  // Lines of new orders, with ids made here so the stock references exist before the lines are written.
  const newLines: Array<{
    id: string;
    orderId: string;
    externalLineId: string;
    sku: string | null;
    variantId: string | null;
    title: string;
    quantity: number;
    unitPriceVnd: number;
    state: PlanState;
  }> = [];
  const history: Array<{ orderId: string; status: string; remoteStatus: string }> = [];
  for (const o of [...fresh].sort((a, b) => a.createdAt - b.createdAt)) {
    const orderId = created.get(o.externalOrderId);
    if (!orderId) continue;
    counts.created++;
    history.push({ orderId, status: o.status, remoteStatus: o.remoteStatus });
    const seen = new Set<string>();
    for (const l of o.lines) {
      let externalLineId = l.externalLineId;
      // Line ids are unique per order; a marketplace that repeats one still gets every line kept.
      for (let n = 2; seen.has(externalLineId); n++) externalLineId = `${l.externalLineId}#${n}`;
      seen.add(externalLineId);
      const variantId = variantOf(variants, l.sku);
      const line = {
        id: crypto.randomUUID(),
        orderId,
        externalLineId,
        sku: l.sku,
        variantId,
        title: nfc(l.title ?? ""),
        quantity: l.quantity,
        unitPriceVnd: Math.round(l.unitPriceVnd),
        state: (variantId ? "NEW" : S.UNMAPPED) as PlanState,
      };
      newLines.push(line);
      if (!variantId) {
        counts.unmapped++;
        continue;
      }
      const plan = planLine("NEW", PHASE[o.status]);
      if (plan)
        addLine({ ...line, variantId, externalOrderId: o.externalOrderId, from: "NEW", plan }, reasonOf(o));
    }
  }

  // Orders we already had: new status (and stock transitions), only when something changed.
  const changed = work.filter(
    (o) => !created.has(o.externalOrderId) && compare(stored.get(o.externalOrderId), o) === "changed",
  );
  counts.unchanged += work.length - counts.created - changed.length;
  if (changed.length > 0) {
    const orderIds = changed.map((o) => stored.get(o.externalOrderId)!.id);
    const existing: Array<{
      id: string;
      order_id: string;
      variant_id: string | null;
      quantity: number;
      state: OrderLineState;
    }> = await m.query(
      `SELECT id, order_id, variant_id, quantity, state FROM order_line WHERE order_id = ANY($1::uuid[]) ORDER BY id`,
      [orderIds],
    );
    const byOrder = new Map<string, typeof existing>();
    for (const l of existing) byOrder.set(l.order_id, [...(byOrder.get(l.order_id) ?? []), l]);
    for (const o of changed) {
      const s = stored.get(o.externalOrderId)!;
      counts.updated++;
      if (s.status !== o.status || s.remote_status !== o.remoteStatus) {
        history.push({ orderId: s.id, status: o.status, remoteStatus: o.remoteStatus });
      }
      for (const l of byOrder.get(s.id) ?? []) {
        if (!l.variant_id) continue;
        const plan = planLine(l.state, PHASE[o.status]);
        if (!plan) continue;
        addLine(
          {
            id: l.id,
            orderId: s.id,
            externalOrderId: o.externalOrderId,
            variantId: l.variant_id,
            quantity: l.quantity,
            from: l.state,
            plan,
          },
          reasonOf(o),
        );
      }
    }
  }

  const outcomes = await applyStockChanges(m, changes, `system:orders:${channel.marketplace}`);
  const finalState = new Map<string, OrderLineState>();
  const problemOrders = new Set<string>();
  for (const l of lines) {
    const results = l.plan.kinds.map((_, k) => outcomes[l.first + k]);
    const state = results.every((r) => r !== "refused") ? l.plan.done : l.plan.refused;
    if (state === S.OVERSOLD) {
      problemOrders.add(l.orderId);
      if (l.from !== S.OVERSOLD) counts.oversold++;
    }
    if (state !== l.from) finalState.set(l.id, state);
  }

  if (newLines.length > 0) {
    await m.query(
      `INSERT INTO order_line (id, order_id, external_line_id, sku, variant_id, title, quantity, unit_price_vnd, state)
       SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::uuid[], $6::text[], $7::int[], $8::int[], $9::text[])`,
      [
        newLines.map((l) => l.id),
        newLines.map((l) => l.orderId),
        newLines.map((l) => l.externalLineId),
        newLines.map((l) => l.sku),
        newLines.map((l) => l.variantId),
        newLines.map((l) => l.title),
        newLines.map((l) => l.quantity),
        newLines.map((l) => l.unitPriceVnd),
        // A new line whose plan moved nothing (e.g. an order first seen cancelled) ends RELEASED.
        newLines.map((l) => finalState.get(l.id) ?? (l.state === "NEW" ? S.RELEASED : l.state)),
      ],
    );
  }
  const newIds = new Set(newLines.map((l) => l.id));
  const updatedLines = [...finalState].filter(([id]) => !newIds.has(id));
  if (updatedLines.length > 0) {
    await m.query(
      `UPDATE order_line l SET state = t.state FROM unnest($1::uuid[], $2::text[]) AS t(id, state) WHERE l.id = t.id`,
      [updatedLines.map(([id]) => id), updatedLines.map(([, s]) => s)],
    );
  }
  if (changed.length > 0) {
    await m.query(
      `UPDATE marketplace_order o
          SET status = t.status, remote_status = t.remote_status, buyer_name = t.buyer_name, total_vnd = t.total_vnd,
              remote_updated_at = t.remote_updated_at, updated_at = now()
         FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::timestamptz[])
           AS t(id, status, remote_status, buyer_name, total_vnd, remote_updated_at)
        WHERE o.id = t.id`,
      [
        changed.map((o) => stored.get(o.externalOrderId)!.id),
        changed.map((o) => o.status),
        changed.map((o) => o.remoteStatus),
        changed.map((o) => (o.buyerName == null ? null : nfc(o.buyerName))),
        changed.map((o) => String(Math.round(o.totalVnd))),
        changed.map((o) => new Date(o.updatedAt)),
      ],
    );
  }
  if (problemOrders.size > 0) {
    await m.query(
      `UPDATE marketplace_order SET has_problems = true WHERE id = ANY($1::uuid[]) AND NOT has_problems`,
      [[...problemOrders]],
    );
  }
  if (history.length > 0) {
    await m.query(
      `INSERT INTO order_status_history (order_id, status, remote_status, source)
       SELECT t.*, $4 FROM unnest($1::uuid[], $2::text[], $3::text[]) AS t`,
      [
        history.map((h) => h.orderId),
        history.map((h) => h.status),
        history.map((h) => h.remoteStatus),
        source,
      ],
    );
  }
  return counts;
}

function reasonOf(o: Order): string {
  return `order ${o.externalOrderId} ${o.status}`;
}

async function variantsBySku(
  m: EntityManager,
  producerId: string,
  orders: Order[],
): Promise<Map<string, string>> {
  const skus = [
    ...new Set(orders.flatMap((o) => o.lines.map((l) => l.sku?.trim()).filter((s): s is string => !!s))),
  ];
  if (skus.length === 0) return new Map();
  const rows: Array<{ id: string; sku: string }> = await m.query(
    `SELECT id, sku FROM variant WHERE producer_id = $1 AND sku = ANY($2::text[])`,
    [producerId, skus],
  );
  return new Map(rows.map((r) => [r.sku, r.id]));
}

function variantOf(variants: Map<string, string>, sku: string | null): string | null {
  const key = sku?.trim();
  return key ? (variants.get(key) ?? null) : null;
}
