/** pgvector's text form `[x1,x2,...]`, both ways. Float32 values round-trip exactly (shortest representation). */

export function vectorLiteral(vector: Float32Array): string {
  let text = '[';
  for (let i = 0; i < vector.length; i++) {
    const x = vector[i]!;
    if (!Number.isFinite(x)) throw new RangeError(`vector component ${i} is ${x}; embeddings must be finite`);
    text += i === 0 ? String(x) : `,${x}`;
  }
  return `${text}]`;
}

export function parseVectorLiteral(text: string): Float32Array {
  if (text.length < 2 || text[0] !== '[' || text[text.length - 1] !== ']') {
    throw new RangeError(`not a pgvector literal: ${text.slice(0, 40)}`);
  }
  const body = text.slice(1, -1);
  if (body === '') return new Float32Array(0);
  const parts = body.split(',');
  const vector = new Float32Array(parts.length);
  for (let i = 0; i < parts.length; i++) vector[i] = Number(parts[i]);
  return vector;
}
