/**
 * Fault injection for the provider simulator. Request faults (500, 429, timeout) replace the whole
 * answer; data faults (gap, negative, string_values) change the readings served.
 */
import type { ProviderName } from '../provider.js';
import type { TimeWindow } from './series.js';

export const REQUEST_FAULTS = ['http_500', 'http_429', 'timeout'] as const;
export const DATA_FAULTS = ['gap', 'negative', 'string_values'] as const;
export type RequestFaultType = (typeof REQUEST_FAULTS)[number];
export type DataFaultType = (typeof DATA_FAULTS)[number];
export type FaultType = RequestFaultType | DataFaultType;

export interface FaultSpec {
  type: FaultType;
  /** Omitted or `*`: every provider. */
  provider?: ProviderName | '*';
  /** Device id (Twin) or token (Nettra, Novus). Omitted: every device, and Twin login too. */
  device?: string;
  /** Data faults only: channels affected (default all). */
  channels?: string[];
  /** Requests the fault applies to; omitted: until cleared. */
  count?: number;
  /** http_429: Retry-After seconds (default 1). */
  retryAfterSeconds?: number;
  /** timeout: how long to hang before answering 504 (default 30 s). */
  hangMs?: number;
  /** Data faults: window of reading times affected (ISO), default all time. */
  from?: string;
  to?: string;
  /** negative: status codes served instead of values, cycled (default [-1, -3]). */
  codes?: number[];
  /** negative / string_values: affect every n-th reading only (default 1 = all). */
  every?: number;
}

export interface ActiveFault extends FaultSpec {
  id: number;
  remaining: number | null;
  window: TimeWindow;
}

/** A fault as the control API shows it. */
export type PublicFault = Omit<ActiveFault, 'window'>;

function toPublic({ window: _window, ...fault }: ActiveFault): PublicFault {
  return { ...fault };
}

export interface RequestTarget {
  provider: ProviderName;
  /** Undefined for requests that are not about one device (Twin login). */
  device?: string;
}

export class FaultStore {
  #nextId = 1;
  #faults: ActiveFault[] = [];
  readonly applied: Record<FaultType, number> = {
    http_500: 0,
    http_429: 0,
    timeout: 0,
    gap: 0,
    negative: 0,
    string_values: 0,
  };

  add(spec: FaultSpec): PublicFault {
    const fault: ActiveFault = {
      ...spec,
      id: this.#nextId++,
      remaining: spec.count ?? null,
      window: {
        fromMs: spec.from ? Date.parse(spec.from) : Number.MIN_SAFE_INTEGER,
        toMs: spec.to ? Date.parse(spec.to) : Number.MAX_SAFE_INTEGER,
      },
    };
    this.#faults.push(fault);
    return toPublic(fault);
  }

  list(): PublicFault[] {
    return this.#faults.map(toPublic);
  }

  /** Removes matching faults (all when no filter); returns how many. */
  clear(filter: { provider?: string; device?: string } = {}): number {
    const before = this.#faults.length;
    this.#faults = this.#faults.filter(
      (f) =>
        (filter.provider !== undefined && (f.provider ?? '*') !== filter.provider) ||
        (filter.device !== undefined && f.device !== filter.device),
    );
    return before - this.#faults.length;
  }

  /** The first request fault that applies, consuming one of its uses. */
  takeRequestFault(target: RequestTarget): ActiveFault | undefined {
    const fault = this.#faults.find((f) => isRequestFault(f.type) && matches(f, target));
    if (fault) this.#consume(fault);
    return fault;
  }

  /** Every data fault that applies to this request, each consuming one use. */
  takeDataFaults(target: RequestTarget): ActiveFault[] {
    const faults = this.#faults.filter((f) => !isRequestFault(f.type) && target.device !== undefined && matches(f, target));
    for (const fault of faults) this.#consume(fault);
    return faults;
  }

  #consume(fault: ActiveFault): void {
    this.applied[fault.type]++;
    if (fault.remaining === null) return;
    fault.remaining--;
    if (fault.remaining <= 0) this.#faults = this.#faults.filter((f) => f !== fault);
  }
}

function isRequestFault(type: FaultType): type is RequestFaultType {
  return (REQUEST_FAULTS as readonly string[]).includes(type);
}

function matches(fault: ActiveFault, target: RequestTarget): boolean {
  if (fault.provider && fault.provider !== '*' && fault.provider !== target.provider) return false;
  if (fault.device !== undefined && fault.device !== target.device) return false;
  return true;
}

function affectsChannel(fault: ActiveFault, channel: string): boolean {
  return !fault.channels || fault.channels.includes(channel);
}

/** Gap windows of the given faults for one channel. */
export function gapWindows(faults: readonly ActiveFault[], channel: string): TimeWindow[] {
  return faults.filter((f) => f.type === 'gap' && affectsChannel(f, channel)).map((f) => f.window);
}

/**
 * The value served for one reading once negative and string faults are applied. `index` is the
 * reading's position on the device's time grid, so the choice is deterministic.
 */
export function applyValueFaults(
  faults: readonly ActiveFault[],
  channel: string,
  tsMs: number,
  index: number,
  value: number,
): number | string {
  let served: number | string = value;
  for (const fault of faults) {
    if (!affectsChannel(fault, channel) || tsMs < fault.window.fromMs || tsMs > fault.window.toMs) continue;
    if (index % Math.max(1, fault.every ?? 1) !== 0) continue;
    if (fault.type === 'negative') {
      const codes = fault.codes && fault.codes.length > 0 ? fault.codes : [-1, -3];
      served = codes[Math.abs(index) % codes.length] ?? -1;
    }
  }
  for (const fault of faults) {
    if (fault.type !== 'string_values' || !affectsChannel(fault, channel)) continue;
    if (tsMs < fault.window.fromMs || tsMs > fault.window.toMs) continue;
    if (index % Math.max(1, fault.every ?? 1) !== 0) continue;
    served = String(served);
  }
  return served;
}
