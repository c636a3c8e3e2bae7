/**
 * Reads of orders for the API, always through the caller's producer filter (READ_ORDERS): a producer
 * key sees only its producer's orders. Lines and status histories load in one query per page.
 */
import type { DataSource } from "typeorm";
import type { NormalizedOrderStatus } from "../channels/connectors/connector";
import type { PageWindow } from "../common/graphql/relay";
import { toGlobalId } from "../common/graphql/global-id";
import { Scope, Viewer, producerFilter } from "../auth/viewer";
import { OrderLineState } from "./entities/order.entity";
import type { OrderLineType, OrderSourceEnum, OrderStatusChangeType, OrderType } from "./graphql/order.types";

export interface OrderQueryFilter {
  channelId?: string | null;
  status?: NormalizedOrderStatus[] | null;
  hasProblems?: boolean | null;
  from?: Date | null;
  to?: Date | null;
  search?: string | null;
}

interface OrderRow {
  id: string;
  channel_id: string;
  external_order_id: string;
  status: NormalizedOrderStatus;
  remote_status: string;
  buyer_name: string | null;
  total_vnd: string;
  currency: string;
  source: OrderSourceEnum;
  has_problems: boolean;
  remote_created_at: Date | null;
  remote_updated_at: Date | null;
  imported_at: Date;
  updated_at: Date;
}

const COLUMNS = `o.id, o.channel_id, o.external_order_id, o.status, o.remote_status, o.buyer_name, o.total_vnd,
  o.currency, o.source, o.has_problems, o.remote_created_at, o.remote_updated_at, o.imported_at, o.updated_at`;

function toOrderType(r: OrderRow): OrderType {
  return {
    globalId: toGlobalId("Order", r.id),
    uuid: r.id,
    channelUuid: r.channel_id,
    externalOrderId: r.external_order_id,
    status: r.status,
    remoteStatus: r.remote_status,
    buyerName: r.buyer_name,
    totalVnd: Number(r.total_vnd),
    currency: r.currency,
    source: r.source,
    hasProblems: r.has_problems,
    createdAt: r.remote_created_at,
    remoteUpdatedAt: r.remote_updated_at,
    importedAt: r.imported_at,
    updatedAt: r.updated_at,
  };
}

/** WHERE clause and parameters for a filter, scoped to what the viewer may read. */
function where(viewer: Viewer, f: OrderQueryFilter): { sql: string; params: unknown[] } {
  const params: unknown[] = [];
  const cond: string[] = [];
  const add = (sql: (n: string) => string, value: unknown) => {
    params.push(value);
    cond.push(sql(`$${params.length}`));
  };
  const producers = producerFilter(viewer, Scope.READ_ORDERS);
  if (producers !== null) add((p) => `o.producer_id = ANY(${p}::uuid[])`, producers);
  if (f.channelId) add((p) => `o.channel_id = ${p}`, f.channelId);
  if (f.status?.length) add((p) => `o.status = ANY(${p}::text[])`, f.status);
  if (f.hasProblems != null) add((p) => `o.has_problems = ${p}`, f.hasProblems);
  if (f.from) add((p) => `o.remote_created_at >= ${p}`, f.from);
  if (f.to) add((p) => `o.remote_created_at < ${p}`, f.to);
  const search = f.search?.trim();
  if (search) {
    const like = search.replace(/[\\%_]/g, (c) => `\\${c}`);
    params.push(`${like}%`, `%${like}%`, search);
    const [prefix, anywhere, exact] = [params.length - 2, params.length - 1, params.length];
    cond.push(
      `(o.external_order_id ILIKE $${prefix} OR o.buyer_name ILIKE $${anywhere}
        OR EXISTS (SELECT 1 FROM order_line l WHERE l.order_id = o.id AND l.sku = $${exact}))`,
    );
  }
  return { sql: cond.length ? `WHERE ${cond.join(" AND ")}` : "", params };
}

export class OrderQuery {
  constructor(private readonly ds: DataSource) {}

  /** Newest first; `limit + 1` rows so the connection knows whether a next page exists. */
  async list(viewer: Viewer, f: OrderQueryFilter, win: PageWindow): Promise<OrderType[]> {
    const w = where(viewer, f);
    const rows: OrderRow[] = await this.ds.query(
      `SELECT ${COLUMNS} FROM marketplace_order o ${w.sql}
        ORDER BY o.remote_created_at DESC NULLS LAST, o.id DESC
        OFFSET $${w.params.length + 1} LIMIT $${w.params.length + 2}`,
      [...w.params, win.offset, win.limit + 1],
    );
    return rows.map(toOrderType);
  }

  async count(viewer: Viewer, f: OrderQueryFilter): Promise<number> {
    const w = where(viewer, f);
    const [r] = await this.ds.query(`SELECT count(*)::int AS n FROM marketplace_order o ${w.sql}`, w.params);
    return r.n;
  }

  async get(viewer: Viewer, id: string): Promise<OrderType | null> {
    const producers = producerFilter(viewer, Scope.READ_ORDERS);
    const [row]: OrderRow[] = await this.ds.query(
      `SELECT ${COLUMNS} FROM marketplace_order o WHERE o.id = $1 AND ($2::uuid[] IS NULL OR o.producer_id = ANY($2))`,
      [id, producers],
    );
    return row ? toOrderType(row) : null;
  }

  /** Lines of many orders at once (for a per-request DataLoader), by order id. */
  async linesOf(orderIds: readonly string[]): Promise<OrderLineType[][]> {
    const rows: Array<OrderLineType & { orderId: string }> = await this.ds.query(
      `SELECT id, order_id AS "orderId", external_line_id AS "externalLineId", sku, variant_id AS "variantId", title,
              quantity, unit_price_vnd AS "unitPriceVnd", state
         FROM order_line WHERE order_id = ANY($1::uuid[]) ORDER BY external_line_id`,
      [orderIds],
    );
    return group(orderIds, rows, (r) => r.orderId).map((ls) =>
      ls.map(({ orderId: _orderId, ...l }) => ({ ...l, state: l.state as OrderLineState })),
    );
  }

  async historyOf(orderIds: readonly string[]): Promise<OrderStatusChangeType[][]> {
    const rows: Array<OrderStatusChangeType & { orderId: string }> = await this.ds.query(
      `SELECT order_id AS "orderId", status, remote_status AS "remoteStatus", source, at
         FROM order_status_history WHERE order_id = ANY($1::uuid[]) ORDER BY id`,
      [orderIds],
    );
    return group(orderIds, rows, (r) => r.orderId).map((hs) => hs.map(({ orderId: _orderId, ...h }) => h));
  }
}

function group<T>(keys: readonly string[], rows: T[], keyOf: (r: T) => string): T[][] {
  const by = new Map<string, T[]>(keys.map((k) => [k, []]));
  for (const r of rows) by.get(keyOf(r))?.push(r);
  return keys.map((k) => by.get(k)!);
}
