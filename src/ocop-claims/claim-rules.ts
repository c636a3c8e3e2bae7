/**
 * Pure rules of OCOP claim changes: why a product's claim changed between two moments, and how
 * urgent a coming expiry is. Unit-tested without a database.
 */
import { EXPIRING_WINDOW_DAYS } from "../catalogue/ocop";
import { daysBetween } from "../common/time";

export enum ClaimChangeReason {
  /** The certificate's validity ended (36 months) and nothing else is in force. */
  EXPIRED = "EXPIRED",
  /** A newer decision replaced the certificate (same star). */
  SUPERSEDED = "SUPERSEDED",
  REVOKED = "REVOKED",
  /** A claim appears (first decision or re-recognition). */
  RECOGNISED = "RECOGNISED",
  UPGRADED = "UPGRADED",
  DOWNGRADED = "DOWNGRADED",
}

export enum ClaimChangeSource {
  /** Found by the scheduled job: time passed (no write happened). */
  SCHEDULE = "SCHEDULE",
  /** Followed a write to the certificates (record, supersede, revoke, import). */
  WRITE = "WRITE",
}

export interface ClaimSide {
  certificationId: string | null;
  star: number | null;
}

/**
 * The reason of a change from `before` (what was projected) to `after` (the certificate in force
 * now), or null when nothing changed. `beforeStatus` is the status today of the certificate that
 * was projected (MISSING when it was deleted); `afterIsReRecognition` comes from the new decision.
 */
export function changeReason(
  before: ClaimSide,
  beforeStatus: string | null,
  after: ClaimSide,
  afterIsReRecognition = false,
): ClaimChangeReason | null {
  const had = before.star !== null;
  const has = after.certificationId !== null && after.star !== null;
  if (!had && !has) return null;
  if (had && has && before.certificationId === after.certificationId) return null;
  if (!had) return ClaimChangeReason.RECOGNISED;
  if (!has) {
    if (beforeStatus === "REVOKED" || beforeStatus === "MISSING" || beforeStatus === null)
      return ClaimChangeReason.REVOKED;
    if (beforeStatus === "SUPERSEDED") return ClaimChangeReason.SUPERSEDED;
    return ClaimChangeReason.EXPIRED;
  }
  if (after.star! > before.star!) return ClaimChangeReason.UPGRADED;
  if (after.star! < before.star!) return ClaimChangeReason.DOWNGRADED;
  return afterIsReRecognition ? ClaimChangeReason.RECOGNISED : ClaimChangeReason.SUPERSEDED;
}

export enum ExpiryWarningLevel {
  /** 90 to 31 days left: plan the re-assessment. */
  NOTICE = "NOTICE",
  /** 30 to 8 days left. */
  WARNING = "WARNING",
  /** 7 days or fewer: the claim disappears from every marketplace at the end of valid_until. */
  URGENT = "URGENT",
  /** Validity ended; no claim is shown. */
  EXPIRED = "EXPIRED",
}

export interface ExpiryWarning {
  validUntil: string;
  daysLeft: number;
  level: ExpiryWarningLevel;
}

/**
 * The warning for a certificate on a given Vietnamese day: from 90 days before its last valid day;
 * null before that, without an end date, or for a certificate no longer relevant (revoked or
 * superseded: nothing to renew).
 */
export function expiryWarning(
  c: { validUntil: string | null; revokedAt: unknown; supersededAt: unknown },
  today: string,
): ExpiryWarning | null {
  if (!c.validUntil || c.revokedAt || c.supersededAt) return null;
  const daysLeft = daysBetween(today, c.validUntil);
  if (daysLeft > EXPIRING_WINDOW_DAYS) return null;
  const level =
    daysLeft < 0
      ? ExpiryWarningLevel.EXPIRED
      : daysLeft <= 7
        ? ExpiryWarningLevel.URGENT
        : daysLeft <= 30
          ? ExpiryWarningLevel.WARNING
          : ExpiryWarningLevel.NOTICE;
  return { validUntil: c.validUntil, daysLeft, level };
}

/** The instant a certificate stops being in force: 00:00 in Vietnam (UTC+7) the day after valid_until. */
export function expiryInstant(validUntil: string): Date {
  return new Date(Date.parse(`${validUntil}T00:00:00+07:00`) + 86_400_000);
}
