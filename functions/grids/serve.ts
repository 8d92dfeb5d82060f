/** Serves the grids function alone: `deno serve -A functions/grids/serve.ts`. */
import { standalone } from "../standalone.ts";
import { grids } from "./routes.ts";

export default standalone(grids);
