// How the reference engine fills a decode step: pure functions, no model.
import { describe, expect, it } from 'vitest';
import type { BatchItem } from 'node-llama-cpp';
import { fairShare, lockstepStrategy } from '../../runner/lib/reference/server/engine.ts';

const item = (tokens: number): BatchItem => ({ tokens: Array.from({ length: tokens }, (_, i) => i) as unknown as BatchItem['tokens'], logits: [], evaluationPriority: 5 });

describe('fairShare', () => {
  it('gives every waiting sequence a share and the rest to those that need more, never beyond the batch', () => {
    const items = [item(1), item(300), item(300), item(1)];
    const picked = fairShare(items, 512);
    expect(picked.map((p) => p.processAmount)).toEqual([1, 300, 210, 1]);
    expect(picked.reduce((a, p) => a + p.processAmount, 0)).toBeLessThanOrEqual(512);
  });

  it('a batch smaller than the queue still gives each item at least one token, up to the batch size', () => {
    const picked = fairShare([item(5), item(5), item(5)], 2);
    expect(picked.map((p) => p.processAmount)).toEqual([1, 1]);
  });
});

describe('lockstepStrategy', () => {
  it('holds a step until every generating sequence has queued, then takes them all', () => {
    let steps = 0;
    const pick = lockstepStrategy(() => 4, () => steps++);
    expect(pick({ items: [item(1), item(1), item(1)], size: 512 })).toEqual([]);
    expect(steps).toBe(0);
    expect(pick({ items: [item(1), item(1), item(1), item(1)], size: 512 })).toHaveLength(4);
    expect(steps).toBe(1);
  });

  it('stops holding after maxHolds looks in a row, so a sequence that will not queue again cannot stall the rest', () => {
    const pick = lockstepStrategy(() => 2, () => {}, 3);
    const one = [item(1)];
    for (let i = 0; i < 3; i++) expect(pick({ items: one, size: 512 })).toEqual([]);
    expect(pick({ items: one, size: 512 })).toHaveLength(1);
    // The count starts again after a step.
    expect(pick({ items: one, size: 512 })).toEqual([]);
  });
});
