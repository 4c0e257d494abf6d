/**
 * One connection the inspection server serves: splits the byte stream into request
 * lines, has the server answer each, and writes the answers back in order.
 *
 * Invariants:
 *  1. Answers leave in request order: lines are answered one at a time from a FIFO.
 *  2. Memory stays bounded: while the socket's write buffer is over its high-water mark
 *     reading pauses, so the queue holds at most one read chunk of lines, plus a partial
 *     line of at most maxRequestBytes, plus one response.
 *  3. After an oversized line, nothing more is read or answered: the connection gets
 *     one TOO_LARGE line and ends.
 *
 * States: reading --write buffer full--> blocked --'drain'--> reading;
 *         reading --overflow / peer ended / socket gone--> done.
 */

import type * as net from 'node:net';

import { LineReader } from './socket-protocol.js';

/** How long close() and the BUSY/TOO_LARGE replies wait for a peer before destroying. */
const END_GRACE_MS = 500;

/** Ends a socket politely, then for sure: a peer that never reads must not pin it. */
export function endThenDestroy(socket: net.Socket, lastLine?: string): void {
  const timer = setTimeout(() => socket.destroy(), END_GRACE_MS);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
  if (socket.destroyed) return;
  const destroy = () => socket.destroy();
  if (socket.writableEnded) {
    // Already ending (the peer finished first): let what is queued flush, then go.
    if (socket.writableFinished) destroy();
    else socket.once('finish', destroy);
  } else if (lastLine === undefined) socket.end(destroy);
  else socket.end(lastLine, destroy);
}

/** One served socket: reads lines, answers them in order, applies backpressure. */
export class Connection {
  readonly #socket: net.Socket;
  readonly #reader: LineReader;
  readonly #answer: (line: Buffer) => string | null;
  readonly #tooLarge: () => string;
  /** Complete lines not yet answered; at most one read chunk's worth. */
  #queue: Buffer[] = [];
  #head = 0;
  #blocked = false;
  #inputEnded = false;
  #overflow = false;
  #done = false;

  constructor(socket: net.Socket, maxRequestBytes: number, idleTimeoutMs: number, answer: (line: Buffer) => string | null, tooLarge: () => string) {
    this.#socket = socket;
    this.#reader = new LineReader(maxRequestBytes);
    this.#answer = answer;
    this.#tooLarge = tooLarge;
    socket.setTimeout(idleTimeoutMs, () => socket.destroy());
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('end', () => this.#onEnd());
    socket.on('drain', () => this.#onDrain());
  }

  #onData(chunk: Buffer): void {
    if (this.#done || this.#overflow) return;
    const { lines, overflow } = this.#reader.push(chunk);
    for (const line of lines) this.#queue.push(line);
    if (overflow) {
      // Stop reading at once: the rest of the oversized line is never buffered.
      this.#overflow = true;
      this.#socket.pause();
    }
    this.#pump();
  }

  #onEnd(): void {
    this.#inputEnded = true;
    // A last request without its newline (`printf '{...}' | nc -U`) still gets an answer.
    const tail = this.#reader.finish();
    if (tail !== null) this.#queue.push(tail);
    this.#pump();
  }

  #onDrain(): void {
    this.#blocked = false;
    if (!this.#overflow && !this.#done) this.#socket.resume();
    this.#pump();
  }

  #pump(): void {
    while (!this.#blocked && !this.#done && this.#head < this.#queue.length) {
      // A peer that went away (or close() ending us) gets no more handler calls.
      if (this.#socket.destroyed || !this.#socket.writable) {
        this.#done = true;
        return;
      }
      const line = this.#queue[this.#head] as Buffer;
      this.#head += 1;
      const reply = this.#answer(line);
      if (reply === null) continue;
      if (!this.#socket.write(reply)) {
        this.#blocked = true;
        this.#socket.pause();
      }
    }
    if (this.#head === this.#queue.length) {
      this.#queue = [];
      this.#head = 0;
    }
    if (this.#blocked || this.#done || this.#queue.length > 0) return;
    if (this.#overflow) {
      this.#done = true;
      endThenDestroy(this.#socket, this.#tooLarge());
    } else if (this.#inputEnded) {
      this.#done = true;
      this.#socket.end();
    }
  }
}
