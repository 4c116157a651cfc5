/**
 * The DGA reporter: plans the slots each point owes, and sends them one at a time, oldest first,
 * at least `minSpacingMs` apart, recording every attempt and DGA's answer in `dga_submissions`.
 *
 * Never twice after a receipt: a row is only sent after an atomic claim (status 'sending' with a lease
 * token) that excludes rows with a receipt, and the receipt is the row's own column (CHECK: sent ⇔
 * receipt). Crash between send and record: the lease expires, the slot is sent again, and DGA answers
 * "Ya existe … Comprobante: X", which stores X.
 *
 * Missing data is never replaced by made-up numbers: the row stays pending with DGA_DATA_MISSING and
 * is tried again every `dataRetryMs` (late data may still be collected) until the slot is older than
 * the back-fill limit, then it becomes failed (no automatic retry; an operator can retry it).
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Db } from '../infra/db/index.js';
import type { Logger } from '../infra/logger.js';
import type { SecretBox } from '../infra/secrets.js';
import type { Metrics } from '../infra/metrics.js';
import { buildDgaRequest, redactDgaBody, type DgaRequest } from './payload.js';
import { classifyDgaAnswer, nextAttemptAt, type DgaAnswer, type DgaOutcome } from './response.js';
import { DEFAULT_MAX_BACKFILL_MS, dueSlots } from './slots.js';
import { dgaVariables, needsWaterTable, readSlot, variableProblems, type DgaVariables } from './slot-reading.js';
import { localMidnight } from '../lib/timezone.js';
import type { DgaPointConfig, DgaStandard } from './types.js';
import { parseDgaConfig } from './validation.js';
import {
  seriesKey, SubmissionRepository, type AttemptResult, type DgaPointRow, type SubmissionRow, type TimeRange,
} from './submission.repository.js';

export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

export interface DgaReporterDeps {
  db: Db;
  secrets: SecretBox;
  logger: Logger;
  metrics: Metrics;
  /** The merged variables_config of a point (SchemaService.mergedConfig). */
  variablesConfig(pointId: number): Promise<unknown>;
  dgaApiUrl: string;
  tz: string;
}

export interface DgaReporterOptions {
  /** Name in `leased_by`; default host:pid:random. */
  owner?: string;
  clock?: Clock;
  fetch?: typeof fetch;
  /** Minimum time between two requests to DGA from this reporter. Default 1000 (SPEC §8: ≥ 1 s). */
  minSpacingMs?: number;
  /** Default 30 s. */
  requestTimeoutMs?: number;
  /** How long a claim is held before another reporter may take the row. Default 5 min. */
  leaseMs?: number;
  /** Oldest slot age back-filled (and retried), per standard. Defaults: DEFAULT_MAX_BACKFILL_MS. */
  maxBackfillMs?: Partial<Record<DgaStandard, number>>;
  /** Oldest sample accepted as the value at the slot time. Default 90 min. */
  maxSampleAgeMs?: number;
  /** Wait before looking again for missing data or a fixed configuration. Default 15 min. */
  dataRetryMs?: number;
  /** A tick stops sending after this long so new slots get planned. Default 60 s. */
  maxSendMs?: number;
}

export const DEFAULT_MIN_SPACING_MS = 1000;

export type SendOutcome =
  | 'sent'
  | 'duplicate'
  | 'needs_attention'
  | 'rejected'
  | 'retryable'
  | 'data_missing'
  | 'config_invalid'
  | 'reading_invalid'
  | 'lease_lost'
  | 'error';

export interface TickResult {
  planned: number;
  outcomes: SendOutcome[];
  /** True when the tick stopped with due rows left (time budget or stop). */
  more: boolean;
}

/** Points planned together: one query each for their reading ranges and planned ranges. */
const PLAN_GROUP = 500;

type PreparedConfig = { ok: true; config: DgaPointConfig; vars: DgaVariables } | { ok: false; problems: string[] };

export class DgaReporter {
  readonly owner: string;
  private readonly repo: SubmissionRepository;
  private readonly clock: Clock;
  private readonly fetchImpl: typeof fetch;
  private readonly minSpacingMs: number;
  private readonly requestTimeoutMs: number;
  private readonly leaseMs: number;
  private readonly maxBackfill: Record<DgaStandard, number>;
  private readonly maxSampleAgeMs: number | undefined;
  private readonly dataRetryMs: number;
  private readonly maxSendMs: number;
  private lastRequestAt = Number.NEGATIVE_INFINITY;
  private stopped = false;
  private wake: (() => void) | null = null;
  /** Last problem logged per point, so a misconfigured point is logged once, not every tick. */
  private readonly loggedProblems = new Map<number, string>();

  constructor(
    private readonly deps: DgaReporterDeps,
    opts: DgaReporterOptions = {},
  ) {
    this.repo = new SubmissionRepository(deps.db);
    this.owner = opts.owner ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
    this.clock = opts.clock ?? systemClock;
    this.fetchImpl = opts.fetch ?? fetch;
    this.minSpacingMs = opts.minSpacingMs ?? DEFAULT_MIN_SPACING_MS;
    this.requestTimeoutMs = opts.requestTimeoutMs ?? 30_000;
    this.leaseMs = opts.leaseMs ?? 5 * 60_000;
    this.maxBackfill = { ...DEFAULT_MAX_BACKFILL_MS, ...opts.maxBackfillMs };
    this.maxSampleAgeMs = opts.maxSampleAgeMs;
    this.dataRetryMs = opts.dataRetryMs ?? 15 * 60_000;
    this.maxSendMs = opts.maxSendMs ?? 60_000;
  }

  /** Plans new slots for every reporting point, then sends due rows until none is left or time is up. */
  async tick(): Promise<TickResult> {
    const planned = await this.planAll();
    const outcomes: SendOutcome[] = [];
    const started = performance.now();
    while (!this.stopped) {
      if (performance.now() - started > this.maxSendMs) return { planned, outcomes, more: true };
      const outcome = await this.sendNext();
      if (outcome === null) return { planned, outcomes, more: false };
      outcomes.push(outcome);
    }
    return { planned, outcomes, more: true };
  }

  /** Makes a running tick return after its current request; pending sleeps end at once. */
  stop(): void {
    this.stopped = true;
    this.wake?.();
  }

  /**
   * Creates pending rows for the slots each point owes now. Returns how many were created. Points go
   * in groups: one query for their reading ranges, one for their planned ranges, then an insert per
   * point that owes something (a pass over 10,000 points is a few dozen queries, not 60,000).
   */
  async planAll(): Promise<number> {
    let planned = 0;
    const points = await this.repo.sendingPoints();
    for (let i = 0; i < points.length && !this.stopped; i += PLAN_GROUP) {
      try {
        planned += await this.planGroup(points.slice(i, i + PLAN_GROUP));
      } catch (err) {
        this.deps.logger.error({ err, points: points.length, from: points[i]!.id }, 'planning DGA slots failed');
      }
    }
    return planned;
  }

  private async planGroup(points: DgaPointRow[]): Promise<number> {
    const ready: { point: DgaPointRow; config: DgaPointConfig; required: string[] }[] = [];
    for (const point of points) {
      const prepared = await this.prepare(point);
      if (!prepared.ok) {
        this.logProblem(point, prepared.problems);
        continue;
      }
      this.loggedProblems.delete(point.id);
      const { config, vars } = prepared;
      const required = [vars.totalizer, needsWaterTable(config.type, config.standard) ? vars.level : null].filter(
        (v): v is string => v !== null,
      );
      ready.push({ point, config, required });
    }
    if (ready.length === 0) return 0;
    const [ranges, plannedRanges] = await Promise.all([
      this.repo.readingRanges(ready.flatMap((r) => r.required.map((variable) => ({ pointId: r.point.id, variable })))),
      this.repo.plannedRanges(ready.map((r) => r.point.id)),
    ]);
    let planned = 0;
    for (const { point, config, required } of ready) {
      if (this.stopped) break;
      const series = required.map((v) => ranges.get(seriesKey(point.id, v)) ?? { first: null, last: null });
      const slots = this.owedSlots(config, series, plannedRanges.get(point.id) ?? { first: null, last: null });
      try {
        planned += await this.repo.plan(point.id, config.standard, slots, this.clock.now());
      } catch (err) {
        this.deps.logger.error({ err, pointId: point.id }, 'planning DGA slots failed');
      }
    }
    return planned;
  }

  /** The slots a point owes and has not planned yet, given its required series and its planned range. */
  private owedSlots(config: DgaPointConfig, ranges: TimeRange[], planned: TimeRange): Date[] {
    if (ranges.length === 0 || ranges.some((r) => r.first === null || r.last === null)) return [];
    // A slot needs every required series: from the latest of their first readings to the earliest of their last.
    const dataFrom = Math.max(...ranges.map((r) => r.first!.getTime()));
    const dataUntil = new Date(Math.min(...ranges.map((r) => r.last!.getTime())));
    const startDate = new Date(Math.max(config.startDate.getTime(), dataFrom));
    const now = this.clock.now();
    const common = { startDate, now, maxBackfill: this.maxBackfill[config.standard], tz: this.deps.tz, limit: 5000 };
    // Slots after the planned range, and before it when older data arrived after planning began.
    const slots = dueSlots(config.standard, { ...common, lastReceiptSlot: planned.last, dataUntil });
    if (planned.first && startDate < planned.first) {
      const before = new Date(Math.min(dataUntil.getTime(), planned.first.getTime() - 1));
      slots.unshift(...dueSlots(config.standard, { ...common, dataUntil: before }));
    }
    return slots;
  }

  /** Claims the oldest due row and handles it. Null when nothing is due. */
  async sendNext(): Promise<SendOutcome | null> {
    await this.spacing();
    if (this.stopped) return null;
    const token = randomUUID();
    const row = await this.repo.claim(this.clock.now(), this.leaseMs, this.owner, token);
    if (!row) return null;
    try {
      return await this.handle(row, token);
    } catch (err) {
      this.deps.logger.error({ err, submissionId: row.id }, 'DGA submission failed unexpectedly');
      await this.repo
        .release(row.id, token, {
          status: 'pending',
          nextAttemptAt: new Date(this.clock.now().getTime() + this.dataRetryMs),
          httpStatus: null,
          response: null,
          errorCode: 'DGA_REPORTER_ERROR',
          errorMessage: `reporter error: ${(err as Error).message}`,
        })
        .catch(() => undefined);
      return 'error';
    }
  }

  private async handle(row: SubmissionRow, token: string): Promise<SendOutcome> {
    const point = await this.repo.point(row.point_id);
    const prepared = point ? await this.prepare(point) : { ok: false as const, problems: ['the point no longer exists'] };
    if (!prepared.ok) {
      await this.release(row, token, 'pending', this.later(this.dataRetryMs), 'DGA_CONFIG_INVALID', prepared.problems.join('; '));
      return this.count('config_invalid');
    }
    const { config, vars } = prepared;
    const read = await readSlot({
      load: (variable, from, to) => this.repo.samples(row.point_id, variable, from, to),
      vars,
      standard: config.standard,
      type: config.type,
      slot: row.slot_at,
      tz: this.deps.tz,
      maxSampleAgeMs: this.maxSampleAgeMs,
    });
    if (!read.ok) {
      const next = this.within(row, this.later(this.dataRetryMs));
      const message = `no data to report for this slot: ${read.missing.join('; ')}`;
      await this.release(row, token, next ? 'pending' : 'failed', next, 'DGA_DATA_MISSING', next ? message : `${message} (gave up: past the back-fill limit)`);
      return this.count('data_missing');
    }

    const sentAt = this.clock.now();
    const built = buildDgaRequest({ config, slot: row.slot_at, reading: read.reading, sentAt, tz: this.deps.tz });
    if (!built.ok) {
      const message = built.errors.map((e) => `${e.field}: ${e.message}`).join('; ');
      await this.release(row, token, 'failed', null, 'DGA_READING_INVALID', `the reading cannot be sent: ${message}`);
      return this.count('reading_invalid');
    }
    const request = built.request;
    const stored = { path: request.path, headers: request.headers, body: redactDgaBody(request.body) };
    if (!(await this.repo.markAttempt(row.id, token, { at: sentAt, payload: stored, reading: read.detail }))) {
      return this.count('lease_lost');
    }

    const answer = await this.post(request);
    const outcome = classifyDgaAnswer(answer);
    const httpStatus = answer.kind === 'http' ? answer.status : null;
    const response = answer.kind === 'http' ? answer.body.slice(0, 4000) : null;
    return this.record(row, token, outcome, httpStatus, response, answer);
  }

  private async record(
    row: SubmissionRow,
    token: string,
    outcome: DgaOutcome,
    httpStatus: number | null,
    response: string | null,
    answer: DgaAnswer,
  ): Promise<SendOutcome> {
    const now = this.clock.now();
    const log = this.deps.logger;
    const where = { submissionId: row.id, pointId: row.point_id, slot: row.slot_at.toISOString() };
    switch (outcome.kind) {
      case 'sent':
        await this.repo.markSent(row.id, {
          receipt: outcome.receipt,
          duplicate: outcome.duplicate,
          at: now,
          httpStatus: httpStatus ?? 200,
          response: response ?? '',
        });
        log.info({ ...where, receipt: outcome.receipt, duplicate: outcome.duplicate }, 'DGA reading accepted');
        return this.count(outcome.duplicate ? 'duplicate' : 'sent');
      case 'needs_attention':
        await this.release(row, token, 'needs_attention', null, outcome.code, outcome.message, httpStatus, response);
        log.warn({ ...where, code: outcome.code, message: outcome.message }, 'DGA refused the reading: an operator must act');
        return this.count('needs_attention');
      case 'rejected': {
        const next = this.within(row, nextAttemptAt(outcome, row.attempts + 1, now));
        await this.release(row, token, 'failed', next, 'DGA_REJECTED', outcome.message, httpStatus, response);
        log.warn({ ...where, message: outcome.message, retryAt: next }, 'DGA rejected the reading');
        return this.count('rejected');
      }
      case 'retryable': {
        const next = this.within(row, nextAttemptAt(outcome, row.attempts + 1, now));
        const code = answer.kind === 'timeout' ? 'DGA_TIMEOUT' : answer.kind === 'network' ? 'DGA_UNREACHABLE' : 'DGA_UNAVAILABLE';
        await this.release(row, token, 'failed', next, code, outcome.message, httpStatus, response);
        log.warn({ ...where, code, retryAt: next }, 'DGA unavailable; will retry');
        return this.count('retryable');
      }
    }
  }

  private async post(request: DgaRequest): Promise<DgaAnswer> {
    this.lastRequestAt = performance.now();
    const url = this.deps.dgaApiUrl.replace(/\/+$/, '') + request.path;
    try {
      const res = await this.fetchImpl(url, {
        method: 'POST',
        headers: { ...request.headers },
        body: JSON.stringify(request.body),
        signal: AbortSignal.timeout(this.requestTimeoutMs),
      });
      return { kind: 'http', status: res.status, body: await res.text() };
    } catch (err) {
      const name = (err as Error).name;
      if (name === 'TimeoutError' || name === 'AbortError') return { kind: 'timeout' };
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      return { kind: 'network', message: cause?.code ?? cause?.message ?? (err as Error).message };
    }
  }

  /** Point row → validated config with the decrypted password and its DGA variables, or the problems. */
  private async prepare(point: DgaPointRow): Promise<PreparedConfig> {
    let password: string | null = null;
    const problems: string[] = [];
    if (point.dga_password_enc) {
      try {
        password = this.deps.secrets.decrypt(point.dga_password_enc);
      } catch (err) {
        problems.push((err as Error).message);
      }
    }
    let startDate: Date | null = null;
    if (point.dga_start_date) {
      try {
        startDate = localMidnight(point.dga_start_date, this.deps.tz);
      } catch {
        problems.push(`dga_start_date ${point.dga_start_date} is not a date`);
      }
    }
    const parsed = parseDgaConfig({
      sendEnabled: point.dga_send,
      standard: point.dga_standard,
      type: point.dga_type,
      codigoObra: point.dga_code,
      informanteRut: point.dga_informant_rut,
      informantePassword: password,
      companyRut: point.dga_company_rut,
      startDate,
    });
    if (!parsed.ok) problems.push(...parsed.errors.map((e) => `${e.field}: ${e.message}`));
    if (!parsed.ok || problems.length > 0) return { ok: false, problems };
    let variablesConfig: unknown;
    try {
      variablesConfig = await this.deps.variablesConfig(point.id);
    } catch (err) {
      return { ok: false, problems: [`the point schema cannot be read: ${(err as Error).message}`] };
    }
    const vars = dgaVariables(variablesConfig);
    const varProblems = variableProblems(vars, parsed.config.type, parsed.config.standard);
    if (varProblems.length > 0) return { ok: false, problems: varProblems };
    return { ok: true, config: parsed.config, vars };
  }

  private logProblem(point: DgaPointRow, problems: string[]): void {
    const text = problems.join('; ');
    if (this.loggedProblems.get(point.id) === text) return;
    this.loggedProblems.set(point.id, text);
    this.deps.logger.warn({ pointId: point.id, problems }, 'point has DGA sending on but cannot report');
  }

  private release(
    row: SubmissionRow,
    token: string,
    status: AttemptResult['status'],
    nextAttemptAt: Date | null,
    errorCode: string,
    errorMessage: string,
    httpStatus: number | null = null,
    response: string | null = null,
  ): Promise<boolean> {
    return this.repo.release(row.id, token, { status, nextAttemptAt, httpStatus, response, errorCode, errorMessage });
  }

  private later(ms: number): Date {
    return new Date(this.clock.now().getTime() + ms);
  }

  /** `next` if the slot may still be (re)tried then, null once it is past the back-fill limit. */
  private within(row: SubmissionRow, next: Date | null): Date | null {
    if (!next) return null;
    return next.getTime() <= row.slot_at.getTime() + this.maxBackfill[row.standard] ? next : null;
  }

  private count(outcome: SendOutcome): SendOutcome {
    this.deps.metrics.dgaSubmissions.inc({ outcome });
    return outcome;
  }

  /** Waits until `minSpacingMs` has passed since the previous request (real time, not the injected clock). */
  private async spacing(): Promise<void> {
    const wait = this.lastRequestAt + this.minSpacingMs - performance.now();
    if (wait <= 0 || this.stopped) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, wait);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
    this.wake = null;
  }
}
