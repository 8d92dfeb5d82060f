/** Serves the admin function alone: `deno serve -A functions/admin/serve.ts`. */
import { standalone } from "../standalone.ts";
import { admin } from "./routes.ts";

export default standalone(admin);
