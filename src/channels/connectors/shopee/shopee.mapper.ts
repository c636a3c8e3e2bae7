/**
 * Our types ↔ Shopee v2 wire shapes: order statuses, order detail, attribute values, listing
 * bodies and read-back views. Pure; the connector does the calls. Money goes out as whole đồng
 * (Shopee VN accepts integers only) and comes back rounded to whole đồng.
 */
import { nfc } from "../../../common/text";
import type { ListingDraft, NormalizedOrderStatus, Order, OrderLine, RemoteAttribute } from "../connector";

export const SHOPEE_STATUS: Record<string, NormalizedOrderStatus> = {
  UNPAID: "UNPAID",
  // Paid, waiting for the seller to arrange shipment.
  READY_TO_SHIP: "READY_TO_SHIP",
  // Shipment arranged, waiting for pickup: still "ready to ship" from the hub's point of view.
  PROCESSED: "READY_TO_SHIP",
  RETRY_SHIP: "READY_TO_SHIP",
  SHIPPED: "SHIPPED",
  TO_CONFIRM_RECEIVE: "DELIVERED",
  COMPLETED: "COMPLETED",
  // A cancellation the seller may still refuse: keep the stock reserved until it is final.
  IN_CANCEL: "PENDING",
  INVOICE_PENDING: "PENDING",
  CANCELLED: "CANCELLED",
  TO_RETURN: "RETURNED",
};

export function normalizeStatus(remote: string): NormalizedOrderStatus {
  return SHOPEE_STATUS[remote] ?? "PENDING";
}

export interface WireOrderItem {
  item_id: number;
  item_name?: string;
  item_sku?: string;
  model_id: number;
  model_name?: string;
  model_sku?: string;
  model_quantity_purchased: number;
  model_original_price?: number;
  model_discounted_price?: number;
}

export interface WireOrder {
  order_sn: string;
  order_status: string;
  create_time: number;
  update_time: number;
  currency?: string;
  total_amount?: number;
  buyer_username?: string;
  item_list?: WireOrderItem[];
}

export function toOrder(o: WireOrder): Order {
  const lines: OrderLine[] = (o.item_list ?? []).map((l) => ({
    // Shopee has no line id; item + model is unique within one order.
    externalLineId: `${l.item_id}:${l.model_id}`,
    sku: l.model_sku || l.item_sku || null,
    externalItemId: String(l.item_id),
    externalSkuId: String(l.model_id),
    title: nfc(l.model_name ? `${l.item_name ?? ""} (${l.model_name})` : (l.item_name ?? "")),
    quantity: l.model_quantity_purchased,
    unitPriceVnd: Math.round(l.model_discounted_price ?? l.model_original_price ?? 0),
  }));
  return {
    externalOrderId: o.order_sn,
    status: normalizeStatus(o.order_status),
    remoteStatus: o.order_status,
    updatedAt: o.update_time * 1000,
    createdAt: o.create_time * 1000,
    currency: "VND",
    totalVnd: Math.round(o.total_amount ?? lines.reduce((s, l) => s + l.unitPriceVnd * l.quantity, 0)),
    buyerName: o.buyer_username ?? null,
    lines,
  };
}

// ---------- attributes ----------

export interface WireAttribute {
  attribute_id: number;
  mandatory: boolean;
  name: string;
  attribute_value_list?: Array<{ value_id: number; name: string }>;
  attribute_info?: { input_type?: number; input_validation_type?: number };
}

export function toRemoteAttribute(a: WireAttribute): RemoteAttribute {
  const type = a.attribute_info?.input_type ?? 3;
  const numeric =
    a.attribute_info?.input_validation_type === 1 || a.attribute_info?.input_validation_type === 3;
  const inputType: RemoteAttribute["inputType"] =
    type === 4 || type === 5
      ? "multiselect"
      : type === 1 || type === 2
        ? "select"
        : numeric
          ? "number"
          : "text";
  const options = (a.attribute_value_list ?? []).map((v) => ({ id: String(v.value_id), name: v.name }));
  return {
    id: String(a.attribute_id),
    name: a.name,
    required: a.mandatory,
    inputType,
    ...(options.length ? { options } : {}),
  };
}

export interface WireAttributeValue {
  value_id: number;
  original_value_name?: string;
}

/**
 * A value matches an option by id or by (NFC, case-insensitive) name; anything else is sent as a
 * custom value (value_id 0), which Shopee accepts for combo-box and free-text attributes only.
 */
export function toAttributeList(
  attributes: ListingDraft["attributes"],
  tree: WireAttribute[],
): Array<{ attribute_id: number; attribute_value_list: WireAttributeValue[] }> {
  return Object.entries(attributes).map(([id, value]) => {
    const def = tree.find((a) => String(a.attribute_id) === id);
    const values = (Array.isArray(value) ? value : [value]).map((v) => nfc(v)).filter((v) => v.length > 0);
    const list = values.map((v): WireAttributeValue => {
      const option = def?.attribute_value_list?.find(
        (o) => String(o.value_id) === v || nfc(o.name).toLowerCase() === v.toLowerCase(),
      );
      return option ? { value_id: option.value_id } : { value_id: 0, original_value_name: v };
    });
    return { attribute_id: Number(id), attribute_value_list: list };
  });
}

// ---------- listings ----------

/** One tier named after what our variants differ by (pack size), one option per variant. */
export const TIER_NAME = "Quy cách";

export function hasVariations(draft: ListingDraft): boolean {
  return draft.variants.length > 1 || draft.variants.some((v) => nfc(v.optionName).length > 0);
}

export function itemFields(draft: ListingDraft, tree: WireAttribute[]): Record<string, unknown> {
  return {
    item_name: nfc(draft.title),
    description: nfc(draft.description),
    item_sku: draft.key,
    weight: draft.weightGrams / 1000,
    category_id: Number(draft.categoryId),
    image: { image_id_list: draft.images },
    attribute_list: toAttributeList(draft.attributes, tree),
    // Brand ids come from get_brand_list; matching our brand text to them is not implemented.
    brand: { brand_id: 0, original_brand_name: "No Brand" },
    ...(draft.dimensionsMm
      ? {
          dimension: {
            package_length: Math.max(1, Math.ceil(draft.dimensionsMm.length / 10)),
            package_width: Math.max(1, Math.ceil(draft.dimensionsMm.width / 10)),
            package_height: Math.max(1, Math.ceil(draft.dimensionsMm.height / 10)),
          },
        }
      : {}),
  };
}

export function tierVariationBody(itemId: number, draft: ListingDraft): Record<string, unknown> {
  return {
    item_id: itemId,
    tier_variation: [
      { name: TIER_NAME, option_list: draft.variants.map((v) => ({ option: nfc(v.optionName) || v.sku })) },
    ],
    model: draft.variants.map((v, i) => ({
      tier_index: [i],
      original_price: v.priceVnd,
      model_sku: v.sku,
      seller_stock: [{ stock: v.stock }],
    })),
  };
}

/** Shopee answers prices as floats; whole đồng is what VN shops can set. */
export function vnd(value: unknown): number | null {
  return typeof value === "number" && Number.isFinite(value) ? Math.round(value) : null;
}

export interface WireStockInfo {
  summary_info?: { total_available_stock?: number };
  seller_stock?: Array<{ stock: number }>;
}

/** Seller stock is what we push; summed over locations. */
export function sellerStock(info: WireStockInfo | undefined): number | null {
  if (!info) return null;
  if (Array.isArray(info.seller_stock) && info.seller_stock.length > 0) {
    return info.seller_stock.reduce((s, e) => s + (Number(e.stock) || 0), 0);
  }
  return info.summary_info?.total_available_stock ?? null;
}
