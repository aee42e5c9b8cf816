/**
 * Masked mean pooling and L2 normalisation of a model's token states, as sentence-transformers
 * defines them (the mean over the tokens whose attention mask is set, then x / ||x||). One pass
 * over row-major data: transformers.js's own pooling converts the mask per token and dimension
 * and was a measurable share of embedding time (bench/embed).
 */

/** `states`: [batch, sequence, dims] row-major; `mask`: [batch, sequence]. One unit vector per row (zero when no token is set). */
export function meanPoolNormalized(
  states: Float32Array,
  mask: ArrayLike<number | bigint>,
  batch: number,
  sequence: number,
  dims: number,
): Float32Array[] {
  const vectors: Float32Array[] = [];
  const sum = new Float64Array(dims);
  for (let b = 0; b < batch; b++) {
    sum.fill(0);
    let tokens = 0;
    for (let t = 0; t < sequence; t++) {
      if (Number(mask[b * sequence + t]) === 0) continue;
      tokens += 1;
      const offset = (b * sequence + t) * dims;
      for (let d = 0; d < dims; d++) sum[d]! += states[offset + d]!;
    }
    let norm = 0;
    for (let d = 0; d < dims; d++) norm += sum[d]! * sum[d]!;
    // The mean's 1/tokens cancels in the normalisation.
    const scale = tokens === 0 || norm === 0 ? 0 : 1 / Math.sqrt(norm);
    const vector = new Float32Array(dims);
    for (let d = 0; d < dims; d++) vector[d] = sum[d]! * scale;
    vectors.push(vector);
  }
  return vectors;
}
