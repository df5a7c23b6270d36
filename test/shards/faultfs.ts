/** An Fs that fails with a chosen errno at the n-th write-like call (write, writeFile, rename). */
import { constants } from 'node:fs';
import * as fsp from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import type { Fs } from '../../src/util/fsx.js';

export interface FaultFs extends Fs {
  state: { calls: number; fired: boolean };
}

function sysError(code: string, path: string): NodeJS.ErrnoException {
  const e: NodeJS.ErrnoException = new Error(`${code}: injected fault, write '${path}'`);
  e.code = code;
  return e;
}

/** Whether open flags (`'w'`, `'wx'`, or numeric such as CREATE_NEW) open a file for writing. */
function forWriting(flags: string | number | undefined): boolean {
  if (typeof flags === 'number') return (flags & (constants.O_WRONLY | constants.O_RDWR)) !== 0;
  return flags !== undefined && /[wa+]/.test(flags);
}

export function faultFs(code: string, failAt: number): FaultFs {
  const state = { calls: 0, fired: false };
  const hit = (path: string): void => {
    state.calls++;
    if (state.calls === failAt) {
      state.fired = true;
      throw sysError(code, path);
    }
  };
  const wrap = (fh: FileHandle, path: string): FileHandle =>
    new Proxy(fh, {
      get(target, prop, receiver) {
        const v = Reflect.get(target, prop, receiver) as unknown;
        if (prop === 'write' || prop === 'writeFile') {
          return async (...args: unknown[]) => {
            hit(path);
            return (v as (...a: unknown[]) => Promise<unknown>).apply(target, args);
          };
        }
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
  const fs = {
    ...fsp,
    open: async (path: string, flags?: string | number) => {
      const fh = await fsp.open(path, flags);
      return forWriting(flags) ? wrap(fh, path) : fh;
    },
    rename: async (a: string, b: string) => {
      hit(b);
      return fsp.rename(a, b);
    },
  } as unknown as Fs;
  return Object.assign(fs, { state }) as FaultFs;
}
