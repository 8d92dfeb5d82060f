/** Serves the models function alone: `deno serve -A functions/models/serve.ts`. */
import { standalone } from "../standalone.ts";
import { models } from "./routes.ts";

export default standalone(models);
