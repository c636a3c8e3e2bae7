/**
 * Login sessions with opaque tokens stored hashed in PostgreSQL. Why not JWTs: an access token is
 * checked against the database on every request anyway (memberships and revocation must be exact),
 * so a signed token would save nothing and add key management, while opaque tokens make logout,
 * password change and reuse detection take effect on the very next request.
 *
 * A login opens a session; its refresh tokens form a family. Each refresh retires the presented
 * refresh token and issues a new pair (rotation). Presenting a retired refresh token again means it
 * was copied: the whole session is revoked (reuse detection, as in OAuth 2.0 Security BCP §4.14).
 * Access tokens live 15 minutes; a refresh token 14 days of idleness, at most 90 days per login.
 */
import crypto from "node:crypto";
import type { DataSource, EntityManager } from "typeorm";
import { UserErrors } from "../common/errors";
import type { Clock } from "../common/time";
import { ForbiddenError } from "../common/errors";
import { hashPassword, PASSWORD_MAX, PASSWORD_MIN, verifyNothing, verifyPassword } from "./password";
import { grantsFromMemberships, loadMemberships } from "./grants";
import { hashKey } from "./api-key.service";
import { Viewer, viewerFromGrants } from "./viewer";

export const ACCESS_PREFIX = "oha_";
export const REFRESH_PREFIX = "ohr_";
export const ACCESS_TTL_MS = 15 * 60_000;
export const REFRESH_IDLE_MS = 14 * 24 * 3600_000;
export const SESSION_MAX_MS = 90 * 24 * 3600_000;
const GRANTS_CACHE_MS = 5_000;

export interface SessionTokens {
  accessToken: string;
  accessExpiresAt: Date;
  refreshToken: string;
  refreshExpiresAt: Date;
  userId: string;
  sessionId: string;
}

export interface RequestMeta {
  ip?: string | null;
  userAgent?: string | null;
}

export function normaliseEmail(email: string): { email: string; key: string } {
  const clean = email.normalize("NFC").trim();
  return { email: clean, key: clean.toLowerCase() };
}

export function checkNewPassword(field: string, password: string): void {
  if (password.length < PASSWORD_MIN) throw UserErrors.one(field, "TOO_SHORT", { min: PASSWORD_MIN });
  if (password.length > PASSWORD_MAX) throw UserErrors.one(field, "TOO_LONG", { max: PASSWORD_MAX });
}

const token = (prefix: string) => prefix + crypto.randomBytes(32).toString("base64url");

function rowsOf<T>(result: unknown): T[] {
  const r = result as unknown[];
  return (Array.isArray(r[0]) ? r[0] : r) as T[];
}

export class SessionService {
  private readonly grantsCache = new Map<string, { viewer: Omit<Viewer, "sessionId">; at: number }>();

  constructor(
    private readonly ds: DataSource,
    private readonly clock: Clock,
  ) {}

  async login(email: string, password: string, meta: RequestMeta = {}): Promise<SessionTokens> {
    const { key } = normaliseEmail(email ?? "");
    const rows: Array<{ id: string; password_hash: string; disabled_at: Date | null }> =
      key.length <= 254 && password.length <= PASSWORD_MAX
        ? await this.ds.query(`SELECT id, password_hash, disabled_at FROM app_user WHERE email_key = $1`, [
            key,
          ])
        : [];
    const user = rows[0];
    const ok = user ? await verifyPassword(user.password_hash, password) : await verifyNothing(password);
    // One answer for unknown email, wrong password and disabled account: no account enumeration.
    if (!ok || !user || user.disabled_at) throw UserErrors.one("", "INVALID_CREDENTIALS");
    const now = this.clock.now();
    return this.ds.transaction(async (m) => {
      const [s]: Array<{ id: string }> = await m.query(
        `INSERT INTO auth_session (user_id, created_at, expires_at, ip, user_agent)
         VALUES ($1, $2, $3, $4, $5) RETURNING id`,
        [
          user.id,
          now,
          new Date(now.getTime() + SESSION_MAX_MS),
          meta.ip ?? null,
          meta.userAgent?.slice(0, 300) ?? null,
        ],
      );
      return this.issuePair(m, user.id, s.id, now, new Date(now.getTime() + SESSION_MAX_MS));
    });
  }

  /** Rotates a refresh token; a reused one revokes its whole session. */
  async refresh(refreshToken: string, meta: RequestMeta = {}): Promise<SessionTokens> {
    if (
      typeof refreshToken !== "string" ||
      !refreshToken.startsWith(REFRESH_PREFIX) ||
      refreshToken.length > 200
    )
      throw UserErrors.one("refreshToken", "INVALID_REFRESH_TOKEN");
    const now = this.clock.now();
    const outcome = await this.ds.transaction(async (m) => {
      const rows: Array<{
        session_id: string;
        user_id: string;
        used_at: Date | null;
        expires_at: Date;
        session_expires_at: Date;
        revoked_at: Date | null;
        disabled_at: Date | null;
      }> = await m.query(
        `SELECT t.session_id, s.user_id, t.used_at, t.expires_at, s.expires_at AS session_expires_at,
                s.revoked_at, u.disabled_at
           FROM auth_token t
           JOIN auth_session s ON s.id = t.session_id
           JOIN app_user u ON u.id = s.user_id
          WHERE t.token_hash = $1 AND t.kind = 'REFRESH'
          FOR UPDATE OF t, s`,
        [hashKey(refreshToken)],
      );
      const t = rows[0];
      if (!t || t.revoked_at || t.disabled_at || t.expires_at <= now) return { kind: "invalid" as const };
      if (t.used_at) {
        await this.revokeSession(m, t.session_id, "REFRESH_REUSE");
        return { kind: "reused" as const };
      }
      await m.query(`UPDATE auth_token SET used_at = $2 WHERE token_hash = $1`, [hashKey(refreshToken), now]);
      // The session's older access tokens end with the rotation.
      await m.query(`DELETE FROM auth_token WHERE session_id = $1 AND kind = 'ACCESS'`, [t.session_id]);
      await m.query(`UPDATE auth_session SET refreshed_at = $2, ip = coalesce($3, ip) WHERE id = $1`, [
        t.session_id,
        now,
        meta.ip ?? null,
      ]);
      return {
        kind: "ok" as const,
        tokens: await this.issuePair(m, t.user_id, t.session_id, now, t.session_expires_at),
      };
    });
    // Thrown after the commit, so a reuse revocation sticks.
    if (outcome.kind !== "ok") throw UserErrors.one("refreshToken", "INVALID_REFRESH_TOKEN");
    return outcome.tokens;
  }

  /** Ends the caller's session (or every session of the user). */
  async logout(viewer: Viewer, everywhere = false): Promise<number> {
    if (!viewer.userId || !viewer.sessionId) throw new ForbiddenError();
    return this.ds.transaction(async (m) => {
      if (!everywhere) return (await this.revokeSession(m, viewer.sessionId!, "LOGOUT")) ? 1 : 0;
      return this.revokeUserSessions(m, viewer.userId!, null, "LOGOUT");
    });
  }

  /** Changes the caller's password and ends every other session of the user. */
  async changePassword(viewer: Viewer, currentPassword: string, newPassword: string): Promise<void> {
    if (!viewer.userId || !viewer.sessionId) throw new ForbiddenError();
    const [user]: Array<{ password_hash: string }> = await this.ds.query(
      `SELECT password_hash FROM app_user WHERE id = $1`,
      [viewer.userId],
    );
    if (
      !user ||
      currentPassword.length > PASSWORD_MAX ||
      !(await verifyPassword(user.password_hash, currentPassword))
    )
      throw UserErrors.one("currentPassword", "INVALID_CREDENTIALS");
    checkNewPassword("newPassword", newPassword);
    const hashed = await hashPassword(newPassword);
    await this.ds.transaction(async (m) => {
      await m.query(
        `UPDATE app_user SET password_hash = $2, password_changed_at = $3, updated_at = $3 WHERE id = $1`,
        [viewer.userId, hashed, this.clock.now()],
      );
      await this.revokeUserSessions(m, viewer.userId!, viewer.sessionId!, "PASSWORD_CHANGE");
    });
  }

  /** The viewer for an access token, or null when unknown, expired or revoked. Exact: no cache. */
  async authenticate(accessToken: string): Promise<Viewer | null> {
    if (!accessToken.startsWith(ACCESS_PREFIX) || accessToken.length > 200) return null;
    const rows: Array<{ session_id: string; user_id: string }> = await this.ds.query(
      `SELECT t.session_id, s.user_id
         FROM auth_token t
         JOIN auth_session s ON s.id = t.session_id
         JOIN app_user u ON u.id = s.user_id
        WHERE t.token_hash = $1 AND t.kind = 'ACCESS' AND t.expires_at > $2
          AND s.revoked_at IS NULL AND u.disabled_at IS NULL`,
      [hashKey(accessToken), this.clock.now()],
    );
    if (!rows.length) return null;
    const { session_id, user_id } = rows[0];
    return { ...(await this.userViewer(user_id)), sessionId: session_id };
  }

  /** A user's rights from its memberships; cached briefly (membership edits call forget()). */
  async userViewer(userId: string): Promise<Omit<Viewer, "sessionId">> {
    const now = Date.now();
    const hit = this.grantsCache.get(userId);
    if (hit && now - hit.at < GRANTS_CACHE_MS) return hit.viewer;
    const g = grantsFromMemberships(await loadMemberships(this.ds, userId));
    const viewer = viewerFromGrants({
      actor: `user:${userId}`,
      role: g.role,
      keyId: null,
      userId,
      grants: g.grants,
      organizationIds: g.organizationIds,
    });
    if (this.grantsCache.size > 10_000) this.grantsCache.clear();
    this.grantsCache.set(userId, { viewer, at: now });
    return viewer;
  }

  forget(userId?: string): void {
    if (userId) this.grantsCache.delete(userId);
    else this.grantsCache.clear();
  }

  private async issuePair(
    m: EntityManager,
    userId: string,
    sessionId: string,
    now: Date,
    sessionExpiresAt: Date,
  ): Promise<SessionTokens> {
    const accessToken = token(ACCESS_PREFIX);
    const refreshToken = token(REFRESH_PREFIX);
    const accessExpiresAt = new Date(Math.min(now.getTime() + ACCESS_TTL_MS, sessionExpiresAt.getTime()));
    const refreshExpiresAt = new Date(Math.min(now.getTime() + REFRESH_IDLE_MS, sessionExpiresAt.getTime()));
    await m.query(
      `INSERT INTO auth_token (token_hash, session_id, kind, expires_at, created_at)
       VALUES ($1, $3, 'ACCESS', $4, $6), ($2, $3, 'REFRESH', $5, $6)`,
      [hashKey(accessToken), hashKey(refreshToken), sessionId, accessExpiresAt, refreshExpiresAt, now],
    );
    return { accessToken, accessExpiresAt, refreshToken, refreshExpiresAt, userId, sessionId };
  }

  private async revokeSession(m: EntityManager, sessionId: string, reason: string): Promise<boolean> {
    const rows = rowsOf(
      await m.query(
        `UPDATE auth_session SET revoked_at = $2, revoke_reason = $3
          WHERE id = $1 AND revoked_at IS NULL RETURNING id`,
        [sessionId, this.clock.now(), reason],
      ),
    );
    // Access tokens go with it; refresh rows stay, so replaying one later is still recognised.
    await m.query(`DELETE FROM auth_token WHERE session_id = $1 AND kind = 'ACCESS'`, [sessionId]);
    return rows.length > 0;
  }

  /** Revokes the user's sessions except `keep`; returns how many. */
  async revokeUserSessions(
    m: EntityManager,
    userId: string,
    keep: string | null,
    reason: string,
  ): Promise<number> {
    const rows = rowsOf<{ id: string }>(
      await m.query(
        `UPDATE auth_session SET revoked_at = $3, revoke_reason = $4
          WHERE user_id = $1 AND revoked_at IS NULL AND ($2::uuid IS NULL OR id <> $2::uuid) RETURNING id`,
        [userId, keep, this.clock.now(), reason],
      ),
    );
    if (rows.length)
      await m.query(`DELETE FROM auth_token WHERE session_id = ANY($1::uuid[]) AND kind = 'ACCESS'`, [
        rows.map((r) => r.id),
      ]);
    return rows.length;
  }
}
