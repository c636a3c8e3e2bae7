/**
 * API keys: random 32-byte tokens shown once, stored as SHA-256 (a fast hash is right for
 * high-entropy tokens; passwords would need argon2). Lookups are cached briefly so a hot API does
 * not hit the database per request; last-used time is written at most once a minute per key.
 */
import crypto from "node:crypto";
import { DataSource, IsNull } from "typeorm";
import { ApiKey, ApiKeyRole } from "./api-key.entity";
import { Viewer } from "./viewer";

const KEY_PREFIX = "ohk_";
const CACHE_MS = 5_000;
const LAST_USED_WRITE_MS = 60_000;

export function hashKey(key: string): string {
  return crypto.createHash("sha256").update(key).digest("hex");
}

export interface IssuedKey {
  key: string;
  apiKey: ApiKey;
}

export class ApiKeyService {
  private readonly cache = new Map<string, { viewer: Viewer | null; at: number }>();
  private readonly lastUsedWritten = new Map<string, number>();

  constructor(private readonly dataSource: DataSource) {}

  async issue(opts: { name: string; role: ApiKeyRole; producerId?: string | null }): Promise<IssuedKey> {
    const key = KEY_PREFIX + crypto.randomBytes(32).toString("base64url");
    const apiKey = await this.dataSource.getRepository(ApiKey).save({
      name: opts.name,
      role: opts.role,
      producerId: opts.role === ApiKeyRole.PRODUCER ? (opts.producerId ?? null) : null,
      keyPrefix: key.slice(0, KEY_PREFIX.length + 6),
      keyHash: hashKey(key),
    });
    return { key, apiKey };
  }

  async revoke(id: string): Promise<void> {
    await this.dataSource
      .getRepository(ApiKey)
      .update({ id, revokedAt: IsNull() }, { revokedAt: new Date() });
    this.cache.clear();
  }

  /** The viewer for a bearer token, or null when unknown or revoked. */
  async authenticate(token: string): Promise<Viewer | null> {
    if (!token.startsWith(KEY_PREFIX) || token.length > 200) return null;
    const hash = hashKey(token);
    const now = Date.now();
    const hit = this.cache.get(hash);
    if (hit && now - hit.at < CACHE_MS) return hit.viewer;
    const row = await this.dataSource
      .getRepository(ApiKey)
      .findOne({ where: { keyHash: hash, revokedAt: IsNull() } });
    const viewer: Viewer | null = row
      ? { actor: `apiKey:${row.id}`, role: row.role, producerId: row.producerId, keyId: row.id }
      : null;
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(hash, { viewer, at: now });
    if (row && now - (this.lastUsedWritten.get(row.id) ?? 0) > LAST_USED_WRITE_MS) {
      this.lastUsedWritten.set(row.id, now);
      void this.dataSource
        .query(`UPDATE api_key SET last_used_at = now() WHERE id = $1`, [row.id])
        .catch(() => undefined);
    }
    return viewer;
  }

  async count(): Promise<number> {
    return this.dataSource.getRepository(ApiKey).count();
  }
}
