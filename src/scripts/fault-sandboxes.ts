/**
 * The four marketplace sandboxes in a process of their own, driven over IPC by the fault suite and
 * the load/soak/scale-out benches: the hub processes can then be killed and restarted while the
 * marketplaces (and their in-memory shops and orders) live on, as real marketplaces do.
 *
 * Protocol (child_process IPC): the parent sends {id, code, method, args}; the child calls
 * sandboxes[code][method](...args) and answers {id, ok: true, result} or {id, ok: false, error}.
 * On start the child sends {ready: true, urls}. FAULT_SANDBOX_SEED seeds Math.random (fault dice,
 * ids) so a run's marketplace behaviour can be replayed as closely as timing allows.
 */
import type { MarketplaceCode } from "../channels/connectors/connector";
import type { MarketplaceSandbox } from "../sandbox/sandbox";
import { SANDBOXES } from "../sandbox/registry";
import { prng } from "./prng";

export interface SandboxCall {
  id: number;
  code: MarketplaceCode;
  method: keyof MarketplaceSandbox;
  args: unknown[];
}

export type SandboxAnswer =
  | { id: number; ok: true; result: unknown }
  | { id: number; ok: false; error: string };

async function main(): Promise<void> {
  if (!process.send) throw new Error("fault-sandboxes must be started with an IPC channel (fork)");
  const seed = Number(process.env.FAULT_SANDBOX_SEED);
  if (Number.isFinite(seed) && process.env.FAULT_SANDBOX_SEED) Math.random = prng(seed);
  const sandboxes = {} as Record<MarketplaceCode, MarketplaceSandbox>;
  const urls = {} as Record<MarketplaceCode, string>;
  for (const [code, create] of Object.entries(SANDBOXES) as Array<
    [MarketplaceCode, () => MarketplaceSandbox]
  >) {
    sandboxes[code] = create();
    urls[code] = await sandboxes[code].start(0);
  }
  process.on("message", (m: SandboxCall) => {
    void (async () => {
      let answer: SandboxAnswer;
      try {
        const sb = sandboxes[m.code];
        const fn = sb?.[m.method] as unknown;
        if (typeof fn !== "function") throw new Error(`no method ${String(m.method)} on sandbox ${m.code}`);
        const result = await (fn as (...a: unknown[]) => unknown).apply(sb, m.args);
        answer = { id: m.id, ok: true, result: result ?? null };
      } catch (e) {
        answer = { id: m.id, ok: false, error: e instanceof Error ? e.message : String(e) };
      }
      process.send!(answer);
    })();
  });
  // The parent going away (even by SIGKILL) ends the sandboxes too.
  process.on("disconnect", () => {
    void Promise.all(Object.values(sandboxes).map((s) => s.close())).finally(() => process.exit(0));
  });
  process.send({ ready: true, urls });
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
