/**
 * The audit log: who changed what, from where. Entries are written by the Apollo plugin for every
 * successful mutation and by services that want a before/after diff inside their own transaction
 * (`record(m, …)`). Values pass through `auditSafe` first: secrets are replaced, long texts
 * summarised. Reading: platform admins and ops see everything; others the entries about their
 * producers and the ones they made themselves.
 */
import crypto from "node:crypto";
import type { DataSource, EntityManager } from "typeorm";
import { redact, REDACTED } from "../channels/connectors/http/redact";
import { fromGlobalId } from "../common/graphql/global-id";
import type { PageWindow } from "../common/graphql/relay";
import { Viewer, grantsOf, isPlatformAdmin, producerFilter, Scope } from "../auth/viewer";

export interface AuditEntryInput {
  actor: string;
  userId?: string | null;
  apiKeyId?: string | null;
  operation: string;
  targetType?: string | null;
  targetId?: string | null;
  /** Producers the entry is about (who else may read it). */
  producerIds?: readonly string[];
  changes?: unknown;
  ip?: string | null;
  requestId?: string | null;
}

export interface AuditEntryRow {
  id: string;
  at: Date;
  actor: string;
  userId: string | null;
  apiKeyId: string | null;
  operation: string;
  targetType: string | null;
  targetId: string | null;
  producerIds: string[];
  changes: Record<string, unknown>;
  ip: string | null;
  requestId: string | null;
}

export interface AuditFilter {
  targetId?: string | null;
  actor?: string | null;
  operation?: string | null;
  from?: Date | null;
  to?: Date | null;
}

/** Names whose values never enter the log, beyond what redact() already knows. */
const SECRET_NAME = /pass(word)?|secret|token|credential|^key$|apikey|privatekey|signature/i;
const LONG_TEXT = 2_000;

/** A copy of `value` fit for the audit log: secret-named fields replaced, long strings summarised. */
export function auditSafe(value: unknown): unknown {
  const walk = (v: unknown): unknown => {
    if (typeof v === "string") {
      if (v.length <= LONG_TEXT) return v;
      const digest = crypto.createHash("sha256").update(v).digest("hex").slice(0, 16);
      return `<text: ${v.length} characters, sha256 ${digest}…>`;
    }
    if (v === null || typeof v !== "object") return v;
    if (v instanceof Date) return v.toISOString();
    if (Array.isArray(v)) return v.map(walk);
    const out: Record<string, unknown> = {};
    for (const [k, child] of Object.entries(v)) out[k] = SECRET_NAME.test(k) ? REDACTED : walk(child);
    return out;
  };
  return walk(redact(value));
}

/** The entity global ids (and bare UUIDs) found anywhere in a value, in order of appearance. */
export function idsIn(value: unknown, out: Array<{ type: string; id: string }> = []): typeof out {
  if (typeof value === "string") {
    const g = fromGlobalId(value);
    if (g) out.push(g);
  } else if (Array.isArray(value)) {
    for (const v of value) idsIn(v, out);
  } else if (value && typeof value === "object") {
    for (const v of Object.values(value)) idsIn(v, out);
  }
  return out;
}

/**
 * Writes one entry. Services pass their transaction's manager, so the entry commits (or rolls back)
 * with the change it describes; use it where a before/after diff matters (prices, credentials).
 */
export async function writeAuditEntry(m: EntityManager | DataSource, e: AuditEntryInput): Promise<void> {
  await m.query(
    `INSERT INTO audit_log (actor, user_id, api_key_id, operation, target_type, target_id, producer_ids, changes, ip, request_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7::uuid[], $8::jsonb, $9, $10)`,
    [
      e.actor,
      e.userId ?? null,
      e.apiKeyId ?? null,
      e.operation,
      e.targetType ?? null,
      e.targetId ?? null,
      [...new Set(e.producerIds ?? [])],
      JSON.stringify(auditSafe(e.changes ?? {})),
      e.ip ?? null,
      e.requestId ?? null,
    ],
  );
}

export class AuditService {
  constructor(private readonly ds: DataSource) {}

  async record(e: AuditEntryInput, m: EntityManager | DataSource = this.ds): Promise<void> {
    await writeAuditEntry(m, e);
  }

  /** Producers owning the given entity ids (producers, products, variants, certifications, channels, keys). */
  async producersOf(ids: readonly string[]): Promise<string[]> {
    if (ids.length === 0) return [];
    const rows: Array<{ producer_id: string }> = await this.ds.query(
      `SELECT DISTINCT producer_id FROM (
         SELECT id AS producer_id FROM producer WHERE id = ANY($1::uuid[])
         UNION ALL SELECT producer_id FROM product WHERE id = ANY($1::uuid[])
         UNION ALL SELECT producer_id FROM variant WHERE id = ANY($1::uuid[])
         UNION ALL SELECT p.producer_id FROM ocop_certification c JOIN product p ON p.id = c.product_id
                    WHERE c.id = ANY($1::uuid[])
         UNION ALL SELECT producer_id FROM channel WHERE id = ANY($1::uuid[])
         UNION ALL SELECT producer_id FROM api_key WHERE id = ANY($1::uuid[]) AND producer_id IS NOT NULL
       ) x`,
      [[...new Set(ids)]],
    );
    return rows.map((r) => r.producer_id);
  }

  async page(
    viewer: Viewer,
    filter: AuditFilter | null | undefined,
    win: PageWindow,
  ): Promise<{ rows: AuditEntryRow[]; count: () => Promise<number> }> {
    const f = filter ?? {};
    const where: string[] = [];
    const params: unknown[] = [];
    const p = (v: unknown) => {
      params.push(v);
      return `$${params.length}`;
    };
    const everything = isPlatformAdmin(viewer) || grantsOf(viewer).everywhere.has(Scope.OPS);
    if (!everything) {
      const mine = producerFilter(viewer) ?? [];
      const self = viewer.userId ? ` OR a.user_id = ${p(viewer.userId)}` : "";
      where.push(`(a.producer_ids && ${p(mine)}::uuid[] OR a.actor = ${p(viewer.actor)}${self})`);
    }
    if (f.targetId) where.push(`a.target_id = ${p(f.targetId)}`);
    if (f.actor) where.push(`a.actor = ${p(f.actor)}`);
    if (f.operation) where.push(`a.operation = ${p(f.operation)}`);
    if (f.from) where.push(`a.at >= ${p(f.from)}`);
    if (f.to) where.push(`a.at < ${p(f.to)}`);
    const from = `FROM audit_log a ${where.length ? `WHERE ${where.join(" AND ")}` : ""}`;
    const countParams = [...params];
    const rows: AuditEntryRow[] = await this.ds.query(
      `SELECT a.id::text AS id, a.at, a.actor, a.user_id AS "userId", a.api_key_id AS "apiKeyId",
              a.operation, a.target_type AS "targetType", a.target_id AS "targetId",
              a.producer_ids AS "producerIds", a.changes, a.ip, a.request_id AS "requestId"
         ${from} ORDER BY a.id DESC OFFSET ${p(win.offset)} LIMIT ${p(win.limit + 1)}`,
      params,
    );
    return {
      rows,
      count: async () => (await this.ds.query(`SELECT count(*)::int AS n ${from}`, countParams))[0].n,
    };
  }
}
