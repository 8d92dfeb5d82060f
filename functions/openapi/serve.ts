/** Serves the openapi function alone: `deno serve -A functions/openapi/serve.ts`. */
import { standalone } from "../standalone.ts";
import { openapi } from "./routes.ts";

export default standalone(openapi);
