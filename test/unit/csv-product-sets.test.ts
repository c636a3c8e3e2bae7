/** The 26 product sets constant agrees with the bundled CSV and with categoryOfProductSet. */
import { parse } from "csv-parse/sync";
import { PRODUCT_SETS, productSet } from "../../src/catalogue/product-sets";
import { categoryOfProductSet } from "../../src/catalogue/ocop";
import { readSeedFile, SEED_PRODUCT_SETS_FILE } from "../../src/catalogue/seed/seed-data";

const csv = parse(readSeedFile(SEED_PRODUCT_SETS_FILE), { columns: true }) as Array<Record<string, string>>;
const ROMAN: Record<string, string> = {
  I: "FOOD",
  II: "BEVERAGE",
  III: "HERBAL",
  IV: "HANDICRAFT",
  V: "ORNAMENTAL",
  VI: "TOURISM",
};

describe("PRODUCT_SETS", () => {
  it("has 26 sets numbered 1–26 whose categories agree with categoryOfProductSet", () => {
    expect(PRODUCT_SETS).toHaveLength(26);
    PRODUCT_SETS.forEach((s, i) => {
      expect(s.setNo).toBe(i + 1);
      expect(s.category).toBe(categoryOfProductSet(s.setNo));
    });
    expect(productSet(13)?.group).toBe("Cà phê, ca cao");
    expect(productSet(27)).toBeNull();
  });

  it("matches seed/data/ocop-product-sets.csv row by row", () => {
    expect(csv).toHaveLength(26);
    for (const row of csv) {
      const s = productSet(Number(row.set_no))!;
      expect({
        category: s.category,
        groupCode: s.groupCode,
        group: s.group,
        subgroupCode: s.subgroupCode ?? "",
        subgroup: s.subgroup ?? "",
        lead: s.leadMinistries.join("; "),
      }).toEqual({
        category: ROMAN[row.category_code],
        groupCode: row.group_code,
        group: row.group,
        subgroupCode: row.subgroup_code,
        subgroup: row.subgroup,
        lead: row.lead_ministry_2025,
      });
    }
  });
});
