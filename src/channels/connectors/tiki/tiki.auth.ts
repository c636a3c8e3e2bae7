/**
 * Tiki's OAuth2 authorization-code flow for a public app: the consent URL, the code exchange (plus
 * the seller and warehouse lookups that give us the shop id and the stock warehouse), and the
 * refresh. Tiki's token server rotates refresh tokens, so a refresh always runs through
 * `refreshExclusive`, which stores the new pair before anyone uses it.
 */
import type {
  AppCredentials,
  AuthorizationRequest,
  ChannelContext,
  CodeExchange,
  Credentials,
  TokenSet,
} from "../connector";
import type { MarketplaceHttpClient } from "../http/marketplace-http.client";
import { ConnectorError, NeedsReauthError, type OutgoingRequest } from "../http/types";
import type { TikiList, TikiSeller, TikiTokenResponse, TikiWarehouse } from "./tiki.mapper";
import { TIKI_AUTH_PATH, TIKI_TOKEN_PATH } from "./tiki.signing";

/** Scopes the hub needs; `offline` is what makes Tiki issue a refresh token. */
export const TIKI_SCOPES = "offline product order inventory";

export function tikiAuthorizationUrl(req: AuthorizationRequest): string {
  // Tiki rejects a state shorter than 8 characters.
  if (req.state.length < 8) throw new RangeError("tiki: OAuth state must be at least 8 characters");
  const q = new URLSearchParams({
    response_type: "code",
    client_id: req.app.appKey,
    redirect_uri: req.redirectUri,
    scope: TIKI_SCOPES,
    state: req.state,
  });
  return `${req.baseUrl.replace(/\/$/, "")}${TIKI_AUTH_PATH}?${q.toString()}`;
}

function tokenRequest(form: Record<string, string>, endpoint: string): OutgoingRequest {
  return {
    method: "POST",
    path: TIKI_TOKEN_PATH,
    query: {},
    headers: {},
    body: new URLSearchParams(form),
    auth: "app",
    endpoint,
  };
}

function toTokenSet(t: TikiTokenResponse, now: number): TokenSet {
  return {
    accessToken: t.access_token,
    refreshToken: t.refresh_token ?? null,
    accessExpiresAt: now + t.expires_in * 1000,
    // Tiki does not return the refresh token's lifetime.
    refreshExpiresAt: null,
  };
}

/** GET with an explicit Bearer token, before the channel's credential store holds it. */
function bearerGet(path: string, accessToken: string, endpoint: string): OutgoingRequest {
  return {
    method: "GET",
    path,
    query: {},
    headers: { Authorization: `Bearer ${accessToken}` },
    auth: "app",
    endpoint,
  };
}

/** The seller's primary active warehouse: stock pushes name it. */
export function pickWarehouse(list: TikiWarehouse[]): string | null {
  const active = list.filter((w) => w.status === 1);
  const chosen = active.find((w) => w.is_primary) ?? active[0];
  return chosen ? String(chosen.id) : null;
}

export async function tikiExchangeCode(client: MarketplaceHttpClient, req: CodeExchange): Promise<TokenSet> {
  const p = req.callbackParams;
  if (p.error) {
    throw new NeedsReauthError(
      "tiki",
      p.error,
      p.error_hint ?? p.error_description ?? "authorization denied",
      "oauth.callback",
    );
  }
  if (!p.code)
    throw new ConnectorError(
      "tiki",
      "fatal",
      "MISSING_CODE",
      "callback has no code parameter",
      "oauth.callback",
    );
  const now = (req.now ?? Date.now)();
  const form: Record<string, string> = {
    grant_type: "authorization_code",
    code: p.code,
    client_id: req.app.appKey,
  };
  if (req.redirectUri) form.redirect_uri = req.redirectUri;
  const token = await client.sendApp<TikiTokenResponse>(
    req.baseUrl,
    req.app,
    tokenRequest(form, "oauth.token"),
  );
  const set = toTokenSet(token, now);
  const seller = await client.sendApp<TikiSeller>(
    req.baseUrl,
    req.app,
    bearerGet("/integration/v2/sellers/me", token.access_token, "seller.me"),
  );
  const warehouses = await client.sendApp<TikiList<TikiWarehouse>>(
    req.baseUrl,
    req.app,
    bearerGet("/integration/v2/sellers/me/warehouses", token.access_token, "seller.warehouses"),
  );
  const warehouseId = pickWarehouse(warehouses.data ?? []);
  return { ...set, shopId: String(seller.id), extra: warehouseId ? { warehouseId } : {} };
}

export async function tikiRefresh(client: MarketplaceHttpClient, ctx: ChannelContext): Promise<void> {
  const seen = (await ctx.credentials.load()).accessToken;
  const now = ctx.now ?? Date.now;
  await ctx.credentials.refreshExclusive(seen, async (current: Credentials) => {
    if (!current.refreshToken) {
      throw new NeedsReauthError(
        "tiki",
        "NO_REFRESH_TOKEN",
        "no refresh token stored (scope lacked offline)",
        "oauth.refresh",
      );
    }
    const app: AppCredentials = { appKey: current.appKey, appSecret: current.appSecret };
    const t = await client.sendApp<TikiTokenResponse>(
      ctx.baseUrl,
      app,
      tokenRequest(
        { grant_type: "refresh_token", refresh_token: current.refreshToken, client_id: current.appKey },
        "oauth.refresh",
      ),
    );
    return toTokenSet(t, now());
  });
}
