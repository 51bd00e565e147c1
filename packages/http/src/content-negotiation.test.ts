// Accept negotiation for fault bodies: q-values, wildcards, specificity, garbage.
import { describe, expect, it } from 'vitest';
import { negotiateFaultFormat, type FaultFormat } from './content-negotiation.js';

const CASES: readonly (readonly [string | null | undefined, FaultFormat])[] = [
  [undefined, 'json'],
  [null, 'json'],
  ['', 'json'],
  ['*/*', 'json'],
  ['application/json', 'json'],
  ['application/*', 'json'],
  ['APPLICATION/JSON; charset=utf-8', 'json'],
  ['application/problem+json', 'problem'],
  ['application/problem+json, application/json', 'json'],
  ['application/json;q=0.9, application/problem+json', 'problem'],
  ['application/*, application/problem+json', 'problem'],
  ['application/json;q=0, */*', 'problem'],
  ['text/plain', 'text'],
  ['text/*', 'text'],
  ['text/plain, application/json', 'json'],
  ['text/plain;q=0.5, application/json', 'json'],
  ['text/plain, */*;q=0.1', 'text'],
  ['text/plain;q=0', 'json'],
  ['text/html', 'json'],
  ['text/html, image/png;q=0.5', 'json'],
  ['garbage', 'json'],
  ['text/plain;q=abc', 'json'],
  ['text/plain;q=2', 'json'],
  ['*/plain', 'json'],
  [';;;,,,', 'json'],
  [`${'x/y, '.repeat(10_000)}text/plain`, 'json'],
];

describe('negotiateFaultFormat', () => {
  it.each(CASES)('%j → %s', (accept, format) => {
    expect(negotiateFaultFormat(accept)).toBe(format);
  });
});
