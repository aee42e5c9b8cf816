/**
 * Seeded randomness for TInt. Every sample draws from its own streams, derived from
 * (seed, split, sample index, purpose), so a sample depends on nothing but its own coordinates:
 * the same seed gives the same prompts whatever the noise settings (a noise grid compares like
 * with like), and generation can resume or shard at any index.
 */
import { fmix32 } from '../fmix32.js';

/** A uniform draw in [0, 1). */
export type Random = () => number;

/** What a stream is used for; each purpose has its own stream per sample. */
export type StreamPurpose = 'inputs' | 'dynamic' | 'static';

const PURPOSE_CODE: Record<StreamPurpose, number> = { inputs: 1, dynamic: 2, static: 3 };
const SPLIT_CODE = { train: 0x51ed270b, test: 0x2f3b6a9d } as const;
export type Split = keyof typeof SPLIT_CODE;

/** sfc32 (Chris Doty-Humphrey's small fast chaotic generator), 128 bits of state. */
function sfc32(a: number, b: number, c: number, d: number): Random {
  return () => {
    a >>>= 0;
    b >>>= 0;
    c >>>= 0;
    d >>>= 0;
    const t = (a + b + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
}

/** The stream for one purpose of one sample. `seed` is an integer in [0, 2^32). */
export function sampleStream(seed: number, split: Split, index: number, purpose: StreamPurpose): Random {
  const low = index >>> 0;
  const high = Math.floor(index / 4294967296) >>> 0;
  const a = fmix32(seed ^ SPLIT_CODE[split]);
  const b = fmix32(a ^ low);
  const c = fmix32(b ^ high ^ 0x9e3779b9);
  const d = fmix32(c ^ PURPOSE_CODE[purpose]);
  const random = sfc32(a, b, c, d);
  for (let i = 0; i < 12; i++) random(); // sfc32 needs a few rounds to leave its seed behind
  return random;
}

/** A uniform integer in [low, high] (inclusive; both below 2^53). */
export function randomInt(random: Random, low: number, high: number): number {
  return low + Math.floor(random() * (high - low + 1));
}

/** A uniform BigInt in [low, high] (inclusive), built from 32-bit draws with rejection. */
export function randomBigInt(random: Random, low: bigint, high: bigint): bigint {
  const span = high - low + 1n;
  if (span <= 2n ** 52n) return low + BigInt(Math.floor(random() * Number(span)));
  const bits = span.toString(2).length;
  const words = Math.ceil(bits / 32);
  const excess = BigInt(words * 32 - bits);
  for (;;) {
    let value = 0n;
    for (let i = 0; i < words; i++) value = (value << 32n) | BigInt(Math.floor(random() * 4294967296));
    value >>= excess;
    if (value < span) return low + value;
  }
}

/** A digit other than `digit`, uniformly among the nine others (so a "replaced" digit always changes). */
export function otherDigit(random: Random, digit: number): number {
  const draw = Math.floor(random() * 9);
  return draw >= digit ? draw + 1 : draw;
}
