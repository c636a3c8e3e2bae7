import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from "typeorm";

export enum ListingState {
  DRAFT = "DRAFT",
  PENDING = "PENDING",
  LIVE = "LIVE",
  FAILED = "FAILED",
  DELISTED = "DELISTED",
}

export type OutboxKind = "price" | "stock" | "content";

/** `listing.content_review` (see the migration 1764137700005-content-review). */
export interface ContentReviewRecord {
  state: "IN_REVIEW" | "REJECTED";
  /** CREATE: a new product's creation request (the listing stays PENDING, unlinked, meanwhile). */
  kind?: "CREATE" | "UPDATE";
  trackId?: string;
  /** The marketplace product is inactive until a request is approved. */
  hidden: boolean;
  /** The content version the request carries (bigint as text). */
  contentVersion?: string;
  requestedAt?: string;
  rejectedAt?: string;
  reason?: string | null;
}

/**
 * A variant on one channel. Each kind (price, stock, content) is an outbox: `<kind>Version` is
 * bumped by triggers in the transaction that changes the catalogue, `<kind>PushedVersion` records
 * what the marketplace has applied; the listing is dirty for that kind while they differ.
 */
@Entity()
export class Listing {
  @PrimaryGeneratedColumn("uuid") id!: string;
  @Column("uuid") channelId!: string;
  @Column("uuid") productId!: string;
  @Column("uuid") variantId!: string;
  /** The marketplace-level item our variants are grouped under (the product's parent SKU). */
  @Column("text") listingKey!: string;
  @Column("text", { nullable: true }) externalItemId!: string | null;
  @Column("text", { nullable: true }) externalSkuId!: string | null;
  @Column("text") state!: ListingState;
  @Column("bigint") priceVersion!: string;
  @Column("bigint") pricePushedVersion!: string;
  @Column("timestamptz", { nullable: true }) priceDirtySince!: Date | null;
  @Column("bigint") stockVersion!: string;
  @Column("bigint") stockPushedVersion!: string;
  @Column("timestamptz", { nullable: true }) stockDirtySince!: Date | null;
  @Column("bigint") contentVersion!: string;
  @Column("bigint") contentPushedVersion!: string;
  @Column("timestamptz", { nullable: true }) contentDirtySince!: Date | null;
  @Column("integer", { nullable: true }) pushedPriceVnd!: number | null;
  @Column("integer", { nullable: true }) pushedStock!: number | null;
  @Column("integer", { nullable: true }) confirmedPriceVnd!: number | null;
  @Column("integer", { nullable: true }) confirmedStock!: number | null;
  @Column("timestamptz", { nullable: true }) confirmedAt!: Date | null;
  @Column("text", { nullable: true }) contentHash!: string | null;
  /** The last failure, explained: {code, remoteCode, remoteMessage, messageVi, messageEn, hintVi, hintEn, at}. */
  @Column("jsonb", { nullable: true }) lastError!: Record<string, unknown> | null;
  /**
   * A content edit the marketplace reviews (Tiki), followed by src/ocop-claims/content-reviews.ts:
   * {state: IN_REVIEW, trackId, hidden, contentVersion, requestedAt} while it waits;
   * {state: REJECTED, hidden: true, …, rejectedAt, reason} when refused with the product left hidden.
   */
  @Column("jsonb", { nullable: true }) contentReview!: ContentReviewRecord | null;
  @CreateDateColumn({ type: "timestamptz" }) createdAt!: Date;
  @UpdateDateColumn({ type: "timestamptz" }) updatedAt!: Date;
}
