/**
 * Starts one sandbox per marketplace on consecutive ports (`npm run sandbox`, and inside `npm start`).
 * Each is a real HTTP server speaking that marketplace's protocol.
 */
import type { Logger } from "../common/logger";
import { SANDBOXES } from "./registry";
import type { MarketplaceSandbox } from "./sandbox";
import type { MarketplaceCode } from "../channels/connectors/connector";

export interface StartedSandboxes {
  sandboxes: Record<MarketplaceCode, MarketplaceSandbox>;
  close(): Promise<void>;
}

export async function startAllSandboxes(firstPort: number, log: Logger): Promise<StartedSandboxes> {
  const sandboxes = {} as Record<MarketplaceCode, MarketplaceSandbox>;
  let port = firstPort;
  for (const [code, create] of Object.entries(SANDBOXES) as Array<
    [MarketplaceCode, () => MarketplaceSandbox]
  >) {
    const sandbox = create();
    const url = await sandbox.start(firstPort === 0 ? 0 : port++);
    sandboxes[code] = sandbox;
    log.info({ marketplace: code, url }, "marketplace sandbox listening");
  }
  return {
    sandboxes,
    close: async () => {
      for (const s of Object.values(sandboxes)) await s.close();
    },
  };
}
