/** Serves the images function alone: `deno serve -A functions/images/serve.ts`. */
import { standalone } from "../standalone.ts";
import { images } from "./routes.ts";

export default standalone(images);
