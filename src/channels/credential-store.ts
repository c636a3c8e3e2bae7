/**
 * Channel credentials in PostgreSQL: the `channel.credentials` bytea column holds the sealed
 * (AES-256-GCM, common/crypto) JSON of app key/secret and the shop's tokens. Token refreshes are
 * serialised across processes with a row lock, and the new pair is committed before anyone uses it,
 * because some marketplaces (Shopee) accept each refresh token exactly once.
 */
import type { DataSource, EntityManager } from "typeorm";
import type { SecretBox } from "../common/crypto";
import { ChannelStatus } from "./channel.entity";
import type { Credentials, CredentialStore, TokenSet } from "./connectors/connector";
import { NeedsReauthError } from "./connectors/http/types";
import { redactString } from "./connectors/http/redact";

export class ChannelNotFoundError extends Error {
  constructor(public readonly channelId: string) {
    super(`channel ${channelId} not found`);
    this.name = "ChannelNotFoundError";
  }
}

export class MissingCredentialsError extends Error {
  constructor(public readonly channelId: string) {
    super(`channel ${channelId} has no stored credentials; connect it first`);
    this.name = "MissingCredentialsError";
  }
}

interface CredentialRow {
  credentials: Buffer | null;
}

function toDate(ms: number | null | undefined): Date | null {
  return ms == null ? null : new Date(ms);
}

async function writeCredentials(
  m: EntityManager,
  box: SecretBox,
  channelId: string,
  creds: Credentials,
  status?: ChannelStatus,
): Promise<void> {
  const rows: unknown[] = await m.query(
    `UPDATE channel
        SET credentials = $2,
            credentials_version = credentials_version + 1,
            access_expires_at = $3,
            refresh_expires_at = $4,
            status = COALESCE($5, status),
            updated_at = now()
      WHERE id = $1
      RETURNING id`,
    [
      channelId,
      box.sealJson(creds),
      toDate(creds.accessExpiresAt),
      toDate(creds.refreshExpiresAt),
      status ?? null,
    ],
  );
  // TypeORM returns [rows, affected] for UPDATE … RETURNING on postgres.
  const returned = Array.isArray(rows[0]) ? (rows[0] as unknown[]) : rows;
  if (returned.length === 0) throw new ChannelNotFoundError(channelId);
}

/**
 * Stores credentials when a channel is connected (or re-authorized): the channel becomes ACTIVE
 * again and its settings lose the last auth error.
 */
export async function saveCredentials(
  dataSource: DataSource,
  box: SecretBox,
  channelId: string,
  creds: Credentials,
): Promise<void> {
  await dataSource.transaction(async (m) => {
    await writeCredentials(m, box, channelId, creds, ChannelStatus.ACTIVE);
    await m.query(`UPDATE channel SET settings = settings - 'lastAuthError' WHERE id = $1`, [channelId]);
  });
}

export class PgCredentialStore implements CredentialStore {
  constructor(
    private readonly dataSource: DataSource,
    private readonly box: SecretBox,
    private readonly channelId: string,
  ) {}

  async load(): Promise<Credentials> {
    return this.read(this.dataSource.manager, false);
  }

  async refreshExclusive(
    seenAccessToken: string | null | undefined,
    refresh: (current: Credentials) => Promise<TokenSet>,
  ): Promise<Credentials> {
    let refreshed: Credentials | null = null;
    try {
      return await this.dataSource.transaction(async (m) => {
        const current = await this.read(m, true);
        // Someone refreshed while we waited for the lock (or before): use theirs, do not burn ours.
        if ((current.accessToken ?? null) !== (seenAccessToken ?? null)) return current;
        const t = await refresh(current);
        const next: Credentials = {
          ...current,
          accessToken: t.accessToken,
          refreshToken: t.refreshToken ?? current.refreshToken ?? null,
          accessExpiresAt: t.accessExpiresAt,
          refreshExpiresAt: t.refreshExpiresAt ?? current.refreshExpiresAt ?? null,
          extra: t.extra ? { ...current.extra, ...t.extra } : current.extra,
        };
        refreshed = next;
        await writeCredentials(m, this.box, this.channelId, next);
        return next;
      });
    } catch (e) {
      // The marketplace has already swapped its single-use refresh token, but our transaction died
      // (connection lost) before it committed: save the new tokens again, or the shop is locked out.
      if (refreshed) return this.saveAfterLostCommit(seenAccessToken, refreshed, e);
      // Outside the rolled-back transaction, so the status change sticks.
      if (e instanceof NeedsReauthError) await this.markNeedsReauth(`${e.code}: ${e.remoteMessage}`);
      throw e;
    }
  }

  /** Compare-and-set on the access token we refreshed from, with a few tries on fresh connections. */
  private async saveAfterLostCommit(
    seenAccessToken: string | null | undefined,
    next: Credentials,
    cause: unknown,
  ): Promise<Credentials> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.dataSource.transaction(async (m) => {
          const current = await this.read(m, true);
          const stored = current.accessToken ?? null;
          // Another process refreshed meanwhile (its tokens are newer than ours): keep theirs.
          if (stored !== (seenAccessToken ?? null) && stored !== next.accessToken) return current;
          await writeCredentials(m, this.box, this.channelId, next);
          return next;
        });
      } catch {
        if (attempt >= 5) throw cause;
        await new Promise((r) => setTimeout(r, 100 * attempt));
      }
    }
  }

  async markNeedsReauth(reason: string): Promise<void> {
    const lastAuthError = { reason: redactString(reason), at: new Date().toISOString() };
    await this.dataSource.query(
      `UPDATE channel
          SET status = $2,
              settings = jsonb_set(settings, '{lastAuthError}', $3::jsonb),
              updated_at = now()
        WHERE id = $1`,
      [this.channelId, ChannelStatus.NEEDS_REAUTH, JSON.stringify(lastAuthError)],
    );
  }

  private async read(m: EntityManager, lock: boolean): Promise<Credentials> {
    const rows: CredentialRow[] = await m.query(
      `SELECT credentials FROM channel WHERE id = $1${lock ? " FOR UPDATE" : ""}`,
      [this.channelId],
    );
    if (rows.length === 0) throw new ChannelNotFoundError(this.channelId);
    if (!rows[0].credentials) throw new MissingCredentialsError(this.channelId);
    return this.box.openJson<Credentials>(rows[0].credentials);
  }
}
