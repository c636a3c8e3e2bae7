/**
 * Input types of the catalogue mutations, validated with class-validator (see common/validation);
 * every failure becomes a `userErrors` entry with the field path and a bilingual message.
 */
import { Field, ID, InputType, Int } from "type-graphql";
import {
  ArrayMaxSize,
  ArrayNotEmpty,
  IsEnum,
  IsIn,
  IsOptional,
  Matches,
  ValidateNested,
} from "class-validator";
import { CertificationStatus, IssuerLevel, OcopCategory, ProducerType } from "../ocop";
import { Email, HttpsUrl, IntRange, Money, Phone, Sku, TaxCode, Text } from "../../common/validation";
import "./catalogue.enums";

const DATE = /^\d{4}-\d{2}-\d{2}$/;

@InputType({ description: "An address as written, with current (post-2025) province and ward codes." })
export class AddressInput {
  @Field({ description: "The address as written, e.g. on the OCOP decision." })
  @Text(500)
  raw!: string;

  @Field(() => String, {
    nullable: true,
    description: "2-digit province code (34 provinces since 1 July 2025).",
  })
  @IsOptional()
  @Matches(/^\d{2}$/, { context: { params: { hint: "2 chữ số / 2 digits" } } })
  provinceCode?: string | null;

  @Field(() => String, { nullable: true, description: "5-digit ward/commune code." })
  @IsOptional()
  @Matches(/^\d{5}$/, { context: { params: { hint: "5 chữ số / 5 digits" } } })
  wardCode?: string | null;
}

@InputType()
export class CreateProducerInput {
  @Field() @Text(300, 1) legalName!: string;
  @Field(() => ProducerType, { nullable: true, description: "Inferred from the legal name when omitted." })
  @IsOptional()
  @IsEnum(ProducerType, { context: { params: { allowed: Object.values(ProducerType).join(", ") } } })
  type?: ProducerType | null;
  @Field(() => String, { nullable: true }) @IsOptional() @TaxCode() taxCode?: string | null;
  @Field(() => String, { nullable: true }) @IsOptional() @Text(200) representative?: string | null;
  @Field(() => String, { nullable: true }) @IsOptional() @Phone() phone?: string | null;
  @Field(() => String, { nullable: true }) @IsOptional() @Email() email?: string | null;
  @Field(() => AddressInput, { nullable: true })
  @IsOptional()
  @ValidateNested()
  address?: AddressInput | null;
  @Field(() => ID, { nullable: true }) @IsOptional() organizationId?: string | null;
}

@InputType()
export class UpdateProducerInput {
  @Field(() => ID) id!: string;
  @Field(() => String, { nullable: true }) @IsOptional() @Text(300, 1) legalName?: string | null;
  @Field(() => ProducerType, { nullable: true })
  @IsOptional()
  @IsEnum(ProducerType)
  type?: ProducerType | null;
  @Field(() => String, { nullable: true }) @IsOptional() @TaxCode() taxCode?: string | null;
  @Field(() => String, { nullable: true }) @IsOptional() @Text(200) representative?: string | null;
  @Field(() => String, { nullable: true }) @IsOptional() @Phone() phone?: string | null;
  @Field(() => String, { nullable: true }) @IsOptional() @Email() email?: string | null;
  @Field(() => AddressInput, { nullable: true })
  @IsOptional()
  @ValidateNested()
  address?: AddressInput | null;
}

@InputType()
export class ProductImageInput {
  @Field() @HttpsUrl() @Text(1000) url!: string;
  @Field(() => String, { nullable: true }) @IsOptional() @Text(300) alt?: string | null;
}

@InputType({ description: "A variant; matched by SKU within the producer on upsert." })
export class VariantInput {
  @Field() @Sku() sku!: string;
  @Field({ nullable: true, description: 'e.g. "gói 250g", "hộp 100 túi"' })
  @IsOptional()
  @Text(100)
  packSpec?: string;
  @Field(() => Int, { nullable: true }) @IsOptional() @IntRange(1, 1_000_000) weightGrams?: number | null;
  @Field(() => Int, { nullable: true }) @IsOptional() @IntRange(1, 10_000) lengthMm?: number | null;
  @Field(() => Int, { nullable: true }) @IsOptional() @IntRange(1, 10_000) widthMm?: number | null;
  @Field(() => Int, { nullable: true }) @IsOptional() @IntRange(1, 10_000) heightMm?: number | null;
  @Field(() => String, { nullable: true })
  @IsOptional()
  @Matches(/^\d{8,14}$/, { context: { params: { hint: "GTIN 8–14 chữ số / digits" } } })
  barcode?: string | null;
  @Field(() => Int, { nullable: true, description: "Whole đồng, VAT included." })
  @IsOptional()
  @Money()
  priceVnd?: number | null;
  @Field(() => Int, { nullable: true, description: "0, 5, 8 or 10 (default 8 until the end of 2026)." })
  @IsOptional()
  @IsIn([0, 5, 8, 10], { context: { params: { allowed: "0, 5, 8, 10" } } })
  vatRatePercent?: number | null;
  @Field(() => Int, { nullable: true, description: "Initial stock on hand (creation only)." })
  @IsOptional()
  @IntRange(0, 10_000_000)
  initialStock?: number | null;
}

@InputType()
export class CreateProductInput {
  @Field(() => ID) producerId!: string;
  @Field() @Text(300, 1) name!: string;
  @Field({ nullable: true }) @IsOptional() @Text(20_000) description?: string;
  @Field({ nullable: true }) @IsOptional() @Text(20_000) story?: string;
  @Field(() => OcopCategory, { nullable: true, description: "Derived from productSetNo when omitted." })
  @IsOptional()
  @IsEnum(OcopCategory, { context: { params: { allowed: Object.values(OcopCategory).join(", ") } } })
  category?: OcopCategory | null;
  @Field(() => Int, { nullable: true }) @IsOptional() @IntRange(1, 26) productSetNo?: number | null;
  @Field(() => [ProductImageInput], { nullable: true })
  @IsOptional()
  @ArrayMaxSize(20, { context: { params: { min: 0, max: 20 } } })
  @ValidateNested()
  images?: ProductImageInput[];
  @Field(() => [VariantInput])
  @ArrayNotEmpty()
  @ArrayMaxSize(50, { context: { params: { min: 1, max: 50 } } })
  @ValidateNested()
  variants!: VariantInput[];
}

@InputType()
export class UpdateProductInput {
  @Field(() => ID) id!: string;
  @Field(() => String, { nullable: true }) @IsOptional() @Text(300, 1) name?: string | null;
  @Field(() => String, { nullable: true }) @IsOptional() @Text(20_000) description?: string | null;
  @Field(() => String, { nullable: true }) @IsOptional() @Text(20_000) story?: string | null;
  @Field(() => OcopCategory, { nullable: true })
  @IsOptional()
  @IsEnum(OcopCategory)
  category?: OcopCategory | null;
  @Field(() => Int, { nullable: true }) @IsOptional() @IntRange(1, 26) productSetNo?: number | null;
  @Field(() => [ProductImageInput], { nullable: true })
  @IsOptional()
  @ArrayMaxSize(20, { context: { params: { min: 0, max: 20 } } })
  @ValidateNested()
  images?: ProductImageInput[] | null;
}

@InputType()
export class RecordCertificationInput {
  @Field(() => ID) productId!: string;
  @Field(() => Int) @IntRange(3, 5) star!: number;
  @Field({ defaultValue: false }) potentialFiveStar!: boolean;
  @Field(() => Number, { nullable: true, description: "Council score 0–100; must agree with the star band." })
  @IsOptional()
  @IntRangeFloat()
  score?: number | null;
  @Field({ description: 'e.g. "858/QĐ-UBND"' }) @Text(100, 1) decisionNumber!: string;
  @Field({ description: "YYYY-MM-DD" })
  @Matches(DATE, { context: { params: { hint: "YYYY-MM-DD" } } })
  decisionDate!: string;
  @Field(() => IssuerLevel) @IsEnum(IssuerLevel) issuerLevel!: IssuerLevel;
  @Field() @Text(300, 1) issuerName!: string;
  @Field(() => String, { nullable: true, description: "1048-2019, 148-2023 or 26-2026" })
  @IsOptional()
  @IsIn(["1048-2019", "148-2023", "26-2026"], {
    context: { params: { allowed: "1048-2019, 148-2023, 26-2026" } },
  })
  criteriaVersion?: string | null;
  @Field(() => String, { nullable: true }) @IsOptional() @HttpsUrl() sourceUrl?: string | null;
  @Field({ defaultValue: false, description: "Re-recognition (công nhận lại) after 36 months." })
  isReRecognition!: boolean;
  @Field(() => String, { nullable: true }) @IsOptional() @Text(2000) notes?: string | null;
}

/** Score with up to two decimals, 0–100. */
function IntRangeFloat(): PropertyDecorator {
  const { Min, Max, IsNumber, ValidateBy } = require("class-validator");
  return (target, key) => {
    // Not IsNumber's maxDecimalPlaces: it crashes on numbers printed in exponent form (1e-7).
    IsNumber({}, { context: { code: "OUT_OF_RANGE", params: { min: 0, max: 100 } } })(target, key);
    ValidateBy(
      {
        name: "twoDecimals",
        validator: {
          validate: (v: unknown) => typeof v === "number" && Math.abs(v * 100 - Math.round(v * 100)) < 1e-6,
        },
      },
      { context: { code: "OUT_OF_RANGE", params: { min: 0, max: 100 } } },
    )(target, key);
    Min(0, { context: { params: { min: 0, max: 100 } } })(target, key);
    Max(100, { context: { params: { min: 0, max: 100 } } })(target, key);
  };
}

@InputType()
export class ProductFilter {
  @Field(() => ID, { nullable: true }) producerId?: string | null;
  @Field(() => Int, { nullable: true, description: "Current star (best certification in force)." }) star?:
    | number
    | null;
  @Field(() => OcopCategory, { nullable: true }) category?: OcopCategory | null;
  @Field(() => Int, { nullable: true }) productSetNo?: number | null;
  @Field(() => String, { nullable: true, description: "Current 2-digit province code of the producer." })
  provinceCode?: string | null;
  @Field(() => CertificationStatus, {
    nullable: true,
    description: "Status of the product's current certification.",
  })
  certificationStatus?: CertificationStatus | null;
  @Field(() => Boolean, { nullable: true }) potentialFiveStar?: boolean | null;
  @Field(() => String, {
    nullable: true,
    description:
      'Accent-insensitive whole-word search over name and producer ("buoi tho" finds "Bưởi … Thồ").',
  })
  search?: string | null;
  @Field(() => Boolean, { nullable: true, description: "Include archived products (default false)." })
  includeArchived?: boolean | null;
}
