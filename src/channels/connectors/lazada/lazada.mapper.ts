/**
 * Pure translation between the hub's connector types and Lazada's wire shapes: product payloads
 * (`{"Request":{"Product":…}}` JSON text), Vietnam-time ISO filters, Lazada's date and money strings,
 * order statuses and the per-unit order items that become order lines.
 */
import type {
  ListingDraft,
  NormalizedOrderStatus,
  Order,
  OrderLine,
  RemoteAttribute,
  RemoteCategory,
  RemoteListing,
} from "../connector";

// ---------- wire types (only the fields we read) ----------

export interface LazadaCategoryNode {
  category_id: number | string;
  name: string;
  leaf: boolean;
  children?: LazadaCategoryNode[];
}

export interface LazadaAttribute {
  id?: number;
  name: string;
  label?: string;
  input_type: string;
  attribute_type?: string;
  is_mandatory: number | string;
  is_sale_prop?: number | string;
  options?: Array<{ id?: number | string; name: string; en_name?: string }>;
}

export interface LazadaSku {
  SkuId: number | string;
  SellerSku: string;
  quantity?: number | string;
  price?: number | string;
  special_price?: number | string;
  Status?: string;
}

export interface LazadaProduct {
  item_id: number | string;
  attributes?: Record<string, unknown>;
  status?: string;
  skus?: LazadaSku[];
}

export interface LazadaOrderSummary {
  order_id: number | string;
  created_at: string;
  updated_at: string;
  statuses: string[];
  price?: string | number;
  customer_first_name?: string;
  customer_last_name?: string;
}

export interface LazadaOrderItem {
  order_item_id: number | string;
  order_id: number | string;
  product_id?: number | string;
  sku_id?: number | string;
  sku?: string;
  name: string;
  variation?: string;
  item_price: string | number;
  paid_price?: string | number;
  status: string;
  package_id?: string;
  created_at: string;
  updated_at: string;
}

// ---------- time and money ----------

const VN_OFFSET_MS = 7 * 3_600_000;

/** ISO-8601 in Vietnam time, seconds precision: "2024-06-01T09:30:00+07:00" (the filters' format). */
export function isoVn(ms: number): string {
  const d = new Date(Math.floor(ms / 1000) * 1000 + VN_OFFSET_MS);
  return d.toISOString().replace(/\.\d{3}Z$/, "+07:00");
}

/**
 * Lazada writes times as "2024-06-01 09:30:00 +0700", as ISO-8601, or as ms-epoch strings
 * (`created_time`). Returns ms since epoch, or null when unreadable.
 */
export function parseLazadaTime(text: string | number | null | undefined): number | null {
  if (text === null || text === undefined || text === "") return null;
  const s = String(text).trim();
  if (/^\d{12,}$/.test(s)) return Number(s);
  const m = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}) ([+-])(\d{2}):?(\d{2})$/.exec(s);
  const ms = m ? Date.parse(`${m[1]}T${m[2]}${m[3]}${m[4]}:${m[5]}`) : Date.parse(s);
  return Number.isNaN(ms) ? null : ms;
}

/** "150000.00", 150000 or "150000" → 150000 whole đồng (VND has no minor unit). */
export function parseVndAmount(value: string | number | null | undefined): number | null {
  if (value === null || value === undefined || value === "") return null;
  const n = Number(value);
  return Number.isFinite(n) ? Math.round(n) : null;
}

// ---------- catalogue ----------

export function flattenCategories(
  nodes: LazadaCategoryNode[],
  parentId: string | null = null,
): RemoteCategory[] {
  const out: RemoteCategory[] = [];
  for (const n of nodes) {
    const id = String(n.category_id);
    out.push({ id, parentId, name: n.name.normalize("NFC"), isLeaf: Boolean(n.leaf) });
    if (n.children?.length) out.push(...flattenCategories(n.children, id));
  }
  return out;
}

/** Attributes the connector fills itself (title, description, brand, variants, package). */
const CONNECTOR_FILLED = new Set(["name", "description", "brand"]);

const INPUT_TYPES: Record<string, RemoteAttribute["inputType"]> = {
  text: "text",
  richText: "text",
  date: "text",
  img: "text",
  numeric: "number",
  singleSelect: "select",
  enumInput: "select",
  multiSelect: "multiselect",
  multiEnumInput: "multiselect",
};

/** Product-level attributes a seller maps; ids are Lazada's attribute names (the payload keys). */
export function toRemoteAttributes(attrs: LazadaAttribute[]): RemoteAttribute[] {
  return attrs
    .filter(
      (a) =>
        (a.attribute_type ?? "normal") === "normal" &&
        !truthy(a.is_sale_prop) &&
        !CONNECTOR_FILLED.has(a.name),
    )
    .map((a) => {
      // Lazada takes the option's text as the value, so the text is the id the hub stores and sends.
      const options = (a.options ?? []).map((o) => ({
        id: o.name.normalize("NFC"),
        name: o.name.normalize("NFC"),
      }));
      return {
        id: a.name,
        name: (a.label ?? a.name).normalize("NFC"),
        required: truthy(a.is_mandatory),
        inputType: INPUT_TYPES[a.input_type] ?? "text",
        ...(options.length > 0 ? { options } : {}),
      };
    });
}

/** The sale property that tells variants apart (Lazada allows at most two; we use the first). */
export function saleProperty(attrs: LazadaAttribute[]): string | null {
  return attrs.find((a) => truthy(a.is_sale_prop))?.name ?? null;
}

function truthy(v: unknown): boolean {
  return v === 1 || v === "1" || v === true || v === "true";
}

// ---------- products ----------

function attributeValue(v: string | string[]): string {
  return Array.isArray(v) ? v.map((x) => x.normalize("NFC")).join(",") : v.normalize("NFC");
}

/**
 * `{"Request":{"Product":…}}` for CreateProduct (no ItemId) or UpdateProduct (with ItemId). On update,
 * known SKUs are addressed by SkuId and carry content only; price and quantity travel only with new SKUs
 * (UpdatePriceQuantity owns them afterwards).
 */
export function productPayload(draft: ListingDraft, saleProp: string | null): string {
  const updating = Boolean(draft.externalItemId);
  const attributes: Record<string, string> = {};
  for (const [k, v] of Object.entries(draft.attributes)) attributes[k] = attributeValue(v);
  attributes.name = draft.title.normalize("NFC");
  attributes.description = draft.description.normalize("NFC");
  attributes.brand = (draft.brand ?? "No Brand").normalize("NFC");
  const dims = draft.dimensionsMm;
  const skus = draft.variants.map((v) => {
    const sku: Record<string, string> = { SellerSku: v.sku.normalize("NFC") };
    if (updating && v.externalSkuId) sku.SkuId = v.externalSkuId;
    if (!updating || !v.externalSkuId) {
      sku.price = String(v.priceVnd);
      sku.quantity = String(v.stock);
    }
    sku.package_weight = ((v.weightGrams ?? draft.weightGrams) / 1000).toFixed(3);
    if (dims) {
      sku.package_length = String(Math.max(1, Math.ceil(dims.length / 10)));
      sku.package_width = String(Math.max(1, Math.ceil(dims.width / 10)));
      sku.package_height = String(Math.max(1, Math.ceil(dims.height / 10)));
    }
    if (saleProp) sku[saleProp] = v.optionName.normalize("NFC");
    return sku;
  });
  const product: Record<string, unknown> = {
    PrimaryCategory: draft.categoryId,
    Images: { Image: draft.images },
    Attributes: attributes,
    Skus: { Sku: skus },
  };
  if (updating) product.ItemId = draft.externalItemId;
  return JSON.stringify({ Request: { Product: product } });
}

/** One row of an UpdatePriceQuantity payload. */
export interface PriceQuantityRow {
  ItemId: string;
  SkuId?: string;
  SellerSku: string;
  Price?: string;
  Quantity?: string;
}

export function priceQuantityPayload(rows: PriceQuantityRow[]): string {
  return JSON.stringify({ Request: { Product: { Skus: { Sku: rows } } } });
}

export function toRemoteListing(p: LazadaProduct): RemoteListing {
  return {
    externalItemId: String(p.item_id),
    title: String(p.attributes?.name ?? "").normalize("NFC"),
    status: p.status ?? "",
    variants: (p.skus ?? []).map((s) => ({
      sku: String(s.SellerSku).normalize("NFC"),
      externalSkuId: s.SkuId === undefined ? null : String(s.SkuId),
      priceVnd: parseVndAmount(s.price) ?? 0,
      stock: Number(s.quantity ?? 0),
    })),
  };
}

// ---------- orders ----------

/** Lazada item status → ours. Lazada reports a status per order item; an order lists the distinct ones. */
const STATUS_MAP: Record<string, NormalizedOrderStatus> = {
  unpaid: "UNPAID",
  pending: "PENDING",
  topack: "PENDING",
  packed: "READY_TO_SHIP",
  repacked: "READY_TO_SHIP",
  toship: "READY_TO_SHIP",
  ready_to_ship: "READY_TO_SHIP",
  ready_to_ship_pending: "READY_TO_SHIP",
  shipping: "SHIPPED",
  shipped: "SHIPPED",
  // Lost or damaged in transit: the goods left the shop for good, like a shipped parcel.
  lost: "SHIPPED",
  lost_by_3pl: "SHIPPED",
  damaged_by_3pl: "SHIPPED",
  delivered: "DELIVERED",
  confirmed: "COMPLETED",
  canceled: "CANCELLED",
  cancelled: "CANCELLED",
  // Failed delivery and shipped-back parcels come back to the seller.
  failed: "RETURNED",
  failed_delivery: "RETURNED",
  shipped_back: "RETURNED",
  shipped_back_success: "RETURNED",
  shipped_back_failed: "RETURNED",
  returned: "RETURNED",
};

/** Least advanced first: an order is only as far along as its slowest live item. */
const PROGRESS: NormalizedOrderStatus[] = [
  "UNPAID",
  "PENDING",
  "READY_TO_SHIP",
  "SHIPPED",
  "DELIVERED",
  "COMPLETED",
  "RETURNED",
  "CANCELLED",
];

export function normalizeStatus(statuses: string[]): NormalizedOrderStatus {
  const mapped = statuses.map((s) => STATUS_MAP[s.toLowerCase()] ?? "PENDING");
  const live = mapped.filter((s) => s !== "CANCELLED" && s !== "RETURNED");
  const pool = live.length > 0 ? live : mapped;
  if (pool.length === 0) return "PENDING";
  return pool.reduce((a, b) => (PROGRESS.indexOf(b) < PROGRESS.indexOf(a) ? b : a));
}

/**
 * Lazada has one order item per unit bought. Items of the same SKU and price become one line whose
 * quantity is their count and whose id is the smallest order_item_id; cancelled or returned units are
 * left out unless the whole order is cancelled or returned.
 */
export function toOrderLines(items: LazadaOrderItem[]): OrderLine[] {
  const dead = (i: LazadaOrderItem) => ["CANCELLED", "RETURNED"].includes(STATUS_MAP[i.status] ?? "");
  const counted = items.every(dead) ? items : items.filter((i) => !dead(i));
  const lines = new Map<string, OrderLine>();
  const sorted = [...counted].sort((a, b) => (BigInt(a.order_item_id) < BigInt(b.order_item_id) ? -1 : 1));
  for (const it of sorted) {
    const price = parseVndAmount(it.item_price) ?? 0;
    const key = `${it.sku_id ?? it.sku}|${price}`;
    const line = lines.get(key);
    if (line) {
      line.quantity += 1;
      continue;
    }
    lines.set(key, {
      externalLineId: String(it.order_item_id),
      sku: it.sku ? it.sku.normalize("NFC") : null,
      externalItemId: it.product_id === undefined ? null : String(it.product_id),
      externalSkuId: it.sku_id === undefined || it.sku_id === "" ? null : String(it.sku_id),
      title: [it.name, it.variation].filter(Boolean).join(" - ").normalize("NFC"),
      quantity: 1,
      unitPriceVnd: price,
    });
  }
  return [...lines.values()];
}

/** Order detail from GetMultipleOrderItems alone (it carries no buyer name: one call per 50 orders). */
export function toOrder(orderId: string, items: LazadaOrderItem[]): Order {
  const statuses = [...new Set(items.map((i) => i.status))];
  const created = Math.min(...items.map((i) => parseLazadaTime(i.created_at) ?? Infinity));
  const updated = Math.max(...items.map((i) => parseLazadaTime(i.updated_at) ?? 0));
  const lines = toOrderLines(items);
  const live = items.filter((i) => !["CANCELLED", "RETURNED"].includes(STATUS_MAP[i.status] ?? ""));
  return {
    externalOrderId: orderId,
    status: normalizeStatus(statuses),
    remoteStatus: statuses.join(","),
    updatedAt: updated,
    createdAt: Number.isFinite(created) ? created : updated,
    currency: "VND",
    totalVnd: (live.length > 0 ? live : items).reduce(
      (sum, i) => sum + (parseVndAmount(i.paid_price ?? i.item_price) ?? 0),
      0,
    ),
    buyerName: null,
    lines,
  };
}
