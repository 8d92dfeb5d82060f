/** Server-Sent Events from a response body, parsed as they arrive (the service's /v1/runs/:id/events). */

/** One event: its name ("message" when unnamed) and its data lines joined. */
export interface SseEvent {
  event: string;
  data: string;
}

/** Yields each event of the stream until it ends; comment blocks (keep-alives) are skipped. */
export async function* sseEvents(body: ReadableStream<Uint8Array>): AsyncGenerator<SseEvent> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  try {
    while (true) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += decoder.decode(value, { stream: true });
      let cut;
      while ((cut = buffer.indexOf("\n\n")) >= 0) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        if (block.startsWith(":")) continue;
        const event = { event: "message", data: "" };
        for (const line of block.split("\n")) {
          if (line.startsWith("event:")) event.event = line.slice(6).trim();
          else if (line.startsWith("data:")) event.data += line.slice(5).trim();
        }
        yield event;
      }
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
}
