/** Outbound webhooks: subscription CRUD, deliveries with their attempts, redelivery. Thin over WebhookService. */
import { Arg, Args, Authorized, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from "type-graphql";
import type { HubContext } from "../../app/context";
import { mutate } from "../../common/graphql/mutation";
import { PageArgs } from "../../common/graphql/relay";
import { idOf } from "../../common/graphql/global-id";
import { UserErrors } from "../../common/errors";
import { connectionOf, pageWindow } from "../../catalogue/graphql/paging";
import { targetPolicyFor } from "../target-policy";
import { WebhookDeliveryStatus, WebhookService } from "../webhook.service";
import {
  CreateWebhookSubscriptionInput,
  CreateWebhookSubscriptionPayload,
  DeleteWebhookSubscriptionPayload,
  UpdateWebhookSubscriptionInput,
  WebhookAttemptType,
  WebhookDeliveryConnection,
  WebhookDeliveryPayload,
  WebhookDeliveryType,
  WebhookSubscriptionConnection,
  WebhookSubscriptionPayload,
  toAttemptType,
  toDeliveryType,
  toSubscriptionType,
} from "./webhook.types";

const NO_UUID = "00000000-0000-0000-0000-000000000000";
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function svc(ctx: HubContext): WebhookService {
  return new WebhookService(ctx.dataSource, ctx.services.sync.box, targetPolicyFor(ctx.services.config.mode));
}

function uuid(field: string, entity: string, id: string): string {
  if (!UUID_RE.test(id)) throw UserErrors.one(field, "NOT_FOUND", { entity, id });
  return id.toLowerCase();
}

@Resolver(() => WebhookDeliveryType)
export class WebhookDeliveryResolver {
  @FieldResolver(() => [WebhookAttemptType], { description: "Every attempt, oldest first." })
  async attemptLog(@Root() d: WebhookDeliveryType, @Ctx() ctx: HubContext): Promise<WebhookAttemptType[]> {
    return (await svc(ctx).attempts(d.id)).map(toAttemptType);
  }
}

@Resolver()
export class WebhookResolver {
  @Authorized()
  @Query(() => WebhookSubscriptionConnection, {
    description: "Outbound webhook subscriptions the caller manages, newest first.",
  })
  async webhookSubscriptions(
    @Ctx() ctx: HubContext,
    @Args() page: PageArgs,
    @Arg("producerId", () => ID, { nullable: true }) producerId?: string | null,
  ) {
    const win = pageWindow(ctx, page);
    const p = producerId ? (idOf("Producer", producerId) ?? NO_UUID) : null;
    const s = svc(ctx);
    const rows = await s.list(ctx.viewer!, p, win);
    return connectionOf(rows.map(toSubscriptionType), win, () => s.count(ctx.viewer!, p));
  }

  @Authorized()
  @Query(() => WebhookDeliveryConnection, {
    nullable: true,
    description: "Deliveries of one subscription, newest first, with their attempts; null if not found.",
  })
  async webhookDeliveries(
    @Ctx() ctx: HubContext,
    @Arg("subscriptionId", () => ID) subscriptionId: string,
    @Args() page: PageArgs,
    @Arg("status", () => WebhookDeliveryStatus, { nullable: true }) status?: WebhookDeliveryStatus | null,
  ) {
    if (!UUID_RE.test(subscriptionId)) return null;
    const win = pageWindow(ctx, page);
    const s = svc(ctx);
    const id = subscriptionId.toLowerCase();
    const rows = await s.deliveries(ctx.viewer!, id, status ?? null, win);
    if (!rows) return null;
    return connectionOf(rows.map(toDeliveryType), win, () => s.countDeliveries(id, status ?? null));
  }

  @Authorized()
  @Mutation(() => CreateWebhookSubscriptionPayload, {
    description: "Subscribes a URL to events; the signing secret is in this answer only.",
  })
  createWebhookSubscription(
    @Ctx() ctx: HubContext,
    @Arg("input") input: CreateWebhookSubscriptionInput,
  ): Promise<CreateWebhookSubscriptionPayload> {
    return mutate(ctx, { subscription: null, secret: null }, async () => {
      const producerId = input.producerId ? idOf("Producer", input.producerId) : null;
      if (input.producerId && !producerId)
        throw UserErrors.one("producerId", "NOT_FOUND", { entity: "producer", id: input.producerId });
      const organizationId = input.organizationId ? idOf("Organization", input.organizationId) : null;
      if (input.organizationId && !organizationId)
        throw UserErrors.one("organizationId", "NOT_FOUND", {
          entity: "organization",
          id: input.organizationId,
        });
      const r = await svc(ctx).create(ctx.viewer!, { ...input, producerId, organizationId });
      return { subscription: toSubscriptionType(r.subscription), secret: r.secret };
    });
  }

  @Authorized()
  @Mutation(() => WebhookSubscriptionPayload, {
    description: "Changes URL, events, description or pauses (active: false).",
  })
  updateWebhookSubscription(
    @Ctx() ctx: HubContext,
    @Arg("id", () => ID) id: string,
    @Arg("input") input: UpdateWebhookSubscriptionInput,
  ): Promise<WebhookSubscriptionPayload> {
    return mutate(ctx, { subscription: null }, async () => {
      const row = await svc(ctx).update(ctx.viewer!, uuid("id", "webhook subscription", id), input);
      return { subscription: toSubscriptionType(row) };
    });
  }

  @Authorized()
  @Mutation(() => DeleteWebhookSubscriptionPayload, {
    description: "Deletes a subscription with its deliveries.",
  })
  deleteWebhookSubscription(
    @Ctx() ctx: HubContext,
    @Arg("id", () => ID) id: string,
  ): Promise<DeleteWebhookSubscriptionPayload> {
    return mutate(ctx, { deletedId: null }, async () => ({
      deletedId: await svc(ctx).delete(ctx.viewer!, uuid("id", "webhook subscription", id)),
    }));
  }

  @Authorized()
  @Mutation(() => WebhookDeliveryPayload, {
    description: "Sends a delivery again now (same event id), with a fresh attempt budget.",
  })
  redeliverWebhook(
    @Ctx() ctx: HubContext,
    @Arg("deliveryId", () => ID) deliveryId: string,
  ): Promise<WebhookDeliveryPayload> {
    return mutate(ctx, { delivery: null }, async () => {
      const d = await svc(ctx).redeliver(ctx.viewer!, uuid("deliveryId", "webhook delivery", deliveryId));
      return { delivery: toDeliveryType(d) };
    });
  }
}
