/**
 * Users, memberships and API keys as the API manages them: who may create whom, hand out which
 * role (permissions.ts mayGrant), and issue keys with which scopes (never more than the issuer
 * holds at the key's target). Expected refusals are UserErrors; a caller without the right to act
 * at all gets FORBIDDEN.
 */
import type { DataSource } from "typeorm";
import { ForbiddenError, UserErrors } from "../common/errors";
import { idOf } from "../common/graphql/global-id";
import { validateInput } from "../common/validation";
import type { PageWindow } from "../common/graphql/relay";
import { ApiKey, ApiKeyRole } from "./api-key.entity";
import { ApiKeyService, IssuedKey } from "./api-key.service";
import { loadMemberships, MembershipRow } from "./grants";
import { hashPassword } from "./password";
import {
  ALL_SCOPES,
  MEMBERSHIP_RULES,
  MembershipRole,
  MembershipTarget,
  Scope,
  mayGrant,
} from "./permissions";
import { SessionService, checkNewPassword, normaliseEmail } from "./session.service";
import { Viewer, grantsOf, hasScope, isPlatformAdmin, scopesAt } from "./viewer";
import type { CreateApiKeyInput, CreateUserInput, SetMembershipInput } from "./graphql/account.inputs";

export interface UserRecord {
  id: string;
  email: string;
  displayName: string;
  createdAt: Date;
  disabledAt: Date | null;
  memberships: MembershipRow[];
}

interface Target {
  organizationId: string | null;
  producerId: string | null;
  producerOrganizationId: string | null;
}

async function check(input: object): Promise<void> {
  const errors = await validateInput(input);
  if (errors.length) throw new UserErrors(errors);
}

const isUniqueViolation = (e: unknown) => (e as { code?: string }).code === "23505";

function targetKind(t: Target): MembershipTarget {
  return t.organizationId ? "ORGANIZATION" : t.producerId ? "PRODUCER" : "NONE";
}

export class AccountService {
  constructor(
    private readonly ds: DataSource,
    private readonly sessions: SessionService,
    private readonly apiKeys: ApiKeyService,
  ) {}

  async user(id: string): Promise<UserRecord | null> {
    const [u]: Array<Omit<UserRecord, "memberships">> = await this.ds.query(
      `SELECT id, email, display_name AS "displayName", created_at AS "createdAt", disabled_at AS "disabledAt"
         FROM app_user WHERE id = $1`,
      [id],
    );
    return u ? { ...u, memberships: await loadMemberships(this.ds, id) } : null;
  }

  async createUser(viewer: Viewer, input: CreateUserInput): Promise<UserRecord> {
    await check(input);
    checkNewPassword("password", input.password);
    const target = await this.target(input.organizationId, input.producerId);
    if (input.role) {
      await this.assertMayGrant(viewer, input.role, target);
    } else if (!isPlatformAdmin(viewer)) {
      // A user without a membership is visible to platform admins only, so only they create one.
      throw new ForbiddenError();
    }
    const { email, key } = normaliseEmail(input.email);
    const passwordHash = await hashPassword(input.password);
    let id: string;
    try {
      id = await this.ds.transaction(async (m) => {
        const [u]: Array<{ id: string }> = await m.query(
          `INSERT INTO app_user (email, email_key, display_name, password_hash) VALUES ($1, $2, $3, $4) RETURNING id`,
          [email, key, (input.displayName ?? "").normalize("NFC").trim(), passwordHash],
        );
        if (input.role)
          await m.query(
            `INSERT INTO membership (user_id, role, organization_id, producer_id, created_by) VALUES ($1, $2, $3, $4, $5)`,
            [u.id, input.role, target.organizationId, target.producerId, viewer.actor],
          );
        return u.id;
      });
    } catch (e) {
      if (isUniqueViolation(e)) throw UserErrors.one("email", "DUPLICATE", { value: email });
      throw e;
    }
    return (await this.user(id))!;
  }

  /** Gives a user a role on a target (replacing its role there), or removes it. */
  async setMembership(viewer: Viewer, input: SetMembershipInput): Promise<UserRecord> {
    await check(input);
    const userId = idOf("User", input.userId);
    const exists = userId ? await this.user(userId) : null;
    if (!userId || !exists)
      throw UserErrors.one("userId", "NOT_FOUND", { entity: "người dùng / user", id: input.userId });
    const target = await this.target(input.organizationId, input.producerId);
    const where = `user_id = $1 AND coalesce(organization_id, producer_id, '00000000-0000-0000-0000-000000000000'::uuid)
                   = coalesce($2::uuid, $3::uuid, '00000000-0000-0000-0000-000000000000'::uuid)`;
    const current: Array<{ role: MembershipRole }> = await this.ds.query(
      `SELECT role FROM membership WHERE ${where}`,
      [userId, target.organizationId, target.producerId],
    );
    // Replacing or removing a role needs the right to grant the role being taken away, too.
    if (current[0]) await this.assertMayGrant(viewer, current[0].role, target);
    if (input.remove) {
      await this.ds.query(`DELETE FROM membership WHERE ${where}`, [
        userId,
        target.organizationId,
        target.producerId,
      ]);
    } else {
      await this.assertMayGrant(viewer, input.role, target);
      await this.ds.query(
        `INSERT INTO membership (user_id, role, organization_id, producer_id, created_by)
         VALUES ($1, $4, $2, $3, $5)
         ON CONFLICT (user_id, coalesce(organization_id, producer_id, '00000000-0000-0000-0000-000000000000'::uuid))
         DO UPDATE SET role = EXCLUDED.role, created_by = EXCLUDED.created_by, created_at = now()`,
        [userId, target.organizationId, target.producerId, input.role, viewer.actor],
      );
    }
    // Rights change on the next request in this process (other processes: within 5 s).
    this.sessions.forget(userId);
    this.apiKeys.forget();
    return (await this.user(userId))!;
  }

  async createApiKey(viewer: Viewer, input: CreateApiKeyInput): Promise<IssuedKey> {
    await check(input);
    // Keys are made by people (or a platform admin's key), so every key traces back to someone.
    if (viewer.keyId && !isPlatformAdmin(viewer)) throw new ForbiddenError();
    const scopes = [...new Set(input.scopes)];
    const target = await this.target(input.organizationId, input.producerId);
    const holds = (producerIds: string[] | null) =>
      producerIds === null
        ? scopes.every((s) => grantsOf(viewer).everywhere.has(s))
        : scopes.every((s) => producerIds.every((p) => scopesAt(viewer, p).has(s)));
    let role: ApiKeyRole;
    if (target.producerId) {
      if (!holds([target.producerId])) throw UserErrors.one("scopes", "SCOPES_NOT_HELD");
      role = ApiKeyRole.PRODUCER;
    } else if (target.organizationId) {
      const member =
        isPlatformAdmin(viewer) || (viewer.organizationIds ?? []).includes(target.organizationId);
      const producers: Array<{ id: string }> = await this.ds.query(
        `SELECT id FROM producer WHERE organization_id = $1`,
        [target.organizationId],
      );
      if (!member || !holds(producers.map((p) => p.id))) throw UserErrors.one("scopes", "SCOPES_NOT_HELD");
      role = ApiKeyRole.ORGANIZATION;
    } else {
      if (!holds(null)) throw UserErrors.one("scopes", "SCOPES_NOT_HELD");
      role =
        isPlatformAdmin(viewer) && ALL_SCOPES.every((s) => scopes.includes(s))
          ? ApiKeyRole.ADMIN
          : scopes.includes(Scope.OPS)
            ? ApiKeyRole.OPS
            : ApiKeyRole.INTEGRATOR_READ;
    }
    return this.apiKeys.issue({
      name: input.name.normalize("NFC").trim(),
      role,
      scopes,
      producerId: target.producerId,
      organizationId: target.organizationId,
      userId: viewer.userId ?? null,
    });
  }

  /**
   * Revokes a key: platform admins any; a user the keys it created; a producer's owners and its
   * organization's admins (MANAGE_CHANNELS there) its producer keys; a key itself.
   */
  async revokeApiKey(viewer: Viewer, globalId: string): Promise<ApiKey> {
    const id = idOf("ApiKey", globalId);
    const key = id ? await this.ds.getRepository(ApiKey).findOne({ where: { id } }) : null;
    const allowed =
      key &&
      (isPlatformAdmin(viewer) ||
        (key.userId !== null && key.userId === viewer.userId && !viewer.keyId) ||
        key.id === viewer.keyId ||
        (key.producerId !== null && hasScope(viewer, Scope.MANAGE_CHANNELS, key.producerId)));
    // Unknown and not-yours look the same: key ids of other tenants are not confirmed.
    if (!key || !allowed)
      throw UserErrors.one("id", "NOT_FOUND", { entity: "khóa API / API key", id: globalId });
    await this.apiKeys.revoke(key.id);
    return (await this.ds.getRepository(ApiKey).findOne({ where: { id: key.id } }))!;
  }

  /** Keys the caller may see: all for platform admins; else its own and those of producers it manages. */
  async apiKeyPage(
    viewer: Viewer,
    win: PageWindow,
  ): Promise<{ rows: ApiKey[]; count: () => Promise<number> }> {
    const admin = isPlatformAdmin(viewer);
    const managed: string[] = [];
    for (const [p, s] of grantsOf(viewer).byProducer) if (s.has(Scope.MANAGE_CHANNELS)) managed.push(p);
    const where = admin
      ? "true"
      : `((k.user_id = $1 AND $2::uuid IS NULL) OR k.id = $2 OR k.producer_id = ANY($3::uuid[]))`;
    const params = admin ? [] : [viewer.userId ?? null, viewer.keyId ?? null, managed];
    const n = params.length;
    const rows: Array<{ id: string }> = await this.ds.query(
      `SELECT k.id FROM api_key k WHERE ${where} ORDER BY k.created_at DESC, k.id
       OFFSET $${n + 1} LIMIT $${n + 2}`,
      [...params, win.offset, win.limit + 1],
    );
    const byId = new Map(
      (rows.length
        ? await this.ds.getRepository(ApiKey).find({ where: rows.map((r) => ({ id: r.id })) })
        : []
      ).map((k) => [k.id, k]),
    );
    return {
      rows: rows.map((r) => byId.get(r.id)!),
      count: async () =>
        (await this.ds.query(`SELECT count(*)::int AS n FROM api_key k WHERE ${where}`, params))[0].n,
    };
  }

  private async target(organizationGid?: string | null, producerGid?: string | null): Promise<Target> {
    if (organizationGid && producerGid) throw UserErrors.one("producerId", "MEMBERSHIP_TARGET");
    if (organizationGid) {
      const id = idOf("Organization", organizationGid);
      const rows = id ? await this.ds.query(`SELECT id FROM organization WHERE id = $1`, [id]) : [];
      if (!rows.length)
        throw UserErrors.one("organizationId", "NOT_FOUND", {
          entity: "tổ chức / organization",
          id: organizationGid,
        });
      return { organizationId: id, producerId: null, producerOrganizationId: null };
    }
    if (producerGid) {
      const id = idOf("Producer", producerGid);
      const rows: Array<{ organization_id: string | null }> = id
        ? await this.ds.query(`SELECT organization_id FROM producer WHERE id = $1`, [id])
        : [];
      if (!rows.length)
        throw UserErrors.one("producerId", "NOT_FOUND", { entity: "chủ thể / producer", id: producerGid });
      return { organizationId: null, producerId: id, producerOrganizationId: rows[0].organization_id };
    }
    return { organizationId: null, producerId: null, producerOrganizationId: null };
  }

  private async assertMayGrant(viewer: Viewer, role: MembershipRole, target: Target): Promise<void> {
    if (!MEMBERSHIP_RULES[role].targets.includes(targetKind(target)))
      throw UserErrors.one("role", "MEMBERSHIP_TARGET", { role });
    // Only people grant roles (or a platform admin's key): integration keys manage no one.
    const memberships =
      viewer.userId && !viewer.keyId
        ? await loadMemberships(this.ds, viewer.userId)
        : ([] as MembershipRow[]);
    const granter = {
      platformAdmin: isPlatformAdmin(viewer),
      orgAdminOf: memberships
        .filter((m) => m.role === MembershipRole.ORG_ADMIN)
        .map((m) => m.organizationId!),
      ownerOf: memberships.filter((m) => m.role === MembershipRole.PRODUCER_OWNER).map((m) => m.producerId!),
    };
    if (!mayGrant(granter, role, target)) throw new ForbiddenError();
  }
}
