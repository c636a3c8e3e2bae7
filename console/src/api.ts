/**
 * The console's only server: the hub's public GraphQL API at /graphql, with a Bearer token from
 * `login` (refreshed through `refreshSession` when it runs out) or an API key pasted at login.
 */
import { lang } from "./i18n";

interface Session {
  accessToken: string;
  refreshToken: string | null;
  label: string;
}

const KEY = "ocop.session";

export function loadSession(): Session | null {
  try {
    const s = JSON.parse(localStorage.getItem(KEY) ?? "null");
    return s && typeof s.accessToken === "string" ? s : null;
  } catch {
    return null;
  }
}

export function saveSession(s: Session | null): void {
  if (s) localStorage.setItem(KEY, JSON.stringify(s));
  else localStorage.removeItem(KEY);
}

export class ApiError extends Error {
  constructor(
    message: string,
    readonly code: string | null,
  ) {
    super(message);
  }
}

let onSignedOut: () => void = () => undefined;
export function whenSignedOut(f: () => void): void {
  onSignedOut = f;
}

async function post(query: string, variables: Record<string, unknown> | undefined, token: string | null) {
  const res = await fetch("/graphql", {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "accept-language": lang.value,
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify({ query, variables }),
  });
  const body = await res.json().catch(() => ({ errors: [{ message: `HTTP ${res.status}` }] }));
  return body as { data?: any; errors?: Array<{ message: string; extensions?: { code?: string } }> };
}

let refreshing: Promise<boolean> | null = null;

async function refresh(s: Session): Promise<boolean> {
  if (!s.refreshToken) return false;
  refreshing ??= (async () => {
    const r = await post(
      `mutation($t: String!) { refreshSession(refreshToken: $t) { accessToken refreshToken userErrors { code } } }`,
      { t: s.refreshToken },
      null,
    );
    const p = r.data?.refreshSession;
    if (!p?.accessToken) return false;
    saveSession({ ...s, accessToken: p.accessToken, refreshToken: p.refreshToken });
    return true;
  })().finally(() => (refreshing = null));
  return refreshing;
}

/** Runs a query or mutation; throws ApiError on a top-level error, signs out when the session is gone. */
export async function gql<T = any>(query: string, variables?: Record<string, unknown>): Promise<T> {
  let s = loadSession();
  let r = await post(query, variables, s?.accessToken ?? null);
  const unauth = (x: typeof r) => x.errors?.some((e) => e.extensions?.code === "UNAUTHENTICATED");
  if (s && unauth(r) && (await refresh(s))) {
    s = loadSession();
    r = await post(query, variables, s?.accessToken ?? null);
  }
  if (unauth(r)) {
    saveSession(null);
    onSignedOut();
  }
  if (r.errors?.length) throw new ApiError(r.errors[0].message, r.errors[0].extensions?.code ?? null);
  return r.data as T;
}

export async function login(email: string, password: string): Promise<string | null> {
  const r = await post(
    `mutation($i: LoginInput!) { login(input: $i) { accessToken refreshToken user { email displayName } userErrors { message } } }`,
    { i: { email, password } },
    null,
  );
  const p = r.data?.login;
  if (!p?.accessToken) return p?.userErrors?.[0]?.message ?? r.errors?.[0]?.message ?? "?";
  saveSession({ accessToken: p.accessToken, refreshToken: p.refreshToken, label: p.user?.email ?? email });
  return null;
}

export async function loginWithKey(key: string): Promise<string | null> {
  const r = await post(`{ me { actor } }`, undefined, key.trim());
  if (!r.data?.me) return r.errors?.[0]?.message ?? "?";
  saveSession({ accessToken: key.trim(), refreshToken: null, label: r.data.me.actor });
  return null;
}

export async function logout(): Promise<void> {
  const s = loadSession();
  if (s?.refreshToken) await post(`mutation { logout { userErrors { code } } }`, undefined, s.accessToken);
  saveSession(null);
}

/** userErrors rendered as one line (the server already wrote them in the caller's language). */
export function userErrorText(errs: Array<{ field?: string; message: string }> | undefined): string | null {
  if (!errs?.length) return null;
  return errs.map((e) => (e.field ? `${e.field}: ${e.message}` : e.message)).join("; ");
}
