/** Registers the catalogue's enums with GraphQL (imported by the entities that use them). */
import { registerEnumType } from "type-graphql";
import { CertificationStatus, IssuerLevel, OcopCategory, ProducerType, ValidityBasis } from "../ocop";
import { ProductStatus, StockMovementKind } from "../catalogue-states";
import { ApiKeyRole } from "../../auth/api-key.entity";

registerEnumType(ProducerType, { name: "ProducerType", description: "Legal form of an OCOP producer." });
registerEnumType(OcopCategory, {
  name: "OcopCategory",
  description: "The six OCOP categories since 148/QĐ-TTg (2023). Coffee and tea are FOOD.",
});
registerEnumType(ProductStatus, { name: "ProductStatus" });
registerEnumType(IssuerLevel, { name: "IssuerLevel" });
registerEnumType(ValidityBasis, {
  name: "ValidityBasis",
  description: "How validUntil was obtained; YEAR_ESTIMATE and UNKNOWN are not facts from a decision.",
});
registerEnumType(CertificationStatus, {
  name: "CertificationStatus",
  description: "EXPIRING = valid for 90 days or less.",
});
registerEnumType(StockMovementKind, { name: "StockMovementKind" });
registerEnumType(ApiKeyRole, { name: "ApiKeyRole" });
