import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import {
  csvValue, CsvHeaderError, detectDelimiter, detectLayout, importCsv, parseCsvTimestamp, readRecord, type RawReading,
  type RecordContext,
} from './csv.import.js';

const SANTIAGO = 'America/Santiago';
const VARIABLES = new Set(['caudal', 'totalizador', 'nivel']);

describe('detectDelimiter', () => {
  it.each([
    ['timestamp,variable,value', ','],
    ['timestamp;variable;value', ';'],
    ['timestamp;caudal;totalizador;nivel', ';'],
    ['"a;b",c,d', ','],
    ['timestamp', ','],
  ])('%s → %s', (line, expected) => expect(detectDelimiter(line)).toBe(expected));
});

describe('detectLayout', () => {
  it.each([
    [['timestamp', 'variable', 'value'], { kind: 'long' }],
    [['\uFEFFTimestamp', 'Variable', 'VALUE'], { kind: 'long' }],
    [['timestamp', 'caudal', 'totalizador', 'nivel'], { kind: 'wide', columns: ['caudal', 'totalizador', 'nivel'] }],
    [['fecha', ' caudal '], { kind: 'wide', columns: ['caudal'] }],
  ])('%j', (header, expected) => expect(detectLayout(header)).toEqual(expected));

  it.each([
    [[''], /empty/],
    [['caudal', 'timestamp'], /first column of the header must be "timestamp"/],
    [['timestamp'], /only a timestamp column/],
    [['timestamp', 'caudal', 'caudal'], /"caudal" appears twice/],
    [['timestamp', 'caudal', ''], /column 3 of the header is empty/],
  ])('refuses %j', (header, message) => {
    expect(() => detectLayout(header)).toThrow(CsvHeaderError);
    expect(() => detectLayout(header)).toThrow(message);
  });
});

describe('parseCsvTimestamp', () => {
  it.each([
    ['2026-12-01T10:00:00Z', '2026-12-01T10:00:00.000Z'],
    ['2026-12-01T10:00:00-03:00', '2026-12-01T13:00:00.000Z'],
    ['2026-12-01 10:00:00+0100', '2026-12-01T09:00:00.000Z'],
    ['2026-12-01T10:00:00.25z', '2026-12-01T10:00:00.250Z'],
    // naive: wall-clock time in Santiago (UTC−3 in summer, UTC−4 in winter)
    ['2026-12-01 10:00', '2026-12-01T13:00:00.000Z'],
    ['2026-07-01T10:00:00', '2026-07-01T14:00:00.000Z'],
    ['01/07/2026 10:00', '2026-07-01T14:00:00.000Z'],
    ['2026-07-01', '2026-07-01T04:00:00.000Z'],
  ])('%s → %s', (text, iso) => {
    const r = parseCsvTimestamp(text, SANTIAGO);
    expect(r instanceof Date ? r.toISOString() : r).toBe(iso);
  });

  it('reads naive times in the zone it is given', () => {
    expect((parseCsvTimestamp('2026-07-01 10:00', 'UTC') as Date).toISOString()).toBe('2026-07-01T10:00:00.000Z');
  });

  it.each([
    ['yesterday', /not ISO 8601/],
    ['2026-02-30 10:00', /not a valid calendar date-time/],
    ['2026-12-01 24:00', /not a valid calendar date-time/],
    ['2026-12-01T10:00:00+19:00', /offset beyond/],
    // Santiago: clocks go back at 2026-04-05 00:00 (23:00–23:59 on the 4th happens twice) and forward at 2026-09-06 00:00.
    ['2026-04-04 23:30', /happened twice in America\/Santiago/],
    ['2026-09-06 00:30', /does not exist in America\/Santiago/],
  ])('%s is refused', (text, reason) => {
    const r = parseCsvTimestamp(text, SANTIAGO);
    expect(r).not.toBeInstanceOf(Date);
    expect((r as { reason: string }).reason).toMatch(reason);
  });

  it('a repeated local time is accepted with its offset', () => {
    expect((parseCsvTimestamp('2026-04-04 23:30-04:00', SANTIAGO) as Date).toISOString()).toBe('2026-04-05T03:30:00.000Z');
  });
});

describe('csvValue', () => {
  it.each([
    ['917.5', ',', { raw: 917.5 }],
    ['917,5', ';', { raw: 917.5 }],
    [' -3 ', ';', { raw: -3 }],
    ['1e3', ',', { raw: 1000 }],
    ['true', ',', { raw: 'true' }],
    ['pump on', ';', { raw: 'pump on' }],
    ['', ',', null],
  ] as const)('%j with "%s" → %j', (text, delimiter, expected) => expect(csvValue(text, delimiter)).toEqual(expected));

  it.each([
    ['917,5', ',', /comma in a comma-separated file/],
    ['1.234,5', ';', /not a number/],
  ] as const)('%j with "%s" is refused', (text, delimiter, reason) => {
    expect((csvValue(text, delimiter) as { reason: string }).reason).toMatch(reason);
  });
});

describe('readRecord', () => {
  const long: RecordContext = { layout: { kind: 'long' }, delimiter: ';', variables: VARIABLES, timezone: SANTIAGO };
  const wide: RecordContext = { layout: { kind: 'wide', columns: ['caudal', 'totalizador', 'otro'] }, delimiter: ';', variables: VARIABLES, timezone: SANTIAGO };

  it('long: one reading per line', () => {
    expect(readRecord(['2026-12-01T10:00:00Z', 'totalizador', '917550,5'], long)).toEqual({
      readings: [{ variable: 'totalizador', ts: '2026-12-01T10:00:00.000Z', raw: 917550.5 }],
      rejects: [],
    });
  });

  it('wide: one reading per known, non-blank cell; unknown columns are left out', () => {
    expect(readRecord(['2026-12-01T10:00:00Z', '12,5', '', '7'], wide)).toEqual({
      readings: [{ variable: 'caudal', ts: '2026-12-01T10:00:00.000Z', raw: 12.5 }],
      rejects: [],
    });
  });

  it.each([
    [long, ['2026-12-01T10:00:00Z', 'presion', '1'], 'variable "presion" is not configured for this point'],
    [long, ['2026-12-01T10:00:00Z', 'caudal', ''], 'value is empty'],
    [long, ['2026-12-01T10:00:00Z', 'caudal'], 'has 2 field(s), the header has 3 (delimiter ";")'],
    [long, ['later', 'caudal', '1'], /^timestamp "later" is not ISO 8601/],
    [wide, ['2026-12-01T10:00:00Z', '1.234,5', '3', ''], 'caudal: value "1.234,5" is not a number (no thousands separators)'],
  ] as const)('%#: rejects with a reason', (ctx, cells, reason) => {
    const r = readRecord([...cells], ctx);
    expect(r.rejects).toHaveLength(1);
    if (typeof reason === 'string') expect(r.rejects[0]).toBe(reason);
    else expect(r.rejects[0]).toMatch(reason);
  });
});

async function run(text: string | string[], batchSize = 2) {
  const published: RawReading[][] = [];
  const seen: { line: number; reason: string }[] = [];
  const result = await importCsv(Readable.from(Array.isArray(text) ? text : [text]), {
    variables: VARIABLES,
    timezone: SANTIAGO,
    batchSize,
    publish: async (r) => void published.push(r),
    onReject: (r) => void seen.push(r),
  });
  return { result, published, seen };
}

describe('importCsv', () => {
  it('long layout, comma: readings in batches, rejects with their line numbers', async () => {
    const { result, published, seen } = await run(
      'timestamp,variable,value\n2026-12-01T10:00:00Z,caudal,12.5\n\n2026-12-01T10:00:00Z,presion,3\n2026-12-01T10:01:00Z,totalizador,100\n2026-12-01T10:02:00Z,nivel,30\n',
    );
    expect(result).toMatchObject({ delimiter: ',', layout: 'long', lines: 4, accepted: 3, rejected: 1 });
    expect(result.rejects).toEqual([{ line: 4, reason: 'variable "presion" is not configured for this point' }]);
    expect(seen).toEqual(result.rejects);
    expect(published.map((b) => b.length)).toEqual([2, 1]);
  });

  it('wide layout, semicolon and decimal comma, split across chunks, CRLF and a BOM', async () => {
    const { result, published } = await run(['\uFEFFtimestamp;caudal;totalizador;bomba\r\n2026-12-01 10:00;12', ',5;917550;1\r\n', '2026-12-01 10:05;;917560;0\r\n'], 100);
    expect(result).toMatchObject({ delimiter: ';', layout: 'wide', lines: 2, accepted: 3, rejected: 1 });
    expect(result.rejects).toEqual([{ line: 1, reason: 'variable "bomba" is not configured for this point: its column is skipped' }]);
    expect(published.flat()).toEqual([
      { variable: 'caudal', ts: '2026-12-01T13:00:00.000Z', raw: 12.5 },
      { variable: 'totalizador', ts: '2026-12-01T13:00:00.000Z', raw: 917550 },
      { variable: 'totalizador', ts: '2026-12-01T13:05:00.000Z', raw: 917560 },
    ]);
  });

  it('a malformed record is a reject, the following lines still count', async () => {
    const { result } = await run('timestamp,variable,value\n2026-12-01T10:00:00Z,caudal\n2026-12-01T10:01:00Z,caudal,"1\n');
    expect(result.accepted).toBe(0);
    expect(result.rejects[0]).toEqual({ line: 2, reason: 'has 2 field(s), the header has 3 (delimiter ",")' });
    expect(result.rejects[1]!.reason).toMatch(/^unreadable CSV: .*quote/i);
  });

  it.each([
    ['', /empty/],
    ['\n\n', /empty/],
    ['value,timestamp\n1,2\n', /first column of the header/],
  ])('an unusable header throws CsvHeaderError (%j)', async (text, message) => {
    await expect(run(text)).rejects.toThrow(CsvHeaderError);
    await expect(run(text)).rejects.toThrow(message);
  });

  it('keeps only the first rejects but reports all of them', async () => {
    const lines = Array.from({ length: 30 }, (_, i) => `2026-12-01T10:${String(i).padStart(2, '0')}:00Z,x,1`);
    const published: RawReading[][] = [];
    let reported = 0;
    const result = await importCsv(Readable.from([`timestamp,variable,value\n${lines.join('\n')}`]), {
      variables: VARIABLES, timezone: SANTIAGO, keepRejects: 5, publish: async (r) => void published.push(r), onReject: () => void reported++,
    });
    expect(result.rejected).toBe(30);
    expect(result.rejects).toHaveLength(5);
    expect(result.rejects[4]!.line).toBe(6);
    expect(reported).toBe(30);
    expect(published).toEqual([]);
  });
});
