/**
 * Linux constants by their Linux names and values (x86 / asm-generic, as in 2.6),
 * so that code and tests written against Linux read the same here.
 */

// <asm-generic/mman-common.h>
export const PROT_NONE = 0x0;
export const PROT_READ = 0x1;
export const PROT_WRITE = 0x2;
export const PROT_EXEC = 0x4;

export const MAP_SHARED = 0x01;
export const MAP_PRIVATE = 0x02;
export const MAP_TYPE = 0x0f;
export const MAP_FIXED = 0x10;
export const MAP_ANONYMOUS = 0x20;
export const MAP_ANON = MAP_ANONYMOUS;
export const MAP_GROWSDOWN = 0x0100;
export const MAP_DENYWRITE = 0x0800;
export const MAP_EXECUTABLE = 0x1000;
export const MAP_LOCKED = 0x2000;
export const MAP_NORESERVE = 0x4000;
export const MAP_POPULATE = 0x8000;
export const MAP_NONBLOCK = 0x10000;
/**
 * remap_file_pages only, with KernelConfig.perPageProt: honour `prot` for these pages
 * instead of inheriting the VMA's (prot 0 then means PROT_NONE). 0x20000 on x86 in the
 * 2005 "remap_file_pages protection support" series (asm-i386/mman.h; renamed
 * MAP_CHGPROT in 2006 on Hugh Dickins' advice, same value). Never in a merged kernel.
 */
export const MAP_NOINHERIT = 0x20000;

/** mmap's error return, for callers that compare against it (we throw instead). */
export const MAP_FAILED = -1;

export const MS_ASYNC = 1;
export const MS_INVALIDATE = 2;
export const MS_SYNC = 4;

export const MCL_CURRENT = 1;
export const MCL_FUTURE = 2;

export const MADV_NORMAL = 0;
export const MADV_RANDOM = 1;
export const MADV_SEQUENTIAL = 2;
export const MADV_WILLNEED = 3;
export const MADV_DONTNEED = 4;

// <linux/fadvise.h> (x86_64 and the generic ABI)
export const POSIX_FADV_NORMAL = 0;
export const POSIX_FADV_RANDOM = 1;
export const POSIX_FADV_SEQUENTIAL = 2;
export const POSIX_FADV_WILLNEED = 3;
export const POSIX_FADV_DONTNEED = 4;
export const POSIX_FADV_NOREUSE = 5;

// <asm-generic/fcntl.h>
export const O_ACCMODE = 0o3;
export const O_RDONLY = 0o0;
export const O_WRONLY = 0o1;
export const O_RDWR = 0o2;
export const O_CREAT = 0o100;
export const O_EXCL = 0o200;
export const O_NOCTTY = 0o400;
export const O_TRUNC = 0o1000;
export const O_APPEND = 0o2000;
export const O_NONBLOCK = 0o4000;
export const O_DSYNC = 0o10000;
export const O_DIRECT = 0o40000;
export const O_LARGEFILE = 0o100000;
export const O_DIRECTORY = 0o200000;
export const O_NOFOLLOW = 0o400000;
export const O_CLOEXEC = 0o2000000;
export const O_SYNC = 0o4010000;

// <linux/fs.h> sync_file_range flags (2.6.17)
export const SYNC_FILE_RANGE_WAIT_BEFORE = 1;
export const SYNC_FILE_RANGE_WRITE = 2;
export const SYNC_FILE_RANGE_WAIT_AFTER = 4;

// vm_flags (include/linux/mm.h, 2.6)
export const VM_READ = 0x00000001;
export const VM_WRITE = 0x00000002;
export const VM_EXEC = 0x00000004;
export const VM_SHARED = 0x00000008;
export const VM_MAYREAD = 0x00000010;
export const VM_MAYWRITE = 0x00000020;
export const VM_MAYEXEC = 0x00000040;
export const VM_MAYSHARE = 0x00000080;
export const VM_GROWSDOWN = 0x00000100;
export const VM_LOCKED = 0x00002000;
export const VM_IO = 0x00004000;
export const VM_SEQ_READ = 0x00008000;
export const VM_RAND_READ = 0x00010000;
export const VM_DONTCOPY = 0x00020000;
export const VM_DONTEXPAND = 0x00040000;
export const VM_RESERVED = 0x00080000;
export const VM_ACCOUNT = 0x00100000;
export const VM_HUGETLB = 0x00400000;
export const VM_NONLINEAR = 0x00800000;
/**
 * The VMA's pages may differ in protection (remap_file_pages with MAP_NOINHERIT, or
 * mprotect inside a nonlinear VMA, under KernelConfig.perPageProt): faults read the
 * protection from the PTE, not the VMA. 0x01000000 in the 2005 series (VM_MANYPROTS
 * in 2006); always set together with VM_NONLINEAR.
 */
export const VM_NONUNIFORM = 0x01000000;

/** USHRT_MAX - 5, include/linux/mm.h DEFAULT_MAX_MAP_COUNT (65536 in 2.6.5–2.6.24). */
export const DEFAULT_MAX_MAP_COUNT = 65530;

/** Pages scanned per step of the nonlinear reclaim cluster scan (mm/rmap.c CLUSTER_SIZE). */
export const CLUSTER_SIZE = 32;

/**
 * Pages reclaim is asked to free per call (include/linux/swap.h SWAP_CLUSTER_MAX = 32):
 * the batch of try_to_free_pages (direct reclaim) and of each balance_pgdat pass (kswapd).
 */
export const SWAP_CLUSTER_MAX = 32;

// struct stat st_mode bits
export const S_IFREG = 0o100000;
