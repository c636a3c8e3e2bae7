/**
 * Our connector types ↔ TikTok Shop 202309 wire shapes. Money on the wire is a decimal string
 * `amount` with currency "VND"; we keep whole đồng. Times on the wire are Unix seconds. Orders
 * carry one line item per unit, so lines are grouped back into quantities here.
 */
import type {
  ListingDraft,
  NormalizedOrderStatus,
  Order,
  OrderLine,
  OrderSummary,
  RemoteAttribute,
  RemoteCategory,
  RemoteListing,
} from "../connector";

// ---------- wire types (the fields we read) ----------

export interface WireSku {
  id: string;
  seller_sku?: string;
  price?: { currency?: string; sale_price?: string; tax_exclusive_price?: string; amount?: string };
  inventory?: Array<{ warehouse_id?: string; quantity?: number }>;
}

export interface WireProduct {
  id: string;
  title?: string;
  status?: string;
  skus?: WireSku[];
}

export interface WireLineItem {
  id: string;
  sku_id?: string;
  seller_sku?: string;
  product_id?: string;
  product_name?: string;
  sku_name?: string;
  sale_price?: string;
}

export interface WireOrder {
  id: string;
  status: string;
  create_time: number;
  update_time: number;
  payment?: { currency?: string; total_amount?: string };
  recipient_address?: { name?: string };
  line_items?: WireLineItem[];
  packages?: Array<{ id: string }>;
}

export interface WireCategory {
  id: string;
  parent_id?: string;
  local_name?: string;
  is_leaf?: boolean;
}

export interface WireAttribute {
  id: string;
  name: string;
  type?: string;
  is_requried?: boolean;
  is_customizable?: boolean;
  is_multiple_selection?: boolean;
  values?: Array<{ id: string; name: string }>;
}

/** The custom sales attribute our variants use; TikTok accepts a name instead of an id. */
export const VARIANT_ATTRIBUTE_NAME = "Quy cách";

// ---------- money ----------

/** "199000" or "199000.00" → 199000; null when absent or not a number. */
export function parseVnd(amount: string | undefined | null): number | null {
  if (amount == null || amount === "") return null;
  const n = Number(amount);
  return Number.isFinite(n) ? Math.round(n) : null;
}

export function wirePrice(priceVnd: number): { amount: string; currency: "VND" } {
  return { amount: String(priceVnd), currency: "VND" };
}

// ---------- orders ----------

const STATUS: Record<string, NormalizedOrderStatus> = {
  UNPAID: "UNPAID",
  ON_HOLD: "PENDING",
  AWAITING_SHIPMENT: "PENDING",
  // Some packages already left: for stock, shipped is the closer state.
  PARTIALLY_SHIPPING: "SHIPPED",
  AWAITING_COLLECTION: "READY_TO_SHIP",
  IN_TRANSIT: "SHIPPED",
  DELIVERED: "DELIVERED",
  COMPLETED: "COMPLETED",
  CANCELLED: "CANCELLED",
};

export function normalizeOrderStatus(status: string): NormalizedOrderStatus {
  return STATUS[status] ?? "PENDING";
}

export function toOrderSummary(o: WireOrder): OrderSummary {
  return {
    externalOrderId: o.id,
    status: normalizeOrderStatus(o.status),
    remoteStatus: o.status,
    updatedAt: o.update_time * 1000,
  };
}

/** Groups the per-unit line items by SKU and unit price into lines with a quantity. */
export function groupLines(items: WireLineItem[]): OrderLine[] {
  const lines = new Map<string, OrderLine>();
  for (const li of items) {
    const unit = parseVnd(li.sale_price) ?? 0;
    const key = `${li.sku_id ?? li.seller_sku ?? li.id}|${unit}`;
    const line = lines.get(key);
    if (line) {
      line.quantity++;
      continue;
    }
    lines.set(key, {
      externalLineId: li.id,
      sku: li.seller_sku || null,
      externalItemId: li.product_id ?? null,
      externalSkuId: li.sku_id ?? null,
      title: li.sku_name ? `${li.product_name ?? ""} (${li.sku_name})` : (li.product_name ?? ""),
      quantity: 1,
      unitPriceVnd: unit,
    });
  }
  return [...lines.values()];
}

export function toOrder(o: WireOrder): Order {
  const lines = groupLines(o.line_items ?? []);
  return {
    ...toOrderSummary(o),
    createdAt: o.create_time * 1000,
    currency: "VND",
    totalVnd: parseVnd(o.payment?.total_amount) ?? lines.reduce((n, l) => n + l.quantity * l.unitPriceVnd, 0),
    buyerName: o.recipient_address?.name ?? null,
    lines,
  };
}

// ---------- catalogue ----------

export function toRemoteCategory(c: WireCategory): RemoteCategory {
  return {
    id: c.id,
    parentId: !c.parent_id || c.parent_id === "0" ? null : c.parent_id,
    name: c.local_name ?? "",
    isLeaf: !!c.is_leaf,
  };
}

export function toRemoteAttribute(a: WireAttribute): RemoteAttribute {
  const options = (a.values ?? []).map((v) => ({ id: v.id, name: v.name }));
  const inputType: RemoteAttribute["inputType"] = a.is_multiple_selection
    ? "multiselect"
    : options.length > 0 && !a.is_customizable
      ? "select"
      : "text";
  return {
    id: a.id,
    name: a.name,
    required: !!a.is_requried,
    inputType,
    options: options.length ? options : undefined,
  };
}

// ---------- listings ----------

export function skuStock(s: WireSku): number {
  return (s.inventory ?? []).reduce((n, i) => n + (i.quantity ?? 0), 0);
}

export function skuPrice(s: WireSku): number | null {
  return parseVnd(s.price?.sale_price ?? s.price?.tax_exclusive_price ?? s.price?.amount);
}

export function toRemoteListing(p: WireProduct): RemoteListing {
  return {
    externalItemId: p.id,
    title: p.title ?? "",
    status: p.status ?? "",
    variants: (p.skus ?? []).map((s) => ({
      sku: s.seller_sku ?? "",
      externalSkuId: s.id,
      priceVnd: skuPrice(s) ?? 0,
      stock: skuStock(s),
    })),
  };
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** TikTok wants an HTML description; plain text becomes one <p> per line, HTML passes as is. */
export function toHtmlDescription(text: string): string {
  const t = text.normalize("NFC");
  if (/<\/?[a-z][^>]*>/i.test(t)) return t;
  return t
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean)
    .map((l) => `<p>${escapeHtml(l)}</p>`)
    .join("");
}

/** Values that look like TikTok option ids go as `id`, anything else as a custom `name`. */
function attributeValue(v: string): { id: string } | { name: string } {
  return /^\d{6,}$/.test(v) ? { id: v } : { name: v.normalize("NFC") };
}

/** Body of POST /product/202309/products and PUT /product/202309/products/{id}. */
export function toWireProduct(d: ListingDraft, warehouseId: string): Record<string, unknown> {
  const multi = d.variants.length > 1;
  const body: Record<string, unknown> = {
    title: d.title.normalize("NFC"),
    description: toHtmlDescription(d.description),
    category_id: d.categoryId,
    main_images: d.images.map((uri) => ({ uri })),
    package_weight: { value: String(d.weightGrams / 1000), unit: "KILOGRAM" },
    product_attributes: Object.entries(d.attributes).map(([id, v]) => ({
      id,
      values: (Array.isArray(v) ? v : [v]).map(attributeValue),
    })),
    skus: d.variants.map((v) => ({
      ...(v.externalSkuId ? { id: v.externalSkuId } : {}),
      seller_sku: v.sku,
      price: wirePrice(v.priceVnd),
      inventory: [{ warehouse_id: warehouseId, quantity: v.stock }],
      sales_attributes: multi
        ? [{ name: VARIANT_ATTRIBUTE_NAME, value_name: v.optionName.normalize("NFC") }]
        : [],
    })),
    save_mode: "LISTING",
  };
  if (d.dimensionsMm) {
    const cm = (mm: number) => String(Math.max(1, Math.ceil(mm / 10)));
    body.package_dimensions = {
      length: cm(d.dimensionsMm.length),
      width: cm(d.dimensionsMm.width),
      height: cm(d.dimensionsMm.height),
      unit: "CENTIMETER",
    };
  }
  return body;
}
