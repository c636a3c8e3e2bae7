/** The Relay Node interface: anything with a global id can be fetched through `node(id)`. */
import { Field, ID, InterfaceType } from "type-graphql";

@InterfaceType({ description: "An object with a global id." })
export abstract class Node {
  @Field(() => ID, { name: "id" })
  globalId!: string;
}
