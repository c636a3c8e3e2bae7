/** GraphQL types of the orders API: orders with their lines, status history and channel. */
import { Field, ID, InputType, Int, ObjectType, registerEnumType } from "type-graphql";
import type { NormalizedOrderStatus } from "../../channels/connectors/connector";
import { Node } from "../../common/graphql/node.type";
import { Connection } from "../../common/graphql/relay";
import { BigIntScalar } from "../../common/graphql/scalars";
import { OrderLineState } from "../entities/order.entity";

export const OrderStatus = {
  UNPAID: "UNPAID",
  PENDING: "PENDING",
  READY_TO_SHIP: "READY_TO_SHIP",
  SHIPPED: "SHIPPED",
  DELIVERED: "DELIVERED",
  COMPLETED: "COMPLETED",
  CANCELLED: "CANCELLED",
  RETURNED: "RETURNED",
} as const satisfies Record<NormalizedOrderStatus, NormalizedOrderStatus>;
registerEnumType(OrderStatus, {
  name: "OrderStatus",
  description: "An order's status, the same for every marketplace (its own status is `remoteStatus`).",
});
registerEnumType(OrderLineState, {
  name: "OrderLineState",
  description: "What the hub did with a line's stock.",
  valuesConfig: {
    RESERVED: { description: "Stock is held for the buyer." },
    OVERSOLD: { description: "No stock was left when the order arrived: nothing is held; someone must act." },
    UNMAPPED: { description: "No variant has this SKU: nothing is held; map the SKU or fix the listing." },
    RELEASED: { description: "The order was cancelled; held stock went back." },
    SOLD: { description: "Shipped: the held stock left the warehouse." },
    RETURNED: { description: "Returned after shipping; the units are back in stock." },
  },
});

export enum OrderSourceEnum {
  WEBHOOK = "WEBHOOK",
  PULL = "PULL",
  MANUAL = "MANUAL",
}
registerEnumType(OrderSourceEnum, {
  name: "OrderSource",
  description: "How the hub first learnt of an order.",
});

@ObjectType("OrderLine", { simpleResolvers: true })
export class OrderLineType {
  @Field(() => ID) id!: string;
  @Field() externalLineId!: string;
  @Field(() => String, { nullable: true }) sku!: string | null;
  /** Raw variant uuid for the `variant` field resolver. */
  variantId!: string | null;
  @Field() title!: string;
  @Field(() => Int) quantity!: number;
  @Field(() => Int, { description: "Unit price paid, whole đồng." }) unitPriceVnd!: number;
  @Field(() => OrderLineState) state!: OrderLineState;
}

@ObjectType("OrderStatusChange", { simpleResolvers: true })
export class OrderStatusChangeType {
  @Field(() => OrderStatus) status!: NormalizedOrderStatus;
  @Field() remoteStatus!: string;
  @Field(() => OrderSourceEnum) source!: OrderSourceEnum;
  @Field() at!: Date;
}

@ObjectType("Order", { implements: Node, description: "An order from a marketplace shop." })
export class OrderType implements Node {
  @Field(() => ID, { name: "id" }) globalId!: string;
  /** Raw ids for field resolvers; not in the schema. */
  uuid!: string;
  channelUuid!: string;
  @Field({ description: "The marketplace's order number." }) externalOrderId!: string;
  @Field(() => OrderStatus) status!: NormalizedOrderStatus;
  @Field({ description: "The marketplace's own status text." }) remoteStatus!: string;
  @Field(() => String, { nullable: true }) buyerName!: string | null;
  @Field(() => BigIntScalar, { description: "Order total, whole đồng." }) totalVnd!: number;
  @Field() currency!: string;
  @Field(() => OrderSourceEnum) source!: OrderSourceEnum;
  @Field({ description: "True when a line is OVERSOLD or UNMAPPED." }) hasProblems!: boolean;
  @Field(() => Date, { nullable: true }) createdAt!: Date | null;
  @Field(() => Date, { nullable: true, description: "Last change on the marketplace." })
  remoteUpdatedAt!: Date | null;
  @Field() importedAt!: Date;
  @Field() updatedAt!: Date;
}

@ObjectType()
export class OrderConnection extends Connection(OrderType, "Order") {}

@InputType()
export class OrderFilter {
  @Field(() => ID, { nullable: true }) channelId?: string | null;
  @Field(() => [OrderStatus], { nullable: true }) status?: NormalizedOrderStatus[] | null;
  @Field(() => Boolean, { nullable: true }) hasProblems?: boolean | null;
  @Field(() => Date, { nullable: true, description: "Orders created at or after this time." })
  from?: Date | null;
  @Field(() => Date, { nullable: true, description: "Orders created before this time." }) to?: Date | null;
  @Field(() => String, {
    nullable: true,
    description: "An order number (or its beginning), a buyer name, or a SKU of one of its lines.",
  })
  search?: string | null;
}
