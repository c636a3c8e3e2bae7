/**
 * `Authorization: Bearer <token>` to a Viewer: an API key (ohk_…) or a session access token
 * (oha_…). Anything else, unknown, expired or revoked gives null (the edge answers 401).
 */
import type { HubServices } from "../app/services";
import { API_KEY_PREFIX } from "./api-key.service";
import { ACCESS_PREFIX } from "./session.service";
import type { Viewer } from "./viewer";

export async function authenticateBearer(
  services: Pick<HubServices, "apiKeys" | "sessions">,
  token: string,
): Promise<Viewer | null> {
  if (token.startsWith(API_KEY_PREFIX)) return services.apiKeys.authenticate(token);
  if (token.startsWith(ACCESS_PREFIX)) return services.sessions.authenticate(token);
  return null;
}
