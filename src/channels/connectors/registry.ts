/**
 * Every marketplace connector the hub ships, by marketplace code. Adding a marketplace is one
 * connector folder, one sandbox folder, one line here and one in src/sandbox/registry.ts.
 */
import type { MarketplaceCode, MarketplaceConnector } from "./connector";
import { connector as shopee } from "./shopee";
import { connector as lazada } from "./lazada";
import { connector as tiktokShop } from "./tiktok-shop";
import { connector as tiki } from "./tiki";

export const CONNECTORS: Record<MarketplaceCode, MarketplaceConnector> = {
  shopee,
  lazada,
  "tiktok-shop": tiktokShop,
  tiki,
};

export const MARKETPLACE_CODES = Object.keys(CONNECTORS) as MarketplaceCode[];
