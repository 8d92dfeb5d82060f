/** Serves the latents function alone: `deno serve -A functions/latents/serve.ts`. */
import { standalone } from "../standalone.ts";
import { latents } from "./routes.ts";

export default standalone(latents);
