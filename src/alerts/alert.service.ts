/**
 * Alerts: evaluation of the rules (rules.ts) and what the API does with alerts.
 *
 * Evaluation is one statement per rule: the subjects whose condition holds now are upserted into
 * the open alerts (the partial unique index on (rule, subject_key) while not RESOLVED makes an open
 * or acknowledged alert absorb repeats instead of duplicating), and open alerts of the rule whose
 * subject is no longer there are resolved. A rule whose query fails resolves nothing. A new alert
 * row fires the ALERT_RAISED outbound event (trigger in migration 1764137700004).
 *
 * One evaluation per tick across the cluster: the tick key is inserted into alert_evaluation first,
 * and only the process whose insert wins evaluates.
 */
import type { DataSource } from "typeorm";
import type { Logger } from "../common/logger";
import { vnToday } from "../common/time";
import { ForbiddenError, UserErrors } from "../common/errors";
import { Scope, Viewer, hasScope, producerFilter } from "../auth/viewer";
import type { PageWindow } from "../common/graphql/relay";
import { alertEvaluations } from "../observability/registry";
import { AlertRule, AlertSeverity, AlertThresholds, DEFAULT_THRESHOLDS, RULES, ruleQuery } from "./rules";

export enum AlertStatus {
  OPEN = "OPEN",
  ACKNOWLEDGED = "ACKNOWLEDGED",
  RESOLVED = "RESOLVED",
}

export interface AlertRow {
  id: string;
  rule: AlertRule;
  subjectKey: string;
  severity: AlertSeverity;
  status: AlertStatus;
  producerId: string | null;
  channelId: string | null;
  params: Record<string, unknown>;
  raisedAt: Date;
  lastSeenAt: Date;
  acknowledgedAt: Date | null;
  acknowledgedBy: string | null;
  resolvedAt: Date | null;
}

export interface EvaluationResult {
  /** False when another process already evaluated this tick. */
  owned: boolean;
  raised: number;
  resolved: number;
  open: number;
  failedRules: string[];
}

export interface EvaluateOptions {
  /** One evaluation per key across all processes (e.g. "alerts:2026-11-26T08:41"). */
  tickKey: string;
  now?: Date;
  thresholds?: Partial<AlertThresholds>;
  log?: Logger;
}

async function tableExists(ds: DataSource, name: string): Promise<boolean> {
  const [r] = await ds.query(`SELECT to_regclass($1) IS NOT NULL AS ok`, [name]);
  return r.ok;
}

export async function evaluateAlerts(ds: DataSource, o: EvaluateOptions): Promise<EvaluationResult> {
  const claimed: unknown[] = await ds.query(
    `INSERT INTO alert_evaluation (tick_key) VALUES ($1) ON CONFLICT DO NOTHING RETURNING tick_key`,
    [o.tickKey],
  );
  const result: EvaluationResult = {
    owned: claimed.length > 0,
    raised: 0,
    resolved: 0,
    open: 0,
    failedRules: [],
  };
  if (!result.owned) return result;
  alertEvaluations.inc();
  // Tick rows are only for deduplication and a short history.
  await ds.query(`DELETE FROM alert_evaluation WHERE started_at < now() - interval '7 days'`);
  const t = { ...DEFAULT_THRESHOLDS, ...o.thresholds };
  const today = vnToday(o.now ?? new Date());
  for (const def of RULES) {
    try {
      if (def.requires && !(await tableExists(ds, def.requires))) continue;
      if (def.unless && (await tableExists(ds, def.unless))) continue;
      const q = ruleQuery(def, t, today);
      const n = q.params.length;
      const [r] = await ds.query(
        `WITH cur AS (${q.text}),
              up AS (
                INSERT INTO alert (rule, subject_key, severity, producer_id, channel_id, params)
                SELECT $${n + 1}, subject_key, $${n + 2}, producer_id, channel_id, params FROM cur
                ON CONFLICT (rule, subject_key) WHERE status <> 'RESOLVED'
                DO UPDATE SET last_seen_at = now(), params = EXCLUDED.params, severity = EXCLUDED.severity
                RETURNING (xmax = 0) AS inserted),
              gone AS (
                UPDATE alert a SET status = 'RESOLVED', resolved_at = now()
                 WHERE a.rule = $${n + 1} AND a.status <> 'RESOLVED'
                   AND NOT EXISTS (SELECT 1 FROM cur WHERE cur.subject_key = a.subject_key)
                RETURNING a.id)
         SELECT (SELECT count(*) FROM up WHERE inserted)::int AS raised,
                (SELECT count(*) FROM up)::int AS open,
                (SELECT count(*) FROM gone)::int AS resolved`,
        [...q.params, def.rule, def.severity],
      );
      result.raised += r.raised;
      result.resolved += r.resolved;
      result.open += r.open;
    } catch (err) {
      result.failedRules.push(def.rule);
      o.log?.error({ err, rule: def.rule }, "alert rule failed; its alerts are left as they were");
    }
  }
  await ds.query(
    `UPDATE alert_evaluation SET finished_at = now(), raised = $2, resolved = $3, open = $4, error = $5
      WHERE tick_key = $1`,
    [o.tickKey, result.raised, result.resolved, result.open, result.failedRules.join(",") || null],
  );
  if (result.raised || result.resolved)
    o.log?.info({ raised: result.raised, resolved: result.resolved, open: result.open }, "alerts evaluated");
  return result;
}

export interface AlertFilter {
  status?: AlertStatus[] | null;
  producerId?: string | null;
  severity?: AlertSeverity | null;
  rule?: AlertRule | null;
  channelId?: string | null;
}

const COLUMNS = `a.id, a.rule, a.subject_key AS "subjectKey", a.severity, a.status, a.producer_id AS "producerId",
  a.channel_id AS "channelId", a.params, a.raised_at AS "raisedAt", a.last_seen_at AS "lastSeenAt",
  a.acknowledged_at AS "acknowledgedAt", a.acknowledged_by AS "acknowledgedBy", a.resolved_at AS "resolvedAt"`;

/** Who may acknowledge an alert of this producer (null: a platform alert, for the operations desk). */
function canAcknowledge(v: Viewer, producerId: string | null): boolean {
  if (producerId === null) return hasScope(v, Scope.OPS) && producerFilter(v, Scope.OPS) === null;
  return [Scope.OPS, Scope.MANAGE_CHANNELS, Scope.WRITE_CATALOGUE].some((s) => hasScope(v, s, producerId));
}

export class AlertService {
  constructor(private readonly ds: DataSource) {}

  private where(viewer: Viewer, f: AlertFilter): { sql: string; params: unknown[] } {
    const params: unknown[] = [];
    const cond: string[] = [];
    const add = (c: string, v: unknown) => {
      params.push(v);
      cond.push(c.replace("$?", `$${params.length}`));
    };
    const producers = producerFilter(viewer);
    // Alerts without a producer (queue age) are platform-wide: only for viewers who see every producer.
    if (producers !== null) add(`a.producer_id = ANY($?::uuid[])`, producers);
    if (f.status?.length) add(`a.status = ANY($?::text[])`, f.status);
    if (f.producerId) add(`a.producer_id = $?`, f.producerId);
    if (f.severity) add(`a.severity = $?`, f.severity);
    if (f.rule) add(`a.rule = $?`, f.rule);
    if (f.channelId) add(`a.channel_id = $?`, f.channelId);
    return { sql: `FROM alert a${cond.length ? ` WHERE ${cond.join(" AND ")}` : ""}`, params };
  }

  /** Newest first; critical before the rest among alerts raised at the same moment. */
  async list(viewer: Viewer, f: AlertFilter, win: PageWindow): Promise<AlertRow[]> {
    const w = this.where(viewer, f);
    return this.ds.query(
      `SELECT ${COLUMNS} ${w.sql} ORDER BY a.raised_at DESC, a.id DESC OFFSET ${win.offset} LIMIT ${win.limit + 1}`,
      w.params,
    );
  }

  async count(viewer: Viewer, f: AlertFilter): Promise<number> {
    const w = this.where(viewer, f);
    const [r] = await this.ds.query(`SELECT count(*)::int AS n ${w.sql}`, w.params);
    return r.n;
  }

  async get(viewer: Viewer, id: string): Promise<AlertRow | null> {
    const [row]: AlertRow[] = await this.ds.query(`SELECT ${COLUMNS} FROM alert a WHERE a.id = $1`, [id]);
    if (!row) return null;
    const producers = producerFilter(viewer);
    if (producers !== null && (row.producerId === null || !producers.includes(row.producerId))) return null;
    return row;
  }

  /**
   * Marks an open alert as seen by someone: it stays ACKNOWLEDGED (and absorbs repeats) until its
   * condition clears. Acknowledging twice is harmless; a resolved alert cannot be acknowledged.
   */
  async acknowledge(viewer: Viewer, id: string): Promise<AlertRow> {
    const alert = await this.get(viewer, id);
    if (!alert) throw UserErrors.one("id", "NOT_FOUND", { entity: "alert", id });
    if (!canAcknowledge(viewer, alert.producerId)) throw new ForbiddenError();
    if (alert.status === AlertStatus.RESOLVED)
      throw UserErrors.one("id", "INVALID_VALUE", { label: "status", value: alert.status, allowed: "OPEN" });
    await this.ds.query(
      `UPDATE alert SET status = 'ACKNOWLEDGED', acknowledged_at = now(), acknowledged_by = $2
        WHERE id = $1 AND status = 'OPEN'`,
      [id, viewer.actor],
    );
    return (await this.get(viewer, id))!;
  }
}
