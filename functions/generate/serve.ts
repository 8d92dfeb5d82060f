/** Serves the generate function alone: `deno serve -A functions/generate/serve.ts`. */
import { standalone } from "../standalone.ts";
import { generate } from "./routes.ts";

export default standalone(generate);
