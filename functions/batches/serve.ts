/** Serves the batches function alone: `deno serve -A functions/batches/serve.ts`. */
import { standalone } from "../standalone.ts";
import { batches } from "./routes.ts";

export default standalone(batches);
