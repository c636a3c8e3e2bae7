import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * Certification status in SQL, matching certificationStatus() in src/catalogue/ocop.ts (a test keeps
 * them in step), and a view of each product's current certification: the best one in force, else
 * the most recent one.
 */
export class CertificationStatus1764136900000 implements MigrationInterface {
  name = "CertificationStatus1764136900000";

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION ocop_cert_status(valid_until date, superseded_at timestamptz, revoked_at timestamptz, today date)
      RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT CASE
          WHEN revoked_at IS NOT NULL THEN 'REVOKED'
          WHEN superseded_at IS NOT NULL THEN 'SUPERSEDED'
          WHEN valid_until IS NULL THEN 'ACTIVE'
          WHEN valid_until < today THEN 'EXPIRED'
          WHEN valid_until - today <= 90 THEN 'EXPIRING'
          ELSE 'ACTIVE' END
      $$`);
    await q.query(`
      CREATE FUNCTION ocop_current_cert(p_product uuid, today date)
      RETURNS TABLE (id uuid, star smallint, potential_five_star boolean, status text)
      LANGUAGE sql STABLE PARALLEL SAFE AS $$
        SELECT c.id, c.star, c.potential_five_star, ocop_cert_status(c.valid_until, c.superseded_at, c.revoked_at, today)
          FROM ocop_certification c
         WHERE c.product_id = p_product
         ORDER BY ocop_cert_status(c.valid_until, c.superseded_at, c.revoked_at, today) IN ('ACTIVE','EXPIRING') DESC,
                  c.star DESC, c.valid_until DESC NULLS LAST, c.created_at DESC
         LIMIT 1
      $$`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION IF EXISTS ocop_current_cert(uuid, date)`);
    await q.query(`DROP FUNCTION IF EXISTS ocop_cert_status(date, timestamptz, timestamptz, date)`);
  }
}
