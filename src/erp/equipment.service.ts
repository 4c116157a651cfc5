import type { Page } from '../infra/db/sql.js';
import { ConflictError, NotFoundError, ValidationError } from '../errors.js';
import { type Principal, requireStaff } from '../auth/principal.js';
import { EquipmentRepository, type EquipmentRow } from './equipment.repository.js';
import { references } from './references.repository.js';
import { addDays } from './documents.js';
import { todayIn, type ErpDeps } from './erp.deps.js';
import { amountText, parseAmount } from './money.js';
import type { ExpenseService } from './expense.service.js';
import type {
  AssignmentInput, AssignmentView, EquipmentInput, EquipmentView, MaintenanceInput, MaintenanceView,
} from './erp.schemas.js';

/** Under warranty through the last day of `warranty_expires`. */
export function isUnderWarranty(warrantyExpires: string | null, today: string): boolean {
  return warrantyExpires !== null && warrantyExpires >= today;
}

/**
 * Equipment: staff only. Serial numbers are unique whatever their case. Where a piece is (project, point)
 * changes only through assignments, which keep the history (who, when, from, to). A maintenance record
 * with a cost creates a maintenance expense (GAS-) in the same transaction.
 */
export class EquipmentService {
  private readonly repo: EquipmentRepository;

  constructor(private readonly deps: ErpDeps & { expenses: ExpenseService }) {
    this.repo = new EquipmentRepository(deps.db);
  }

  async list(
    actor: Principal,
    q: { limit: number; offset: number; warranty_ends_within_days?: number; status?: string; project_id?: number; point_id?: number; serial_number?: string },
  ): Promise<Page<EquipmentView>> {
    requireStaff(actor);
    const today = todayIn(this.deps);
    const { warranty_ends_within_days: days, ...filter } = q;
    const page = await this.repo.list(
      { ...filter, ...(days === undefined ? {} : { warrantyFrom: today, warrantyTo: addDays(today, days) }) },
      q.limit,
      q.offset,
    );
    return { items: page.items.map((r) => view(r, today)), total: page.total };
  }

  /** Equipment installed at a point (the point page). */
  async atPoint(actor: Principal, pointId: number, page: { limit: number; offset: number }): Promise<Page<EquipmentView>> {
    requireStaff(actor);
    if (!(await references.pointOwner(this.deps.db, pointId))) throw new NotFoundError('POINT_NOT_FOUND', `point ${pointId} does not exist`);
    return this.list(actor, { ...page, point_id: pointId });
  }

  async get(actor: Principal, id: number): Promise<EquipmentView> {
    requireStaff(actor);
    return view(await this.row(id), todayIn(this.deps));
  }

  async create(actor: Principal, body: EquipmentInput): Promise<EquipmentView> {
    requireStaff(actor);
    checkDates(body);
    checkStatus(body.status, null);
    await this.ensureSerialFree(body.serial_number!);
    try {
      return view(await this.repo.insert(body), todayIn(this.deps));
    } catch (err) {
      throw serialTaken(err, body.serial_number!);
    }
  }

  async update(actor: Principal, id: number, patch: EquipmentInput): Promise<EquipmentView> {
    requireStaff(actor);
    const current = await this.row(id);
    checkDates({ ...current, ...patch });
    checkStatus(patch.status, current.point_id);
    if (patch.serial_number !== undefined) await this.ensureSerialFree(patch.serial_number, id);
    try {
      return view((await this.repo.update(id, patch)) ?? current, todayIn(this.deps));
    } catch (err) {
      throw serialTaken(err, patch.serial_number ?? current.serial_number);
    }
  }

  /** Moves the equipment to a project and/or point (the point's project is implied); null and null: back to stock. */
  async assign(actor: Principal, id: number, body: AssignmentInput): Promise<AssignmentView> {
    requireStaff(actor);
    return this.deps.db.transaction(async (tx) => {
      const current = await this.repo.get(id, tx, true);
      if (!current) throw notFound(id);
      if (current.status === 'retired') throw new ConflictError('EQUIPMENT_RETIRED', `equipment ${id} is retired and cannot be assigned`);
      let projectId = body.project_id ?? null;
      const pointId = body.point_id ?? null;
      if (pointId !== null) {
        const owner = await references.pointOwner(tx, pointId);
        if (!owner) throw new ValidationError(`point_id ${pointId} does not exist`, 'point_id');
        if (projectId !== null && projectId !== owner.project_id) {
          throw new ValidationError(`point ${pointId} belongs to project ${owner.project_id}, not to project ${projectId}`, 'point_id');
        }
        projectId = owner.project_id;
      } else if (projectId !== null && (await references.projectClient(tx, projectId)) === undefined) {
        throw new ValidationError(`project_id ${projectId} does not exist`, 'project_id');
      }
      if (projectId === current.project_id && pointId === current.point_id) {
        throw new ConflictError('EQUIPMENT_ALREADY_THERE', `equipment ${id} is already at ${pointId !== null ? `point ${pointId}` : projectId !== null ? `project ${projectId}` : 'the stock'}`);
      }
      const status = pointId !== null ? 'installed' : projectId === null ? 'in_stock' : current.status === 'installed' ? 'in_stock' : current.status;
      await this.repo.place(tx, id, { project_id: projectId, point_id: pointId, status });
      return this.repo.insertAssignment(tx, {
        equipment_id: id,
        from_project_id: current.project_id,
        from_point_id: current.point_id,
        to_project_id: projectId,
        to_point_id: pointId,
        notes: body.notes ?? null,
        assigned_by: actor.userId,
      });
    });
  }

  async assignments(actor: Principal, id: number): Promise<AssignmentView[]> {
    requireStaff(actor);
    await this.row(id);
    return this.repo.assignments(id);
  }

  async addMaintenance(actor: Principal, id: number, body: MaintenanceInput): Promise<MaintenanceView> {
    requireStaff(actor);
    const today = todayIn(this.deps);
    if (body.performed_on > today) throw new ValidationError(`performed_on ${body.performed_on} is in the future (today is ${today})`, 'performed_on');
    const maintenanceId = await this.deps.db.transaction(async (tx) => {
      const equipment = await this.repo.get(id, tx, true);
      if (!equipment) throw notFound(id);
      let expenseId: number | null = null;
      const cost = body.cost === undefined ? 0n : parseAmount(body.cost, 'CLP', 'cost');
      if (cost > 0n) {
        const projectId = body.project_id ?? equipment.project_id;
        if (projectId === null) {
          throw new ValidationError(`equipment ${id} is in no project; give project_id to book the cost as an expense`, 'project_id');
        }
        expenseId = await this.deps.expenses.createIn(
          tx,
          actor,
          {
            category: 'maintenance',
            supplier: body.supplier ?? null,
            description: `Mantención (${body.kind}) de ${equipment.name}, serie ${equipment.serial_number}`,
            currency: 'CLP',
            amount: body.cost!,
            ...(body.tax_rate === undefined ? {} : { tax_rate: body.tax_rate }),
            expense_date: body.performed_on,
            project_id: projectId,
            point_id: equipment.point_id,
          },
          id,
        );
      }
      return this.repo.insertMaintenance(tx, {
        equipment_id: id, performed_on: body.performed_on, kind: body.kind, notes: body.notes ?? null,
        cost: body.cost ?? null, expense_id: expenseId, created_by: actor.userId,
      });
    });
    const [row] = await this.repo.maintenance(id, maintenanceId);
    return maintenanceView(row!);
  }

  async maintenance(actor: Principal, id: number): Promise<MaintenanceView[]> {
    requireStaff(actor);
    await this.row(id);
    return (await this.repo.maintenance(id)).map(maintenanceView);
  }

  private async row(id: number): Promise<EquipmentRow> {
    const row = await this.repo.get(id);
    if (!row) throw notFound(id);
    return row;
  }

  private async ensureSerialFree(serial: string, exceptId?: number): Promise<void> {
    const ids = await this.repo.idsWithSerial(serial);
    const other = ids.find((i) => i !== exceptId);
    if (other !== undefined) throw duplicateSerial(serial, other);
  }
}

function checkDates(e: { purchase_date?: string | null; installation_date?: string | null }): void {
  if (e.purchase_date && e.installation_date && e.installation_date < e.purchase_date) {
    throw new ValidationError(`installation_date ${e.installation_date} is before purchase_date ${e.purchase_date}`, 'installation_date');
  }
}

/** `installed` means "at a point": that status comes and goes with assignments, never through a plain change. */
function checkStatus(status: string | undefined, pointId: number | null): void {
  if (status === 'installed' && pointId === null) {
    throw new ValidationError('status installed is set by assigning the equipment to a point (POST /equipment/{id}/assignments)', 'status');
  }
  if (status === 'in_stock' && pointId !== null) {
    throw new ValidationError(`the equipment is installed at point ${pointId}; assign it back to stock (POST /equipment/{id}/assignments with point_id null)`, 'status');
  }
}

const notFound = (id: number) => new NotFoundError('EQUIPMENT_NOT_FOUND', `equipment ${id} does not exist`);
const duplicateSerial = (serial: string, id?: number) =>
  new ConflictError('SERIAL_NUMBER_TAKEN', `serial number ${serial} is already registered${id ? ` (equipment ${id})` : ''}; serial numbers are unique whatever their case`, { field: 'serial_number' });

/** Two creations racing past the check meet the unique index. */
function serialTaken(err: unknown, serial: string): unknown {
  return (err as { code?: string }).code === '23505' ? duplicateSerial(serial) : err;
}

function view(r: EquipmentRow, today: string): EquipmentView {
  return { ...r, is_under_warranty: isUnderWarranty(r.warranty_expires, today) };
}

function maintenanceView(m: { cost: string | null } & Omit<MaintenanceView, 'cost'>): MaintenanceView {
  return { ...m, cost: m.cost === null ? null : amountText(m.cost, 'CLP') };
}
