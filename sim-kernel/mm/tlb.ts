/**
 * The TLB of the CPU a process runs on: a direct-mapped cache of translations.
 *
 * Owns: per entry the virtual page number (-1 empty), the physical byte address of the
 * page, and two bits — WRITABLE (the PTE allows writes) and DIRTY (the PTE's dirty bit
 * is already set, so a write needs no page-walk to set it, as x86 sets D on the first
 * write through an entry). Invariant: an entry is valid only while its PTE is present
 * with the same frame and at least the cached permissions; every PTE change that
 * breaks this is followed by a flush (the callers' job, checked by checkInvariants of
 * the address space).
 *
 * Flushes follow x86: a range up to FLUSH_CEILING_PAGES pages is flushed page by page
 * (invlpg), a larger one flushes everything (tlb_single_page_flush_ceiling = 33).
 */

export const TLB_WRITABLE = 1;
export const TLB_DIRTY = 2;
export const FLUSH_CEILING_PAGES = 33;

export class Tlb {
  readonly size: number;
  readonly mask: number;
  readonly vpn: Float64Array;
  readonly phys: Float64Array;
  readonly bits: Uint8Array;
  hits = 0;
  misses = 0;
  flushes = 0;
  fullFlushes = 0;

  constructor(entries: number) {
    this.size = entries;
    this.mask = entries - 1;
    this.vpn = new Float64Array(entries).fill(-1);
    this.phys = new Float64Array(entries);
    this.bits = new Uint8Array(entries);
  }

  fill(vpn: number, physBase: number, bits: number): void {
    const i = vpn & this.mask;
    this.vpn[i] = vpn;
    this.phys[i] = physBase;
    this.bits[i] = bits;
  }

  /** invlpg: drop the entry for vpn if cached. */
  flushPage(vpn: number): void {
    const i = vpn & this.mask;
    if (this.vpn[i] === vpn) this.vpn[i] = -1;
    this.flushes++;
  }

  /** flush_tlb_range: page by page up to the ceiling, else everything. */
  flushRange(startVpn: number, endVpn: number): void {
    const n = endVpn - startVpn;
    if (n <= 0) return;
    if (n > FLUSH_CEILING_PAGES || n >= this.size) {
      this.flushAll();
      return;
    }
    for (let v = startVpn; v < endVpn; v++) {
      const i = v & this.mask;
      if (this.vpn[i] === v) this.vpn[i] = -1;
    }
    this.flushes++;
  }

  flushAll(): void {
    this.vpn.fill(-1);
    this.flushes++;
    this.fullFlushes++;
  }

  /** Number of valid entries (for views and tests). */
  validCount(): number {
    let n = 0;
    for (let i = 0; i < this.size; i++) if ((this.vpn[i] as number) >= 0) n++;
    return n;
  }
}
