// The CodeMirror 6 editor of one code cell.
import { Annotation, EditorState, Prec, Transaction } from "@codemirror/state";
import {
  EditorView,
  drawSelection,
  dropCursor,
  highlightActiveLine,
  highlightActiveLineGutter,
  highlightSpecialChars,
  keymap,
  lineNumbers,
} from "@codemirror/view";
import { defaultKeymap, history, historyKeymap, indentWithTab } from "@codemirror/commands";
import {
  HighlightStyle,
  bracketMatching,
  foldKeymap,
  indentOnInput,
  indentUnit,
  syntaxHighlighting,
} from "@codemirror/language";
import { tags } from "@lezer/highlight";
import { python } from "@codemirror/lang-python";
import {
  autocompletion,
  closeBrackets,
  closeBracketsKeymap,
  completionKeymap,
} from "@codemirror/autocomplete";

// Marks changes that did not come from the student typing in this tab
// (another tab's draft, a conflict resolved with "Use theirs"), so that they
// are not saved back.
const fromElsewhere = Annotation.define();

const theme = EditorView.theme({
  "&": { fontSize: "0.95rem", backgroundColor: "#fff" },
  "&.cm-focused": { outline: "none" },
  ".cm-scroller": {
    fontFamily: 'ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace',
    lineHeight: "1.5",
  },
  ".cm-content": { padding: "0.4rem 0" },
  ".cm-gutters": { backgroundColor: "#f3f5f9", color: "#5a6275", borderRight: "1px solid #d9dee8" },
  ".cm-activeLine": { backgroundColor: "#f5f8fd" },
  ".cm-activeLineGutter": { backgroundColor: "#e6edf7" },
});

// CodeMirror's default colours, except the three below 4.5:1 (WCAG AA) on the
// editor's white and on the active line: escapes and regexps (#e40), type
// names (#085) and invalid code (#f00). Checked by axe in the browser tests.
const highlightStyle = HighlightStyle.define([
  { tag: tags.meta, color: "#404740" },
  { tag: tags.link, textDecoration: "underline" },
  { tag: tags.heading, textDecoration: "underline", fontWeight: "bold" },
  { tag: tags.emphasis, fontStyle: "italic" },
  { tag: tags.strong, fontWeight: "bold" },
  { tag: tags.strikethrough, textDecoration: "line-through" },
  { tag: tags.keyword, color: "#708" },
  { tag: [tags.atom, tags.bool, tags.url, tags.contentSeparator, tags.labelName], color: "#219" },
  { tag: [tags.literal, tags.inserted], color: "#164" },
  { tag: [tags.string, tags.deleted], color: "#a11" },
  { tag: [tags.regexp, tags.escape, tags.special(tags.string)], color: "#b33000" },
  { tag: tags.definition(tags.variableName), color: "#00f" },
  { tag: tags.local(tags.variableName), color: "#30a" },
  { tag: [tags.typeName, tags.namespace], color: "#006b45" },
  { tag: tags.className, color: "#167" },
  { tag: [tags.special(tags.variableName), tags.macroName], color: "#256" },
  { tag: tags.definition(tags.propertyName), color: "#00c" },
  { tag: tags.comment, color: "#940" },
  { tag: tags.invalid, color: "#c00" },
]);

// options: doc, readOnly, label, describedBy, onRun(), onRunAndAdvance(),
// onEdit() (a change typed in this tab).
export function createEditor(parent, options) {
  const runKeys = Prec.highest(
    keymap.of([
      { key: "Shift-Enter", run: () => (options.onRunAndAdvance(), true) },
      { key: "Mod-Enter", run: () => (options.onRun(), true) },
    ]),
  );
  // tabindex: the content is a tab stop already (contenteditable); saying so lets
  // checkers see that the scrolling region around it can be reached by keyboard.
  const attributes = { "aria-label": options.label, tabindex: "0" };
  if (options.describedBy) attributes["aria-describedby"] = options.describedBy;

  const view = new EditorView({
    parent,
    state: EditorState.create({
      doc: options.doc,
      extensions: [
        runKeys,
        lineNumbers(),
        highlightActiveLineGutter(),
        highlightSpecialChars(),
        history(),
        drawSelection(),
        dropCursor(),
        EditorState.allowMultipleSelections.of(true),
        indentOnInput(),
        indentUnit.of("    "),
        syntaxHighlighting(highlightStyle, { fallback: true }),
        bracketMatching(),
        closeBrackets(),
        // Completion only on request (Ctrl+Space): a popup that takes Enter
        // while a beginner types a new line is more confusing than helpful.
        autocompletion({ activateOnTyping: false }),
        highlightActiveLine(),
        python(),
        // Tab indents; Escape then Tab moves focus on (built into
        // @codemirror/view), so keyboard users are never trapped.
        keymap.of([
          ...closeBracketsKeymap,
          ...defaultKeymap,
          ...historyKeymap,
          ...foldKeymap,
          ...completionKeymap,
          indentWithTab,
        ]),
        EditorState.readOnly.of(!!options.readOnly),
        EditorView.contentAttributes.of(attributes),
        EditorView.updateListener.of((update) => {
          if (!update.docChanged) return;
          if (update.transactions.some((tr) => tr.annotation(fromElsewhere))) return;
          options.onEdit();
        }),
        theme,
      ],
    }),
  });
  return view;
}

export function getCode(view) {
  return view.state.doc.toString();
}

// Replace the whole text. `elsewhere`: the text came from the server or
// another tab (not saved back, not undoable); otherwise it is an ordinary,
// undoable edit that autosave picks up.
export function setCode(view, code, { elsewhere = false } = {}) {
  if (getCode(view) === code) return;
  const annotations = elsewhere
    ? [fromElsewhere.of(true), Transaction.addToHistory.of(false)]
    : [Transaction.userEvent.of("input.replace")];
  view.dispatch({
    changes: { from: 0, to: view.state.doc.length, insert: code },
    annotations,
  });
}
