import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * Accounts: users (argon2id password hashes), memberships in organizations and producers with a
 * role, login sessions with hashed opaque access and refresh tokens, and scoped API keys (each old
 * key role mapped to the scopes it always had, so existing keys keep working).
 */
export class Accounts1764137600001 implements MigrationInterface {
  name = "Accounts1764137600001";

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE app_user (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        email text NOT NULL CHECK (length(email) BETWEEN 3 AND 254),
        email_key text NOT NULL UNIQUE,
        display_name text NOT NULL DEFAULT '' CHECK (length(display_name) <= 200),
        password_hash text NOT NULL,
        password_changed_at timestamptz NOT NULL DEFAULT now(),
        disabled_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);

    await q.query(`
      CREATE TABLE membership (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        user_id uuid NOT NULL REFERENCES app_user(id) ON DELETE CASCADE,
        role text NOT NULL CHECK (role IN ('ORG_ADMIN','PRODUCER_OWNER','PRODUCER_STAFF','INTEGRATOR','OPS','PLATFORM_ADMIN')),
        organization_id uuid REFERENCES organization(id) ON DELETE CASCADE,
        producer_id uuid REFERENCES producer(id) ON DELETE CASCADE,
        created_by text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT membership_one_target CHECK (organization_id IS NULL OR producer_id IS NULL),
        CONSTRAINT membership_org_admin_target CHECK (role <> 'ORG_ADMIN' OR organization_id IS NOT NULL),
        CONSTRAINT membership_producer_target CHECK (role NOT IN ('PRODUCER_OWNER','PRODUCER_STAFF') OR producer_id IS NOT NULL),
        CONSTRAINT membership_platform_target CHECK (role NOT IN ('PLATFORM_ADMIN','OPS') OR (organization_id IS NULL AND producer_id IS NULL))
      )`);
    // One role per user and target (the platform counts as one target): setMembership replaces it.
    await q.query(`
      CREATE UNIQUE INDEX membership_target_uq ON membership
        (user_id, coalesce(organization_id, producer_id, '00000000-0000-0000-0000-000000000000'::uuid))`);
    await q.query(
      `CREATE INDEX membership_producer_idx ON membership (producer_id) WHERE producer_id IS NOT NULL`,
    );
    await q.query(
      `CREATE INDEX membership_org_idx ON membership (organization_id) WHERE organization_id IS NOT NULL`,
    );

    // A session is one login: its refresh tokens form a family; reusing a rotated one revokes it all.
    await q.query(`
      CREATE TABLE auth_session (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        user_id uuid NOT NULL REFERENCES app_user(id) ON DELETE CASCADE,
        created_at timestamptz NOT NULL DEFAULT now(),
        refreshed_at timestamptz,
        expires_at timestamptz NOT NULL,
        revoked_at timestamptz,
        revoke_reason text CHECK (revoke_reason IN ('LOGOUT','REFRESH_REUSE','PASSWORD_CHANGE','ADMIN')),
        ip text,
        user_agent text CHECK (length(user_agent) <= 300)
      )`);
    await q.query(`CREATE INDEX auth_session_user_idx ON auth_session (user_id) WHERE revoked_at IS NULL`);
    await q.query(`
      CREATE TABLE auth_token (
        token_hash text PRIMARY KEY,
        session_id uuid NOT NULL REFERENCES auth_session(id) ON DELETE CASCADE,
        kind text NOT NULL CHECK (kind IN ('ACCESS','REFRESH')),
        expires_at timestamptz NOT NULL,
        used_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX auth_token_session_idx ON auth_token (session_id)`);

    await q.query(`
      ALTER TABLE api_key
        ADD COLUMN scopes text[] NOT NULL DEFAULT '{}',
        ADD COLUMN organization_id uuid REFERENCES organization(id) ON DELETE CASCADE,
        ADD COLUMN user_id uuid REFERENCES app_user(id) ON DELETE CASCADE`);
    // The scopes each old role always had (src/auth/permissions.ts LEGACY_KEY_SCOPES).
    await q.query(`
      UPDATE api_key SET scopes = CASE role
        WHEN 'ADMIN' THEN ARRAY['READ_CATALOGUE','WRITE_CATALOGUE','MANAGE_CHANNELS','READ_ORDERS','OPS']
        WHEN 'PRODUCER' THEN ARRAY['READ_CATALOGUE','WRITE_CATALOGUE','MANAGE_CHANNELS','READ_ORDERS']
        WHEN 'INTEGRATOR_READ' THEN ARRAY['READ_CATALOGUE']
        WHEN 'OPS' THEN ARRAY['READ_CATALOGUE','READ_ORDERS','OPS']
      END`);
    await q.query(`ALTER TABLE api_key DROP CONSTRAINT IF EXISTS api_key_role_check`);
    await q.query(`ALTER TABLE api_key DROP CONSTRAINT IF EXISTS api_key_check`);
    await q.query(`
      ALTER TABLE api_key
        ADD CONSTRAINT api_key_role_check CHECK (role IN ('ADMIN','PRODUCER','ORGANIZATION','INTEGRATOR_READ','OPS')),
        ADD CONSTRAINT api_key_producer_bound CHECK ((role = 'PRODUCER') = (producer_id IS NOT NULL)),
        ADD CONSTRAINT api_key_org_bound CHECK ((role = 'ORGANIZATION') = (organization_id IS NOT NULL)),
        ADD CONSTRAINT api_key_scopes_known CHECK (
          scopes <@ ARRAY['READ_CATALOGUE','WRITE_CATALOGUE','MANAGE_CHANNELS','READ_ORDERS','OPS']::text[])`);
    await q.query(`CREATE INDEX api_key_user_idx ON api_key (user_id) WHERE user_id IS NOT NULL`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`DELETE FROM api_key WHERE role = 'ORGANIZATION'`);
    await q.query(`
      ALTER TABLE api_key
        DROP CONSTRAINT api_key_role_check, DROP CONSTRAINT api_key_producer_bound,
        DROP CONSTRAINT api_key_org_bound, DROP CONSTRAINT api_key_scopes_known,
        DROP COLUMN scopes, DROP COLUMN organization_id, DROP COLUMN user_id`);
    await q.query(`
      ALTER TABLE api_key
        ADD CONSTRAINT api_key_role_check CHECK (role IN ('ADMIN','PRODUCER','INTEGRATOR_READ','OPS')),
        ADD CONSTRAINT api_key_check CHECK ((role = 'PRODUCER') = (producer_id IS NOT NULL))`);
    for (const t of ["auth_token", "auth_session", "membership", "app_user"]) {
      await q.query(`DROP TABLE IF EXISTS ${t} CASCADE`);
    }
  }
}
