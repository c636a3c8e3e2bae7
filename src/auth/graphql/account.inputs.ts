/** GraphQL inputs of accounts, memberships and API keys, with their validation rules. */
import { ArrayMaxSize, ArrayNotEmpty, IsBoolean, IsEnum, IsOptional } from "class-validator";
import { Field, ID, InputType } from "type-graphql";
import { Email, Text } from "../../common/validation";
import { MembershipRole, Scope } from "../permissions";
import { PASSWORD_MAX, PASSWORD_MIN } from "../password";

const roleList = { context: { params: { allowed: Object.values(MembershipRole).join(", ") } } };
const scopeList = { context: { params: { allowed: Object.values(Scope).join(", ") } } };

@InputType()
export class LoginInput {
  @Field() @Text(254, 1) email!: string;
  @Field() @Text(PASSWORD_MAX, 1) password!: string;
}

@InputType()
export class ChangePasswordInput {
  @Field() @Text(PASSWORD_MAX, 1) currentPassword!: string;
  @Field({ description: `At least ${PASSWORD_MIN} characters.` })
  @Text(PASSWORD_MAX, PASSWORD_MIN)
  newPassword!: string;
}

@InputType()
export class CreateUserInput {
  @Field() @Text(254, 3) @Email() email!: string;
  @Field({
    description: `At least ${PASSWORD_MIN} characters; the user should change it after the first login.`,
  })
  @Text(PASSWORD_MAX, PASSWORD_MIN)
  password!: string;
  @Field(() => String, { nullable: true }) @IsOptional() @Text(200) displayName?: string | null;
  @Field(() => MembershipRole, { nullable: true, description: "A first membership, given with its target." })
  @IsOptional()
  @IsEnum(MembershipRole, roleList)
  role?: MembershipRole | null;
  @Field(() => ID, { nullable: true }) @IsOptional() @Text(120) organizationId?: string | null;
  @Field(() => ID, { nullable: true }) @IsOptional() @Text(120) producerId?: string | null;
}

@InputType()
export class SetMembershipInput {
  @Field(() => ID) @Text(120, 1) userId!: string;
  @Field(() => MembershipRole) @IsEnum(MembershipRole, roleList) role!: MembershipRole;
  @Field(() => ID, { nullable: true, description: "For ORG_ADMIN (or an organization-wide INTEGRATOR)." })
  @IsOptional()
  @Text(120)
  organizationId?: string | null;
  @Field(() => ID, { nullable: true, description: "For PRODUCER_OWNER, PRODUCER_STAFF (or an INTEGRATOR)." })
  @IsOptional()
  @Text(120)
  producerId?: string | null;
  @Field(() => Boolean, { nullable: true, description: "Removes the user's membership on this target." })
  @IsOptional()
  @IsBoolean()
  remove?: boolean | null;
}

@InputType()
export class CreateApiKeyInput {
  @Field() @Text(100, 1) name!: string;
  @Field(() => [Scope])
  @ArrayNotEmpty()
  @ArrayMaxSize(5)
  @IsEnum(Scope, { each: true, ...scopeList })
  scopes!: Scope[];
  @Field(() => ID, { nullable: true, description: "Binds the key to one producer." })
  @IsOptional()
  @Text(120)
  producerId?: string | null;
  @Field(() => ID, { nullable: true, description: "Binds the key to one organization's producers." })
  @IsOptional()
  @Text(120)
  organizationId?: string | null;
}
