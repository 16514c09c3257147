import { StringDecoder } from 'node:string_decoder';

/**
 * Splits a chunked UTF-8 payload into lines, one array per chunk (so a handler can process
 * and yield chunk by chunk). A character or line cut by a chunk boundary is joined back.
 * Empty lines are kept; a final line without a newline is yielded last.
 */
export async function* payloadLines(chunks: AsyncIterable<Buffer>): AsyncIterable<string[]> {
  const decoder = new StringDecoder('utf8');
  let carry = '';
  for await (const chunk of chunks) {
    const text = carry + decoder.write(chunk);
    const parts = text.split('\n');
    carry = parts.pop() ?? '';
    if (parts.length) yield parts;
  }
  const rest = carry + decoder.end();
  if (rest.length) yield [rest];
}
