/** Compiles a base64-encoded WebAssembly module; null where WebAssembly (or a feature it uses) is missing. */
export function compileBase64Module(base64: string): WebAssembly.Module | null {
  try {
    if (typeof WebAssembly !== "object") return null;
    const bin = atob(base64);
    const bytes = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    // validate() is false when the engine lacks SIMD or relaxed SIMD, rather than throwing later.
    if (!WebAssembly.validate(bytes)) return null;
    return new WebAssembly.Module(bytes);
  } catch {
    return null;
  }
}
