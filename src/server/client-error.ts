import type { Socket } from 'node:net';
import type { ConnectionError } from 'fastify';
import type { Logger } from 'pino';
import { PROBLEM_CONTENT_TYPE, clientProblem } from './problem.js';

/**
 * Fastify's `clientErrorHandler`: what the Node HTTP server could not parse (a URI or headers past
 * its 16 KB limit, bytes that are not HTTP, a request too slow) never reaches Fastify, so the answer
 * is a minimal problem document written on the socket, which is then closed. Logged at info: the
 * client's fault, kept out of the ring of recent warnings.
 */
export function clientErrorHandler(logger: Pick<Logger, 'info' | 'debug'>) {
  return (error: ConnectionError, socket: Socket): void => {
    const response = (socket as { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    // A reset connection cannot be answered; one already answering would get our bytes mid-response.
    if (error.code === 'ECONNRESET' || !socket.writable || response?.headersSent === true) {
      logger.debug({ err: error }, 'client connection dropped');
      socket.destroy();
      return;
    }
    const { status, detail } = classify(error);
    const problem = clientProblem(status, error.code, detail);
    logger.info({ err: error, status }, 'request refused before routing');
    const body = JSON.stringify(problem);
    socket.end(
      `HTTP/1.1 ${status} ${problem.title}\r\nContent-Type: ${PROBLEM_CONTENT_TYPE}\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
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
