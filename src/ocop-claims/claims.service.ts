/**
 * OCOP claims follow the certificate. A certificate stops being in force by the passage of time (no
 * write happens), so `refresh()` compares, per product, the claim last projected (ocop_claim_state)
 * with the certificate in force on the clock's day; every difference is recorded in
 * ocop_claim_change (old claim, new claim, why) and, when time caused it, the product's listings are
 * marked content-dirty through the outbox (listing_touch: same transaction, NOTIFY at commit).
 * Written changes (record, supersede, revoke, import) already mark listings dirty by trigger; the
 * trigger also queues the product in ocop_claim_pending so the same comparison records them.
 *
 * Candidates are only the products queued by writes and those with a certificate whose last valid
 * day lies between the last day covered (ocop_claim_cursor) and today, so a run costs nothing on
 * most days. Cluster-safe: one transaction under an advisory lock; the comparison against stored
 * state makes a second run (another worker, a retry) find nothing, so each change is recorded and
 * pushed once.
 */
import type { DataSource, EntityManager } from "typeorm";
import type { Logger } from "../common/logger";
import { Clock, vnToday } from "../common/time";
import { ClaimChangeReason, ClaimChangeSource, changeReason } from "./claim-rules";

/** One recorded change of a product's claim. */
export interface ChangeRow {
  productId: string;
  producerId: string;
  reason: ClaimChangeReason;
  source: ClaimChangeSource;
  oldCertificationId: string | null;
  oldStar: number | null;
  oldDecisionNumber: string | null;
  newCertificationId: string | null;
  newStar: number | null;
  newDecisionNumber: string | null;
  effectiveDay: string;
  listingsTouched: number;
}

/** Advisory lock key of the claim job (any constant shared by every process). */
const CLAIM_LOCK = 7_700_003;

export interface RefreshOptions {
  /** Products to look at besides the queued and time-crossed ones (e.g. right after a write). */
  productIds?: string[];
  /** Wait for another process's run instead of skipping (default false: the other run covers it). */
  wait?: boolean;
}

export interface RefreshResult {
  /** False when another process held the lock (its run covers the same ground). */
  ran: boolean;
  day: string;
  candidates: number;
  changes: ChangeRow[];
  listingsTouched: number;
}

interface DiffRow {
  product_id: string;
  producer_id: string;
  old_id: string | null;
  old_star: number | null;
  old_dn: string | null;
  old_status: string | null;
  new_id: string | null;
  new_star: number | null;
  new_dn: string | null;
  new_rerec: boolean | null;
}

export class OcopClaimsService {
  constructor(
    private readonly ds: DataSource,
    private readonly clock: Clock,
    private readonly log?: Logger,
  ) {}

  async refresh(opts: RefreshOptions = {}): Promise<RefreshResult> {
    const day = vnToday(this.clock.now());
    const result = await this.ds.transaction((m) => this.refreshIn(m, day, opts));
    if (result.changes.length)
      this.log?.info(
        { day, changes: result.changes.length, listingsTouched: result.listingsTouched },
        "OCOP claims changed",
      );
    return result;
  }

  private async refreshIn(m: EntityManager, day: string, opts: RefreshOptions): Promise<RefreshResult> {
    const empty: RefreshResult = { ran: false, day, candidates: 0, changes: [], listingsTouched: 0 };
    if (opts.wait) await m.query(`SELECT pg_advisory_xact_lock($1)`, [CLAIM_LOCK]);
    else {
      const [{ ok }] = await m.query(`SELECT pg_try_advisory_xact_lock($1) AS ok`, [CLAIM_LOCK]);
      if (!ok) return empty;
    }
    const [cursor] = await m.query(`SELECT last_day::text AS last_day FROM ocop_claim_cursor`);
    const last: string | null = cursor?.last_day ?? null;
    // Taken off the queue first: a write committed after this point is queued again for the next run.
    const written: Array<{ product_id: string }> = await m.query(
      // (A CTE: TypeORM returns [rows, count] for a bare DELETE … RETURNING.)
      `WITH d AS (DELETE FROM ocop_claim_pending RETURNING product_id) SELECT product_id FROM d`,
    );
    const writtenIds = new Set([...written.map((w) => w.product_id), ...(opts.productIds ?? [])]);
    // A certificate's status changes between `last` and `day` iff its last valid day is in [lo, hi).
    const [lo, hi] = last === null ? [null, null] : last <= day ? [last, day] : [day, last];
    const timed: Array<{ product_id: string }> =
      lo === null
        ? await m.query(
            `SELECT product_id FROM ocop_certification UNION SELECT product_id FROM ocop_claim_state`,
          )
        : lo === hi
          ? []
          : await m.query(
              `SELECT DISTINCT product_id FROM ocop_certification WHERE valid_until >= $1::date AND valid_until < $2::date`,
              [lo, hi],
            );
    const candidates = [...new Set([...writtenIds, ...timed.map((t) => t.product_id)])];
    await m.query(
      `INSERT INTO ocop_claim_cursor (id, last_day) VALUES (true, $1)
       ON CONFLICT (id) DO UPDATE SET last_day = EXCLUDED.last_day, updated_at = now()`,
      [day],
    );
    if (candidates.length === 0) return { ...empty, ran: true };

    const diff: DiffRow[] = await m.query(
      `SELECT c.product_id, p.producer_id,
              s.certification_id AS old_id, s.star AS old_star, s.decision_number AS old_dn,
              CASE WHEN s.star IS NULL THEN NULL
                   WHEN o.id IS NULL THEN 'MISSING'
                   ELSE ocop_cert_status(o.valid_until, o.superseded_at, o.revoked_at, $2::date) END AS old_status,
              n.id AS new_id, n.star AS new_star, n.decision_number AS new_dn, n.is_re_recognition AS new_rerec
         FROM unnest($1::uuid[]) AS c(product_id)
         JOIN product p ON p.id = c.product_id
         LEFT JOIN ocop_claim_state s ON s.product_id = c.product_id
         LEFT JOIN ocop_certification o ON o.id = s.certification_id
         LEFT JOIN LATERAL (
                SELECT x.id, x.star, x.decision_number, x.is_re_recognition
                  FROM ocop_current_cert(c.product_id, $2::date) cur JOIN ocop_certification x ON x.id = cur.id
                 WHERE cur.status IN ('ACTIVE','EXPIRING')) n ON true
        WHERE (s.star IS NOT NULL) <> (n.id IS NOT NULL)
           OR (s.star IS NOT NULL AND s.certification_id IS DISTINCT FROM n.id)`,
      [candidates, day],
    );
    const changes: ChangeRow[] = [];
    for (const d of diff) {
      const reason = changeReason(
        { certificationId: d.old_id, star: d.old_star },
        d.old_status,
        { certificationId: d.new_id, star: d.new_star },
        d.new_rerec ?? false,
      );
      if (!reason) continue;
      changes.push({
        productId: d.product_id,
        producerId: d.producer_id,
        reason,
        source: writtenIds.has(d.product_id) ? ClaimChangeSource.WRITE : ClaimChangeSource.SCHEDULE,
        oldCertificationId: d.old_id,
        oldStar: d.old_star,
        oldDecisionNumber: d.old_dn,
        newCertificationId: d.new_id,
        newStar: d.new_star,
        newDecisionNumber: d.new_dn,
        effectiveDay: day,
        listingsTouched: 0,
      });
    }
    if (changes.length === 0) return { ...empty, ran: true, candidates: candidates.length };

    const ids = changes.map((c) => c.productId);
    const counts: Array<{ product_id: string; n: number }> = await m.query(
      `SELECT product_id, count(*)::int AS n FROM listing WHERE product_id = ANY($1::uuid[]) AND state <> 'DELISTED'
        GROUP BY product_id`,
      [ids],
    );
    const countOf = new Map(counts.map((c) => [c.product_id, c.n]));
    for (const c of changes) c.listingsTouched = countOf.get(c.productId) ?? 0;
    // Written changes were marked dirty by the certificate trigger in their own transaction.
    const timedIds = changes.filter((c) => c.source === ClaimChangeSource.SCHEDULE).map((c) => c.productId);
    if (timedIds.length) await m.query(`SELECT listing_touch(NULL, $1::uuid[], 'content')`, [timedIds]);

    await m.query(
      `INSERT INTO ocop_claim_state (product_id, certification_id, star, decision_number, updated_at)
       SELECT * , now() FROM unnest($1::uuid[], $2::uuid[], $3::smallint[], $4::text[])
       ON CONFLICT (product_id) DO UPDATE SET certification_id = EXCLUDED.certification_id, star = EXCLUDED.star,
              decision_number = EXCLUDED.decision_number, updated_at = now()`,
      [
        ids,
        changes.map((c) => c.newCertificationId),
        changes.map((c) => c.newStar),
        changes.map((c) => c.newDecisionNumber),
      ],
    );
    await m.query(
      `INSERT INTO ocop_claim_change (product_id, producer_id, reason, source, old_certification_id, old_star,
              old_decision_number, new_certification_id, new_star, new_decision_number, effective_day, listings_touched)
       SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::uuid[], $6::smallint[], $7::text[],
                            $8::uuid[], $9::smallint[], $10::text[], $11::date[], $12::int[])`,
      [
        ids,
        changes.map((c) => c.producerId),
        changes.map((c) => c.reason),
        changes.map((c) => c.source),
        changes.map((c) => c.oldCertificationId),
        changes.map((c) => c.oldStar),
        changes.map((c) => c.oldDecisionNumber),
        changes.map((c) => c.newCertificationId),
        changes.map((c) => c.newStar),
        changes.map((c) => c.newDecisionNumber),
        changes.map((c) => c.effectiveDay),
        changes.map((c) => c.listingsTouched),
      ],
    );
    return {
      ran: true,
      day,
      candidates: candidates.length,
      changes,
      listingsTouched: changes.reduce((n, c) => n + c.listingsTouched, 0),
    };
  }

  /** Whether a run has anything to do today (cheap; the job asks before every run). */
  async due(): Promise<boolean> {
    const [r] = await this.ds.query(
      `SELECT (SELECT last_day::text FROM ocop_claim_cursor) AS last_day,
              EXISTS (SELECT 1 FROM ocop_claim_pending) AS pending`,
    );
    return r.pending || r.last_day !== vnToday(this.clock.now());
  }
}
