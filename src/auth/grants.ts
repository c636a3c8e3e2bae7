/**
 * Turns a user's memberships (and a key's stored scopes) into grants: scopes everywhere plus
 * scopes per producer, an organization membership expanded to the organization's producers.
 * The scopes per role come from the rule table in permissions.ts.
 */
import type { DataSource, EntityManager } from "typeorm";
import { ApiKeyRole } from "./api-key.entity";
import { MEMBERSHIP_RULES, MembershipRole, Scope } from "./permissions";
import type { Grants } from "./viewer";

export interface MembershipRow {
  id: string;
  role: MembershipRole;
  organizationId: string | null;
  producerId: string | null;
  /** For an organization membership: the organization's producers. */
  orgProducerIds: string[];
}

export interface UserGrants {
  grants: Grants;
  organizationIds: string[];
  /** The widest kind of principal among the memberships (informational). */
  role: ApiKeyRole;
  memberships: MembershipRow[];
}

export async function loadMemberships(
  db: DataSource | EntityManager,
  userId: string,
): Promise<MembershipRow[]> {
  return db.query(
    `SELECT m.id, m.role, m.organization_id AS "organizationId", m.producer_id AS "producerId",
            coalesce(array_agg(p.id) FILTER (WHERE p.id IS NOT NULL), '{}') AS "orgProducerIds"
       FROM membership m
       LEFT JOIN producer p ON m.organization_id IS NOT NULL AND p.organization_id = m.organization_id
      WHERE m.user_id = $1
      GROUP BY m.id
      ORDER BY m.created_at, m.id`,
    [userId],
  );
}

function add(map: Map<string, Set<Scope>>, producerId: string, scopes: Iterable<Scope>): void {
  let s = map.get(producerId);
  if (!s) map.set(producerId, (s = new Set()));
  for (const x of scopes) s.add(x);
}

export function grantsFromMemberships(memberships: MembershipRow[]): UserGrants {
  const everywhere = new Set<Scope>();
  const byProducer = new Map<string, Set<Scope>>();
  const organizationIds: string[] = [];
  for (const m of memberships) {
    const scopes = MEMBERSHIP_RULES[m.role]?.scopes ?? [];
    if (m.organizationId) {
      organizationIds.push(m.organizationId);
      for (const p of m.orgProducerIds) add(byProducer, p, scopes);
    } else if (m.producerId) {
      add(byProducer, m.producerId, scopes);
    } else {
      for (const s of scopes) everywhere.add(s);
    }
  }
  const has = (r: MembershipRole) => memberships.some((m) => m.role === r);
  const role = has(MembershipRole.PLATFORM_ADMIN)
    ? ApiKeyRole.ADMIN
    : has(MembershipRole.OPS)
      ? ApiKeyRole.OPS
      : everywhere.size > 0
        ? ApiKeyRole.INTEGRATOR_READ
        : organizationIds.length > 0
          ? ApiKeyRole.ORGANIZATION
          : ApiKeyRole.PRODUCER;
  return { grants: { everywhere, byProducer }, organizationIds, role, memberships };
}

/** Scopes in both sets. */
export function intersect(a: Iterable<Scope>, b: ReadonlySet<Scope>): Set<Scope> {
  const out = new Set<Scope>();
  for (const s of a) if (b.has(s)) out.add(s);
  return out;
}
