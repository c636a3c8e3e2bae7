/**
 * Writes on certificates that change what marketplaces show: revoking a certificate and attaching
 * its picture. Both go through the same path as every certificate write (the ocop_certification
 * triggers mark the product's listings content-dirty and queue the claim check); a revocation also
 * runs the claim check at once, so the change is recorded before the mutation answers.
 * Reads of the claim-change record are here too, scoped like every list (producerFilter).
 */
import type { DataSource } from "typeorm";
import { UserErrors } from "../common/errors";
import { idOf } from "../common/graphql/global-id";
import { validateInput } from "../common/validation";
import { nfc } from "../common/text";
import type { Clock } from "../common/time";
import type { Logger } from "../common/logger";
import {
  Viewer,
  assertCanWriteProducer,
  canSeeProducer,
  canWriteCatalogue,
  producerFilter,
} from "../auth/viewer";
import { ForbiddenError } from "../common/errors";
import { OcopCertification } from "../catalogue/entities/ocop-certification.entity";
import { OcopClaimsService } from "./claims.service";
import type { PageWindow } from "../common/graphql/relay";

export interface ClaimChangeRecord {
  id: string;
  productId: string;
  producerId: string;
  reason: string;
  source: string;
  oldCertificationId: string | null;
  oldStar: number | null;
  oldDecisionNumber: string | null;
  newCertificationId: string | null;
  newStar: number | null;
  newDecisionNumber: string | null;
  effectiveDay: string;
  listingsTouched: number;
  recordedAt: Date;
}

export interface ClaimChangeFilter {
  productId?: string | null;
  producerId?: string | null;
}

const CERT = "chứng nhận OCOP / OCOP certification";

export class CertificateWritesService {
  private readonly claims: OcopClaimsService;

  constructor(
    private readonly ds: DataSource,
    private readonly clock: Clock,
    log?: Logger,
  ) {
    this.claims = new OcopClaimsService(ds, clock, log);
  }

  /** The certification locked for a write, after the tenancy checks (another producer's is "not found"). */
  private async lockCert(
    m: { query: DataSource["query"] },
    viewer: Viewer,
    globalId: string,
  ): Promise<{ id: string; product_id: string; producer_id: string; revoked_at: Date | null }> {
    const id = idOf("OcopCertification", globalId);
    const [row] = id
      ? await m.query(
          `SELECT c.id, c.product_id, p.producer_id, c.revoked_at FROM ocop_certification c
             JOIN product p ON p.id = c.product_id WHERE c.id = $1 FOR UPDATE OF c`,
          [id],
        )
      : [];
    if (!row || !canSeeProducer(viewer, row.producer_id))
      throw UserErrors.one("certificationId", "NOT_FOUND", { entity: CERT, id: globalId });
    if (!canWriteCatalogue(viewer)) throw new ForbiddenError();
    assertCanWriteProducer(viewer, row.producer_id);
    return row;
  }

  async revoke(
    viewer: Viewer,
    input: { certificationId: string; reason: string },
  ): Promise<OcopCertification> {
    const errors = await validateInput(input);
    if (errors.length) throw new UserErrors(errors);
    const cert = await this.ds.transaction(async (m) => {
      const row = await this.lockCert(m, viewer, input.certificationId);
      if (row.revoked_at)
        throw UserErrors.one("certificationId", "CERTIFICATION_STATE", { state: "REVOKED" });
      await m.query(`UPDATE ocop_certification SET revoked_at = $2, revocation_reason = $3 WHERE id = $1`, [
        row.id,
        this.clock.now(),
        nfc(input.reason),
      ]);
      return row;
    });
    // Recorded now rather than at the job's next poll (the queued check would find it done).
    await this.claims.refresh({ productIds: [cert.product_id], wait: true });
    return (await this.ds.getRepository(OcopCertification).findOneBy({ id: cert.id }))!;
  }

  async setImage(
    viewer: Viewer,
    input: { certificationId: string; imageUrl?: string | null },
  ): Promise<OcopCertification> {
    const errors = await validateInput(input);
    if (errors.length) throw new UserErrors(errors);
    const id = await this.ds.transaction(async (m) => {
      const row = await this.lockCert(m, viewer, input.certificationId);
      await m.query(`UPDATE ocop_certification SET image_url = $2 WHERE id = $1`, [
        row.id,
        input.imageUrl ? input.imageUrl.trim() : null,
      ]);
      return row.id;
    });
    return (await this.ds.getRepository(OcopCertification).findOneBy({ id }))!;
  }

  private where(viewer: Viewer, f: ClaimChangeFilter): { sql: string; params: unknown[] } {
    const params: unknown[] = [];
    const w: string[] = [];
    const scope = producerFilter(viewer);
    if (scope) {
      params.push(scope);
      w.push(`producer_id = ANY($${params.length}::uuid[])`);
    }
    if (f.productId !== undefined && f.productId !== null) {
      params.push(f.productId);
      w.push(`product_id = $${params.length}::uuid`);
    }
    if (f.producerId !== undefined && f.producerId !== null) {
      params.push(f.producerId);
      w.push(`producer_id = $${params.length}::uuid`);
    }
    return { sql: w.length ? `WHERE ${w.join(" AND ")}` : "", params };
  }

  async changes(viewer: Viewer, f: ClaimChangeFilter, win: PageWindow): Promise<ClaimChangeRecord[]> {
    const { sql, params } = this.where(viewer, f);
    return this.ds.query(
      `SELECT id::text, product_id AS "productId", producer_id AS "producerId", reason, source,
              old_certification_id AS "oldCertificationId", old_star AS "oldStar", old_decision_number AS "oldDecisionNumber",
              new_certification_id AS "newCertificationId", new_star AS "newStar", new_decision_number AS "newDecisionNumber",
              effective_day::text AS "effectiveDay", listings_touched AS "listingsTouched", recorded_at AS "recordedAt"
         FROM ocop_claim_change ${sql}
        ORDER BY id DESC OFFSET $${params.length + 1} LIMIT $${params.length + 2}`,
      [...params, win.offset, win.limit + 1],
    );
  }

  async countChanges(viewer: Viewer, f: ClaimChangeFilter): Promise<number> {
    const { sql, params } = this.where(viewer, f);
    const [r] = await this.ds.query(`SELECT count(*)::int AS n FROM ocop_claim_change ${sql}`, params);
    return r.n;
  }
}

export interface ClaimListingRow {
  channelId: string;
  marketplace: string;
  sku: string;
  status: "UP_TO_DATE" | "PENDING" | "NEEDS_REVIEW" | "HIDDEN" | "FAILED";
  errorCode: string | null;
}

/**
 * Where a product's content (and so its OCOP claim) stands on each live listing: pushed, waiting,
 * waiting for the marketplace's review (Tiki), hidden from buyers during that review because the
 * live content claims a star the new content withdraws (Tiki), or refused. The review states come
 * from listing.content_review, so a price or stock error meanwhile does not hide them. Scoped by
 * the caller's producers.
 */
export async function claimListings(
  ds: DataSource,
  viewer: Viewer,
  productIds: string[],
): Promise<Map<string, ClaimListingRow[]>> {
  const scope = producerFilter(viewer);
  const rows: Array<ClaimListingRow & { productId: string }> = await ds.query(
    `SELECT l.product_id AS "productId", l.channel_id AS "channelId", c.marketplace, v.sku,
            CASE WHEN l.content_pushed_version >= l.content_version THEN 'UP_TO_DATE'
                 WHEN l.content_review->>'state' = 'IN_REVIEW' AND l.content_review->>'hidden' = 'true' THEN 'HIDDEN'
                 WHEN l.content_review->>'state' = 'IN_REVIEW' THEN 'NEEDS_REVIEW'
                 WHEN l.last_error->>'code' = 'CONTENT_REVIEW_REQUIRED' THEN 'NEEDS_REVIEW'
                 WHEN l.content_failed_version = l.content_version THEN 'FAILED'
                 ELSE 'PENDING' END AS status,
            -- The review's own code while it lasts, even when a later price or stock error took last_error.
            CASE WHEN l.content_pushed_version >= l.content_version THEN NULL
                 WHEN l.content_review->>'state' = 'IN_REVIEW'
                   THEN CASE WHEN l.content_review->>'hidden' = 'true' THEN 'HIDDEN_PENDING_REVIEW' ELSE 'CONTENT_IN_REVIEW' END
                 ELSE l.last_error->>'code' END AS "errorCode"
       FROM listing l JOIN channel c ON c.id = l.channel_id JOIN variant v ON v.id = l.variant_id
      WHERE l.product_id = ANY($1::uuid[]) AND l.state = 'LIVE'
        AND ($2::uuid[] IS NULL OR c.producer_id = ANY($2::uuid[]))
      ORDER BY c.marketplace, v.sku`,
    [productIds, scope],
  );
  const out = new Map<string, ClaimListingRow[]>();
  for (const { productId, ...r } of rows) {
    const list = out.get(productId) ?? [];
    list.push(r);
    out.set(productId, list);
  }
  return out;
}
