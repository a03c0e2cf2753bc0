/**
 * Small HTTP helpers of the simulator's routes: JSON answers, request bodies, header values, a
 * connection reset.
 */
import * as http from 'node:http';
import type { Socket } from 'node:net';

export const JSON_TYPE = 'application/json; charset=utf-8';
const MAX_BODY_BYTES = 1024 * 1024;

/** The SIEM API's error body for non-2xx answers (shape not documented by Microsoft; ours). */
export function apiError(status: number, message: string): { error: { code: string; message: string } } {
  const code = http.STATUS_CODES[status]?.replace(/[^A-Za-z]/g, '') ?? 'Error';
  return { error: { code, message } };
}

export function sendJson(res: http.ServerResponse, status: number, body: unknown, headers: http.OutgoingHttpHeaders = {}): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': JSON_TYPE, 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

export function headerValue(req: http.IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

export async function readBody(req: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new Error('request body too large');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Drops the connection with a TCP RST where possible, so the client sees ECONNRESET. A server
 * TLS socket wraps the raw TCP socket (`_parent`, internal), which is the one that can reset.
 */
export function resetSocket(socket: Socket): void {
  type Resettable = Socket & { resetAndDestroy?: () => Socket; _parent?: Resettable | null };
  const tls = socket as Resettable;
  const target = tls._parent ?? tls;
  try {
    if (typeof target.resetAndDestroy === 'function') {
      target.resetAndDestroy();
      socket.destroy();
      return;
    }
  } catch {
    // Fall through to a plain close.
  }
  socket.destroy();
}
