/** Writing a secret to disk: readable by its owner only, and never seen half written. */

/** Writes text to path with mode 0600 through a temporary file and a rename (replacing what was there). */
export async function writePrivateFile(path: string, text: string): Promise<void> {
  const tmp = `${path}.${Deno.pid}.tmp`;
  await Deno.writeTextFile(tmp, text, { mode: 0o600 });
  await Deno.chmod(tmp, 0o600); // the mode option is subject to the umask; chmod is not
  await Deno.rename(tmp, path);
}
