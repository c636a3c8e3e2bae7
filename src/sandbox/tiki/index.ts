/** Entry point of the Tiki sandbox: `createSandbox()` gives a stopped server; call `start()`. */
import type { MarketplaceSandbox } from "../sandbox";
import { TikiSandbox } from "./tiki.sandbox";

export { TikiSandbox, TIKI_SANDBOX_LIMITS } from "./tiki.sandbox";

export function createSandbox(): MarketplaceSandbox {
  return new TikiSandbox();
}
