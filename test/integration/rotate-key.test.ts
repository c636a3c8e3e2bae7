/**
 * Key rotation on a real database: every channel's credentials are re-sealed under the new key in
 * batches, readable before and after (after: with the new key alone), the ciphertext's key id
 * changes, no token text is ever stored in clear, a re-run is a no-op, and rows no key opens are
 * reported and left alone.
 */
import crypto from "node:crypto";
import { createTestDatabase, TestDatabase } from "../support/test-db";
import { insertChannel } from "../support/channel-fixture";
import { SecretBox } from "../../src/common/crypto";
import { PgCredentialStore, saveCredentials } from "../../src/channels/credential-store";
import { countNotUnder, rotateCredentials } from "../../src/scripts/rotate-key";
import type { Credentials } from "../../src/channels/connectors/connector";

describe("rotate-key", () => {
  let db: TestDatabase;
  const oldKey = crypto.randomBytes(32);
  const newKey = crypto.randomBytes(32);
  const channels: Array<{ id: string; creds: Credentials }> = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    const oldBox = new SecretBox([oldKey]);
    for (let i = 0; i < 7; i++) {
      const id = await insertChannel(db.dataSource, { marketplace: "shopee", baseUrl: "http://127.0.0.1:9" });
      const creds: Credentials = {
        appKey: `app-${i}`,
        appSecret: `planted-app-secret-${i}-${crypto.randomBytes(8).toString("hex")}`,
        accessToken: `planted-access-${i}-${crypto.randomBytes(8).toString("hex")}`,
        refreshToken: `planted-refresh-${i}-${crypto.randomBytes(8).toString("hex")}`,
        accessExpiresAt: Date.now() + 3600_000,
        refreshExpiresAt: null,
        extra: {},
      } as Credentials;
      await saveCredentials(db.dataSource, oldBox, id, creds);
      channels.push({ id, creds });
    }
  });
  afterAll(() => db.drop());

  async function storedText(): Promise<string> {
    const rows = await db.dataSource.query(`SELECT c.*, encode(credentials, 'escape') AS raw FROM channel c`);
    return JSON.stringify(rows);
  }

  it("re-encrypts everything under the new key, in batches, and verifies it", async () => {
    const oldOnly = new SecretBox([oldKey]);
    const newOnly = new SecretBox([newKey]);
    for (const c of channels) {
      expect(await new PgCredentialStore(db.dataSource, oldOnly, c.id).load()).toEqual(c.creds);
    }
    expect(await countNotUnder(db.dataSource, newOnly.keyId)).toBe(channels.length);
    const versions = await db.dataSource.query(`SELECT id, credentials_version FROM channel ORDER BY id`);

    const result = await rotateCredentials(db.dataSource, new SecretBox([newKey, oldKey]), { batchSize: 3 });
    expect(result).toEqual({ rotated: channels.length, alreadyCurrent: 0, unreadable: [] });
    expect(await countNotUnder(db.dataSource, newOnly.keyId)).toBe(0);

    const rows: Array<{ id: string; credentials: Buffer }> = await db.dataSource.query(
      `SELECT id, credentials FROM channel`,
    );
    for (const r of rows) expect(SecretBox.sealedKeyId(r.credentials)).toBe(newOnly.keyId);
    // Readable with the new key alone; the old key alone opens nothing any more.
    for (const c of channels) {
      expect(await new PgCredentialStore(db.dataSource, newOnly, c.id).load()).toEqual(c.creds);
      await expect(new PgCredentialStore(db.dataSource, oldOnly, c.id).load()).rejects.toThrow(/unknown key/);
    }
    // The content did not change, so the credentials version (used by token refresh) did not either.
    expect(await db.dataSource.query(`SELECT id, credentials_version FROM channel ORDER BY id`)).toEqual(
      versions,
    );

    const text = await storedText();
    for (const c of channels) {
      for (const secret of [c.creds.appSecret, c.creds.accessToken, c.creds.refreshToken]) {
        expect(text).not.toContain(secret as string);
      }
    }
  });

  it("is idempotent, and reports rows no known key opens without touching them", async () => {
    const stranger = new SecretBox([crypto.randomBytes(32)]);
    const id = await insertChannel(db.dataSource, { marketplace: "tiki", baseUrl: "http://127.0.0.1:9" });
    await saveCredentials(db.dataSource, stranger, id, channels[0].creds);
    const [before] = await db.dataSource.query(`SELECT credentials FROM channel WHERE id = $1`, [id]);

    const again = await rotateCredentials(db.dataSource, new SecretBox([newKey, oldKey]), { batchSize: 3 });
    expect(again).toEqual({ rotated: 0, alreadyCurrent: channels.length, unreadable: [id] });
    const [after] = await db.dataSource.query(`SELECT credentials FROM channel WHERE id = $1`, [id]);
    expect(Buffer.compare(before.credentials, after.credentials)).toBe(0);
  });
});
