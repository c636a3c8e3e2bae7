/**
 * Accounts over GraphQL: login and token refresh (the only operations open to anonymous callers),
 * logout, password change, `me`, users and memberships, API keys. Thin: each calls one service.
 */
import { Arg, Args, Authorized, Ctx, ID, Mutation, Query, Resolver } from "type-graphql";
import type { HubContext } from "../../app/context";
import { mutate } from "../../common/graphql/mutation";
import { PageArgs } from "../../common/graphql/relay";
import { toGlobalId } from "../../common/graphql/global-id";
import { ForbiddenError } from "../../common/errors";
import { connectionOf, pageWindow } from "../../catalogue/graphql/paging";
import { ApiKey } from "../api-key.entity";
import { producerFilter } from "../viewer";
import { Scope } from "../permissions";
import type { SessionTokens } from "../session.service";
import {
  ChangePasswordInput,
  CreateApiKeyInput,
  CreateUserInput,
  LoginInput,
  SetMembershipInput,
} from "./account.inputs";
import {
  ApiKeyConnection,
  ApiKeyPayload,
  ChangePasswordPayload,
  CreateApiKeyPayload,
  LogoutPayload,
  Me,
  SessionPayload,
  UserPayload,
  apiKeyType,
  userType,
} from "./account.types";

const NO_SESSION = {
  accessToken: null,
  accessTokenExpiresAt: null,
  refreshToken: null,
  refreshTokenExpiresAt: null,
  user: null,
};

@Resolver()
export class AccountResolver {
  @Mutation(() => SessionPayload, { description: "Logs in with email and password (no bearer needed)." })
  login(@Ctx() ctx: HubContext, @Arg("input") input: LoginInput): Promise<SessionPayload> {
    return mutate(ctx, NO_SESSION, async () =>
      this.session(ctx, await ctx.services.sessions.login(input.email, input.password, meta(ctx))),
    );
  }

  @Mutation(() => SessionPayload, {
    description: "Exchanges a refresh token for a new access and refresh token (the old one is spent).",
  })
  refreshSession(@Ctx() ctx: HubContext, @Arg("refreshToken") refreshToken: string): Promise<SessionPayload> {
    return mutate(ctx, NO_SESSION, async () =>
      this.session(ctx, await ctx.services.sessions.refresh(refreshToken, meta(ctx))),
    );
  }

  @Authorized()
  @Mutation(() => LogoutPayload, { description: "Ends this session, or every session of the user." })
  logout(
    @Ctx() ctx: HubContext,
    @Arg("everywhere", () => Boolean, { nullable: true }) everywhere: boolean | null,
  ): Promise<LogoutPayload> {
    return mutate(ctx, { sessionsEnded: 0 }, async () => ({
      sessionsEnded: await ctx.services.sessions.logout(ctx.viewer!, everywhere === true),
    }));
  }

  @Authorized()
  @Mutation(() => ChangePasswordPayload, { description: "Changes the password; other sessions end." })
  changePassword(
    @Ctx() ctx: HubContext,
    @Arg("input") input: ChangePasswordInput,
  ): Promise<ChangePasswordPayload> {
    return mutate(ctx, { changed: false }, async () => {
      await ctx.services.sessions.changePassword(ctx.viewer!, input.currentPassword, input.newPassword);
      return { changed: true };
    });
  }

  @Authorized()
  @Query(() => Me)
  async me(@Ctx() ctx: HubContext): Promise<Me> {
    const v = ctx.viewer!;
    const user = v.userId ? await ctx.services.accounts.user(v.userId) : null;
    const key = v.keyId
      ? await ctx.dataSource.getRepository(ApiKey).findOne({ where: { id: v.keyId } })
      : null;
    const ids = producerFilter(v);
    return {
      actor: v.actor,
      user: user ? userType(user) : null,
      apiKey: key ? apiKeyType(key) : null,
      scopes: Object.values(Scope).filter((s) => v.scopes?.has(s)),
      producerIds: ids === null ? null : ids.map((id) => toGlobalId("Producer", id)),
    };
  }

  @Authorized()
  @Mutation(() => UserPayload, {
    description:
      "Creates a user with a first membership (admins; organization admins and producer owners within theirs).",
  })
  createUser(@Ctx() ctx: HubContext, @Arg("input") input: CreateUserInput): Promise<UserPayload> {
    return mutate(ctx, { user: null }, async () => ({
      user: userType(await ctx.services.accounts.createUser(ctx.viewer!, input)),
    }));
  }

  @Authorized()
  @Mutation(() => UserPayload, { description: "Gives a user a role on a target, or removes it." })
  setMembership(@Ctx() ctx: HubContext, @Arg("input") input: SetMembershipInput): Promise<UserPayload> {
    return mutate(ctx, { user: null }, async () => ({
      user: userType(await ctx.services.accounts.setMembership(ctx.viewer!, input)),
    }));
  }

  @Authorized()
  @Query(() => ApiKeyConnection, { description: "Keys the caller may manage." })
  async apiKeys(@Ctx() ctx: HubContext, @Args() page: PageArgs): Promise<ApiKeyConnection> {
    const win = pageWindow(ctx, page);
    const r = await ctx.services.accounts.apiKeyPage(ctx.viewer!, win);
    return connectionOf(r.rows.map(apiKeyType), win, r.count) as ApiKeyConnection;
  }

  @Authorized()
  @Mutation(() => CreateApiKeyPayload, {
    description: "Creates a key with the given scopes (at most the caller's own there); returns it once.",
  })
  createApiKey(@Ctx() ctx: HubContext, @Arg("input") input: CreateApiKeyInput): Promise<CreateApiKeyPayload> {
    return mutate(ctx, { key: null, apiKey: null }, async () => {
      const issued = await ctx.services.accounts.createApiKey(ctx.viewer!, input);
      return { key: issued.key, apiKey: apiKeyType(issued.apiKey) };
    });
  }

  @Authorized()
  @Mutation(() => ApiKeyPayload, { description: "Revokes a key; it stops working at once." })
  revokeApiKey(@Ctx() ctx: HubContext, @Arg("id", () => ID) id: string): Promise<ApiKeyPayload> {
    return mutate(ctx, { apiKey: null }, async () => ({
      apiKey: apiKeyType(await ctx.services.accounts.revokeApiKey(ctx.viewer!, id)),
    }));
  }

  private async session(ctx: HubContext, t: SessionTokens): Promise<Omit<SessionPayload, "userErrors">> {
    const user = await ctx.services.accounts.user(t.userId);
    if (!user) throw new ForbiddenError();
    return {
      accessToken: t.accessToken,
      accessTokenExpiresAt: t.accessExpiresAt,
      refreshToken: t.refreshToken,
      refreshTokenExpiresAt: t.refreshExpiresAt,
      user: userType(user),
    };
  }
}

function meta(ctx: HubContext): { ip: string | null } {
  return { ip: ctx.ip };
}
