/** Plain enums of catalogue states, kept free of imports so any module can load them first. */
export enum ProductStatus {
  ACTIVE = "ACTIVE",
  ARCHIVED = "ARCHIVED",
}

export enum StockMovementKind {
  INITIAL = "INITIAL",
  ADJUSTMENT = "ADJUSTMENT",
  COUNT = "COUNT",
  RESERVATION = "RESERVATION",
  RELEASE = "RELEASE",
  SALE = "SALE",
  RETURN = "RETURN",
}
