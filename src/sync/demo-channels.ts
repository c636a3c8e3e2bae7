/**
 * `npm start` demo: one sandbox shop per marketplace, connected as channels of ONE seeded producer
 * (the one with the most products), category and attribute mappings chosen from each sandbox's own
 * category tree, and that producer's products published through the real path (preflight, listing
 * rows, PUBLISH runs on the queue). A newcomer then sees listings, stock pushes and orders flow.
 * Idempotent: does nothing once that producer has channels.
 */
import type { MarketplaceCode, RemoteAttribute, RemoteCategory } from "../channels/connectors/connector";
import type { MarketplaceSandbox } from "../sandbox/sandbox";
import { ChannelService } from "../channels/channel.service";
import { MappingService } from "../channels/mapping.service";
import { systemViewer } from "../auth/viewer";
import { fold } from "../common/text";
import { OcopCategory } from "../catalogue/ocop";
import { PublishService, runPublish } from "./publish.service";
import { SyncRuntime, openChannel } from "./runtime";
import type { JobQueue } from "./jobs";

export const PLACEHOLDER_IMAGE = "/static/ocop-placeholder.png";

/** Leaf names (folded) preferred for each OCOP category, best first; else the first leaf. */
const PREFERRED: Record<OcopCategory, string[]> = {
  FOOD: ["dac san", "mat ong", "hat", "gia vi", "nuoc mam", "do kho"],
  BEVERAGE: ["tra", "ca phe", "do uong"],
  HERBAL: ["thuc pham chuc nang", "duoc", "tra"],
  HANDICRAFT: ["thu cong"],
  ORNAMENTAL: ["thu cong", "nha cua"],
  TOURISM: ["dac san"],
};

export function pickLeaf(categories: RemoteCategory[], category: OcopCategory): RemoteCategory | null {
  const leaves = categories.filter((c) => c.isLeaf);
  for (const word of PREFERRED[category]) {
    const hit = leaves.find((c) => fold(c.name).includes(word));
    if (hit) return hit;
  }
  return leaves[0] ?? null;
}

/** A plausible value for a required attribute: an option, the origin, or a product field. */
export function demoAttributeValue(a: RemoteAttribute): {
  valueSource: "FIXED" | "PRODUCT_FIELD";
  value: string;
} {
  const name = fold(a.name);
  if (a.options?.length) {
    const vn = a.options.find((o) => fold(o.name).includes("viet nam"));
    return { valueSource: "FIXED", value: (vn ?? a.options[0]).id };
  }
  if (a.inputType === "number") {
    return name.includes("khoi luong") || name.includes("weight")
      ? { valueSource: "PRODUCT_FIELD", value: "variant.weightGrams" }
      : { valueSource: "FIXED", value: "1" };
  }
  if (name.includes("xuat xu") || name.includes("origin")) return { valueSource: "FIXED", value: "Việt Nam" };
  if (name.includes("thuong hieu") || name.includes("brand"))
    return { valueSource: "PRODUCT_FIELD", value: "producer.legalName" };
  return { valueSource: "PRODUCT_FIELD", value: "product.name" };
}

/** Maps every OCOP category to a leaf of the channel's tree and fills its required attributes. */
export async function mapDemoCategories(rt: SyncRuntime, channelId: string): Promise<void> {
  const viewer = systemViewer("demo");
  const mappings = new MappingService(rt);
  const { connector, ctx, channel } = await openChannel(rt, channelId);
  if (!connector.getCategories) return;
  const tree = await mappings.remoteCategories(viewer, channelId);
  const done = new Set<string>();
  // Mappings are shared by all producers: never overwrite one an admin already made.
  const existing = new Set(
    (await mappings.categoryMappings(channel.marketplace))
      .filter((m) => m.productSetNo === null)
      .map((m) => m.category),
  );
  for (const category of Object.values(OcopCategory)) {
    const leaf = pickLeaf(tree, category);
    if (!leaf || existing.has(category)) continue;
    await mappings.setCategoryMapping(viewer, {
      marketplace: channel.marketplace,
      category,
      remoteCategoryId: leaf.id,
      remoteCategoryName: leaf.name,
    });
    if (done.has(leaf.id) || !connector.getCategoryAttributes) continue;
    done.add(leaf.id);
    for (const a of await connector.getCategoryAttributes(ctx, leaf.id)) {
      if (!a.required) continue;
      await mappings.setAttributeMapping(viewer, {
        marketplace: channel.marketplace,
        remoteCategoryId: leaf.id,
        remoteAttributeId: a.id,
        ...demoAttributeValue(a),
      });
    }
  }
}

/** Grams from a pack spec such as "gói 250g", "chai 1 kg", "hộp 0,5kg"; null when none is written. */
export function gramsOf(packSpec: string): number | null {
  const m = /(\d+(?:[.,]\d+)?)\s*(kg|g)\b/i.exec(packSpec);
  if (!m) return null;
  const n = Number(m[1].replace(",", "."));
  return Math.max(1, Math.round(m[2].toLowerCase() === "kg" ? n * 1000 : n));
}

export interface DemoResult {
  producerId: string | null;
  channels: Array<{ marketplace: MarketplaceCode; channelId: string }>;
  runIds: string[];
}

/** Demo channels connected by this process: their in-memory sandbox shops are alive. */
const connectedInThisProcess = new Set<string>();

export async function connectDemoChannels(
  rt: SyncRuntime,
  sandboxes: Partial<Record<MarketplaceCode, MarketplaceSandbox>>,
  queue: JobQueue | null,
  opts: { hubUrl: string } = { hubUrl: "http://127.0.0.1:4000" },
): Promise<DemoResult> {
  const none: DemoResult = { producerId: null, channels: [], runIds: [] };
  const [top] = await rt.ds.query(
    `SELECT producer_id FROM product WHERE status = 'ACTIVE' GROUP BY producer_id ORDER BY count(*) DESC, producer_id LIMIT 1`,
  );
  if (!top) return none;
  const producerId: string = top.producer_id;
  const viewer = systemViewer("demo");
  const channels = new ChannelService(rt);
  // Sandboxes keep their shops in memory: after a restart, the demo channels of the last run point at
  // shops that no longer exist. Retire them (their history stays) and connect fresh ones below.
  const sandboxUrls = Object.values(sandboxes).map((sb) => sb!.baseUrl);
  const stale: Array<{ id: string }> = await rt.ds.query(
    `SELECT id FROM channel WHERE producer_id = $1 AND status <> 'DISCONNECTED' AND base_url = ANY($2::text[])
        AND NOT (id = ANY($3::uuid[]))`,
    [producerId, sandboxUrls, [...connectedInThisProcess]],
  );
  for (const c of stale) {
    await channels.disconnect(viewer, c.id);
    rt.log.info({ channelId: c.id }, "demo channel of a previous run retired (its sandbox restarted empty)");
  }
  const [{ n }] = await rt.ds.query(
    `SELECT count(*)::int AS n FROM channel WHERE producer_id = $1 AND status <> 'DISCONNECTED'`,
    [producerId],
  );
  if (n > 0) return { ...none, producerId };

  // Seed products carry no pictures or weights; the demo gives them a placeholder and a weight read
  // from the pack ("gói 250g"), so preflight passes on every marketplace.
  await rt.ds.query(
    `UPDATE product SET images = jsonb_build_array(jsonb_build_object('url', $2::text, 'alt', name))
      WHERE producer_id = $1 AND images = '[]'::jsonb`,
    [producerId, `${opts.hubUrl.replace(/\/+$/, "")}${PLACEHOLDER_IMAGE}`],
  );
  const unweighed: Array<{ id: string; pack_spec: string }> = await rt.ds.query(
    `SELECT id, pack_spec FROM variant WHERE producer_id = $1 AND weight_grams IS NULL`,
    [producerId],
  );
  for (const v of unweighed)
    await rt.ds.query(`UPDATE variant SET weight_grams = $2 WHERE id = $1`, [
      v.id,
      gramsOf(v.pack_spec) ?? 500,
    ]);

  const result: DemoResult = { producerId, channels: [], runIds: [] };
  for (const [code, sandbox] of Object.entries(sandboxes) as Array<[MarketplaceCode, MarketplaceSandbox]>) {
    const shop = sandbox.createShop();
    const app = { appKey: shop.appKey, appSecret: shop.appSecret };
    // The seller's "authorize" click, then the real code exchange: it also yields the ids some
    // marketplaces need on every call (TikTok's shop_cipher).
    const tokens = await rt.connectors[code].exchangeCode({
      app,
      baseUrl: sandbox.baseUrl,
      callbackParams: {
        code: sandbox.issueAuthCode(shop.shopId),
        shop_id: shop.shopId,
        state: "ocop-hub-demo",
      },
      redirectUri: `${opts.hubUrl.replace(/\/+$/, "")}/oauth/callback`,
    });
    const ch = await channels.connect(viewer, {
      producerId,
      marketplace: code,
      name: `${rt.connectors[code].displayName} (sandbox)`,
      shopId: tokens.shopId ?? shop.shopId,
      baseUrl: sandbox.baseUrl,
      ...app,
      accessToken: tokens.accessToken,
      refreshToken: tokens.refreshToken,
      accessExpiresAt: new Date(tokens.accessExpiresAt),
      refreshExpiresAt: tokens.refreshExpiresAt === null ? null : new Date(tokens.refreshExpiresAt),
      extra: tokens.extra ?? null,
    });
    await mapDemoCategories(rt, ch.id);
    result.channels.push({ marketplace: code, channelId: ch.id });
    connectedInThisProcess.add(ch.id);
  }
  const products: Array<{ id: string }> = await rt.ds.query(
    `SELECT id FROM product WHERE producer_id = $1 AND status = 'ACTIVE' ORDER BY name LIMIT 1000`,
    [producerId],
  );
  const inline: JobQueue = {
    enqueueRun: async (runId) =>
      void runPublish(rt, runId).catch((err) => rt.log.error({ err, runId }, "demo publish failed")),
    enqueueOrderImport: async () => undefined,
  };
  const published = await new PublishService(rt, queue ?? inline).publishProducts(viewer, {
    productIds: products.map((p) => p.id),
    channelIds: result.channels.map((c) => c.channelId),
    dryRun: false,
  });
  for (const c of published.channels) {
    if (c.runId) result.runIds.push(c.runId);
    const blocked = c.previews.filter((p) => !p.ready);
    if (blocked.length)
      rt.log.warn(
        {
          channelId: c.channelId,
          blocked: blocked.length,
          codes: [...new Set(blocked.flatMap((p) => p.problems.map((x) => x.code)))],
        },
        "demo: some products did not pass preflight",
      );
  }
  rt.log.info(
    { producerId, channels: result.channels.length, products: products.length },
    "demo channels connected and publishing",
  );
  return result;
}
