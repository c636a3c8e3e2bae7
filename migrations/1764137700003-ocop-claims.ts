import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * OCOP claims follow the certificate (issue 7, point 1).
 *
 * - ocop_certification.image_url: the certificate's picture, added to a listing's pictures when the
 *   channel's claim template asks for it.
 * - ocop_claim_state: per product, the claim the hub last projected (certificate, star). The claim
 *   job compares it with the certificate in force on the clock's day; a difference is a claim
 *   change. Because the comparison is against stored state, running the job twice (or on several
 *   workers) records and pushes a change once.
 * - ocop_claim_change: the record of every change: which product, old claim, new claim, why.
 * - ocop_claim_pending: products whose certificates were written (insert, supersede, revoke…); the
 *   trigger queues them so written changes are recorded by the same job as changes by time.
 * - ocop_claim_cursor: the last Vietnamese calendar day the job covered, so it only looks at
 *   certificates whose validity ended since then.
 */
export class OcopClaims1764137700003 implements MigrationInterface {
  name = "OcopClaims1764137700003";

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE ocop_certification ADD COLUMN image_url text`);
    await q.query(`
      CREATE TABLE ocop_claim_state (
        product_id uuid PRIMARY KEY REFERENCES product(id) ON DELETE CASCADE,
        certification_id uuid REFERENCES ocop_certification(id) ON DELETE SET NULL,
        star smallint,
        decision_number text,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE ocop_claim_change (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        product_id uuid NOT NULL REFERENCES product(id) ON DELETE CASCADE,
        producer_id uuid NOT NULL REFERENCES producer(id) ON DELETE CASCADE,
        reason text NOT NULL CHECK (reason IN ('EXPIRED','SUPERSEDED','REVOKED','RECOGNISED','UPGRADED','DOWNGRADED')),
        source text NOT NULL CHECK (source IN ('SCHEDULE','WRITE')),
        old_certification_id uuid,
        old_star smallint,
        old_decision_number text,
        new_certification_id uuid,
        new_star smallint,
        new_decision_number text,
        effective_day date NOT NULL,
        listings_touched integer NOT NULL DEFAULT 0,
        recorded_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX ocop_claim_change_product_idx ON ocop_claim_change (product_id, id DESC)`);
    await q.query(`CREATE INDEX ocop_claim_change_producer_idx ON ocop_claim_change (producer_id, id DESC)`);
    await q.query(`
      CREATE TABLE ocop_claim_pending (
        product_id uuid PRIMARY KEY REFERENCES product(id) ON DELETE CASCADE,
        queued_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE ocop_claim_cursor (
        id boolean PRIMARY KEY DEFAULT true CHECK (id),
        last_day date NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE FUNCTION ocop_claim_queue() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO ocop_claim_pending (product_id)
          SELECT coalesce(NEW.product_id, OLD.product_id)
           WHERE EXISTS (SELECT 1 FROM product WHERE id = coalesce(NEW.product_id, OLD.product_id))
        ON CONFLICT (product_id) DO NOTHING;
        RETURN NULL;
      END $$`);
    await q.query(
      `CREATE TRIGGER ocop_claim_queue AFTER INSERT OR UPDATE OR DELETE ON ocop_certification FOR EACH ROW EXECUTE FUNCTION ocop_claim_queue()`,
    );
    // What is shown today is the starting point: no change is recorded for claims already live.
    await q.query(`
      INSERT INTO ocop_claim_state (product_id, certification_id, star, decision_number)
      SELECT p.id, c.id, c.star, c.decision_number
        FROM product p
        JOIN LATERAL ocop_current_cert(p.id, (now() AT TIME ZONE 'Asia/Ho_Chi_Minh')::date) cur ON true
        JOIN ocop_certification c ON c.id = cur.id
       WHERE cur.status IN ('ACTIVE','EXPIRING')`);
    await q.query(
      `INSERT INTO ocop_claim_cursor (last_day) VALUES ((now() AT TIME ZONE 'Asia/Ho_Chi_Minh')::date)`,
    );
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER IF EXISTS ocop_claim_queue ON ocop_certification`);
    await q.query(`DROP FUNCTION IF EXISTS ocop_claim_queue()`);
    for (const t of ["ocop_claim_cursor", "ocop_claim_pending", "ocop_claim_change", "ocop_claim_state"])
      await q.query(`DROP TABLE IF EXISTS ${t}`);
    await q.query(`ALTER TABLE ocop_certification DROP COLUMN IF EXISTS image_url`);
  }
}
