/**
 * A simulated process: its file descriptors, its address space, and the system calls
 * by their Linux names and argument order. Memory is reached through the MMU
 * (translate → TLB → page walk → fault), never around it.
 *
 * Errors: a failed call throws KernelError (code = errno name, errno = number) with
 * the errno Linux 2.6 gives; a bad access throws SegvError / BusError.
 * File-level calls live here; the memory-mapping calls in syscalls/ (mmap.ts, fremap.ts,
 * mlock.ts, madvise.ts) and the larger file calls (sync-file-range.ts, fadvise.ts), which
 * this class delegates to so each file stays one concept.
 */

import * as fs from 'node:fs';

import { EV, VS } from './accounting.js';
import { PTE_ACCESSED, PTE_DIRTY, PTE_PRESENT, PTE_RW, pfnOf } from './arch.js';
import { O_ACCMODE, O_CREAT, O_EXCL, O_TRUNC, S_IFREG } from './constants.js';
import type { Core } from './core.js';
import { KernelError, SEGV_MAPERR, SegvError, hostError, kassert } from './errors.js';
import { findPage, getPage, markDirty, maybeReleaseInode } from './fs/pagecache.js';
import { type Inode, InodeTable, OpenFile, type StatResult } from './fs/vfs.js';
import { freeFrame, markAccessed } from './mem/page-alloc.js';
import { PG_PAGECACHE } from './mem/physmem.js';
import { handleFault } from './mm/fault.js';
import { Mm } from './mm/mm.js';
import { PT_NONE } from './mm/pagetable.js';
import { TLB_DIRTY, TLB_WRITABLE } from './mm/tlb.js';
import { doFadvise } from './syscalls/fadvise.js';
import { doRemapFilePages } from './syscalls/fremap.js';
import { doMadvise, doMincore } from './syscalls/madvise.js';
import { doMlock, doMlockall, doMunlockall } from './syscalls/mlock.js';
import * as mmapOps from './syscalls/mmap.js';
import { doMprotect } from './syscalls/mprotect.js';
import { checkSyncFileRangeArgs, doSyncFileRange } from './syscalls/sync-file-range.js';
import * as views from './views.js';

/** RLIMIT_NOFILE's usual soft limit. */
const MAX_FDS = 1024;
const FIRST_FD = 3;

export class Process {
  readonly pid: number;
  readonly core: Core;
  readonly mm: Mm;
  readonly #fds: (OpenFile | null)[] = [];
  readonly #pageSize: number;
  #exited = false;

  constructor(pid: number, core: Core) {
    this.pid = pid;
    this.core = core;
    this.mm = new Mm(pid, core);
    this.#pageSize = core.pageSize;
  }

  /** All of simulated RAM; a pinned frame f's bytes start at f * pageSize. */
  get physBytes(): Uint8Array {
    return this.core.mem.bytes;
  }

  get pageSize(): number {
    return this.#pageSize;
  }

  #enter(): void {
    kassert(!this.#exited, `process ${this.pid} has exited`);
    this.core.acct.charge(EV.syscallEntry);
    this.core.background();
  }

  // ---------------------------------------------------------------- files

  open(path: string, flags: number, mode = 0o666): number {
    this.#enter();
    const acc = flags & O_ACCMODE;
    if (acc === O_ACCMODE) throw new KernelError('EINVAL', 'open', `flags 0x${flags.toString(16)}: access mode 3 is not O_RDONLY, O_WRONLY or O_RDWR`);
    const fd = this.#freeFd();
    let inode: Inode;
    if (InodeTable.isTmpfsPath(path)) {
      inode = this.#openTmpfs(path, flags);
    } else {
      const real = InodeTable.resolveHostPath(path);
      let st: fs.Stats;
      try {
        // Open as asked so the host decides ENOENT / EEXIST / EACCES / EISDIR, then share one inode.
        const hostFlags = (flags & (O_ACCMODE | O_CREAT | O_EXCL)) | (flags & O_TRUNC);
        const hfd = fs.openSync(real, hostFlags, mode);
        try {
          st = fs.fstatSync(hfd);
        } finally {
          fs.closeSync(hfd);
        }
      } catch (err) {
        throw hostError(err, 'open', path);
      }
      if (!st.isFile()) throw new KernelError('EISDIR', 'open', `${path} is not a regular file`);
      inode = this.core.vfs.hostInode(real, st);
      if ((flags & O_TRUNC) !== 0 && acc !== 0) mmapOps.truncateInode(this.core, inode, 0, false);
    }
    inode.openCount++;
    this.#fds[fd] = new OpenFile(inode, acc, flags);
    return fd;
  }

  #openTmpfs(path: string, flags: number): Inode {
    const existing = this.core.vfs.tmpfs.get(path);
    if (existing !== undefined) {
      if ((flags & O_CREAT) !== 0 && (flags & O_EXCL) !== 0) throw new KernelError('EEXIST', 'open', `${path} exists`);
      if ((flags & O_TRUNC) !== 0 && (flags & O_ACCMODE) !== 0) mmapOps.truncateInode(this.core, existing, 0, false);
      return existing;
    }
    if ((flags & O_CREAT) === 0) throw new KernelError('ENOENT', 'open', `${path}: no such file on tmpfs`);
    return this.core.vfs.createTmpfsInode(path);
  }

  #freeFd(): number {
    for (let fd = FIRST_FD; fd < MAX_FDS; fd++) if (this.#fds[fd] === undefined || this.#fds[fd] === null) return fd;
    throw new KernelError('EMFILE', 'open', `all ${MAX_FDS - FIRST_FD} descriptors in use (RLIMIT_NOFILE ${MAX_FDS})`);
  }

  /** The open file behind fd, or EBADF. */
  file(fd: number, syscall: string): OpenFile {
    const f = Number.isInteger(fd) && fd >= 0 ? this.#fds[fd] : undefined;
    if (f === undefined || f === null) throw new KernelError('EBADF', syscall, `fd ${fd} is not open`);
    return f;
  }

  close(fd: number): void {
    this.#enter();
    const f = this.file(fd, 'close');
    this.#fds[fd] = null;
    f.inode.openCount--;
    maybeReleaseInode(this.core, f.inode);
  }

  pread(fd: number, buf: Uint8Array, offset: number): number {
    this.#enter();
    const f = this.file(fd, 'pread');
    if (!f.canRead) throw new KernelError('EBADF', 'pread', `fd ${fd} is not open for reading`);
    if (!Number.isSafeInteger(offset) || offset < 0) throw new KernelError('EINVAL', 'pread', `offset ${offset} is negative or not an integer`);
    const inode = f.inode;
    const ps = this.#pageSize;
    const core = this.core;
    const end = Math.min(inode.size, offset + buf.length);
    let pos = offset;
    while (pos < end) {
      const pgoff = Math.floor(pos / ps);
      const inPage = pos - pgoff * ps;
      const n = Math.min(ps - inPage, end - pos);
      let frame = findPage(inode, pgoff);
      if (frame < 0 && (inode.kind === 'host' || inode.swapped.has(pgoff))) {
        frame = getPage(core, inode, pgoff, 'pread', core.config.readaheadPages);
      }
      if (frame >= 0) markAccessed(core, frame);
      if (frame >= 0) buf.set(core.mem.bytes.subarray(frame * ps + inPage, frame * ps + inPage + n), pos - offset);
      else buf.fill(0, pos - offset, pos - offset + n); // a tmpfs hole reads as zeros
      core.acct.charge(EV.pageCopy, n / ps);
      pos += n;
    }
    return Math.max(0, end - offset);
  }

  pwrite(fd: number, buf: Uint8Array, offset: number): number {
    this.#enter();
    const f = this.file(fd, 'pwrite');
    if (!f.canWrite) throw new KernelError('EBADF', 'pwrite', `fd ${fd} is not open for writing`);
    if (!Number.isSafeInteger(offset) || offset < 0) throw new KernelError('EINVAL', 'pwrite', `offset ${offset} is negative or not an integer`);
    return mmapOps.writeThroughCache(this.core, f.inode, buf, offset, 'pwrite');
  }

  fsync(fd: number): void {
    this.#enter();
    this.#sync(this.file(fd, 'fsync'), false, 'fsync');
  }

  fdatasync(fd: number): void {
    this.#enter();
    this.#sync(this.file(fd, 'fdatasync'), true, 'fdatasync');
  }

  /**
   * sync_file_range(2): start write-back of [offset, offset + nbytes) (nbytes 0: to EOF)
   * to the host file, optionally waiting (syscalls/sync-file-range.ts).
   */
  syncFileRange(fd: number, offset: number, nbytes: number, flags: number): void {
    this.#enter();
    checkSyncFileRangeArgs(offset, nbytes, flags);
    doSyncFileRange(this.core, this.file(fd, 'sync_file_range'), offset, nbytes, flags);
  }

  #sync(file: OpenFile, data: boolean, syscall: string): void {
    mmapOps.syncInode(this.core, file.inode, data, syscall, file);
  }

  ftruncate(fd: number, length: number): void {
    this.#enter();
    const f = this.file(fd, 'ftruncate');
    if (!f.canWrite) throw new KernelError('EINVAL', 'ftruncate', `fd ${fd} is not open for writing`);
    if (!Number.isSafeInteger(length) || length < 0) throw new KernelError('EINVAL', 'ftruncate', `length ${length} is negative or not an integer`);
    mmapOps.truncateInode(this.core, f.inode, length, true);
  }

  /** posix_fadvise(2): POSIX_FADV_DONTNEED drops a host file's clean, unmapped cached pages of the range (syscalls/fadvise.ts). */
  posix_fadvise(fd: number, offset: number, len: number, advice: number): void {
    this.#enter();
    doFadvise(this.core, this.file(fd, 'posix_fadvise'), offset, len, advice);
  }

  fstat(fd: number): StatResult {
    this.#enter();
    const inode = this.file(fd, 'fstat').inode;
    let mode = S_IFREG | 0o644;
    if (inode.kind === 'host' && inode.hostFd >= 0) mode = fs.fstatSync(inode.hostFd).mode;
    return {
      dev: inode.dev,
      ino: inode.ino,
      mode,
      nlink: inode.nlink,
      size: inode.size,
      blksize: this.#pageSize,
      blocks: Math.ceil(inode.size / 512),
    };
  }

  unlink(path: string): void {
    this.#enter();
    if (InodeTable.isTmpfsPath(path)) {
      const inode = this.core.vfs.tmpfs.get(path);
      if (inode === undefined) throw new KernelError('ENOENT', 'unlink', `${path}: no such file on tmpfs`);
      this.core.vfs.tmpfs.delete(path);
      inode.nlink = 0;
      maybeReleaseInode(this.core, inode);
      return;
    }
    const real = InodeTable.resolveHostPath(path);
    try {
      const st = fs.statSync(real);
      fs.unlinkSync(real);
      this.core.vfs.forgetHostInode(st);
    } catch (err) {
      throw hostError(err, 'unlink', path);
    }
  }

  // ---------------------------------------------------------------- memory mappings

  mmap(addr: number, length: number, prot: number, flags: number, fd: number, offset: number): number {
    this.#enter();
    this.core.acct.count(VS.nr_mmap_calls);
    return mmapOps.doMmap(this, addr, length, prot, flags, fd, offset);
  }

  munmap(addr: number, length: number): void {
    this.#enter();
    this.core.acct.count(VS.nr_munmap_calls);
    mmapOps.doMunmap(this.mm, addr, length, 'munmap');
  }

  mprotect(addr: number, length: number, prot: number): void {
    this.#enter();
    doMprotect(this.mm, addr, length, prot);
  }

  remap_file_pages(start: number, size: number, prot: number, pgoff: number, flags: number): void {
    this.#enter();
    this.core.acct.count(VS.nr_remaps);
    doRemapFilePages(this, start, size, prot, pgoff, flags);
  }

  msync(addr: number, length: number, flags: number): void {
    this.#enter();
    mmapOps.doMsync(this.mm, addr, length, flags);
  }

  mlock(addr: number, length: number): void {
    this.#enter();
    doMlock(this, addr, length, true);
  }

  munlock(addr: number, length: number): void {
    this.#enter();
    doMlock(this, addr, length, false);
  }

  mlockall(flags: number): void {
    this.#enter();
    doMlockall(this, flags);
  }

  munlockall(): void {
    this.#enter();
    doMunlockall(this);
  }

  madvise(addr: number, length: number, advice: number): void {
    this.#enter();
    doMadvise(this.mm, addr, length, advice);
  }

  /** One byte per page of [addr, addr + length): 1 when resident. */
  mincore(addr: number, length: number): Uint8Array {
    this.#enter();
    return doMincore(this.mm, addr, length);
  }

  /**
   * Threads of this process on other CPUs (capped at the machine's cpus): each TLB flush
   * then also costs a shootdown IPI per other CPU.
   */
  setThreads(n: number): void {
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`setThreads: n must be an integer >= 1, got ${n}`);
    this.mm.activeCpus = Math.min(n, this.core.config.cpus);
  }

  // ---------------------------------------------------------------- the MMU

  /**
   * Physical byte address of virtual address addr for a read or a write: a TLB hit
   * costs nothing and allocates nothing; a miss walks the page tables; a fault is
   * handled as Linux would and the walk retried.
   */
  translate(addr: number, write: boolean): number {
    const ps = this.#pageSize;
    const vpn = Math.floor(addr / ps);
    const tlb = this.mm.tlb;
    const i = vpn & tlb.mask;
    if (tlb.vpn[i] === vpn && (!write || ((tlb.bits[i] as number) & TLB_DIRTY) !== 0)) {
      tlb.hits++;
      return (tlb.phys[i] as number) + (addr - vpn * ps);
    }
    return this.#translateSlow(addr, vpn, write) + (addr - vpn * ps);
  }

  #translateSlow(addr: number, vpn: number, write: boolean): number {
    const mm = this.mm;
    const tlb = mm.tlb;
    const acct = this.core.acct;
    tlb.misses++;
    if (!(addr >= 0 && addr < mm.taskSize)) {
      acct.count(VS.nr_sigsegv);
      acct.charge(EV.signalDeliver);
      throw new SegvError(SEGV_MAPERR, addr, write ? 'write' : 'read', 'address outside user space');
    }
    for (let attempt = 0; attempt < 3; attempt++) {
      acct.charge(EV.pageWalk);
      acct.count(VS.page_walks);
      const w = mm.ptePtrExisting(vpn);
      if (w !== PT_NONE && w >= 0) {
        const lo = mm.pteLo(w);
        if ((lo & PTE_PRESENT) !== 0 && (!write || (lo & PTE_RW) !== 0)) {
          // The hardware walker sets A, and D on a write.
          const want = (lo | PTE_ACCESSED | (write ? PTE_DIRTY : 0)) >>> 0;
          if (want !== lo) this.core.mem.words[w] = want;
          const f = pfnOf(this.core.arch, lo, mm.pteHi(w));
          // TLB_DIRTY means "a write may hit": only for a writable PTE whose D bit is set (a page
          // written, then made read-only by mprotect, keeps D but must fault on the next write).
          const writable = (lo & PTE_RW) !== 0;
          const bits = (writable ? TLB_WRITABLE : 0) | (writable && (want & PTE_DIRTY) !== 0 ? TLB_DIRTY : 0);
          tlb.fill(vpn, f * this.#pageSize, bits);
          return f * this.#pageSize;
        }
      }
      this.core.background();
      handleFault(mm, addr, write);
    }
    kassert(false, `fault at 0x${addr.toString(16)} not resolved after 3 attempts`);
  }

  load8(addr: number): number {
    return this.core.mem.bytes[this.translate(addr, false)] as number;
  }

  store8(addr: number, value: number): void {
    this.core.mem.bytes[this.translate(addr, true)] = value;
  }

  load16(addr: number): number {
    return this.load8(addr) | (this.load8(addr + 1) << 8);
  }

  store16(addr: number, value: number): void {
    this.store8(addr, value & 0xff);
    this.store8(addr + 1, (value >>> 8) & 0xff);
  }

  load32(addr: number): number {
    const ps = this.#pageSize;
    // `&` keeps the low 32 bits: exact for in-page offsets of integer addresses up to 2^53.
    if ((addr & (ps - 1)) <= ps - 4 && (addr & 3) === 0) {
      const p = this.translate(addr, false);
      return (this.core.mem.words[p >>> 2] as number) >>> 0;
    }
    return (this.load16(addr) | (this.load16(addr + 2) << 16)) >>> 0;
  }

  store32(addr: number, value: number): void {
    const ps = this.#pageSize;
    if ((addr & (ps - 1)) <= ps - 4 && (addr & 3) === 0) {
      const p = this.translate(addr, true);
      this.core.mem.words[p >>> 2] = value >>> 0;
      return;
    }
    this.store16(addr, value & 0xffff);
    this.store16(addr + 2, (value >>> 16) & 0xffff);
  }

  /** Copy `length` bytes out of the address space (page by page through the MMU). */
  read(addr: number, length: number): Uint8Array {
    const out = new Uint8Array(length);
    const ps = this.#pageSize;
    let done = 0;
    while (done < length) {
      const a = addr + done;
      const n = Math.min(ps - (a % ps), length - done);
      const p = this.translate(a, false);
      out.set(this.core.mem.bytes.subarray(p, p + n), done);
      done += n;
    }
    return out;
  }

  /** Copy bytes into the address space (page by page through the MMU). */
  write(addr: number, bytes: Uint8Array): void {
    const ps = this.#pageSize;
    let done = 0;
    while (done < bytes.length) {
      const a = addr + done;
      const n = Math.min(ps - (a % ps), bytes.length - done);
      const p = this.translate(a, true);
      this.core.mem.bytes.set(bytes.subarray(done, done + n), p);
      done += n;
    }
  }

  /**
   * get_user_pages for one page: fault it in (for writing if asked), take a reference
   * so reclaim cannot take it, and return its frame. Bytes: physBytes at frame * pageSize.
   */
  pinPage(addr: number, write: boolean): number {
    const phys = this.translate(addr, write);
    const f = Math.floor(phys / this.#pageSize);
    const mem = this.core.mem;
    (mem.pin[f] as number)++;
    (mem.refcount[f] as number)++;
    return f;
  }

  /** put_page of a pin; `dirtied` marks a page-cache page dirty (set_page_dirty_lock). */
  unpinPage(frame: number, dirtied: boolean): void {
    const mem = this.core.mem;
    kassert((mem.pin[frame] as number) > 0, `unpin of frame ${frame} that is not pinned`);
    if (dirtied && ((mem.flags[frame] as number) & PG_PAGECACHE) !== 0) markDirty(this.core, frame);
    (mem.pin[frame] as number)--;
    (mem.refcount[frame] as number)--;
    if (mem.refcount[frame] === 0) freeFrame(this.core, frame);
  }

  // ---------------------------------------------------------------- views

  /** /proc/PID/maps. */
  maps(): string {
    return views.maps(this);
  }

  /** /proc/PID/smaps. */
  smaps(): string {
    return views.smaps(this);
  }

  /** PTE states of [addr, addr + length). */
  ptes(addr: number, length: number): views.PteInfo[] {
    return views.ptes(this, addr, length);
  }

  /** exit_mmap and close every fd. */
  exit(): void {
    if (this.#exited) return;
    for (let fd = 0; fd < this.#fds.length; fd++) if (this.#fds[fd]) this.close(fd);
    mmapOps.exitMmap(this.mm);
    this.#exited = true;
  }

  get exited(): boolean {
    return this.#exited;
  }

  checkInvariants(): void {
    this.mm.checkInvariants();
  }
}
