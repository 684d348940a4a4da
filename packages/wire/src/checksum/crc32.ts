/**
 * CRC-32 (IEEE 802.3, as in zlib and Go's `hash/crc32.ChecksumIEEE`): reflected polynomial
 * 0xEDB88320, initial value 0xFFFFFFFF, final xor 0xFFFFFFFF. memberlist's hasCrc wrapper
 * (type 12) carries it big-endian over the payload after its 5-byte header.
 *
 * Table-driven, eight bytes per step ("slicing-by-8"): `TABLES[k * 256 + b]` is the CRC
 * contribution of byte `b` followed by `k` zero bytes.
 */

const POLY = 0xedb88320;

const TABLES: Int32Array = buildTables();

function buildTables(): Int32Array {
  const t = new Int32Array(8 * 256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) {
      c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1;
    }
    t[n] = c;
  }
  for (let n = 0; n < 256; n++) {
    let c = t[n]!;
    for (let k = 1; k < 8; k++) {
      c = t[c & 0xff]! ^ (c >>> 8);
      t[k * 256 + n] = c;
    }
  }
  return t;
}

/** The IEEE CRC-32 of `data`, as an unsigned 32-bit integer (`crc32("123456789") === 0xcbf43926`). */
export function crc32(data: Uint8Array): number {
  const t = TABLES;
  const n = data.length;
  let crc = -1;
  let i = 0;
  const end8 = n - (n & 7);
  while (i < end8) {
    const lo = crc ^ (data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24));
    crc =
      t[1792 + (lo & 0xff)]! ^
      t[1536 + ((lo >>> 8) & 0xff)]! ^
      t[1280 + ((lo >>> 16) & 0xff)]! ^
      t[1024 + (lo >>> 24)]! ^
      t[768 + data[i + 4]!]! ^
      t[512 + data[i + 5]!]! ^
      t[256 + data[i + 6]!]! ^
      t[data[i + 7]!]!;
    i += 8;
  }
  while (i < n) {
    crc = t[(crc ^ data[i]!) & 0xff]! ^ (crc >>> 8);
    i++;
  }
  return (crc ^ -1) >>> 0;
}
