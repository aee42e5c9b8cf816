import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { DuplicateSet } from '../src/catalog/duplicateSet.js';

const sha = (text: string) => createHash('sha256').update(text).digest('hex');

describe('DuplicateSet', () => {
  it('returns -1 for a first occurrence and the first ordinal for every repeat', () => {
    const set = new DuplicateSet();
    const a = sha('a');
    const b = sha('b');
    assert.equal(set.add(a, 0), -1);
    assert.equal(set.add(b, 1), -1);
    assert.equal(set.add(a, 2), 0);
    assert.equal(set.add(a, 7), 0);
    assert.equal(set.add(b, 9), 1);
    assert.equal(set.size, 2);
  });

  it('treats all-zero and all-f digests as real values (ordinal 0 included)', () => {
    const set = new DuplicateSet(2);
    const zero = '0'.repeat(64);
    const ff = 'f'.repeat(64);
    assert.equal(set.add(zero, 0), -1);
    assert.equal(set.add(zero, 1), 0);
    assert.equal(set.add(ff, 4_294_967_294), -1);
    assert.equal(set.add(ff, 3), 4_294_967_294);
    assert.equal(set.size, 2);
  });

  it('distinguishes hashes that share the first 8 hex chars but differ later in the fingerprint', () => {
    const set = new DuplicateSet(4);
    const base = sha('base');
    const variants = [8, 15, 16, 23].map(
      (i) => base.slice(0, i) + (base[i] === '0' ? '1' : '0') + base.slice(i + 1),
    );
    assert.equal(set.add(base, 0), -1);
    variants.forEach((v, i) => assert.equal(set.add(v, i + 1), -1, `variant differing at ${v}`));
    variants.forEach((v, i) => assert.equal(set.add(v, 100), i + 1));
    assert.equal(set.size, 5);
  });

  it('uses a 96-bit fingerprint: digests differing only after the 24th hex char collide (documented)', () => {
    const set = new DuplicateSet();
    const base = sha('base');
    assert.equal(set.add(base, 0), -1);
    assert.equal(set.add(base.slice(0, 24) + 'f'.repeat(40), 1), 0);
  });

  it('keeps long probe chains correct across growth (thousands of hashes with the same first word)', () => {
    const set = new DuplicateSet(1);
    const prefix = 'deadbeef';
    const hashes = Array.from(
      { length: 3_000 },
      (_, i) => prefix + i.toString(16).padStart(16, '0') + sha(String(i)).slice(24),
    );
    hashes.forEach((h, i) => assert.equal(set.add(h, i), -1));
    hashes.forEach((h, i) => assert.equal(set.add(h, i + 10_000), i));
    assert.equal(set.size, 3_000);
  });

  it('matches a naive Map on 100k hashes with injected repeats through many resizes', () => {
    const set = new DuplicateSet(16); // grows 16 -> 262,144: 14 doublings
    const naive = new Map<string, number>();
    const seen: string[] = [];
    let seed = 12345;
    const random = () => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed / 2 ** 32;
    };
    let repeats = 0;
    for (let ordinal = 0; ordinal < 100_000; ordinal++) {
      let hash: string;
      if (seen.length > 0 && random() < 0.2) {
        hash = seen[Math.floor(random() * seen.length)]!;
        repeats++;
      } else {
        hash = sha(`sample-${ordinal}`);
        seen.push(hash);
      }
      const expected = naive.get(hash) ?? -1;
      if (expected === -1) naive.set(hash, ordinal);
      const actual = set.add(hash, ordinal);
      if (actual !== expected) assert.fail(`ordinal ${ordinal}: expected ${expected}, got ${actual}`);
    }
    assert.ok(repeats > 15_000);
    assert.equal(set.size, naive.size);
    for (const [hash, first] of naive) assert.equal(set.add(hash, 0), first);
  });

  it('throws TypeError for anything but 64 lowercase hex characters, leaving the set unchanged', () => {
    const set = new DuplicateSet();
    const good = sha('x');
    const bad: unknown[] = [
      good.toUpperCase(),
      good.slice(0, 63),
      good + '0',
      'g' + good.slice(1),
      ` ${good.slice(1)}`,
      '',
      '0x' + good.slice(2),
      undefined,
      null,
      12345,
      Buffer.from(good, 'hex'),
    ];
    for (const value of bad) {
      assert.throws(() => set.add(value as string, 0), TypeError, String(value));
    }
    assert.equal(set.size, 0);
  });

  it('rejects ordinals that cannot be stored and capacities that are not powers of two', () => {
    const set = new DuplicateSet();
    for (const ordinal of [-1, 1.5, Number.NaN, 2 ** 32 - 1, Number.POSITIVE_INFINITY]) {
      assert.throws(() => set.add(sha('x'), ordinal), RangeError, String(ordinal));
    }
    assert.equal(set.size, 0);
    for (const capacity of [0, 3, 1000, 1.5, -2, 2 ** 40]) {
      assert.throws(() => new DuplicateSet(capacity), RangeError, String(capacity));
    }
    assert.equal(new DuplicateSet(1).size, 0);
  });
});
