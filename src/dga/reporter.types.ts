/** What a DGA reporter is built from and tuned with, and what it reports back. */
import type { Logger } from '../infra/logger.js';
import type { Metrics } from '../infra/metrics.js';
import type { Clock } from '../lib/clock.js';
import type { DgaClient, DgaClientOptions } from './dga.client.js';
import type { DgaPointRepository } from './dga-point.repository.js';
import type { InformantPacingRepository } from './informant-pacing.repository.js';
import type { PointConfigSources } from './point-config.js';
import type { SubmissionRepository } from './submission.repository.js';
import type { DgaStandard } from './types.js';

export interface DgaReporterDeps {
  submissions: SubmissionRepository;
  points: DgaPointRepository;
  /** The per-informante-RUT spacing shared by every reporter. */
  pacing: InformantPacingRepository;
  client: DgaClient;
  /** Where a point's settings, variables and password come from. */
  config: PointConfigSources;
  logger: Logger;
  metrics: Metrics;
}

export interface DgaReporterTuning {
  /** Name in `leased_by`; default host:pid:random. */
  owner?: string;
  clock?: Clock;
  /**
   * Least time between two requests to DGA, from the end of one exchange to the start of the next, from
   * this reporter and, across reporters, for one informante RUT. Default 1000: DGA asks for at least 1 s.
   */
  minSpacingMs?: number;
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
  /** Pauses between tries to store a receipt DGA gave while the database fails. Default 0.2 s doubling to 5 s, 10 tries. */
  receiptRetryMs?: readonly number[];
}

/** Everything a reporter can be tuned with, its DGA client's `fetch` and request timeout included. */
export type DgaReporterOptions = DgaReporterTuning & Pick<DgaClientOptions, 'fetch' | 'requestTimeoutMs'>;

export const DEFAULT_MIN_SPACING_MS = 1000;
export const DEFAULT_RECEIPT_RETRY_MS = [200, 400, 800, 1600, 3200, 5000, 5000, 5000, 5000, 5000];

export type SendOutcome =
  | 'sent'
  | 'duplicate'
  | 'needs_attention'
  | 'rejected'
  | 'retryable'
  | 'data_missing'
  | 'config_invalid'
  | 'reading_invalid'
  /** The (código de obra, fecha, hora) was receipted before (by the legacy system or another slot): not sent again. */
  | 'already_receipted'
  | 'lease_lost'
  | 'stopped'
  | 'error';

export interface TickResult {
  planned: number;
  outcomes: SendOutcome[];
  /** True when the tick stopped with due rows left (time budget or stop). */
  more: boolean;
}
