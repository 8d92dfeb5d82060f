/** Absolute path of the generated SQL migrations (drizzle's runtime migrators need a filesystem path). */
export const migrationsFolder: string = new URL("./migrations", import.meta.url).pathname;
