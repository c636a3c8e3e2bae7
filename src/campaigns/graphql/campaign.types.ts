/** GraphQL types of sale windows (campaigns): inputs, the campaign, its preview. */
import { Field, ID, InputType, Int, ObjectType, registerEnumType } from "type-graphql";
import { Connection } from "../../common/graphql/relay";
import { UserError } from "../../common/graphql/user-error.type";
import { toGlobalId } from "../../common/graphql/global-id";
import type { MarketplaceCode } from "../../channels/channel.entity";
import { Marketplace } from "../../channels/graphql/channel.types";
import type { Locale } from "../../common/i18n";
import type { CampaignRow, PreviewRow } from "../campaign.service";
import type { Window } from "../campaign-rules";

export enum CampaignStateEnum {
  SCHEDULED = "SCHEDULED",
  RUNNING = "RUNNING",
  ENDED = "ENDED",
  CANCELLED = "CANCELLED",
}
registerEnumType(CampaignStateEnum, {
  name: "CampaignState",
  description: "SCHEDULED until an occurrence starts (and between weekly occurrences), RUNNING during one.",
});

export enum CampaignPricingEnum {
  SALE_PRICES = "SALE_PRICES",
  PERCENT_OFF = "PERCENT_OFF",
  AMOUNT_OFF = "AMOUNT_OFF",
}
registerEnumType(CampaignPricingEnum, { name: "CampaignPricing" });

export enum DiscountKindEnum {
  PERCENT = "PERCENT",
  AMOUNT = "AMOUNT",
}
registerEnumType(DiscountKindEnum, { name: "DiscountKind" });

export enum ApplyMethodEnum {
  NATIVE_PROMOTION = "NATIVE_PROMOTION",
  PRICE_ADJUST = "PRICE_ADJUST",
}
registerEnumType(ApplyMethodEnum, {
  name: "CampaignApplyMethod",
  description:
    "NATIVE_PROMOTION: the marketplace's own promotion API; PRICE_ADJUST: the listed price is changed at the start and restored at the end.",
});

// ---------- inputs ----------

@InputType()
export class WeeklyRecurrenceInput {
  @Field(() => [Int], { description: "ISO week days: 1 = Monday … 5 = Friday … 7 = Sunday." })
  weekdays!: number[];
  @Field({ description: '"20:30", Asia/Ho_Chi_Minh.' }) startTime!: string;
  @Field({ description: '"23:00"; at or before startTime means the next day.' }) endTime!: string;
  @Field({ description: "First day an occurrence may start (YYYY-MM-DD, Vietnam)." }) fromDate!: string;
  @Field({ description: "Last day an occurrence may start (at most 366 days after fromDate)." })
  untilDate!: string;
}

@InputType()
export class CampaignDiscountInput {
  @Field(() => DiscountKindEnum) kind!: DiscountKindEnum;
  @Field(() => Int, {
    description:
      "PERCENT: basis points (2,000 = 20 %); AMOUNT: whole đồng off each channel's normal price. Rounded with the channel's rounding, never below its floor.",
  })
  value!: number;
}

@InputType()
export class CampaignVariantInput {
  @Field(() => ID) variantId!: string;
  @Field(() => Int, {
    nullable: true,
    description: "The price buyers see on every channel of the campaign (without a discount rule).",
  })
  salePriceVnd?: number | null;
  @Field(() => Int, {
    nullable: true,
    description:
      "Units held for the campaign's channels while it runs: the producer's other channels show available stock minus what is still held.",
  })
  reservedUnits?: number | null;
}

/** What a campaign is, apart from its producer: the whole of an update, and create adds the producer. */
@InputType({ description: "The whole new definition; allowed until the first occurrence starts." })
export class UpdateCampaignInput {
  @Field() name!: string;
  @Field(() => [ID]) channelIds!: string[];
  @Field(() => [CampaignVariantInput]) variants!: CampaignVariantInput[];
  @Field(() => CampaignDiscountInput, { nullable: true, description: "Instead of per-variant sale prices." })
  discount?: CampaignDiscountInput | null;
  @Field(() => Date, { nullable: true, description: "A single window: its start (in the future)." })
  startsAt?: Date | null;
  @Field(() => Date, { nullable: true }) endsAt?: Date | null;
  @Field(() => WeeklyRecurrenceInput, { nullable: true, description: "Instead of startsAt/endsAt." })
  recurrence?: WeeklyRecurrenceInput | null;
}

@InputType()
export class CreateCampaignInput extends UpdateCampaignInput {
  @Field(() => ID) producerId!: string;
}

@InputType()
export class CampaignFilterInput {
  @Field(() => ID, { nullable: true }) producerId?: string | null;
  @Field(() => CampaignStateEnum, { nullable: true }) state?: CampaignStateEnum | null;
}

// ---------- outputs ----------

@ObjectType("WeeklyRecurrence", { simpleResolvers: true })
export class WeeklyRecurrenceType {
  @Field(() => [Int]) weekdays!: number[];
  @Field() startTime!: string;
  @Field() endTime!: string;
  @Field() fromDate!: string;
  @Field() untilDate!: string;
}

@ObjectType("CampaignWindow", { simpleResolvers: true })
export class CampaignWindowType {
  @Field() startsAt!: Date;
  @Field() endsAt!: Date;
}

@ObjectType("CampaignOccurrence", { simpleResolvers: true })
export class CampaignOccurrenceType {
  @Field() startsAt!: Date;
  @Field() endsAt!: Date;
  @Field(() => CampaignStateEnum) state!: CampaignStateEnum;
  @Field(() => Date, {
    nullable: true,
    description: "When the hub started it (sale prices marked for push).",
  })
  startedAt!: Date | null;
  @Field(() => Date, { nullable: true }) endedAt!: Date | null;
}

@ObjectType("CampaignChannel", { simpleResolvers: true })
export class CampaignChannelType {
  @Field(() => ID) channelId!: string;
  @Field() name!: string;
  @Field(() => Marketplace) marketplace!: MarketplaceCode;
  @Field(() => ApplyMethodEnum, { description: "How this channel gets the sale price." })
  method!: ApplyMethodEnum;
}

@ObjectType("CampaignVariant", { simpleResolvers: true })
export class CampaignVariantType {
  @Field(() => ID) variantId!: string;
  @Field() sku!: string;
  @Field(() => Int, { nullable: true }) salePriceVnd!: number | null;
  @Field(() => Int) reservedUnits!: number;
}

@ObjectType("Campaign", { description: "A sale window (livestream, online fair) of one producer." })
export class CampaignType {
  @Field(() => ID) id!: string;
  @Field(() => ID, { description: "Global id of the producer." }) producerId!: string;
  @Field() name!: string;
  @Field(() => CampaignStateEnum) state!: CampaignStateEnum;
  @Field(() => CampaignPricingEnum) pricing!: CampaignPricingEnum;
  @Field(() => Int, {
    nullable: true,
    description: "PERCENT_OFF: basis points; AMOUNT_OFF: đồng; SALE_PRICES: null.",
  })
  discountValue!: number | null;
  @Field(() => WeeklyRecurrenceType, { nullable: true }) recurrence!: WeeklyRecurrenceType | null;
  @Field({ description: "Start of the first occurrence." }) startsAt!: Date;
  @Field({ description: "End of the last occurrence." }) endsAt!: Date;
  @Field(() => Date, { nullable: true }) cancelledAt!: Date | null;
  @Field(() => [CampaignChannelType]) channels!: CampaignChannelType[];
  @Field(() => [CampaignVariantType]) variants!: CampaignVariantType[];
  @Field(() => [CampaignOccurrenceType]) occurrences!: CampaignOccurrenceType[];
  @Field() createdAt!: Date;
  @Field() updatedAt!: Date;
}

@ObjectType()
export class CampaignConnection extends Connection(CampaignType, "Campaign") {}

@ObjectType("CampaignPreviewWarning", { simpleResolvers: true })
export class CampaignPreviewWarningType {
  @Field({ description: "NOT_LISTED, NOT_A_DISCOUNT or OUTSIDE_MARKETPLACE_LIMITS." }) code!: string;
  @Field({ description: "In the caller's language." }) message!: string;
  @Field() messageVi!: string;
  @Field() messageEn!: string;
}

@ObjectType("CampaignPreviewItem", {
  description: "What one variant will show on one channel during the window, and how.",
  simpleResolvers: true,
})
export class CampaignPreviewItemType {
  @Field(() => ID) channelId!: string;
  @Field() channelName!: string;
  @Field(() => Marketplace) marketplace!: MarketplaceCode;
  @Field(() => ID) variantId!: string;
  @Field() sku!: string;
  @Field(() => Int, { nullable: true, description: "The channel's price outside the window, today." })
  normalPriceVnd!: number | null;
  @Field(() => Int, { nullable: true }) salePriceVnd!: number | null;
  @Field(() => ApplyMethodEnum) method!: ApplyMethodEnum;
  @Field({ description: "Why this method, in the caller's language." }) reason!: string;
  @Field() reasonVi!: string;
  @Field() reasonEn!: string;
  @Field({ description: "False: no listing on this channel yet, nothing will be pushed there." })
  listed!: boolean;
  @Field(() => Int) reservedUnits!: number;
  @Field(() => [CampaignPreviewWarningType], { description: "Worth knowing; none blocks the campaign." })
  warnings!: CampaignPreviewWarningType[];
}

@ObjectType()
export class CampaignSavePayload {
  @Field(() => Boolean, { nullable: true }) dryRun!: boolean | null;
  @Field(() => CampaignType, { nullable: true, description: "Null for a dry run." })
  campaign!: CampaignType | null;
  @Field(() => [CampaignWindowType], { description: "The windows that will take place." })
  occurrences!: CampaignWindowType[];
  @Field(() => [CampaignPreviewItemType]) preview!: CampaignPreviewItemType[];
  @Field(() => [UserError]) userErrors!: UserError[];
}

@ObjectType()
export class CampaignPayload {
  @Field(() => CampaignType, { nullable: true }) campaign!: CampaignType | null;
  @Field(() => [UserError]) userErrors!: UserError[];
}

export function toCampaignType(c: CampaignRow): CampaignType {
  return Object.assign(new CampaignType(), {
    ...c,
    producerId: toGlobalId("Producer", c.producerId),
    state: c.state as CampaignStateEnum,
    pricing: c.pricing as CampaignPricingEnum,
    channels: c.channels.map((x) => ({
      ...x,
      channelId: toGlobalId("Channel", x.channelId),
      method: x.method as ApplyMethodEnum,
    })),
    variants: c.variants.map((x) => ({ ...x, variantId: toGlobalId("Variant", x.variantId) })),
    occurrences: c.occurrences.map((o) => ({ ...o, state: o.state as CampaignStateEnum })),
  });
}

export function toPreviewItem(p: PreviewRow, locale: Locale): CampaignPreviewItemType {
  return {
    ...p,
    channelId: toGlobalId("Channel", p.channelId),
    variantId: toGlobalId("Variant", p.variantId),
    method: p.method as ApplyMethodEnum,
    reason: locale === "en" ? p.reasonEn : p.reasonVi,
    warnings: p.warnings.map((w) => ({ ...w, message: locale === "en" ? w.messageEn : w.messageVi })),
  };
}

export function toWindow(w: Window): CampaignWindowType {
  return { startsAt: w.startsAt, endsAt: w.endsAt };
}
