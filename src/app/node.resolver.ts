/** `node(id)`: any object by its global id, under the same visibility rules as its own query. */
import { Arg, Authorized, Ctx, ID, Query, Resolver } from "type-graphql";
import type { HubContext } from "./context";
import { fromGlobalId } from "../common/graphql/global-id";
import { Node } from "../common/graphql/node.type";
import { canSeeOrganization, canSeeProducer } from "../auth/viewer";

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
      case "Organization":
        return canSeeOrganization(v, g.id) ? L.organization.load(g.id) : null;
      default:
        return null;
    }
  }
}
