/** Type declarations for the two codec packages that ship none (only what src/kafka/codecs.ts calls). */
declare module 'snappyjs' {
  export function compress(data: Uint8Array): Uint8Array;
  export function uncompress(data: Uint8Array, maxLength?: number): Uint8Array;
}

declare module 'lz4js' {
  export function compressBound(n: number): number;
  /** Writes an LZ4 frame of `src` into `dst`; returns its length. */
  export function compressFrame(src: Uint8Array, dst: Uint8Array): number;
  export function decompress(src: Uint8Array, maxSize?: number): Uint8Array;
}
