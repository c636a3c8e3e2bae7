/** GraphQL shapes of outbound webhook subscriptions, deliveries and attempts (ids are UUIDs). */
import { Field, ID, InputType, Int, ObjectType, registerEnumType } from "type-graphql";
import { Connection } from "../../common/graphql/relay";
import { UserError } from "../../common/graphql/user-error.type";
import { toGlobalId } from "../../common/graphql/global-id";
import {
  AttemptRow,
  DeliveryRow,
  SubscriptionRow,
  WebhookDeliveryStatus,
  WebhookEventType,
} from "../webhook.service";

registerEnumType(WebhookEventType, {
  name: "WebhookEventType",
  description: "What an integrator can subscribe to.",
});
registerEnumType(WebhookDeliveryStatus, {
  name: "WebhookDeliveryStatus",
  description:
    "PENDING while being sent or retried; FAILED after the last attempt (redeliverWebhook sends it again).",
});

@ObjectType("WebhookSubscription", {
  description:
    "Events POSTed as JSON to an integrator's URL, signed: X-Ocop-Signature = v1=hex(HMAC-SHA256(secret, `${X-Ocop-Timestamp}.${body}`)).",
})
export class WebhookSubscriptionType {
  @Field(() => ID) id!: string;
  @Field() url!: string;
  @Field(() => [WebhookEventType]) events!: WebhookEventType[];
  @Field(() => ID, { nullable: true, description: "Global id; set for a producer's subscription." })
  producerId!: string | null;
  @Field(() => ID, { nullable: true, description: "Global id; set for an organization's subscription." })
  organizationId!: string | null;
  @Field() description!: string;
  @Field({ description: "A paused subscription gets no new events; its pending deliveries wait." })
  active!: boolean;
  @Field() createdBy!: string;
  @Field() createdAt!: Date;
  @Field() updatedAt!: Date;
}

@ObjectType("WebhookAttempt", { description: "One HTTP attempt of a delivery." })
export class WebhookAttemptType {
  @Field(() => ID) id!: string;
  @Field(() => Int, { description: "1 for the first attempt of the delivery, counting redeliveries." })
  attempt!: number;
  @Field() at!: Date;
  @Field(() => Int) durationMs!: number;
  @Field(() => Int, {
    nullable: true,
    description: "Null when no answer came (network error, timeout, refused).",
  })
  statusCode!: number | null;
  @Field(() => String, { nullable: true }) error!: string | null;
  @Field(() => String, { nullable: true, description: "The receiver's answer, first 500 characters." })
  responseExcerpt!: string | null;
}

@ObjectType("WebhookDelivery", { description: "One event for one subscription, with every attempt." })
export class WebhookDeliveryType {
  @Field(() => ID) id!: string;
  @Field(() => ID) subscriptionId!: string;
  @Field(() => ID, {
    description: "Sent as X-Ocop-Event-Id and as `id` in the body; the same on every attempt.",
  })
  eventId!: string;
  @Field(() => WebhookEventType) eventType!: WebhookEventType;
  @Field({ description: "The `data` of the body, as JSON." }) payloadJson!: string;
  @Field() eventCreatedAt!: Date;
  @Field(() => WebhookDeliveryStatus) status!: WebhookDeliveryStatus;
  @Field(() => Int, { description: "Attempts since it was (re)queued." }) attempts!: number;
  @Field({ description: "When the next attempt is due (while PENDING)." }) nextAttemptAt!: Date;
  @Field(() => Int, { nullable: true }) lastStatusCode!: number | null;
  @Field(() => String, { nullable: true }) lastError!: string | null;
  @Field() createdAt!: Date;
  @Field(() => Date, { nullable: true }) deliveredAt!: Date | null;
}

@ObjectType()
export class WebhookSubscriptionConnection extends Connection(
  WebhookSubscriptionType,
  "WebhookSubscription",
) {}

@ObjectType()
export class WebhookDeliveryConnection extends Connection(WebhookDeliveryType, "WebhookDelivery") {}

@InputType()
export class CreateWebhookSubscriptionInput {
  @Field({ description: "http(s) URL; in production, internal addresses are refused unless allowed." })
  url!: string;
  @Field(() => [WebhookEventType]) events!: WebhookEventType[];
  @Field(() => ID, { nullable: true, description: "A producer's events (global id or UUID)." })
  producerId?: string | null;
  @Field(() => ID, {
    nullable: true,
    description: "Events of every producer of an organization; neither set: the whole platform (admins).",
  })
  organizationId?: string | null;
  @Field(() => String, { nullable: true }) description?: string | null;
}

@InputType()
export class UpdateWebhookSubscriptionInput {
  @Field(() => String, { nullable: true }) url?: string | null;
  @Field(() => [WebhookEventType], { nullable: true }) events?: WebhookEventType[] | null;
  @Field(() => String, { nullable: true }) description?: string | null;
  @Field(() => Boolean, { nullable: true }) active?: boolean | null;
}

@ObjectType()
export class CreateWebhookSubscriptionPayload {
  @Field(() => WebhookSubscriptionType, { nullable: true }) subscription!: WebhookSubscriptionType | null;
  @Field(() => String, {
    nullable: true,
    description: "The signing secret: shown this once, stored encrypted, never returned again.",
  })
  secret!: string | null;
  @Field(() => [UserError]) userErrors!: UserError[];
}

@ObjectType()
export class WebhookSubscriptionPayload {
  @Field(() => WebhookSubscriptionType, { nullable: true }) subscription!: WebhookSubscriptionType | null;
  @Field(() => [UserError]) userErrors!: UserError[];
}

@ObjectType()
export class DeleteWebhookSubscriptionPayload {
  @Field(() => ID, { nullable: true }) deletedId!: string | null;
  @Field(() => [UserError]) userErrors!: UserError[];
}

@ObjectType()
export class WebhookDeliveryPayload {
  @Field(() => WebhookDeliveryType, { nullable: true }) delivery!: WebhookDeliveryType | null;
  @Field(() => [UserError]) userErrors!: UserError[];
}

export function toSubscriptionType(s: SubscriptionRow): WebhookSubscriptionType {
  return {
    id: s.id,
    url: s.url,
    events: s.events,
    producerId: s.producerId ? toGlobalId("Producer", s.producerId) : null,
    organizationId: s.organizationId ? toGlobalId("Organization", s.organizationId) : null,
    description: s.description,
    active: s.active,
    createdBy: s.createdBy,
    createdAt: s.createdAt,
    updatedAt: s.updatedAt,
  };
}

export function toDeliveryType(d: DeliveryRow): WebhookDeliveryType {
  return {
    id: d.id,
    subscriptionId: d.subscriptionId,
    eventId: d.eventId,
    eventType: d.eventType,
    payloadJson: JSON.stringify(d.payload),
    eventCreatedAt: d.eventCreatedAt,
    status: d.status,
    attempts: d.attempts,
    nextAttemptAt: d.nextAttemptAt,
    lastStatusCode: d.lastStatusCode,
    lastError: d.lastError,
    createdAt: d.createdAt,
    deliveredAt: d.deliveredAt,
  };
}

export function toAttemptType(a: AttemptRow): WebhookAttemptType {
  return { ...a };
}
