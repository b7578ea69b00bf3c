import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

/** Hex sha256 of bytes or text: what pack manifests record for every artifact. */
export const sha256Hex = (data: Buffer | string): string => createHash('sha256').update(data).digest('hex');

/** Hex sha256 of a file's bytes. */
export const sha256File = (file: string): string => sha256Hex(readFileSync(file));
