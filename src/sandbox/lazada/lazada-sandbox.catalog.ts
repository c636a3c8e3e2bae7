/**
 * The sandbox's small Lazada Vietnam category tree and attribute sets, shaped like
 * /category/tree/get and /category/attributes/get answers. Names are Vietnamese as a VN seller sees
 * them; ids are made up but stable, so tests and `npm start` can map categories once.
 */

export interface SandboxCategory {
  category_id: number;
  name: string;
  leaf: boolean;
  var: boolean;
  children?: SandboxCategory[];
}

export interface SandboxAttribute {
  id: number;
  name: string;
  label: string;
  input_type: "text" | "numeric" | "richText" | "singleSelect" | "multiSelect" | "enumInput";
  attribute_type: "normal" | "sku";
  is_mandatory: 0 | 1;
  is_sale_prop: 0 | 1;
  options: Array<{ id: number; name: string; en_name: string }>;
  advanced: { is_key_prop: 0 | 1 };
}

export const CATEGORY_TREE: SandboxCategory[] = [
  {
    category_id: 10000001,
    name: "Bách hóa Online",
    leaf: false,
    var: false,
    children: [
      {
        category_id: 10000010,
        name: "Đồ uống",
        leaf: false,
        var: false,
        children: [
          { category_id: 10000011, name: "Cà phê", leaf: true, var: true },
          { category_id: 10000012, name: "Trà", leaf: true, var: true },
        ],
      },
      {
        category_id: 10000020,
        name: "Thực phẩm khô",
        leaf: false,
        var: false,
        children: [
          { category_id: 10000021, name: "Hạt & Đậu", leaf: true, var: true },
          { category_id: 10000022, name: "Gia vị & Nước chấm", leaf: true, var: true },
        ],
      },
      { category_id: 10000030, name: "Mật ong", leaf: true, var: true },
    ],
  },
  {
    category_id: 10000100,
    name: "Sức khỏe & Làm đẹp",
    leaf: false,
    var: false,
    children: [{ category_id: 10000101, name: "Thực phẩm chức năng", leaf: true, var: true }],
  },
];

let nextAttrId = 100;
function attr(
  name: string,
  label: string,
  input_type: SandboxAttribute["input_type"],
  opts: { mandatory?: boolean; sale?: boolean; sku?: boolean; options?: Array<[string, string]> } = {},
): SandboxAttribute {
  return {
    id: nextAttrId++,
    name,
    label,
    input_type,
    attribute_type: opts.sku || opts.sale ? "sku" : "normal",
    is_mandatory: opts.mandatory ? 1 : 0,
    is_sale_prop: opts.sale ? 1 : 0,
    options: (opts.options ?? []).map(([vi, en], i) => ({ id: 1000 + i, name: vi, en_name: en })),
    advanced: { is_key_prop: opts.mandatory && !opts.sku ? 1 : 0 },
  };
}

/** Attributes every leaf has (product and SKU level), as Lazada lists them. */
function common(): SandboxAttribute[] {
  return [
    attr("name", "Tên sản phẩm", "text", { mandatory: true }),
    attr("description", "Mô tả sản phẩm", "richText", { mandatory: true }),
    attr("short_description", "Điểm nổi bật", "richText"),
    attr("brand", "Thương hiệu", "singleSelect", { mandatory: true }),
    attr("variation", "Quy cách", "text", { sale: true }),
    attr("SellerSku", "SKU người bán", "text", { mandatory: true, sku: true }),
    attr("price", "Giá", "numeric", { mandatory: true, sku: true }),
    attr("quantity", "Số lượng", "numeric", { mandatory: true, sku: true }),
    attr("package_weight", "Khối lượng gói hàng (kg)", "numeric", { mandatory: true, sku: true }),
    attr("package_length", "Chiều dài gói hàng (cm)", "numeric", { sku: true }),
    attr("package_width", "Chiều rộng gói hàng (cm)", "numeric", { sku: true }),
    attr("package_height", "Chiều cao gói hàng (cm)", "numeric", { sku: true }),
  ];
}

export const CATEGORY_ATTRIBUTES: Record<number, SandboxAttribute[]> = {
  10000011: [
    ...common(),
    attr("coffee_type", "Loại cà phê", "singleSelect", {
      mandatory: true,
      options: [
        ["Cà phê rang xay", "Ground coffee"],
        ["Cà phê hạt", "Coffee beans"],
        ["Cà phê hòa tan", "Instant coffee"],
      ],
    }),
    attr("shelf_life", "Hạn sử dụng (tháng)", "numeric"),
  ],
  10000012: [
    ...common(),
    attr("tea_type", "Loại trà", "singleSelect", {
      mandatory: true,
      options: [
        ["Trà xanh", "Green tea"],
        ["Trà đen", "Black tea"],
        ["Trà thảo mộc", "Herbal tea"],
      ],
    }),
  ],
  10000021: [...common(), attr("shelf_life", "Hạn sử dụng (tháng)", "numeric", { mandatory: true })],
  10000022: [...common(), attr("shelf_life", "Hạn sử dụng (tháng)", "numeric", { mandatory: true })],
  10000030: [...common(), attr("net_content", "Dung tích / Khối lượng tịnh", "text", { mandatory: true })],
  10000101: [...common(), attr("certification", "Số công bố sản phẩm", "text", { mandatory: true })],
};

export function findCategory(id: number, nodes: SandboxCategory[] = CATEGORY_TREE): SandboxCategory | null {
  for (const n of nodes) {
    if (n.category_id === id) return n;
    const hit = n.children ? findCategory(id, n.children) : null;
    if (hit) return hit;
  }
  return null;
}
