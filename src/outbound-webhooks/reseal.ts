/**
 * Key rotation for webhook secrets: re-seals every `webhook_subscription.secret` not yet under the
 * box's current key (the box must still hold the old keys). For src/scripts/rotate-key.ts to call
 * next to the channel credentials. Returns how many were re-sealed and the ids no key opens.
 */
import type { DataSource } from "typeorm";
import { SecretBox } from "../common/crypto";

export async function resealWebhookSecrets(
  ds: DataSource,
  box: SecretBox,
): Promise<{ resealed: number; unreadable: string[] }> {
  const current = box.keyId;
  const unreadable: string[] = [];
  let resealed = 0;
  await ds.transaction(async (m) => {
    const rows: Array<{ id: string; secret: Buffer }> = await m.query(
      `SELECT id, secret FROM webhook_subscription ORDER BY id FOR UPDATE`,
    );
    for (const r of rows) {
      if (SecretBox.sealedKeyId(r.secret) === current) continue;
      let plain: string;
      try {
        plain = box.open(r.secret);
      } catch {
        unreadable.push(r.id);
        continue;
      }
      await m.query(`UPDATE webhook_subscription SET secret = $2 WHERE id = $1`, [r.id, box.seal(plain)]);
      resealed++;
    }
  });
  return { resealed, unreadable };
}
