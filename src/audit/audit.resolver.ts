/** `auditLog`: who changed what; all of it for platform admins and ops, their own data for others. */
import { Arg, Args, Authorized, Ctx, Field, ID, InputType, ObjectType, Query, Resolver } from "type-graphql";
import { GraphQLJSONObject } from "graphql-scalars";
import { IsOptional } from "class-validator";
import type { HubContext } from "../app/context";
import { Connection, PageArgs } from "../common/graphql/relay";
import { toGlobalId } from "../common/graphql/global-id";
import { UserErrors } from "../common/errors";
import { validateInput, Text } from "../common/validation";
import { connectionOf, pageWindow } from "../catalogue/graphql/paging";
import type { AuditEntryRow } from "./audit.service";

@ObjectType({ description: "One recorded write.", simpleResolvers: true })
export class AuditEntry {
  @Field(() => ID) id!: string;
  @Field() at!: Date;
  @Field({ description: '"user:<id>", "apiKey:<id>" or "system:<what>".' }) actor!: string;
  @Field(() => ID, { nullable: true }) userId!: string | null;
  @Field(() => ID, { nullable: true }) apiKeyId!: string | null;
  @Field({ description: "The mutation or service operation." }) operation!: string;
  @Field(() => String, { nullable: true }) targetType!: string | null;
  @Field(() => ID, { nullable: true }) targetId!: string | null;
  @Field(() => GraphQLJSONObject, { description: "Input and result ids, or before/after; secrets removed." })
  changes!: Record<string, unknown>;
  @Field(() => String, { nullable: true }) ip!: string | null;
  @Field(() => String, { nullable: true }) requestId!: string | null;
}

@ObjectType()
export class AuditEntryConnection extends Connection(AuditEntry, "AuditEntry") {}

@InputType()
export class AuditLogFilter {
  @Field(() => ID, { nullable: true }) @IsOptional() @Text(120) targetId?: string | null;
  @Field(() => String, { nullable: true }) @IsOptional() @Text(120) actor?: string | null;
  @Field(() => String, { nullable: true }) @IsOptional() @Text(100) operation?: string | null;
  @Field(() => Date, { nullable: true }) @IsOptional() from?: Date | null;
  @Field(() => Date, { nullable: true }) @IsOptional() to?: Date | null;
}

function entryOf(r: AuditEntryRow): AuditEntry {
  return {
    ...r,
    userId: r.userId ? toGlobalId("User", r.userId) : null,
    apiKeyId: r.apiKeyId ? toGlobalId("ApiKey", r.apiKeyId) : null,
  };
}

@Resolver()
export class AuditResolver {
  @Authorized()
  @Query(() => AuditEntryConnection, { description: "Recorded writes, newest first." })
  async auditLog(
    @Ctx() ctx: HubContext,
    @Args() page: PageArgs,
    @Arg("filter", () => AuditLogFilter, { nullable: true }) filter: AuditLogFilter | null,
  ): Promise<AuditEntryConnection> {
    if (filter) {
      const errors = await validateInput(filter);
      if (errors.length) throw new UserErrors(errors);
    }
    const win = pageWindow(ctx, page);
    const r = await ctx.services.audit.page(ctx.viewer!, filter, win);
    return connectionOf(r.rows.map(entryOf), win, r.count) as AuditEntryConnection;
  }
}
