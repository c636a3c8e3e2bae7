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

/** `destination` defaults to stdout; tests pass a stream they read back (planted-secret scan). */
export function createLogger(
  level: string = process.env.LOG_LEVEL ?? "info",
  destination?: pino.DestinationStream,
) {
  const options: pino.LoggerOptions = {
    level,
    base: { service: "ocop-hub" },
    redact: { paths, censor: "[REDACTED]" },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  return destination ? pino(options, destination) : pino(options);
}

export type Logger = pino.Logger;

/** The process-wide logger; tests set LOG_LEVEL=silent. */
export const logger: Logger = createLogger();
