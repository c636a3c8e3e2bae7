/** Sale windows: thin resolvers over CampaignService. */
import { Arg, Args, Authorized, Ctx, ID, Mutation, Query, Resolver } from "type-graphql";
import type { HubContext } from "../../app/context";
import { mutate } from "../../common/graphql/mutation";
import { PageArgs } from "../../common/graphql/relay";
import { idOf } from "../../common/graphql/global-id";
import { UserErrors } from "../../common/errors";
import { connectionOf, pageWindow } from "../../catalogue/graphql/paging";
import { CampaignInput, CampaignService, CreateResult } from "../campaign.service";
import {
  CampaignConnection,
  CampaignFilterInput,
  CampaignPayload,
  CampaignType,
  CreateCampaignInput,
  UpdateCampaignInput,
  CampaignSavePayload,
  toCampaignType,
  toPreviewItem,
  toWindow,
} from "./campaign.types";

const NO_UUID = "00000000-0000-0000-0000-000000000000";
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function service(ctx: HubContext): CampaignService {
  return new CampaignService(ctx.services.sync);
}

function decode(type: "Producer" | "Channel" | "Variant", id: string, field: string): string {
  const uuid = idOf(type, id);
  if (!uuid) throw UserErrors.one(field, "NOT_FOUND", { entity: type.toLowerCase(), id });
  return uuid;
}

const EMPTY_SAVE = { dryRun: null, campaign: null, occurrences: [], preview: [] };

/** Decodes the ids of a definition; a malformed id is a NOT_FOUND userError on its field. */
function definition(input: UpdateCampaignInput): Omit<CampaignInput, "producerId"> {
  return {
    name: input.name,
    channelIds: input.channelIds.map((id, i) => decode("Channel", id, `channelIds.${i}`)),
    variants: input.variants.map((v, i) => ({
      variantId: decode("Variant", v.variantId, `variants.${i}.variantId`),
      salePriceVnd: v.salePriceVnd ?? null,
      reservedUnits: v.reservedUnits ?? null,
    })),
    discount: input.discount ? { kind: input.discount.kind, value: input.discount.value } : null,
    startsAt: input.startsAt ?? null,
    endsAt: input.endsAt ?? null,
    recurrence: input.recurrence ? { ...input.recurrence, weekdays: [...input.recurrence.weekdays] } : null,
  };
}

function saved(ctx: HubContext, dryRun: boolean, r: CreateResult): Omit<CampaignSavePayload, "userErrors"> {
  return {
    dryRun,
    campaign: r.campaign ? toCampaignType(r.campaign) : null,
    occurrences: r.occurrences.map(toWindow),
    preview: r.preview.map((p) => toPreviewItem(p, ctx.locale)),
  };
}

@Resolver(() => CampaignType)
export class CampaignResolver {
  @Authorized()
  @Query(() => CampaignConnection, { description: "Sale windows, latest start first." })
  async campaigns(
    @Ctx() ctx: HubContext,
    @Args() page: PageArgs,
    @Arg("filter", () => CampaignFilterInput, { nullable: true }) filter?: CampaignFilterInput | null,
  ) {
    const win = pageWindow(ctx, page);
    const f = {
      producerId: filter?.producerId ? (idOf("Producer", filter.producerId) ?? NO_UUID) : null,
      state: filter?.state ?? null,
    };
    const svc = service(ctx);
    const rows = await svc.list(ctx.viewer!, f, win);
    return connectionOf(rows.map(toCampaignType), win, () => svc.count(ctx.viewer!, f));
  }

  @Authorized()
  @Query(() => CampaignType, { nullable: true })
  async campaign(@Ctx() ctx: HubContext, @Arg("id", () => ID) id: string): Promise<CampaignType | null> {
    if (!UUID_RE.test(id)) return null;
    const c = await service(ctx).get(ctx.viewer!, id.toLowerCase());
    return c ? toCampaignType(c) : null;
  }

  @Authorized()
  @Mutation(() => CampaignSavePayload, {
    description:
      "Creates a sale window (or, with dryRun, only validates it and previews each channel × variant: normal price, sale price and how it is applied).",
  })
  createCampaign(
    @Ctx() ctx: HubContext,
    @Arg("input") input: CreateCampaignInput,
    @Arg("dryRun", { defaultValue: false }) dryRun: boolean,
  ): Promise<CampaignSavePayload> {
    return mutate(ctx, EMPTY_SAVE, async () => {
      const producerId = decode("Producer", input.producerId, "producerId");
      return saved(
        ctx,
        dryRun,
        await service(ctx).create(ctx.viewer!, { ...definition(input), producerId }, dryRun),
      );
    });
  }

  @Authorized()
  @Mutation(() => CampaignSavePayload, {
    description:
      "Replaces a campaign's definition until its first occurrence starts (with dryRun: validation and preview only).",
  })
  updateCampaign(
    @Ctx() ctx: HubContext,
    @Arg("id", () => ID) id: string,
    @Arg("input") input: UpdateCampaignInput,
    @Arg("dryRun", { defaultValue: false }) dryRun: boolean,
  ): Promise<CampaignSavePayload> {
    return mutate(ctx, EMPTY_SAVE, async () => {
      if (!UUID_RE.test(id)) throw UserErrors.one("id", "NOT_FOUND", { entity: "campaign", id });
      return saved(
        ctx,
        dryRun,
        await service(ctx).update(ctx.viewer!, id.toLowerCase(), definition(input), dryRun),
      );
    });
  }

  @Authorized()
  @Mutation(() => CampaignPayload, {
    description: "Cancels a campaign; a running window ends now and the normal prices are pushed at once.",
  })
  cancelCampaign(@Ctx() ctx: HubContext, @Arg("id", () => ID) id: string): Promise<CampaignPayload> {
    return mutate(ctx, { campaign: null }, async () => {
      if (!UUID_RE.test(id)) throw UserErrors.one("id", "NOT_FOUND", { entity: "campaign", id });
      return { campaign: toCampaignType(await service(ctx).cancel(ctx.viewer!, id.toLowerCase())) };
    });
  }
}
