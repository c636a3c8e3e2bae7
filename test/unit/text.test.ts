import { fold, searchKey, searchTerms, slugify, nfc } from "../../src/common/text";

describe("Vietnamese text folding", () => {
  it("folds NFC and NFD input to the same key, đ → d", () => {
    const nfcBuoi = "Bưởi".normalize("NFC");
    const nfdBuoi = "Bưởi".normalize("NFD");
    expect(nfdBuoi).not.toBe(nfcBuoi);
    expect(fold(nfcBuoi)).toBe("buoi");
    expect(fold(nfdBuoi)).toBe("buoi");
    expect(fold("ĐẮK NÔNG")).toBe("dak nong");
    expect(fold("Đông trùng hạ thảo")).toBe("dong trung ha thao");
  });

  it("merges tone placements that NFC keeps apart", () => {
    expect("Hoà".normalize("NFC")).not.toBe("Hòa".normalize("NFC"));
    expect(fold("Hoà")).toBe(fold("Hòa"));
    expect(fold("Thuỷ")).toBe(fold("Thủy"));
  });

  it("builds a search key with spelling variants unified", () => {
    expect(searchKey("Macca Bonbubo")).toBe("mac ca bonbubo");
    expect(searchKey("Mắc ca Lê Anh")).toBe("mac ca le anh");
    expect(searchKey("Cafe (rang xay) 500g")).toBe("ca phe rang xay 500g");
  });

  it("turns a query into whole-word groups with alternatives", () => {
    expect(searchTerms("BƯỞI THỒ")).toEqual([["buoi"], ["tho"]]);
    expect(searchTerms("trà")).toEqual([["tra", "che"]]);
    expect(searchTerms("  ")).toEqual([]);
  });

  it("slugs and NFC-normalises", () => {
    expect(slugify("Cà phê Đắk Nông – hạt rang")).toBe("ca-phe-dak-nong-hat-rang");
    expect(nfc("  Bưởi ".normalize("NFD"))).toBe("Bưởi".normalize("NFC"));
  });
});
