/** Inserts a producer and one channel row for tests that need a real channel (credential store, connectors). */
import crypto from "node:crypto";
import type { DataSource } from "typeorm";
import type { MarketplaceCode } from "../../src/channels/channel.entity";

export async function insertChannel(
  ds: DataSource,
  opts: { marketplace: MarketplaceCode; baseUrl: string; shopId?: string | null },
): Promise<string> {
  const tag = crypto.randomBytes(4).toString("hex");
  const [producer] = await ds.query(
    `INSERT INTO producer (legal_name, name_key, type) VALUES ($1, $2, 'COOPERATIVE') RETURNING id`,
    [`HTX Thử nghiệm ${tag}`, `htx thu nghiem ${tag}`],
  );
  const [channel] = await ds.query(
    `INSERT INTO channel (producer_id, marketplace, name, shop_id, base_url, status)
     VALUES ($1, $2, $3, $4, $5, 'ACTIVE') RETURNING id`,
    [producer.id, opts.marketplace, `${opts.marketplace} ${tag}`, opts.shopId ?? null, opts.baseUrl],
  );
  return channel.id as string;
}
