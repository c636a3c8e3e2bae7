/**
 * How one channel shows an OCOP claim: the title suffix, whether the marketplace attribute mapped to
 * the star is set, whether the certificate picture joins the product pictures, and which facts the
 * description block carries. Stored in channel.settings.ocopClaim; applied by listing-draft.ts (the
 * one place that projects a product onto a marketplace). Pure functions, unit-tested.
 *
 * A claim is only ever projected while a certificate is in force: every function here takes the
 * claim or null, and null always gives "no claim" (no suffix, no block, no picture, no attribute).
 */
import type { UserErrorSpec } from "../common/errors";
import { productSet } from "../catalogue/product-sets";

export interface OcopDescriptionBlock {
  /** Adds "Sản phẩm OCOP n sao." to the description. */
  enabled: boolean;
  /** "theo Quyết định số …" (only for a signed decision, verification A). */
  decision: boolean;
  /** "của <issuer>" after the decision number. */
  issuer: boolean;
  /** The product set (bộ sản phẩm) the product was assessed in. */
  productSet: boolean;
  /** "Hiệu lực đến dd/mm/yyyy." */
  validUntil: boolean;
}

export interface OcopClaimTemplate {
  /** Appended to the title after a space; placeholders {star} (4) and {stars} (★★★★); "" = none. */
  titleSuffix: string;
  /** Set the marketplace attribute mapped to ocop.star (attribute mappings) where the category has one. */
  setAttribute: boolean;
  /** Add the certificate's picture (certification.imageUrl) after the product pictures. */
  addCertificateImage: boolean;
  descriptionBlock: OcopDescriptionBlock;
}

/** What the claim is built from: the certificate in force. */
export interface ClaimFacts {
  star: number;
  decisionNumber: string | null;
  issuerName: string | null;
  /** Signed decision (verification A): only then is a decision number quoted. */
  verified: boolean;
  imageUrl: string | null;
  /** YYYY-MM-DD */
  validUntil: string | null;
  productSetNo: number | null;
}

export const DEFAULT_TITLE_SUFFIX = "– OCOP {star} sao";

export const DEFAULT_OCOP_CLAIM: OcopClaimTemplate = {
  titleSuffix: DEFAULT_TITLE_SUFFIX,
  setAttribute: true,
  addCertificateImage: true,
  descriptionBlock: { enabled: true, decision: true, issuer: true, productSet: false, validUntil: false },
};

export const TITLE_SUFFIX_MAX = 60;
const PLACEHOLDERS = ["star", "stars"] as const;
/** Marketplaces cap the pictures of a listing (Shopee 9, Lazada 8, TikTok 9): the certificate must fit. */
export const MAX_PICTURES = 8;

/** The template stored for a channel, defaults filled in for anything missing. */
export function claimTemplateOf(raw: unknown): OcopClaimTemplate {
  const r = (raw && typeof raw === "object" ? raw : {}) as Partial<OcopClaimTemplate>;
  return {
    titleSuffix: typeof r.titleSuffix === "string" ? r.titleSuffix : DEFAULT_OCOP_CLAIM.titleSuffix,
    setAttribute: typeof r.setAttribute === "boolean" ? r.setAttribute : DEFAULT_OCOP_CLAIM.setAttribute,
    addCertificateImage:
      typeof r.addCertificateImage === "boolean"
        ? r.addCertificateImage
        : DEFAULT_OCOP_CLAIM.addCertificateImage,
    descriptionBlock: { ...DEFAULT_OCOP_CLAIM.descriptionBlock, ...(r.descriptionBlock ?? {}) },
  };
}

/** Field-level problems of a template (paths as in the GraphQL input, under settings.ocopClaim). */
export function validateClaimTemplate(t: OcopClaimTemplate, prefix = "settings.ocopClaim"): UserErrorSpec[] {
  const errors: UserErrorSpec[] = [];
  const field = `${prefix}.titleSuffix`;
  if (t.titleSuffix.length > TITLE_SUFFIX_MAX)
    errors.push({ field, code: "TOO_LONG", params: { max: TITLE_SUFFIX_MAX } });
  if (/[\r\n\t]/.test(t.titleSuffix)) errors.push({ field, code: "OCOP_TEMPLATE_LINE_BREAK" });
  for (const m of t.titleSuffix.matchAll(/\{([^}]*)\}/g)) {
    if (!(PLACEHOLDERS as readonly string[]).includes(m[1]))
      errors.push({
        field,
        code: "OCOP_TEMPLATE_PLACEHOLDER",
        params: { value: m[0], allowed: PLACEHOLDERS.map((p) => `{${p}}`).join(", ") },
      });
  }
  // A stray brace is a typo ("{star sao"): refuse it rather than publish it on a marketplace.
  if (t.titleSuffix.replace(/\{[^}]*\}/g, "").match(/[{}]/))
    errors.push({
      field,
      code: "OCOP_TEMPLATE_PLACEHOLDER",
      params: { value: t.titleSuffix, allowed: PLACEHOLDERS.map((p) => `{${p}}`).join(", ") },
    });
  return errors;
}

/** " – OCOP 4 sao" (with its leading space), or "" without a claim or with an empty template. */
export function titleSuffix(claim: ClaimFacts | null, t: OcopClaimTemplate = DEFAULT_OCOP_CLAIM): string {
  if (!claim) return "";
  const text = t.titleSuffix
    .replace(/\{star\}/g, String(claim.star))
    .replace(/\{stars\}/g, "★".repeat(claim.star))
    .trim();
  return text ? ` ${text}` : "";
}

/** dd/mm/yyyy, as Vietnamese documents write dates. */
function vnDate(iso: string): string {
  const [y, m, d] = iso.split("-");
  return `${d}/${m}/${y}`;
}

/** The OCOP paragraph of the description, or null when there is no claim or the block is off. */
export function descriptionBlock(
  claim: ClaimFacts | null,
  t: OcopClaimTemplate = DEFAULT_OCOP_CLAIM,
): string | null {
  const b = t.descriptionBlock;
  if (!claim || !b.enabled) return null;
  let decision = "";
  if (b.decision && claim.verified && claim.decisionNumber) {
    decision = ` theo Quyết định số ${claim.decisionNumber}`;
    if (b.issuer && claim.issuerName) decision += ` của ${claim.issuerName}`;
  }
  const lines = [`Sản phẩm OCOP ${claim.star} sao${decision}.`];
  if (b.productSet && claim.productSetNo !== null) {
    const set = productSet(claim.productSetNo);
    if (set) lines.push(`Bộ sản phẩm số ${set.setNo}: ${set.subgroup ?? set.group}.`);
  }
  if (b.validUntil && claim.validUntil) lines.push(`Hiệu lực đến ${vnDate(claim.validUntil)}.`);
  return lines.join(" ");
}

/** The pictures with the certificate's added (last, within the marketplace cap), when the template asks. */
export function picturesWithCertificate(
  images: string[],
  claim: ClaimFacts | null,
  t: OcopClaimTemplate = DEFAULT_OCOP_CLAIM,
): string[] {
  if (!claim || !t.addCertificateImage || !claim.imageUrl || images.includes(claim.imageUrl)) return images;
  return [...images.slice(0, MAX_PICTURES - 1), claim.imageUrl];
}

/** Whether an attribute mapping's value comes from the OCOP star (dropped when the template says so). */
export function isStarAttribute(mapping: { value_source?: string; value?: string }): boolean {
  return mapping.value_source === "PRODUCT_FIELD" && mapping.value === "ocop.star";
}

/**
 * A title shorter than the marketplace's minimum (TikTok Shop: 25 characters) is completed with the
 * producer's name. Without it, removing an expired claim from a short title ("Chè móc câu gói
 * 200g – OCOP 4 sao" → 20 characters) is refused by the marketplace and the stale claim stays live.
 */
export function fitTitle(title: string, minLength: number, filler: string | null): string {
  if ([...title].length >= minLength || !filler?.trim()) return title;
  return `${title} – ${filler.trim()}`;
}

/** A short text of a claim for logs and the claim-change record ("OCOP 4 sao (858/QĐ-UBND)"). */
export function claimLabel(c: { star: number | null; decisionNumber: string | null } | null): string {
  if (!c || c.star === null) return "—";
  return `OCOP ${c.star} sao${c.decisionNumber ? ` (${c.decisionNumber})` : ""}`;
}
