/** Serves the events function alone: `deno serve -A functions/events/serve.ts`. */
import { standalone } from "../standalone.ts";
import { events } from "./routes.ts";

export default standalone(events);
