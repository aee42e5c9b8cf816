import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fromGlobalId, idOf, NODE_TYPES, toGlobalId } from '../src/globalId.js';

describe('global ids', () => {
  it('are base64url of the UTF-8 text "Type:id" and decode back', () => {
    for (const type of NODE_TYPES) {
      // Every digit count from 1 to 16, so the encoded text ends at each offset of a 3-byte group.
      const ids = [
        42,
        99_999,
        2 ** 31 + 7,
        Number.MAX_SAFE_INTEGER,
        ...Array.from({ length: 16 }, (_, k) => 10 ** k + k),
      ];
      for (const id of ids) {
        const global = toGlobalId(type, id);
        assert.equal(global, Buffer.from(new TextEncoder().encode(`${type}:${id}`)).toString('base64url'));
        assert.deepEqual(fromGlobalId(global), { type, id });
      }
    }
  });

  it('refuses ids of another type, unknown types and text that is not an id', () => {
    assert.throws(
      () => idOf('Dataset', toGlobalId('DatasetVersion', 3)),
      /is a DatasetVersion id; expected a Dataset id/,
    );
    assert.throws(() => fromGlobalId(Buffer.from('Planet:3').toString('base64url')), /is not a valid id/);
    assert.throws(() => fromGlobalId(Buffer.from('Dataset:03').toString('base64url')), /is not a valid id/);
    assert.throws(() => fromGlobalId('not base64 at all!'), /is not a valid id/);
  });
});
