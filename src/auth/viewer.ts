/**
 * Who is calling. Every resolver sees a Viewer; services ask it what the caller may read or write,
 * so the rules live in one place. A viewer comes from an API key or a user's access token; what it
 * may do is a set of grants: scopes that hold everywhere, plus scopes per producer (from
 * organization and producer memberships or bound keys). The rule table is src/auth/permissions.ts.
 */
import { ApiKeyRole } from "./api-key.entity";
import { ALL_SCOPES, LEGACY_KEY_SCOPES, Scope } from "./permissions";
import { ForbiddenError } from "../common/errors";

export { Scope } from "./permissions";

export interface Grants {
  /** Scopes that apply to every producer (platform-wide keys and memberships). */
  everywhere: ReadonlySet<Scope>;
  /** Further scopes per producer id (organization and producer memberships, bound keys). */
  byProducer: ReadonlyMap<string, ReadonlySet<Scope>>;
}

export interface Viewer {
  /** "apiKey:<id>", "user:<id>" or "system:<what>"; written into ledger movements and audit entries. */
  actor: string;
  /** The kind of principal (for a user: its widest membership); rights come from the grants. */
  role: ApiKeyRole;
  /** Set when the caller is confined to exactly one producer. */
  producerId: string | null;
  keyId: string | null;
  userId?: string | null;
  /** The login session an access token belongs to (logout and password change use it). */
  sessionId?: string | null;
  /** Everything this caller may do somewhere (union of its grants). Derived from `role` when absent. */
  scopes?: ReadonlySet<Scope>;
  /** Exact rights; derived from `role` and `producerId` when absent (system viewers, older code). */
  grants?: Grants;
  /** Organizations the caller administers or belongs to (an organization key: its organization). */
  organizationIds?: readonly string[];
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

const NO_SCOPES: ReadonlySet<Scope> = new Set();
const derived = new WeakMap<Viewer, Grants>();

/** The viewer's grants; for a viewer built without them, what its role has always meant. */
export function grantsOf(v: Viewer): Grants {
  if (v.grants) return v.grants;
  let g = derived.get(v);
  if (!g) {
    const scopes = new Set(LEGACY_KEY_SCOPES[v.role] ?? []);
    const bound = v.role === ApiKeyRole.PRODUCER || v.role === ApiKeyRole.ORGANIZATION;
    g = bound
      ? { everywhere: NO_SCOPES, byProducer: new Map(v.producerId ? [[v.producerId, scopes]] : []) }
      : { everywhere: scopes, byProducer: new Map() };
    derived.set(v, g);
  }
  return g;
}

/** Builds a viewer from grants, filling the derived fields (scopes, producerId) consistently. */
export function viewerFromGrants(base: {
  actor: string;
  role: ApiKeyRole;
  keyId: string | null;
  userId?: string | null;
  sessionId?: string | null;
  grants: Grants;
  organizationIds?: readonly string[];
}): Viewer {
  const { everywhere, byProducer } = base.grants;
  const scopes = new Set(everywhere);
  for (const s of byProducer.values()) for (const x of s) scopes.add(x);
  const only = everywhere.size === 0 && byProducer.size === 1 ? [...byProducer.keys()][0] : null;
  return { ...base, producerId: only, scopes, organizationIds: base.organizationIds ?? [] };
}

/** What the caller may do with data of `producerId`. */
export function scopesAt(v: Viewer, producerId: string): ReadonlySet<Scope> {
  const g = grantsOf(v);
  const here = g.byProducer.get(producerId);
  if (!here || here.size === 0) return g.everywhere;
  if (g.everywhere.size === 0) return here;
  return new Set([...g.everywhere, ...here]);
}

/** Whether the caller holds `scope` (for `producerId` when given, else anywhere). */
export function hasScope(v: Viewer, scope: Scope, producerId?: string | null): boolean {
  if (producerId) return scopesAt(v, producerId).has(scope);
  const g = grantsOf(v);
  if (v.scopes) return v.scopes.has(scope);
  if (g.everywhere.has(scope)) return true;
  for (const s of g.byProducer.values()) if (s.has(scope)) return true;
  return false;
}

/** Throws FORBIDDEN unless the caller holds `scope` (for `producerId` when given). */
export function assertScope(v: Viewer, scope: Scope, producerId?: string | null): void {
  if (!hasScope(v, scope, producerId)) throw new ForbiddenError();
}

/**
 * The producers whose data the caller may touch with `scope` (default READ_CATALOGUE): null means
 * every producer, [] none. List queries filter with `producer_id = ANY($ids)` when not null.
 */
export function producerFilter(v: Viewer, scope: Scope = Scope.READ_CATALOGUE): readonly string[] | null {
  const g = grantsOf(v);
  if (g.everywhere.has(scope)) return null;
  const ids: string[] = [];
  for (const [id, s] of g.byProducer) if (s.has(scope)) ids.push(id);
  return ids;
}

/**
 * The one producer a caller is confined to, or null when it may read all producers. A caller
 * confined to several producers (or none) cannot be described by one id: this throws FORBIDDEN
 * rather than answer null (= everything); list code should use producerFilter instead.
 */
export function producerScope(v: Viewer): string | null {
  const ids = producerFilter(v);
  if (ids === null) return null;
  if (ids.length === 1) return ids[0];
  throw new ForbiddenError();
}

/** Whether the caller may see data of this producer with `scope` (default READ_CATALOGUE). */
export function canSeeProducer(v: Viewer, producerId: string, scope: Scope = Scope.READ_CATALOGUE): boolean {
  return scopesAt(v, producerId).has(scope);
}

/** Platform-wide readers see every organization; others only their own. */
export function canSeeOrganization(v: Viewer, organizationId: string): boolean {
  return (
    grantsOf(v).everywhere.has(Scope.READ_CATALOGUE) || (v.organizationIds ?? []).includes(organizationId)
  );
}

/** Whether the caller may change the catalogue of at least one producer. */
export function canWriteCatalogue(v: Viewer): boolean {
  return hasScope(v, Scope.WRITE_CATALOGUE);
}

/** Throws unless the caller may write data of this producer. */
export function assertCanWriteProducer(v: Viewer, producerId: string): void {
  if (!scopesAt(v, producerId).has(Scope.WRITE_CATALOGUE)) throw new ForbiddenError();
}

/** A platform admin: an ADMIN principal holding every scope everywhere (a narrowed admin key is not). */
export function isPlatformAdmin(v: Viewer): boolean {
  if (v.role !== ApiKeyRole.ADMIN) return false;
  const everywhere = grantsOf(v).everywhere;
  return ALL_SCOPES.every((s) => everywhere.has(s));
}

export function assertAdmin(v: Viewer): void {
  if (!isPlatformAdmin(v)) throw new ForbiddenError();
}
