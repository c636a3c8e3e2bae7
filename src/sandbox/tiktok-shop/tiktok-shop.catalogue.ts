/**
 * The sandbox's small Vietnamese category tree and its attributes, in TikTok Shop's 202309 wire
 * shape (local_name, is_leaf, is_requried [sic]). Ids imitate TikTok's numeric-string ids.
 */

export interface WireCategory {
  id: string;
  parent_id: string;
  local_name: string;
  is_leaf: boolean;
  permission_statuses: string[];
}

export interface WireAttribute {
  id: string;
  name: string;
  type: "SALES_PROPERTY" | "PRODUCT_PROPERTY";
  is_requried: boolean;
  is_customizable: boolean;
  is_multiple_selection: boolean;
  value_data_format?: string;
  values: Array<{ id: string; name: string }>;
}

const AVAILABLE = ["AVAILABLE"];

export const CATEGORIES: WireCategory[] = [
  {
    id: "600001",
    parent_id: "0",
    local_name: "Thực phẩm & Đồ uống",
    is_leaf: false,
    permission_statuses: AVAILABLE,
  },
  {
    id: "600010",
    parent_id: "600001",
    local_name: "Đồ uống",
    is_leaf: false,
    permission_statuses: AVAILABLE,
  },
  { id: "600011", parent_id: "600010", local_name: "Cà phê", is_leaf: true, permission_statuses: AVAILABLE },
  { id: "600012", parent_id: "600010", local_name: "Trà", is_leaf: true, permission_statuses: AVAILABLE },
  {
    id: "600020",
    parent_id: "600001",
    local_name: "Đặc sản & Đồ ăn vặt",
    is_leaf: false,
    permission_statuses: AVAILABLE,
  },
  {
    id: "600021",
    parent_id: "600020",
    local_name: "Hạt & Quả sấy",
    is_leaf: true,
    permission_statuses: AVAILABLE,
  },
  {
    id: "600022",
    parent_id: "600020",
    local_name: "Mật ong & Siro",
    is_leaf: true,
    permission_statuses: AVAILABLE,
  },
  {
    id: "600023",
    parent_id: "600020",
    local_name: "Nước mắm & Gia vị",
    is_leaf: true,
    permission_statuses: AVAILABLE,
  },
];

const ORIGIN: WireAttribute = {
  id: "100107",
  name: "Xuất xứ",
  type: "PRODUCT_PROPERTY",
  is_requried: true,
  is_customizable: false,
  is_multiple_selection: false,
  values: [
    { id: "1000059", name: "Việt Nam" },
    { id: "1000060", name: "Nhập khẩu" },
  ],
};

const SHELF_LIFE: WireAttribute = {
  id: "100203",
  name: "Hạn sử dụng",
  type: "PRODUCT_PROPERTY",
  is_requried: true,
  is_customizable: true,
  is_multiple_selection: false,
  value_data_format: "POSITIVE_INT_OR_DECIMAL",
  values: [
    { id: "1002031", name: "6 tháng" },
    { id: "1002032", name: "12 tháng" },
    { id: "1002033", name: "24 tháng" },
  ],
};

const INGREDIENTS: WireAttribute = {
  id: "100215",
  name: "Thành phần",
  type: "PRODUCT_PROPERTY",
  is_requried: false,
  is_customizable: true,
  is_multiple_selection: true,
  values: [],
};

const PACK: WireAttribute = {
  id: "100000",
  name: "Quy cách",
  type: "SALES_PROPERTY",
  is_requried: false,
  is_customizable: true,
  is_multiple_selection: false,
  values: [],
};

const COFFEE_TYPE: WireAttribute = {
  id: "100311",
  name: "Loại cà phê",
  type: "PRODUCT_PROPERTY",
  is_requried: true,
  is_customizable: false,
  is_multiple_selection: false,
  values: [
    { id: "1003111", name: "Rang xay" },
    { id: "1003112", name: "Hạt rang" },
    { id: "1003113", name: "Hoà tan" },
  ],
};

const TEA_TYPE: WireAttribute = {
  id: "100312",
  name: "Loại trà",
  type: "PRODUCT_PROPERTY",
  is_requried: true,
  is_customizable: false,
  is_multiple_selection: false,
  values: [
    { id: "1003121", name: "Trà xanh" },
    { id: "1003122", name: "Trà Shan tuyết" },
    { id: "1003123", name: "Trà thảo mộc" },
  ],
};

export const ATTRIBUTES: Record<string, WireAttribute[]> = {
  "600011": [ORIGIN, SHELF_LIFE, COFFEE_TYPE, INGREDIENTS, PACK],
  "600012": [ORIGIN, SHELF_LIFE, TEA_TYPE, INGREDIENTS, PACK],
  "600021": [ORIGIN, SHELF_LIFE, INGREDIENTS, PACK],
  "600022": [ORIGIN, SHELF_LIFE, PACK],
  "600023": [ORIGIN, SHELF_LIFE, INGREDIENTS, PACK],
};
