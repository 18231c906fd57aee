// Incremental parser for a text/event-stream body, as the HTML standard
// ("Server-sent events", parsing an event stream) describes it. Used for the
// POST run answer, which EventSource cannot read.
//
// Only the `event` and `data` fields matter here; `id` and `retry` are
// ignored, comment lines (":…") are skipped, and an event that is not closed
// by a blank line when the stream ends is dropped, as EventSource does.
export function createParser(onEvent) {
  let buffer = "";
  let name = "";
  let data = [];

  function line(text) {
    if (text === "") {
      if (data.length) onEvent(name || "message", data.join("\n"));
      name = "";
      data = [];
      return;
    }
    if (text[0] === ":") return;
    const colon = text.indexOf(":");
    const field = colon < 0 ? text : text.slice(0, colon);
    let value = colon < 0 ? "" : text.slice(colon + 1);
    if (value[0] === " ") value = value.slice(1);
    if (field === "event") name = value;
    else if (field === "data") data.push(value);
  }

  return {
    push(chunk) {
      buffer += chunk;
      let start = 0;
      for (let i = 0; i < buffer.length; i++) {
        const c = buffer[i];
        if (c !== "\n" && c !== "\r") continue;
        // A CR at the end of a chunk may be the first half of CRLF.
        if (c === "\r" && i === buffer.length - 1) break;
        line(buffer.slice(start, i));
        if (c === "\r" && buffer[i + 1] === "\n") i++;
        start = i + 1;
      }
      buffer = buffer.slice(start);
    },
  };
}

// Read a fetch() Response body as server-sent events, calling
// onEvent(name, dataString) for each as soon as it is complete. Resolves when
// the body ends; rejects if reading fails (connection dropped, aborted).
export async function readEvents(response, onEvent) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  const parser = createParser(onEvent);
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      parser.push(decoder.decode(value, { stream: true }));
    }
    parser.push(decoder.decode());
  } finally {
    reader.releaseLock();
  }
}
