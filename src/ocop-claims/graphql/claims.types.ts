/** GraphQL types of OCOP claims: expiry warnings, the claim-change record, certificate writes, templates. */
import { Field, ID, InputType, Int, ObjectType, registerEnumType } from "type-graphql";
import { IsOptional } from "class-validator";
import { OcopCertification } from "../../catalogue/entities/ocop-certification.entity";
import { Connection } from "../../common/graphql/relay";
import { UserError } from "../../common/graphql/user-error.type";
import { HttpsUrl, Text } from "../../common/validation";
import { ClaimChangeReason, ClaimChangeSource, ExpiryWarningLevel } from "../claim-rules";

registerEnumType(ExpiryWarningLevel, {
  name: "ExpiryWarningLevel",
  description: "NOTICE 90–31 days left, WARNING 30–8, URGENT 7–0, EXPIRED after the last valid day.",
});
registerEnumType(ClaimChangeReason, { name: "OcopClaimChangeReason" });
registerEnumType(ClaimChangeSource, {
  name: "OcopClaimChangeSource",
  description: "SCHEDULE: found by the claim job (time passed); WRITE: followed a certificate write.",
});

@ObjectType("ExpiryWarning", { simpleResolvers: true })
export class ExpiryWarningType {
  @Field({ description: "Last valid day, YYYY-MM-DD (Asia/Ho_Chi_Minh)." }) validUntil!: string;
  @Field(() => Int, { description: "Days until validUntil; negative once expired." }) daysLeft!: number;
  @Field(() => ExpiryWarningLevel) level!: ExpiryWarningLevel;
}

@ObjectType("OcopClaimChange", {
  description: "A change of what marketplaces are told about a product's OCOP star, and why.",
  simpleResolvers: true,
})
export class ClaimChangeType {
  @Field(() => ID) id!: string;
  @Field(() => ID, { description: "Global id of the product." }) productId!: string;
  productUuid!: string;
  @Field(() => ID, { description: "Global id of the producer." }) producerId!: string;
  @Field(() => ClaimChangeReason) reason!: ClaimChangeReason;
  @Field(() => ClaimChangeSource) source!: ClaimChangeSource;
  @Field(() => Int, { nullable: true, description: "Star claimed before; null = no claim." }) oldStar!:
    | number
    | null;
  @Field(() => String, { nullable: true }) oldDecisionNumber!: string | null;
  @Field(() => ID, { nullable: true }) oldCertificationId!: string | null;
  @Field(() => Int, { nullable: true, description: "Star claimed after; null = no claim." }) newStar!:
    | number
    | null;
  @Field(() => String, { nullable: true }) newDecisionNumber!: string | null;
  @Field(() => ID, { nullable: true }) newCertificationId!: string | null;
  @Field({ description: "Vietnamese calendar day the change took effect." }) effectiveDay!: string;
  @Field(() => Int, { description: "Listings marked for a content push (all marketplaces)." })
  listingsTouched!: number;
  @Field() recordedAt!: Date;
}

@ObjectType()
export class ClaimChangeConnection extends Connection(ClaimChangeType, "OcopClaimChange") {}

@InputType()
export class ClaimChangeFilterInput {
  @Field(() => ID, { nullable: true }) productId?: string | null;
  @Field(() => ID, { nullable: true }) producerId?: string | null;
}

@InputType()
export class RevokeCertificationInput {
  @Field(() => ID) certificationId!: string;
  @Field({ description: "Why (decision number of the revocation, inspection…); kept with the certificate." })
  @Text(500, 1)
  reason!: string;
}

@InputType()
export class SetCertificationImageInput {
  @Field(() => ID) certificationId!: string;
  @Field(() => String, {
    nullable: true,
    description: "https URL of the certificate picture; null removes it.",
  })
  @IsOptional()
  @HttpsUrl()
  @Text(1000)
  imageUrl?: string | null;
}

@ObjectType()
export class CertificationWritePayload {
  @Field(() => OcopCertification, { nullable: true }) certification!: OcopCertification | null;
  @Field(() => [UserError]) userErrors!: UserError[];
}

// ---------- per-channel claim template ----------

@ObjectType("OcopDescriptionBlock", { simpleResolvers: true })
export class OcopDescriptionBlockType {
  @Field({ description: 'Adds "Sản phẩm OCOP n sao." to the description.' }) enabled!: boolean;
  @Field({ description: "Decision number (signed decisions only)." }) decision!: boolean;
  @Field({ description: "Issuer after the decision number." }) issuer!: boolean;
  @Field({ description: "Product set (bộ sản phẩm)." }) productSet!: boolean;
  @Field({ description: "Last valid day." }) validUntil!: boolean;
}

@ObjectType("OcopClaimTemplate", {
  description: "How a channel shows OCOP claims; only ever applied while a certificate is in force.",
  simpleResolvers: true,
})
export class OcopClaimTemplateType {
  @Field({ description: 'Title suffix; placeholders {star} and {stars} (★); "" = none.' })
  titleSuffix!: string;
  @Field({ description: "Set the marketplace attribute mapped to ocop.star where the category has one." })
  setAttribute!: boolean;
  @Field({ description: "Add the certificate picture to the listing's pictures." })
  addCertificateImage!: boolean;
  @Field(() => OcopDescriptionBlockType) descriptionBlock!: OcopDescriptionBlockType;
}

@InputType()
export class OcopDescriptionBlockInput {
  @Field({ nullable: true }) enabled?: boolean;
  @Field({ nullable: true }) decision?: boolean;
  @Field({ nullable: true }) issuer?: boolean;
  @Field({ nullable: true }) productSet?: boolean;
  @Field({ nullable: true }) validUntil?: boolean;
}

@InputType()
export class OcopClaimTemplateInput {
  @Field(() => String, { nullable: true }) titleSuffix?: string | null;
  @Field(() => Boolean, { nullable: true }) setAttribute?: boolean | null;
  @Field(() => Boolean, { nullable: true }) addCertificateImage?: boolean | null;
  @Field(() => OcopDescriptionBlockInput, { nullable: true })
  descriptionBlock?: OcopDescriptionBlockInput | null;
}
