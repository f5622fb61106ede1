import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { readXml } from "./xml-reader.js";

describe("readXml", () => {
  it("decodes the five predefined entities and decimal and hex character references", () => {
    const root = readXml("<a>&amp;&lt;&gt;&quot;&apos;&#65;&#x42;&#x1F600;</a>");
    assert.equal(root.text, "&<>\"'AB\u{1F600}");
  });

  it("normalizes CRLF and CR to LF, but keeps a referenced CR", () => {
    assert.equal(readXml("<a>1\r\n2\r3&#13;</a>").text, "1\n2\n3\r");
  });

  it("skips a byte-order mark, the declaration, comments and whitespace around the root", () => {
    const root = readXml(
      "\uFEFF<?xml version='1.0' encoding='utf-8' standalone='yes'?>\n<!-- c -->\n<a/>\n<!-- d -->\n",
    );
    assert.equal(root.name, "a");
    assert.equal(root.children.length, 0);
  });

  it("reads attributes in either quote, decoding entities and normalizing whitespace", () => {
    const root = readXml(`<a x='1 &amp; "2"' y="a\tb"/>`);
    assert.deepEqual(
      [...root.attributes],
      [
        ["x", '1 & "2"'],
        ["y", "a b"],
      ],
    );
  });

  it("nests elements and gathers text split by comments and CDATA", () => {
    const root = readXml("<a><b>x<!-- c -->y<![CDATA[<z>&amp;]]></b><c/></a>");
    assert.deepEqual(
      root.children.map((c) => [c.name, c.text]),
      [
        ["b", "xy<z>&amp;"],
        ["c", ""],
      ],
    );
  });

  it("reads deep nesting without recursion", () => {
    const depth = 10_000;
    const root = readXml(`${"<a>".repeat(depth)}${"</a>".repeat(depth)}`);
    let level = 0;
    for (let e = root; e.children[0] !== undefined; e = e.children[0]) level++;
    assert.equal(level, depth - 1);
  });

  const refused: [string, string, RegExp][] = [
    ["a duplicate attribute", `<a x="1" x="2"/>`, /attribute x appears twice/],
    ["attributes without whitespace between them", `<a x="1"y="2"/>`, /expected whitespace/],
    ["< in an attribute value", `<a x="<"/>`, /"<" in the value of attribute x/],
    ["]]> in character data", "<a>]]></a>", /"]]>" in character data/],
    ["an unclosed CDATA section", "<a><![CDATA[x</a>", /CDATA section is not closed/],
    ["an unclosed comment", "<a><!-- x</a>", /comment is not closed/],
    ["a comment ending in ---> ", "<a><!-- x ---></a>", /"--" inside a comment/],
    ["a character reference beyond Unicode", "<a>&#x110000;</a>", /not a character XML allows/],
    ["a surrogate character reference", "<a>&#xD800;</a>", /not a character XML allows/],
    ["a missing closing tag name", "<a></ >", /expected a closing tag name/],
  ];
  for (const [what, xml, detail] of refused) {
    it(`refuses ${what}`, () => {
      assert.throws(
        () => readXml(xml),
        (error: Error & { code?: string; detail?: string }) => {
          assert.equal(error.code, "MalformedXML");
          assert.match(error.detail ?? "", detail);
          return true;
        },
      );
    });
  }
});
