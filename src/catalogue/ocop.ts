/**
 * OCOP programme rules as pure functions: star bands, certificate validity and status,
 * the six categories and 26 product sets (148/QĐ-TTg 2023, kept by 26/2026/QĐ-TTg).
 */
import { addMonths, daysBetween } from "../common/time";

/** Results are valid 36 months from the decision date; then the product is re-assessed. */
export const VALIDITY_MONTHS = 36;
/** Warnings start this many days before a certificate's validity ends. */
export const EXPIRING_WINDOW_DAYS = 90;

export enum ProducerType {
  ENTERPRISE = "ENTERPRISE",
  COOPERATIVE = "COOPERATIVE",
  COOPERATIVE_GROUP = "COOPERATIVE_GROUP",
  HOUSEHOLD_BUSINESS = "HOUSEHOLD_BUSINESS",
}

export enum OcopCategory {
  FOOD = "FOOD",
  BEVERAGE = "BEVERAGE",
  HERBAL = "HERBAL",
  HANDICRAFT = "HANDICRAFT",
  ORNAMENTAL = "ORNAMENTAL",
  TOURISM = "TOURISM",
}

/** Official Vietnamese names of the six categories since 148/QĐ-TTg. */
export const CATEGORY_NAMES: Record<OcopCategory, { vi: string; en: string; roman: string }> = {
  FOOD: { vi: "Thực phẩm", en: "Food", roman: "I" },
  BEVERAGE: { vi: "Đồ uống", en: "Beverages", roman: "II" },
  HERBAL: { vi: "Dược liệu và sản phẩm từ dược liệu", en: "Herbal products", roman: "III" },
  HANDICRAFT: { vi: "Hàng thủ công mỹ nghệ", en: "Handicrafts", roman: "IV" },
  ORNAMENTAL: { vi: "Sinh vật cảnh", en: "Ornamental plants and animals", roman: "V" },
  TOURISM: {
    vi: "Dịch vụ du lịch cộng đồng, du lịch sinh thái và điểm du lịch",
    en: "Community and eco-tourism services",
    roman: "VI",
  },
};

/** Product sets 1–26 by category (Annex I of 148/QĐ-TTg). */
export function categoryOfProductSet(setNo: number): OcopCategory | null {
  if (!Number.isInteger(setNo) || setNo < 1 || setNo > 26) return null;
  if (setNo <= 13) return OcopCategory.FOOD;
  if (setNo <= 17) return OcopCategory.BEVERAGE;
  if (setNo <= 20) return OcopCategory.HERBAL;
  if (setNo <= 22) return OcopCategory.HANDICRAFT;
  if (setNo <= 25) return OcopCategory.ORNAMENTAL;
  return OcopCategory.TOURISM;
}

/** Maps a category written in Vietnamese or English (any accents/case) to its code. */
export function parseCategory(text: string): OcopCategory | null {
  const t = text.normalize("NFD").replace(/\p{M}/gu, "").replace(/[đĐ]/g, "d").toLowerCase().trim();
  if ((Object.values(OcopCategory) as string[]).includes(t.toUpperCase()))
    return t.toUpperCase() as OcopCategory;
  if (t.startsWith("thuc pham") || t === "food") return OcopCategory.FOOD;
  if (t.startsWith("do uong") || t.startsWith("beverage")) return OcopCategory.BEVERAGE;
  if (t.startsWith("duoc lieu") || t.startsWith("thao duoc") || t.startsWith("herbal"))
    return OcopCategory.HERBAL;
  if (t.includes("thu cong") || t.startsWith("handicraft") || t.includes("det may"))
    return OcopCategory.HANDICRAFT;
  if (t.startsWith("sinh vat canh") || t.startsWith("ornamental")) return OcopCategory.ORNAMENTAL;
  if (t.includes("du lich") || t.startsWith("tourism")) return OcopCategory.TOURISM;
  return null;
}

/** Infers the producer type from the legal name's prefix, as the seed's provenance notes do. */
export function producerTypeFromName(name: string): ProducerType | null {
  const t = name.normalize("NFD").replace(/\p{M}/gu, "").replace(/[đĐ]/g, "d").toLowerCase().trim();
  if (/^(cong ty|chi nhanh|doanh nghiep|dntn)/.test(t)) return ProducerType.ENTERPRISE;
  if (/^(hop tac xa|htx)\b/.test(t)) return ProducerType.COOPERATIVE;
  if (/^(to hop tac|tht)\b/.test(t)) return ProducerType.COOPERATIVE_GROUP;
  if (/^(ho kinh doanh|ho sxkd|ho san xuat|co so|hkd)\b/.test(t)) return ProducerType.HOUSEHOLD_BUSINESS;
  return null;
}

/** Star for a council score (0–100): 3★ 50–<70, 4★ 70–<90, 5★ 90–100; below 50 is not certifiable. */
export function starForScore(score: number): 1 | 2 | 3 | 4 | 5 {
  if (!(score >= 0 && score <= 100)) throw new RangeError(`score must be 0–100, got ${score}`);
  if (score < 30) return 1;
  if (score < 50) return 2;
  if (score < 70) return 3;
  if (score < 90) return 4;
  return 5;
}

/**
 * A potential-5-star product is a provincial 4★ result scoring in the 5★ band; a 4★ certificate
 * carrying a 5★-band score is therefore consistent, any other mismatch is not.
 */
export function scoreMatchesStar(score: number, star: number, potentialFiveStar: boolean): boolean {
  const band = starForScore(score);
  return band === star || (potentialFiveStar && star === 4 && band === 5);
}

export enum IssuerLevel {
  DISTRICT = "DISTRICT",
  PROVINCE = "PROVINCE",
  NATIONAL = "NATIONAL",
}

/** How valid_until was obtained; only DECISION_DATE and EXPIRY_GIVEN are facts from a document. */
export enum ValidityBasis {
  DECISION_DATE = "DECISION_DATE",
  EXPIRY_GIVEN = "EXPIRY_GIVEN",
  YEAR_ESTIMATE = "YEAR_ESTIMATE",
  UNKNOWN = "UNKNOWN",
}

export enum CertificationStatus {
  ACTIVE = "ACTIVE",
  EXPIRING = "EXPIRING",
  EXPIRED = "EXPIRED",
  SUPERSEDED = "SUPERSEDED",
  REVOKED = "REVOKED",
}

export interface ValidityInput {
  decisionDate: string | null;
  expires: string | null;
  year: number | null;
}

/**
 * valid_until = decision date + 36 months. Without a decision date, an expiry written in the
 * source is used as is; with only a year, the earliest possible expiry (1 January of that year
 * + 36 months) so that an OCOP claim is never shown longer than it could be valid.
 */
export function validityOf(input: ValidityInput): { validUntil: string | null; basis: ValidityBasis } {
  if (input.decisionDate)
    return { validUntil: addMonths(input.decisionDate, VALIDITY_MONTHS), basis: ValidityBasis.DECISION_DATE };
  if (input.expires) return { validUntil: input.expires, basis: ValidityBasis.EXPIRY_GIVEN };
  if (input.year)
    return {
      validUntil: addMonths(`${input.year}-01-01`, VALIDITY_MONTHS),
      basis: ValidityBasis.YEAR_ESTIMATE,
    };
  return { validUntil: null, basis: ValidityBasis.UNKNOWN };
}

export interface StatusInput {
  validUntil: string | null;
  supersededAt: Date | string | null;
  revokedAt: Date | string | null;
}

/** Status on a given day (YYYY-MM-DD in Vietnam). A certificate is valid through its valid_until day. */
export function certificationStatus(cert: StatusInput, today: string): CertificationStatus {
  if (cert.revokedAt) return CertificationStatus.REVOKED;
  if (cert.supersededAt) return CertificationStatus.SUPERSEDED;
  if (cert.validUntil === null) return CertificationStatus.ACTIVE;
  const daysLeft = daysBetween(today, cert.validUntil);
  if (daysLeft < 0) return CertificationStatus.EXPIRED;
  if (daysLeft <= EXPIRING_WINDOW_DAYS) return CertificationStatus.EXPIRING;
  return CertificationStatus.ACTIVE;
}

export function isInForce(status: CertificationStatus): boolean {
  return status === CertificationStatus.ACTIVE || status === CertificationStatus.EXPIRING;
}
