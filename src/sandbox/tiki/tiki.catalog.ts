/**
 * The sandbox's small Tiki category tree (Vietnamese names as on tiki.vn) with the attributes each
 * primary (leaf) category requires. Enough for OCOP foods, drinks and handicrafts.
 */
export interface SandboxCategory {
  id: number;
  name: string;
  parent: number | null;
  primary: boolean;
}

export interface SandboxAttribute {
  id: number;
  code: string;
  display_name: string;
  is_required: boolean;
  input_type: "text" | "select" | "multiselect" | "number";
  values?: string[];
}

export const CATEGORIES: SandboxCategory[] = [
  { id: 4384, name: "Bách Hóa Online", parent: null, primary: false },
  { id: 4422, name: "Đồ uống - Pha chế", parent: 4384, primary: false },
  { id: 8273, name: "Cà phê", parent: 4422, primary: true },
  { id: 8274, name: "Trà", parent: 4422, primary: true },
  { id: 4423, name: "Gia vị - Thực phẩm khô", parent: 4384, primary: false },
  { id: 8280, name: "Nước mắm", parent: 4423, primary: true },
  { id: 8281, name: "Hạt dinh dưỡng", parent: 4423, primary: true },
  { id: 4425, name: "Bánh kẹo - Đặc sản", parent: 4384, primary: false },
  { id: 8290, name: "Đặc sản vùng miền", parent: 4425, primary: true },
  { id: 1883, name: "Nhà Cửa - Đời Sống", parent: null, primary: false },
  { id: 1951, name: "Đồ thủ công mỹ nghệ", parent: 1883, primary: true },
];

const ORIGINS = ["Việt Nam", "Nhật Bản", "Hàn Quốc", "Thái Lan"];

const FOOD_ATTRIBUTES: SandboxAttribute[] = [
  { id: 1001, code: "brand", display_name: "Thương hiệu", is_required: true, input_type: "text" },
  {
    id: 1002,
    code: "origin",
    display_name: "Xuất xứ",
    is_required: true,
    input_type: "select",
    values: ORIGINS,
  },
  { id: 1003, code: "expiry_time", display_name: "Hạn sử dụng", is_required: true, input_type: "text" },
  { id: 1004, code: "ingredients", display_name: "Thành phần", is_required: false, input_type: "text" },
];

export const ATTRIBUTES: Record<number, SandboxAttribute[]> = {
  8273: FOOD_ATTRIBUTES,
  8274: FOOD_ATTRIBUTES,
  8280: [
    ...FOOD_ATTRIBUTES,
    { id: 1010, code: "protein_level", display_name: "Độ đạm", is_required: false, input_type: "number" },
  ],
  8281: FOOD_ATTRIBUTES,
  8290: FOOD_ATTRIBUTES,
  1951: [
    { id: 1001, code: "brand", display_name: "Thương hiệu", is_required: true, input_type: "text" },
    {
      id: 1002,
      code: "origin",
      display_name: "Xuất xứ",
      is_required: true,
      input_type: "select",
      values: ORIGINS,
    },
    {
      id: 1020,
      code: "material",
      display_name: "Chất liệu",
      is_required: true,
      input_type: "multiselect",
      values: ["Mây", "Tre", "Gỗ", "Gốm", "Cói"],
    },
  ],
};

export function attributeById(id: number): SandboxAttribute | undefined {
  for (const list of Object.values(ATTRIBUTES)) {
    const a = list.find((x) => x.id === id);
    if (a) return a;
  }
  return undefined;
}
