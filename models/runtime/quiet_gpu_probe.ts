/**
 * Asking navigator.gpu for an adapter loads the Vulkan drivers, whose window-system code tries to reach a Wayland
 * display. Without XDG_RUNTIME_DIR (any headless server, container or CI) libwayland-client then prints
 * "error: XDG_RUNTIME_DIR is invalid or not set in the environment." once per process and worker: harmless, but
 * it reads like a failure of ours. A Wayland display named by an absolute path skips that check, and one that
 * does not exist fails to connect without a word. A session with a real display (a valid XDG_RUNTIME_DIR, or
 * WAYLAND_DISPLAY/WAYLAND_SOCKET already set) is left alone.
 */

/** Where the quiet display points: an absolute path that never exists. */
export const HEADLESS_WAYLAND_DISPLAY = "/nonexistent/fidstream-headless-wayland";

/** Call before the first navigator.gpu.requestAdapter of the process (idempotent; workers share the env). */
export function quietHeadlessGpuProbe(env: Pick<typeof Deno.env, "get" | "set"> = Deno.env): void {
  if (env.get("XDG_RUNTIME_DIR")?.startsWith("/")) return;
  if (env.get("WAYLAND_DISPLAY") !== undefined || env.get("WAYLAND_SOCKET") !== undefined) return;
  env.set("WAYLAND_DISPLAY", HEADLESS_WAYLAND_DISPLAY);
}
