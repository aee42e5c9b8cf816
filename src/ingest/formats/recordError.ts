/** Thrown by mapRecord for a record that does not fit; message is the reason without position (the caller prefixes "line N: "). */
export class RecordError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RecordError';
  }
}
