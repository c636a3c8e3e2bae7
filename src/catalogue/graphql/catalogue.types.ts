/** Output types of the catalogue API besides the entities: connections, payloads, stock, stats. */
import { Field, Int, ObjectType } from "type-graphql";
import { Connection } from "../../common/graphql/relay";
import { UserError } from "../../common/graphql/user-error.type";
import { Producer } from "../entities/producer.entity";
import { Product } from "../entities/product.entity";
import { Variant } from "../entities/variant.entity";
import { OcopCertification } from "../entities/ocop-certification.entity";
import { StockMovementKind } from "../entities/stock.entity";
import { OcopCategory, ProducerType } from "../ocop";
import "./catalogue.enums";

@ObjectType()
export class ProductConnection extends Connection(Product, "Product") {}

@ObjectType()
export class ProducerConnection extends Connection(Producer, "Producer") {}

@ObjectType({ description: "Stock of a variant: available = onHand − reserved.", simpleResolvers: true })
export class Stock {
  @Field(() => Int) onHand!: number;
  @Field(() => Int, { description: "Units promised to orders not yet shipped." }) reserved!: number;
  @Field(() => Int) available!: number;
  @Field() updatedAt!: Date;
}

@ObjectType({ description: "One entry of the append-only stock ledger.", simpleResolvers: true })
export class StockMovementType {
  @Field() id!: string;
  @Field(() => StockMovementKind) kind!: StockMovementKind;
  @Field(() => Int) onHandDelta!: number;
  @Field(() => Int) reservedDelta!: number;
  @Field(() => Int) onHandAfter!: number;
  @Field(() => Int) reservedAfter!: number;
  @Field() reason!: string;
  @Field(() => String, { nullable: true }) reference!: string | null;
  @Field() actor!: string;
  @Field() createdAt!: Date;
}

@ObjectType("StockMovementConnection")
export class StockMovementConnection extends Connection(StockMovementType, "StockMovement") {}

@ObjectType({ simpleResolvers: true })
export class LegacyAddress {
  @Field(() => String, { nullable: true }) provinceName!: string | null;
  @Field(() => String, { nullable: true }) districtName!: string | null;
  @Field(() => String, { nullable: true }) wardName!: string | null;
}

@ObjectType({ description: "Address as written plus current (post-July-2025) units.", simpleResolvers: true })
export class Address {
  @Field(() => String, { nullable: true }) raw!: string | null;
  @Field(() => String, { nullable: true }) provinceCode!: string | null;
  @Field(() => String, { nullable: true }) provinceName!: string | null;
  @Field(() => String, { nullable: true }) wardCode!: string | null;
  @Field(() => String, { nullable: true }) wardName!: string | null;
  @Field(() => LegacyAddress, { description: "Pre-2025 units as written on older decisions." })
  legacy!: LegacyAddress;
}

@ObjectType({ description: "Where a record came from.", simpleResolvers: true })
export class ProvenanceType {
  @Field(() => String, { nullable: true }) verification!: string | null;
  @Field(() => String, { nullable: true }) sourceUrl!: string | null;
  @Field(() => String, { nullable: true }) sourceRepo!: string | null;
  @Field(() => String, { nullable: true }) categorySource!: string | null;
  @Field(() => String, { nullable: true }) notes!: string | null;
}

@ObjectType({ description: "OCOP product set (1–26) of 148/QĐ-TTg Annex I.", simpleResolvers: true })
export class ProductSetType {
  @Field(() => Int) number!: number;
  @Field(() => OcopCategory) category!: OcopCategory;
  @Field() group!: string;
  @Field(() => String, { nullable: true }) subgroup!: string | null;
}

// ---------- payloads ----------

@ObjectType()
export class ProducerPayload {
  @Field(() => Producer, { nullable: true }) producer!: Producer | null;
  @Field(() => [UserError]) userErrors!: UserError[];
}

@ObjectType()
export class ProductPayload {
  @Field(() => Product, { nullable: true }) product!: Product | null;
  @Field(() => [UserError]) userErrors!: UserError[];
}

@ObjectType()
export class VariantsPayload {
  @Field(() => Product, { nullable: true }) product!: Product | null;
  @Field(() => [Variant], { nullable: true }) variants!: Variant[] | null;
  @Field(() => [UserError]) userErrors!: UserError[];
}

@ObjectType()
export class StockPayload {
  @Field(() => Variant, { nullable: true }) variant!: Variant | null;
  @Field(() => Stock, { nullable: true }) stock!: Stock | null;
  @Field({ description: "False when `reference` had already been applied: the call changed nothing." })
  applied!: boolean;
  @Field(() => [UserError]) userErrors!: UserError[];
}

@ObjectType()
export class CertificationPayload {
  @Field(() => OcopCertification, { nullable: true }) certification!: OcopCertification | null;
  @Field(() => [UserError]) userErrors!: UserError[];
}

// ---------- stats ----------

@ObjectType({ simpleResolvers: true })
export class StarCount {
  @Field(() => Int) star!: number;
  @Field(() => Int) count!: number;
}

@ObjectType({ simpleResolvers: true })
export class CategoryCount {
  @Field(() => OcopCategory) category!: OcopCategory;
  @Field() name!: string;
  @Field(() => Int) count!: number;
}

@ObjectType({ simpleResolvers: true })
export class ProvinceCount {
  @Field(() => String, { nullable: true }) provinceCode!: string | null;
  @Field(() => String, { nullable: true }) provinceName!: string | null;
  @Field(() => Int) count!: number;
}

@ObjectType({ simpleResolvers: true })
export class ProducerTypeCount {
  @Field(() => ProducerType) type!: ProducerType;
  @Field(() => Int) count!: number;
}

@ObjectType({
  description:
    "OCOP counts as provincial reports give them: each product with a certification in force, once, at its current star.",
  simpleResolvers: true,
})
export class OcopStats {
  @Field(() => Int) totalProducts!: number;
  @Field(() => Int) producers!: number;
  @Field(() => [StarCount], {
    description: "5, 4 and 3 stars; potential 5-star products count as 4-star here.",
  })
  byStar!: StarCount[];
  @Field(() => Int, { description: "4-star products proposed for 5 stars (tiềm năng 5 sao)." })
  potentialFiveStar!: number;
  @Field(() => [CategoryCount]) byCategory!: CategoryCount[];
  @Field(() => [ProvinceCount]) byProvince!: ProvinceCount[];
  @Field(() => [ProducerTypeCount]) byProducerType!: ProducerTypeCount[];
  @Field(() => Int, { description: "Products whose current certification ends within 90 days." })
  expiringSoon!: number;
  @Field(() => Int, { description: "Products with no certification in force (expired, revoked or none)." })
  withoutCertificationInForce!: number;
  @Field({ description: 'One line as a report would write it, e.g. "112 sản phẩm: 10 sản phẩm 5 sao, …".' })
  summary!: string;
}
