/** What the DGA simulator remembers: informantes, accepted slots and their receipts, every request, faults to inject. */
import { randomBytes } from 'node:crypto';
import { normalizeRut } from '../registry/rut.js';
import type { DgaStandard } from './types.js';

export interface DgaSimAnswer {
  status: string;
  message: string;
  data?: { numeroComprobante: string };
}

export interface ReceivedDgaRequest {
  seq: number;
  receivedAt: string;
  path: string;
  codigoObra: string | null;
  headers: Record<string, string>;
  /** Parsed JSON, or the raw text when it was not JSON. */
  body: unknown;
  response: { statusCode: number; body: DgaSimAnswer } | null;
}

export interface Informante {
  rutUsuario: string;
  password: string;
  /** When known, a well not under CAUDALES_MUY_PEQUENOS must send nivelFreaticoDelPozo. */
  standard?: DgaStandard;
}

export interface DgaSimFaults {
  /** Answer HTTP 500 to the next N measurement requests. */
  serverErrors: number;
  /** Leave the next N measurement requests unanswered for `timeoutMs`. */
  timeouts: number;
  timeoutMs: number;
  /** Obras whose requests get HTTP 401 (credentials refused). */
  authErrorObras: Set<string>;
}

export const DEFAULT_SIM_PASSWORD = 'demo';
const RECEIPT_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

const noFaults = (): DgaSimFaults => ({ serverErrors: 0, timeouts: 0, timeoutMs: 30_000, authErrorObras: new Set() });

/** Everything the simulator remembers; shareable between the HTTP app and the code that started it. */
export class DgaSimulatorState {
  readonly received: ReceivedDgaRequest[] = [];
  faults: DgaSimFaults = noFaults();
  private readonly informantes = new Map<string, Informante>();
  /** obra|fecha|hora → receipt of the first accepted send. */
  private readonly accepted = new Map<string, string>();
  private readonly receipts = new Set<string>();
  private readonly pendingHangs = new Set<() => void>();

  registerInformante(codigoObra: string, informante: Informante): void {
    this.informantes.set(codigoObra, { ...informante, rutUsuario: normalizeRut(informante.rutUsuario) ?? informante.rutUsuario });
  }

  informanteOf(codigoObra: string): Informante | undefined {
    return this.informantes.get(codigoObra);
  }

  receivedFor(codigoObra?: string): ReceivedDgaRequest[] {
    return codigoObra ? this.received.filter((r) => r.codigoObra === codigoObra) : [...this.received];
  }

  receiptFor(codigoObra: string, fecha: string, hora: string): string | undefined {
    return this.accepted.get(`${codigoObra}|${fecha}|${hora}`);
  }

  accept(codigoObra: string, fecha: string, hora: string): string {
    let receipt: string;
    do {
      receipt = Array.from(randomBytes(32), (b) => RECEIPT_ALPHABET[b % RECEIPT_ALPHABET.length]).join('');
    } while (this.receipts.has(receipt));
    this.receipts.add(receipt);
    this.accepted.set(`${codigoObra}|${fecha}|${hora}`, receipt);
    return receipt;
  }

  /** Resolves after `ms`, or at once when the simulator closes. */
  hang(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const release = (): void => {
        clearTimeout(timer);
        this.pendingHangs.delete(release);
        resolve();
      };
      const timer = setTimeout(release, ms);
      this.pendingHangs.add(release);
    });
  }

  releaseHangs(): void {
    for (const release of [...this.pendingHangs]) release();
  }

  clearFaults(): void {
    this.faults = noFaults();
  }

  reset(): void {
    this.received.length = 0;
    this.clearFaults();
    this.informantes.clear();
    this.accepted.clear();
    this.receipts.clear();
  }
}
