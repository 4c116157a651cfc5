/**
 * Form parts the registry screens share: a labelled field that shows the API's problem+json message
 * beside the input it names, and the state of a form's last answer.
 */
import { useCallback, useId, useState, type ReactNode } from 'react';
import { ApiError } from '../../api.js';
import { useI18n } from '../../i18n.js';
import type { Loaded } from '../../useApi.js';
import { ErrorNote } from '../parts.js';

/** What the server said about the last submit: the field it names (problem+json `field`) and why. */
export interface FormProblem {
  field: string | null;
  detail: string;
  /** The API's own message (English), rather than one of the form's. */
  fromServer?: boolean;
}

/** A problem found before sending (text that is not JSON), shown beside its field like the server's. */
export class FieldProblem extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

export function problemOf(err: unknown): FormProblem {
  if (err instanceof FieldProblem) return { field: err.field, detail: err.message };
  if (err instanceof ApiError) {
    const field = typeof err.problem?.field === 'string' && err.problem.field !== '' ? err.problem.field : null;
    return { field, detail: err.detail, fromServer: true };
  }
  return { field: null, detail: err instanceof Error ? err.message : String(err) };
}

/** The message for one field: the problem names it, or a part of it (`readings[0].ts` belongs to `readings`). */
export function fieldMessage(problem: FormProblem | null, name: string): string | null {
  if (!problem?.field) return null;
  const f = problem.field.replace(/^body\./, '');
  return f === name || f.startsWith(`${name}.`) || f.startsWith(`${name}[`) ? problem.detail : null;
}

/** Runs a submit, keeping the problem (or the success) for the form to show. */
export function useSubmit() {
  const [problem, setProblem] = useState<FormProblem | null>(null);
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState(false);
  const run = useCallback(async (action: () => Promise<void>) => {
    setBusy(true);
    setProblem(null);
    setDone(false);
    try {
      await action();
      setDone(true);
    } catch (err) {
      setProblem(problemOf(err));
    } finally {
      setBusy(false);
    }
  }, []);
  const reset = useCallback(() => {
    setProblem(null);
    setDone(false);
  }, []);
  return { problem, busy, done, run, reset };
}

/** A problem no field of the form claims: shown above the buttons. */
export function FormError({ problem, fields }: { problem: FormProblem | null; fields: readonly string[] }) {
  const { t } = useI18n();
  if (!problem || fields.some((f) => fieldMessage(problem, f) !== null)) return null;
  return (
    <p role="alert" className="error">
      {problem.fromServer ? (
        <>
          {t('app.error', { detail: '' })}
          <ServerMessage text={problem.detail} />
        </>
      ) : (
        t('app.error', { detail: problem.detail })
      )}
    </p>
  );
}

interface FieldProps {
  label: string;
  /** The API's field name: the problem naming it is shown beside this input. */
  name: string;
  problem: FormProblem | null;
  hint?: string;
  children: (a11y: { id: string; name: string; 'aria-invalid': boolean; 'aria-describedby'?: string }) => ReactNode;
}

/** A label, the input (given ids to tie them together) and the server's message about this field. */
export function Field({ label, name, problem, hint, children }: FieldProps) {
  const id = useId();
  const message = fieldMessage(problem, name);
  const described = [hint ? `${id}-hint` : null, message ? `${id}-error` : null].filter(Boolean).join(' ');
  return (
    <div className={`field${message ? ' invalid' : ''}`}>
      <label htmlFor={id}>{label}</label>
      {children({ id, name, 'aria-invalid': message !== null, ...(described ? { 'aria-describedby': described } : {}) })}
      {hint && (
        <small id={`${id}-hint`} className="muted">
          {hint}
        </small>
      )}
      {message && (
        <small id={`${id}-error`} className="field-error" role="alert" data-field-error={name}>
          {problem?.fromServer ? <ServerMessage text={message} /> : message}
        </small>
      )}
    </div>
  );
}

/**
 * The server's message (its API speaks English): in Spanish, led by a Spanish sentence and marked as
 * English so a screen reader pronounces it as such.
 */
export function ServerMessage({ text }: { text: string }) {
  const { t, lang } = useI18n();
  if (lang === 'en') return <>{text}</>;
  return (
    <>
      {t('app.serverSaid')}: <span lang="en">{text}</span>
    </>
  );
}

/** '' → null, otherwise the trimmed text. */
export const textOrNull = (s: string) => (s.trim() === '' ? null : s.trim());

/**
 * '' → null; a number typed with a decimal comma (`15,31`) or point. Text that is no number is sent as
 * typed, so the server's message names the field (JSON would turn NaN into null and clear it silently).
 */
export function numberOrNull(s: string): number | string | null {
  const v = s.trim().replace(',', '.');
  if (v === '') return null;
  const n = Number(v);
  return Number.isFinite(n) ? n : s;
}

/** A number as a form shows it: empty for null. */
export const numberText = (n: number | null | undefined) => (n === null || n === undefined ? '' : String(n));

/** The end of a registry form: the problem the server named outside any field, then save and cancel. */
export function FormFooter(props: { problem: FormProblem | null; fields: readonly string[]; busy: boolean; onCancel: () => void }) {
  const { t } = useI18n();
  return (
    <>
      <FormError problem={props.problem} fields={props.fields} />
      <div className="toolbar">
        <button type="submit" disabled={props.busy}>
          {t('registry.save')}
        </button>
        <button type="button" className="secondary" onClick={props.onCancel}>
          {t('registry.cancel')}
        </button>
      </div>
    </>
  );
}

/** A registry list while it loads or when loading failed (with a retry). */
export function ListStatus({ list }: { list: Loaded<unknown> }) {
  const { t } = useI18n();
  return (
    <>
      {list.error && <ErrorNote error={list.error} retry={list.reload} />}
      {list.loading && !list.data && <p className="loading">{t('app.loading')}</p>}
    </>
  );
}
