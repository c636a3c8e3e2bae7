import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * Channel connection state that outlives one request: pending OAuth authorizations (matched on the
 * callback by the hash of their single-use `state`; app credentials given in the call are sealed,
 * never stored in clear) and the marketplace's id for each image already uploaded to a channel, so a
 * republish or a restart never uploads the same picture twice.
 */
export class ChannelAuth1764137400000 implements MigrationInterface {
  name = "ChannelAuth1764137400000";

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE channel_authorization (
        state_hash text PRIMARY KEY,
        producer_id uuid NOT NULL REFERENCES producer(id) ON DELETE CASCADE,
        marketplace text NOT NULL,
        name text,
        redirect_uri text NOT NULL,
        base_url text NOT NULL,
        app_credentials bytea,
        requested_by text NOT NULL,
        expires_at timestamptz NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX channel_authorization_expiry_idx ON channel_authorization (expires_at)`);
    await q.query(`
      CREATE TABLE channel_image (
        channel_id uuid NOT NULL REFERENCES channel(id) ON DELETE CASCADE,
        source_url text NOT NULL,
        remote_ref text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (channel_id, source_url)
      )`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS channel_image`);
    await q.query(`DROP TABLE IF EXISTS channel_authorization`);
  }
}
