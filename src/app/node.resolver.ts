/** `node(id)`: any object by its global id, under the same visibility rules as its own query. */
import { Arg, Authorized, Ctx, ID, Query, Resolver } from "type-graphql";
import type { HubContext } from "./context";
import { fromGlobalId } from "../common/graphql/global-id";
import { Node } from "../common/graphql/node.type";
import { canSeeOrganization, canSeeProducer } from "../auth/viewer";
import { ChannelService } from "../channels/channel.service";
import { ChannelType, toChannelType } from "../channels/graphql/channel.types";
import { OrderType } from "../orders/graphql/order.types";
import { OrderQuery } from "../orders/order.query";

@Resolver()
export class NodeResolver {
  @Authorized()
  @Query(() => Node, { nullable: true, description: "Fetches any object by its global id." })
  async node(@Ctx() ctx: HubContext, @Arg("id", () => ID) id: string): Promise<Node | null> {
    const g = fromGlobalId(id);
    if (!g) return null;
    const v = ctx.viewer!;
    const L = ctx.loaders;
    switch (g.type) {
      case "Producer": {
        const p = await L.producer.load(g.id);
        return p && canSeeProducer(v, p.id) ? p : null;
      }
      case "Product": {
        const p = await L.product.load(g.id);
        return p && canSeeProducer(v, p.producerId) ? p : null;
      }
      case "Variant": {
        const x = await L.variant.load(g.id);
        return x && canSeeProducer(v, x.producerId) ? x : null;
      }
      case "OcopCertification": {
        const c = await L.certification.load(g.id);
        const p = c ? await L.product.load(c.productId) : null;
        return c && p && canSeeProducer(v, p.producerId) ? c : null;
      }
      case "Channel": {
        const c = await new ChannelService(ctx.services.sync).get(v, g.id);
        // The interface's type is found by class: give plain results their class.
        return c ? Object.assign(new ChannelType(), toChannelType(c)) : null;
      }
      case "Order": {
        const o = await new OrderQuery(ctx.dataSource).get(v, g.id);
        return o ? Object.assign(new OrderType(), o) : null;
      }
      case "Organization":
        return canSeeOrganization(v, g.id) ? L.organization.load(g.id) : null;
      default:
        return null;
    }
  }
}
