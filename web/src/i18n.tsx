import { createContext, useCallback, useContext, useMemo, useState, type ReactNode } from 'react';
import { es, type Messages } from './messages.es.js';
import { en } from './messages.en.js';

export type Lang = 'es-CL' | 'en';
export type MessageKey = keyof Messages;
const DICTIONARIES: Record<Lang, Messages> = { 'es-CL': es, en };
const LANG_KEY = 'smarthydro.lang';

function initialLang(): Lang {
  const saved = localStorage.getItem(LANG_KEY);
  return saved === 'en' || saved === 'es-CL' ? saved : 'es-CL';
}

/** Formats a point in time as Chile writes it, `02-12-2026 14:00`, on the wall clock of `timeZone`. */
export function formatDateTime(iso: string | Date, timeZone: string, withSeconds = false): string {
  const d = typeof iso === 'string' ? new Date(iso) : iso;
  if (Number.isNaN(d.getTime())) return '—';
  const parts = new Intl.DateTimeFormat('en-GB', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: withSeconds ? '2-digit' : undefined,
    hourCycle: 'h23',
  }).formatToParts(d);
  const p = (t: Intl.DateTimeFormatPartTypes) => parts.find((x) => x.type === t)?.value ?? '';
  return `${p('day')}-${p('month')}-${p('year')} ${p('hour')}:${p('minute')}${withSeconds ? `:${p('second')}` : ''}`;
}

/** `02-12-2026` for a day, `12-2026` for a month, on the wall clock of `timeZone`. */
export function formatDay(iso: string, timeZone: string, month = false): string {
  return formatDateTime(iso, timeZone).slice(month ? 3 : 0, 10);
}

/** The zone as people read it: `UTC−4 (Etc/GMT+4)`, `UTC−3 (America/Santiago)`. */
export function describeZone(timeZone: string, at = new Date()): string {
  const name = new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'shortOffset' }).formatToParts(at).find((p) => p.type === 'timeZoneName')?.value;
  return `${(name ?? timeZone).replace('GMT', 'UTC').replace('-', '−')} (${timeZone})`;
}

export interface I18n {
  lang: Lang;
  setLang(lang: Lang): void;
  t(key: MessageKey, vars?: Record<string, string | number>): string;
  /** `15,31` in Spanish, `15.31` in English; null is a dash. */
  num(value: number | null | undefined, digits?: number): string;
  /** A number with its unit: `15,31 L/s`. */
  qty(value: number | null | undefined, unit: string, digits?: number): string;
  /** How long ago: `hace 5 min` / `5 min ago`. */
  age(iso: string, now?: number): string;
}

const I18nContext = createContext<I18n | null>(null);

export function I18nProvider({ children }: { children: ReactNode }) {
  const [lang, setLangState] = useState<Lang>(initialLang);
  const setLang = useCallback((l: Lang) => {
    localStorage.setItem(LANG_KEY, l);
    document.documentElement.lang = l;
    setLangState(l);
  }, []);
  const value = useMemo<I18n>(() => {
    const dict = DICTIONARIES[lang];
    const formats = new Map<number, Intl.NumberFormat>();
    const num = (v: number | null | undefined, digits = 2) => {
      if (v === null || v === undefined || !Number.isFinite(v)) return '—';
      let f = formats.get(digits);
      if (!f) formats.set(digits, (f = new Intl.NumberFormat(lang, { minimumFractionDigits: 0, maximumFractionDigits: digits })));
      return f.format(v);
    };
    const t: I18n['t'] = (key, vars) => dict[key].replace(/\{(\w+)\}/g, (_, k: string) => String(vars?.[k] ?? `{${k}}`));
    return {
      lang,
      setLang,
      t,
      num,
      qty: (v, unit, digits) => (v === null || v === undefined ? '—' : `${num(v, digits)} ${unit}`),
      age: (iso, now = Date.now()) => {
        const s = Math.max(0, Math.round((now - new Date(iso).getTime()) / 1000));
        const amount = s < 90 ? t('age.seconds', { n: s }) : s < 5400 ? t('age.minutes', { n: Math.round(s / 60) }) : s < 172_800 ? t('age.hours', { n: Math.round(s / 3600) }) : t('age.days', { n: Math.round(s / 86_400) });
        return t('age.ago', { amount });
      },
    };
  }, [lang, setLang]);
  return <I18nContext.Provider value={value}>{children}</I18nContext.Provider>;
}

export function useI18n(): I18n {
  const v = useContext(I18nContext);
  if (!v) throw new Error('useI18n outside I18nProvider');
  return v;
}
