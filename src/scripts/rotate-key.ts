/**
 * `npm run rotate-key`: re-encrypts every stored marketplace credential under a new key.
 * The new key comes from HUB_SECRET_KEY_NEW, or is generated. Rows are re-sealed in batches, each
 * batch in one transaction with its rows locked (a token refresh running meanwhile waits, then
 * writes under whichever key its process has; running this again picks such rows up). Every row is
 * verified by decrypting it again before the batch commits. Then the key file is switched (when
 * the key lives in `<dataDir>/secret.key`) or the new settings are printed (when it comes from
 * HUB_SECRET_KEY). Plaintext credentials never leave this process and are never printed.
 */
import "reflect-metadata";
import crypto from "node:crypto";
import { resealWebhookSecrets } from "../outbound-webhooks/reseal";
import fs from "node:fs";
import path from "node:path";
import type { DataSource } from "typeorm";
import { SecretBox } from "../common/crypto";
import { decodeKey, loadConfig } from "../common/config";

export interface RotationResult {
  /** Rows re-encrypted under the new key. */
  rotated: number;
  /** Rows already under the new key (an earlier, interrupted run). */
  alreadyCurrent: number;
  /** Channel ids whose credentials no known key opens (left untouched). */
  unreadable: string[];
}

/**
 * Re-seals `channel.credentials` with `box`'s current key; `box` must also hold every key rows may
 * be sealed with now. Idempotent: rows already under the current key are skipped.
 */
export async function rotateCredentials(
  ds: DataSource,
  box: SecretBox,
  opts: { batchSize?: number } = {},
): Promise<RotationResult> {
  const batchSize = opts.batchSize ?? 200;
  const current = Buffer.from(box.keyId, "hex");
  const result: RotationResult = { rotated: 0, alreadyCurrent: 0, unreadable: [] };
  let after = "00000000-0000-0000-0000-000000000000";
  for (;;) {
    const done = await ds.transaction(async (m) => {
      const rows: Array<{ id: string; credentials: Buffer }> = await m.query(
        `SELECT id, credentials FROM channel
          WHERE credentials IS NOT NULL AND id > $1
          ORDER BY id LIMIT $2 FOR UPDATE`,
        [after, batchSize],
      );
      for (const row of rows) {
        after = row.id;
        if (row.credentials.subarray(1, 9).equals(current)) {
          result.alreadyCurrent++;
          continue;
        }
        let plain: string;
        try {
          plain = box.open(row.credentials);
        } catch {
          result.unreadable.push(row.id);
          continue;
        }
        const sealed = box.seal(plain);
        // Verify before writing: the new ciphertext opens to the same text under the new key.
        if (SecretBox.sealedKeyId(sealed) !== box.keyId || box.open(sealed) !== plain)
          throw new Error(`re-encryption of channel ${row.id} did not verify`);
        await m.query(`UPDATE channel SET credentials = $2 WHERE id = $1`, [row.id, sealed]);
        result.rotated++;
      }
      return rows.length < batchSize;
    });
    if (done) return result;
  }
}

/** Rows still sealed under another key than `keyId` (0 after a complete rotation). */
export async function countNotUnder(ds: DataSource, keyId: string): Promise<number> {
  const [r] = await ds.query(
    `SELECT count(*)::int AS n FROM channel WHERE credentials IS NOT NULL AND substring(credentials from 2 for 8) <> $1`,
    [Buffer.from(keyId, "hex")],
  );
  return r.n;
}

async function main(): Promise<void> {
  const config = loadConfig();
  const keyFile = path.join(config.dataDir, "secret.key");
  const fromEnv = config.secretKey !== null;
  if (!fromEnv && !fs.existsSync(keyFile)) {
    console.error(`No key to rotate: HUB_SECRET_KEY is unset and ${keyFile} does not exist.`);
    process.exit(2);
  }
  const oldKey = decodeKey(fromEnv ? config.secretKey! : fs.readFileSync(keyFile, "utf8").trim());
  const newText = process.env.HUB_SECRET_KEY_NEW?.trim();
  const newKey = newText ? decodeKey(newText) : crypto.randomBytes(32);
  if (!oldKey || !newKey) {
    console.error(
      "HUB_SECRET_KEY / HUB_SECRET_KEY_NEW must be 32 bytes, as 64 hex digits or 44 base64 characters.",
    );
    process.exit(2);
  }
  const previous = (process.env.HUB_SECRET_KEY_PREVIOUS ?? "")
    .split(",")
    .map((s) => decodeKey(s.trim()))
    .filter((k): k is Buffer => k !== null);
  const box = new SecretBox([newKey, oldKey, ...previous]);

  const { createDataSource } = require("../common/database") as typeof import("../common/database");
  let url = config.databaseUrl;
  let stopEmbedded: (() => Promise<void>) | null = null;
  if (!url) {
    const { startEmbeddedPostgres } =
      require("../common/embedded-postgres") as typeof import("../common/embedded-postgres");
    const { createLogger } = require("../common/logger") as typeof import("../common/logger");
    const db = await startEmbeddedPostgres(config.dataDir, createLogger("warn"));
    url = db.url;
    stopEmbedded = () => db.stop();
  }
  const ds = createDataSource({ url, applicationName: "ocop-hub:rotate-key" });
  await ds.initialize();
  try {
    const r = await rotateCredentials(ds, box);
    const left = await countNotUnder(ds, box.keyId);
    console.log(
      `Re-encrypted ${r.rotated} channel credential(s); ${r.alreadyCurrent} were already under the new key.`,
    );
    // Outbound webhook secrets are sealed with the same key.
    const w = await resealWebhookSecrets(ds, box);
    console.log(`Re-encrypted ${w.resealed} outbound webhook secret(s).`);
    if (w.unreadable.length)
      console.log(
        `Could not open webhook secrets (no known key), left as they were: ${w.unreadable.join(", ")}`,
      );
    if (r.unreadable.length)
      console.log(`Could not open (no known key), left as they were: ${r.unreadable.join(", ")}`);
    if (left > r.unreadable.length) {
      console.error(
        `${left} row(s) are still under an older key (written meanwhile?): run rotate-key again.`,
      );
      process.exitCode = 1;
    }
    const b64 = (k: Buffer) => k.toString("base64");
    if (fromEnv) {
      console.log("\nSet these on every hub process, then restart them:\n");
      console.log(`  HUB_SECRET_KEY=${b64(newKey)}`);
      console.log(`  HUB_SECRET_KEY_PREVIOUS=${[oldKey, ...previous].map(b64).join(",")}`);
      console.log(
        "\nDrop HUB_SECRET_KEY_PREVIOUS once every process runs on the new key and rotate-key reports 0 rows.",
      );
    } else {
      // Keep the retired key beside the new one until no process needs it; swap atomically.
      fs.writeFileSync(`${keyFile}.previous`, b64(oldKey), { mode: 0o600 });
      fs.writeFileSync(`${keyFile}.new`, b64(newKey), { mode: 0o600 });
      fs.renameSync(`${keyFile}.new`, keyFile);
      console.log(`\nThe key file ${keyFile} now holds the new key (the old one is in ${keyFile}.previous).`);
      console.log("Restart the hub. A process still running on the old key should get");
      console.log(`HUB_SECRET_KEY_PREVIOUS set to the contents of ${keyFile}.previous until it restarts.`);
    }
  } finally {
    await ds.destroy();
    if (stopEmbedded) await stopEmbedded();
  }
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
