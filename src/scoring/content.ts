/**
 * The content hash of a scored image: sha256 of the patch grid the selector saw (after decode,
 * resize and crop). Score datasets record it per row (meta.contentHash = "sha256"), so a lab that
 * may not redistribute pixels can share only its scores, and another lab rebuilds identical
 * tickets from its own copy, every image checked against it (src/tickets/materialize.ts).
 */
import { createHash } from 'node:crypto';

export function contentHash(patches: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(patches).digest());
}
