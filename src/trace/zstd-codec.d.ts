// Local type declaration for zstd-codec 0.1.x, a CommonJS package without published types.
// Only the parts src/trace/zstd.ts uses are declared.
declare module 'zstd-codec' {
  namespace zstdCodec {
    /** One-shot API. Both methods return null on failure instead of throwing. */
    interface Simple {
      /** Embeds the content size in the frame header. level 0 or undefined means 3. */
      compress(content: Uint8Array, level?: number): Uint8Array | null;
      /** Null for frames without a content size (and for a content size of 0). */
      decompress(compressed: Uint8Array): Uint8Array | null;
    }
    interface Generic {
      compressBound(content: Uint8Array): number | null;
      contentSize(compressed: Uint8Array): number | null;
    }
    interface Streaming {
      compress(content: Uint8Array, level?: number): Uint8Array | null;
      decompress(compressed: Uint8Array, sizeHint?: number): Uint8Array | null;
    }
    interface Zstd {
      Simple: new () => Simple;
      Generic: new () => Generic;
      Streaming: new () => Streaming;
    }
    interface ZstdCodecStatic {
      /** Instantiates the emscripten module asynchronously and then calls back once. */
      run(callback: (zstd: Zstd) => void): void;
    }
  }
  const zstdCodec: { ZstdCodec: zstdCodec.ZstdCodecStatic };
  export = zstdCodec;
}
