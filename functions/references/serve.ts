/** Serves the references function alone: `deno serve -A functions/references/serve.ts`. */
import { standalone } from "../standalone.ts";
import { references } from "./routes.ts";

export default standalone(references);
