import {
  CertificationStatus,
  ValidityBasis,
  categoryOfProductSet,
  certificationStatus,
  parseCategory,
  producerTypeFromName,
  scoreMatchesStar,
  starForScore,
  validityOf,
} from "../../src/catalogue/ocop";
import { addMonths, daysBetween, isIsoDate, vnToday } from "../../src/common/time";
import { applyBasisPoints, formatVnd, isValidVnd, parseVnd, roundToStep } from "../../src/common/money";

describe("OCOP star bands", () => {
  it.each([
    [0, 1],
    [29.99, 1],
    [30, 2],
    [49.99, 2],
    [50, 3],
    [61.75, 3],
    [69.99, 3],
    [70, 4],
    [89.99, 4],
    [90, 5],
    [100, 5],
  ])("score %p → %p stars", (score, star) => expect(starForScore(score)).toBe(star));

  it("rejects scores outside 0–100", () => {
    expect(() => starForScore(-1)).toThrow(RangeError);
    expect(() => starForScore(100.5)).toThrow(RangeError);
    expect(() => starForScore(NaN)).toThrow(RangeError);
  });

  it("accepts a potential-5-star 4★ certificate scoring in the 5★ band, nothing else mismatched", () => {
    expect(scoreMatchesStar(92, 4, true)).toBe(true);
    expect(scoreMatchesStar(92, 4, false)).toBe(false);
    expect(scoreMatchesStar(69.25, 3, false)).toBe(true);
    expect(scoreMatchesStar(69.25, 4, false)).toBe(false);
  });
});

describe("certificate validity", () => {
  it("is decision date + 36 months (858/QĐ-UBND 2025-06-19 → 2028-06-19)", () => {
    expect(validityOf({ decisionDate: "2025-06-19", expires: null, year: null })).toEqual({
      validUntil: "2028-06-19",
      basis: ValidityBasis.DECISION_DATE,
    });
  });
  it("clamps month ends (2024-02-29 + 36 months = 2027-02-28)", () => {
    expect(addMonths("2024-02-29", 36)).toBe("2027-02-28");
    expect(addMonths("2023-01-31", 1)).toBe("2023-02-28");
    expect(addMonths("2023-11-15", 2)).toBe("2024-01-15");
  });
  it("falls back to a given expiry, then to the earliest expiry a year allows, then unknown", () => {
    expect(validityOf({ decisionDate: null, expires: "2029-08-05", year: 2026 }).basis).toBe(
      ValidityBasis.EXPIRY_GIVEN,
    );
    expect(validityOf({ decisionDate: null, expires: null, year: 2024 })).toEqual({
      validUntil: "2027-01-01",
      basis: ValidityBasis.YEAR_ESTIMATE,
    });
    expect(validityOf({ decisionDate: null, expires: null, year: null })).toEqual({
      validUntil: null,
      basis: ValidityBasis.UNKNOWN,
    });
  });
  it("derives the status on a given day, EXPIRING within 90 days, valid through its last day", () => {
    const c = (validUntil: string | null, extra = {}) => ({
      validUntil,
      supersededAt: null,
      revokedAt: null,
      ...extra,
    });
    expect(certificationStatus(c("2028-06-19"), "2026-11-26")).toBe(CertificationStatus.ACTIVE);
    expect(certificationStatus(c("2027-02-24"), "2026-11-26")).toBe(CertificationStatus.EXPIRING);
    expect(certificationStatus(c("2027-02-25"), "2026-11-26")).toBe(CertificationStatus.ACTIVE);
    expect(certificationStatus(c("2026-11-26"), "2026-11-26")).toBe(CertificationStatus.EXPIRING);
    expect(certificationStatus(c("2026-11-25"), "2026-11-26")).toBe(CertificationStatus.EXPIRED);
    expect(certificationStatus(c(null), "2026-11-26")).toBe(CertificationStatus.ACTIVE);
    expect(certificationStatus(c("2028-06-19", { supersededAt: new Date() }), "2026-11-26")).toBe(
      CertificationStatus.SUPERSEDED,
    );
    expect(certificationStatus(c("2028-06-19", { revokedAt: new Date() }), "2026-11-26")).toBe(
      CertificationStatus.REVOKED,
    );
  });
  it("uses Vietnam's calendar day", () => {
    expect(vnToday(new Date("2026-11-26T17:30:00Z"))).toBe("2026-11-27");
    expect(vnToday(new Date("2026-11-26T16:59:59Z"))).toBe("2026-11-26");
    expect(daysBetween("2026-11-26", "2027-02-24")).toBe(90);
    expect(isIsoDate("2026-02-30")).toBe(false);
    expect(isIsoDate("2026-02-28")).toBe(true);
  });
});

describe("taxonomy and producers", () => {
  it("maps product sets to the six categories (coffee and tea are food)", () => {
    expect(categoryOfProductSet(11)).toBe("FOOD");
    expect(categoryOfProductSet(13)).toBe("FOOD");
    expect(categoryOfProductSet(14)).toBe("BEVERAGE");
    expect(categoryOfProductSet(20)).toBe("HERBAL");
    expect(categoryOfProductSet(22)).toBe("HANDICRAFT");
    expect(categoryOfProductSet(23)).toBe("ORNAMENTAL");
    expect(categoryOfProductSet(26)).toBe("TOURISM");
    expect(categoryOfProductSet(27)).toBeNull();
  });
  it("parses categories in Vietnamese with or without accents", () => {
    expect(parseCategory("Thực phẩm")).toBe("FOOD");
    expect(parseCategory("DUOC LIEU VA SAN PHAM TU DUOC LIEU")).toBe("HERBAL");
    expect(parseCategory("Hàng thủ công mỹ nghệ")).toBe("HANDICRAFT");
    expect(parseCategory("Sinh vật cảnh")).toBe("ORNAMENTAL");
    expect(parseCategory("bánh kẹo")).toBeNull();
  });
  it("infers the producer type from the legal name", () => {
    expect(producerTypeFromName("Công ty TNHH Seagull")).toBe("ENTERPRISE");
    expect(producerTypeFromName("HTX Tân Qui")).toBe("COOPERATIVE");
    expect(producerTypeFromName("Tổ hợp tác sản xuất chè")).toBe("COOPERATIVE_GROUP");
    expect(producerTypeFromName("Hộ SXKD Thạch Sa Rươne")).toBe("HOUSEHOLD_BUSINESS");
    expect(producerTypeFromName("Bà Năm")).toBeNull();
  });
});

describe("money in whole đồng", () => {
  it("validates, parses and formats", () => {
    expect(isValidVnd(91000)).toBe(true);
    expect(isValidVnd(91000.5)).toBe(false);
    expect(isValidVnd(-1)).toBe(false);
    expect(parseVnd("91.000 ₫")).toBe(91000);
    expect(parseVnd("1,250,000")).toBe(1250000);
    expect(parseVnd("12.5")).toBeNull();
    expect(formatVnd(150000).replace(/\s/g, " ")).toBe("150.000 ₫");
  });
  it("rounds to a step and applies basis points with integers only", () => {
    expect(roundToStep(95_499, 1_000)).toBe(95_000);
    expect(roundToStep(95_500, 1_000)).toBe(96_000);
    expect(roundToStep(95_001, 1_000, "UP")).toBe(96_000);
    expect(roundToStep(95_999, 1_000, "DOWN")).toBe(95_000);
    expect(applyBasisPoints(100_000, 1_500)).toBe(115_000);
    expect(applyBasisPoints(99_999, -1_000)).toBe(89_999);
  });
});
