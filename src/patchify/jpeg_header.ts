/**
 * A minimal JPEG header reader (pure, no sharp): frame size and EXIF orientation, read from the
 * markers before the first scan. It lets decode.ts plan the resize without a second libvips open
 * (sharp's metadata() costs about 5% of a 500×375 decode). Anything unexpected returns null and
 * the caller falls back to sharp's metadata, so it never has to be complete, only right when it
 * answers.
 */

export interface JpegHeader {
  width: number;
  height: number;
  /** EXIF orientation 1–8 (1 when absent). */
  orientation: number;
  /** Components of the frame (1 grayscale, 3 YCbCr or RGB, 4 CMYK). */
  components: number;
}

/** SOFn markers carrying the frame size: C0–CF except DHT (C4), JPG (C8) and DAC (CC). */
function isSof(marker: number): boolean {
  return marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
}

/** Orientation tag (0x0112) of IFD0 in an EXIF TIFF block starting at `start`; 1 when absent. */
function exifOrientation(b: Uint8Array, start: number, end: number): number | null {
  if (end - start < 8) return null;
  const view = new DataView(b.buffer, b.byteOffset + start, end - start);
  const order = view.getUint16(0);
  if (order !== 0x4949 && order !== 0x4d4d) return null;
  const le = order === 0x4949;
  const ifd = view.getUint32(4, le);
  if (ifd + 2 > view.byteLength) return null;
  const count = view.getUint16(ifd, le);
  for (let i = 0; i < count; i++) {
    const entry = ifd + 2 + i * 12;
    if (entry + 12 > view.byteLength) return null;
    if (view.getUint16(entry, le) === 0x0112) {
      const value = view.getUint16(entry + 8, le);
      return value >= 1 && value <= 8 ? value : 1;
    }
  }
  return 1;
}

/** Reads size and orientation of a JPEG, or null if `b` is not a JPEG this reader understands. */
export function readJpegHeader(b: Uint8Array): JpegHeader | null {
  if (b.length < 4 || b[0] !== 0xff || b[1] !== 0xd8) return null;
  let orientation = 1;
  let pos = 2;
  while (pos + 4 <= b.length) {
    if (b[pos] !== 0xff) return null;
    const marker = b[pos + 1];
    if (marker === 0xff) {
      pos++; // fill byte
      continue;
    }
    if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      pos += 2; // standalone markers
      continue;
    }
    const len = (b[pos + 2] << 8) | b[pos + 3];
    const end = pos + 2 + len;
    if (len < 2 || end > b.length || marker === 0xda || marker === 0xd9) return null; // scan before frame: give up
    if (marker === 0xe1 && len >= 8 && b[pos + 4] === 0x45 && b[pos + 5] === 0x78 && b[pos + 6] === 0x69 && b[pos + 7] === 0x66) {
      const o = exifOrientation(b, pos + 10, end);
      if (o === null) return null;
      orientation = o;
    } else if (isSof(marker)) {
      if (len < 8) return null;
      const height = (b[pos + 5] << 8) | b[pos + 6];
      const width = (b[pos + 7] << 8) | b[pos + 8];
      const components = b[pos + 9];
      // Orientation tags follow the frame only in broken files; EXIF (APP1) comes first by the spec.
      return width > 0 && height > 0 ? { width, height, orientation, components } : null;
    }
    pos = end;
  }
  return null;
}
