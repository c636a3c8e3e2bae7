/**
 * GraphQL types of the channels API: marketplaces, channels (never any secret: credentials have no
 * field here), settings, mappings, the marketplace's catalogue data, and publish previews.
 */
import { OcopClaimTemplateInput, OcopClaimTemplateType } from "../../ocop-claims/graphql/claims.types";
import { Field, ID, InputType, Int, ObjectType, registerEnumType } from "type-graphql";
import { ArrayMaxSize, IsOptional, ValidateNested } from "class-validator";
import { Text } from "../../common/validation";
import { Connection } from "../../common/graphql/relay";
import { Node } from "../../common/graphql/node.type";
import { UserError } from "../../common/graphql/user-error.type";
import { toGlobalId } from "../../common/graphql/global-id";
import { Channel, ChannelStatus } from "../channel.entity";
import type { MarketplaceCode } from "../channel.entity";
import { settingsOf } from "../channel-settings";
import { OcopCategory } from "../../catalogue/ocop";
import "../../catalogue/graphql/catalogue.enums";

/** GraphQL enum names cannot hold "-": TIKTOK_SHOP ↔ "tiktok-shop". */
export const Marketplace = {
  SHOPEE: "shopee",
  LAZADA: "lazada",
  TIKTOK_SHOP: "tiktok-shop",
  TIKI: "tiki",
} as const satisfies Record<string, MarketplaceCode>;
registerEnumType(Marketplace, { name: "Marketplace", description: "A supported marketplace." });
registerEnumType(ChannelStatus, { name: "ChannelStatus" });

export enum ScheduleKindEnum {
  ORDERS = "ORDERS",
  STOCK = "STOCK",
  PRICE = "PRICE",
  RECONCILE = "RECONCILE",
  REFRESH_TOKEN = "REFRESH_TOKEN",
  REVIEWS = "REVIEWS",
}
registerEnumType(ScheduleKindEnum, { name: "ScheduleKind" });

export enum RoundingModeEnum {
  UP = "UP",
  DOWN = "DOWN",
  NEAREST = "NEAREST",
}
registerEnumType(RoundingModeEnum, { name: "RoundingMode" });

export enum MappingValueSource {
  FIXED = "FIXED",
  PRODUCT_FIELD = "PRODUCT_FIELD",
}
registerEnumType(MappingValueSource, { name: "MappingValueSource" });

export enum MappingKind {
  CATEGORY = "CATEGORY",
  ATTRIBUTE = "ATTRIBUTE",
}
registerEnumType(MappingKind, { name: "MappingKind" });

// ---------- marketplaces ----------

@ObjectType({ simpleResolvers: true })
export class BatchLimitsType {
  @Field(() => Int) pricePerCall!: number;
  @Field(() => Int) stockPerCall!: number;
  @Field() perItemCalls!: boolean;
  @Field(() => Int) variantsPerListing!: number;
  @Field(() => Int) orderDetailPerCall!: number;
  @Field(() => Int) orderPageSize!: number;
  @Field(() => Int) orderWindowSeconds!: number;
  @Field(() => Int) readbackPerCall!: number;
}

@ObjectType({ simpleResolvers: true })
export class RatePolicyType {
  @Field() requestsPerSecond!: number;
  @Field() burst!: number;
}

@ObjectType({
  description: "What a listing must satisfy on this marketplace (checked by preflight).",
  simpleResolvers: true,
})
export class ListingLimitsType {
  @Field(() => Int) titleMin!: number;
  @Field(() => Int) titleMax!: number;
  @Field(() => Int) descriptionMin!: number;
  @Field(() => Int) descriptionMax!: number;
  @Field(() => Int) imagesMax!: number;
  @Field(() => Int) priceMinVnd!: number;
  @Field(() => Int) priceMaxVnd!: number;
  @Field() weightRequired!: boolean;
}

@ObjectType({ simpleResolvers: true })
export class MarketplaceInfo {
  @Field(() => Marketplace) code!: MarketplaceCode;
  @Field() name!: string;
  @Field(() => [String]) capabilities!: string[];
  @Field() defaultBaseUrl!: string;
  @Field(() => BatchLimitsType) limits!: BatchLimitsType;
  @Field(() => RatePolicyType) ratePolicy!: RatePolicyType;
  @Field(() => ListingLimitsType) listingLimits!: ListingLimitsType;
}

// ---------- channels ----------

@ObjectType({ simpleResolvers: true })
export class PriceRuleType {
  @Field(() => Int, { description: "Markup in basis points (1,500 = +15%)." }) markupBasisPoints!: number;
  @Field(() => Int) fixedVnd!: number;
  @Field(() => Int) roundingStepVnd!: number;
  @Field(() => RoundingModeEnum) rounding!: RoundingModeEnum;
  @Field(() => Int) floorVnd!: number;
}

@ObjectType({ simpleResolvers: true })
export class StockRuleType {
  @Field(() => Int) sharePercent!: number;
  @Field(() => Int) bufferUnits!: number;
  @Field(() => Int, { nullable: true }) maxUnits!: number | null;
  @Field(() => Int) cutoffUnits!: number;
}

@ObjectType({ simpleResolvers: true })
export class ScheduleType {
  @Field(() => ScheduleKindEnum) kind!: ScheduleKindEnum;
  @Field({ description: "Cron expression, Asia/Ho_Chi_Minh." }) cron!: string;
}

@ObjectType({ simpleResolvers: true })
export class ChannelSettingsType {
  @Field(() => PriceRuleType) priceRule!: PriceRuleType;
  @Field(() => StockRuleType) stockRule!: StockRuleType;
  @Field(() => [ScheduleType]) schedules!: ScheduleType[];
  @Field(() => OcopClaimTemplateType) ocopClaim!: OcopClaimTemplateType;
}

@ObjectType({ simpleResolvers: true })
export class KindSuccess {
  @Field() kind!: string;
  @Field() at!: Date;
}

@ObjectType({ simpleResolvers: true })
export class ListingStateCount {
  @Field() state!: string;
  @Field(() => Int) count!: number;
}

@ObjectType("Channel", { implements: Node, description: "A connected marketplace shop of a producer." })
export class ChannelType implements Node {
  @Field(() => ID, { name: "id" }) globalId!: string;
  /** Raw uuid for field resolvers; not in the schema. */
  uuid!: string;
  @Field(() => ID, { description: "Global id of the producer." }) producerId!: string;
  producerUuid!: string;
  @Field(() => Marketplace) marketplace!: MarketplaceCode;
  @Field() name!: string;
  @Field(() => String, { nullable: true }) shopId!: string | null;
  @Field() baseUrl!: string;
  @Field(() => ChannelStatus) status!: ChannelStatus;
  @Field(() => Date, { nullable: true, description: "When the access token expires." })
  accessExpiresAt!: Date | null;
  @Field(() => Date, { nullable: true, description: "When the refresh token expires." })
  refreshExpiresAt!: Date | null;
  @Field(() => String, { nullable: true, description: "Why the channel needs re-authorization (redacted)." })
  lastAuthError!: string | null;
  @Field(() => ChannelSettingsType) settings!: ChannelSettingsType;
  @Field() createdAt!: Date;
  @Field() updatedAt!: Date;
}

export function toChannelType(c: Channel): ChannelType {
  const s = settingsOf(c.settings);
  const authError = (c.settings as { lastAuthError?: { reason?: string } })?.lastAuthError?.reason ?? null;
  return Object.assign(new ChannelType(), {
    globalId: toGlobalId("Channel", c.id),
    uuid: c.id,
    producerId: toGlobalId("Producer", c.producerId),
    producerUuid: c.producerId,
    marketplace: c.marketplace,
    name: c.name,
    shopId: c.shopId,
    baseUrl: c.baseUrl,
    status: c.status,
    accessExpiresAt: c.accessExpiresAt,
    refreshExpiresAt: c.refreshExpiresAt,
    lastAuthError: authError,
    settings: {
      priceRule: s.priceRule as PriceRuleType,
      stockRule: s.stockRule,
      schedules: Object.entries(s.schedules)
        .filter(([, cron]) => !!cron)
        .map(([kind, cron]) => ({ kind: kind as ScheduleKindEnum, cron: cron! })),
      ocopClaim: s.ocopClaim,
    },
    createdAt: c.createdAt,
    updatedAt: c.updatedAt,
  });
}

@ObjectType()
export class ChannelConnection extends Connection(ChannelType, "Channel") {}

@ObjectType()
export class ChannelPayload {
  @Field(() => ChannelType, { nullable: true }) channel!: ChannelType | null;
  @Field(() => [UserError]) userErrors!: UserError[];
}

@ObjectType()
export class ChannelAuthorizationPayload {
  @Field(() => String, { nullable: true, description: "Open this link as the seller to authorize the hub." })
  url!: string | null;
  @Field(() => String, {
    nullable: true,
    description: "Single-use; pass it back with the callback parameters.",
  })
  state!: string | null;
  @Field(() => Date, { nullable: true }) expiresAt!: Date | null;
  @Field(() => [UserError]) userErrors!: UserError[];
}

@InputType()
export class ChannelFilterInput {
  @Field(() => ID, { nullable: true }) producerId?: string | null;
  @Field(() => Marketplace, { nullable: true }) marketplace?: MarketplaceCode | null;
  @Field(() => ChannelStatus, { nullable: true }) status?: ChannelStatus | null;
}

@InputType()
export class ConnectChannelInput {
  @Field(() => ID) producerId!: string;
  @Field(() => Marketplace) marketplace!: MarketplaceCode;
  @Field() @Text(120, 1) name!: string;
  @Field(() => String, { nullable: true }) @IsOptional() @Text(64) shopId?: string | null;
  @Field(() => String, {
    nullable: true,
    description: "API base URL; the marketplace's production host when omitted.",
  })
  @IsOptional()
  @Text(500)
  baseUrl?: string | null;
  @Field() @Text(200, 1) appKey!: string;
  @Field() @Text(500, 1) appSecret!: string;
  @Field(() => String, { nullable: true }) @IsOptional() @Text(2000) accessToken?: string | null;
  @Field(() => String, { nullable: true }) @IsOptional() @Text(2000) refreshToken?: string | null;
  @Field(() => Date, { nullable: true }) accessExpiresAt?: Date | null;
  @Field(() => Date, { nullable: true }) refreshExpiresAt?: Date | null;
  @Field(() => [KeyValueInput], { nullable: true, description: "Marketplace extras (TikTok shop_cipher…)." })
  @IsOptional()
  @ArrayMaxSize(20, { context: { params: { min: 0, max: 20 } } })
  @ValidateNested()
  extra?: KeyValueInput[] | null;
}

@InputType()
export class KeyValueInput {
  @Field() @Text(100, 1) name!: string;
  @Field() @Text(1000) value!: string;
}

@InputType()
export class ChannelAuthorizationInput {
  @Field(() => ID) producerId!: string;
  @Field(() => Marketplace) marketplace!: MarketplaceCode;
  @Field() @Text(500, 1) redirectUri!: string;
  @Field(() => String, { nullable: true }) @IsOptional() @Text(500) baseUrl?: string | null;
  @Field(() => String, { nullable: true }) @IsOptional() @Text(120) name?: string | null;
  @Field(() => String, {
    nullable: true,
    description: "Only when HUB_<MARKETPLACE>_APP_KEY is not configured.",
  })
  @IsOptional()
  @Text(200)
  appKey?: string | null;
  @Field(() => String, { nullable: true }) @IsOptional() @Text(500) appSecret?: string | null;
}

@InputType()
export class PriceRuleInput {
  @Field(() => Int, { nullable: true }) markupBasisPoints?: number | null;
  @Field(() => Int, { nullable: true }) fixedVnd?: number | null;
  @Field(() => Int, { nullable: true }) roundingStepVnd?: number | null;
  @Field(() => RoundingModeEnum, { nullable: true }) rounding?: RoundingModeEnum | null;
  @Field(() => Int, { nullable: true }) floorVnd?: number | null;
}

@InputType()
export class StockRuleInput {
  @Field(() => Int, { nullable: true }) sharePercent?: number | null;
  @Field(() => Int, { nullable: true }) bufferUnits?: number | null;
  @Field(() => Int, { nullable: true, description: "null removes the maximum when given explicitly." })
  maxUnits?: number | null;
  @Field(() => Int, { nullable: true }) cutoffUnits?: number | null;
}

@InputType()
export class ScheduleInput {
  @Field(() => ScheduleKindEnum) kind!: ScheduleKindEnum;
  @Field(() => String, {
    nullable: true,
    description: "Cron (5 or 6 fields, Asia/Ho_Chi_Minh); null unschedules.",
  })
  cron?: string | null;
}

@InputType()
export class ChannelSettingsInput {
  @Field(() => PriceRuleInput, { nullable: true }) priceRule?: PriceRuleInput | null;
  @Field(() => StockRuleInput, { nullable: true }) stockRule?: StockRuleInput | null;
  @Field(() => [ScheduleInput], { nullable: true }) schedules?: ScheduleInput[] | null;
  @Field(() => OcopClaimTemplateInput, {
    nullable: true,
    description: "How OCOP claims are shown on this channel; only the fields given change.",
  })
  ocopClaim?: OcopClaimTemplateInput | null;
}

// ---------- mappings and remote catalogue ----------

@ObjectType("CategoryMapping", { simpleResolvers: true })
export class CategoryMappingType {
  @Field(() => ID) id!: string;
  @Field(() => Marketplace) marketplace!: MarketplaceCode;
  @Field(() => OcopCategory) category!: OcopCategory;
  @Field(() => Int, { nullable: true }) productSetNo!: number | null;
  @Field() remoteCategoryId!: string;
  @Field(() => String, { nullable: true }) remoteCategoryName!: string | null;
}

@ObjectType("AttributeMapping", { simpleResolvers: true })
export class AttributeMappingType {
  @Field(() => ID) id!: string;
  @Field(() => Marketplace) marketplace!: MarketplaceCode;
  @Field() remoteCategoryId!: string;
  @Field() remoteAttributeId!: string;
  @Field(() => MappingValueSource) valueSource!: MappingValueSource;
  @Field({ description: "The fixed value, or the product field (e.g. producer.legalName)." }) value!: string;
}

@ObjectType()
export class CategoryMappingPayload {
  @Field(() => CategoryMappingType, { nullable: true }) mapping!: CategoryMappingType | null;
  @Field(() => [UserError]) userErrors!: UserError[];
}

@ObjectType()
export class AttributeMappingPayload {
  @Field(() => AttributeMappingType, { nullable: true }) mapping!: AttributeMappingType | null;
  @Field(() => [UserError]) userErrors!: UserError[];
}

@ObjectType()
export class DeleteMappingPayload {
  @Field() deleted!: boolean;
  @Field(() => [UserError]) userErrors!: UserError[];
}

@InputType()
export class SetCategoryMappingInput {
  @Field(() => Marketplace) marketplace!: MarketplaceCode;
  @Field(() => OcopCategory) category!: OcopCategory;
  @Field(() => Int, { nullable: true, description: "Narrows the mapping to one OCOP product set (1–26)." })
  productSetNo?: number | null;
  @Field() remoteCategoryId!: string;
  @Field(() => String, { nullable: true }) remoteCategoryName?: string | null;
}

@InputType()
export class SetAttributeMappingInput {
  @Field(() => Marketplace) marketplace!: MarketplaceCode;
  @Field() remoteCategoryId!: string;
  @Field() remoteAttributeId!: string;
  @Field(() => MappingValueSource) valueSource!: MappingValueSource;
  @Field() value!: string;
}

@ObjectType("RemoteCategory", { simpleResolvers: true })
export class RemoteCategoryType {
  @Field() id!: string;
  @Field(() => String, { nullable: true }) parentId!: string | null;
  @Field() name!: string;
  @Field() isLeaf!: boolean;
}

@ObjectType("RemoteAttributeOption", { simpleResolvers: true })
export class RemoteAttributeOptionType {
  @Field() id!: string;
  @Field() name!: string;
}

@ObjectType("RemoteAttribute", { simpleResolvers: true })
export class RemoteAttributeType {
  @Field() id!: string;
  @Field() name!: string;
  @Field() required!: boolean;
  @Field() inputType!: string;
  @Field(() => [RemoteAttributeOptionType]) options!: RemoteAttributeOptionType[];
}

// ---------- publish ----------

@InputType()
export class PublishProductsInput {
  @Field(() => [ID]) productIds!: string[];
  @Field(() => [ID]) channelIds!: string[];
  @Field({ defaultValue: false, description: "Preview and problems only; nothing is written." })
  dryRun!: boolean;
}

@ObjectType({ simpleResolvers: true })
export class PublishProblem {
  @Field({
    description: 'Field of the preview at fault, e.g. "title", "attributes.100095", "variants.SKU.priceVnd".',
  })
  field!: string;
  @Field() code!: string;
  @Field({ description: "ERROR blocks this listing; WARNING does not." }) severity!: string;
  @Field(() => String, { nullable: true }) sku!: string | null;
  @Field({ description: "In the caller's language." }) message!: string;
  @Field() hint!: string;
  @Field() messageVi!: string;
  @Field() messageEn!: string;
  @Field() hintVi!: string;
  @Field() hintEn!: string;
}

@ObjectType({ simpleResolvers: true })
export class AttributeValue {
  @Field() id!: string;
  @Field(() => [String]) values!: string[];
}

@ObjectType({ simpleResolvers: true })
export class PreviewVariant {
  @Field() sku!: string;
  @Field() optionName!: string;
  @Field(() => Int, { nullable: true }) catalogPriceVnd!: number | null;
  @Field(() => Int, { nullable: true, description: "After the channel's price rule." }) priceVnd!:
    | number
    | null;
  @Field(() => Int, { description: "After the channel's stock rule." }) stock!: number;
}

@ObjectType({ description: "What the marketplace will show for one product.", simpleResolvers: true })
export class ListingPreviewType {
  @Field(() => ID) productId!: string;
  @Field() ready!: boolean;
  @Field() title!: string;
  @Field() description!: string;
  @Field(() => String, { nullable: true }) categoryId!: string | null;
  @Field(() => String, { nullable: true }) categoryName!: string | null;
  @Field(() => [AttributeValue]) attributes!: AttributeValue[];
  @Field(() => [String]) images!: string[];
  @Field(() => Int, { nullable: true, description: "OCOP star claimed (only with a certificate in force)." })
  ocopStar!: number | null;
  @Field(() => [PreviewVariant]) variants!: PreviewVariant[];
  @Field(() => [PublishProblem]) problems!: PublishProblem[];
}

@ObjectType({ simpleResolvers: true })
export class PublishChannelResultType {
  @Field(() => ID) channelId!: string;
  @Field(() => ID, {
    nullable: true,
    description: "The queued PUBLISH sync run; null for a dry run or nothing ready.",
  })
  runId!: string | null;
  @Field(() => Int) listingsQueued!: number;
  @Field(() => [ListingPreviewType]) previews!: ListingPreviewType[];
}

@ObjectType()
export class PublishPayload {
  @Field(() => Boolean, { nullable: true }) dryRun!: boolean | null;
  @Field(() => [PublishChannelResultType]) channels!: PublishChannelResultType[];
  @Field(() => [UserError]) userErrors!: UserError[];
}
