import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HashTable } from '../src/metrics/hashTable.js';
import { mulberry32 } from '../src/mulberry32.js';

describe('HashTable', () => {
  it('numbers keys in order of first insertion and finds them again', () => {
    const table = new HashTable();
    assert.equal(table.add(7, 1, 2), 0);
    assert.equal(table.add(7, 1, 3), 1, 'k2 is part of the key');
    assert.equal(table.add(7, 2, 2), 2, 'k1 is part of the key');
    assert.equal(table.add(7, 1, 2), 0);
    assert.equal(table.size, 3);
    assert.equal(table.find(7, 2, 2), 2);
    assert.equal(table.find(8, 1, 2), -1);
  });

  it('matches a Map through many doublings, with colliding home slots', () => {
    const table = new HashTable({ initialCapacity: 1 });
    const naive = new Map<string, number>();
    const random = mulberry32(42);
    for (let i = 0; i < 50_000; i++) {
      // k0 from a small range: long probe chains; k1, k2 tell the keys apart.
      const k0 = Math.floor(random() * 64) * 2 ** 20;
      const k1 = Math.floor(random() * 300) - 150;
      const k2 = Math.floor(random() * 3) | 0x80000000;
      const key = `${k0},${k1},${k2}`;
      const expected = naive.get(key) ?? naive.size;
      if (!naive.has(key)) naive.set(key, expected);
      assert.equal(table.add(k0, k1, k2), expected);
    }
    assert.equal(table.size, naive.size);
    assert.ok(table.size * 2 <= table.capacity);
    for (const [key, entry] of naive) {
      const [k0, k1, k2] = key.split(',').map(Number) as [number, number, number];
      assert.equal(table.find(k0, k1, k2), entry);
    }
    let visited = 0;
    table.forEach((k0, k1, k2, entry) => {
      assert.equal(naive.get(`${k0},${k1},${k2}`), entry);
      visited++;
    });
    assert.equal(visited, naive.size);
  });

  it('clears (clearable or not) and numbers from 0 again, keeping its capacity', () => {
    for (const clearable of [false, true]) {
      const table = new HashTable({ initialCapacity: 4, clearable });
      for (let i = 0; i < 1000; i++) table.add(i * 0x9e3779b1, i, 0);
      const capacity = table.capacity;
      table.clear();
      assert.equal(table.size, 0);
      assert.equal(table.capacity, capacity);
      assert.equal(table.find(5 * 0x9e3779b1, 5, 0), -1);
      assert.equal(table.add(5 * 0x9e3779b1, 5, 0), 0);
      assert.equal(table.add(1, 1, 1), 1);
    }
  });

  it('refuses to grow beyond maxCapacity', () => {
    const table = new HashTable({ initialCapacity: 4, maxCapacity: 8 });
    for (let i = 0; i < 4; i++) table.add(i, 0, 0);
    assert.throws(() => table.add(4, 0, 0), RangeError);
    assert.equal(table.size, 4);
    assert.equal(table.add(3, 0, 0), 3, 'a known key still resolves when full');
  });
});
