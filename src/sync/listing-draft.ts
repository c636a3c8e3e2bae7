/**
 * What a marketplace should show for one product on one channel, built from the catalogue, the
 * channel's price and stock rules and the category / attribute mappings: the ListingDraft the
 * connector takes, plus what preflight and publish need around it (versions, source images, OCOP
 * certificate). Used by publish (preview and create) and by content pushes. One statement for the
 * products and one for their variants, whatever the number of targets.
 *
 * The OCOP claim ("– OCOP n sao", and the decision block in the description) appears ONLY while the
 * product has a certificate in force (same rule as Product.currentCertification); how it is shown
 * (suffix, attribute, certificate picture, description block) is the channel's claim template
 * (src/ocop-claims/claim-template.ts).
 */
import type { DataSource, EntityManager } from "typeorm";
import type { ListingDraft, MarketplaceCode } from "../channels/connectors/connector";
import { channelPrice, channelStock, settingsOf } from "../channels/channel-settings";
import { vnToday } from "../common/time";
import { nfc } from "../common/text";
import { CATEGORY_NAMES, OcopCategory } from "../catalogue/ocop";
import { LISTING_LIMITS } from "./preflight";
import {
  ClaimFacts,
  DEFAULT_OCOP_CLAIM,
  OcopClaimTemplate,
  descriptionBlock,
  fitTitle,
  isStarAttribute,
  picturesWithCertificate,
  titleSuffix,
} from "../ocop-claims/claim-template";

/** Product fields an attribute mapping may take its value from. */
export const PRODUCT_FIELDS = [
  "product.name",
  "product.category",
  "product.productSetNo",
  "producer.legalName",
  "producer.provinceName",
  "ocop.star",
  "variant.weightGrams",
  "variant.packSpec",
  "variant.barcode",
] as const;
export type ProductField = (typeof PRODUCT_FIELDS)[number];

export interface DraftTarget {
  channelId: string;
  productId: string;
}

export type OcopClaim = ClaimFacts;

export interface DraftVariant {
  variantId: string;
  listingId: string | null;
  sku: string;
  packSpec: string;
  catalogPriceVnd: number | null;
  /** After the channel's price rule; null when the catalogue has no price. */
  priceVnd: number | null;
  stock: number;
  weightGrams: number | null;
  priceVersion: string | null;
  stockVersion: string | null;
  contentVersion: string | null;
}

export interface BuiltDraft {
  channelId: string;
  marketplace: MarketplaceCode;
  productId: string;
  productName: string;
  /** Completes titles shorter than the marketplace's minimum. */
  producerName: string;
  productStatus: string;
  category: OcopCategory;
  productSetNo: number | null;
  /** Null when no category mapping applies (preflight reports it). */
  remoteCategoryId: string | null;
  remoteCategoryName: string | null;
  ocop: OcopClaim | null;
  /** The channel's OCOP claim template (settings.ocopClaim). */
  claimTemplate: OcopClaimTemplate;
  /** Catalogue image URLs; publish swaps them for the marketplace's ids after upload. */
  imageSources: string[];
  variants: DraftVariant[];
  /** Ready for the connector except images (still the source URLs) and prices that are null (0 here). */
  draft: ListingDraft;
}

type Db = DataSource | EntityManager;

interface ProductRow {
  channel_id: string;
  marketplace: MarketplaceCode;
  settings: Record<string, unknown>;
  product_id: string;
  name: string;
  description: string;
  story: string;
  category: OcopCategory;
  product_set_no: number | null;
  images: Array<{ url: string }>;
  status: string;
  legal_name: string;
  province_name: string | null;
  address_raw: string | null;
  remote_category_id: string | null;
  remote_category_name: string | null;
  star: number | null;
  decision_number: string | null;
  issuer_name: string | null;
  verification: string | null;
  cert_image_url: string | null;
  cert_valid_until: string | null;
}

interface VariantRow {
  channel_id: string;
  product_id: string;
  variant_id: string;
  sku: string;
  pack_spec: string;
  weight_grams: number | null;
  length_mm: number | null;
  width_mm: number | null;
  height_mm: number | null;
  barcode: string | null;
  price_vnd: number | null;
  available: number;
  listing_id: string | null;
  listing_key: string | null;
  external_item_id: string | null;
  external_sku_id: string | null;
  price_version: string | null;
  stock_version: string | null;
  content_version: string | null;
}

/** The OCOP suffix of a title, or "" without a certificate in force. */
export function ocopSuffix(ocop: OcopClaim | null, template: OcopClaimTemplate = DEFAULT_OCOP_CLAIM): string {
  return titleSuffix(ocop, template);
}

export function titleOf(
  name: string,
  variants: Array<{ packSpec: string }>,
  ocop: OcopClaim | null,
  template: OcopClaimTemplate = DEFAULT_OCOP_CLAIM,
  fit: { minLength: number; filler: string | null } = { minLength: 0, filler: null },
): string {
  const pack = variants.length === 1 && variants[0].packSpec.trim() ? ` ${variants[0].packSpec.trim()}` : "";
  return nfc(fitTitle(`${name.trim()}${pack}${ocopSuffix(ocop, template)}`, fit.minLength, fit.filler));
}

export function descriptionOf(
  p: { description: string; story: string; legalName: string; address: string | null },
  ocop: OcopClaim | null,
  template: OcopClaimTemplate = DEFAULT_OCOP_CLAIM,
): string {
  const parts = [p.description.trim(), p.story.trim()].filter(Boolean);
  const block = descriptionBlock(ocop, template);
  if (block) parts.push(block);
  parts.push(`Cơ sở sản xuất: ${p.legalName}${p.address ? `, ${p.address}` : ""}.`);
  return nfc(parts.join("\n\n"));
}

/** Drafts for (channel, product) pairs, whether or not listings exist yet (preflight runs before). */
export async function draftsFor(db: Db, targets: DraftTarget[], today: Date): Promise<BuiltDraft[]> {
  if (targets.length === 0) return [];
  const channelIds = targets.map((t) => t.channelId);
  const productIds = targets.map((t) => t.productId);
  const day = vnToday(today);
  const products: ProductRow[] = await db.query(
    `WITH t AS (SELECT DISTINCT * FROM unnest($1::uuid[], $2::uuid[]) AS t(channel_id, product_id))
     SELECT t.channel_id, c.marketplace, c.settings, p.id AS product_id, p.name, p.description, p.story,
            p.category, p.product_set_no, p.images, p.status,
            pr.legal_name, pr.province_name, pr.address_raw,
            cm.remote_category_id, cm.remote_category_name,
            oc.star, oc.decision_number, oc.issuer_name, oc.verification,
            oc.image_url AS cert_image_url, oc.valid_until::text AS cert_valid_until
       FROM t
       JOIN channel c ON c.id = t.channel_id
       JOIN product p ON p.id = t.product_id
       JOIN producer pr ON pr.id = p.producer_id
       LEFT JOIN LATERAL (
              SELECT remote_category_id, remote_category_name FROM category_mapping m
               WHERE m.marketplace = c.marketplace AND m.category = p.category
                 AND (m.product_set_no IS NULL OR m.product_set_no = p.product_set_no)
               ORDER BY m.product_set_no NULLS LAST LIMIT 1) cm ON true
       LEFT JOIN LATERAL (
              SELECT o.star, o.decision_number, o.issuer_name, o.verification, o.image_url, o.valid_until
                FROM ocop_current_cert(p.id, $3::date) cur JOIN ocop_certification o ON o.id = cur.id
               WHERE cur.status IN ('ACTIVE','EXPIRING')) oc ON true`,
    [channelIds, productIds, day],
  );
  const variants: VariantRow[] = await db.query(
    `WITH t AS (SELECT DISTINCT * FROM unnest($1::uuid[], $2::uuid[]) AS t(channel_id, product_id))
     SELECT t.channel_id, v.product_id, v.id AS variant_id, v.sku, v.pack_spec, v.weight_grams,
            v.length_mm, v.width_mm, v.height_mm, v.barcode, v.price_vnd,
            coalesce(s.on_hand - s.reserved, 0) AS available,
            l.id AS listing_id, l.listing_key, l.external_item_id, l.external_sku_id,
            l.price_version, l.stock_version, l.content_version
       FROM t
       JOIN variant v ON v.product_id = t.product_id
       LEFT JOIN stock_level s ON s.variant_id = v.id
       LEFT JOIN listing l ON l.channel_id = t.channel_id AND l.variant_id = v.id
      ORDER BY v.position, v.sku`,
    [channelIds, productIds],
  );
  const attrs: Array<{
    marketplace: string;
    remote_category_id: string;
    remote_attribute_id: string;
    value_source: string;
    value: string;
  }> = await db.query(
    `SELECT marketplace, remote_category_id, remote_attribute_id, value_source, value FROM attribute_mapping
        WHERE marketplace = ANY($1)`,
    [[...new Set(products.map((p) => p.marketplace))]],
  );
  const byTarget = new Map<string, VariantRow[]>();
  for (const v of variants) {
    const k = `${v.channel_id}|${v.product_id}`;
    let list = byTarget.get(k);
    if (!list) byTarget.set(k, (list = []));
    list.push(v);
  }
  return products.map((p) => build(p, byTarget.get(`${p.channel_id}|${p.product_id}`) ?? [], attrs));
}

/**
 * Drafts for existing listings (content pushes): grouped per (channel, product); a draft carries
 * only the variants that have a listing on that channel, with their remote ids.
 */
export async function buildDrafts(db: Db, listingIds: string[], today = new Date()): Promise<BuiltDraft[]> {
  if (listingIds.length === 0) return [];
  const rows: Array<{ channel_id: string; product_id: string; id: string }> = await db.query(
    `SELECT DISTINCT channel_id, product_id, id FROM listing WHERE id = ANY($1::uuid[])`,
    [listingIds],
  );
  const wanted = new Set(rows.map((r) => r.id));
  const targets = [...new Map(rows.map((r) => [`${r.channel_id}|${r.product_id}`, r])).values()].map((r) => ({
    channelId: r.channel_id,
    productId: r.product_id,
  }));
  const built = await draftsFor(db, targets, today);
  return built
    .map((b) => restrict(b, (v) => v.listingId !== null && wanted.has(v.listingId)))
    .filter((b) => b.variants.length > 0);
}

/** The same draft with only some variants (e.g. the ones a publish selected). */
export function restrict(b: BuiltDraft, keep: (v: DraftVariant) => boolean): BuiltDraft {
  const variants = b.variants.filter(keep);
  const skus = new Set(variants.map((v) => v.sku));
  const draftVariants = b.draft.variants.filter((v) => skus.has(v.sku));
  return {
    ...b,
    variants,
    draft: {
      ...b.draft,
      key: variants[0]?.sku ?? b.draft.key,
      title: titleOf(b.productName, variants, b.ocop, b.claimTemplate, {
        minLength: LISTING_LIMITS[b.marketplace]?.titleMin ?? 0,
        filler: b.producerName,
      }),
      variants: draftVariants,
    },
  };
}

function build(p: ProductRow, vs: VariantRow[], attrs: Array<Record<string, string>>): BuiltDraft {
  const s = settingsOf(p.settings);
  const template = s.ocopClaim;
  const ocop: OcopClaim | null =
    p.star === null
      ? null
      : {
          star: p.star,
          decisionNumber: p.decision_number,
          issuerName: p.issuer_name,
          verified: p.verification === "A",
          imageUrl: p.cert_image_url,
          validUntil: p.cert_valid_until,
          productSetNo: p.product_set_no,
        };
  const variants: DraftVariant[] = vs.map((v) => ({
    variantId: v.variant_id,
    listingId: v.listing_id,
    sku: v.sku,
    packSpec: v.pack_spec,
    catalogPriceVnd: v.price_vnd,
    priceVnd: channelPrice(v.price_vnd, s.priceRule),
    stock: channelStock(Math.max(0, Number(v.available)), s.stockRule),
    weightGrams: v.weight_grams,
    priceVersion: v.price_version,
    stockVersion: v.stock_version,
    contentVersion: v.content_version,
  }));
  const first = vs[0];
  const field = (name: string, v: VariantRow | undefined): string | null => {
    switch (name as ProductField) {
      case "product.name":
        return p.name;
      case "product.category":
        return CATEGORY_NAMES[p.category]?.vi ?? p.category;
      case "product.productSetNo":
        return p.product_set_no === null ? null : String(p.product_set_no);
      case "producer.legalName":
        return p.legal_name;
      case "producer.provinceName":
        return p.province_name;
      case "ocop.star":
        return ocop ? String(ocop.star) : null;
      case "variant.weightGrams":
        return v?.weight_grams == null ? null : String(v.weight_grams);
      case "variant.packSpec":
        return v?.pack_spec || null;
      case "variant.barcode":
        return v?.barcode ?? null;
      default:
        return null;
    }
  };
  const attributes: Record<string, string | string[]> = {};
  if (p.remote_category_id) {
    for (const a of attrs) {
      if (a.marketplace !== p.marketplace || a.remote_category_id !== p.remote_category_id) continue;
      if (!template.setAttribute && isStarAttribute(a)) continue;
      const value = a.value_source === "FIXED" ? a.value : field(a.value, first);
      if (value !== null && value !== "") attributes[a.remote_attribute_id] = value;
    }
  }
  const weights = vs.map((v) => v.weight_grams).filter((w): w is number => w !== null);
  const imageSources = picturesWithCertificate(
    (Array.isArray(p.images) ? p.images : []).map((i) => i.url).filter(Boolean),
    ocop,
    template,
  );
  const draft: ListingDraft = {
    key: first?.listing_key ?? first?.sku ?? p.product_id,
    externalItemId: vs.find((v) => v.external_item_id)?.external_item_id ?? null,
    title: titleOf(p.name, variants, ocop, template, {
      minLength: LISTING_LIMITS[p.marketplace]?.titleMin ?? 0,
      filler: p.legal_name,
    }),
    description: descriptionOf(
      { description: p.description, story: p.story, legalName: p.legal_name, address: p.address_raw },
      ocop,
      template,
    ),
    categoryId: p.remote_category_id ?? "",
    attributes,
    images: imageSources,
    // Lets a marketplace that reviews content edits (Tiki) tell when an edit withdraws a claim.
    ocopStar: ocop?.star ?? null,
    brand: null,
    weightGrams: weights.length ? Math.max(...weights) : 0,
    dimensionsMm:
      first?.length_mm && first.width_mm && first.height_mm
        ? { length: first.length_mm, width: first.width_mm, height: first.height_mm }
        : null,
    variants: variants.map((v, i) => ({
      sku: v.sku,
      externalSkuId: vs[i].external_sku_id,
      optionName: v.packSpec || v.sku,
      priceVnd: v.priceVnd ?? 0,
      stock: v.stock,
      barcode: vs[i].barcode,
      weightGrams: v.weightGrams,
    })),
  };
  return {
    channelId: p.channel_id,
    marketplace: p.marketplace,
    productId: p.product_id,
    productName: p.name,
    producerName: p.legal_name,
    productStatus: p.status,
    category: p.category,
    productSetNo: p.product_set_no,
    remoteCategoryId: p.remote_category_id,
    remoteCategoryName: p.remote_category_name,
    ocop,
    claimTemplate: template,
    imageSources,
    variants,
    draft,
  };
}
