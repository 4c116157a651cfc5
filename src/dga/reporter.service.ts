/**
 * The DGA reporter: plans the slots each point owes, and sends them one at a time, oldest first,
 * at least `minSpacingMs` apart, recording every attempt and DGA's answer in `dga_submissions`.
 *
 * Never twice after a receipt: a row is only sent after an atomic claim (status 'sending' with a lease
 * token) that excludes rows with a receipt, and the receipt is the row's own column (CHECK: sent ⇔
 * receipt). Once DGA answered, the row never goes back to the queue by a failure of ours: the receipt is
 * logged at once and its write retried under the lease. Crash between send and record: the lease
 * expires, the slot is sent again, and DGA answers "Ya existe … Comprobante: X", which stores X.
 *
 * Spacing: two requests are at least `minSpacingMs` apart, counted from the end of the previous exchange
 * (so the earlier request has certainly arrived), per reporter and, through a shared claim in the
 * database, per informante RUT across every reporter.
 *
 * Missing data is never replaced by made-up numbers: the row stays pending with DGA_DATA_MISSING and
 * is tried again every `dataRetryMs` (late data may still be collected) until the slot is older than
 * the back-fill limit, then it becomes failed (no automatic retry; an operator can retry it).
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { systemClock, type Clock } from '../lib/clock.js';
import { MINUTE_MS } from '../lib/time.js';
import type { DgaExchange } from './dga.client.js';
import { buildDgaRequest, dgaLabel, redactDgaBody } from './payload.js';
import { preparePoint } from './point-config.js';
import { nextAttemptAt } from './response.js';
import { dgaVariables, readSlot, type DgaVariables, type SlotReadingResult } from './slot-reading.js';
import { combineWorkReading } from './work.js';
import { SlotPlanner } from './slot.planner.js';
import { ReporterPacing } from './reporter.pacing.js';
import { DEFAULT_MAX_BACKFILL_MS } from './slots.js';
import type { DgaStandard } from './types.js';
import {
  DEFAULT_MIN_SPACING_MS, DEFAULT_RECEIPT_RETRY_MS, type DgaReporterDeps, type DgaReporterTuning, type SendOutcome, type TickResult,
} from './reporter.types.js';
import type { AttemptResult, SubmissionRepository, SubmissionRow } from './submission.repository.js';

export {
  DEFAULT_MIN_SPACING_MS, type DgaReporterDeps, type DgaReporterOptions, type DgaReporterTuning, type SendOutcome, type TickResult,
} from './reporter.types.js';

export class DgaReporter {
  readonly owner: string;
  private readonly repo: SubmissionRepository;
  private readonly planner: SlotPlanner;
  private readonly clock: Clock;
  private readonly minSpacingMs: number;
  private readonly leaseMs: number;
  private readonly maxBackfill: Record<DgaStandard, number>;
  private readonly maxSampleAgeMs: number | undefined;
  private readonly dataRetryMs: number;
  private readonly maxSendMs: number;
  private readonly receiptRetryMs: readonly number[];
  /** performance.now() when the previous exchange with DGA ended. */
  private readonly pacing: ReporterPacing;

  constructor(
    private readonly deps: DgaReporterDeps,
    opts: DgaReporterTuning = {},
  ) {
    this.repo = deps.submissions;
    this.owner = opts.owner ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
    this.clock = opts.clock ?? systemClock;
    this.minSpacingMs = opts.minSpacingMs ?? DEFAULT_MIN_SPACING_MS;
    this.pacing = new ReporterPacing(
      { pacing: deps.pacing, logger: deps.logger },
      this.minSpacingMs,
      deps.client.requestTimeoutMs + this.minSpacingMs + MINUTE_MS,
    );
    this.leaseMs = opts.leaseMs ?? 5 * MINUTE_MS;
    this.maxBackfill = { ...DEFAULT_MAX_BACKFILL_MS, ...opts.maxBackfillMs };
    this.maxSampleAgeMs = opts.maxSampleAgeMs;
    this.dataRetryMs = opts.dataRetryMs ?? 15 * MINUTE_MS;
    this.maxSendMs = opts.maxSendMs ?? MINUTE_MS;
    this.receiptRetryMs = opts.receiptRetryMs ?? DEFAULT_RECEIPT_RETRY_MS;
    this.planner = new SlotPlanner({
      points: deps.points,
      submissions: deps.submissions,
      config: deps.config,
      logger: deps.logger,
      clock: this.clock,
      maxBackfill: this.maxBackfill,
    });
  }

  /** Plans new slots for every reporting point, then sends due rows until none is left or time is up. */
  async tick(): Promise<TickResult> {
    const planned = await this.planAll();
    const outcomes: SendOutcome[] = [];
    const started = performance.now();
    while (!this.pacing.stopped) {
      if (performance.now() - started > this.maxSendMs) return { planned, outcomes, more: true };
      const outcome = await this.sendNext();
      if (outcome === null) return { planned, outcomes, more: false };
      outcomes.push(outcome);
    }
    return { planned, outcomes, more: true };
  }

  /** Makes a running tick return after its current request; pending sleeps end at once. */
  stop(): void {
    this.pacing.stop();
  }

  /** Creates pending rows for the slots each point owes now (see SlotPlanner). Returns how many. */
  planAll(): Promise<number> {
    return this.planner.planAll(() => this.pacing.stopped);
  }

  /** Claims the oldest due row and handles it. Null when nothing is due. */
  async sendNext(): Promise<SendOutcome | null> {
    await this.pacing.spacing();
    if (this.pacing.stopped) return null;
    const token = randomUUID();
    const row = await this.repo.claim(this.clock.now(), this.leaseMs, this.owner, token);
    if (!row) return null;
    try {
      return await this.handle(row, token);
    } catch (err) {
      if (err instanceof AnsweredError) {
        // DGA has the reading: the row keeps its lease and is never queued again by us.
        this.deps.logger.error({ err: err.cause, submissionId: row.id }, 'DGA answered but the answer could not be recorded');
        return 'error';
      }
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
    const point = await this.deps.points.point(row.point_id);
    const prepared = point ? await preparePoint(point, this.deps.config) : { ok: false as const, problems: ['the point no longer exists'] };
    if (!prepared.ok) {
      await this.release(row, token, 'pending', this.later(this.dataRetryMs), 'DGA_CONFIG_INVALID', prepared.problems.join('; '));
      return this.count('config_invalid');
    }
    const { config, vars } = prepared;
    const label = dgaLabel(row.slot_at, this.deps.config.tz);
    const earlier = await this.repo.receiptedLabel(config.codigoObra, label.fechaMedicion, label.horaMedicion);
    if (earlier) {
      // DGA already holds a reading under this label (e.g. the legacy system's, labelled in its own zone).
      await this.repo.markSent(row.id, {
        receipt: earlier.receipt, duplicate: true, at: this.clock.now(), httpStatus: 0,
        response: `not sent: ${config.codigoObra} ${label.fechaMedicion} ${label.horaMedicion} was receipted before (${earlier.source}, receipt ${earlier.receipt})`,
      });
      return this.count('already_receipted');
    }
    const own = await readSlot({
      load: (variable, from, to) => this.deps.points.samples(row.point_id, variable, from, to),
      vars,
      standard: config.standard,
      type: config.type,
      slot: row.slot_at,
      tz: this.deps.config.tz,
      maxSampleAgeMs: this.maxSampleAgeMs,
    });
    const members = await this.deps.points.workMembers(row.point_id);
    const read = combineWorkReading(
      { pointId: row.point_id, result: own },
      await Promise.all(members.map(async (pointId) => ({ pointId, result: await this.readMember(pointId, row, config.standard) }))),
    );
    if (!read.ok) {
      const next = this.within(row, this.later(this.dataRetryMs));
      const message = `no data to report for this slot: ${read.missing.join('; ')}`;
      await this.release(row, token, next ? 'pending' : 'failed', next, 'DGA_DATA_MISSING', next ? message : `${message} (gave up: past the back-fill limit)`);
      return this.count('data_missing');
    }

    const rut = config.informanteRut;
    if (!(await this.pacing.takeInformant(rut, token))) {
      await this.repo.release(row.id, token, {
        status: row.status === 'failed' ? 'failed' : 'pending',
        nextAttemptAt: row.next_attempt_at ?? this.clock.now(),
        httpStatus: null,
        response: null,
        errorCode: row.error_code,
        errorMessage: row.error_message,
      });
      return this.count('stopped');
    }
    let exchange: DgaExchange | null = null;
    try {
      const sentAt = this.clock.now();
      const built = buildDgaRequest({ config, slot: row.slot_at, reading: read.reading, sentAt, tz: this.deps.config.tz });
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
      exchange = await this.deps.client.send(request);
    } finally {
      await this.pacing.released(rut, token, exchange !== null, row.id);
    }
    try {
      return await this.record(row, token, exchange);
    } catch (err) {
      throw new AnsweredError(err);
    }
  }

  /** A member meter's caudal and totalizador for the slot (the level comes from the work's own point). */
  private async readMember(pointId: number, row: SubmissionRow, standard: DgaStandard): Promise<SlotReadingResult> {
    let vars: DgaVariables;
    try {
      vars = dgaVariables(await this.deps.config.variables(pointId));
    } catch (err) {
      return { ok: false, missing: [`the point schema cannot be read: ${(err as Error).message}`] };
    }
    return readSlot({
      load: (variable, from, to) => this.deps.points.samples(pointId, variable, from, to),
      vars: { ...vars, level: null },
      standard,
      // Read as a surface meter: no water table is asked of a member.
      type: 'SUPERFICIAL',
      slot: row.slot_at,
      tz: this.deps.config.tz,
      maxSampleAgeMs: this.maxSampleAgeMs,
    });
  }

  /** Stores what DGA's answer means for the row: its receipt, or why not and when to try again. */
  private async record(row: SubmissionRow, token: string, exchange: DgaExchange): Promise<SendOutcome> {
    const { outcome, httpStatus, response } = exchange;
    const now = this.clock.now();
    const log = this.deps.logger;
    const where = { submissionId: row.id, pointId: row.point_id, slot: row.slot_at.toISOString() };
    switch (outcome.kind) {
      case 'sent': {
        // Logged before it is written: if the database fails for good, the receipt is still on record.
        log.info({ ...where, receipt: outcome.receipt, duplicate: outcome.duplicate }, 'DGA reading accepted');
        const receipt = { receipt: outcome.receipt, duplicate: outcome.duplicate, at: now, httpStatus: httpStatus ?? 200, response: response ?? '' };
        await this.persistReceipt(row, token, () => this.repo.markSent(row.id, receipt), where);
        return this.count(outcome.duplicate ? 'duplicate' : 'sent');
      }
      case 'needs_attention':
        // E.g. accepted without a readable receipt: it must not go back to the queue either.
        await this.persistReceipt(
          row, token,
          () => this.release(row, token, 'needs_attention', null, outcome.code, outcome.message, httpStatus, response),
          where,
        );
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
        const code = exchange.retryCode;
        await this.release(row, token, 'failed', next, code, outcome.message, httpStatus, response);
        log.warn({ ...where, code, retryAt: next }, 'DGA unavailable; will retry');
        return this.count('retryable');
      }
    }
  }

  /**
   * Writes what DGA answered, retrying while the database fails; the lease is extended meanwhile so no
   * other reporter takes the row and sends it again. Throws only when every try failed.
   */
  private async persistReceipt(row: SubmissionRow, token: string, write: () => Promise<unknown>, where: object): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await write();
        return;
      } catch (err) {
        const pause = this.receiptRetryMs[attempt];
        if (pause === undefined) throw err;
        this.deps.logger.warn({ ...where, err, attempt: attempt + 1 }, 'could not record DGA answer; trying again');
        await this.repo.extendLease(row.id, token, this.later(this.leaseMs)).catch(() => undefined);
        await delay(pause);
      }
    }
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
}

/** A failure after DGA answered: the row must not be queued again. */
class AnsweredError extends Error {
  constructor(cause: unknown) {
    super('DGA answered but the answer could not be recorded', { cause });
  }
}

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
