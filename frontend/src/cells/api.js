// JSON over fetch() for the lesson's endpoints (docs/code-cells.md).
// Every path is relative to a base URL: the container's data-base-url, or an exercise block's.

export class HttpError extends Error {
  constructor(status, message, data) {
    super(message);
    this.status = status;
    this.data = data;
  }
}

export class NetworkError extends Error {}

// The message of an error answer ({"message": "…"}), or a fallback.
export async function messageOf(response) {
  let data = null;
  try {
    data = await response.json();
  } catch (err) {
    // Not JSON (a proxy's error page): fall through to the generic text.
  }
  const message =
    data && typeof data.message === "string" && data.message
      ? data.message
      : `The server answered ${response.status}${response.statusText ? ` ${response.statusText}` : ""}.`;
  return { message, data };
}

export class Api {
  // `base` defaults to the container's data-base-url (the cells' endpoints); exercise blocks carry
  // their own (the exercises' endpoints) and share the container's CSRF token.
  constructor(container, base = container.dataset.baseUrl) {
    base = base || "./";
    if (!base.endsWith("/")) base += "/";
    this.base = new URL(base, document.baseURI);
    this.csrf = container.dataset.csrfToken || "";
  }

  url(path) {
    return new URL(path, this.base).href;
  }

  // The raw Response; throws NetworkError when the server cannot be reached
  // (and lets an AbortError through).
  async request(method, path, body, { signal, keepalive, accept } = {}) {
    const init = {
      method,
      credentials: "same-origin",
      headers: { Accept: accept || "application/json" },
      signal,
      keepalive: !!keepalive,
    };
    if (method !== "GET") {
      init.headers["Content-Type"] = "application/json";
      init.headers["X-CSRFToken"] = this.csrf;
      init.body = JSON.stringify(body || {});
    }
    try {
      return await fetch(this.url(path), init);
    } catch (err) {
      if (err && err.name === "AbortError") throw err;
      throw new NetworkError("Could not reach the server. Check your connection and try again.");
    }
  }

  // The parsed JSON answer; throws HttpError for a 4xx/5xx answer.
  async json(method, path, body, options) {
    const response = await this.request(method, path, body, options);
    if (!response.ok) {
      const { message, data } = await messageOf(response);
      throw new HttpError(response.status, message, data);
    }
    return response.json();
  }

  get(path) {
    return this.json("GET", path);
  }

  post(path, body, options) {
    return this.json("POST", path, body, options);
  }
}
