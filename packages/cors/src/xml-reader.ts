/**
 * A small, strict XML 1.0 reader — just enough for the documents S3 takes as request
 * bodies and sends as answers: elements, attributes, character data, CDATA, the five
 * predefined entities and character references, comments and an optional `<?xml …?>`
 * declaration. The project's only one: `@sluice/s3` re-exports it for everything else.
 * https://www.w3.org/TR/xml/
 *
 * Refused outright, because a configuration never needs them and each is an attack
 * surface: DOCTYPE (so no entity declarations, no XXE, no billion laughs), processing
 * instructions, and any entity other than the predefined five. Every failure is
 * `MalformedXML` with S3's message; `detail` says what and where.
 */
import { malformedXml } from "./cors-config-error.js";

export interface XmlElement {
  name: string;
  /** In document order; names are unique (a duplicate is an error). */
  attributes: Map<string, string>;
  children: XmlElement[];
  /** All character data directly inside this element, entities decoded. */
  text: string;
}

/** Characters outside XML 1.0's `Char` production (§2.2). */
export const NOT_XML_CHAR = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;
const NAME = /[A-Za-z_:][A-Za-z0-9_:.-]*/y;
const XML_DECLARATION =
  /^<\?xml\s+version\s*=\s*(?:"1\.[0-9]+"|'1\.[0-9]+')(?:\s+encoding\s*=\s*(?:"[A-Za-z][A-Za-z0-9._-]*"|'[A-Za-z][A-Za-z0-9._-]*'))?(?:\s+standalone\s*=\s*(?:"(?:yes|no)"|'(?:yes|no)'))?\s*\?>/;
const ENTITY_REFERENCE = /^(?:amp|lt|gt|quot|apos|#[0-9]{1,7}|#x[0-9A-Fa-f]{1,6})$/;
const PREDEFINED: Readonly<Record<string, string>> = {
  amp: "&",
  lt: "<",
  gt: ">",
  quot: '"',
  apos: "'",
};

/** Parses a whole document and returns its root element. */
export function readXml(input: string): XmlElement {
  return new Reader(input).document();
}

class Reader {
  private readonly src: string;
  private pos = 0;

  constructor(input: string) {
    // §2.11: a parser passes "\r\n" and a lone "\r" on as "\n". A byte-order mark is not content.
    this.src = (input.startsWith("\uFEFF") ? input.slice(1) : input).replace(/\r\n?/g, "\n");
  }

  document(): XmlElement {
    const bad = NOT_XML_CHAR.exec(this.src);
    if (bad) {
      this.pos = bad.index;
      this.fail(
        `character U+${(bad[0].codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, "0")} is not allowed in XML`,
      );
    }
    if (this.src.startsWith("<?xml")) {
      const declaration = XML_DECLARATION.exec(this.src);
      if (!declaration) this.fail("malformed XML declaration");
      this.pos = declaration[0].length;
    }
    this.misc();
    if (this.src[this.pos] !== "<") this.fail("expected the root element");
    const root = this.element();
    this.misc();
    if (this.pos < this.src.length) this.fail("content after the root element");
    return root;
  }

  /** Whitespace and comments, allowed before and after the root element. */
  private misc(): void {
    for (;;) {
      this.skipWhitespace();
      if (this.src.startsWith("<!--", this.pos)) this.comment();
      else if (this.src.startsWith("<!DOCTYPE", this.pos)) {
        this.fail("DOCTYPE declarations are not allowed");
      } else if (this.src.startsWith("<?", this.pos)) {
        this.fail("processing instructions are not allowed");
      } else return;
    }
  }

  /** An element and everything in it; iterative, so nesting cannot exhaust the stack. */
  private element(): XmlElement {
    const root = this.startTag();
    if (root.selfClosing) return root.element;
    const open: XmlElement[] = [root.element];
    for (;;) {
      const current = open[open.length - 1] as XmlElement;
      const lt = this.src.indexOf("<", this.pos);
      if (lt < 0) this.fail(`<${current.name}> is not closed`);
      if (lt > this.pos) {
        current.text += this.characterData(this.pos, lt);
        this.pos = lt;
      }
      if (this.src.startsWith("</", this.pos)) {
        this.pos += 2;
        const name = this.name("a closing tag name");
        this.skipWhitespace();
        this.expect(">");
        if (name !== current.name) {
          this.fail(`</${name}> does not close <${current.name}>`);
        }
        open.pop();
        if (open.length === 0) return current;
      } else if (this.src.startsWith("<!--", this.pos)) {
        this.comment();
      } else if (this.src.startsWith("<![CDATA[", this.pos)) {
        const end = this.src.indexOf("]]>", this.pos + 9);
        if (end < 0) this.fail("CDATA section is not closed");
        current.text += this.src.slice(this.pos + 9, end);
        this.pos = end + 3;
      } else if (this.src.startsWith("<?", this.pos)) {
        this.fail("processing instructions are not allowed");
      } else if (this.src.startsWith("<!", this.pos)) {
        this.fail("declarations are not allowed");
      } else {
        const child = this.startTag();
        current.children.push(child.element);
        if (!child.selfClosing) open.push(child.element);
      }
    }
  }

  private startTag(): { element: XmlElement; selfClosing: boolean } {
    this.pos++; // "<"
    const element: XmlElement = {
      name: this.name("an element name"),
      attributes: new Map(),
      children: [],
      text: "",
    };
    for (;;) {
      const spaced = this.skipWhitespace();
      if (this.src.startsWith("/>", this.pos)) {
        this.pos += 2;
        return { element, selfClosing: true };
      }
      if (this.src[this.pos] === ">") {
        this.pos++;
        return { element, selfClosing: false };
      }
      if (!spaced) this.fail(`expected whitespace, ">" or "/>" in <${element.name}>`);
      const name = this.name("an attribute name");
      this.skipWhitespace();
      this.expect("=");
      this.skipWhitespace();
      const quote = this.src[this.pos];
      if (quote !== '"' && quote !== "'") this.fail(`attribute ${name} has no quoted value`);
      const end = this.src.indexOf(quote, this.pos + 1);
      if (end < 0) this.fail(`attribute ${name} is not closed`);
      const raw = this.src.slice(this.pos + 1, end);
      if (raw.includes("<")) this.fail(`"<" in the value of attribute ${name}`);
      if (element.attributes.has(name)) this.fail(`attribute ${name} appears twice`);
      // §3.3.3: literal whitespace in an attribute value becomes a space.
      element.attributes.set(name, this.decode(raw.replace(/[\t\n]/g, " "), this.pos + 1));
      this.pos = end + 1;
    }
  }

  private characterData(start: number, end: number): string {
    const raw = this.src.slice(start, end);
    const cdataEnd = raw.indexOf("]]>");
    if (cdataEnd >= 0) {
      this.pos = start + cdataEnd;
      this.fail(`"]]>" in character data`);
    }
    return this.decode(raw, start);
  }

  /** Replaces entity and character references; `at` is where `raw` starts, for errors. */
  private decode(raw: string, at: number): string {
    let amp = raw.indexOf("&");
    if (amp < 0) return raw;
    let out = "";
    let from = 0;
    while (amp >= 0) {
      const semicolon = raw.indexOf(";", amp);
      const reference = semicolon < 0 ? "" : raw.slice(amp + 1, semicolon);
      if (!ENTITY_REFERENCE.test(reference)) {
        this.pos = at + amp;
        this.fail(semicolon < 0 ? `"&" that starts no reference` : `unknown entity &${reference};`);
      }
      out += raw.slice(from, amp) + this.referenced(reference, at + amp);
      from = semicolon + 1;
      amp = raw.indexOf("&", from);
    }
    return out + raw.slice(from);
  }

  private referenced(reference: string, at: number): string {
    const predefined = PREDEFINED[reference];
    if (predefined !== undefined) return predefined;
    const code =
      reference[1] === "x"
        ? Number.parseInt(reference.slice(2), 16)
        : Number.parseInt(reference.slice(1), 10);
    const isChar =
      code === 0x9 ||
      code === 0xa ||
      code === 0xd ||
      (code >= 0x20 && code <= 0xd7ff) ||
      (code >= 0xe000 && code <= 0xfffd) ||
      (code >= 0x10000 && code <= 0x10ffff);
    if (!isChar) {
      this.pos = at;
      this.fail(`&${reference}; is not a character XML allows`);
    }
    return String.fromCodePoint(code);
  }

  private comment(): void {
    const end = this.src.indexOf("-->", this.pos + 4);
    if (end < 0) this.fail("comment is not closed");
    const body = this.src.slice(this.pos + 4, end);
    // §2.5: "the string '--' (double-hyphen) MUST NOT occur within comments".
    if (body.includes("--") || body.endsWith("-")) this.fail(`"--" inside a comment`);
    this.pos = end + 3;
  }

  private name(what: string): string {
    NAME.lastIndex = this.pos;
    const match = NAME.exec(this.src);
    if (!match) this.fail(`expected ${what}`);
    this.pos = NAME.lastIndex;
    return match[0];
  }

  private expect(text: string): void {
    if (!this.src.startsWith(text, this.pos)) this.fail(`expected "${text}"`);
    this.pos += text.length;
  }

  /** Skips XML whitespace (§2.3 S); says whether there was any. */
  private skipWhitespace(): boolean {
    const start = this.pos;
    for (;;) {
      const c = this.src.charCodeAt(this.pos);
      if (c === 0x20 || c === 0x9 || c === 0xa || c === 0xd) this.pos++;
      else return this.pos > start;
    }
  }

  private fail(what: string): never {
    const before = this.src.slice(0, this.pos);
    const line = before.split("\n").length;
    const column = this.pos - before.lastIndexOf("\n");
    throw malformedXml(`${what} (line ${line}, column ${column})`);
  }
}
