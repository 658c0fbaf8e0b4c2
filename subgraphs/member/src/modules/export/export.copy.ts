import { Transform, type TransformCallback } from 'node:stream';

/** What every binary COPY starts with (PostgreSQL's "COPY ... (FORMAT binary)" file format). */
const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');
/** The signature, the flags field and the header extension's length. */
const FILE_HEADER_BYTES = SIGNATURE.length + 8;
/** A tuple starts with its field count (int16) and, for its one field, the field's length (int32). */
const TUPLE_HEADER_BYTES = 6;
const NO_BYTES = Buffer.alloc(0);

/**
 * Turns a binary COPY of one text column into that column's bytes, row after row, with nothing
 * between them: the export's SQL writes each line whole, terminator included, so the member
 * subgraph passes PostgreSQL's bytes on without decoding a row. Binary rather than text or CSV
 * COPY because those escape or quote what they send, and a line must arrive exactly as written.
 *
 * Each chunk is compacted where it lies (the tuple headers cut out), so a row costs a copy
 * within the chunk and no allocation.
 */
export class CopyColumnBytes extends Transform {
  /** Rows passed on so far. */
  rows = 0;
  private started = false;
  private ended = false;
  /** Bytes of the current value not yet passed on. */
  private remaining = 0;
  /** The start of a header cut off at a chunk's end, joined to the next chunk. */
  private pending: Buffer = NO_BYTES;

  override _transform(input: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    try {
      const output = this.compact(this.pending.length > 0 ? Buffer.concat([this.pending, input]) : input);
      if (output.length > 0) this.push(output);
      callback();
    } catch (error) {
      callback(error as Error);
    }
  }

  override _flush(callback: TransformCallback): void {
    callback(this.ended ? null : new Error('the binary COPY ended before its trailer'));
  }

  private compact(chunk: Buffer): Buffer {
    const end = chunk.length;
    let read = 0;
    let written = 0;
    this.pending = NO_BYTES;
    while (read < end) {
      if (this.remaining > 0) {
        const n = Math.min(this.remaining, end - read);
        // Only ever moves bytes towards the start: what is still to be read stays where it is.
        if (written !== read) chunk.copyWithin(written, read, read + n);
        written += n;
        read += n;
        this.remaining -= n;
        continue;
      }
      if (this.ended) throw new Error('bytes after the binary COPY trailer');
      if (!this.started) {
        if (end - read < FILE_HEADER_BYTES) break;
        if (!chunk.subarray(read, read + SIGNATURE.length).equals(SIGNATURE)) throw new Error('not a binary COPY');
        const extension = chunk.readUInt32BE(read + SIGNATURE.length + 4);
        if (end - read < FILE_HEADER_BYTES + extension) break;
        read += FILE_HEADER_BYTES + extension;
        this.started = true;
        continue;
      }
      if (end - read < 2) break;
      const fields = chunk.readInt16BE(read);
      if (fields === -1) {
        this.ended = true;
        read += 2;
        continue;
      }
      if (fields !== 1) throw new Error(`a binary COPY row of ${fields} fields where one was expected`);
      if (end - read < TUPLE_HEADER_BYTES) break;
      const length = chunk.readInt32BE(read + 2);
      if (length < 0) throw new Error('a binary COPY row whose value is NULL');
      read += TUPLE_HEADER_BYTES;
      this.remaining = length;
      this.rows += 1;
    }
    // A header cut off by the chunk's end: its bytes lie after everything written, untouched.
    if (read < end) this.pending = chunk.subarray(read);
    return chunk.subarray(0, written);
  }
}
