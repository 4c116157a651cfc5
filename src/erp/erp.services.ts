import type { ErpDeps } from './erp.deps.js';
import { QuoteService } from './quote.service.js';
import { InvoiceService } from './invoice.service.js';
import { ExpenseService } from './expense.service.js';
import { EquipmentService } from './equipment.service.js';
import { ReportService } from './report.service.js';

export type { ErpDeps } from './erp.deps.js';

/** The ERP's use cases, built together (equipment books maintenance costs through expenses). */
export interface ErpServices {
  quotes: QuoteService;
  invoices: InvoiceService;
  expenses: ExpenseService;
  equipment: EquipmentService;
  reports: ReportService;
}

export function buildErpServices(deps: ErpDeps): ErpServices {
  const expenses = new ExpenseService(deps);
  return {
    quotes: new QuoteService(deps),
    invoices: new InvoiceService(deps),
    expenses,
    equipment: new EquipmentService({ ...deps, expenses }),
    reports: new ReportService(deps),
  };
}
