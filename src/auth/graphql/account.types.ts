/**
 * Output types of accounts and keys. Secrets appear in exactly two places, once each: the tokens
 * of a login/refresh payload and the key of createApiKey; no stored hash is ever a field.
 */
import { Field, ID, Int, ObjectType } from "type-graphql";
import { Connection } from "../../common/graphql/relay";
import { UserError } from "../../common/graphql/user-error.type";
import { toGlobalId } from "../../common/graphql/global-id";
import { ApiKeyRole } from "../api-key.entity";
import { MembershipRole, Scope } from "../permissions";
import "../../catalogue/graphql/catalogue.enums";

@ObjectType({
  description: "A role of a user on the platform, an organization or a producer.",
  simpleResolvers: true,
})
export class MembershipType {
  @Field(() => MembershipRole) role!: MembershipRole;
  @Field(() => ID, { nullable: true, description: "Global id of the organization, when the role is on one." })
  organizationId!: string | null;
  @Field(() => ID, { nullable: true, description: "Global id of the producer, when the role is on one." })
  producerId!: string | null;
}

@ObjectType("User", { description: "A person who logs in with email and password." })
export class UserType {
  @Field(() => ID) id!: string;
  @Field() email!: string;
  @Field() displayName!: string;
  @Field() createdAt!: Date;
  @Field() disabled!: boolean;
  @Field(() => [MembershipType]) memberships!: MembershipType[];
}

@ObjectType("ApiKey", { description: "A bearer key for integrations. The key itself is shown only once." })
export class ApiKeyType {
  @Field(() => ID) id!: string;
  @Field() name!: string;
  @Field({ description: "First characters of the key, to recognise it." }) keyPrefix!: string;
  @Field(() => ApiKeyRole) role!: ApiKeyRole;
  @Field(() => [Scope]) scopes!: Scope[];
  @Field(() => ID, { nullable: true }) producerId!: string | null;
  @Field(() => ID, { nullable: true }) organizationId!: string | null;
  @Field() createdAt!: Date;
  @Field(() => Date, { nullable: true }) lastUsedAt!: Date | null;
  @Field(() => Date, { nullable: true }) revokedAt!: Date | null;
}

@ObjectType()
export class ApiKeyConnection extends Connection(ApiKeyType, "ApiKey") {}

@ObjectType({ description: "Who is calling and what it may do." })
export class Me {
  @Field() actor!: string;
  @Field(() => UserType, { nullable: true, description: "The logged-in user (or the user owning the key)." })
  user!: UserType | null;
  @Field(() => ApiKeyType, { nullable: true, description: "The key used, when called with an API key." })
  apiKey!: ApiKeyType | null;
  @Field(() => [Scope], { description: "Scopes held somewhere (on every producer, or on some)." })
  scopes!: Scope[];
  @Field(() => [ID], { nullable: true, description: "Producers the caller may read; null means all." })
  producerIds!: string[] | null;
}

@ObjectType()
export class SessionPayload {
  @Field(() => String, { nullable: true, description: "Bearer token for requests; valid 15 minutes." })
  accessToken!: string | null;
  @Field(() => Date, { nullable: true }) accessTokenExpiresAt!: Date | null;
  @Field(() => String, {
    nullable: true,
    description: "Single use: exchange it in refreshSession for a new pair. Reusing one ends the session.",
  })
  refreshToken!: string | null;
  @Field(() => Date, { nullable: true }) refreshTokenExpiresAt!: Date | null;
  @Field(() => UserType, { nullable: true }) user!: UserType | null;
  @Field(() => [UserError]) userErrors!: UserError[];
}

@ObjectType()
export class LogoutPayload {
  @Field(() => Int, { description: "Sessions ended." }) sessionsEnded!: number;
  @Field(() => [UserError]) userErrors!: UserError[];
}

@ObjectType()
export class ChangePasswordPayload {
  @Field() changed!: boolean;
  @Field(() => [UserError]) userErrors!: UserError[];
}

@ObjectType()
export class UserPayload {
  @Field(() => UserType, { nullable: true }) user!: UserType | null;
  @Field(() => [UserError]) userErrors!: UserError[];
}

@ObjectType()
export class CreateApiKeyPayload {
  @Field(() => String, { nullable: true, description: "The key, shown this once; store it now." })
  key!: string | null;
  @Field(() => ApiKeyType, { nullable: true }) apiKey!: ApiKeyType | null;
  @Field(() => [UserError]) userErrors!: UserError[];
}

@ObjectType()
export class ApiKeyPayload {
  @Field(() => ApiKeyType, { nullable: true }) apiKey!: ApiKeyType | null;
  @Field(() => [UserError]) userErrors!: UserError[];
}

export function userType(u: {
  id: string;
  email: string;
  displayName: string;
  createdAt: Date;
  disabledAt: Date | null;
  memberships: Array<{ role: MembershipRole; organizationId: string | null; producerId: string | null }>;
}): UserType {
  return {
    id: toGlobalId("User", u.id),
    email: u.email,
    displayName: u.displayName,
    createdAt: u.createdAt,
    disabled: u.disabledAt !== null,
    memberships: u.memberships.map((m) => ({
      role: m.role,
      organizationId: m.organizationId ? toGlobalId("Organization", m.organizationId) : null,
      producerId: m.producerId ? toGlobalId("Producer", m.producerId) : null,
    })),
  };
}

export function apiKeyType(k: {
  id: string;
  name: string;
  keyPrefix: string;
  role: ApiKeyRole;
  scopes: string[];
  producerId: string | null;
  organizationId: string | null;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}): ApiKeyType {
  return {
    id: toGlobalId("ApiKey", k.id),
    name: k.name,
    keyPrefix: k.keyPrefix,
    role: k.role,
    scopes: k.scopes as Scope[],
    producerId: k.producerId ? toGlobalId("Producer", k.producerId) : null,
    organizationId: k.organizationId ? toGlobalId("Organization", k.organizationId) : null,
    createdAt: k.createdAt,
    lastUsedAt: k.lastUsedAt,
    revokedAt: k.revokedAt,
  };
}
