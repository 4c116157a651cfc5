import { describe, expect, it } from 'vitest';
import { escapeLike } from '../../infra/db/sql.js';
import { reasonFilter } from './dead-letter.service.js';

describe('reasonFilter', () => {
  it.each([
    [undefined, undefined],
    ['unknown_variable', { text: 'unknown_variable', prefix: false }],
    ['unparseable*', { text: 'unparseable', prefix: true }],
    ['a*b', { text: 'a*b', prefix: false }],
    ['*', { text: '', prefix: true }],
  ])('%j → %j', (reason, expected) => expect(reasonFilter(reason)).toEqual(expected));
});

describe('escapeLike', () => {
  it.each([
    ['unknown_variable', 'unknown\\_variable'],
    ['100%', '100\\%'],
    ['a\\b', 'a\\\\b'],
    ['plain', 'plain'],
  ])('%j → %j', (text, expected) => expect(escapeLike(text)).toBe(expected));
});
