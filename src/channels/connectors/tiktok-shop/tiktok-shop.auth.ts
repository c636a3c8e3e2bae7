/**
 * TikTok Shop seller authorization: the auth link, the code → token exchange and the refresh,
 * which live on auth.tiktok-shops.com (unsigned GETs carrying app_secret), and the authorized-shop
 * lookup that yields the shop_cipher every shop-scoped call needs.
 */
import type { AppCredentials, AuthorizationRequest, TokenSet } from "../connector";
import type { OutgoingRequest } from "../http/types";

export const API_HOST = "https://open-api.tiktokglobalshop.com";
export const AUTH_HOST = "https://auth.tiktok-shops.com";
export const AUTHORIZE_URL = "https://services.tiktokshop.com/open/authorize";
/** Older apps without a service id still use the app_key link on the auth host. */
export const LEGACY_AUTHORIZE_URL = `${AUTH_HOST}/oauth/authorize`;

export interface WireToken {
  access_token: string;
  access_token_expire_in: number;
  refresh_token: string;
  refresh_token_expire_in: number;
  open_id?: string;
  seller_name?: string;
  seller_base_region?: string;
}

export interface WireShop {
  id: string;
  name?: string;
  region?: string;
  cipher: string;
  code?: string;
}

/**
 * Token calls go to the auth host in production. A channel whose base URL was overridden (a
 * sandbox, a proxy) serves them itself, so only the production API host is rewritten.
 */
export function authHostFor(baseUrl: string): string {
  return baseUrl.replace(/\/+$/, "") === API_HOST ? AUTH_HOST : baseUrl;
}

/** The seller opens this; TikTok redirects to the redirect URL registered for the app (not a parameter). */
export function buildAuthorizationUrl(req: AuthorizationRequest, serviceId: string | null): string {
  const production = req.baseUrl.replace(/\/+$/, "") === API_HOST;
  if (serviceId) {
    const base = production ? AUTHORIZE_URL : `${req.baseUrl}/open/authorize`;
    return `${base}?${new URLSearchParams({ service_id: serviceId, state: req.state })}`;
  }
  const base = production ? LEGACY_AUTHORIZE_URL : `${req.baseUrl}/oauth/authorize`;
  return `${base}?${new URLSearchParams({ app_key: req.app.appKey, state: req.state })}`;
}

export function tokenGetRequest(app: AppCredentials, authCode: string): OutgoingRequest {
  return {
    method: "GET",
    path: "/api/v2/token/get",
    query: {
      app_key: app.appKey,
      app_secret: app.appSecret,
      auth_code: authCode,
      grant_type: "authorized_code",
    },
    headers: {},
    auth: "app",
    endpoint: "token.get",
  };
}

export function tokenRefreshRequest(app: AppCredentials, refreshToken: string): OutgoingRequest {
  return {
    method: "GET",
    path: "/api/v2/token/refresh",
    query: {
      app_key: app.appKey,
      app_secret: app.appSecret,
      refresh_token: refreshToken,
      grant_type: "refresh_token",
    },
    headers: {},
    auth: "app",
    endpoint: "token.refresh",
  };
}

/** Signed, with the new token in the header, and without shop_cipher (it is what we are fetching). */
export function authorizedShopsRequest(accessToken: string): OutgoingRequest {
  return {
    method: "GET",
    path: "/authorization/202309/shops",
    query: {},
    headers: { "x-tts-access-token": accessToken },
    auth: "app",
    endpoint: "authorization.shops",
  };
}

/** A cross-border seller may authorize several shops; the hub connects the Vietnamese one. */
export function pickShop(shops: WireShop[]): WireShop | null {
  return shops.find((s) => s.region === "VN") ?? shops[0] ?? null;
}

export function toTokenSet(t: WireToken, shop: WireShop | null): TokenSet {
  const extra: Record<string, string> = {};
  if (shop) extra.shop_cipher = shop.cipher;
  if (t.open_id) extra.open_id = t.open_id;
  return {
    accessToken: t.access_token,
    refreshToken: t.refresh_token ?? null,
    accessExpiresAt: t.access_token_expire_in * 1000,
    refreshExpiresAt: t.refresh_token_expire_in ? t.refresh_token_expire_in * 1000 : null,
    shopId: shop?.id,
    extra,
  };
}
