/**
 * Sync runs as data: every run is a row (kind, trigger, status, outcome, counts, timing) and every
 * item it touched a row with the marketplace's code, ours, and a message and fix hint in vi/en.
 */
import type { DataSource, EntityManager } from "typeorm";
import { SyncItemStatus } from "./entities/sync-item.entity";
import { SyncKind, SyncOutcome, SyncRun, SyncRunStatus, SyncTrigger } from "./entities/sync-run.entity";
import { recordSyncItems } from "../observability/registry";

export interface NewRun {
  channelId: string | null;
  kind: SyncKind;
  trigger: SyncTrigger;
  dryRun?: boolean;
  requestId?: string | null;
  details?: Record<string, unknown>;
}

export interface ItemRecord {
  listingId?: string | null;
  sku?: string | null;
  kind: string;
  status: SyncItemStatus;
  version?: string | number | null;
  value?: unknown;
  remoteCode?: string | null;
  remoteMessage?: string | null;
  code?: string | null;
  messageVi?: string | null;
  messageEn?: string | null;
  hintVi?: string | null;
  hintEn?: string | null;
  attempts?: number;
}

type Db = DataSource | EntityManager;

export async function createRun(db: Db, run: NewRun, status = SyncRunStatus.QUEUED): Promise<SyncRun> {
  const repo = db.getRepository(SyncRun);
  return repo.save(
    repo.create({
      channelId: run.channelId,
      kind: run.kind,
      trigger: run.trigger,
      dryRun: run.dryRun ?? false,
      requestId: run.requestId ?? null,
      details: run.details ?? {},
      status,
      outcome: null,
      total: 0,
      applied: 0,
      skipped: 0,
      failed: 0,
      calls: 0,
      queuedAt: new Date(),
      startedAt: status === SyncRunStatus.RUNNING ? new Date() : null,
      finishedAt: null,
      errorCode: null,
      errorMessage: null,
    }),
  );
}

/** Marks a QUEUED run RUNNING; false when it was already taken, finished or cancelled. */
export async function startRun(db: Db, runId: string): Promise<boolean> {
  const rows = await db.query(
    `WITH u AS (UPDATE sync_run SET status = 'RUNNING', started_at = now() WHERE id = $1 AND status = 'QUEUED' RETURNING id)
     SELECT id FROM u`,
    [runId],
  );
  return rows.length === 1;
}

/** Appends item results in one statement. */
export async function recordItems(db: Db, runId: string, items: ItemRecord[]): Promise<void> {
  if (items.length === 0) return;
  recordSyncItems(items);
  const cols = [
    "listing_id",
    "sku",
    "kind",
    "status",
    "version",
    "value",
    "remote_code",
    "remote_message",
    "code",
    "message_vi",
    "message_en",
    "hint_vi",
    "hint_en",
    "attempts",
  ];
  const values = items.map((i) => [
    i.listingId ?? null,
    i.sku ?? null,
    i.kind,
    i.status,
    i.version == null ? null : String(i.version),
    i.value === undefined ? null : JSON.stringify(i.value),
    i.remoteCode ?? null,
    i.remoteMessage ?? null,
    i.code ?? null,
    i.messageVi ?? null,
    i.messageEn ?? null,
    i.hintVi ?? null,
    i.hintEn ?? null,
    i.attempts ?? 1,
  ]);
  const types = [
    "uuid",
    "text",
    "text",
    "text",
    "bigint",
    "jsonb",
    "text",
    "text",
    "text",
    "text",
    "text",
    "text",
    "text",
    "int",
  ];
  await db.query(
    `INSERT INTO sync_item (run_id, ${cols.join(", ")})
     SELECT $1, * FROM unnest(${types.map((t, i) => `$${i + 2}::${t}[]`).join(", ")})`,
    [runId, ...cols.map((_, c) => values.map((v) => v[c]))],
  );
}

export interface RunTotals {
  total: number;
  applied: number;
  skipped: number;
  failed: number;
  calls?: number;
  errorCode?: string | null;
  errorMessage?: string | null;
  details?: Record<string, unknown>;
}

/** Outcome from counts: nothing failed → SUCCEEDED; everything failed → FAILED; else PARTIALLY_FAILED. */
export function outcomeOf(t: Pick<RunTotals, "total" | "failed" | "errorCode">): SyncOutcome {
  if (t.errorCode && t.failed === 0 && t.total === 0) return SyncOutcome.FAILED;
  if (t.failed === 0 && !t.errorCode) return SyncOutcome.SUCCEEDED;
  return t.failed >= t.total ? SyncOutcome.FAILED : SyncOutcome.PARTIALLY_FAILED;
}

export async function finishRun(db: Db, runId: string, t: RunTotals): Promise<void> {
  await db.query(
    `UPDATE sync_run SET status = 'FINISHED', outcome = $2, total = $3, applied = $4, skipped = $5, failed = $6,
            calls = calls + $7, error_code = $8, error_message = $9, details = details || $10::jsonb, finished_at = now()
      WHERE id = $1`,
    [
      runId,
      outcomeOf(t),
      t.total,
      t.applied,
      t.skipped,
      t.failed,
      t.calls ?? 0,
      t.errorCode ?? null,
      t.errorMessage ?? null,
      JSON.stringify(t.details ?? {}),
    ],
  );
}
