export default async function globalTeardown(): Promise<void> {
  const db = (globalThis as any).__EMBEDDED_PG__;
  if (db) await db.stop();
}
