/** PgCredentialStore on a real PostgreSQL: sealed storage, cross-connection refresh serialisation, NEEDS_REAUTH. */
import crypto from "node:crypto";
import { SecretBox } from "../../src/common/crypto";
import type { Credentials, TokenSet } from "../../src/channels/connectors/connector";
import { NeedsReauthError } from "../../src/channels/connectors/http/types";
import { PgCredentialStore, saveCredentials } from "../../src/channels/credential-store";
import { createTestDatabase, TestDatabase } from "../support/test-db";
import { insertChannel } from "../support/channel-fixture";

let db: TestDatabase;
const box = new SecretBox([crypto.randomBytes(32)]);

beforeAll(async () => {
  db = await createTestDatabase({ poolSize: 6 });
});
afterAll(async () => {
  await db.drop();
});

const T0 = Date.now();
const creds = (token: string): Credentials => ({
  appKey: "2001887",
  appSecret: "shpk-app-secret-7a6b5c4d3e2f1a0b",
  accessToken: token,
  refreshToken: `refresh-of-${token}`,
  accessExpiresAt: T0 + 4 * 3600_000,
  refreshExpiresAt: T0 + 30 * 86400_000,
  extra: { shop_cipher: "TTP_Nguyễn" },
});

async function row(id: string) {
  const [r] = await db.dataSource.query(
    `SELECT credentials, credentials_version, status, settings, access_expires_at FROM channel WHERE id = $1`,
    [id],
  );
  return r;
}

async function newChannel(token = "access-token-aaaa-1111") {
  const id = await insertChannel(db.dataSource, {
    marketplace: "shopee",
    baseUrl: "http://127.0.0.1:1",
    shopId: null,
  });
  await saveCredentials(db.dataSource, box, id, creds(token));
  return id;
}

describe("PgCredentialStore", () => {
  it("stores sealed credentials that round-trip, with no token text in the ciphertext", async () => {
    const id = await newChannel();
    const store = new PgCredentialStore(db.dataSource, box, id);
    expect(await store.load()).toEqual(creds("access-token-aaaa-1111"));
    const r = await row(id);
    const bytes: Buffer = r.credentials;
    for (const secret of [
      "access-token-aaaa-1111",
      "refresh-of-access-token-aaaa-1111",
      "shpk-app-secret-7a6b5c4d3e2f1a0b",
    ]) {
      expect(bytes.includes(Buffer.from(secret))).toBe(false);
    }
    expect(r.credentials_version).toBe(1);
    expect(r.status).toBe("ACTIVE");
  });

  it("calls refresh exactly once for two concurrent refreshes on separate connections", async () => {
    const id = await newChannel("access-token-old-2222");
    const a = new PgCredentialStore(db.dataSource, box, id);
    const b = new PgCredentialStore(db.dataSource, box, id);
    const seen = (await a.load()).accessToken;
    let calls = 0;
    const refresh = async (current: Credentials): Promise<TokenSet> => {
      calls++;
      expect(current.refreshToken).toBe("refresh-of-access-token-old-2222");
      await new Promise((r) => setTimeout(r, 100)); // hold the lock while the other caller waits
      return {
        accessToken: "access-token-new-3333",
        refreshToken: "refresh-new-3333",
        accessExpiresAt: Date.now() + 3600_000,
        refreshExpiresAt: null,
      };
    };
    const [ra, rb] = await Promise.all([
      a.refreshExclusive(seen, refresh),
      b.refreshExclusive(seen, refresh),
    ]);
    expect(calls).toBe(1);
    expect(ra.accessToken).toBe("access-token-new-3333");
    expect(rb.accessToken).toBe("access-token-new-3333");
    expect(rb.refreshToken).toBe("refresh-new-3333");
    // The refresh token's expiry is kept when the marketplace does not send a new one.
    expect(rb.refreshExpiresAt).toBe(T0 + 30 * 86400_000);
    const r = await row(id);
    expect(r.credentials_version).toBe(2);
    expect(r.credentials.includes(Buffer.from("access-token-new-3333"))).toBe(false);
    expect(Math.abs(new Date(r.access_expires_at).getTime() - ra.accessExpiresAt!)).toBeLessThan(1000);
    expect((await b.load()).accessToken).toBe("access-token-new-3333");
  });

  it("returns the stored tokens without refreshing when the caller's token is already stale", async () => {
    const id = await newChannel("access-token-current-4444");
    const store = new PgCredentialStore(db.dataSource, box, id);
    const refresh = jest.fn();
    const out = await store.refreshExclusive("access-token-older-0000", refresh);
    expect(refresh).not.toHaveBeenCalled();
    expect(out.accessToken).toBe("access-token-current-4444");
    expect((await row(id)).credentials_version).toBe(1);
  });

  it("keeps the old pair and sets NEEDS_REAUTH when the refresh is refused", async () => {
    const id = await newChannel("access-token-5555");
    const store = new PgCredentialStore(db.dataSource, box, id);
    const refused = store.refreshExclusive("access-token-5555", async () => {
      throw new NeedsReauthError("shopee", "error_auth", "refresh token invalid", "auth.refresh");
    });
    await expect(refused).rejects.toBeInstanceOf(NeedsReauthError);
    const r = await row(id);
    expect(r.status).toBe("NEEDS_REAUTH");
    expect(r.settings.lastAuthError.reason).toContain("error_auth");
    expect(r.credentials_version).toBe(1);
    expect((await store.load()).accessToken).toBe("access-token-5555");

    // Connecting again (new authorization) makes the channel ACTIVE and clears the error.
    await saveCredentials(db.dataSource, box, id, creds("access-token-6666"));
    const after = await row(id);
    expect(after.status).toBe("ACTIVE");
    expect(after.settings.lastAuthError).toBeUndefined();
  });

  it("keeps the new tokens when its transaction's connection dies after the marketplace swapped them", async () => {
    const id = await newChannel("access-token-8888");
    const store = new PgCredentialStore(db.dataSource, box, id);
    const out = await store.refreshExclusive("access-token-8888", async () => {
      // The refresh token is single-use: once this returns, the old pair is dead on the marketplace.
      // Meanwhile the connection holding our row lock is terminated (a failover, a killed backend).
      await db.dataSource.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
          WHERE datname = current_database() AND state = 'idle in transaction' AND pid <> pg_backend_pid()`,
      );
      return {
        accessToken: "access-token-9999",
        refreshToken: "refresh-of-access-token-9999",
        accessExpiresAt: T0 + 4 * 3600_000,
        refreshExpiresAt: T0 + 30 * 86400_000,
      } satisfies TokenSet;
    });
    expect(out.accessToken).toBe("access-token-9999");
    const stored = await store.load();
    expect(stored.accessToken).toBe("access-token-9999");
    expect(stored.refreshToken).toBe("refresh-of-access-token-9999");
    expect((await row(id)).status).toBe("ACTIVE");
  });

  it("does not write anything when refresh fails for another reason", async () => {
    const id = await newChannel("access-token-7777");
    const store = new PgCredentialStore(db.dataSource, box, id);
    await expect(
      store.refreshExclusive("access-token-7777", async () => {
        throw new Error("network down");
      }),
    ).rejects.toThrow("network down");
    const r = await row(id);
    expect(r.status).toBe("ACTIVE");
    expect(r.credentials_version).toBe(1);
  });

  it("markNeedsReauth keeps a redacted reason", async () => {
    const id = await newChannel();
    await new PgCredentialStore(db.dataSource, box, id).markNeedsReauth(
      "invalid_token: GET /api?access_token=leaky-token-123456&x=1",
    );
    const r = await row(id);
    expect(r.status).toBe("NEEDS_REAUTH");
    expect(r.settings.lastAuthError.reason).not.toContain("leaky-token-123456");
    expect(r.settings.lastAuthError.reason).toContain("invalid_token");
  });
});
