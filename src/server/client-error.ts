import type { Socket } from 'node:net';
import type { ConnectionError } from 'fastify';
import type { Logger } from 'pino';
import { uuidv7 } from '../integration/internal.js';
import { PROBLEM_CONTENT_TYPE, refusalProblem } from './problem.js';

/**
 * Fastify's `clientErrorHandler`: what the Node HTTP server could not parse (a URI or headers past
 * its 16 KB limit, bytes that are not HTTP, a request too slow) never reaches Fastify, so the answer
 * is a minimal problem document written on the socket, which is then closed. Logged at info: the
 * client's fault, kept out of the ring of recent warnings.
 */
export function clientErrorHandler(
  logger: Pick<Logger, 'info' | 'debug'>,
  securityHeaders: Readonly<Record<string, string>>,
) {
  // Every answer carries the security headers and a request id, these too (no request was read: the id is new).
  const fixedHeaders = Object.entries(securityHeaders)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
  return (error: ConnectionError, socket: Socket): void => {
    const response = (socket as { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    // A reset connection cannot be answered; one already answering would get our bytes mid-response.
    if (error.code === 'ECONNRESET' || !socket.writable || response?.headersSent === true) {
      logger.debug({ err: error }, 'client connection dropped');
      socket.destroy();
      return;
    }
    const { status, detail } = classify(error);
    const problem = refusalProblem(status, detail);
    const id = uuidv7();
    logger.info({ err: error, status, reqId: id }, 'request refused before routing');
    const body = JSON.stringify(problem);
    socket.end(
      `HTTP/1.1 ${problem.status} ${problem.title}\r\nContent-Type: ${PROBLEM_CONTENT_TYPE}\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nx-request-id: ${id}\r\nx-correlation-id: ${id}\r\n` +
        `${fixedHeaders}Connection: close\r\n\r\n${body}`,
    );
  };
}

function classify(error: ConnectionError): { status: number; detail: string } {
  switch (error.code) {
    case 'HPE_HEADER_OVERFLOW':
      return inRequestLine(error)
        ? { status: 414, detail: 'The request line (method and URI) is longer than the server accepts.' }
        : { status: 431, detail: 'The request headers are larger than the server accepts (16 KB in all).' };
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return { status: 408, detail: 'The request did not arrive in time.' };
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return { status: 413, detail: 'The chunk extensions are larger than the server accepts.' };
    default:
      return { status: 400, detail: 'The request is not valid HTTP.' };
  }
}

/**
 * Node reports a URI and headers past its limit with one code; the bytes tell them apart. The
 * current request starts after the last blank line of the chunk (an earlier request on the
 * connection); if no line ends between there and where parsing stopped, and it starts with a
 * method, the overflow is in the request line. A request line split over chunks counts as headers
 * (431), which is still true: the URI is part of the header section.
 */
function inRequestLine(error: ConnectionError): boolean {
  const raw: unknown = error.rawPacket;
  if (!Buffer.isBuffer(raw)) return false;
  const parsed = raw.subarray(0, Math.min(error.bytesParsed, raw.length));
  const end = parsed.lastIndexOf('\r\n\r\n');
  const current = parsed.subarray(end === -1 ? 0 : end + 4);
  return !current.includes('\r\n') && /^[A-Z]+ /.test(current.subarray(0, 16).toString('latin1'));
}
