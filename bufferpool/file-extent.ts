/**
 * FileExtent: how many pages of the database file the pool serves, and how far the host
 * file reaches. allocate() hands out the next page id and grows the file by growPages at
 * a time (one ftruncate per chunk, not per page).
 *
 * Invariants:
 *   1. pageCount ≤ filePages after allocate() (a page handed out is inside the file).
 *   2. filePages never shrinks: setPageCount() may lower pageCount (recovery truncating a
 *      torn tail) but the file keeps its length until the engine truncates it.
 */

import type { Process } from '../sim-kernel/index.js';

export class FileExtent {
  /** Pages in use: ids 0 .. pageCount - 1 are valid for fix(). */
  pageCount: number;
  #filePages: number;
  readonly #proc: Process;
  readonly #fd: number;
  readonly #pageSize: number;
  readonly #growPages: number;

  constructor(proc: Process, fd: number, pageSize: number, growPages: number, pageCount: number) {
    this.#proc = proc;
    this.#fd = fd;
    this.#pageSize = pageSize;
    this.#growPages = Math.max(growPages, 1);
    this.pageCount = pageCount;
    this.#filePages = this.#hostPages();
  }

  #hostPages(): number {
    return Math.ceil(this.#proc.fstat(this.#fd).size / this.#pageSize);
  }

  /** The file length in pages the next growth asks for (for error messages). */
  get growTarget(): number {
    return this.pageCount + this.#growPages;
  }

  /** The next page id, growing the file first when it is full; a failed ftruncate throws and changes nothing. */
  allocate(): number {
    const pageId = this.pageCount;
    if (pageId >= this.#filePages) {
      const to = pageId + this.#growPages;
      this.#proc.ftruncate(this.#fd, to * this.#pageSize);
      this.#filePages = to;
    }
    this.pageCount++;
    return pageId;
  }

  /** Set the logical page count (e.g. after recovery shrank or grew the file). */
  setPageCount(n: number): void {
    this.pageCount = n;
    this.#filePages = Math.max(this.#filePages, this.#hostPages());
  }
}
