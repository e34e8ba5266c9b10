import { describe, expect, it } from 'vitest';
import { batchesOf, batchLimits } from '#core/queues.ts';

describe('batchesOf', () => {
  it('puts at most ten messages in a batch', () => {
    const batches = batchesOf(Array.from({ length: 23 }, (_, i) => `m${i}`));

    expect(batches.map((batch) => batch.length)).toEqual([10, 10, 3]);
    expect(batches.flat()).toEqual(Array.from({ length: 23 }, (_, i) => `m${i}`));
  });

  it('keeps each batch within 1 MiB of bodies', () => {
    const big = 'x'.repeat(200 * 1024);

    const batches = batchesOf(Array(6).fill(big));

    expect(batches.map((batch) => batch.length)).toEqual([5, 1]);
    for (const batch of batches) {
      expect(batch.reduce((sum, body) => sum + Buffer.byteLength(body), 0)).toBeLessThanOrEqual(
        batchLimits.bytes,
      );
    }
  });

  it('counts bytes, not characters', () => {
    const wide = 'é'.repeat(300 * 1024);

    expect(batchesOf([wide, wide]).map((batch) => batch.length)).toEqual([1, 1]);
  });

  it('makes no batch of nothing', () => {
    expect(batchesOf([])).toEqual([]);
  });
});
