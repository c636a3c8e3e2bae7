/**
 * Our connector types ↔ Tiki's wire shapes (Open API v2/v2.1). Tiki money is integer đồng; its
 * datetimes are "YYYY-MM-DD HH:mm:ss" wall-clock strings in Vietnam time (UTC+7, no DST); event
 * timestamps are epoch ms. Pure functions only.
 */
import type {
  ListingDraft,
  NormalizedOrderStatus,
  Order,
  OrderSummary,
  RemoteAttribute,
  RemoteCategory,
  RemoteListing,
  WebhookEvent,
  WebhookEventKind,
} from "../connector";

// ---------- wire types ----------

export interface TikiTokenResponse {
  access_token: string;
  expires_in: number;
  refresh_token?: string;
  id_token?: string;
  scope?: string;
  token_type: string;
}

export interface TikiSeller {
  id: number;
  name: string;
  active: number;
}

export interface TikiWarehouse {
  id: number;
  is_primary: boolean;
  status: number;
  type: string;
  name?: string;
}

export interface TikiPaging {
  total: number;
  current_page: number;
  from: number | null;
  to: number | null;
  per_page: number;
  last_page: number;
}

export interface TikiList<T> {
  data: T[];
  paging?: TikiPaging;
}

export interface TikiCategory {
  id: number;
  name: string;
  parent: number | null;
  primary: boolean;
}

export interface TikiAttribute {
  id: number;
  code: string;
  display_name: string;
  is_required: boolean;
  input_type: string;
  data_type?: string;
}

export interface TikiAttributeValue {
  id: number;
  value: string;
}

export interface TikiWarehouseStock {
  warehouse_id: number;
  quantity_sellable: number;
}

export interface TikiProduct {
  product_id: number;
  super_id: number;
  sku: string;
  original_sku: string;
  name: string;
  price: number;
  active: number;
  /** Product detail only [U: the sandbox returns it; Tiki's detail carries the description]. */
  description?: string | null;
  inventory?: { warehouse_stocks: TikiWarehouseStock[] } | null;
}

export interface TikiRequestAck {
  track_id: string;
  request_id: string;
  state: string;
}

export interface TikiTracking {
  track_id: string;
  request_id: string;
  state: string;
  reason: string | null;
  product_id?: number | null;
}

export interface TikiSkuUpdateResult {
  product_id: number | null;
  original_sku: string | null;
  success: boolean;
  message_code?: string;
  errors?: string[];
}

export interface TikiOrderItem {
  id: number;
  product: { id: number; super_id: number; sku: string; name: string; seller_product_code: string | null };
  invoice: { price: number; quantity: number; subtotal: number };
}

export interface TikiOrder {
  id: number;
  code: string;
  status: string;
  created_at: string;
  updated_at: string;
  invoice: { grand_total: number; subtotal?: number };
  customer?: { full_name?: string | null } | null;
  items?: TikiOrderItem[];
}

export interface TikiEvent {
  id: string;
  sid: string | number;
  created_at: number;
  type: string;
  version?: string;
  payload: Record<string, unknown>;
}

// ---------- time ----------

const VN_OFFSET_MS = 7 * 3_600_000;

/** Epoch ms → "YYYY-MM-DD HH:mm:ss" in Vietnam time (seconds truncated). */
export function formatTikiTime(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000 + VN_OFFSET_MS).toISOString().slice(0, 19).replace("T", " ");
}

/** "YYYY-MM-DD HH:mm:ss" in Vietnam time → epoch ms; NaN when malformed. */
export function parseTikiTime(text: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})$/.exec(text ?? "");
  if (!m) return Number.NaN;
  return Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]) - VN_OFFSET_MS;
}

// ---------- statuses ----------

const STATUS_MAP: Record<string, NormalizedOrderStatus> = {
  waiting_payment: "UNPAID",
  payment_review: "UNPAID",
  processing: "PENDING",
  queueing: "PENDING",
  paid: "PENDING",
  holded: "PENDING",
  picking: "PENDING",
  packaging: "PENDING",
  finished_packing: "READY_TO_SHIP",
  ready_to_ship: "READY_TO_SHIP",
  handover_to_partner: "SHIPPED",
  shipping: "SHIPPED",
  successful_delivery: "DELIVERED",
  delivered: "DELIVERED",
  complete: "COMPLETED",
  closed: "COMPLETED",
  canceled: "CANCELLED",
  returned: "RETURNED",
};

export function normalizeStatus(tikiStatus: string): NormalizedOrderStatus {
  return STATUS_MAP[tikiStatus] ?? "PENDING";
}

// ---------- catalogue ----------

export function toRemoteCategory(c: TikiCategory): RemoteCategory {
  return {
    id: String(c.id),
    parentId: c.parent ? String(c.parent) : null,
    name: c.name.normalize("NFC"),
    isLeaf: c.primary,
  };
}

const INPUT_TYPES: Record<string, RemoteAttribute["inputType"]> = {
  select: "select",
  dropdown: "select",
  multiselect: "multiselect",
  number: "number",
  decimal: "number",
};

/** The attribute id is Tiki's `code`: create requests key attributes by code. */
export function toRemoteAttribute(a: TikiAttribute, values: TikiAttributeValue[] | null): RemoteAttribute {
  const inputType = INPUT_TYPES[a.input_type] ?? "text";
  return {
    id: a.code,
    name: a.display_name.normalize("NFC"),
    required: a.is_required,
    inputType,
    ...(values ? { options: values.map((v) => ({ id: v.value, name: v.value.normalize("NFC") })) } : {}),
  };
}

// ---------- listings ----------

/** Option attribute used when a listing has several variants (pack size, "gói 250g"). */
export const TIKI_OPTION_ATTRIBUTE = "size";

/** Body of POST /integration/v2.1/requests for one draft. */
export function toCreateRequest(d: ListingDraft, warehouseId: string | null): Record<string, unknown> {
  const multi = d.variants.length > 1;
  const attributes: Record<string, string> = {};
  for (const [k, v] of Object.entries(d.attributes))
    attributes[k] = Array.isArray(v) ? v.join(",") : v.normalize("NFC");
  if (d.brand) attributes.brand = d.brand.normalize("NFC");
  attributes.product_weight_kg = String(d.weightGrams / 1000);
  if (d.dimensionsMm) {
    attributes.product_length = String(d.dimensionsMm.length / 10);
    attributes.product_width = String(d.dimensionsMm.width / 10);
    attributes.product_height = String(d.dimensionsMm.height / 10);
  }
  return {
    category_id: Number(d.categoryId),
    name: d.title.normalize("NFC"),
    description: d.description.normalize("NFC"),
    market_price: Math.max(...d.variants.map((v) => v.priceVnd)),
    attributes,
    image: d.images[0] ?? null,
    images: d.images.slice(1),
    option_attributes: multi ? [TIKI_OPTION_ATTRIBUTE] : [],
    variants: d.variants.map((v) => ({
      sku: v.sku,
      ...(multi ? { option1: v.optionName.normalize("NFC") } : {}),
      price: v.priceVnd,
      inventory_type: "dropship",
      ...(warehouseId
        ? {
            seller_warehouse: warehouseId,
            warehouse_stocks: [{ warehouseId: Number(warehouseId), qtyAvailable: v.stock }],
          }
        : {}),
      ...(v.barcode ? { min_code: v.barcode } : {}),
    })),
    meta_data: { is_auto_turn_on: 1 },
  };
}

/**
 * Body of POST /integration/v2/requests/updateProductInfo: the reviewed content edit of a live
 * product (name, description, attributes, images; the same shapes as a create request).
 */
export function toUpdateInfoRequest(d: ListingDraft, productId: number): Record<string, unknown> {
  const create = toCreateRequest(d, null);
  return {
    product_id: productId,
    name: create.name,
    description: create.description,
    attributes: create.attributes,
    ...(d.images.length ? { image: create.image, images: create.images } : {}),
  };
}

const STAR_PATTERNS: RegExp[] = [
  /OCOP\W{0,3}([1-5])\s*sao/giu,
  /([1-5])\s*sao\W{0,3}OCOP/giu,
  /OCOP\W{0,3}(★{1,5})/gu,
  /(★{1,5})\W{0,3}OCOP/gu,
];

/** The highest OCOP star a text claims ("OCOP 4 sao", "4 sao OCOP", "★★★★ OCOP"), or null. */
export function claimedStar(text: string | null | undefined): number | null {
  let best: number | null = null;
  for (const re of STAR_PATTERNS) {
    for (const m of (text ?? "").normalize("NFC").matchAll(re)) {
      const star = /★/.test(m[1]) ? m[1].length : Number(m[1]);
      if (best === null || star > best) best = star;
    }
  }
  return best;
}

/**
 * Whether an edit withdraws or lowers the OCOP claim buyers see now: the live title (else the
 * description) claims a star and the new content claims none or a lower one.
 */
export function withdrawsClaim(
  live: { name: string; description?: string | null },
  newStar: number | null,
): boolean {
  const shown = claimedStar(live.name) ?? claimedStar(live.description);
  return shown !== null && (newStar === null || newStar < shown);
}

export function stockOf(p: TikiProduct, warehouseId: string | null): number {
  const stocks = p.inventory?.warehouse_stocks ?? [];
  if (warehouseId) return stocks.find((s) => String(s.warehouse_id) === warehouseId)?.quantity_sellable ?? 0;
  return stocks.reduce((n, s) => n + s.quantity_sellable, 0);
}

/** Groups one page of Tiki products (one per variant) by their configurable parent. */
export function toRemoteListings(products: TikiProduct[], warehouseId: string | null): RemoteListing[] {
  const byParent = new Map<string, RemoteListing>();
  for (const p of products) {
    const parent = String(p.super_id || p.product_id);
    let l = byParent.get(parent);
    if (!l) {
      l = {
        externalItemId: parent,
        title: p.name.normalize("NFC"),
        status: p.active ? "active" : "inactive",
        variants: [],
      };
      byParent.set(parent, l);
    }
    l.variants.push({
      sku: p.original_sku,
      externalSkuId: String(p.product_id),
      priceVnd: p.price,
      stock: stockOf(p, warehouseId),
    });
  }
  return [...byParent.values()];
}

// ---------- orders ----------

export function toOrderSummary(o: TikiOrder): OrderSummary {
  return {
    externalOrderId: o.code,
    status: normalizeStatus(o.status),
    remoteStatus: o.status,
    updatedAt: parseTikiTime(o.updated_at),
  };
}

export function toOrder(o: TikiOrder): Order {
  return {
    ...toOrderSummary(o),
    createdAt: parseTikiTime(o.created_at),
    currency: "VND",
    totalVnd: Math.round(o.invoice.grand_total),
    buyerName: o.customer?.full_name?.normalize("NFC") ?? null,
    lines: (o.items ?? []).map((it) => ({
      externalLineId: String(it.id),
      sku: it.product.seller_product_code || null,
      externalItemId: String(it.product.super_id || it.product.id),
      externalSkuId: String(it.product.id),
      title: it.product.name.normalize("NFC"),
      quantity: it.invoice.quantity,
      unitPriceVnd: Math.round(it.invoice.price),
    })),
  };
}

// ---------- events ----------

const EVENT_KINDS: Record<string, WebhookEventKind> = {
  ORDER_CREATED_SUCCESSFULLY: "order.created",
  ORDER_STATUS_UPDATED: "order.status",
  PRODUCT_INVENTORY_UPDATED: "product.changed",
  PRODUCT_UPDATED: "product.changed",
};

/** One Tiki event → WebhookEvent. Tiki keeps an event's id across redeliveries, so it is the dedupe key. */
export function toWebhookEvent(e: TikiEvent): WebhookEvent {
  const payload = e.payload ?? {};
  const orderCode = typeof payload.order_code === "string" ? payload.order_code : undefined;
  const status = typeof payload.status === "string" ? payload.status : undefined;
  return {
    eventKey: `tiki:${e.id}`,
    kind: EVENT_KINDS[e.type] ?? "other",
    shopId: e.sid === undefined || e.sid === null ? null : String(e.sid),
    ...(orderCode ? { externalOrderId: orderCode } : {}),
    ...(status
      ? { status: normalizeStatus(status) }
      : e.type === "ORDER_CREATED_SUCCESSFULLY"
        ? { status: "PENDING" as const }
        : {}),
    occurredAt: typeof e.created_at === "number" ? e.created_at : null,
    raw: e,
  };
}
