/**
 * Structured JSON logs (pino). Secrets are redacted by key name at any depth we use, so a token
 * that slips into a log object is printed as [REDACTED] rather than leaked.
 */
import pino from "pino";

export const REDACTED_KEYS = [
  "password",
  "secret",
  "appSecret",
  "app_secret",
  "partner_key",
  "partnerKey",
  "client_secret",
  "clientSecret",
  "accessToken",
  "access_token",
  "refreshToken",
  "refresh_token",
  "authorization",
  "Authorization",
  "sign",
  "signature",
  "apiKey",
  "token",
];

const paths = REDACTED_KEYS.flatMap((k) => [k, `*.${k}`, `*.*.${k}`, `*.*.*.${k}`]);

export function createLogger(level: string = process.env.LOG_LEVEL ?? "info") {
  return pino({
    level,
    base: { service: "ocop-hub" },
    redact: { paths, censor: "[REDACTED]" },
    timestamp: pino.stdTimeFunctions.isoTime,
  });
}

export type Logger = pino.Logger;

/** The process-wide logger; tests set LOG_LEVEL=silent. */
export const logger: Logger = createLogger();
