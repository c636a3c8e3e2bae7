/**
 * The world the sync benches start from: one producer with `skus` variants (`perProduct` per
 * product), their stock (with its INITIAL ledger row), and one sandbox shop per marketplace with every
 * SKU already listed there and linked LIVE and in sync in the hub, so a bench measures change
 * propagation, not publishing. Sandboxes are pushed into `shops` as they start, so the caller's
 * `finally` closes them even if setup fails half-way.
 */
import type { DataSource } from "typeorm";
import type { SecretBox } from "../src/common/crypto";
import type { MarketplaceCode } from "../src/channels/connectors/connector";
import { CONNECTORS } from "../src/channels/connectors/registry";
import { saveCredentials } from "../src/channels/credential-store";
import { SANDBOXES } from "../src/sandbox/registry";
import type { MarketplaceSandbox } from "../src/sandbox/sandbox";

export interface WorldShop {
  code: MarketplaceCode;
  sb: MarketplaceSandbox;
  shopId: string;
  channelId: string;
}

export interface LinkedWorld {
  producerId: string;
  skus: string[];
  variants: Array<{ id: string; sku: string; product_id: string }>;
}

export interface LinkedWorldOptions {
  skus: number;
  perProduct: number;
  priceVnd: number;
  onHand: number;
  /** Added to every sandbox answer once the world is built. */
  latencyMs: number;
}

export async function linkedWorld(
  ds: DataSource,
  box: SecretBox,
  o: LinkedWorldOptions,
  shops: WorldShop[],
): Promise<LinkedWorld> {
  const [producer] = await ds.query(
    `INSERT INTO producer (legal_name, name_key, type) VALUES ('HTX Bench', 'htx bench', 'COOPERATIVE') RETURNING id`,
  );
  const products = o.skus / o.perProduct;
  const productIds: string[] = (
    await ds.query(
      `INSERT INTO product (producer_id, name, search_key, slug, category)
       SELECT $1, 'Trà Shan tuyết ' || g, 'tra shan tuyet ' || g, 'tra-shan-tuyet-' || g, 'FOOD'
         FROM generate_series(1, $2) g RETURNING id`,
      [producer.id, products],
    )
  ).map((r: { id: string }) => r.id);
  const skus = Array.from({ length: o.skus }, (_, i) => `TRA-${String(i).padStart(4, "0")}`);
  const productOf = (i: number) => productIds[Math.floor(i / o.perProduct)];
  const variants: LinkedWorld["variants"] = await ds.query(
    `INSERT INTO variant (product_id, producer_id, sku, pack_spec, price_vnd)
     SELECT p, $1, s, 'gói 100g', $4 FROM unnest($2::uuid[], $3::text[]) AS t(p, s)
     RETURNING id, sku, product_id`,
    [producer.id, skus.map((_, i) => productOf(i)), skus, o.priceVnd],
  );
  const variantIds = variants.map((v) => v.id);
  await ds.query(`INSERT INTO stock_level (variant_id, on_hand, reserved) SELECT unnest($1::uuid[]), $2, 0`, [
    variantIds,
    o.onHand,
  ]);
  await ds.query(
    `INSERT INTO stock_movement (variant_id, kind, on_hand_delta, reserved_delta, on_hand_after, reserved_after, reason, actor)
     SELECT unnest($1::uuid[]), 'INITIAL', $2, 0, $2, 0, 'initial stock', 'bench'`,
    [variantIds, o.onHand],
  );

  for (const code of Object.keys(SANDBOXES) as MarketplaceCode[]) {
    const sb = SANDBOXES[code]();
    await sb.start(0);
    const shop = sb.createShop();
    const app = { appKey: shop.appKey, appSecret: shop.appSecret };
    const tokens = await CONNECTORS[code].exchangeCode({
      app,
      baseUrl: sb.baseUrl,
      callbackParams: { code: sb.issueAuthCode(shop.shopId), shop_id: shop.shopId, state: "bench" },
      redirectUri: "http://127.0.0.1/callback",
    });
    const [ch] = await ds.query(
      `INSERT INTO channel (producer_id, marketplace, name, shop_id, base_url, status)
       VALUES ($1, $2, $3, $4, $5, 'ACTIVE') RETURNING id`,
      [producer.id, code, `${code} bench`, tokens.shopId ?? shop.shopId, sb.baseUrl],
    );
    await saveCredentials(ds, box, ch.id, { ...app, ...tokens });
    shops.push({ code, sb, shopId: shop.shopId, channelId: ch.id });
    // Listed and in sync: the marketplace shows what the hub would push.
    for (let p = 0; p < products; p++) {
      sb.seedListing(shop.shopId, {
        title: `Trà Shan tuyết ${p + 1}`,
        variants: skus
          .slice(p * o.perProduct, (p + 1) * o.perProduct)
          .map((sku) => ({ sku, priceVnd: o.priceVnd, stock: o.onHand })),
      });
    }
    const views = variants.map((v) => sb.skuView(shop.shopId, v.sku)!);
    await ds.query(
      `INSERT INTO listing (channel_id, product_id, variant_id, listing_key, external_item_id, external_sku_id, state,
                            stock_version, stock_pushed_version, stock_dirty_since, price_version, price_pushed_version,
                            price_dirty_since, content_version, content_pushed_version, content_dirty_since,
                            pushed_stock, pushed_price_vnd)
       SELECT $1, p, v, k, i, s, 'LIVE', 1, 1, NULL, 1, 1, NULL, 1, 1, NULL, $2, $3
         FROM unnest($4::uuid[], $5::uuid[], $6::text[], $7::text[], $8::text[]) AS t(p, v, k, i, s)`,
      [
        ch.id,
        o.onHand,
        o.priceVnd,
        variants.map((v) => v.product_id),
        variantIds,
        variants.map((v) => `TRA-P${v.product_id}`),
        views.map((w) => w.externalItemId),
        views.map((w) => w.externalSkuId),
      ],
    );
    sb.setFaults({ latencyMs: o.latencyMs });
  }
  return { producerId: producer.id, skus, variants };
}
