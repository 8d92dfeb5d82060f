/** Serves the dashboard function alone: `deno serve -A functions/dashboard/serve.ts`. */
import { standalone } from "../standalone.ts";
import { dashboard } from "./routes.ts";

export default standalone(dashboard);
