/** Serves the reconstructions function alone: `deno serve -A functions/reconstructions/serve.ts`. */
import { standalone } from "../standalone.ts";
import { reconstructions } from "./routes.ts";

export default standalone(reconstructions);
