// The quota setting's validation and the pure checks: oslo.limit's "usage + delta over the limit" rule and its message.
import { describe, expect, it } from 'vitest';
import { imageCountExceeded, imageSizeExceeded, quotaProject, validImageQuotas, type ImageQuotas } from './image-quotas.js';

describe('validImageQuotas', () => {
  it('takes whole numbers from 0 to MAX_SAFE_INTEGER, and no quotas as none', () => {
    expect(validImageQuotas(undefined, 'f')).toEqual({});
    expect(validImageQuotas({}, 'f')).toEqual({});
    expect(validImageQuotas({ imageCountTotal: 0, imageSizeTotal: Number.MAX_SAFE_INTEGER }, 'f')).toEqual({
      imageCountTotal: 0,
      imageSizeTotal: Number.MAX_SAFE_INTEGER,
    });
    expect(validImageQuotas({ imageCountTotal: undefined, imageSizeTotal: 5 }, 'f')).toEqual({ imageSizeTotal: 5 });
  });

  it.each([
    [{ imageCountTotal: -1 }, /^createThing: quotas\.imageCountTotal must be a whole number from 0 to 9007199254740991 .*got -1$/],
    [{ imageSizeTotal: 1.5 }, /quotas\.imageSizeTotal must be a whole number .*got 1\.5$/],
    [{ imageSizeTotal: 2 ** 60 }, /quotas\.imageSizeTotal must be a whole number/],
    [{ imageCountTotal: Number.NaN }, /got NaN$/],
    [{ imageCountTotal: '3' }, /quotas\.imageCountTotal must be a whole number .*got 3$/],
    [{ imageCountTotals: 3 }, /^createThing: quotas\.imageCountTotals is not a quota; use imageCountTotal or imageSizeTotal$/],
    [null, /^createThing: quotas must be an object/],
    [[], /^createThing: quotas must be an object/],
  ])('refuses %j with a RangeError naming the option', (quotas, message) => {
    expect(() => validImageQuotas(quotas as ImageQuotas, 'createThing')).toThrow(RangeError);
    expect(() => validImageQuotas(quotas as ImageQuotas, 'createThing')).toThrow(message);
  });
});

describe('quota checks', () => {
  const quotas: ImageQuotas = { imageCountTotal: 2, imageSizeTotal: 100 };

  it('checks only a resource with a limit, and only images with an owner', () => {
    expect(quotaProject(quotas, 'image_count_total', 'p1')).toBe('p1');
    expect(quotaProject(quotas, 'image_size_total', null)).toBeNull();
    expect(quotaProject({ imageSizeTotal: 1 }, 'image_count_total', 'p1')).toBeNull();
    expect(quotaProject({}, 'image_size_total', 'p1')).toBeNull();
  });

  it('image_count_total: a project may own exactly its limit', () => {
    expect(imageCountExceeded(quotas, 'p1', 1)).toBeNull();
    expect(imageCountExceeded(quotas, 'p1', 2)).toEqual({
      kind: 'QuotaExceeded',
      resource: 'image_count_total',
      projectId: 'p1',
      limit: 2,
      usage: 2,
      delta: 1,
      message: 'Project p1 is over a limit for [Resource image_count_total is over limit of 2 due to current usage 2 and delta 1]',
    });
    expect(imageCountExceeded({ imageCountTotal: 0 }, 'p1', 0)).toMatchObject({ limit: 0, usage: 0, delta: 1 });
    expect(imageCountExceeded({}, 'p1', 1_000_000)).toBeNull();
  });

  it('image_size_total: data that would take the project past its limit is refused; up to it is fine', () => {
    expect(imageSizeExceeded(quotas, 'p1', 60, 40)).toBeNull();
    expect(imageSizeExceeded(quotas, 'p1', 60, 41)).toMatchObject({ resource: 'image_size_total', limit: 100, usage: 60, delta: 41 });
    // Already over (the limit was lowered): even empty data is refused, as Glance refuses any upload then.
    expect(imageSizeExceeded(quotas, 'p1', 101, 0)).toMatchObject({ usage: 101, delta: 0 });
    expect(imageSizeExceeded({ imageCountTotal: 0 }, 'p1', 10 ** 15, 10 ** 15)).toBeNull();
  });
});
