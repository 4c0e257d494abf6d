/**
 * Seeded model-based test under memory pressure (sim-kernel part 2).
 *
 * A machine with very little RAM (256 frames, test-min sized) runs random loads and
 * stores through a nonlinear window over a tmpfs file, a nonlinear window over a host
 * file, a linear mapping of the host file and anonymous memory, plus pread/pwrite,
 * remaps, mlock/munlock of a window and MADV_DONTNEED — with reclaim and swap churning
 * all the time. The reference is plain arrays: the bytes each file and the anonymous
 * region must hold. After every step the bytes read equal the reference and
 * `checkInvariants()` holds (frames, ref and map counts, swap use counts, LRU
 * membership); while a window is mlocked its frames never change; with injected faults
 * a read returns the right bytes or fails with an error — never wrong data.
 * Seed: REMAPDB_SEED (printed); steps: REMAPDB_PRESSURE_STEPS.
 */

import * as fs from 'node:fs';
import * as path from 'node:path';
import t, { type Test } from 'tap';

import {
  type ArchName, CodedError, Kernel, type KernelConfigInput, MADV_DONTNEED, MAP_ANONYMOUS, MAP_PRIVATE, MAP_SHARED, O_CREAT,
  O_RDWR, type PersonalityName, Prng, type Process,
} from '../../sim-kernel/index.js';

import { PS, RW, tmpDir } from './helpers.js';

const SEED = Number(process.env.REMAPDB_SEED ?? 20261126) >>> 0;
const STEPS = Number(process.env.REMAPDB_PRESSURE_STEPS ?? 600);
const TMP_PAGES = 128;
const HOST_PAGES = 96;
const ANON_PAGES = 64;
const WIN_SLOTS = 16;

interface World {
  k: Kernel;
  p: Process;
  tmpFd: number;
  hostFd: number;
  tmpRef: Uint8Array;
  hostRef: Uint8Array;
  anonRef: Uint8Array;
  winT: number;
  winH: number;
  lin: number;
  anon: number;
  slotT: Int32Array;
  slotH: Int32Array;
  lockedT: boolean;
}

function build(dir: string, cfg: KernelConfigInput, rng: Prng): World {
  const k = new Kernel({
    ramBytes: 256 * PS, swapBytes: 1024 * PS, tlbEntries: 16, readaheadPages: 4, cpus: 2, seed: rng.nextU32(), ...cfg,
  });
  const p = k.spawn();
  p.setThreads(2);
  const tmpRef = new Uint8Array(TMP_PAGES * PS);
  const hostRef = new Uint8Array(HOST_PAGES * PS);
  for (let i = 0; i < tmpRef.length; i += 97) tmpRef[i] = rng.nextU32() & 0xff;
  for (let i = 0; i < hostRef.length; i += 89) hostRef[i] = rng.nextU32() & 0xff;
  const hostPath = path.join(dir, 'host.dat');
  fs.writeFileSync(hostPath, hostRef);
  const tmpFd = p.open('/dev/shm/pressure', O_RDWR | O_CREAT, 0o600);
  p.pwrite(tmpFd, tmpRef, 0);
  const hostFd = p.open(hostPath, O_RDWR);
  const winT = p.mmap(0, WIN_SLOTS * PS, RW, MAP_SHARED, tmpFd, 0);
  const winH = p.mmap(0, WIN_SLOTS * PS, RW, MAP_SHARED, hostFd, 0);
  const lin = p.mmap(0, HOST_PAGES * PS, RW, MAP_SHARED, hostFd, 0);
  const anon = p.mmap(0, ANON_PAGES * PS, RW, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  const slotT = new Int32Array(WIN_SLOTS);
  const slotH = new Int32Array(WIN_SLOTS);
  for (let s = 0; s < WIN_SLOTS; s++) {
    slotT[s] = s;
    slotH[s] = s;
  }
  return {
    k, p, tmpFd, hostFd, tmpRef, hostRef, anonRef: new Uint8Array(ANON_PAGES * PS), winT, winH, lin, anon, slotT, slotH, lockedT: false,
  };
}

/** The window frames while mlocked: they must not move (only our remaps change them). */
function windowFrames(w: World): number[] {
  return w.p.ptes(w.winT, WIN_SLOTS * PS).map((e) => (e.kind === 'present' ? e.frame : -1));
}

function isInjected(err: unknown): boolean {
  return err instanceof CodedError && ['EIO', 'SIGBUS', 'ENOSPC', 'ENOMEM'].includes(err.code);
}

function run(t: Test, arch: ArchName, personality: PersonalityName, faults: boolean): void {
  const rng = new Prng(SEED ^ (arch.length * 7919) ^ (personality === 'linux-4.0' ? 0x4000 : 0) ^ (faults ? 0xfa : 0));
  const dir = tmpDir(t);
  const cfg: KernelConfigInput = { arch, personality };
  if (faults) cfg.faults = { swapWriteEioRate: 0.05, swapReadEioRate: 0.02, readEioRate: 0.02, writeEioRate: 0.05 };
  const w = build(dir, cfg, rng);
  const { k, p } = w;
  const history: string[] = [];
  let lockedFrames: number[] | null = null;
  let mismatches = 0;
  let errors = 0;
  const expectByte = (what: string, got: number, want: number): void => {
    if (got !== want) {
      mismatches++;
      t.fail(`${what}: read ${got}, expected ${want} (seed ${SEED}; last ops: ${history.slice(-10).join(' | ')})`);
    }
  };
  for (let step = 0; step < STEPS; step++) {
    const op = rng.int(0, 13);
    const off = rng.int(0, PS - 1);
    const val = rng.nextU32() & 0xff;
    try {
      switch (op) {
        case 0: { // remap a slot of the tmpfs window
          const s = rng.int(0, WIN_SLOTS - 1);
          const pg = rng.int(0, TMP_PAGES - 1);
          history.push(`remapT ${s}->${pg}`);
          p.remap_file_pages(w.winT + s * PS, PS, 0, pg, 0);
          w.slotT[s] = pg;
          if (w.lockedT) lockedFrames = windowFrames(w);
          break;
        }
        case 1: { // remap a slot of the host window
          const s = rng.int(0, WIN_SLOTS - 1);
          const pg = rng.int(0, HOST_PAGES - 1);
          history.push(`remapH ${s}->${pg}`);
          p.remap_file_pages(w.winH + s * PS, PS, 0, pg, 0);
          w.slotH[s] = pg;
          break;
        }
        case 2: case 3: { // store / load through the tmpfs window
          const s = rng.int(0, WIN_SLOTS - 1);
          const at = (w.slotT[s] as number) * PS + off;
          if (op === 2) {
            history.push(`storeT ${s}+${off}=${val}`);
            p.store8(w.winT + s * PS + off, val);
            w.tmpRef[at] = val;
          } else {
            history.push(`loadT ${s}+${off}`);
            expectByte(`window(tmpfs) slot ${s} (page ${w.slotT[s]}) +${off}`, p.load8(w.winT + s * PS + off), w.tmpRef[at] as number);
          }
          break;
        }
        case 4: { // load through the host window
          const s = rng.int(0, WIN_SLOTS - 1);
          history.push(`loadH ${s}+${off}`);
          expectByte(`window(host) slot ${s} (page ${w.slotH[s]}) +${off}`, p.load8(w.winH + s * PS + off),
            w.hostRef[(w.slotH[s] as number) * PS + off] as number);
          break;
        }
        case 5: case 6: { // store / load through the linear host mapping
          const at = rng.int(0, HOST_PAGES * PS - 1);
          if (op === 5) {
            history.push(`storeL ${at}=${val}`);
            p.store8(w.lin + at, val);
            w.hostRef[at] = val;
          } else {
            history.push(`loadL ${at}`);
            expectByte(`linear host byte ${at}`, p.load8(w.lin + at), w.hostRef[at] as number);
          }
          break;
        }
        case 7: case 8: { // anonymous memory
          const at = rng.int(0, ANON_PAGES * PS - 1);
          if (op === 7) {
            history.push(`storeA ${at}=${val}`);
            p.store8(w.anon + at, val);
            w.anonRef[at] = val;
          } else {
            history.push(`loadA ${at}`);
            expectByte(`anonymous byte ${at}`, p.load8(w.anon + at), w.anonRef[at] as number);
          }
          break;
        }
        case 9: { // pwrite / pread a range of the tmpfs file
          const start = rng.int(0, TMP_PAGES * PS - 64);
          const buf = new Uint8Array(rng.int(1, 64)).fill(val);
          history.push(`pwriteT ${start}+${buf.length}`);
          p.pwrite(w.tmpFd, buf, start);
          w.tmpRef.set(buf, start);
          const back = new Uint8Array(buf.length);
          p.pread(w.tmpFd, back, start);
          for (let i = 0; i < back.length; i++) expectByte(`pread tmpfs ${start + i}`, back[i] as number, w.tmpRef[start + i] as number);
          break;
        }
        case 10: { // pread the host file (the linear mapping's stores are in the same page cache)
          const start = rng.int(0, HOST_PAGES * PS - 64);
          const back = new Uint8Array(64);
          history.push(`preadH ${start}`);
          p.pread(w.hostFd, back, start);
          for (let i = 0; i < back.length; i++) expectByte(`pread host ${start + i}`, back[i] as number, w.hostRef[start + i] as number);
          break;
        }
        case 11: { // lock or unlock the tmpfs window
          history.push(w.lockedT ? 'munlockT' : 'mlockT');
          if (w.lockedT) {
            p.munlock(w.winT, WIN_SLOTS * PS);
            lockedFrames = null;
          } else {
            p.mlock(w.winT, WIN_SLOTS * PS);
            lockedFrames = windowFrames(w);
          }
          w.lockedT = !w.lockedT;
          break;
        }
        case 12: { // MADV_DONTNEED on a few anonymous pages: they read back as zeros
          const pg = rng.int(0, ANON_PAGES - 4);
          history.push(`dontneedA ${pg}`);
          p.madvise(w.anon + pg * PS, 4 * PS, MADV_DONTNEED);
          w.anonRef.fill(0, pg * PS, (pg + 4) * PS);
          break;
        }
        case 13: { // MADV_DONTNEED on the unlocked host window: offsets stay in file PTEs
          if (w.lockedT) break;
          history.push('dontneedH');
          p.madvise(w.winH, WIN_SLOTS * PS, MADV_DONTNEED);
          break;
        }
      }
    } catch (err) {
      if (!(faults && isInjected(err))) throw err;
      // A store or pwrite that failed did not happen: the reference is updated only after success.
      errors++;
      history.push(`error ${(err as CodedError).code}`);
    }
    if (lockedFrames !== null) {
      const now = windowFrames(w);
      if (now.join() !== lockedFrames.join()) t.fail(`step ${step}: an mlocked window page moved (seed ${SEED})`);
    }
    k.checkInvariants();
  }
  const vs = k.vmstatFields();
  t.ok(vs.pgsteal! > 0, `reclaim ran (pgsteal ${vs.pgsteal})`);
  t.ok(vs.pswpout! > 0, `swap ran (pswpout ${vs.pswpout}, pswpin ${vs.pswpin})`);
  t.equal(mismatches, 0, `${STEPS} steps, no wrong byte (${errors} injected errors surfaced, seed ${SEED})`);
  if (faults) t.ok(Object.values(k.core.faults.injected).reduce((a, b) => a + b, 0) > 0, 'faults were injected');
  k.shutdown();
}

t.comment(`pressure model seed ${SEED} (REMAPDB_SEED=${SEED} replays), ${STEPS} steps per run`);
for (const arch of ['x86_64', 'i386'] as const) {
  for (const personality of ['linux-2.6', 'linux-4.0'] as const) {
    t.test(`${arch} ${personality}: pressure model`, async (t) => run(t, arch, personality, false));
  }
}
t.test('x86_64 linux-2.6: pressure model with injected I/O faults', async (t) => run(t, 'x86_64', 'linux-2.6', true));
