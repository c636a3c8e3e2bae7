/**
 * Token refresh ahead of expiry: a REFRESH_TOKEN run refreshes the channel's access token when it
 * expires within the lead time (or its expiry is unknown), so marketplace calls never start with a
 * dead token. The refresh itself goes through the connector and the credential store's exclusive
 * refresh, so concurrent refreshes from several workers spend a single-use refresh token once.
 */
import { SyncItemStatus } from "./entities/sync-item.entity";
import type { SyncRun } from "./entities/sync-run.entity";
import { openChannel, SyncRuntime } from "./runtime";
import { recordItems, RunTotals } from "./sync-run.service";

/** Refresh when the access token expires within this window. */
export const REFRESH_LEAD_MS = 30 * 60_000;

export async function refreshTokenRun(
  rt: SyncRuntime,
  run: Pick<SyncRun, "id" | "channelId" | "dryRun">,
  leadMs = REFRESH_LEAD_MS,
): Promise<RunTotals> {
  const { channel, connector, ctx } = await openChannel(rt, run.channelId!);
  const expiresAt = channel.accessExpiresAt?.getTime() ?? null;
  const due = expiresAt === null || expiresAt - rt.clock.now().getTime() <= leadMs;
  const value = { accessExpiresAt: channel.accessExpiresAt?.toISOString() ?? null };
  if (!due || run.dryRun) {
    await recordItems(rt.ds, run.id, [
      {
        kind: "token",
        status: run.dryRun && due ? SyncItemStatus.PLANNED : SyncItemStatus.SKIPPED,
        value,
        code: due ? null : "NOT_DUE",
      },
    ]);
    return { total: 1, applied: 0, skipped: due ? 0 : 1, failed: 0 };
  }
  await connector.refreshToken(ctx);
  const [after] = await rt.ds.query(`SELECT access_expires_at FROM channel WHERE id = $1`, [channel.id]);
  await recordItems(rt.ds, run.id, [
    {
      kind: "token",
      status: SyncItemStatus.APPLIED,
      value: { before: value.accessExpiresAt, accessExpiresAt: after?.access_expires_at ?? null },
    },
  ]);
  return { total: 1, applied: 1, skipped: 0, failed: 0, calls: 1 };
}
