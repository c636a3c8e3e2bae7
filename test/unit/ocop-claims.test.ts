/** OCOP claim templates and claim-change rules (pure functions). */
import {
  ClaimFacts,
  DEFAULT_OCOP_CLAIM,
  MAX_PICTURES,
  claimTemplateOf,
  descriptionBlock,
  fitTitle,
  picturesWithCertificate,
  titleSuffix,
  validateClaimTemplate,
} from "../../src/ocop-claims/claim-template";
import {
  ClaimChangeReason,
  ExpiryWarningLevel,
  changeReason,
  expiryInstant,
  expiryWarning,
} from "../../src/ocop-claims/claim-rules";
import { descriptionOf, titleOf } from "../../src/sync/listing-draft";

const claim: ClaimFacts = {
  star: 4,
  decisionNumber: "858/QĐ-UBND",
  issuerName: "UBND tỉnh Lâm Đồng",
  verified: true,
  imageUrl: "https://example.org/cert.jpg",
  validUntil: "2028-06-19",
  productSetNo: 13,
};

describe("claim template", () => {
  test("defaults reproduce the existing projection", () => {
    expect(titleOf("Cà phê Robusta", [{ packSpec: "gói 500g" }], claim)).toBe(
      "Cà phê Robusta gói 500g – OCOP 4 sao",
    );
    const d = descriptionOf(
      { description: "Rang mộc.", story: "", legalName: "HTX A", address: null },
      claim,
    );
    expect(d).toBe(
      "Rang mộc.\n\nSản phẩm OCOP 4 sao theo Quyết định số 858/QĐ-UBND của UBND tỉnh Lâm Đồng.\n\nCơ sở sản xuất: HTX A.",
    );
  });

  test("no certificate in force: no suffix, no block, no picture, whatever the template", () => {
    const t = claimTemplateOf({ titleSuffix: "| {stars} OCOP", addCertificateImage: true });
    expect(titleSuffix(null, t)).toBe("");
    expect(descriptionBlock(null, t)).toBeNull();
    expect(picturesWithCertificate(["a"], null, t)).toEqual(["a"]);
    expect(titleOf("Chè", [], null, t)).toBe("Chè");
  });

  test("suffix placeholders and an empty suffix", () => {
    expect(titleSuffix(claim, claimTemplateOf({ titleSuffix: "| {stars} OCOP" }))).toBe(" | ★★★★ OCOP");
    expect(titleSuffix(claim, claimTemplateOf({ titleSuffix: "(OCOP {star}★)" }))).toBe(" (OCOP 4★)");
    expect(titleSuffix(claim, claimTemplateOf({ titleSuffix: "" }))).toBe("");
  });

  test("description block parts follow the flags; unverified decisions are never quoted", () => {
    const all = claimTemplateOf({
      descriptionBlock: { enabled: true, decision: true, issuer: false, productSet: true, validUntil: true },
    });
    expect(descriptionBlock(claim, all)).toBe(
      "Sản phẩm OCOP 4 sao theo Quyết định số 858/QĐ-UBND. Bộ sản phẩm số 13: Cà phê, ca cao. Hiệu lực đến 19/06/2028.",
    );
    expect(descriptionBlock({ ...claim, verified: false }, DEFAULT_OCOP_CLAIM)).toBe("Sản phẩm OCOP 4 sao.");
    expect(descriptionBlock(claim, claimTemplateOf({ descriptionBlock: { enabled: false } }))).toBeNull();
  });

  test("certificate picture is added last, within the marketplace cap, and only once", () => {
    expect(picturesWithCertificate(["a", "b"], claim)).toEqual(["a", "b", claim.imageUrl]);
    const many = Array.from({ length: 12 }, (_, i) => `p${i}`);
    const out = picturesWithCertificate(many, claim);
    expect(out).toHaveLength(MAX_PICTURES);
    expect(out[MAX_PICTURES - 1]).toBe(claim.imageUrl);
    expect(picturesWithCertificate(["a"], claim, claimTemplateOf({ addCertificateImage: false }))).toEqual([
      "a",
    ]);
    expect(picturesWithCertificate(["a"], { ...claim, imageUrl: null })).toEqual(["a"]);
  });

  test("validation: unknown placeholders, stray braces, line breaks, length", () => {
    const codes = (suffix: string) =>
      validateClaimTemplate(claimTemplateOf({ titleSuffix: suffix })).map((e) => e.code);
    expect(codes("– OCOP {star} sao")).toEqual([]);
    expect(codes("– OCOP {sao}")).toEqual(["OCOP_TEMPLATE_PLACEHOLDER"]);
    expect(codes("– OCOP {star sao")).toEqual(["OCOP_TEMPLATE_PLACEHOLDER"]);
    expect(codes("OCOP\n{star}")).toEqual(["OCOP_TEMPLATE_LINE_BREAK"]);
    expect(codes("x".repeat(61))).toEqual(["TOO_LONG"]);
    expect(validateClaimTemplate(claimTemplateOf({ titleSuffix: "{x}" }))[0].field).toBe(
      "settings.ocopClaim.titleSuffix",
    );
  });
});

test("a title below the marketplace minimum is completed with the producer's name", () => {
  expect(fitTitle("Chè móc câu gói 200g", 25, "HTX Chè Tân Cương")).toBe(
    "Chè móc câu gói 200g – HTX Chè Tân Cương",
  );
  expect(fitTitle("Chè móc câu gói 200g – OCOP 4 sao", 25, "HTX")).toBe("Chè móc câu gói 200g – OCOP 4 sao");
  expect(fitTitle("Chè", 25, null)).toBe("Chè");
  expect(
    titleOf("Chè móc câu", [{ packSpec: "gói 200g" }], null, DEFAULT_OCOP_CLAIM, {
      minLength: 25,
      filler: "HTX A",
    }),
  ).toBe("Chè móc câu gói 200g – HTX A");
});

describe("claim change reasons", () => {
  const A = { certificationId: "a", star: 4 };
  const none = { certificationId: null, star: null };
  test.each([
    [none, null, A, false, ClaimChangeReason.RECOGNISED],
    [A, "EXPIRED", none, false, ClaimChangeReason.EXPIRED],
    [A, "REVOKED", none, false, ClaimChangeReason.REVOKED],
    [A, "MISSING", none, false, ClaimChangeReason.REVOKED],
    [A, "SUPERSEDED", none, false, ClaimChangeReason.SUPERSEDED],
    [A, "SUPERSEDED", { certificationId: "b", star: 5 }, false, ClaimChangeReason.UPGRADED],
    [A, "SUPERSEDED", { certificationId: "b", star: 3 }, false, ClaimChangeReason.DOWNGRADED],
    [A, "SUPERSEDED", { certificationId: "b", star: 4 }, true, ClaimChangeReason.RECOGNISED],
    [A, "SUPERSEDED", { certificationId: "b", star: 4 }, false, ClaimChangeReason.SUPERSEDED],
    [A, "ACTIVE", A, false, null],
    [none, null, none, false, null],
  ] as const)("%j (%s) → %j: %s", (before, status, after, rerec, expected) => {
    expect(changeReason(before, status, after, rerec)).toBe(expected);
  });
});

describe("expiry warnings", () => {
  const c = (validUntil: string | null, extra = {}) => ({
    validUntil,
    revokedAt: null,
    supersededAt: null,
    ...extra,
  });
  test("from 90 days before the last valid day", () => {
    expect(expiryWarning(c("2027-01-31"), "2026-11-01")).toBeNull(); // 91 days
    expect(expiryWarning(c("2027-01-30"), "2026-11-01")).toEqual({
      validUntil: "2027-01-30",
      daysLeft: 90,
      level: ExpiryWarningLevel.NOTICE,
    });
    expect(expiryWarning(c("2026-12-01"), "2026-11-01")?.level).toBe(ExpiryWarningLevel.WARNING);
    expect(expiryWarning(c("2026-11-08"), "2026-11-01")?.level).toBe(ExpiryWarningLevel.URGENT);
    expect(expiryWarning(c("2026-11-01"), "2026-11-01")).toMatchObject({ daysLeft: 0, level: "URGENT" });
    expect(expiryWarning(c("2026-10-31"), "2026-11-01")).toMatchObject({ daysLeft: -1, level: "EXPIRED" });
  });
  test("nothing for revoked, superseded or open-ended certificates", () => {
    expect(expiryWarning(c("2026-11-08", { revokedAt: new Date() }), "2026-11-01")).toBeNull();
    expect(expiryWarning(c("2026-11-08", { supersededAt: new Date() }), "2026-11-01")).toBeNull();
    expect(expiryWarning(c(null), "2026-11-01")).toBeNull();
  });
  test("the claim ends at midnight in Vietnam after the last valid day", () => {
    expect(expiryInstant("2028-06-19").toISOString()).toBe("2028-06-19T17:00:00.000Z");
  });
});
