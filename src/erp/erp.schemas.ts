import { Type, type Static } from '@sinclair/typebox';
import { Id, Nullable, Pagination, Text, Timestamp } from '../http/schemas.js';
import { CURRENCIES } from './money.js';
import { INVOICE_STATUSES, QUOTE_STATUSES } from './states.js';

const literals = <T extends string>(values: readonly T[], description?: string) =>
  Type.Union(values.map((v) => Type.Literal(v)), description ? { description } : {});

/** Money and quantities travel as decimal text, never as JSON numbers (binary floats). */
const DecimalText = (description: string) =>
  Type.String({ pattern: '^[0-9]{1,18}(\\.[0-9]{1,6})?$', maxLength: 25, description: `${description}; decimal text, e.g. "2" or "12.5"` });
const Percent = (description: string) =>
  Type.String({ pattern: '^[0-9]{1,3}(\\.[0-9]{1,6})?$', maxLength: 10, description: `${description}; decimal text from "0" to "100"` });
export const AmountText = (description: string) =>
  Type.String({ pattern: '^[0-9]{1,17}(\\.[0-9]{1,2})?$', maxLength: 20, description: `${description}; decimal text at the currency's precision, e.g. "1190000" (CLP) or "12.50" (UF)` });
/** A calendar date YYYY-MM-DD between 1900 and 2199. */
export const DateText = (description?: string) =>
  Type.String({ format: 'date', pattern: '^(19|20|21)[0-9]{2}-[0-9]{2}-[0-9]{2}$', ...(description ? { description } : {}) });

export const CurrencySchema = literals(CURRENCIES, 'CLP (whole pesos) or UF (2 decimals)');
export const QuoteStatusSchema = literals(QUOTE_STATUSES);
export const InvoiceStatusSchema = literals(INVOICE_STATUSES);

export const ItemBody = Type.Object(
  {
    description: Text({ minLength: 1, maxLength: 500 }),
    quantity: DecimalText('quantity'),
    unit_price: DecimalText('unit price in the document currency'),
    discount_percent: Type.Optional(Percent('discount, percent')),
  },
  { additionalProperties: false },
);
export const Item = Type.Object({
  position: Type.Integer(),
  description: Type.String(),
  quantity: Type.String(),
  unit_price: Type.String(),
  discount_percent: Type.String(),
  line_total: Type.String({ description: 'round_half_up(quantity × unit_price × (1 − discount_percent/100)) at the currency precision' }),
});

const Items = Type.Array(ItemBody, { minItems: 1, maxItems: 1000 });
const common = {
  project_id: Type.Optional(Nullable(Id({ description: 'a project of the client' }))),
  uf_value: Type.Optional(Nullable(Type.String({ pattern: '^[0-9]{1,10}(\\.[0-9]{1,2})?$', description: 'CLP per UF, to show the CLP equivalent of a UF document' }))),
  tax_rate: Type.Optional(Percent('IVA rate, percent (default 19; 0: exempt)')),
  notes: Type.Optional(Nullable(Text({ maxLength: 2000 }))),
};

export const QuoteBody = Type.Object(
  {
    client_id: Id(),
    currency: CurrencySchema,
    valid_until: Type.Optional(DateText('last day the quote can be accepted (default: 30 days from today)')),
    items: Items,
    ...common,
  },
  { additionalProperties: false },
);
export const QuotePatch = Type.Partial(QuoteBody, { additionalProperties: false });

/** What the quote editor shows while typing: the same money rules as a saved quote, nothing stored. */
export const QuotePreviewBody = Type.Object(
  {
    currency: CurrencySchema,
    items: Items,
    uf_value: common.uf_value,
    tax_rate: common.tax_rate,
  },
  { additionalProperties: false },
);
export const QuotePreview = Type.Object({
  currency: CurrencySchema,
  tax_rate: Type.String(),
  line_totals: Type.Array(Type.String(), { description: 'per item, in the order given' }),
  subtotal: Type.String(),
  tax_amount: Type.String(),
  total: Type.String(),
  total_clp: Nullable(Type.String({ description: 'a UF total in pesos at uf_value' })),
});
export type QuotePreviewView = Static<typeof QuotePreview>;
export type QuotePreviewInput = Static<typeof QuotePreviewBody>;

const documentFields = {
  id: Type.Integer(),
  number: Type.String({ description: 'COT-YYYY-NNNN / FAC-YYYY-NNNN, gap-free per year' }),
  client_id: Type.Integer(),
  project_id: Nullable(Type.Integer()),
  currency: CurrencySchema,
  uf_value: Nullable(Type.String()),
  tax_rate: Type.String(),
  issue_date: Type.String({ format: 'date' }),
  notes: Nullable(Type.String()),
  items: Type.Array(Item),
  subtotal: Type.String(),
  tax_amount: Type.String(),
  total: Type.String(),
  total_clp: Nullable(Type.String({ description: 'a UF document\'s total in pesos at uf_value' })),
  created_at: Timestamp,
  updated_at: Timestamp,
};

export const Quote = Type.Object({
  ...documentFields,
  status: QuoteStatusSchema,
  valid_until: Type.String({ format: 'date' }),
  next_statuses: Type.Array(QuoteStatusSchema, { description: 'what POST /quotes/{id}/status accepts now' }),
});
export type QuoteView = Static<typeof Quote>;

export const QuoteQuery = Type.Object({
  ...Pagination,
  client_id: Type.Optional(Id()),
  project_id: Type.Optional(Id()),
  status: Type.Optional(QuoteStatusSchema),
});
export const QuoteStatusBody = Type.Object({ status: QuoteStatusSchema }, { additionalProperties: false });

export const InvoiceBody = Type.Object(
  {
    quote_id: Type.Optional(Id({ description: 'an ACCEPTED quote: its client, project, currency, rate and items are copied' })),
    client_id: Type.Optional(Id()),
    currency: Type.Optional(CurrencySchema),
    due_date: Type.Optional(DateText('payment due (default: 30 days from today)')),
    items: Type.Optional(Items),
    ...common,
  },
  { additionalProperties: false },
);
export const InvoicePatch = Type.Partial(
  Type.Object({ currency: CurrencySchema, due_date: DateText(), items: Items, ...common }),
  { additionalProperties: false },
);

export const PaymentMethodSchema = literals(['transfer', 'cash', 'check', 'card', 'other'] as const);
export const Payment = Type.Object({
  id: Type.Integer(),
  invoice_id: Type.Integer(),
  amount: Type.String(),
  paid_at: Type.String({ format: 'date' }),
  method: PaymentMethodSchema,
  reference: Nullable(Type.String()),
  created_at: Timestamp,
});
export type PaymentView = Static<typeof Payment>;
export const PaymentBody = Type.Object(
  {
    amount: AmountText('amount paid, at most the balance'),
    paid_at: DateText('the day the money arrived'),
    method: PaymentMethodSchema,
    reference: Type.Optional(Nullable(Text({ maxLength: 200 }))),
  },
  { additionalProperties: false },
);

export const Invoice = Type.Object({
  ...documentFields,
  quote_id: Nullable(Type.Integer()),
  status: InvoiceStatusSchema,
  due_date: Type.String({ format: 'date' }),
  paid_amount: Type.String(),
  balance: Type.String(),
  payments: Type.Array(Payment),
  next_statuses: Type.Array(InvoiceStatusSchema, { description: 'what POST /invoices/{id}/status accepts now' }),
});
export type InvoiceView = Static<typeof Invoice>;
export const PaymentResult = Type.Object({ payment: Payment, invoice: Invoice });

export const InvoiceQuery = Type.Object({
  ...Pagination,
  client_id: Type.Optional(Id()),
  project_id: Type.Optional(Id()),
  status: Type.Optional(InvoiceStatusSchema),
});
export const InvoiceStatusBody = Type.Object({ status: InvoiceStatusSchema }, { additionalProperties: false });

export const EXPENSE_CATEGORIES = ['equipment', 'installation', 'maintenance', 'travel', 'services', 'other'] as const;
export const ExpenseBody = Type.Object(
  {
    category: literals(EXPENSE_CATEGORIES),
    supplier: Type.Optional(Nullable(Text({ maxLength: 200 }))),
    description: Type.Optional(Nullable(Text({ maxLength: 2000 }))),
    currency: Type.Optional(CurrencySchema),
    amount: AmountText('net amount (before IVA)'),
    tax_rate: Type.Optional(Percent('IVA rate, percent (default 19)')),
    expense_date: DateText(),
    project_id: Id(),
    point_id: Type.Optional(Nullable(Id({ description: 'a point of the project' }))),
    attachment_ref: Type.Optional(Nullable(Text({ maxLength: 500, description: 'where the receipt is kept (a URL or a document id)' }))),
  },
  { additionalProperties: false },
);
export const Expense = Type.Object({
  id: Type.Integer(),
  number: Type.String({ description: 'GAS-YYYY-NNNN' }),
  category: literals(EXPENSE_CATEGORIES),
  supplier: Nullable(Type.String()),
  description: Nullable(Type.String()),
  currency: CurrencySchema,
  amount: Type.String(),
  tax_rate: Type.String(),
  tax_amount: Type.String(),
  total: Type.String(),
  expense_date: Type.String({ format: 'date' }),
  client_id: Type.Integer(),
  project_id: Type.Integer(),
  point_id: Nullable(Type.Integer()),
  equipment_id: Nullable(Type.Integer()),
  attachment_ref: Nullable(Type.String()),
  created_at: Timestamp,
});
export type ExpenseView = Static<typeof Expense>;
export const ExpenseQuery = Type.Object({
  ...Pagination,
  project_id: Type.Optional(Id()),
  client_id: Type.Optional(Id()),
  category: Type.Optional(literals(EXPENSE_CATEGORIES)),
  from: Type.Optional(DateText('first expense date')),
  to: Type.Optional(DateText('last expense date')),
});

export const EQUIPMENT_CATEGORIES = ['flowmeter', 'level_sensor', 'datalogger', 'modem', 'solar_panel', 'other'] as const;
export const EQUIPMENT_STATUSES = ['in_stock', 'installed', 'under_repair', 'retired'] as const;
export const EquipmentBody = Type.Object(
  {
    name: Text({ minLength: 1, maxLength: 200 }),
    serial_number: Type.String({ minLength: 1, maxLength: 100, pattern: '^[^\\u0000\\s](.*[^\\u0000\\s])?$', description: 'unique, whatever the letter case' }),
    category: literals(EQUIPMENT_CATEGORIES),
    manufacturer: Type.Optional(Nullable(Text({ maxLength: 200 }))),
    model: Type.Optional(Nullable(Text({ maxLength: 200 }))),
    specifications: Type.Optional(Type.Record(Type.String({ maxLength: 100 }), Type.Unknown(), { maxProperties: 100 })),
    purchase_date: Type.Optional(Nullable(DateText())),
    installation_date: Type.Optional(Nullable(DateText())),
    warranty_expires: Type.Optional(Nullable(DateText('last day under warranty'))),
    status: Type.Optional(literals(EQUIPMENT_STATUSES)),
  },
  { additionalProperties: false },
);
export const EquipmentPatch = Type.Partial(EquipmentBody, { additionalProperties: false });
export const Equipment = Type.Object({
  id: Type.Integer(),
  name: Type.String(),
  serial_number: Type.String(),
  category: literals(EQUIPMENT_CATEGORIES),
  manufacturer: Nullable(Type.String()),
  model: Nullable(Type.String()),
  specifications: Type.Record(Type.String(), Type.Unknown()),
  purchase_date: Nullable(Type.String({ format: 'date' })),
  installation_date: Nullable(Type.String({ format: 'date' })),
  warranty_expires: Nullable(Type.String({ format: 'date' })),
  is_under_warranty: Type.Boolean({ description: 'warranty_expires is today or later' }),
  status: literals(EQUIPMENT_STATUSES),
  project_id: Nullable(Type.Integer()),
  point_id: Nullable(Type.Integer()),
  created_at: Timestamp,
  updated_at: Timestamp,
});
export type EquipmentView = Static<typeof Equipment>;
export const EquipmentQuery = Type.Object({
  ...Pagination,
  warranty_ends_within_days: Type.Optional(Type.Integer({ minimum: 0, maximum: 3650, description: 'only equipment whose warranty ends from today to N days ahead' })),
  status: Type.Optional(literals(EQUIPMENT_STATUSES)),
  project_id: Type.Optional(Id()),
  point_id: Type.Optional(Id()),
  serial_number: Type.Optional(Type.String({ maxLength: 100, pattern: '^[^\\u0000]*$', description: 'exact serial number, whatever the case' })),
});

export const AssignmentBody = Type.Object(
  {
    project_id: Type.Optional(Nullable(Id({ description: 'null with no point: back to stock' }))),
    point_id: Type.Optional(Nullable(Id({ description: 'installed at this point (its project is implied)' }))),
    notes: Type.Optional(Nullable(Text({ maxLength: 2000 }))),
  },
  { additionalProperties: false },
);
export const Assignment = Type.Object({
  id: Type.Integer(),
  equipment_id: Type.Integer(),
  from_project_id: Nullable(Type.Integer()),
  from_point_id: Nullable(Type.Integer()),
  to_project_id: Nullable(Type.Integer()),
  to_point_id: Nullable(Type.Integer()),
  notes: Nullable(Type.String()),
  assigned_by: Nullable(Type.Integer()),
  assigned_at: Timestamp,
});
export type AssignmentView = Static<typeof Assignment>;

export const MAINTENANCE_KINDS = ['preventive', 'corrective', 'calibration', 'inspection', 'other'] as const;
export const MaintenanceBody = Type.Object(
  {
    performed_on: DateText(),
    kind: literals(MAINTENANCE_KINDS),
    notes: Type.Optional(Nullable(Text({ maxLength: 2000 }))),
    cost: Type.Optional(AmountText('net cost in CLP; recorded as a maintenance expense (GAS-) of the equipment\'s project')),
    tax_rate: Type.Optional(Percent('IVA rate of the cost (default 19)')),
    supplier: Type.Optional(Nullable(Text({ maxLength: 200 }))),
    project_id: Type.Optional(Id({ description: 'the expense\'s project when the equipment has none' })),
  },
  { additionalProperties: false },
);
export const Maintenance = Type.Object({
  id: Type.Integer(),
  equipment_id: Type.Integer(),
  performed_on: Type.String({ format: 'date' }),
  kind: literals(MAINTENANCE_KINDS),
  notes: Nullable(Type.String()),
  cost: Nullable(Type.String()),
  expense_id: Nullable(Type.Integer()),
  expense_number: Nullable(Type.String()),
  created_at: Timestamp,
});
export type MaintenanceView = Static<typeof Maintenance>;

export const ReportQuery = Type.Object({
  client_id: Type.Optional(Id()),
  project_id: Type.Optional(Id()),
  from: DateText('first day of the period'),
  to: DateText('last day of the period (inclusive)'),
  format: Type.Optional(literals(['json', 'csv'] as const)),
});
export const ReportRow = Type.Object({
  currency: CurrencySchema,
  quoted: Type.String({ description: 'totals of quotes issued in the period and sent (not DRAFT)' }),
  invoiced: Type.String({ description: 'totals of invoices issued in the period (not DRAFT or CANCELLED)' }),
  paid: Type.String({ description: 'payments received in the period' }),
  outstanding: Type.String({ description: 'what is still owed today on the invoices issued in the period' }),
  expenses: Type.String({ description: 'totals of expenses dated in the period' }),
  margin: Type.String({ description: 'invoiced net (subtotal, before IVA) − expenses net (before IVA)' }),
});
export const Report = Type.Object({
  from: Type.String(),
  to: Type.String(),
  client_id: Nullable(Type.Integer()),
  project_id: Nullable(Type.Integer()),
  currencies: Type.Array(ReportRow),
});
export type ReportView = Static<typeof Report>;

export type QuoteInput = Static<typeof QuotePatch>;
export type InvoiceInput = Static<typeof InvoiceBody>;
export type ExpenseInput = Static<typeof ExpenseBody>;
export type EquipmentInput = Static<typeof EquipmentPatch>;
export type AssignmentInput = Static<typeof AssignmentBody>;
export type MaintenanceInput = Static<typeof MaintenanceBody>;
export type PaymentInput = Static<typeof PaymentBody>;
