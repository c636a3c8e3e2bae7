/** Channels, mappings and publish: thin resolvers over ChannelService, MappingService and PublishService. */
import { Arg, Args, Authorized, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from "type-graphql";
import type { HubContext } from "../../app/context";
import { mutate } from "../../common/graphql/mutation";
import { PageArgs } from "../../common/graphql/relay";
import { idOf, toGlobalId } from "../../common/graphql/global-id";
import { UserErrors } from "../../common/errors";
import { pageWindow, connectionOf } from "../../catalogue/graphql/paging";
import { ChannelService } from "../channel.service";
import { MappingService } from "../mapping.service";
import type { MarketplaceCode } from "../channel.entity";
import { PublishService, ListingPreview } from "../../sync/publish.service";
import { LISTING_LIMITS, PreflightProblem } from "../../sync/preflight";
import {
  AttributeMappingPayload,
  AttributeMappingType,
  CategoryMappingPayload,
  CategoryMappingType,
  ChannelAuthorizationInput,
  ChannelAuthorizationPayload,
  ChannelConnection,
  ChannelFilterInput,
  ChannelPayload,
  ChannelSettingsInput,
  ChannelType,
  ConnectChannelInput,
  DeleteMappingPayload,
  KeyValueInput,
  KindSuccess,
  ListingPreviewType,
  ListingStateCount,
  MappingKind,
  Marketplace,
  MarketplaceInfo,
  PublishPayload,
  PublishProblem,
  PublishProductsInput,
  RemoteAttributeType,
  RemoteCategoryType,
  SetAttributeMappingInput,
  SetCategoryMappingInput,
  toChannelType,
} from "./channel.types";
import type { Locale } from "../../common/i18n";

function channelId(id: string, field = "id"): string {
  const uuid = idOf("Channel", id);
  if (!uuid) throw UserErrors.one(field, "NOT_FOUND", { entity: "channel", id });
  return uuid;
}

function producerId(id: string, field = "producerId"): string {
  const uuid = idOf("Producer", id);
  if (!uuid) throw UserErrors.one(field, "NOT_FOUND", { entity: "producer", id });
  return uuid;
}

function params(list: KeyValueInput[] | null | undefined): Record<string, string> {
  return Object.fromEntries((list ?? []).map((p) => [p.name, p.value]));
}

function problemOut(p: PreflightProblem, locale: Locale): PublishProblem {
  return {
    field: p.field,
    code: p.code,
    severity: p.severity,
    sku: p.sku,
    message: locale === "en" ? p.messageEn : p.messageVi,
    hint: locale === "en" ? p.hintEn : p.hintVi,
    messageVi: p.messageVi,
    messageEn: p.messageEn,
    hintVi: p.hintVi,
    hintEn: p.hintEn,
  };
}

function previewOut(p: ListingPreview, locale: Locale): ListingPreviewType {
  return {
    productId: toGlobalId("Product", p.productId),
    ready: p.ready,
    title: p.draft.title,
    description: p.draft.description,
    categoryId: p.draft.categoryId || null,
    categoryName: p.categoryName,
    attributes: Object.entries(p.draft.attributes).map(([id, v]) => ({
      id,
      values: Array.isArray(v) ? v : [v],
    })),
    images: p.draft.images,
    ocopStar: p.ocopStar,
    variants: p.variants.map((v) => ({
      sku: v.sku,
      optionName: v.packSpec || v.sku,
      catalogPriceVnd: v.catalogPriceVnd,
      priceVnd: v.priceVnd,
      stock: v.stock,
    })),
    problems: p.problems.map((x) => problemOut(x, locale)),
  };
}

@Resolver(() => ChannelType)
export class ChannelResolver {
  @Authorized()
  @Query(() => [MarketplaceInfo], {
    description: "Supported marketplaces and what the hub can do with each.",
  })
  marketplaces(@Ctx() ctx: HubContext): MarketplaceInfo[] {
    return Object.values(ctx.services.sync.connectors).map((c) => ({
      code: c.code,
      name: c.displayName,
      capabilities: [...c.capabilities].sort(),
      defaultBaseUrl: c.defaultBaseUrl,
      limits: c.limits,
      ratePolicy: c.ratePolicy,
      listingLimits: LISTING_LIMITS[c.code],
    }));
  }

  @Authorized()
  @Query(() => ChannelConnection)
  async channels(
    @Ctx() ctx: HubContext,
    @Args() page: PageArgs,
    @Arg("filter", () => ChannelFilterInput, { nullable: true }) filter?: ChannelFilterInput | null,
  ) {
    const win = pageWindow(ctx, page);
    const svc = new ChannelService(ctx.services.sync);
    const f = {
      producerId: filter?.producerId
        ? (idOf("Producer", filter.producerId) ?? "00000000-0000-0000-0000-000000000000")
        : null,
      marketplace: filter?.marketplace ?? null,
      status: filter?.status ?? null,
    };
    const rows = await svc.list(ctx.viewer!, f, win);
    return connectionOf(rows.map(toChannelType), win, () => svc.count(ctx.viewer!, f));
  }

  @Authorized()
  @Query(() => ChannelType, { nullable: true })
  async channel(@Ctx() ctx: HubContext, @Arg("id", () => ID) id: string): Promise<ChannelType | null> {
    const uuid = idOf("Channel", id);
    const c = uuid ? await new ChannelService(ctx.services.sync).get(ctx.viewer!, uuid) : null;
    return c ? toChannelType(c) : null;
  }

  @FieldResolver(() => [KindSuccess], {
    description: "When each kind of sync last finished without failures.",
  })
  lastSuccess(@Root() c: ChannelType, @Ctx() ctx: HubContext): Promise<KindSuccess[]> {
    return new ChannelService(ctx.services.sync).lastSuccess(c.uuid);
  }

  @FieldResolver(() => [ListingStateCount], { description: "Listings of this channel by state." })
  listingCounts(@Root() c: ChannelType, @Ctx() ctx: HubContext): Promise<ListingStateCount[]> {
    return new ChannelService(ctx.services.sync).listingCounts(c.uuid);
  }

  @Authorized()
  @Mutation(() => ChannelPayload, { description: "Connects a shop with credentials given directly." })
  connectChannel(@Ctx() ctx: HubContext, @Arg("input") input: ConnectChannelInput): Promise<ChannelPayload> {
    return mutate(ctx, { channel: null }, async () => {
      const c = await new ChannelService(ctx.services.sync).connect(ctx.viewer!, {
        ...input,
        producerId: producerId(input.producerId),
        extra: input.extra ? params(input.extra) : null,
      });
      return { channel: toChannelType(c) };
    });
  }

  @Authorized()
  @Mutation(() => ChannelAuthorizationPayload, {
    description: "Starts the marketplace's OAuth flow for a producer.",
  })
  channelAuthorizationUrl(
    @Ctx() ctx: HubContext,
    @Arg("input") input: ChannelAuthorizationInput,
  ): Promise<ChannelAuthorizationPayload> {
    return mutate(ctx, { url: null, state: null, expiresAt: null }, () =>
      new ChannelService(ctx.services.sync).authorizationUrl(ctx.viewer!, {
        ...input,
        producerId: producerId(input.producerId),
      }),
    );
  }

  @Authorized()
  @Mutation(() => ChannelPayload, {
    description: "Completes OAuth with the parameters the marketplace redirected with.",
  })
  completeChannelAuthorization(
    @Ctx() ctx: HubContext,
    @Arg("state") state: string,
    @Arg("callbackParams", () => [KeyValueInput]) callbackParams: KeyValueInput[],
  ): Promise<ChannelPayload> {
    return mutate(ctx, { channel: null }, async () => ({
      channel: toChannelType(
        await new ChannelService(ctx.services.sync, process.env, ctx.services.queue).completeAuthorization(
          ctx.viewer!,
          state,
          params(callbackParams),
        ),
      ),
    }));
  }

  @Authorized()
  @Mutation(() => ChannelPayload, {
    description: "Price rule, stock rule and schedules; a rule change re-pushes values.",
  })
  updateChannelSettings(
    @Ctx() ctx: HubContext,
    @Arg("id", () => ID) id: string,
    @Arg("settings") settings: ChannelSettingsInput,
  ): Promise<ChannelPayload> {
    return mutate(ctx, { channel: null }, async () => ({
      channel: toChannelType(
        await new ChannelService(ctx.services.sync).updateSettings(ctx.viewer!, channelId(id), {
          priceRule: settings.priceRule ?? null,
          stockRule: settings.stockRule ?? null,
          schedules: settings.schedules?.map((s) => ({ kind: s.kind, cron: s.cron ?? null })) ?? null,
          ocopClaim: settings.ocopClaim ?? null,
        }),
      ),
    }));
  }

  @Authorized()
  @Mutation(() => ChannelPayload)
  pauseChannel(@Ctx() ctx: HubContext, @Arg("id", () => ID) id: string): Promise<ChannelPayload> {
    return mutate(ctx, { channel: null }, async () => ({
      channel: toChannelType(await new ChannelService(ctx.services.sync).pause(ctx.viewer!, channelId(id))),
    }));
  }

  @Authorized()
  @Mutation(() => ChannelPayload)
  resumeChannel(@Ctx() ctx: HubContext, @Arg("id", () => ID) id: string): Promise<ChannelPayload> {
    return mutate(ctx, { channel: null }, async () => ({
      channel: toChannelType(await new ChannelService(ctx.services.sync).resume(ctx.viewer!, channelId(id))),
    }));
  }

  @Authorized()
  @Mutation(() => ChannelPayload, { description: "Wipes credentials, stops sync, marks listings DELISTED." })
  disconnectChannel(@Ctx() ctx: HubContext, @Arg("id", () => ID) id: string): Promise<ChannelPayload> {
    return mutate(ctx, { channel: null }, async () => ({
      channel: toChannelType(
        await new ChannelService(ctx.services.sync).disconnect(ctx.viewer!, channelId(id)),
      ),
    }));
  }

  // ---------- mappings ----------

  @Authorized()
  @Query(() => [CategoryMappingType])
  categoryMappings(
    @Ctx() ctx: HubContext,
    @Arg("marketplace", () => Marketplace, { nullable: true }) marketplace?: MarketplaceCode | null,
  ): Promise<CategoryMappingType[]> {
    return new MappingService(ctx.services.sync).categoryMappings(marketplace ?? null);
  }

  @Authorized()
  @Query(() => [AttributeMappingType])
  attributeMappings(
    @Ctx() ctx: HubContext,
    @Arg("marketplace", () => Marketplace, { nullable: true }) marketplace?: MarketplaceCode | null,
    @Arg("remoteCategoryId", () => String, { nullable: true }) remoteCategoryId?: string | null,
  ): Promise<AttributeMappingType[]> {
    return new MappingService(ctx.services.sync).attributeMappings(
      marketplace ?? null,
      remoteCategoryId ?? null,
    ) as Promise<AttributeMappingType[]>;
  }

  @Authorized()
  @Mutation(() => CategoryMappingPayload, {
    description: "Admin only: maps an OCOP category (or product set).",
  })
  setCategoryMapping(
    @Ctx() ctx: HubContext,
    @Arg("input") input: SetCategoryMappingInput,
  ): Promise<CategoryMappingPayload> {
    return mutate(ctx, { mapping: null }, async () => ({
      mapping: await new MappingService(ctx.services.sync).setCategoryMapping(ctx.viewer!, input),
    }));
  }

  @Authorized()
  @Mutation(() => AttributeMappingPayload, { description: "Admin only: a marketplace attribute's value." })
  setAttributeMapping(
    @Ctx() ctx: HubContext,
    @Arg("input") input: SetAttributeMappingInput,
  ): Promise<AttributeMappingPayload> {
    return mutate(ctx, { mapping: null }, async () => ({
      mapping: (await new MappingService(ctx.services.sync).setAttributeMapping(
        ctx.viewer!,
        input,
      )) as AttributeMappingType,
    }));
  }

  @Authorized()
  @Mutation(() => DeleteMappingPayload)
  deleteMapping(
    @Ctx() ctx: HubContext,
    @Arg("kind", () => MappingKind) kind: MappingKind,
    @Arg("id", () => ID) id: string,
  ): Promise<DeleteMappingPayload> {
    return mutate(ctx, { deleted: false }, async () => {
      if (!/^[0-9a-f-]{36}$/i.test(id)) throw UserErrors.one("id", "NOT_FOUND", { entity: "mapping", id });
      return { deleted: await new MappingService(ctx.services.sync).deleteMapping(ctx.viewer!, kind, id) };
    });
  }

  @Authorized()
  @Query(() => [RemoteCategoryType], {
    description: "The marketplace's category tree, read through the channel.",
  })
  remoteCategories(
    @Ctx() ctx: HubContext,
    @Arg("channelId", () => ID) id: string,
  ): Promise<RemoteCategoryType[]> {
    return new MappingService(ctx.services.sync).remoteCategories(ctx.viewer!, channelId(id, "channelId"));
  }

  @Authorized()
  @Query(() => [RemoteAttributeType])
  async remoteCategoryAttributes(
    @Ctx() ctx: HubContext,
    @Arg("channelId", () => ID) id: string,
    @Arg("categoryId") categoryId: string,
  ): Promise<RemoteAttributeType[]> {
    const list = await new MappingService(ctx.services.sync).remoteCategoryAttributes(
      ctx.viewer!,
      channelId(id, "channelId"),
      categoryId,
    );
    return list.map((a) => ({ ...a, options: a.options ?? [] }));
  }

  // ---------- publish ----------

  @Authorized()
  @Mutation(() => PublishPayload, {
    description:
      "Preflight, then (without dryRun) create or link listings and queue one publish run per channel.",
  })
  publishProducts(
    @Ctx() ctx: HubContext,
    @Arg("input") input: PublishProductsInput,
  ): Promise<PublishPayload> {
    return mutate(ctx, { dryRun: null, channels: [] }, async () => {
      const productIds = input.productIds.map((id, i) => {
        const uuid = idOf("Product", id);
        if (!uuid) throw UserErrors.one(`productIds.${i}`, "NOT_FOUND", { entity: "product", id });
        return uuid;
      });
      const channelIds = input.channelIds.map((id, i) => channelId(id, `channelIds.${i}`));
      const r = await new PublishService(ctx.services.sync, ctx.services.queue).publishProducts(ctx.viewer!, {
        productIds,
        channelIds,
        dryRun: input.dryRun,
        requestId: ctx.requestId,
      });
      return {
        dryRun: r.dryRun,
        channels: r.channels.map((c) => ({
          channelId: toGlobalId("Channel", c.channelId),
          runId: c.runId,
          listingsQueued: c.listingsQueued,
          previews: c.previews.map((p) => previewOut(p, ctx.locale)),
        })),
      };
    });
  }
}
