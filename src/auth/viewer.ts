/**
 * Who is calling. Every resolver sees a Viewer; services ask it what the caller may read or write,
 * so the rules live in one place.
 */
import { ApiKeyRole } from "./api-key.entity";
import { ForbiddenError } from "../common/errors";

export interface Viewer {
  /** "apiKey:<id>" or "system:<what>"; written into ledger movements and audit entries. */
  actor: string;
  role: ApiKeyRole;
  /** Set for producer keys: the only producer this caller may see or change. */
  producerId: string | null;
  keyId: string | null;
}

export const SYSTEM_VIEWER: Viewer = {
  actor: "system",
  role: ApiKeyRole.ADMIN,
  producerId: null,
  keyId: null,
};

export function systemViewer(what: string): Viewer {
  return { ...SYSTEM_VIEWER, actor: `system:${what}` };
}

/** Roles that may change the catalogue. Integrator-read and ops keys only read it. */
export function canWriteCatalogue(v: Viewer): boolean {
  return v.role === ApiKeyRole.ADMIN || v.role === ApiKeyRole.PRODUCER;
}

/** The producer a caller is confined to, or null when it may see all producers. */
export function producerScope(v: Viewer): string | null {
  return v.role === ApiKeyRole.PRODUCER ? v.producerId : null;
}

export function canSeeProducer(v: Viewer, producerId: string): boolean {
  const scope = producerScope(v);
  return scope === null || scope === producerId;
}

/** Throws unless the caller may write data of this producer. */
export function assertCanWriteProducer(v: Viewer, producerId: string): void {
  if (!canWriteCatalogue(v) || !canSeeProducer(v, producerId)) throw new ForbiddenError();
}

export function assertAdmin(v: Viewer): void {
  if (v.role !== ApiKeyRole.ADMIN) throw new ForbiddenError();
}
