/** Entry point of the Lazada sandbox: `createSandbox()` gives a fresh, unstarted server. */
import type { MarketplaceSandbox } from "../sandbox";
import { LazadaSandbox, type LazadaSandboxOptions } from "./lazada.sandbox";

export { LazadaSandbox, LAZADA_CAPS } from "./lazada.sandbox";
export type { LazadaSandboxOptions } from "./lazada.sandbox";

export function createSandbox(opts: LazadaSandboxOptions = {}): MarketplaceSandbox & LazadaSandbox {
  return new LazadaSandbox(opts);
}
