/**
 * A deliberately simple reference model of the memory-mapping semantics sim-kernel
 * implements (Linux 2.6, and the 4.0 remap_file_pages emulation): no page tables, no
 * caches, no VMAs.
 *
 * - A file is a size and a sparse map pgoff → page bytes (missing pages read as zeros).
 *   Bytes of the last, partial page beyond i_size are kept: a store through a mapping
 *   puts them in the page cache, and they show once the file grows over them (2.6 as
 *   long as no write-back zeroes the tail; the model test never writes back).
 * - The address space is a map virtual page number → PageEntry. A file page is read
 *   from the file at access time (so a MAP_PRIVATE page not yet written sees later
 *   writes to the file); the first store to a private page takes a private copy.
 * - `tag` approximates VMA identity for remap_file_pages on 2.6: pages that carry the
 *   same tag and are contiguous certainly lie in one VMA. Every mmap gives a fresh tag;
 *   mprotect and a 4.0 remap give fresh tags to the pages they touch (conservatively:
 *   the kernel may merge them back, so different tags mean "don't know", never "not one
 *   VMA").
 *
 * Results are Outcome values: { ok: true, value } or the error the kernel must report
 * (errno name, or SIGSEGV/SIGBUS with si_code and faulting address).
 */

export const PROT_NONE = 0;
export const PROT_READ = 1;
export const PROT_WRITE = 2;

export const SEGV_MAPERR = 1;
export const SEGV_ACCERR = 2;
export const BUS_ADRERR = 2;

const MAP_SHARED = 0x01;
const MAP_PRIVATE = 0x02;
const MAP_TYPE = 0x0f;
const MAP_FIXED = 0x10;
const MAP_ANONYMOUS = 0x20;

/** mmap_min_addr of the kernel under test: hints below it are not honoured. */
const MIN_HINT_ADDR = 0x10000;

export type Outcome<T> =
  | { ok: true; value: T }
  | { ok: false; code: string; siCode?: number; addr?: number };

export type Expectation = 'ok' | 'either' | { code: string };

export function okv<T>(value: T): Outcome<T> {
  return { ok: true, value };
}

export function err<T = never>(code: string, siCode?: number, addr?: number): Outcome<T> {
  const e: { ok: false; code: string; siCode?: number; addr?: number } = { ok: false, code };
  if (siCode !== undefined) e.siCode = siCode;
  if (addr !== undefined) e.addr = addr;
  return e;
}

export class ModelFile {
  readonly name: string;
  readonly pageSize: number;
  size: number;
  /** Materialised pages; a page not here is all zeros. */
  readonly pages = new Map<number, Uint8Array>();

  constructor(name: string, pageSize: number, size = 0) {
    this.name = name;
    this.pageSize = pageSize;
    this.size = size;
  }

  /** Pages that lie (at least partly) below i_size. */
  get eofPages(): number {
    return Math.ceil(this.size / this.pageSize);
  }

  page(pgoff: number): Uint8Array {
    let pg = this.pages.get(pgoff);
    if (pg === undefined) {
      pg = new Uint8Array(this.pageSize);
      this.pages.set(pgoff, pg);
    }
    return pg;
  }

  byteAt(pos: number): number {
    const pg = this.pages.get(Math.floor(pos / this.pageSize));
    return pg === undefined ? 0 : (pg[pos % this.pageSize] as number);
  }

  /** A copy of page pgoff's bytes (including any tail beyond i_size). */
  pageCopy(pgoff: number): Uint8Array {
    const pg = this.pages.get(pgoff);
    return pg === undefined ? new Uint8Array(this.pageSize) : pg.slice();
  }

  write(buf: Uint8Array, offset: number): void {
    const ps = this.pageSize;
    let done = 0;
    while (done < buf.length) {
      const pos = offset + done;
      const pgoff = Math.floor(pos / ps);
      const inPage = pos - pgoff * ps;
      const n = Math.min(ps - inPage, buf.length - done);
      this.page(pgoff).set(buf.subarray(done, done + n), inPage);
      done += n;
    }
    if (offset + buf.length > this.size) this.size = offset + buf.length;
  }

  read(offset: number, length: number): Uint8Array {
    const end = Math.min(this.size, offset + length);
    if (end <= offset) return new Uint8Array(0);
    const out = new Uint8Array(end - offset);
    const ps = this.pageSize;
    let done = 0;
    while (done < out.length) {
      const pos = offset + done;
      const pgoff = Math.floor(pos / ps);
      const inPage = pos - pgoff * ps;
      const n = Math.min(ps - inPage, out.length - done);
      const pg = this.pages.get(pgoff);
      if (pg !== undefined) out.set(pg.subarray(inPage, inPage + n), done);
      done += n;
    }
    return out;
  }
}

export type PageKind = 'anon-private' | 'file-shared' | 'file-private';

export interface PageEntry {
  kind: PageKind;
  /** Backing file (for MAP_SHARED|MAP_ANONYMOUS, a hidden shmem file); null for anon-private. */
  file: ModelFile | null;
  /** File page shown here (file kinds). */
  pgoff: number;
  prot: number;
  /** The page's own bytes once written (anon-private, and file-private after copy-on-write). */
  privateCopy?: Uint8Array | undefined;
  /** MAP_SHARED of a file opened O_RDONLY: Linux drops VM_SHARED and VM_MAYWRITE. */
  readOnlyFile: boolean;
  tag: number;
}

export interface MmapRequest {
  addr: number;
  length: number;
  prot: number;
  flags: number;
  /** Backing file, or null with MAP_ANONYMOUS. */
  file: ModelFile | null;
  /** What the fd allows; badFd: the fd is not open (EBADF). */
  fdCanWrite: boolean;
  badFd: boolean;
  offset: number;
}

export interface ModelConfig {
  pageSize: number;
  personality: 'linux-2.6' | 'linux-4.0';
  /** TASK_SIZE: end of user space. */
  taskSize: number;
  /** PTE_FILE_MAX_BITS (Infinity where the check is compiled out: i386 PAE). */
  pteFileMaxBits: number;
}

export class ReferenceModel {
  readonly cfg: ModelConfig;
  readonly ps: number;
  readonly pages = new Map<number, PageEntry>();
  /** Bumped whenever the set of pages or their attributes change (not their bytes). */
  layoutVersion = 0;
  #nextTag = 1;
  #anonFiles = 0;

  constructor(cfg: ModelConfig) {
    this.cfg = cfg;
    this.ps = cfg.pageSize;
  }

  newTag(): number {
    return this.#nextTag++;
  }

  // ------------------------------------------------------------------ memory access

  /** The page at addr for an access, or the signal the access raises there. */
  #access(addr: number, write: boolean): { page: PageEntry } | { fault: Outcome<never> } {
    const vpn = Math.floor(addr / this.ps);
    const pg = addr >= 0 && addr < this.cfg.taskSize ? this.pages.get(vpn) : undefined;
    if (pg === undefined) return { fault: err('SIGSEGV', SEGV_MAPERR, addr) };
    if ((pg.prot & (write ? PROT_WRITE : PROT_READ)) === 0) return { fault: err('SIGSEGV', SEGV_ACCERR, addr) };
    if (pg.kind === 'anon-private' || pg.privateCopy !== undefined) return { page: pg };
    const file = pg.file as ModelFile;
    if (pg.pgoff >= file.eofPages) return { fault: err('SIGBUS', BUS_ADRERR, addr) };
    return { page: pg };
  }

  /** Bytes a read of the page currently sees (after #access allowed it). */
  #bytesOf(pg: PageEntry): Uint8Array {
    if (pg.privateCopy !== undefined) return pg.privateCopy;
    if (pg.kind === 'anon-private') return new Uint8Array(this.ps);
    return (pg.file as ModelFile).page(pg.pgoff);
  }

  /** The bytes a store goes to: the file page (shared) or the private copy (taken now). */
  #writableBytesOf(pg: PageEntry): Uint8Array {
    if (pg.kind === 'file-shared') return (pg.file as ModelFile).page(pg.pgoff);
    if (pg.privateCopy === undefined) {
      pg.privateCopy = pg.kind === 'anon-private' ? new Uint8Array(this.ps) : (pg.file as ModelFile).pageCopy(pg.pgoff);
    }
    return pg.privateCopy;
  }

  load8(addr: number): Outcome<number> {
    const a = this.#access(addr, false);
    if ('fault' in a) return a.fault;
    const pg = a.page;
    const off = addr % this.ps;
    if (pg.privateCopy !== undefined) return okv(pg.privateCopy[off] as number);
    if (pg.kind === 'anon-private') return okv(0);
    return okv((pg.file as ModelFile).byteAt(pg.pgoff * this.ps + off));
  }

  store8(addr: number, value: number): Outcome<undefined> {
    const a = this.#access(addr, true);
    if ('fault' in a) return a.fault;
    this.#writableBytesOf(a.page)[addr % this.ps] = value & 0xff;
    return okv(undefined);
  }

  /** sim-kernel's load32: one access when aligned inside a page, else four byte loads in order. */
  load32(addr: number): Outcome<number> {
    if (addr % this.ps <= this.ps - 4 && addr % 4 === 0) {
      const a = this.#access(addr, false);
      if ('fault' in a) return a.fault;
    }
    let v = 0;
    for (let i = 0; i < 4; i++) {
      const r = this.load8(addr + i);
      if (!r.ok) return r;
      v += r.value * 2 ** (8 * i);
    }
    return okv(v);
  }

  /** store32: one access when aligned inside a page, else four byte stores in order (may stop half-way). */
  store32(addr: number, value: number): Outcome<undefined> {
    if (addr % this.ps <= this.ps - 4 && addr % 4 === 0) {
      const a = this.#access(addr, true);
      if ('fault' in a) return a.fault;
    }
    for (let i = 0; i < 4; i++) {
      const r = this.store8(addr + i, (value >>> (8 * i)) & 0xff);
      if (!r.ok) return r;
    }
    return okv(undefined);
  }

  /** Copy out [addr, addr + length), page by page; the first page that faults is the error. */
  read(addr: number, length: number): Outcome<Uint8Array> {
    const out = new Uint8Array(length);
    let done = 0;
    while (done < length) {
      const a = addr + done;
      const n = Math.min(this.ps - (a % this.ps), length - done);
      const acc = this.#access(a, false);
      if ('fault' in acc) return acc.fault;
      const off = a % this.ps;
      out.set(this.#bytesOf(acc.page).subarray(off, off + n), done);
      done += n;
    }
    return okv(out);
  }

  /** Copy in, page by page: pages before a faulting one keep the bytes written. */
  write(addr: number, bytes: Uint8Array): Outcome<undefined> {
    let done = 0;
    while (done < bytes.length) {
      const a = addr + done;
      const n = Math.min(this.ps - (a % this.ps), bytes.length - done);
      const acc = this.#access(a, true);
      if ('fault' in acc) return acc.fault;
      this.#writableBytesOf(acc.page).set(bytes.subarray(done, done + n), a % this.ps);
      done += n;
    }
    return okv(undefined);
  }

  /** What reading the whole page at vpn gives: its bytes, or the signal. */
  pageContents(vpn: number): Outcome<Uint8Array> {
    return this.read(vpn * this.ps, this.ps);
  }

  // ------------------------------------------------------------------ mmap

  /**
   * The errors of mmap this model decides (only the unambiguous ones the generator
   * produces). ok: the value is the address the kernel must return for MAP_FIXED, or
   * for a usable hint; null when placement is the kernel's choice.
   */
  mmapExpect(r: MmapRequest): Outcome<number | null> {
    const ps = this.ps;
    const anon = (r.flags & MAP_ANONYMOUS) !== 0;
    if (!Number.isSafeInteger(r.offset) || r.offset < 0 || r.offset % ps !== 0) return err('EINVAL');
    if (!anon && r.badFd) return err('EBADF');
    if (r.length === 0) return err('EINVAL');
    const type = r.flags & MAP_TYPE;
    if (type !== MAP_SHARED && type !== MAP_PRIVATE) return err('EINVAL');
    const len = Math.ceil(r.length / ps) * ps;
    if ((r.flags & MAP_FIXED) !== 0) {
      if (r.addr % ps !== 0) return err('EINVAL');
      if (r.addr < 0 || r.addr + len > this.cfg.taskSize) return err('ENOMEM');
    }
    if (!anon && type === MAP_SHARED && (r.prot & PROT_WRITE) !== 0 && !r.fdCanWrite) return err('EACCES');
    if ((r.flags & MAP_FIXED) !== 0) return okv(r.addr);
    if (r.addr > 0) {
      const a = Math.ceil(r.addr / ps) * ps;
      if (a >= MIN_HINT_ADDR && a + len <= this.cfg.taskSize && this.#free(a / ps, len / ps)) return okv(a);
    }
    return okv(null);
  }

  #free(vpn: number, n: number): boolean {
    for (let i = 0; i < n; i++) if (this.pages.has(vpn + i)) return false;
    return true;
  }

  /**
   * Record a successful mmap at `start` (the kernel's answer). Returns a complaint when
   * the kernel's placement is impossible, else null.
   */
  mmapCommit(r: MmapRequest, start: number): string | null {
    const ps = this.ps;
    const len = Math.ceil(r.length / ps) * ps;
    const fixed = (r.flags & MAP_FIXED) !== 0;
    if (!Number.isSafeInteger(start) || start % ps !== 0) return `mmap returned unaligned address ${start}`;
    if (start < 0 || start + len > this.cfg.taskSize) return `mmap returned 0x${start.toString(16)} outside user space`;
    if (fixed && start !== r.addr) return `MAP_FIXED mmap returned 0x${start.toString(16)}, asked 0x${r.addr.toString(16)}`;
    if (!fixed && !this.#free(start / ps, len / ps)) {
      return `mmap placed [0x${start.toString(16)}, +0x${len.toString(16)}) over existing mappings without MAP_FIXED`;
    }
    const shared = (r.flags & MAP_TYPE) === MAP_SHARED;
    let file = r.file;
    let pgoff = r.offset / ps;
    if ((r.flags & MAP_ANONYMOUS) !== 0) {
      if (shared) {
        file = new ModelFile(`shmem-anon-${++this.#anonFiles}`, ps, len);
        pgoff = 0;
      } else {
        file = null;
        pgoff = 0;
      }
    }
    const tag = this.newTag();
    const vpn0 = start / ps;
    for (let i = 0; i < len / ps; i++) {
      this.pages.set(vpn0 + i, {
        kind: file === null ? 'anon-private' : shared ? 'file-shared' : 'file-private',
        file,
        pgoff: file === null ? 0 : pgoff + i,
        prot: r.prot,
        readOnlyFile: shared && file !== null && !r.fdCanWrite,
        tag,
      });
    }
    this.layoutVersion++;
    return null;
  }

  // ------------------------------------------------------------------ munmap / mprotect

  munmap(addr: number, length: number): Outcome<undefined> {
    const ps = this.ps;
    if (!Number.isSafeInteger(addr) || addr % ps !== 0 || addr < 0 || addr > this.cfg.taskSize) return err('EINVAL');
    if (!Number.isSafeInteger(length) || length < 0 || length > this.cfg.taskSize - addr) return err('EINVAL');
    const n = Math.ceil(length / ps);
    if (n === 0) return err('EINVAL');
    const vpn0 = addr / ps;
    for (let i = 0; i < n; i++) this.pages.delete(vpn0 + i);
    this.layoutVersion++;
    return okv(undefined);
  }

  /**
   * mprotect: applied VMA by VMA from addr, so on an error part of the range may have
   * changed already (Linux does not roll back): pages up to the first hole (ENOMEM) or
   * the first read-only shared file page asked for PROT_WRITE (EACCES) take the new prot.
   */
  mprotect(addr: number, length: number, prot: number): Outcome<undefined> {
    const ps = this.ps;
    if (!Number.isSafeInteger(addr) || addr % ps !== 0) return err('EINVAL');
    if (length === 0) return okv(undefined);
    if (prot & ~(PROT_READ | PROT_WRITE | 4)) return err('EINVAL');
    const n = Math.ceil(length / ps);
    const vpn0 = addr / ps;
    const retag = new Map<number, number>();
    let result: Outcome<undefined> = okv(undefined);
    for (let i = 0; i < n; i++) {
      const pg = this.pages.get(vpn0 + i);
      if (pg === undefined) {
        result = err('ENOMEM');
        break;
      }
      if (pg.readOnlyFile && (prot & PROT_WRITE) !== 0) {
        result = err('EACCES');
        break;
      }
      let t = retag.get(pg.tag);
      if (t === undefined) {
        t = this.newTag();
        retag.set(pg.tag, t);
      }
      pg.tag = t;
      pg.prot = prot;
    }
    this.layoutVersion++;
    return result;
  }

  // ------------------------------------------------------------------ remap_file_pages

  /**
   * What remap_file_pages(start, size, prot, pgoff, flags) must do.
   * 2.6 (mm/fremap.c): EINVAL unless prot = 0, the rounded range is non-empty, pgoff +
   * npages < 2^PTE_FILE_MAX_BITS, the range lies in one VM_SHARED file VMA and pgoff +
   * npages <= the file's pages. "One VMA" is known only when all pages carry one tag;
   * otherwise (same file, same prot, different tags) the answer is 'either'.
   * 4.0 (mmap(MAP_FIXED) emulation): the range must be covered by VM_SHARED VMAs of one
   * file with equal flags (here: same file, same prot, not read-only) — exact; no EOF check.
   */
  remapExpect(start: number, size: number, prot: number, pgoff: number): Expectation {
    const ps = this.ps;
    const EINVAL = { code: 'EINVAL' };
    if (prot !== 0) return EINVAL;
    if (!Number.isSafeInteger(start) || !Number.isSafeInteger(size) || start < 0 || size < 0) return EINVAL;
    if (!Number.isSafeInteger(pgoff) || pgoff < 0) return EINVAL;
    const s = Math.floor(start / ps);
    const n = Math.floor(size / ps);
    if (n <= 0) return EINVAL;
    const native = this.cfg.personality === 'linux-2.6';
    if (native && pgoff + n >= 2 ** this.cfg.pteFileMaxBits) return EINVAL;
    const first = this.pages.get(s);
    if (first === undefined || first.kind !== 'file-shared' || first.readOnlyFile) return EINVAL;
    let sameTag = true;
    for (let i = 0; i < n; i++) {
      const pg = this.pages.get(s + i);
      if (pg === undefined || pg.kind !== 'file-shared' || pg.readOnlyFile || pg.file !== first.file || pg.prot !== first.prot) {
        return EINVAL;
      }
      if (pg.tag !== first.tag) sameTag = false;
    }
    if (!native) return 'ok';
    if (pgoff + n > (first.file as ModelFile).eofPages) return EINVAL;
    return sameTag ? 'ok' : 'either';
  }

  /** Apply a remap the kernel accepted: each window page shows file page pgoff + i from now on. */
  remapApply(start: number, size: number, pgoff: number): void {
    const s = Math.floor(start / this.ps);
    const n = Math.floor(size / this.ps);
    const tag = this.cfg.personality === 'linux-4.0' ? this.newTag() : -1;
    for (let i = 0; i < n; i++) {
      const pg = this.pages.get(s + i) as PageEntry;
      pg.pgoff = pgoff + i;
      if (tag >= 0) pg.tag = tag;
    }
    this.layoutVersion++;
  }

  // ------------------------------------------------------------------ file I/O

  pwrite(file: ModelFile, canWrite: boolean, buf: Uint8Array, offset: number): Outcome<number> {
    if (!canWrite) return err('EBADF');
    if (!Number.isSafeInteger(offset) || offset < 0) return err('EINVAL');
    file.write(buf, offset);
    return okv(buf.length);
  }

  pread(file: ModelFile, length: number, offset: number): Outcome<Uint8Array> {
    if (!Number.isSafeInteger(offset) || offset < 0) return err('EINVAL');
    return okv(file.read(offset, length));
  }

  // ------------------------------------------------------------------ layout queries

  /** Sorted mapped page numbers. */
  sortedVpns(): number[] {
    return [...this.pages.keys()].sort((a, b) => a - b);
  }

  describe(vpn: number): string {
    const pg = this.pages.get(vpn);
    if (pg === undefined) return 'unmapped';
    const prot = (pg.prot & PROT_READ ? 'r' : '-') + (pg.prot & PROT_WRITE ? 'w' : '-');
    const f = pg.file === null ? '' : ` ${pg.file.name}@${pg.pgoff}`;
    return `${pg.kind}${pg.readOnlyFile ? '(ro-fd)' : ''} ${prot}${f}${pg.privateCopy !== undefined ? ' [copied]' : ''} tag ${pg.tag}`;
  }
}
