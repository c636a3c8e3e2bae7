/**
 * Shopee v2 shop authorization: the auth_partner link, code → token exchange, and the refresh of a
 * single-use refresh token. Access tokens live 4 h, refresh tokens 30 d; Shopee returns only
 * `expire_in` for the access token, so the refresh expiry is the documented 30 days.
 */
import type { AuthorizationRequest, ChannelContext, CodeExchange, TokenSet } from "../connector";
import type { MarketplaceHttpClient } from "../http/marketplace-http.client";
import { ConnectorError, NeedsReauthError } from "../http/types";
import { shopeeSign } from "./shopee.signing";

export const AUTH_PARTNER_PATH = "/api/v2/shop/auth_partner";
export const TOKEN_GET_PATH = "/api/v2/auth/token/get";
export const TOKEN_REFRESH_PATH = "/api/v2/auth/access_token/get";
export const REFRESH_TOKEN_LIFETIME_MS = 30 * 86_400_000;

interface TokenAnswer {
  access_token?: string;
  refresh_token?: string;
  expire_in?: number;
  shop_id?: number;
}

function toTokenSet(answer: TokenAnswer, now: number, shopId: string | null): TokenSet {
  if (!answer.access_token || !answer.refresh_token || !answer.expire_in) {
    throw new ConnectorError(
      "shopee",
      "fatal",
      "error_data",
      "token answer without access_token/refresh_token/expire_in",
      "auth.token",
    );
  }
  return {
    accessToken: answer.access_token,
    refreshToken: answer.refresh_token,
    accessExpiresAt: now + answer.expire_in * 1000,
    refreshExpiresAt: now + REFRESH_TOKEN_LIFETIME_MS,
    shopId: answer.shop_id != null ? String(answer.shop_id) : (shopId ?? undefined),
  };
}

/** The seller opens this link; Shopee sends them back to `redirect` with code and shop_id. */
export function authorizationUrl(req: AuthorizationRequest): string {
  const timestamp = Math.floor((req.now ?? Date.now)() / 1000);
  const sign = shopeeSign(req.app.appSecret, {
    partnerId: req.app.appKey,
    path: AUTH_PARTNER_PATH,
    timestamp,
  });
  // Shopee has no state parameter: it keeps the redirect's own query, so state rides there.
  const redirect = new URL(req.redirectUri);
  redirect.searchParams.set("state", req.state);
  const q = new URLSearchParams({
    partner_id: req.app.appKey,
    timestamp: String(timestamp),
    sign,
    redirect: redirect.toString(),
  });
  return `${req.baseUrl.replace(/\/$/, "")}${AUTH_PARTNER_PATH}?${q.toString()}`;
}

export async function exchangeCode(client: MarketplaceHttpClient, req: CodeExchange): Promise<TokenSet> {
  const code = req.callbackParams.code;
  const shopId = req.callbackParams.shop_id;
  if (!code || !shopId) {
    // A main account (main_account_id) authorizes many shops at once; the hub connects one shop per channel.
    throw new ConnectorError(
      "shopee",
      "fatal",
      "error_param",
      "callback needs code and shop_id (main accounts are not supported)",
      "auth.token_get",
    );
  }
  const now = (req.now ?? Date.now)();
  const answer = await client.sendApp<TokenAnswer>(req.baseUrl, req.app, {
    method: "POST",
    path: TOKEN_GET_PATH,
    query: {},
    headers: {},
    body: { code, partner_id: Number(req.app.appKey), shop_id: Number(shopId) },
    auth: "app",
    endpoint: "auth.token_get",
  });
  return toTokenSet(answer, now, shopId);
}

/**
 * Refreshes under the store's lock. Shopee refresh tokens are single-use, so the store commits the
 * new pair before anyone uses it; a refusal means the seller must authorize again.
 */
export async function refreshToken(client: MarketplaceHttpClient, ctx: ChannelContext): Promise<void> {
  const seen = await ctx.credentials.load();
  await ctx.credentials.refreshExclusive(seen.accessToken, async (current) => {
    if (!current.refreshToken)
      throw new NeedsReauthError("shopee", "no_refresh_token", "no refresh token stored", "auth.refresh");
    if (current.refreshExpiresAt != null && current.refreshExpiresAt <= (ctx.now ?? Date.now)()) {
      throw new NeedsReauthError(
        "shopee",
        "refresh_token_expired",
        "refresh token expired (30 days)",
        "auth.refresh",
      );
    }
    const now = (ctx.now ?? Date.now)();
    try {
      const answer = await client.sendApp<TokenAnswer>(ctx.baseUrl, current, {
        method: "POST",
        path: TOKEN_REFRESH_PATH,
        query: {},
        headers: {},
        body: {
          refresh_token: current.refreshToken,
          partner_id: Number(current.appKey),
          shop_id: Number(ctx.shopId),
        },
        auth: "app",
        endpoint: "auth.refresh",
      });
      return toTokenSet(answer, now, ctx.shopId);
    } catch (e) {
      // A refresh Shopee refuses for a reason a retry cannot fix leaves only re-authorization.
      if (e instanceof ConnectorError && e.kind === "fatal") {
        throw new NeedsReauthError("shopee", e.code, e.remoteMessage, "auth.refresh");
      }
      throw e;
    }
  });
}
