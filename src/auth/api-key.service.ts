/**
 * API keys: random 32-byte tokens shown once, stored as SHA-256 (a fast hash is right for
 * high-entropy tokens; passwords need argon2). A key has a principal kind (platform-wide, one
 * producer, one organization) and scopes; a key created by a user never reaches further than that
 * user still may (intersected with the user's current memberships on every lookup). Lookups are
 * cached for 5 s so a hot API does not hit the database per request (a revocation therefore takes up
 * to 5 s to reach other processes; this process forgets at once); last-used time is written at most
 * once a minute per key.
 */
import crypto from "node:crypto";
import type { DataSource } from "typeorm";
import { ApiKey, ApiKeyRole } from "./api-key.entity";
import { LEGACY_KEY_SCOPES, Scope } from "./permissions";
import { grantsFromMemberships, intersect, loadMemberships } from "./grants";
import { Grants, Viewer, viewerFromGrants } from "./viewer";

export const API_KEY_PREFIX = "ohk_";
const KEY_PREFIX = API_KEY_PREFIX;
const CACHE_MS = 5_000;
const LAST_USED_WRITE_MS = 60_000;

export function hashKey(key: string): string {
  return crypto.createHash("sha256").update(key).digest("hex");
}

export interface IssuedKey {
  key: string;
  apiKey: ApiKey;
}

export interface IssueKeyOptions {
  name: string;
  role: ApiKeyRole;
  producerId?: string | null;
  organizationId?: string | null;
  /** Default: what the role has always meant (permissions.ts LEGACY_KEY_SCOPES). */
  scopes?: readonly Scope[];
  /** The user creating it: the key is then bounded by that user's rights. */
  userId?: string | null;
}

interface KeyRow {
  id: string;
  role: ApiKeyRole;
  producer_id: string | null;
  organization_id: string | null;
  user_id: string | null;
  scopes: Scope[];
  user_disabled: boolean | null;
}

const EMPTY: ReadonlySet<Scope> = new Set();

export class ApiKeyService {
  private readonly cache = new Map<string, { viewer: Viewer | null; at: number }>();
  private readonly lastUsedWritten = new Map<string, number>();

  constructor(private readonly dataSource: DataSource) {}

  async issue(opts: IssueKeyOptions): Promise<IssuedKey> {
    const key = KEY_PREFIX + crypto.randomBytes(32).toString("base64url");
    const apiKey = await this.dataSource.getRepository(ApiKey).save({
      name: opts.name,
      role: opts.role,
      producerId: opts.role === ApiKeyRole.PRODUCER ? (opts.producerId ?? null) : null,
      organizationId: opts.role === ApiKeyRole.ORGANIZATION ? (opts.organizationId ?? null) : null,
      scopes: [...new Set(opts.scopes ?? LEGACY_KEY_SCOPES[opts.role])],
      userId: opts.userId ?? null,
      keyPrefix: key.slice(0, KEY_PREFIX.length + 6),
      keyHash: hashKey(key),
    });
    return { key, apiKey };
  }

  /** Marks a key revoked; false when it was unknown or already revoked. */
  async revoke(id: string): Promise<boolean> {
    const rows: unknown[] = await this.dataSource.query(
      `UPDATE api_key SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL RETURNING id`,
      [id],
    );
    this.cache.clear();
    const returned = Array.isArray(rows[0]) ? (rows[0] as unknown[]) : rows;
    return returned.length > 0;
  }

  /** Forget cached lookups (after membership changes, so keys bounded by a user shrink at once). */
  forget(): void {
    this.cache.clear();
  }

  /** The viewer for a bearer token, or null when unknown or revoked. */
  async authenticate(token: string): Promise<Viewer | null> {
    if (!token.startsWith(KEY_PREFIX) || token.length > 200) return null;
    const hash = hashKey(token);
    const now = Date.now();
    const hit = this.cache.get(hash);
    if (hit && now - hit.at < CACHE_MS) return hit.viewer;
    const rows: KeyRow[] = await this.dataSource.query(
      `SELECT k.id, k.role, k.producer_id, k.organization_id, k.user_id, k.scopes,
              (u.disabled_at IS NOT NULL) AS user_disabled
         FROM api_key k LEFT JOIN app_user u ON u.id = k.user_id
        WHERE k.key_hash = $1 AND k.revoked_at IS NULL`,
      [hash],
    );
    const viewer = rows.length ? await this.viewerOf(rows[0]) : null;
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(hash, { viewer, at: now });
    const row = rows[0];
    if (row && now - (this.lastUsedWritten.get(row.id) ?? 0) > LAST_USED_WRITE_MS) {
      this.lastUsedWritten.set(row.id, now);
      void this.dataSource
        .query(`UPDATE api_key SET last_used_at = now() WHERE id = $1`, [row.id])
        .catch(() => undefined);
    }
    return viewer;
  }

  private async viewerOf(row: KeyRow): Promise<Viewer> {
    const scopes = new Set(row.scopes);
    // A user's key: bounded by what the user may do now (nothing once the user is disabled).
    const owner = row.user_id
      ? row.user_disabled
        ? grantsFromMemberships([]).grants
        : grantsFromMemberships(await loadMemberships(this.dataSource, row.user_id)).grants
      : null;
    const at = (producerId: string | null): Set<Scope> => {
      if (!owner) return scopes;
      const here = new Set([
        ...owner.everywhere,
        ...(producerId ? (owner.byProducer.get(producerId) ?? EMPTY) : []),
      ]);
      return intersect(scopes, here);
    };
    let grants: Grants;
    let organizationIds: string[] = [];
    if (row.role === ApiKeyRole.PRODUCER && row.producer_id) {
      grants = { everywhere: EMPTY, byProducer: new Map([[row.producer_id, at(row.producer_id)]]) };
    } else if (row.role === ApiKeyRole.ORGANIZATION && row.organization_id) {
      const producers: Array<{ id: string }> = await this.dataSource.query(
        `SELECT id FROM producer WHERE organization_id = $1`,
        [row.organization_id],
      );
      grants = { everywhere: EMPTY, byProducer: new Map(producers.map((p) => [p.id, at(p.id)])) };
      organizationIds = [row.organization_id];
    } else {
      grants = { everywhere: at(null), byProducer: new Map() };
    }
    return viewerFromGrants({
      actor: `apiKey:${row.id}`,
      role: row.role,
      keyId: row.id,
      userId: row.user_id,
      grants,
      organizationIds,
    });
  }

  async count(): Promise<number> {
    return this.dataSource.getRepository(ApiKey).count();
  }
}
