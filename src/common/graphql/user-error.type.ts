/** The `userErrors` entry every mutation payload carries (Shopify/Saleor style). */
import { Field, ObjectType, registerEnumType } from "type-graphql";
import { MESSAGES } from "../i18n";
import type { MessageCode } from "../i18n";

export const UserErrorCode = Object.fromEntries(Object.keys(MESSAGES).map((k) => [k, k])) as Record<
  MessageCode,
  MessageCode
>;
registerEnumType(UserErrorCode, { name: "UserErrorCode", description: "Why an input was refused." });

@ObjectType({ description: "A problem with the input; message in the caller's language (Accept-Language)." })
export class UserError {
  @Field(() => String, {
    description: 'Dotted path of the input field, e.g. "variants.0.sku"; "" for the whole input.',
  })
  field!: string;
  @Field(() => UserErrorCode) code!: MessageCode;
  @Field() message!: string;
}
