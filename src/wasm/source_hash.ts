/** SHA-256 (hex) of a kernel source text, as recorded in its generated module (line endings normalized). */
export async function kernelSourceSha256(source: string): Promise<string> {
  const bytes = new TextEncoder().encode(source.replace(/\r\n/g, "\n"));
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}
