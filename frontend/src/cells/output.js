// Renders the output parts of docs/code-cells.md into a cell's output area.
// The server has already made every part safe; the browser never interprets
// anything but these five kinds, and text is only ever set as text. The
// class names are those of the server's example output
// (cells/rendering/, render_parts_html), so both look the same.

const IMAGE_MIME = /^image\/(png|jpeg|svg\+xml)$/;

export class OutputArea {
  constructor(el) {
    this.el = el;
    this.stream = null; // the <pre> that consecutive text parts go into
  }

  clear() {
    this.el.textContent = "";
    this.stream = null;
  }

  add(node) {
    this.stream = null;
    this.el.append(node);
    return node;
  }

  part(part) {
    if (!part || typeof part !== "object") return;
    switch (part.type) {
      case "text":
        this.text(part.stream === "stderr" ? "stderr" : "stdout", String(part.text || ""));
        break;
      case "html":
        this.html(String(part.html || ""));
        break;
      case "image":
        this.image(part);
        break;
      case "latex":
        this.latex(String(part.latex || ""));
        break;
      case "notice":
        this.notice(String(part.text || ""));
        break;
      default:
        // Unknown kinds are ignored: the server only sends the five above.
        break;
    }
  }

  text(stream, text) {
    if (!this.stream || this.stream.dataset.stream !== stream) {
      const pre = document.createElement("pre");
      pre.className = `output-stream output-${stream}`;
      pre.dataset.stream = stream;
      this.add(pre);
      this.stream = pre;
    }
    this.stream.append(document.createTextNode(text));
  }

  html(html) {
    const template = document.createElement("template");
    template.innerHTML = html;
    const div = document.createElement("div");
    div.className = "code-cell-html";
    div.append(template.content);
    this.add(div);
  }

  image(part) {
    const src = String(part.src || "");
    if (!IMAGE_MIME.test(String(part.mime || "")) || !src.startsWith("data:image/")) return;
    const img = document.createElement("img");
    img.className = "output-image";
    img.src = src;
    img.alt = typeof part.alt === "string" ? part.alt : "";
    if (Number.isFinite(part.width) && part.width > 0) img.width = part.width;
    if (Number.isFinite(part.height) && part.height > 0) img.height = part.height;
    this.add(img);
  }

  latex(latex) {
    const div = document.createElement("div");
    div.className = "output-latex";
    div.dataset.latex = latex;
    div.dataset.display = "block";
    div.textContent = latex;
    this.add(div);
    const maths = window.panlearnMaths;
    if (maths && typeof maths.render === "function") maths.render(div);
  }

  notice(text, kind) {
    const p = document.createElement("p");
    p.className = `output-notice${kind ? ` output-notice--${kind}` : ""}`;
    p.textContent = text;
    this.add(p);
    return p;
  }

  error(text) {
    return this.notice(text, "error");
  }
}
