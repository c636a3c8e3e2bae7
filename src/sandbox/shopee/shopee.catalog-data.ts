/**
 * The sandbox's small Vietnamese category tree, its attribute trees and logistics channels, shaped
 * like Shopee v2's get_category / get_attribute_tree / get_channel_list answers. Ids are
 * illustrative (Shopee's real VN ids differ); names are the Vietnamese a VN seller centre shows.
 */

export interface SandboxCategory {
  id: number;
  parentId: number;
  name: string;
  nameEn: string;
}

export const CATEGORIES: SandboxCategory[] = [
  { id: 100629, parentId: 0, name: "Thực phẩm và đồ uống", nameEn: "Food & Beverages" },
  { id: 100630, parentId: 100629, name: "Đồ uống", nameEn: "Beverages" },
  { id: 100631, parentId: 100630, name: "Cà phê", nameEn: "Coffee" },
  { id: 100632, parentId: 100630, name: "Trà", nameEn: "Tea" },
  { id: 100640, parentId: 100629, name: "Đồ khô", nameEn: "Dried goods" },
  { id: 100641, parentId: 100640, name: "Các loại hạt", nameEn: "Nuts" },
  { id: 100642, parentId: 100640, name: "Mật ong", nameEn: "Honey" },
  { id: 100650, parentId: 100629, name: "Gia vị", nameEn: "Seasonings" },
  { id: 100651, parentId: 100650, name: "Nước mắm", nameEn: "Fish sauce" },
  { id: 100700, parentId: 0, name: "Sắc đẹp", nameEn: "Beauty" },
  { id: 100701, parentId: 100700, name: "Chăm sóc da mặt", nameEn: "Skincare" },
  { id: 100800, parentId: 0, name: "Nhà cửa & Đời sống", nameEn: "Home & Living" },
  { id: 100801, parentId: 100800, name: "Đồ thủ công mỹ nghệ", nameEn: "Handicrafts" },
];

/** Shopee input_type: 1 single drop-down, 2 single combo box, 3 free text, 4 multi drop-down, 5 multi combo box. */
export interface SandboxAttribute {
  id: number;
  name: string;
  mandatory: boolean;
  inputType: 1 | 2 | 3 | 4 | 5;
  /** 0 none, 1 int, 2 string, 3 float */
  validation: 0 | 1 | 2 | 3;
  values: Array<{ id: number; name: string }>;
}

const SHELF_LIFE: SandboxAttribute = {
  id: 100095,
  name: "Hạn sử dụng",
  mandatory: true,
  inputType: 1,
  validation: 0,
  values: [
    { id: 1001, name: "1 tháng" },
    { id: 1003, name: "3 tháng" },
    { id: 1006, name: "6 tháng" },
    { id: 1012, name: "12 tháng" },
    { id: 1024, name: "24 tháng" },
  ],
};
const ORIGIN: SandboxAttribute = {
  id: 100099,
  name: "Xuất xứ",
  mandatory: true,
  inputType: 2,
  validation: 0,
  values: [
    { id: 2001, name: "Việt Nam" },
    { id: 2002, name: "Thái Lan" },
  ],
};
const NET_WEIGHT: SandboxAttribute = {
  id: 100131,
  name: "Khối lượng tịnh (g)",
  mandatory: false,
  inputType: 3,
  validation: 1,
  values: [],
};
const INGREDIENTS: SandboxAttribute = {
  id: 100140,
  name: "Thành phần",
  mandatory: false,
  inputType: 3,
  validation: 2,
  values: [],
};

const BY_LEAF: Record<number, SandboxAttribute[]> = {
  100631: [
    SHELF_LIFE,
    ORIGIN,
    {
      id: 100200,
      name: "Loại cà phê",
      mandatory: true,
      inputType: 4,
      validation: 0,
      values: [
        { id: 3001, name: "Robusta" },
        { id: 3002, name: "Arabica" },
        { id: 3003, name: "Culi" },
        { id: 3004, name: "Moka" },
      ],
    },
    NET_WEIGHT,
  ],
  100632: [
    SHELF_LIFE,
    ORIGIN,
    {
      id: 100210,
      name: "Loại trà",
      mandatory: false,
      inputType: 2,
      validation: 0,
      values: [
        { id: 3101, name: "Trà xanh" },
        { id: 3102, name: "Trà Shan tuyết" },
      ],
    },
    NET_WEIGHT,
  ],
  100641: [SHELF_LIFE, ORIGIN, NET_WEIGHT, INGREDIENTS],
  100642: [
    SHELF_LIFE,
    ORIGIN,
    { id: 100220, name: "Nguồn hoa", mandatory: false, inputType: 3, validation: 2, values: [] },
    NET_WEIGHT,
  ],
  100651: [
    SHELF_LIFE,
    ORIGIN,
    { id: 100230, name: "Độ đạm (N)", mandatory: true, inputType: 3, validation: 1, values: [] },
  ],
  100701: [ORIGIN, INGREDIENTS],
  100801: [
    ORIGIN,
    {
      id: 100300,
      name: "Chất liệu",
      mandatory: true,
      inputType: 5,
      validation: 0,
      values: [
        { id: 3201, name: "Tre" },
        { id: 3202, name: "Mây" },
        { id: 3203, name: "Gốm" },
      ],
    },
  ],
};

export function attributesOf(categoryId: number): SandboxAttribute[] {
  return BY_LEAF[categoryId] ?? [];
}

export function isLeaf(categoryId: number): boolean {
  return CATEGORIES.some((c) => c.id === categoryId) && !CATEGORIES.some((c) => c.parentId === categoryId);
}

export const LOGISTICS_CHANNELS = [
  {
    logistics_channel_id: 50011,
    logistics_channel_name: "Giao Hàng Nhanh",
    enabled: true,
    cod_enabled: true,
  },
  {
    logistics_channel_id: 50012,
    logistics_channel_name: "Giao Hàng Tiết Kiệm",
    enabled: true,
    cod_enabled: true,
  },
  { logistics_channel_id: 50018, logistics_channel_name: "J&T Express", enabled: false, cod_enabled: true },
];
