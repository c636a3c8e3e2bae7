/**
 * `channels health`: one line per channel the key can see: marketplace, status, token expiry
 * countdowns, when each kind of sync last succeeded, and the failed items of the last 24 hours
 * (summed over runs that ended FAILED or PARTIALLY_FAILED, the only ones with failed items).
 */
import { EXIT_OK } from "../client";
import { CliContext, Page, printJson, println, readAll } from "../context";
import { listChannels } from "../channels";
import { countdown, since, table } from "../format";
import { lang, t } from "../i18n";

/** The table's columns; --json gives every kind the hub reports. */
const HEALTH_KINDS = ["PUBLISH", "STOCK", "PRICE", "CONTENT", "ORDERS", "RECONCILE"] as const;
const DAY_MS = 24 * 3600 * 1000;

interface ChannelHealth {
  id: string;
  name: string;
  marketplace: string;
  status: string;
  accessExpiresAt: string | null;
  refreshExpiresAt: string | null;
  lastAuthError: string | null;
  lastSuccess: Array<{ kind: string; at: string }>;
  listingCounts: Array<{ state: string; count: number }>;
}

interface RunRow {
  channelId: string | null;
  failed: number;
  queuedAt: string;
}

export async function channelsHealth(ctx: CliContext): Promise<number> {
  const now = ctx.now();
  const channels = (await listChannels(
    ctx,
    "id name marketplace status accessExpiresAt refreshExpiresAt lastAuthError lastSuccess { kind at } listingCounts { state count }",
  )) as ChannelHealth[];
  const failed24h = await failedSince(ctx, now - DAY_MS);

  const rows = channels.map((c) => {
    const last: Record<string, string | null> = {};
    for (const k of HEALTH_KINDS) last[k] = null;
    for (const s of c.lastSuccess) last[s.kind.toUpperCase()] = s.at;
    return { ...c, lastSuccessByKind: last, failedItems24h: failed24h.get(c.id) ?? 0 };
  });

  if (ctx.json) {
    printJson(
      ctx,
      rows.map((r) => ({
        id: r.id,
        name: r.name,
        marketplace: r.marketplace,
        status: r.status,
        accessExpiresAt: r.accessExpiresAt,
        accessExpiresInSeconds: secondsUntil(r.accessExpiresAt, now),
        refreshExpiresAt: r.refreshExpiresAt,
        refreshExpiresInSeconds: secondsUntil(r.refreshExpiresAt, now),
        lastAuthError: r.lastAuthError,
        lastSuccess: r.lastSuccessByKind,
        listings: Object.fromEntries(r.listingCounts.map((l) => [l.state, l.count])),
        failedItems24h: r.failedItems24h,
      })),
    );
    return EXIT_OK;
  }
  if (rows.length === 0) {
    println(ctx, t("noChannels"));
    return EXIT_OK;
  }
  const vi = lang() === "vi";
  const headers = [
    vi ? "KÊNH" : "CHANNEL",
    vi ? "SÀN" : "MARKETPLACE",
    vi ? "TRẠNG THÁI" : "STATUS",
    "TOKEN",
    vi ? "CẤP LẠI QUYỀN" : "RE-AUTH",
    vi ? "TIN ĐĂNG" : "LISTINGS",
    ...HEALTH_KINDS,
    vi ? "LỖI 24H" : "FAILED 24H",
  ];
  const body = rows.map((r) => [
    r.name,
    r.marketplace,
    r.status === "ACTIVE" ? r.status : `${r.status} !`,
    countdown(r.accessExpiresAt, now),
    countdown(r.refreshExpiresAt, now),
    r.listingCounts.map((l) => `${l.state} ${l.count}`).join(", ") || "-",
    ...HEALTH_KINDS.map((k) => since(r.lastSuccessByKind[k], now)),
    String(r.failedItems24h),
  ]);
  println(ctx, table(headers, body));
  for (const r of rows.filter((x) => x.lastAuthError)) println(ctx, `! ${r.name}: ${r.lastAuthError}`);
  println(ctx);
  println(ctx, t("healthNote"));
  return EXIT_OK;
}

function secondsUntil(at: string | null, now: number): number | null {
  return at ? Math.round((Date.parse(at) - now) / 1000) : null;
}

/** Failed items per channel id in runs queued since `from` (runs come newest first). */
async function failedSince(ctx: CliContext, from: number): Promise<Map<string, number>> {
  const sums = new Map<string, number>();
  for (const outcome of ["FAILED", "PARTIALLY_FAILED"]) {
    const runs = await readAll<RunRow>(
      async (after) => {
        const r = await ctx.client.request<{ syncRuns: Page<RunRow> }>(
          `query($after: String, $f: SyncRunFilterInput) { syncRuns(first: 50, after: $after, filter: $f) {
             nodes { channelId failed queuedAt } pageInfo { hasNextPage endCursor } } }`,
          { after, f: { outcome } },
        );
        return r.syncRuns;
      },
      (run) => Date.parse(run.queuedAt) < from,
    );
    for (const run of runs)
      if (run.channelId) sums.set(run.channelId, (sums.get(run.channelId) ?? 0) + run.failed);
  }
  return sums;
}
