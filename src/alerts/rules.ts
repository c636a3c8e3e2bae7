/**
 * Alert rules as SQL: each returns the subjects whose condition holds now, one row per subject
 * (subject_key, producer_id, channel_id, params). Evaluation (alert.service.ts) raises an alert for
 * a new subject, refreshes an open one, and resolves open alerts whose subject is gone.
 */
export enum AlertRule {
  CHANNEL_NEEDS_REAUTH = "CHANNEL_NEEDS_REAUTH",
  TOKEN_EXPIRING = "TOKEN_EXPIRING",
  OCOP_CERT_EXPIRING = "OCOP_CERT_EXPIRING",
  OCOP_CERT_EXPIRED_LIVE = "OCOP_CERT_EXPIRED_LIVE",
  SYNC_ERROR_RATE = "SYNC_ERROR_RATE",
  QUEUE_AGE = "QUEUE_AGE",
  STOCK_DRIFT = "STOCK_DRIFT",
  NEW_REVIEWS = "NEW_REVIEWS",
}

export enum AlertSeverity {
  INFO = "INFO",
  WARNING = "WARNING",
  CRITICAL = "CRITICAL",
}

export interface AlertThresholds {
  /** A channel's refresh token expiring within this many days. Default 7. */
  tokenDays: number;
  /** OCOP certificate expiring within this many days. Default 90. */
  certDays: number;
  /** Failed share of a channel's sync items over the window that raises an alert. Default 0.2. */
  syncErrorRate: number;
  /** Window of the sync error rate, minutes. Default 60. */
  syncErrorWindowMinutes: number;
  /** Fewer items than this in the window: no rate is computed (one failure of two is not a trend). Default 10. */
  syncErrorMinItems: number;
  /** A due job waiting longer than this, seconds. Default 600. */
  queueAgeSeconds: number;
}

export const DEFAULT_THRESHOLDS: AlertThresholds = {
  tokenDays: 7,
  certDays: 90,
  syncErrorRate: 0.2,
  syncErrorWindowMinutes: 60,
  syncErrorMinItems: 10,
  queueAgeSeconds: 600,
};

export interface RuleDef {
  rule: AlertRule;
  severity: AlertSeverity;
  /** A table the rule needs; the rule is skipped (and resolves nothing) while it does not exist. */
  requires?: string;
  /** Skipped while this table exists (another definition of the same rule uses it). */
  unless?: string;
  /** SQL returning subject_key, producer_id, channel_id, params; $1 = today (Asia/Ho_Chi_Minh date). */
  sql: (t: AlertThresholds) => { text: string; params: unknown[] };
}

const num = (n: number) => {
  if (!Number.isFinite(n)) throw new Error(`alert threshold is not a number: ${n}`);
  return n;
};

export const RULES: RuleDef[] = [
  {
    rule: AlertRule.CHANNEL_NEEDS_REAUTH,
    severity: AlertSeverity.CRITICAL,
    sql: () => ({
      text: `SELECT 'channel:' || c.id AS subject_key, c.producer_id, c.id AS channel_id,
                    jsonb_build_object('channel', c.name, 'marketplace', c.marketplace,
                                       'reason', c.settings->>'lastAuthError') AS params
               FROM channel c WHERE c.status = 'NEEDS_REAUTH'`,
      params: [],
    }),
  },
  {
    rule: AlertRule.TOKEN_EXPIRING,
    severity: AlertSeverity.WARNING,
    sql: (t) => ({
      // Access tokens are renewed by the hub's token refresh runs; what needs a person is the
      // refresh token running out (where the marketplace says when), which ends in a new
      // authorization. A refresh that fails is the NEEDS_REAUTH rule's.
      text: `SELECT 'channel:' || c.id AS subject_key, c.producer_id, c.id AS channel_id,
                    jsonb_build_object('channel', c.name, 'marketplace', c.marketplace,
                                       'expiresAt', c.refresh_expires_at,
                                       'days', greatest(0, floor(extract(epoch FROM c.refresh_expires_at - now()) / 86400))::int) AS params
               FROM channel c
              WHERE c.status = 'ACTIVE' AND c.refresh_expires_at IS NOT NULL
                AND c.refresh_expires_at < now() + make_interval(days => $2::int)`,
      params: [num(t.tokenDays)],
    }),
  },
  {
    rule: AlertRule.OCOP_CERT_EXPIRING,
    severity: AlertSeverity.WARNING,
    sql: (t) => ({
      // The product's current certificate only: an expiring one already renewed is not news.
      text: `SELECT 'certification:' || c.id AS subject_key, p.producer_id, NULL::uuid AS channel_id,
                    jsonb_build_object('product', p.name, 'productId', p.id, 'star', c.star,
                                       'decisionNumber', c.decision_number, 'validUntil', c.valid_until,
                                       'days', c.valid_until - $1::date) AS params
               FROM ocop_certification c JOIN product p ON p.id = c.product_id
              WHERE c.valid_until >= $1::date AND c.valid_until <= $1::date + $2::int
                AND c.superseded_at IS NULL AND c.revoked_at IS NULL AND p.status = 'ACTIVE'
                AND (SELECT cc.id FROM ocop_current_cert(p.id, $1::date) cc) = c.id`,
      params: [num(t.certDays)],
    }),
  },
  {
    rule: AlertRule.OCOP_CERT_EXPIRED_LIVE,
    severity: AlertSeverity.CRITICAL,
    // Without the claims module: any LIVE listing of a product whose current certificate expired.
    unless: "ocop_claim_state",
    sql: () => ({
      // A LIVE listing shows the product's OCOP stars: an expired certificate there is a false claim.
      text: `SELECT 'product:' || p.id AS subject_key, p.producer_id, NULL::uuid AS channel_id,
                    jsonb_build_object('product', p.name, 'productId', p.id, 'star', cc.star,
                                       'validUntil', max(c.valid_until),
                                       'liveListings', (SELECT count(*) FROM listing l
                                                         WHERE l.product_id = p.id AND l.state = 'LIVE')) AS params
               FROM ocop_certification c
               JOIN product p ON p.id = c.product_id
               CROSS JOIN LATERAL ocop_current_cert(p.id, $1::date) cc
              WHERE c.valid_until < $1::date AND cc.status = 'EXPIRED'
                AND EXISTS (SELECT 1 FROM listing l WHERE l.product_id = p.id AND l.state = 'LIVE')
              GROUP BY p.id, p.name, p.producer_id, cc.star`,
      params: [],
    }),
  },
  {
    rule: AlertRule.OCOP_CERT_EXPIRED_LIVE,
    severity: AlertSeverity.CRITICAL,
    // With the claims module (migration 1764137700003): the claim the hub projects onto listings
    // still names a certificate that has expired (the claims job has not withdrawn it yet, or
    // cannot), while the product has LIVE listings.
    requires: "ocop_claim_state",
    sql: () => ({
      text: `SELECT 'product:' || p.id AS subject_key, p.producer_id, NULL::uuid AS channel_id,
                    jsonb_build_object('product', p.name, 'productId', p.id, 'star', s.star,
                                       'decisionNumber', c.decision_number, 'validUntil', c.valid_until,
                                       'liveListings', (SELECT count(*) FROM listing l
                                                         WHERE l.product_id = p.id AND l.state = 'LIVE')) AS params
               FROM ocop_claim_state s
               JOIN ocop_certification c ON c.id = s.certification_id
               JOIN product p ON p.id = s.product_id
              WHERE s.star IS NOT NULL AND c.valid_until < $1::date
                AND EXISTS (SELECT 1 FROM listing l WHERE l.product_id = p.id AND l.state = 'LIVE')`,
      params: [],
    }),
  },
  {
    rule: AlertRule.SYNC_ERROR_RATE,
    severity: AlertSeverity.WARNING,
    sql: (t) => ({
      // Runs that failed as a whole (no items) count as one failed item each.
      text: `SELECT 'channel:' || c.id AS subject_key, c.producer_id, c.id AS channel_id,
                    jsonb_build_object('channel', c.name, 'marketplace', c.marketplace,
                                       'failed', s.failed, 'total', s.total,
                                       'percent', round(100.0 * s.failed / s.total),
                                       'windowMinutes', $3::int) AS params
               FROM (SELECT r.channel_id,
                            sum(r.failed + CASE WHEN r.total = 0 AND r.outcome = 'FAILED' THEN 1 ELSE 0 END) AS failed,
                            sum(greatest(r.total, CASE WHEN r.outcome = 'FAILED' THEN 1 ELSE 0 END)) AS total
                       FROM sync_run r
                      WHERE r.status = 'FINISHED' AND NOT r.dry_run AND r.channel_id IS NOT NULL
                        AND r.queued_at > now() - make_interval(mins => $3::int)
                      GROUP BY r.channel_id) s
               JOIN channel c ON c.id = s.channel_id AND c.status = 'ACTIVE'
              WHERE s.total >= $4::int AND s.failed >= $2::float8 * s.total`,
      params: [num(t.syncErrorRate), num(t.syncErrorWindowMinutes), num(t.syncErrorMinItems)],
    }),
  },
  {
    rule: AlertRule.QUEUE_AGE,
    severity: AlertSeverity.WARNING,
    requires: "pgboss.job",
    sql: (t) => ({
      text: `SELECT 'queue:' || name AS subject_key, NULL::uuid AS producer_id, NULL::uuid AS channel_id,
                    jsonb_build_object('queue', name, 'waiting', count(*),
                                       'ageSeconds', round(extract(epoch FROM max(now() - greatest(created_on, start_after))))) AS params
               FROM pgboss.job
              WHERE state IN ('created', 'retry') AND start_after <= now()
              GROUP BY name
             HAVING max(now() - greatest(created_on, start_after)) > make_interval(secs => $2::float8)`,
      params: [num(t.queueAgeSeconds)],
    }),
  },
  {
    rule: AlertRule.STOCK_DRIFT,
    severity: AlertSeverity.WARNING,
    sql: () => ({
      // The latest finished reconciliation of each channel: drift it found stays open until a later
      // reconciliation finds none.
      text: `SELECT 'channel:' || c.id AS subject_key, c.producer_id, c.id AS channel_id,
                    jsonb_build_object('channel', c.name, 'marketplace', c.marketplace,
                                       'stockDrift', (r.details->>'stockDrift')::int,
                                       'priceDrift', coalesce((r.details->>'priceDrift')::int, 0),
                                       'runId', r.id, 'at', r.finished_at) AS params
               FROM channel c
               CROSS JOIN LATERAL (SELECT id, details, finished_at FROM sync_run
                                    WHERE channel_id = c.id AND kind = 'RECONCILE' AND status = 'FINISHED'
                                      AND NOT dry_run
                                    ORDER BY queued_at DESC LIMIT 1) r
              WHERE c.status <> 'DISCONNECTED' AND coalesce((r.details->>'stockDrift')::int, 0) > 0`,
      params: [],
    }),
  },
  {
    rule: AlertRule.NEW_REVIEWS,
    severity: AlertSeverity.INFO,
    // Reviews pulled from the marketplaces (migration 1764137700002); open while any is unread.
    requires: "review",
    sql: () => ({
      text: `SELECT 'producer:' || r.producer_id AS subject_key, r.producer_id, NULL::uuid AS channel_id,
                    jsonb_build_object('unread', count(*), 'lowRated', count(*) FILTER (WHERE r.rating <= 2),
                                       'latestAt', max(r.remote_created_at)) AS params
               FROM review r WHERE r.read_at IS NULL
              GROUP BY r.producer_id`,
      params: [],
    }),
  },
];

/** $1 is always today's date in Vietnam; rule parameters follow from $2. */
export function ruleQuery(
  def: RuleDef,
  t: AlertThresholds,
  today: string,
): { text: string; params: unknown[] } {
  const q = def.sql(t);
  // Wrapped so that $1 is referenced even by rules that do not need the date (PostgreSQL refuses
  // parameters it cannot type).
  return { text: `SELECT * FROM (${q.text}) q WHERE $1::date IS NOT NULL`, params: [today, ...q.params] };
}
