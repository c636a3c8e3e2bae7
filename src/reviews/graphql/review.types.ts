/** GraphQL types of reviews: a review with its channel and product, rating summaries, filters, payloads. */
import { Field, Float, ID, InputType, Int, ObjectType, registerEnumType } from "type-graphql";
import { Connection } from "../../common/graphql/relay";
import { UserError } from "../../common/graphql/user-error.type";

export enum ReplyStatusEnum {
  NONE = "NONE",
  REPLIED = "REPLIED",
}
registerEnumType(ReplyStatusEnum, {
  name: "ReviewReplyStatus",
  description: "Whether the shop has answered a review (on the marketplace or from the hub).",
});

@ObjectType("Review", { description: "A buyer's review pulled from a marketplace." })
export class ReviewType {
  @Field(() => ID, { name: "id" }) globalId!: string;
  /** Raw ids for field resolvers; not in the schema. */
  uuid!: string;
  channelUuid!: string;
  productUuid!: string | null;
  variantUuid!: string | null;
  @Field({ description: "False when the marketplace item is not a listing of the hub: kept, not linked." })
  linked!: boolean;
  @Field({ description: "The marketplace's review id." }) externalReviewId!: string;
  @Field(() => String, { nullable: true, description: "The marketplace item reviewed." })
  externalItemId!: string | null;
  @Field(() => String, {
    nullable: true,
    description: "The marketplace order it came from (with READ_ORDERS on the producer).",
  })
  externalOrderId!: string | null;
  @Field(() => Int, { description: "1 to 5 stars." }) rating!: number;
  @Field() text!: string;
  @Field(() => String, {
    nullable: true,
    description:
      "The display name the marketplace shows (none on Lazada); only for callers who may read the producer's orders.",
  })
  buyerName!: string | null;
  @Field({ description: "When the buyer wrote it (marketplace time)." }) createdAt!: Date;
  @Field({ description: "When the hub first stored it: what new-review alerts look at." }) firstSeenAt!: Date;
  @Field(() => ReplyStatusEnum) replyStatus!: ReplyStatusEnum;
  @Field(() => String, { nullable: true }) replyText!: string | null;
  @Field(() => Date, { nullable: true }) repliedAt!: Date | null;
  @Field({ description: "Whether the marketplace still accepts a reply from its API." }) canReply!: boolean;
  @Field({ description: "Marked read by the producer (markReviewsRead)." }) read!: boolean;
}

@ObjectType()
export class ReviewConnection extends Connection(ReviewType, "Review") {}

@ObjectType("ChannelRating")
export class ChannelRatingType {
  channelUuid!: string;
  @Field(() => Float) average!: number;
  @Field(() => Int) count!: number;
}

@ObjectType("RatingCount")
export class RatingCountType {
  @Field(() => Int) rating!: number;
  @Field(() => Int) count!: number;
}

@ObjectType("ReviewSummary", { description: "Ratings of a product over every channel's reviews." })
export class ReviewSummaryType {
  @Field(() => Float, { nullable: true, description: "Average stars, 2 decimals; null without reviews." })
  average!: number | null;
  @Field(() => Int) count!: number;
  @Field(() => [ChannelRatingType]) byChannel!: ChannelRatingType[];
  @Field(() => [RatingCountType], { description: "Reviews per star, 1 to 5." }) byRating!: RatingCountType[];
}

@InputType()
export class ReviewFilter {
  @Field(() => ID, { nullable: true }) producerId?: string | null;
  @Field(() => ID, { nullable: true }) productId?: string | null;
  @Field(() => ID, { nullable: true }) channelId?: string | null;
  @Field(() => [Int], { nullable: true, description: "Any of these star ratings." }) rating?: number[] | null;
  @Field(() => ReplyStatusEnum, { nullable: true }) replyStatus?: ReplyStatusEnum | null;
  @Field(() => Date, { nullable: true, description: "Written at or after this time." }) since?: Date | null;
  @Field(() => Date, { nullable: true, description: "First stored by the hub at or after this time." })
  firstSeenSince?: Date | null;
  @Field(() => Boolean, { nullable: true, description: "Only linked (true) or unlinked (false) reviews." })
  linked?: boolean | null;
}

@ObjectType()
export class ReplyToReviewPayload {
  @Field(() => ReviewType, { nullable: true }) review!: ReviewType | null;
  @Field(() => [UserError]) userErrors!: UserError[];
}

@ObjectType()
export class MarkReviewsReadPayload {
  @Field(() => Int, { nullable: true, description: "Reviews marked read now." }) marked!: number | null;
  @Field(() => [UserError]) userErrors!: UserError[];
}
