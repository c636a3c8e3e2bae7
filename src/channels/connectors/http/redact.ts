/**
 * Removes secrets from anything the HTTP layer might print or throw: values of secret-named keys in
 * objects and JSON text, secret-named query parameters in URLs, bearer tokens, and any literal
 * secret value registered by the client (app secrets and tokens it has loaded). ConnectorError
 * messages and every client log line pass through here.
 */

export const REDACTED = "[REDACTED]";

/** Key names compared after lower-casing and dropping `_`/`-`, so accessToken = access_token. */
const SECRET_KEYS = new Set([
  "sign",
  "signature",
  "accesstoken",
  "refreshtoken",
  "appsecret",
  "partnerkey",
  "clientsecret",
  "authorization",
  "password",
  "secret",
]);

/**
 * `code` is both the OAuth authorization code and the usual name of an envelope's error code. An
 * error code is short and readable ("0", "error_auth", "IllegalAccessToken"); an authorization code
 * is a long opaque string. Query parameters named `code` are always redacted (callback URLs).
 */
const AUTH_CODE_MIN_LENGTH = 24;

function normaliseKey(key: string): string {
  return key.toLowerCase().replace(/[_-]/g, "");
}

function isSecretKey(key: string, value: unknown): boolean {
  const k = normaliseKey(key);
  if (SECRET_KEYS.has(k)) return true;
  if (k === "code" || k === "authcode")
    return typeof value === "string" && value.length >= AUTH_CODE_MIN_LENGTH;
  return false;
}

const QUERY_NAMES =
  "sign|signature|access_token|accessToken|refresh_token|refreshToken|app_secret|appSecret|partner_key|client_secret|authorization|code";
const QUERY_PARAM_RE = new RegExp(`([?&;](?:${QUERY_NAMES})=)[^&#\\s"']*`, "gi");
const JSON_PAIR_RE = new RegExp(
  `("(?:sign|signature|access_token|accessToken|refresh_token|refreshToken|app_secret|appSecret|partner_key|partnerKey|client_secret|clientSecret|authorization|Authorization|password|secret)"\\s*:\\s*)("(?:[^"\\\\]|\\\\.)*"|[^,}\\s]+)`,
  "g",
);
const JSON_CODE_RE = new RegExp(`("(?:code|auth_code)"\\s*:\\s*)"[^"]{${AUTH_CODE_MIN_LENGTH},}"`, "g");
const BEARER_RE = /(Bearer\s+)[A-Za-z0-9._~+/=-]+/gi;

/** Literal values to hide wherever they appear. Bounded: oldest dropped first. */
const literals = new Set<string>();
const MAX_LITERALS = 2000;
/** Shorter values would redact ordinary words; real keys and tokens are far longer. */
const MIN_LITERAL_LENGTH = 6;

export function registerSecret(value: string | null | undefined): void {
  if (!value || value.length < MIN_LITERAL_LENGTH || literals.has(value)) return;
  if (literals.size >= MAX_LITERALS) literals.delete(literals.values().next().value as string);
  literals.add(value);
}

/** For tests. */
export function clearRegisteredSecrets(): void {
  literals.clear();
}

export function redactString(text: string, extraSecrets: Iterable<string> = []): string {
  let out = text
    .replace(QUERY_PARAM_RE, `$1${REDACTED}`)
    .replace(JSON_PAIR_RE, `$1"${REDACTED}"`)
    .replace(JSON_CODE_RE, `$1"${REDACTED}"`)
    .replace(BEARER_RE, `$1${REDACTED}`);
  for (const s of literals) if (out.includes(s)) out = out.split(s).join(REDACTED);
  for (const s of extraSecrets) {
    if (s && s.length >= MIN_LITERAL_LENGTH && out.includes(s)) out = out.split(s).join(REDACTED);
  }
  return out;
}

/** Deep copy of `value` with secrets replaced; strings are redacted as text. Cycles are cut. */
export function redact<T>(value: T, extraSecrets: Iterable<string> = []): T {
  const extra = [...extraSecrets];
  const seen = new WeakSet<object>();
  const walk = (v: unknown): unknown => {
    if (typeof v === "string") return redactString(v, extra);
    if (v === null || typeof v !== "object") return v;
    if (Buffer.isBuffer(v)) return `<${v.length} bytes>`;
    if (seen.has(v)) return "[Circular]";
    seen.add(v);
    if (Array.isArray(v)) return v.map(walk);
    if (v instanceof Error) return redactString(`${v.name}: ${v.message}`, extra);
    const out: Record<string, unknown> = {};
    for (const [k, child] of Object.entries(v)) out[k] = isSecretKey(k, child) ? REDACTED : walk(child);
    return out;
  };
  return walk(value) as T;
}
