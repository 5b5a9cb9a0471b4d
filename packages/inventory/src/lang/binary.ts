// Just enough of ELF (and the magic of Mach-O / PE) for the binary analyzers: which format a
// file is, the file offset of a virtual address (Go's pre-1.18 build info holds pointers), and
// a named section's bytes (cargo-auditable's `.dep-v0`). Every read is bounds-checked.

export type BinaryFormat = 'elf' | 'macho' | 'pe';

export function binaryFormat(b: Uint8Array): BinaryFormat | undefined {
  if (b.length < 4) return undefined;
  if (b[0] === 0x7f && b[1] === 0x45 && b[2] === 0x4c && b[3] === 0x46) return 'elf';
  if (b[0] === 0x4d && b[1] === 0x5a) return 'pe';
  const m = ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
  if ([0xfeedface, 0xfeedfacf, 0xcefaedfe, 0xcffaedfe, 0xcafebabe].includes(m)) return 'macho';
  return undefined;
}

export interface Elf {
  is64: boolean;
  le: boolean;
  buf: Buffer;
}

export function readUint(buf: Buffer, off: number, size: number, le: boolean): number | undefined {
  if (off < 0 || off + size > buf.length) return undefined;
  if (size === 1) return buf[off];
  if (size === 2) return le ? buf.readUInt16LE(off) : buf.readUInt16BE(off);
  if (size === 4) return le ? buf.readUInt32LE(off) : buf.readUInt32BE(off);
  if (size === 8) {
    const v = le ? buf.readBigUInt64LE(off) : buf.readBigUInt64BE(off);
    return v > BigInt(Number.MAX_SAFE_INTEGER) ? undefined : Number(v);
  }
  return undefined;
}

export function parseElf(buf: Buffer): Elf | undefined {
  if (binaryFormat(buf) !== 'elf' || buf.length < 52) return undefined;
  const cls = buf[4];
  const data = buf[5];
  if ((cls !== 1 && cls !== 2) || (data !== 1 && data !== 2)) return undefined;
  return { is64: cls === 2, le: data === 1, buf };
}

/** File offset of a virtual address, through the PT_LOAD program headers. */
export function elfVaddrToOffset(e: Elf, vaddr: number): number | undefined {
  const { buf, le, is64 } = e;
  const phoff = readUint(buf, is64 ? 0x20 : 0x1c, is64 ? 8 : 4, le);
  const phentsize = readUint(buf, is64 ? 0x36 : 0x2a, 2, le);
  const phnum = readUint(buf, is64 ? 0x38 : 0x2c, 2, le);
  if (phoff === undefined || !phentsize || phnum === undefined) return undefined;
  for (let i = 0; i < Math.min(phnum, 256); i++) {
    const h = phoff + i * phentsize;
    const type = readUint(buf, h, 4, le);
    if (type !== 1) continue; // PT_LOAD
    const off = readUint(buf, h + (is64 ? 8 : 4), is64 ? 8 : 4, le);
    const va = readUint(buf, h + (is64 ? 16 : 8), is64 ? 8 : 4, le);
    const fsz = readUint(buf, h + (is64 ? 32 : 16), is64 ? 8 : 4, le);
    if (off === undefined || va === undefined || fsz === undefined) continue;
    if (vaddr >= va && vaddr < va + fsz) return off + (vaddr - va);
  }
  return undefined;
}

/** Bytes of the ELF section called `name`, or undefined. */
export function elfSection(e: Elf, name: string): Buffer | undefined {
  const { buf, le, is64 } = e;
  const shoff = readUint(buf, is64 ? 0x28 : 0x20, is64 ? 8 : 4, le);
  const shentsize = readUint(buf, is64 ? 0x3a : 0x2e, 2, le);
  const shnum = readUint(buf, is64 ? 0x3c : 0x30, 2, le);
  const shstrndx = readUint(buf, is64 ? 0x3e : 0x32, 2, le);
  if (!shoff || !shentsize || !shnum || shstrndx === undefined || shstrndx >= shnum) return undefined;
  const sec = (i: number) => {
    const h = shoff + i * shentsize;
    return {
      name: readUint(buf, h, 4, le),
      offset: readUint(buf, h + (is64 ? 0x18 : 0x10), is64 ? 8 : 4, le),
      size: readUint(buf, h + (is64 ? 0x20 : 0x14), is64 ? 8 : 4, le),
    };
  };
  const strtab = sec(shstrndx);
  if (strtab.offset === undefined || strtab.size === undefined) return undefined;
  for (let i = 0; i < Math.min(shnum, 4096); i++) {
    const s = sec(i);
    if (s.name === undefined || s.offset === undefined || s.size === undefined) continue;
    const start = strtab.offset + s.name;
    if (start >= buf.length) continue;
    const end = buf.indexOf(0, start);
    if (end < 0) continue;
    if (buf.toString('latin1', start, end) !== name) continue;
    if (s.offset + s.size > buf.length) return undefined;
    return buf.subarray(s.offset, s.offset + s.size);
  }
  return undefined;
}
