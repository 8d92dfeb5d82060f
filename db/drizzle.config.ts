/** drizzle-kit configuration: `deno task db:generate` writes SQL migrations to db/migrations. */
export default {
  dialect: "postgresql",
  schema: "./db/schema.ts",
  out: "./db/migrations",
};
