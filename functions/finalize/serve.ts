/** Serves the finalize function alone: `deno serve -A functions/finalize/serve.ts`. */
import { standalone } from "../standalone.ts";
import { finalize } from "./routes.ts";

export default standalone(finalize);
