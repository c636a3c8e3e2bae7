/** Entry point of the TikTok Shop sandbox: one fresh in-memory marketplace per call. */
import type { MarketplaceSandbox } from "../sandbox";
import { TiktokShopSandbox } from "./tiktok-shop.sandbox";

export { TiktokShopSandbox, SANDBOX_CODES } from "./tiktok-shop.sandbox";

export function createSandbox(opts: { now?: () => number } = {}): MarketplaceSandbox {
  return new TiktokShopSandbox(opts.now);
}
