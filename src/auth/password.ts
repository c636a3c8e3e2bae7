/**
 * Password hashing with argon2id (OWASP's minimum profile: 19 MiB, 2 passes, 1 lane), through
 * @node-rs/argon2's prebuilt binaries. Hashes carry their parameters, so raising the cost later
 * keeps old hashes verifiable.
 */
import { hash, verify } from "@node-rs/argon2";

// Algorithm.Argon2id is 2 (a const enum, which isolatedModules cannot read from a .d.ts).
const ARGON2ID = 2;
const OPTIONS = { algorithm: ARGON2ID, memoryCost: 19_456, timeCost: 2, parallelism: 1 };

export const PASSWORD_MIN = 10;
export const PASSWORD_MAX = 200;

export function hashPassword(password: string): Promise<string> {
  return hash(password.normalize("NFC"), OPTIONS);
}

export async function verifyPassword(stored: string, password: string): Promise<boolean> {
  try {
    return await verify(stored, password.normalize("NFC"));
  } catch {
    return false; // a malformed stored hash verifies nothing
  }
}

let dummy: Promise<string> | null = null;

/**
 * Spends the same time as a real verification, for an unknown email: a login must not reveal
 * which addresses have accounts by answering faster.
 */
export async function verifyNothing(password: string): Promise<false> {
  dummy ??= hashPassword("not-a-real-password-" + Math.random());
  await verifyPassword(await dummy, password);
  return false;
}
