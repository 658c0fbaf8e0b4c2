import { Readable } from 'node:stream';
import { CopyColumnBytes } from '../../subgraphs/member/src/modules/export/export.copy';

/** A binary COPY of one text column, as PostgreSQL sends it (header, one tuple a value, trailer). */
function binaryCopy(values: Array<string | null>, headerExtension = Buffer.alloc(0)): Buffer {
  const header = Buffer.alloc(19);
  header.write('PGCOPY\n\xff\r\n\0', 'latin1');
  header.writeUInt32BE(0, 11);
  header.writeUInt32BE(headerExtension.length, 15);
  const tuples = values.map((value) => {
    const bytes = value === null ? Buffer.alloc(0) : Buffer.from(value, 'utf8');
    const tuple = Buffer.alloc(6);
    tuple.writeInt16BE(1, 0);
    tuple.writeInt32BE(value === null ? -1 : bytes.length, 2);
    return Buffer.concat([tuple, bytes]);
  });
  const trailer = Buffer.alloc(2);
  trailer.writeInt16BE(-1, 0);
  return Buffer.concat([header, headerExtension, ...tuples, trailer]);
}

/** Feeds `input` cut into chunks at `cuts`, each chunk a copy of its own (as a socket delivers them). */
async function pass(input: Buffer, cuts: number[]): Promise<{ output: string; rows: number }> {
  const bounds = [0, ...cuts, input.length];
  const chunks = bounds.slice(1).map((end, i) => Buffer.from(input.subarray(bounds[i], end)));
  const lines = new CopyColumnBytes();
  const received: Buffer[] = [];
  for await (const chunk of Readable.from(chunks).pipe(lines)) received.push(chunk as Buffer);
  return { output: Buffer.concat(received).toString('utf8'), rows: lines.rows };
}

const LINES = ['a,b,c\r\n', '{"name":"𠮷野家"}\n', '', '张三,"引号""",\r\n'];

describe('CopyColumnBytes: a binary COPY of one text column, passed on as its bytes', () => {
  it('passes every value on, in order and nothing between them, however the stream is cut', async () => {
    const input = binaryCopy(LINES);
    expect(await pass(input, [])).toEqual({ output: LINES.join(''), rows: LINES.length });
    // Every single cut: inside the file header, a tuple header, a value (a character's bytes too), the trailer.
    for (let cut = 1; cut < input.length; cut++) expect(await pass(input, [cut])).toEqual({ output: LINES.join(''), rows: LINES.length });
    // One byte at a time.
    const everyByte = Array.from({ length: input.length - 1 }, (_, i) => i + 1);
    expect(await pass(input, everyByte)).toEqual({ output: LINES.join(''), rows: LINES.length });
  });

  it('skips a header extension, and passes an empty COPY on as nothing', async () => {
    expect(await pass(binaryCopy(LINES, Buffer.from('extension')), [5, 21])).toEqual({ output: LINES.join(''), rows: LINES.length });
    expect(await pass(binaryCopy([]), [])).toEqual({ output: '', rows: 0 });
  });

  it('refuses what is not a whole binary COPY of one non-null column', async () => {
    const good = binaryCopy(LINES);
    await expect(pass(Buffer.concat([Buffer.from('COPY'), good.subarray(4)]), [])).rejects.toThrow('not a binary COPY');
    await expect(pass(good.subarray(0, good.length - 2), [])).rejects.toThrow('ended before its trailer');
    await expect(pass(good.subarray(0, good.length - 5), [])).rejects.toThrow('ended before its trailer');
    await expect(pass(binaryCopy(['a', null]), [])).rejects.toThrow('NULL');
    await expect(pass(Buffer.concat([good, Buffer.from('x')]), [])).rejects.toThrow('after the binary COPY trailer');
    const twoFields = Buffer.from(good);
    twoFields.writeInt16BE(2, 19);
    await expect(pass(twoFields, [])).rejects.toThrow('2 fields');
  });
});
