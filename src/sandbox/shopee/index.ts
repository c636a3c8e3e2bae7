/** Entry point of the Shopee sandbox: `createSandbox()` gives a stopped server; call `start()`. */
import type { MarketplaceSandbox } from "../sandbox";
import { ShopeeSandbox, type ShopeeSandboxOptions } from "./shopee.sandbox";

export { ShopeeSandbox, type ShopeeSandboxOptions };

export function createSandbox(opts?: ShopeeSandboxOptions): MarketplaceSandbox {
  return new ShopeeSandbox(opts);
}
