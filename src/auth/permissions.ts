/**
 * The rule table: which scopes each membership role and each legacy key role grants, where they
 * apply (everywhere, an organization's producers, one producer), and who may hand out which role.
 * Every access decision in the hub derives from these tables; change a right here, nowhere else.
 */
import { registerEnumType } from "type-graphql";
import { ApiKeyRole } from "./api-key.entity";

export enum Scope {
  /** Read products, producers, variants, stock, certifications, stats. */
  READ_CATALOGUE = "READ_CATALOGUE",
  /** Create and change catalogue data (products, variants, prices, stock, certifications). */
  WRITE_CATALOGUE = "WRITE_CATALOGUE",
  /** Connect marketplace shops, change channel rules, publish; touches marketplace credentials. */
  MANAGE_CHANNELS = "MANAGE_CHANNELS",
  /** Read marketplace orders (buyer names and addresses: personal data). */
  READ_ORDERS = "READ_ORDERS",
  /** Sync runs, retries, reconciliation, webhooks health: the operations desk. */
  OPS = "OPS",
}

export enum MembershipRole {
  ORG_ADMIN = "ORG_ADMIN",
  PRODUCER_OWNER = "PRODUCER_OWNER",
  PRODUCER_STAFF = "PRODUCER_STAFF",
  INTEGRATOR = "INTEGRATOR",
  OPS = "OPS",
  PLATFORM_ADMIN = "PLATFORM_ADMIN",
}

registerEnumType(Scope, { name: "Scope", description: "What an API key or a membership allows." });
registerEnumType(MembershipRole, { name: "MembershipRole" });

export const ALL_SCOPES: readonly Scope[] = Object.values(Scope);

/** Where a membership applies: everywhere, one organization's producers, or one producer. */
export type MembershipTarget = "NONE" | "ORGANIZATION" | "PRODUCER";

interface RoleRule {
  scopes: readonly Scope[];
  /** Targets this role may be attached to (checked again by the membership table's CHECKs). */
  targets: readonly MembershipTarget[];
}

const { READ_CATALOGUE, WRITE_CATALOGUE, MANAGE_CHANNELS, READ_ORDERS, OPS } = Scope;

export const MEMBERSHIP_RULES: Record<MembershipRole, RoleRule> = {
  // Runs the platform: everything, everywhere, including users, producers and the whole audit log.
  PLATFORM_ADMIN: { scopes: ALL_SCOPES, targets: ["NONE"] },
  // The operations desk reads everything it needs to fix sync problems but changes no catalogue data.
  OPS: { scopes: [READ_CATALOGUE, READ_ORDERS, OPS], targets: ["NONE"] },
  // A provincial office runs its producers' catalogue and shops on their behalf.
  ORG_ADMIN: {
    scopes: [READ_CATALOGUE, WRITE_CATALOGUE, MANAGE_CHANNELS, READ_ORDERS],
    targets: ["ORGANIZATION"],
  },
  // The producer itself: its catalogue, its marketplace shops, its orders.
  PRODUCER_OWNER: {
    scopes: [READ_CATALOGUE, WRITE_CATALOGUE, MANAGE_CHANNELS, READ_ORDERS],
    targets: ["PRODUCER"],
  },
  // Staff keep products, prices and stock up to date and see orders, but cannot connect or
  // disconnect shops: that hands out marketplace credentials, which stays with the owner.
  PRODUCER_STAFF: { scopes: [READ_CATALOGUE, WRITE_CATALOGUE, READ_ORDERS], targets: ["PRODUCER"] },
  // An outside system reading catalogue and orders; writes only through a key given more scopes
  // by someone who holds them. Platform-wide (NONE) or confined to an organization or producer.
  INTEGRATOR: { scopes: [READ_CATALOGUE, READ_ORDERS], targets: ["NONE", "ORGANIZATION", "PRODUCER"] },
};

/**
 * Scopes of keys created before scopes existed (migration 1764137600001 wrote the same mapping
 * into api_key.scopes; this table serves viewers built in code, such as system viewers and tests).
 */
export const LEGACY_KEY_SCOPES: Record<ApiKeyRole, readonly Scope[]> = {
  ADMIN: ALL_SCOPES,
  PRODUCER: [READ_CATALOGUE, WRITE_CATALOGUE, MANAGE_CHANNELS, READ_ORDERS],
  ORGANIZATION: [READ_CATALOGUE, WRITE_CATALOGUE, MANAGE_CHANNELS, READ_ORDERS],
  INTEGRATOR_READ: [READ_CATALOGUE],
  OPS: [READ_CATALOGUE, READ_ORDERS, OPS],
};

/**
 * Who may give a role to someone (setMembership, createUser):
 * - a platform admin: any role;
 * - an organization admin: ORG_ADMIN of its organization, and PRODUCER_OWNER / PRODUCER_STAFF /
 *   INTEGRATOR on its organization or any of its producers;
 * - a producer owner: PRODUCER_OWNER / PRODUCER_STAFF / INTEGRATOR on its own producer;
 * - nobody else. Platform-wide roles (PLATFORM_ADMIN, OPS, platform INTEGRATOR) only by an admin.
 * The caller's memberships are given as (role, target id) pairs, the org's producers resolved.
 */
export function mayGrant(
  granter: { platformAdmin: boolean; orgAdminOf: readonly string[]; ownerOf: readonly string[] },
  role: MembershipRole,
  target: { organizationId: string | null; producerId: string | null; producerOrganizationId: string | null },
): boolean {
  if (granter.platformAdmin) return true;
  const { organizationId, producerId, producerOrganizationId } = target;
  const orgAdminHere = organizationId
    ? granter.orgAdminOf.includes(organizationId)
    : producerOrganizationId !== null && granter.orgAdminOf.includes(producerOrganizationId);
  switch (role) {
    case MembershipRole.ORG_ADMIN:
      return organizationId !== null && granter.orgAdminOf.includes(organizationId);
    case MembershipRole.PRODUCER_OWNER:
    case MembershipRole.PRODUCER_STAFF:
      return producerId !== null && (orgAdminHere || granter.ownerOf.includes(producerId));
    case MembershipRole.INTEGRATOR:
      if (organizationId) return orgAdminHere;
      return producerId !== null && (orgAdminHere || granter.ownerOf.includes(producerId));
    default:
      return false;
  }
}
