/**
 * Outbound webhook subscriptions, deliveries and attempts as the API sees them.
 *
 * Who: a subscription belongs to one producer, one organization (all its producers) or, for
 * platform admins, the whole platform. Managing it needs MANAGE_CHANNELS there (the owner or the
 * organization admin sets up integrations), and order events need READ_ORDERS too. The secret is
 * generated here, sealed with the hub's SecretBox, returned once by create and never again.
 */
import type { DataSource } from "typeorm";
import type { SecretBox } from "../common/crypto";
import { UserErrors } from "../common/errors";
import type { PageWindow } from "../common/graphql/relay";
import { Scope, Viewer, hasScope, isPlatformAdmin, producerFilter } from "../auth/viewer";
import { checkTargetUrl, TargetPolicy, UrlProblem } from "./target-policy";
import { newWebhookSecret } from "./signing";

export enum WebhookEventType {
  PRODUCT_CHANGED = "PRODUCT_CHANGED",
  STOCK_CHANGED = "STOCK_CHANGED",
  ORDER_IMPORTED = "ORDER_IMPORTED",
  ORDER_STATUS_CHANGED = "ORDER_STATUS_CHANGED",
  LISTING_FAILED = "LISTING_FAILED",
  ALERT_RAISED = "ALERT_RAISED",
}

export enum WebhookDeliveryStatus {
  PENDING = "PENDING",
  DELIVERED = "DELIVERED",
  FAILED = "FAILED",
}

const ORDER_EVENTS = new Set<string>([
  WebhookEventType.ORDER_IMPORTED,
  WebhookEventType.ORDER_STATUS_CHANGED,
]);

export interface SubscriptionRow {
  id: string;
  organizationId: string | null;
  producerId: string | null;
  url: string;
  events: WebhookEventType[];
  description: string;
  active: boolean;
  createdBy: string;
  createdAt: Date;
  updatedAt: Date;
}

export interface DeliveryRow {
  id: string;
  subscriptionId: string;
  eventId: string;
  eventType: WebhookEventType;
  payload: unknown;
  eventCreatedAt: Date;
  status: WebhookDeliveryStatus;
  attempts: number;
  nextAttemptAt: Date;
  lastStatusCode: number | null;
  lastError: string | null;
  createdAt: Date;
  deliveredAt: Date | null;
}

export interface AttemptRow {
  id: string;
  attempt: number;
  at: Date;
  durationMs: number;
  statusCode: number | null;
  error: string | null;
  responseExcerpt: string | null;
}

export interface SubscriptionInput {
  url: string;
  events: WebhookEventType[];
  producerId?: string | null;
  organizationId?: string | null;
  description?: string | null;
}

export interface SubscriptionPatch {
  url?: string | null;
  events?: WebhookEventType[] | null;
  description?: string | null;
  active?: boolean | null;
}

const SUB_COLUMNS = `s.id, s.organization_id AS "organizationId", s.producer_id AS "producerId", s.url, s.events,
  s.description, s.active, s.created_by AS "createdBy", s.created_at AS "createdAt", s.updated_at AS "updatedAt"`;

const DELIVERY_COLUMNS = `d.id, d.subscription_id AS "subscriptionId", d.event_id AS "eventId",
  e.type AS "eventType", e.payload, e.created_at AS "eventCreatedAt", d.status, d.attempts,
  d.next_attempt_at AS "nextAttemptAt", d.last_status_code AS "lastStatusCode", d.last_error AS "lastError",
  d.created_at AS "createdAt", d.delivered_at AS "deliveredAt"`;

const URL_HINTS: Record<UrlProblem, string> = {
  FORMAT: "https://…",
  SCHEME: "http:// or https:// only",
  CREDENTIALS: "no user:password@ in the URL",
  PRIVATE_ADDRESS: "public address only / chỉ địa chỉ công khai",
  UNRESOLVABLE: "host name does not resolve / không phân giải được tên miền",
};

export class WebhookService {
  constructor(
    private readonly ds: DataSource,
    private readonly box: SecretBox,
    private readonly policy: TargetPolicy,
  ) {}

  /** Whether the caller may manage a subscription with this scope and these events. */
  private canManage(
    v: Viewer,
    s: { producerId: string | null; organizationId: string | null },
    events: readonly string[] = [],
  ): boolean {
    const orders = events.some((e) => ORDER_EVENTS.has(e));
    if (s.producerId)
      return (
        hasScope(v, Scope.MANAGE_CHANNELS, s.producerId) &&
        (!orders || hasScope(v, Scope.READ_ORDERS, s.producerId))
      );
    if (s.organizationId)
      return (
        isPlatformAdmin(v) ||
        ((v.organizationIds ?? []).includes(s.organizationId) &&
          hasScope(v, Scope.MANAGE_CHANNELS) &&
          (!orders || hasScope(v, Scope.READ_ORDERS)))
      );
    return isPlatformAdmin(v);
  }

  private visible(v: Viewer): { sql: string; params: unknown[] } {
    if (isPlatformAdmin(v) || producerFilter(v, Scope.MANAGE_CHANNELS) === null)
      return { sql: "true", params: [] };
    const producers = producerFilter(v, Scope.MANAGE_CHANNELS) ?? [];
    const orgs = hasScope(v, Scope.MANAGE_CHANNELS) ? [...(v.organizationIds ?? [])] : [];
    return {
      sql: `(s.producer_id = ANY($1::uuid[]) OR s.organization_id = ANY($2::uuid[]))`,
      params: [producers, orgs],
    };
  }

  private async validate(input: {
    url?: string | null;
    events?: readonly string[] | null;
    description?: string | null;
  }) {
    const errors: Array<{
      field: string;
      code: "INVALID_FORMAT" | "EMPTY_LIST" | "TOO_LONG";
      params?: Record<string, string | number>;
    }> = [];
    if (input.url != null) {
      if (input.url.length > 2000) errors.push({ field: "url", code: "TOO_LONG", params: { max: 2000 } });
      else {
        const problem = await checkTargetUrl(input.url, this.policy);
        if (problem)
          errors.push({ field: "url", code: "INVALID_FORMAT", params: { hint: URL_HINTS[problem] } });
      }
    }
    if (input.events != null && input.events.length === 0)
      errors.push({ field: "events", code: "EMPTY_LIST" });
    if (input.description != null && input.description.length > 500)
      errors.push({ field: "description", code: "TOO_LONG", params: { max: 500 } });
    if (errors.length) throw new UserErrors(errors);
  }

  async create(
    v: Viewer,
    input: SubscriptionInput,
  ): Promise<{ subscription: SubscriptionRow; secret: string }> {
    const scope = { producerId: input.producerId ?? null, organizationId: input.organizationId ?? null };
    if (scope.producerId && scope.organizationId)
      throw UserErrors.one("organizationId", "INVALID_VALUE", {
        value: "producerId + organizationId",
        allowed: "one of them",
      });
    if (scope.producerId) {
      const [p] = await this.ds.query(`SELECT 1 FROM producer WHERE id = $1`, [scope.producerId]);
      if (!p || !hasScope(v, Scope.READ_CATALOGUE, scope.producerId))
        throw UserErrors.one("producerId", "NOT_FOUND", { entity: "producer", id: scope.producerId });
    }
    if (scope.organizationId) {
      const [o] = await this.ds.query(`SELECT 1 FROM organization WHERE id = $1`, [scope.organizationId]);
      if (!o || !(isPlatformAdmin(v) || (v.organizationIds ?? []).includes(scope.organizationId)))
        throw UserErrors.one("organizationId", "NOT_FOUND", {
          entity: "organization",
          id: scope.organizationId,
        });
    }
    if (!this.canManage(v, scope, input.events)) throw UserErrors.one("", "FORBIDDEN");
    await this.validate(input);
    const secret = newWebhookSecret();
    const [row]: SubscriptionRow[] = await this.ds.query(
      `INSERT INTO webhook_subscription AS s (organization_id, producer_id, url, events, secret, description, created_by)
       VALUES ($1, $2, $3, $4::text[], $5, $6, $7) RETURNING ${SUB_COLUMNS}`,
      [
        scope.organizationId,
        scope.producerId,
        input.url,
        [...new Set(input.events)],
        this.box.seal(secret),
        input.description ?? "",
        v.actor,
      ],
    );
    return { subscription: row, secret };
  }

  async get(v: Viewer, id: string): Promise<SubscriptionRow | null> {
    const w = this.visible(v);
    const [row]: SubscriptionRow[] = await this.ds.query(
      `SELECT ${SUB_COLUMNS} FROM webhook_subscription s WHERE ${w.sql} AND s.id = $${w.params.length + 1}`,
      [...w.params, id],
    );
    return row && this.canManage(v, row) ? row : null;
  }

  async update(v: Viewer, id: string, patch: SubscriptionPatch): Promise<SubscriptionRow> {
    const cur = await this.get(v, id);
    if (!cur) throw UserErrors.one("id", "NOT_FOUND", { entity: "webhook subscription", id });
    const events = patch.events ? [...new Set(patch.events)] : cur.events;
    if (!this.canManage(v, cur, events)) throw UserErrors.one("", "FORBIDDEN");
    await this.validate(patch);
    const res: unknown[] = await this.ds.query(
      `UPDATE webhook_subscription s SET url = $2, events = $3::text[], description = $4, active = $5, updated_at = now()
        WHERE id = $1 RETURNING ${SUB_COLUMNS}`,
      [id, patch.url ?? cur.url, events, patch.description ?? cur.description, patch.active ?? cur.active],
    );
    // TypeORM answers an UPDATE … RETURNING with [rows, affected].
    const [row] = (Array.isArray(res[0]) ? res[0] : res) as SubscriptionRow[];
    // Deliveries waiting for a paused subscription go out as soon as it is active again.
    if (row.active && !cur.active) await this.ds.query(`SELECT pg_notify('ocop_webhooks', $1)`, [id]);
    return row;
  }

  async delete(v: Viewer, id: string): Promise<string> {
    const cur = await this.get(v, id);
    if (!cur) throw UserErrors.one("id", "NOT_FOUND", { entity: "webhook subscription", id });
    await this.ds.query(`DELETE FROM webhook_subscription WHERE id = $1`, [id]);
    return id;
  }

  async list(v: Viewer, producerId: string | null, win: PageWindow): Promise<SubscriptionRow[]> {
    const w = this.where(v, producerId);
    return this.ds.query(
      `SELECT ${SUB_COLUMNS} ${w.sql} ORDER BY s.created_at DESC, s.id DESC OFFSET ${win.offset} LIMIT ${win.limit + 1}`,
      w.params,
    );
  }

  async count(v: Viewer, producerId: string | null): Promise<number> {
    const w = this.where(v, producerId);
    const [r] = await this.ds.query(`SELECT count(*)::int AS n ${w.sql}`, w.params);
    return r.n;
  }

  private where(v: Viewer, producerId: string | null) {
    const w = this.visible(v);
    const params = [...w.params];
    let sql = `FROM webhook_subscription s WHERE ${w.sql}`;
    if (producerId) {
      params.push(producerId);
      sql += ` AND s.producer_id = $${params.length}`;
    }
    return { sql, params };
  }

  private deliveryWhere(subscriptionId: string, status: WebhookDeliveryStatus | null) {
    const params: unknown[] = [subscriptionId];
    let sql = `FROM webhook_delivery d JOIN outbound_event e ON e.id = d.event_id WHERE d.subscription_id = $1`;
    if (status) {
      params.push(status);
      sql += ` AND d.status = $2`;
    }
    return { sql, params };
  }

  /** Deliveries of a subscription the caller manages, newest first (null: no such subscription). */
  async deliveries(
    v: Viewer,
    subscriptionId: string,
    status: WebhookDeliveryStatus | null,
    win: PageWindow,
  ): Promise<DeliveryRow[] | null> {
    if (!(await this.get(v, subscriptionId))) return null;
    const w = this.deliveryWhere(subscriptionId, status);
    return this.ds.query(
      `SELECT ${DELIVERY_COLUMNS} ${w.sql}
        ORDER BY d.created_at DESC, d.id DESC OFFSET ${win.offset} LIMIT ${win.limit + 1}`,
      w.params,
    );
  }

  async countDeliveries(subscriptionId: string, status: WebhookDeliveryStatus | null): Promise<number> {
    const w = this.deliveryWhere(subscriptionId, status);
    const [r] = await this.ds.query(`SELECT count(*)::int AS n ${w.sql}`, w.params);
    return r.n;
  }

  /** Every attempt of a delivery, oldest first (the caller already reached the delivery). */
  async attempts(deliveryId: string): Promise<AttemptRow[]> {
    return this.ds.query(
      `SELECT id::text, attempt, at, duration_ms AS "durationMs", status_code AS "statusCode", error,
              response_excerpt AS "responseExcerpt"
         FROM webhook_attempt WHERE delivery_id = $1 ORDER BY id`,
      [deliveryId],
    );
  }

  /**
   * Sends a delivery again (FAILED, DELIVERED or still retrying): due now, with a fresh attempt
   * budget; earlier attempts stay recorded. The same event id is sent, so receivers can dedupe.
   */
  async redeliver(v: Viewer, deliveryId: string): Promise<DeliveryRow> {
    const [d] = await this.ds.query(`SELECT subscription_id FROM webhook_delivery WHERE id = $1`, [
      deliveryId,
    ]);
    const sub = d ? await this.get(v, d.subscription_id) : null;
    if (!sub) throw UserErrors.one("deliveryId", "NOT_FOUND", { entity: "webhook delivery", id: deliveryId });
    // Read back in the same statement: once notified, a deliverer may claim it at once.
    const [row]: DeliveryRow[] = await this.ds.query(
      `WITH d AS (
         UPDATE webhook_delivery SET status = 'PENDING', attempts = 0, next_attempt_at = now(), delivered_at = NULL
          WHERE id = $1 RETURNING *)
       SELECT ${DELIVERY_COLUMNS} FROM d JOIN outbound_event e ON e.id = d.event_id`,
      [deliveryId],
    );
    await this.ds.query(`SELECT pg_notify('ocop_webhooks', '')`);
    return row;
  }
}
