/**
 * Secrets at rest: AES-256-GCM with a random 96-bit nonce per value. The ciphertext carries a key
 * id so `rotate-key` can re-encrypt under a new key while old rows still decrypt.
 * Layout: [version 1 byte = 1][key id 8 bytes][nonce 12][tag 16][ciphertext].
 */
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { decodeKey } from "./config";

export class SecretBox {
  private readonly keys = new Map<string, Buffer>();
  private readonly currentId: string;

  /** `keys[0]` encrypts; all of them decrypt (old keys kept during a rotation). */
  constructor(keys: Buffer[]) {
    if (keys.length === 0) throw new Error("SecretBox needs at least one key");
    for (const k of keys) {
      if (k.length !== 32) throw new Error("encryption keys must be 32 bytes");
      this.keys.set(SecretBox.keyId(k), k);
    }
    this.currentId = SecretBox.keyId(keys[0]);
  }

  static keyId(key: Buffer): string {
    return crypto.createHash("sha256").update(key).digest("hex").slice(0, 16);
  }

  get keyId(): string {
    return this.currentId;
  }

  seal(plaintext: string): Buffer {
    const key = this.keys.get(this.currentId)!;
    const nonce = crypto.randomBytes(12);
    const cipher = crypto.createCipheriv("aes-256-gcm", key, nonce);
    const body = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
    return Buffer.concat([
      Buffer.from([1]),
      Buffer.from(this.currentId, "hex"),
      nonce,
      cipher.getAuthTag(),
      body,
    ]);
  }

  open(sealed: Buffer): string {
    if (sealed.length < 37 || sealed[0] !== 1) throw new Error("not a sealed secret");
    const id = sealed.subarray(1, 9).toString("hex");
    const key = this.keys.get(id);
    if (!key) throw new Error(`secret was sealed with an unknown key (${id})`);
    const decipher = crypto.createDecipheriv("aes-256-gcm", key, sealed.subarray(9, 21));
    decipher.setAuthTag(sealed.subarray(21, 37));
    return Buffer.concat([decipher.update(sealed.subarray(37)), decipher.final()]).toString("utf8");
  }

  /** Key id a sealed value was written with (to find rows that still need re-encryption). */
  static sealedKeyId(sealed: Buffer): string {
    return sealed.subarray(1, 9).toString("hex");
  }

  sealJson(value: unknown): Buffer {
    return this.seal(JSON.stringify(value));
  }

  openJson<T>(sealed: Buffer): T {
    return JSON.parse(this.open(sealed)) as T;
  }
}

/**
 * The key from HUB_SECRET_KEY, or from `<dataDir>/secret.key` (created with mode 0600 on first
 * run, so `npm start` needs no setup). HUB_SECRET_KEY_PREVIOUS lists retired keys still readable.
 */
export function loadSecretBox(opts: {
  secretKey: string | null;
  dataDir: string;
  previous?: string | null;
}): SecretBox {
  let key: Buffer;
  const extra: Buffer[] = [];
  if (opts.secretKey) {
    key = decodeKey(opts.secretKey)!;
  } else {
    const file = path.join(opts.dataDir, "secret.key");
    if (!fs.existsSync(file)) {
      fs.mkdirSync(opts.dataDir, { recursive: true });
      fs.writeFileSync(file, crypto.randomBytes(32).toString("base64"), { mode: 0o600, flag: "wx" });
    }
    key = decodeKey(fs.readFileSync(file, "utf8").trim())!;
    // Left by `npm run rotate-key`: rows written under the retired key stay readable.
    const retired = `${file}.previous`;
    if (fs.existsSync(retired)) {
      const old = decodeKey(fs.readFileSync(retired, "utf8").trim());
      if (old) extra.push(old);
    }
  }
  const previous = (opts.previous ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => decodeKey(s))
    .filter((k): k is Buffer => k !== null);
  return new SecretBox([key, ...previous, ...extra]);
}
