/** Factories for every marketplace sandbox, by marketplace code (tests, benchmarks, `--role sandbox`). */
import type { MarketplaceCode } from "../channels/connectors/connector";
import type { MarketplaceSandbox } from "./sandbox";
import { createSandbox as shopee } from "./shopee";
import { createSandbox as lazada } from "./lazada";
import { createSandbox as tiktokShop } from "./tiktok-shop";
import { createSandbox as tiki } from "./tiki";

export const SANDBOXES: Record<MarketplaceCode, () => MarketplaceSandbox> = {
  shopee,
  lazada,
  "tiktok-shop": tiktokShop,
  tiki,
};
