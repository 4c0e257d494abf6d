import * as fs from 'node:fs';
import { Kernel, O_CREAT, O_RDWR, MAP_PRIVATE, MAP_ANONYMOUS, PROT_NONE, PROT_READ, PROT_WRITE } from './sim-kernel/index.js';
for (const personality of ['linux-2.6', 'linux-4.0'] as const) {
const k = new Kernel({ personality, perPageProt: true, ramBytes: 4 << 20, seed: 7 });
const p = k.spawn();
const b = p.mmap(0, 4 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
const frames = [0,1,2,3].map(i => p.pinPage(b + i * 4096, true));
p.mprotect(b, 4 * 4096, PROT_NONE);
p.mprotect(b + 4096, 4096, PROT_READ | PROT_WRITE);
console.log(personality, frames, p.translate(b + 4096, true) / 4096, p.ptes(b, 4 * 4096).map(x => `${x.kind}:${x.frame}:${x.prot}`));
}
