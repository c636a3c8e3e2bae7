/**
 * `products import`: sends a product CSV to importProducts in chunks (a progress bar counts rows),
 * then sums up the outcomes and lists every failed row with its file row number, the CSV column
 * at fault and the hub's message. With --dry-run the hub checks and counts every row as a real
 * import would, then rolls back.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { CliFailure, EXIT_OK, EXIT_USAGE, EXIT_USER, UserErrorOut } from "../client";
import { CliContext, failWithUserErrors, printJson, println } from "../context";
import { splitCsv } from "../csv-chunks";
import { formatDuration } from "../format";
import { t } from "../i18n";
import { ProgressBar } from "../progress";

interface ImportPayload {
  created: number;
  updated: number;
  unchanged: number;
  failed: number;
  rows: Array<{ row: number; refCode: string | null; outcome: string; errors: UserErrorOut[] }>;
  userErrors: UserErrorOut[];
}

export interface ImportOptions {
  file: string;
  dryRun: boolean;
  chunkRows: number;
  /** Request body budget per chunk (the hub refuses bodies over 1 MiB). */
  chunkBytes: number;
  /** Failed rows listed in full; the rest are counted. */
  maxItems: number;
}

export async function productsImport(ctx: CliContext, o: ImportOptions): Promise<number> {
  let text: string;
  try {
    text = readFileSync(o.file, "utf8");
  } catch (e) {
    throw new CliFailure(t("cannotRead", { file: o.file, reason: (e as Error).message }), EXIT_USAGE);
  }
  let split;
  try {
    split = splitCsv(text, o.chunkRows, o.chunkBytes);
  } catch (e) {
    const reason = (e as Error).message.split("\n")[0].slice(0, 200);
    throw new CliFailure(t("csvUnreadable", { reason }), EXIT_USER);
  }
  if (split.chunks.length === 0) {
    // No data rows: let the hub say what it thinks of the header (missing columns and so on).
    const r = await send(ctx, text, o.dryRun);
    if (r.userErrors.length > 0) failWithUserErrors(r.userErrors);
    throw new CliFailure(t("emptyCsv"), EXIT_USER);
  }

  const started = ctx.now();
  const totals = { created: 0, updated: 0, unchanged: 0, failed: 0 };
  const failedRows: ImportPayload["rows"] = [];
  const bar = new ProgressBar(ctx.out, path.basename(o.file), t("rowsDone"));
  let done = 0;
  bar.update(0, split.rows);
  for (const chunk of split.chunks) {
    const r = await send(ctx, chunk.text, o.dryRun);
    if (r.userErrors.length > 0) {
      bar.stop();
      failWithUserErrors(r.userErrors);
    }
    totals.created += r.created;
    totals.updated += r.updated;
    totals.unchanged += r.unchanged;
    totals.failed += r.failed;
    for (const row of r.rows)
      if (row.outcome === "FAILED") failedRows.push({ ...row, row: row.row + chunk.offset });
    done += chunk.rows;
    bar.update(done, split.rows);
  }
  bar.stop();
  const exit = totals.failed > 0 ? EXIT_USER : EXIT_OK;
  if (ctx.json) {
    printJson(ctx, {
      file: o.file,
      dryRun: o.dryRun,
      rows: totals.created + totals.updated + totals.unchanged + totals.failed,
      ...totals,
      durationMs: ctx.now() - started,
      failedRows: failedRows.map((r) => ({ row: r.row, refCode: r.refCode, errors: r.errors })),
    });
    return exit;
  }

  println(ctx);
  println(
    ctx,
    t("importSummary", {
      dry: o.dryRun ? t("importDry") : "",
      rows: totals.created + totals.updated + totals.unchanged + totals.failed,
      file: o.file,
      ...totals,
      duration: formatDuration(ctx.now() - started),
    }),
  );
  if (failedRows.length > 0) {
    println(ctx, t("rowErrors", { count: failedRows.length }));
    for (const row of failedRows.slice(0, o.maxItems)) {
      const id = row.refCode ? ` (id ${row.refCode})` : "";
      for (const e of row.errors)
        println(
          ctx,
          `  ✗ ${t("row", { row: row.row })}${id} ${e.field ? `${e.field}: ` : ""}${e.message} [${e.code}]`,
        );
    }
    if (failedRows.length > o.maxItems)
      println(ctx, `  ${t("andMore", { count: failedRows.length - o.maxItems })}`);
  }
  return exit;
}

async function send(ctx: CliContext, csv: string, dryRun: boolean): Promise<ImportPayload> {
  const r = await ctx.client.request<{ importProducts: ImportPayload }>(
    `mutation($csv: String!, $dry: Boolean!) { importProducts(csv: $csv, dryRun: $dry) {
       created updated unchanged failed
       rows { row refCode outcome errors { field code message } }
       userErrors { field code message } } }`,
    { csv, dry: dryRun },
  );
  return r.importProducts;
}
