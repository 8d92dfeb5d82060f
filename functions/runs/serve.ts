/** Serves the runs function alone: `deno serve -A functions/runs/serve.ts`. */
import { standalone } from "../standalone.ts";
import { runs } from "./routes.ts";

export default standalone(runs);
