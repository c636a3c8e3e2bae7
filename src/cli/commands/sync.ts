/**
 * `sync trigger` and `sync status`: queue a sync run through triggerSync (or plan it with a dry
 * run), follow it with syncRun until it finishes, and sum it up: counts by item status, and the
 * failed items with our error code, the explanation and how to fix it.
 */
import { CliFailure, EXIT_OK, EXIT_USER, UserErrorOut } from "../client";
import { CliContext, Page, failWithUserErrors, printJson, println, readAll } from "../context";
import { resolveChannel } from "../channels";
import { formatDuration } from "../format";
import { lang, t } from "../i18n";
import { ProgressBar } from "../progress";

export const SYNC_KINDS = ["STOCK", "PRICE", "CONTENT", "ORDERS", "RECONCILE", "REFRESH_TOKEN"] as const;
const ITEM_STATUSES = ["APPLIED", "PLANNED", "SKIPPED", "RETRYING", "FAILED"] as const;

interface RunState {
  id: string;
  kind: string;
  status: string;
  outcome: string | null;
  dryRun: boolean;
  total: number;
  calls: number;
  durationMs: number | null;
  errorCode: string | null;
  errorMessage: string | null;
  channelId: string | null;
  recorded: { totalCount: number };
}

interface ItemOut {
  id: string;
  sku: string | null;
  kind: string;
  status: string;
  code: string | null;
  message: string | null;
  hint: string | null;
  remoteCode: string | null;
  remoteMessage: string | null;
  valueJson: string | null;
}

const RUN_FIELDS = `id kind status outcome dryRun total calls durationMs errorCode errorMessage channelId
  recorded: items(first: 1) { totalCount }`;

export interface WaitOptions {
  wait: boolean;
  intervalMs: number;
  timeoutMs: number;
  /** Failed (or planned) items listed in full; the rest are counted. */
  maxItems: number;
}

export async function syncTrigger(
  ctx: CliContext,
  o: { channel: string; kind: string; dryRun: boolean } & WaitOptions,
): Promise<number> {
  const channel = await resolveChannel(ctx, o.channel);
  const r = await ctx.client.request<{
    triggerSync: { run: RunState | null; userErrors: UserErrorOut[] };
  }>(
    `mutation($c: ID!, $k: SyncKind!, $d: Boolean!) {
       triggerSync(channelId: $c, kind: $k, dryRun: $d) { run { ${RUN_FIELDS} } userErrors { field code message } } }`,
    { c: channel.id, k: o.kind, d: o.dryRun },
  );
  const { run, userErrors } = r.triggerSync;
  if (userErrors.length > 0 || !run) failWithUserErrors(userErrors);
  if (run.status !== "FINISHED" && run.status !== "CANCELLED") {
    println(
      ctx,
      t("runQueued", { kind: run.kind, id: run.id, channel: `${channel.name} (${channel.marketplace})` }),
    );
    if (!o.wait) {
      println(ctx, t("runFollow", { id: run.id }));
      return pending(ctx, run);
    }
  }
  return follow(ctx, run, o);
}

/** Retries a run's failed items (all, or the given item ids) as a new RETRY run. */
export async function syncRetry(
  ctx: CliContext,
  o: { runId: string; itemIds: string[] | null } & WaitOptions,
): Promise<number> {
  const r = await ctx.client.request<{
    retrySyncItems: { run: RunState | null; userErrors: UserErrorOut[] };
  }>(
    `mutation($r: ID!, $i: [ID!]) {
       retrySyncItems(runId: $r, itemIds: $i) { run { ${RUN_FIELDS} } userErrors { field code message } } }`,
    { r: o.runId, i: o.itemIds },
  );
  const { run, userErrors } = r.retrySyncItems;
  if (userErrors.length > 0 || !run) failWithUserErrors(userErrors);
  println(ctx, t("retryQueued", { id: run.id, of: o.runId }));
  if (!o.wait && !isDone(run)) {
    println(ctx, t("runFollow", { id: run.id }));
    return pending(ctx, run);
  }
  return follow(ctx, run, o);
}

export async function syncStatus(ctx: CliContext, o: { runId: string } & WaitOptions): Promise<number> {
  const run = await readRun(ctx, o.runId);
  if (!run) throw new CliFailure(t("runNotFound", { id: o.runId }), EXIT_USER);
  if (!o.wait && run.status !== "FINISHED" && run.status !== "CANCELLED") {
    println(ctx, `${run.id}: ${run.kind} ${run.status}, ${run.recorded.totalCount} ${t("itemsDone")}`);
    return pending(ctx, run);
  }
  return follow(ctx, run, o);
}

async function readRun(ctx: CliContext, id: string): Promise<RunState | null> {
  const r = await ctx.client.request<{ syncRun: RunState | null }>(
    `query($id: ID!) { syncRun(id: $id) { ${RUN_FIELDS} } }`,
    { id },
  );
  return r.syncRun;
}

/** A run not waited for: with --json, its state so far. */
function pending(ctx: CliContext, run: RunState): number {
  if (ctx.json) {
    const { recorded, ...fields } = run;
    printJson(ctx, { run: { ...fields, itemsRecorded: recorded.totalCount } });
  }
  return EXIT_OK;
}

const isDone = (run: RunState) => run.status === "FINISHED" || run.status === "CANCELLED";

/** Waits for the run (Ctrl-C stops the waiting, not the run), then sums it up. */
async function follow(ctx: CliContext, first: RunState, o: WaitOptions): Promise<number> {
  const bar = new ProgressBar(ctx.out, first.kind, t("itemsDone"));
  const onInterrupt = () => {
    bar.stop();
    ctx.err.write(`\n${t("interrupted", { id: first.id })}\n`);
    process.exit(130);
  };
  process.once("SIGINT", onInterrupt);
  let run = first;
  try {
    if (!isDone(run)) run = await poll(ctx, run, bar, o);
  } finally {
    process.off("SIGINT", onInterrupt);
  }
  return summarise(ctx, run, o.maxItems);
}

/** Polls until the run is done, drawing items recorded so far (the total is known at the end). */
async function poll(ctx: CliContext, first: RunState, bar: ProgressBar, o: WaitOptions): Promise<RunState> {
  let run = first;
  const started = ctx.now();
  for (;;) {
    bar.update(run.recorded.totalCount, null, `(${run.status})`);
    if (ctx.now() - started > o.timeoutMs) {
      bar.stop();
      throw new CliFailure(
        t("waitTimeout", { seconds: Math.round(o.timeoutMs / 1000), id: run.id, status: run.status }),
        EXIT_USER,
      );
    }
    await new Promise((r) => setTimeout(r, o.intervalMs));
    const next = await readRun(ctx, run.id);
    if (!next) throw new CliFailure(t("runNotFound", { id: run.id }), EXIT_USER);
    run = next;
    if (isDone(run)) break;
  }
  bar.update(run.total, run.total, `(${run.status})`);
  bar.stop();
  return run;
}

async function summarise(ctx: CliContext, run: RunState, maxItems: number): Promise<number> {
  const counts = await ctx.client.request<{ syncRun: Record<string, { totalCount: number }> }>(
    `query($id: ID!) { syncRun(id: $id) { ${ITEM_STATUSES.map(
      (s) => `${s}: items(status: ${s}, first: 1) { totalCount }`,
    ).join(" ")} } }`,
    { id: run.id },
  );
  const byStatus = ITEM_STATUSES.map((s) => [s, counts.syncRun[s].totalCount] as const).filter(
    ([, n]) => n > 0,
  );
  const failedCount = counts.syncRun.FAILED.totalCount;
  const plannedCount = counts.syncRun.PLANNED.totalCount;
  const exit = run.outcome === "SUCCEEDED" ? EXIT_OK : EXIT_USER;
  if (ctx.json) {
    const { recorded: _r, ...fields } = run;
    printJson(ctx, {
      run: fields,
      byStatus: Object.fromEntries(byStatus),
      failedItems: failedCount > 0 ? await readItems(ctx, run.id, "FAILED", maxItems) : [],
      plannedItems: run.dryRun && plannedCount > 0 ? await readItems(ctx, run.id, "PLANNED", maxItems) : [],
    });
    return exit;
  }
  println(ctx);
  println(
    ctx,
    t("runSummary", {
      id: run.id,
      kind: run.kind,
      dry: run.dryRun ? (lang() === "vi" ? ", chạy thử" : ", dry run") : "",
      outcome: run.outcome ?? run.status,
      total: run.total,
      calls: run.calls,
      duration: run.durationMs === null ? "-" : formatDuration(run.durationMs),
    }),
  );
  if (byStatus.length > 0) {
    println(ctx, `${t("byStatus")} ${byStatus.map(([s, n]) => `${s} ${n}`).join(", ")}`);
  }
  if (run.errorCode) println(ctx, t("runError", { code: run.errorCode, message: run.errorMessage ?? "" }));
  if (run.dryRun) println(ctx, t("dryRunNote"));

  if (failedCount > 0) {
    const items = await readItems(ctx, run.id, "FAILED", maxItems);
    println(ctx, t("failedItems", { count: failedCount }));
    for (const i of items) {
      println(ctx, `  ✗ ${i.sku ?? "-"} (${i.kind}) ${i.code ?? "?"}: ${i.message ?? ""} [item ${i.id}]`);
      if (i.hint) println(ctx, `      → ${t("hint")}: ${i.hint}`);
      if (i.remoteCode || i.remoteMessage)
        println(
          ctx,
          `      ${t("marketplaceSaid")}: ${[i.remoteCode, i.remoteMessage].filter(Boolean).join(" ")}`,
        );
    }
    if (failedCount > items.length) println(ctx, `  ${t("andMore", { count: failedCount - items.length })}`);
    if (!run.dryRun) println(ctx, t("retryHint", { id: run.id }));
  }
  if (run.dryRun && plannedCount > 0) {
    const items = await readItems(ctx, run.id, "PLANNED", maxItems);
    println(ctx, t("plannedItems", { count: plannedCount }));
    for (const i of items) println(ctx, `  • ${i.sku ?? "-"} (${i.kind}) ${i.valueJson ?? ""}`);
    if (plannedCount > items.length)
      println(ctx, `  ${t("andMore", { count: plannedCount - items.length })}`);
  }
  return exit;
}

async function readItems(ctx: CliContext, runId: string, status: string, max: number): Promise<ItemOut[]> {
  if (max <= 0) return [];
  let taken = 0;
  return readAll(
    async (after) => {
      const r = await ctx.client.request<{ syncRun: { items: Page<ItemOut> } }>(
        `query($id: ID!, $after: String, $first: Int!) { syncRun(id: $id) {
           items(status: ${status}, first: $first, after: $after) {
             nodes { id sku kind status code message hint remoteCode remoteMessage valueJson }
             pageInfo { hasNextPage endCursor } } } }`,
        { id: runId, after, first: Math.min(100, max) },
      );
      return r.syncRun.items;
    },
    () => taken++ >= max,
  );
}
