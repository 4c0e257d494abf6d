import * as fs from 'node:fs';
import { openBufferPool } from './bufferpool/index.js';
import { Kernel, O_CREAT, O_RDWR } from './sim-kernel/index.js';
const k = new Kernel({ personality: 'linux-2.6', perPageProt: true, ramBytes: 4 << 20, seed: 7 });
const p = k.spawn();
fs.rmSync('/tmp/dbg.db', { force: true });
const fd = p.open('/tmp/dbg.db', O_RDWR | O_CREAT, 0o600);
let durable = 0;
const wal = { durableLsn: () => durable, flushLog: (l: number) => { durable = Math.max(durable, l); } };
const pool = openBufferPool(k, p, fd, { strategy: 'nonlinear', policy: 'clock', slots: 8, shadowSlots: 4, wal, guard: true }, 0);
for (let i = 0; i < 24; i++) pool.allocate();
const x = pool.fix(9, 'exclusive');
pool.bytes[pool.writeOffset(x)] = 1;
console.log(p.ptes(pool.addr(x), 4096)[0], pool.snapshot().slots.filter(s => s.pageId >= 0).map(s => [s.working, s.pending]));
durable++; pool.markLsn(9, durable);
console.log(p.ptes(pool.addr(x), 4096)[0], pool.snapshot().slots.filter(s => s.pageId >= 0).map(s => [s.working, s.pending]));
try { pool.writeOffset(x); console.log('no fault'); } catch (e) { console.log(String(e)); }
