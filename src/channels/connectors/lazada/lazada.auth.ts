/**
 * Lazada seller authorization: the OAuth link on auth.lazada.com, and the token answers of
 * /auth/token/create and /auth/token/refresh (signed app calls on the auth host, no access_token).
 * A refresh renews the access token only; the refresh token keeps its original expiry.
 */
import type { AuthorizationRequest, TokenSet } from "../connector";

export const LAZADA_AUTH_HOST = "https://auth.lazada.com";
export const LAZADA_API_HOST_VN = "https://api.lazada.vn/rest";

/** Production gateways (api.lazada.vn/.sg/…) send token calls to the auth host; a sandbox serves both. */
export function isLazadaProduction(baseUrl: string): boolean {
  try {
    return /(^|\.)lazada\.(vn|sg|com\.my|co\.th|com\.ph|co\.id|com)$/.test(new URL(baseUrl).hostname);
  } catch {
    return false;
  }
}

export function authApiBase(baseUrl: string): string {
  return isLazadaProduction(baseUrl) ? `${LAZADA_AUTH_HOST}/rest` : baseUrl;
}

export function authorizationUrl(req: AuthorizationRequest): string {
  const host = isLazadaProduction(req.baseUrl) ? LAZADA_AUTH_HOST : req.baseUrl.replace(/\/+$/, "");
  const q = new URLSearchParams({
    response_type: "code",
    force_auth: "true",
    redirect_uri: req.redirectUri,
    client_id: req.app.appKey,
  });
  if (req.state) q.set("state", req.state);
  return `${host}/oauth/authorize?${q.toString()}`;
}

export interface LazadaTokenAnswer {
  access_token: string;
  refresh_token?: string;
  expires_in: number | string;
  refresh_expires_in?: number | string;
  country?: string;
  account?: string;
  account_platform?: string;
  country_user_info?: Array<{
    country: string;
    seller_id: string | number;
    user_id?: string | number;
    short_code?: string;
  }>;
}

export function tokenSetFrom(body: LazadaTokenAnswer, now: number): TokenSet {
  const vn = body.country_user_info?.find((c) => c.country === "vn") ?? body.country_user_info?.[0];
  const refreshIn = Number(body.refresh_expires_in ?? 0);
  const extra: Record<string, string> = {};
  if (body.country) extra.country = body.country;
  if (body.account) extra.account = body.account;
  if (vn?.short_code) extra.shortCode = vn.short_code;
  if (vn?.user_id !== undefined) extra.userId = String(vn.user_id);
  return {
    accessToken: body.access_token,
    refreshToken: body.refresh_token ?? null,
    accessExpiresAt: now + Number(body.expires_in) * 1000,
    // refresh_expires_in 0 means the token may no longer be refreshed.
    refreshExpiresAt: body.refresh_token ? now + refreshIn * 1000 : null,
    shopId: vn ? String(vn.seller_id) : undefined,
    extra,
  };
}
