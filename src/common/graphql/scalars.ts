/** Custom scalars: DateTime and BigInt from graphql-scalars (money totals exceed GraphQL's 32-bit Int). */
export {
  GraphQLDateTime as DateTimeScalar,
  GraphQLBigInt as BigIntScalar,
  GraphQLDate as DateScalar,
} from "graphql-scalars";
