/** Growable byte buffer for records that span chunks; reused across records. */
export class Accumulator {
  private buf: Buffer = Buffer.alloc(0);
  private len = 0;

  append(src: Buffer, start: number, end: number): void {
    const need = this.len + (end - start);
    if (need > this.buf.length) {
      const next = Buffer.allocUnsafe(Math.max(need, this.buf.length * 2, 1024));
      this.buf.copy(next, 0, 0, this.len);
      this.buf = next;
    }
    src.copy(this.buf, this.len, start, end);
    this.len = need;
  }

  view(): Buffer {
    return this.buf.subarray(0, this.len);
  }

  reset(): void {
    this.len = 0;
  }
}
