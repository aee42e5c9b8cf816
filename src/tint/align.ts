/**
 * Which lines of a sample's trace appear, in order, in the clean trace: a longest common
 * subsequence of lines. Exact dynamic programming up to MAX_DP_CELLS; beyond that a greedy
 * in-order match (each line matched to the next equal clean line), which can only undercount.
 */

/** Above this many table cells the greedy match is used (16 MB of Uint32). */
export const MAX_DP_CELLS = 4_000_000;

/** matched[i] is true when sample line i is part of the alignment; `count` is how many are. */
export interface LineAlignment {
  matched: boolean[];
  count: number;
  /** One past the last clean line that is matched (0 when none is). */
  cleanReach: number;
}

export function alignLines(sample: readonly string[], clean: readonly string[]): LineAlignment {
  const matched = new Array<boolean>(sample.length).fill(false);
  const reach = { value: 0 };
  let start = 0;
  while (start < sample.length && start < clean.length && sample[start] === clean[start])
    matched[start++] = true;
  reach.value = start;
  let sampleEnd = sample.length;
  let cleanEnd = clean.length;
  const suffixFrom = cleanEnd;
  while (sampleEnd > start && cleanEnd > start && sample[sampleEnd - 1] === clean[cleanEnd - 1]) {
    matched[--sampleEnd] = true;
    cleanEnd--;
  }
  const rows = sampleEnd - start;
  const cols = cleanEnd - start;
  if (rows > 0 && cols > 0) {
    if ((rows + 1) * (cols + 1) <= MAX_DP_CELLS) lcsMiddle(sample, clean, start, rows, cols, matched, reach);
    else greedyMiddle(sample, clean, start, rows, cols, matched, reach);
  }
  if (cleanEnd < suffixFrom) reach.value = suffixFrom;
  let count = 0;
  for (const m of matched) if (m) count++;
  return { matched, count, cleanReach: reach.value };
}

function lcsMiddle(
  sample: readonly string[],
  clean: readonly string[],
  offset: number,
  rows: number,
  cols: number,
  matched: boolean[],
  reach: { value: number },
): void {
  const width = cols + 1;
  const table = new Uint32Array((rows + 1) * width);
  for (let i = rows - 1; i >= 0; i--) {
    for (let j = cols - 1; j >= 0; j--) {
      table[i * width + j] =
        sample[offset + i] === clean[offset + j]
          ? table[(i + 1) * width + j + 1]! + 1
          : Math.max(table[(i + 1) * width + j]!, table[i * width + j + 1]!);
    }
  }
  let i = 0;
  let j = 0;
  while (i < rows && j < cols) {
    if (sample[offset + i] === clean[offset + j]) {
      matched[offset + i] = true;
      reach.value = offset + j + 1;
      i++;
      j++;
    } else if (table[(i + 1) * width + j]! >= table[i * width + j + 1]!) {
      i++;
    } else {
      j++;
    }
  }
}

function greedyMiddle(
  sample: readonly string[],
  clean: readonly string[],
  offset: number,
  rows: number,
  cols: number,
  matched: boolean[],
  reach: { value: number },
): void {
  let cursor = offset;
  for (let i = offset; i < offset + rows; i++) {
    for (let j = cursor; j < offset + cols; j++) {
      if (sample[i] === clean[j]) {
        matched[i] = true;
        cursor = j + 1;
        reach.value = cursor;
        break;
      }
    }
  }
}
