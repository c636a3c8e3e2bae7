/**
 * Scheduled order pull by cursor, executing one ORDERS sync run. The time since the last completed
 * pull (minus an overlap, because marketplaces index updates late) is cut into windows no longer than
 * the marketplace accepts; each window is paged with listOrders, and after every page the position
 * (window start + the connector's page cursor) is saved in channel_cursor. A crash or a killed worker
 * resumes from that page: nothing is skipped, and a page done twice imports nothing the second time.
 * Only orders newer than what we hold are fetched in detail and imported.
 */
import type { MarketplaceConnector, OrderSummary, OrderWindow } from "../channels/connectors/connector";
import { ConnectorError } from "../channels/connectors/http/types";
import { SyncItemStatus } from "../sync/entities/sync-item.entity";
import { SyncRunStatus } from "../sync/entities/sync-run.entity";
import { explainFailure } from "../sync/explain";
import type { JobQueue } from "../sync/jobs";
import { ChannelHandle, ChannelUnavailableError, SyncRuntime, openChannel } from "../sync/runtime";
import { ItemRecord, finishRun, recordItems, startRun } from "../sync/sync-run.service";
import {
  ImportCounts,
  addCounts,
  emptyCounts,
  fetchOrderDetails,
  importOrders,
} from "./order-import.service";

export const ORDER_CURSOR_KIND = "ORDERS";

export interface PullOptions {
  /** How far back each pull starts before the end of the last completed one (default 10 minutes). */
  overlapMs?: number;
  /** How far back the first pull of a channel looks (default 7 days). */
  initialLookbackMs?: number;
}

/** What channel_cursor holds for orders. */
export interface OrderCursor {
  /** End (exclusive, ms) of the last pull that completed; null before the first one. */
  doneUntil: number | null;
  /** The pull in progress: its end, the start of the window being paged, and the connector's page cursor. */
  pass: { to: number; windowFrom: number; page: string | null } | null;
}

const DEFAULT_OVERLAP_MS = 10 * 60_000;
const DEFAULT_LOOKBACK_MS = 7 * 24 * 3600_000;

export async function pullOrders(
  rt: SyncRuntime,
  _queue: JobQueue | null,
  runId: string,
  opts: PullOptions = {},
): Promise<void> {
  const [run]: Array<{ channel_id: string | null; kind: string; status: SyncRunStatus }> = await rt.ds.query(
    `SELECT channel_id, kind, status FROM sync_run WHERE id = $1`,
    [runId],
  );
  if (!run) throw new Error(`sync run ${runId} not found`);
  if (run.kind !== "ORDERS" || !run.channel_id) throw new Error(`sync run ${runId} is not an order pull`);
  // QUEUED: start it. RUNNING: a worker died during it; carry on from the saved cursor.
  if (run.status === SyncRunStatus.QUEUED && !(await startRun(rt.ds, runId))) return;
  if (run.status !== SyncRunStatus.QUEUED && run.status !== SyncRunStatus.RUNNING) return;

  let handle: ChannelHandle;
  try {
    handle = await openChannel(rt, run.channel_id);
  } catch (e) {
    if (!(e instanceof ChannelUnavailableError)) throw e;
    await finishRun(rt.ds, runId, {
      total: 0,
      applied: 0,
      skipped: 0,
      failed: 0,
      errorCode: "CHANNEL_UNAVAILABLE",
      errorMessage: e.message,
    });
    return;
  }
  const { connector } = handle;
  if (!connector.listOrders || !connector.getOrders) {
    await finishRun(rt.ds, runId, {
      total: 0,
      applied: 0,
      skipped: 0,
      failed: 0,
      errorCode: "UNSUPPORTED",
      errorMessage: `${connector.code} cannot list orders`,
    });
    return;
  }

  const progress = { listed: 0, fetched: 0, pages: 0, windows: 0, calls: 0, counts: emptyCounts() };
  const items: ItemRecord[] = [];
  let fault: unknown = null;
  try {
    await pullPass(rt, handle, opts, progress);
  } catch (e) {
    fault = e;
    rt.log.warn({ err: e, runId, channelId: run.channel_id }, "order pull stopped; the next run resumes");
  }
  const c = progress.counts;
  for (const f of c.failures) items.push(importFailureItem(f.externalOrderId, f.message));
  if (fault) {
    const ce = fault instanceof ConnectorError ? fault : null;
    items.push(
      failureItem(
        connector,
        ce ? { remoteCode: ce.code, remoteMessage: ce.remoteMessage } : { remoteMessage: errorText(fault) },
        null,
      ),
    );
  }
  await recordItems(rt.ds, runId, items);
  await finishRun(rt.ds, runId, {
    total: progress.fetched + (fault ? 1 : 0),
    applied: c.created + c.updated,
    skipped: c.unchanged,
    failed: c.failed + (fault ? 1 : 0),
    calls: progress.calls,
    errorCode: fault ? (fault instanceof ConnectorError ? fault.code : "PULL_FAILED") : null,
    errorMessage: fault ? errorText(fault) : null,
    details: {
      listed: progress.listed,
      pages: progress.pages,
      windows: progress.windows,
      created: c.created,
      updated: c.updated,
      unchanged: c.unchanged,
      oversold: c.oversold,
      unmapped: c.unmapped,
    },
  });
}

async function pullPass(
  rt: SyncRuntime,
  { channel, connector, ctx }: ChannelHandle,
  opts: PullOptions,
  progress: {
    listed: number;
    fetched: number;
    pages: number;
    windows: number;
    calls: number;
    counts: ImportCounts;
  },
): Promise<void> {
  const saved = await loadCursor(rt, channel.id);
  const now = rt.clock.now().getTime();
  let pass = saved.pass;
  if (!pass) {
    const from =
      saved.doneUntil !== null
        ? saved.doneUntil - (opts.overlapMs ?? DEFAULT_OVERLAP_MS)
        : now - (opts.initialLookbackMs ?? DEFAULT_LOOKBACK_MS);
    pass = { to: now, windowFrom: Math.min(from, now), page: null };
  }
  const windowMs = Math.max(1, connector.limits.orderWindowSeconds) * 1000;
  while (pass.windowFrom < pass.to) {
    const window: OrderWindow = { from: pass.windowFrom, to: Math.min(pass.windowFrom + windowMs, pass.to) };
    progress.windows++;
    let page: string | null = pass.page;
    do {
      const res = await connector.listOrders!(ctx, window, page);
      progress.calls++;
      progress.pages++;
      progress.listed += res.items.length;
      await importPage(rt, channel.id, connector, ctx, res.items, progress);
      page = res.nextCursor;
      pass = { ...pass, page };
      await saveCursor(rt, channel.id, { doneUntil: saved.doneUntil, pass });
    } while (page);
    pass = { ...pass, windowFrom: window.to, page: null };
    await saveCursor(rt, channel.id, { doneUntil: saved.doneUntil, pass });
  }
  await saveCursor(rt, channel.id, { doneUntil: pass.to, pass: null });
}

/** Fetches in detail and imports the orders of one page that are new or newer than what we hold. */
async function importPage(
  rt: SyncRuntime,
  channelId: string,
  connector: MarketplaceConnector,
  ctx: ChannelHandle["ctx"],
  summaries: OrderSummary[],
  progress: { fetched: number; calls: number; counts: ImportCounts },
): Promise<void> {
  if (summaries.length === 0) return;
  const stored: Array<{ external_order_id: string; status: string; remote_updated_at: Date | null }> =
    await rt.ds.query(
      `SELECT external_order_id, status, remote_updated_at FROM marketplace_order
        WHERE channel_id = $1 AND external_order_id = ANY($2::text[])`,
      [channelId, summaries.map((s) => s.externalOrderId)],
    );
  const held = new Map(stored.map((s) => [s.external_order_id, s]));
  const wanted = summaries
    .filter((s) => {
      const h = held.get(s.externalOrderId);
      if (!h) return true;
      const at = h.remote_updated_at?.getTime() ?? 0;
      return s.updatedAt > at || (s.updatedAt === at && s.status !== h.status);
    })
    .map((s) => s.externalOrderId);
  progress.counts.unchanged += summaries.length - wanted.length;
  if (wanted.length === 0) return;
  const perCall = connector.limits.orderDetailPerCall;
  const orders = await fetchOrderDetails([...new Set(wanted)], perCall, (ids) =>
    connector.getOrders!(ctx, ids),
  );
  progress.calls += Math.ceil(wanted.length / Math.max(1, perCall));
  progress.fetched += wanted.length;
  addCounts(progress.counts, await importOrders(rt, channelId, orders, "PULL"));
}

export async function loadCursor(rt: SyncRuntime, channelId: string): Promise<OrderCursor> {
  const [row]: Array<{ cursor: OrderCursor }> = await rt.ds.query(
    `SELECT cursor FROM channel_cursor WHERE channel_id = $1 AND kind = $2`,
    [channelId, ORDER_CURSOR_KIND],
  );
  return { doneUntil: row?.cursor?.doneUntil ?? null, pass: row?.cursor?.pass ?? null };
}

async function saveCursor(rt: SyncRuntime, channelId: string, cursor: OrderCursor): Promise<void> {
  await rt.ds.query(
    `INSERT INTO channel_cursor (channel_id, kind, cursor) VALUES ($1, $2, $3::jsonb)
     ON CONFLICT (channel_id, kind) DO UPDATE SET cursor = EXCLUDED.cursor, updated_at = now()`,
    [channelId, ORDER_CURSOR_KIND, JSON.stringify(cursor)],
  );
}

function failureItem(
  connector: MarketplaceConnector,
  failure: { code?: string; remoteCode?: string; remoteMessage?: string },
  externalOrderId: string | null,
): ItemRecord {
  const x = explainFailure({ ...failure, marketplace: connector.code, kind: "order" });
  return {
    kind: "order",
    status: SyncItemStatus.FAILED,
    value: externalOrderId ? { externalOrderId } : null,
    remoteCode: failure.remoteCode ?? null,
    remoteMessage: failure.remoteMessage ?? null,
    code: x.code,
    messageVi: x.messageVi,
    messageEn: x.messageEn,
    hintVi: x.hintVi,
    hintEn: x.hintEn,
  };
}

/** The order came back from the marketplace but could not be written here: our fault, not theirs. */
function importFailureItem(externalOrderId: string, message: string): ItemRecord {
  return {
    kind: "order",
    status: SyncItemStatus.FAILED,
    value: { externalOrderId, error: message },
    code: "ORDER_IMPORT_FAILED",
    messageVi: `Không lưu được đơn hàng ${externalOrderId} vào hệ thống.`,
    messageEn: `Order ${externalOrderId} could not be saved in the hub.`,
    hintVi: "Lần đồng bộ đơn hàng sau sẽ thử lại; nếu lỗi lặp lại, báo cho bộ phận vận hành.",
    hintEn: "The next order sync retries it; if it keeps failing, tell the operations team.",
  };
}

function errorText(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).slice(0, 500);
}
