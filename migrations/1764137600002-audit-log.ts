import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * The audit log: one append-only row per write (who: user or key and a label, which operation, on
 * what, the changes with secrets removed, from which address and request). `producer_ids` holds the
 * producers an entry is about, so a producer can be shown the entries about its own data.
 */
export class AuditLog1764137600002 implements MigrationInterface {
  name = "AuditLog1764137600002";

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE audit_log (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        at timestamptz NOT NULL DEFAULT now(),
        actor text NOT NULL,
        user_id uuid,
        api_key_id uuid,
        operation text NOT NULL,
        target_type text,
        target_id text,
        producer_ids uuid[] NOT NULL DEFAULT '{}',
        changes jsonb NOT NULL DEFAULT '{}',
        ip text,
        request_id text
      )`);
    await q.query(`CREATE INDEX audit_log_at_idx ON audit_log (at, id)`);
    await q.query(`CREATE INDEX audit_log_target_idx ON audit_log (target_id, id)`);
    await q.query(`CREATE INDEX audit_log_actor_idx ON audit_log (actor, id)`);
    await q.query(`CREATE INDEX audit_log_producers_idx ON audit_log USING gin (producer_ids)`);
    await q.query(`
      CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$`);
    await q.query(`
      CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
      FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS audit_log`);
    await q.query(`DROP FUNCTION IF EXISTS audit_log_append_only()`);
  }
}
