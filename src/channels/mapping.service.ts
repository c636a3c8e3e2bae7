/**
 * Category and attribute mappings (master OCOP category → marketplace category; marketplace
 * attribute → a fixed value or a product field), and the marketplace's own category tree and
 * attributes read through a channel's connector, cached per process for a few minutes because they
 * change rarely and cost rate-limited calls. Mappings are shared by every producer: only admins write them.
 */
import type { EntityManager } from "typeorm";
import { AttributeMapping, CategoryMapping } from "./mapping.entity";
import type { MarketplaceCode, RemoteAttribute, RemoteCategory } from "./connectors/connector";
import { OcopCategory, categoryOfProductSet } from "../catalogue/ocop";
import { SyncRuntime, openChannel } from "../sync/runtime";
import { Viewer, assertAdmin, canSeeProducer } from "../auth/viewer";
import { UserErrors } from "../common/errors";
import { nfc } from "../common/text";
import { PRODUCT_FIELDS } from "../sync/listing-draft";

const CACHE_MS = 5 * 60_000;
const cache = new Map<string, { at: number; value: Promise<unknown> }>();

/** Cached per (marketplace, host, what): category trees are per marketplace, not per shop. */
function cached<T>(key: string, load: () => Promise<T>): Promise<T> {
  const hit = cache.get(key);
  if (hit && Date.now() - hit.at < CACHE_MS) return hit.value as Promise<T>;
  const value = load();
  cache.set(key, { at: Date.now(), value });
  value.catch(() => cache.delete(key));
  return value;
}

export function clearRemoteCatalogCache(): void {
  cache.clear();
}

export interface SetCategoryMappingInput {
  marketplace: MarketplaceCode;
  category: OcopCategory;
  productSetNo?: number | null;
  remoteCategoryId: string;
  remoteCategoryName?: string | null;
}

export interface SetAttributeMappingInput {
  marketplace: MarketplaceCode;
  remoteCategoryId: string;
  remoteAttributeId: string;
  valueSource: "FIXED" | "PRODUCT_FIELD";
  value: string;
}

export class MappingService {
  constructor(private readonly rt: SyncRuntime) {}

  categoryMappings(marketplace: MarketplaceCode | null): Promise<CategoryMapping[]> {
    return this.rt.ds.getRepository(CategoryMapping).find({
      where: marketplace ? { marketplace } : {},
      order: { marketplace: "ASC", category: "ASC", productSetNo: "ASC" },
    });
  }

  attributeMappings(
    marketplace: MarketplaceCode | null,
    remoteCategoryId: string | null,
  ): Promise<AttributeMapping[]> {
    return this.rt.ds.getRepository(AttributeMapping).find({
      where: { ...(marketplace ? { marketplace } : {}), ...(remoteCategoryId ? { remoteCategoryId } : {}) },
      order: { marketplace: "ASC", remoteCategoryId: "ASC", remoteAttributeId: "ASC" },
    });
  }

  async setCategoryMapping(viewer: Viewer, input: SetCategoryMappingInput): Promise<CategoryMapping> {
    assertAdmin(viewer);
    this.assertMarketplace(input.marketplace);
    if (!Object.values(OcopCategory).includes(input.category))
      throw UserErrors.one("category", "INVALID_VALUE", { value: String(input.category) });
    const setNo = input.productSetNo ?? null;
    if (setNo !== null && categoryOfProductSet(setNo) !== input.category)
      throw UserErrors.one("productSetNo", "INVALID_VALUE", { value: setNo });
    const remoteId = (input.remoteCategoryId ?? "").trim();
    if (!remoteId) throw UserErrors.one("remoteCategoryId", "REQUIRED");
    return this.rt.ds.transaction(async (m) => {
      const [row] = await m.query(
        `INSERT INTO category_mapping (marketplace, category, product_set_no, remote_category_id, remote_category_name)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (marketplace, category, product_set_no)
         DO UPDATE SET remote_category_id = EXCLUDED.remote_category_id, remote_category_name = EXCLUDED.remote_category_name
         RETURNING id`,
        [
          input.marketplace,
          input.category,
          setNo,
          remoteId,
          input.remoteCategoryName ? nfc(input.remoteCategoryName) : null,
        ],
      );
      await touchMarketplaceContent(m, input.marketplace, null);
      return (await m.getRepository(CategoryMapping).findOneBy({ id: row.id }))!;
    });
  }

  async setAttributeMapping(viewer: Viewer, input: SetAttributeMappingInput): Promise<AttributeMapping> {
    assertAdmin(viewer);
    this.assertMarketplace(input.marketplace);
    const value = nfc(input.value ?? "").trim();
    if (!input.remoteCategoryId?.trim()) throw UserErrors.one("remoteCategoryId", "REQUIRED");
    if (!input.remoteAttributeId?.trim()) throw UserErrors.one("remoteAttributeId", "REQUIRED");
    if (!value) throw UserErrors.one("value", "REQUIRED");
    if (input.valueSource === "PRODUCT_FIELD" && !(PRODUCT_FIELDS as readonly string[]).includes(value))
      throw UserErrors.one("value", "INVALID_VALUE", { value, allowed: PRODUCT_FIELDS.join(", ") });
    return this.rt.ds.transaction(async (m) => {
      const [row] = await m.query(
        `INSERT INTO attribute_mapping (marketplace, remote_category_id, remote_attribute_id, value_source, value)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (marketplace, remote_category_id, remote_attribute_id)
         DO UPDATE SET value_source = EXCLUDED.value_source, value = EXCLUDED.value
         RETURNING id`,
        [
          input.marketplace,
          input.remoteCategoryId.trim(),
          input.remoteAttributeId.trim(),
          input.valueSource,
          value,
        ],
      );
      await touchMarketplaceContent(m, input.marketplace, input.remoteCategoryId.trim());
      return (await m.getRepository(AttributeMapping).findOneBy({ id: row.id }))!;
    });
  }

  /** Deletes a category or attribute mapping by id; false when there was none. */
  async deleteMapping(viewer: Viewer, kind: "CATEGORY" | "ATTRIBUTE", id: string): Promise<boolean> {
    assertAdmin(viewer);
    const table = kind === "CATEGORY" ? "category_mapping" : "attribute_mapping";
    const [, n] = await this.rt.ds.query(`DELETE FROM ${table} WHERE id = $1`, [id]);
    return n > 0;
  }

  async remoteCategories(viewer: Viewer, channelId: string): Promise<RemoteCategory[]> {
    const { connector, ctx, channel } = await this.channelFor(viewer, channelId);
    if (!connector.getCategories) return [];
    return cached(`${channel.marketplace}|${channel.baseUrl}|categories`, () =>
      connector.getCategories!(ctx),
    );
  }

  async remoteCategoryAttributes(
    viewer: Viewer,
    channelId: string,
    categoryId: string,
  ): Promise<RemoteAttribute[]> {
    const { connector, ctx, channel } = await this.channelFor(viewer, channelId);
    return remoteAttributesCached(channel.marketplace, channel.baseUrl, categoryId, () =>
      connector.getCategoryAttributes
        ? connector.getCategoryAttributes(ctx, categoryId)
        : Promise.resolve([]),
    );
  }

  private async channelFor(viewer: Viewer, channelId: string) {
    const h = await openChannel(this.rt, channelId, true).catch(() => null);
    if (!h || !canSeeProducer(viewer, h.channel.producerId))
      throw UserErrors.one("channelId", "NOT_FOUND", { entity: "channel", id: channelId });
    return h;
  }

  private assertMarketplace(code: MarketplaceCode): void {
    if (!this.rt.connectors[code])
      throw UserErrors.one("marketplace", "INVALID_VALUE", {
        value: code,
        allowed: Object.keys(this.rt.connectors).join(", "),
      });
  }
}

/** Attribute definitions of one remote category, shared with preflight through the same cache. */
export function remoteAttributesCached(
  marketplace: MarketplaceCode,
  baseUrl: string,
  categoryId: string,
  load: () => Promise<RemoteAttribute[]>,
): Promise<RemoteAttribute[]> {
  return cached(`${marketplace}|${baseUrl}|attributes|${categoryId}`, load);
}

/** A mapping change alters what listings on that marketplace show: their content becomes dirty. */
async function touchMarketplaceContent(
  m: EntityManager,
  marketplace: MarketplaceCode,
  remoteCategoryId: string | null,
): Promise<void> {
  // Attribute mappings only matter for listings in that category; category mappings may move any.
  const rows: Array<{ channel_id: string }> = await m.query(
    `UPDATE listing l SET content_version = content_version + 1,
            content_dirty_since = CASE WHEN content_version <= content_pushed_version THEN now() ELSE content_dirty_since END,
            updated_at = now()
       FROM channel c
      WHERE c.id = l.channel_id AND c.marketplace = $1 AND l.state IN ('LIVE','FAILED')
        AND ($2::text IS NULL OR EXISTS (
              SELECT 1 FROM product p JOIN category_mapping cm
                ON cm.marketplace = c.marketplace AND cm.category = p.category
               AND (cm.product_set_no IS NULL OR cm.product_set_no = p.product_set_no)
             WHERE p.id = l.product_id AND cm.remote_category_id = $2))
      RETURNING l.channel_id`,
    [marketplace, remoteCategoryId],
  );
  const flat = Array.isArray(rows[0]) ? (rows[0] as unknown as Array<{ channel_id: string }>) : rows;
  for (const ch of new Set(flat.map((r) => r.channel_id)))
    await m.query(`SELECT pg_notify('ocop_outbox', $1)`, [`${ch}:content`]);
}
