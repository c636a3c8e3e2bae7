/** Per-listing view of a claim change: does each marketplace show the product's current content? */
import { Field, ID, ObjectType, registerEnumType } from "type-graphql";
import { Marketplace } from "../../channels/graphql/channel.types";
import type { MarketplaceCode } from "../../channels/channel.entity";

export enum ClaimListingStatus {
  /** The marketplace has the latest content (the claim as it is now). */
  UP_TO_DATE = "UP_TO_DATE",
  /** Waiting for the outbox push (or its retry). */
  PENDING = "PENDING",
  /** The marketplace reviews content edits (Tiki): the update request awaits approval; the old content shows. */
  NEEDS_REVIEW = "NEEDS_REVIEW",
  /**
   * Hidden from buyers (Tiki: inactive) while the marketplace reviews content that withdraws or
   * lowers the OCOP claim; back on sale, UP_TO_DATE, once approved.
   */
  HIDDEN = "HIDDEN",
  /** The marketplace refused the content; see errorCode. */
  FAILED = "FAILED",
}
registerEnumType(ClaimListingStatus, {
  name: "OcopClaimListingStatus",
  description: "Whether a marketplace shows a product's current content (and so its current OCOP claim).",
});

@ObjectType("OcopClaimListing", { simpleResolvers: true })
export class ClaimListingType {
  @Field(() => ID, { description: "Global id of the channel." }) channelId!: string;
  @Field(() => Marketplace) marketplace!: MarketplaceCode;
  @Field() sku!: string;
  @Field(() => ClaimListingStatus) status!: ClaimListingStatus;
  @Field(() => String, { nullable: true }) errorCode!: string | null;
}
