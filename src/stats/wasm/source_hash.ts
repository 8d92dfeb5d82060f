/** SHA-256 (hex) of the kernel source text, as recorded in the generated module (line endings normalized). */
export async function linalgKernelsSourceSha256(source: string): Promise<string> {
  const bytes = new TextEncoder().encode(source.replace(/\r\n/g, "\n"));
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}
