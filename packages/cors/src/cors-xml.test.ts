import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CorsConfigError } from "./cors-config-error.js";
import { encodeCorsXml, parseCorsXml } from "./cors-xml.js";
import type { CorsConfiguration } from "./model.js";

const MALFORMED =
  "The XML you provided was not well-formed or did not validate against our published schema";
const NS = 'xmlns="http://s3.amazonaws.com/doc/2006-03-01/"';

function rejects(xml: string, detail: RegExp, code = "MalformedXML", message = MALFORMED) {
  assert.throws(
    () => parseCorsXml(xml),
    (error: unknown) => {
      assert.ok(error instanceof CorsConfigError, String(error));
      assert.equal(error.code, code);
      assert.equal(error.message, message);
      assert.match(error.detail, detail);
      return true;
    },
  );
}

const wrap = (rules: string) => `<CORSConfiguration ${NS}>${rules}</CORSConfiguration>`;
const minimalRule =
  "<AllowedOrigin>https://a.example</AllowedOrigin><AllowedMethod>GET</AllowedMethod>";

describe("parseCorsXml", () => {
  it("reads a full document: prolog, namespace, comments, whitespace, entities, CDATA", () => {
    const xml = `<?xml version="1.0" encoding="UTF-8"?>
<!-- uploads from the app -->
<CORSConfiguration ${NS}>
  <CORSRule>
    <ID>uploads &amp; reads</ID>
    <AllowedOrigin>https://app.example.com</AllowedOrigin>
    <AllowedOrigin>https://&#x2A;.preview.example.com</AllowedOrigin>
    <AllowedMethod>PUT</AllowedMethod>
    <!-- GET for the gallery -->
    <AllowedMethod>GET</AllowedMethod>
    <AllowedHeader>Content-Type</AllowedHeader>
    <AllowedHeader><![CDATA[x-amz-meta-*]]></AllowedHeader>
    <ExposeHeader>ETag</ExposeHeader>
    <MaxAgeSeconds> 3600 </MaxAgeSeconds>
  </CORSRule>
  <CORSRule>
    <AllowedOrigin>*</AllowedOrigin>
    <AllowedMethod>HEAD</AllowedMethod>
  </CORSRule>
</CORSConfiguration>
`;
    assert.deepEqual(parseCorsXml(xml), {
      rules: [
        {
          id: "uploads & reads",
          allowedOrigins: ["https://app.example.com", "https://*.preview.example.com"],
          allowedMethods: ["PUT", "GET"],
          allowedHeaders: ["Content-Type", "x-amz-meta-*"],
          exposeHeaders: ["ETag"],
          maxAgeSeconds: 3600,
        },
        {
          allowedOrigins: ["*"],
          allowedMethods: ["HEAD"],
          allowedHeaders: [],
          exposeHeaders: [],
        },
      ],
    } satisfies CorsConfiguration);
  });

  it("accepts a document without the namespace", () => {
    const config = parseCorsXml(
      `<CORSConfiguration><CORSRule>${minimalRule}</CORSRule></CORSConfiguration>`,
    );
    assert.deepEqual(config.rules[0]?.allowedOrigins, ["https://a.example"]);
  });

  it("accepts elements in any order and self-closing empty elements", () => {
    const config = parseCorsXml(
      wrap(
        "<CORSRule><MaxAgeSeconds>5</MaxAgeSeconds><AllowedMethod>GET</AllowedMethod><ID/><AllowedOrigin/></CORSRule>",
      ),
    );
    assert.deepEqual(config.rules[0], {
      id: "",
      allowedOrigins: [""],
      allowedMethods: ["GET"],
      allowedHeaders: [],
      exposeHeaders: [],
      maxAgeSeconds: 5,
    });
  });

  it("passes the flavor to validation", () => {
    const xml = wrap(`<CORSRule>${minimalRule}<MaxAgeSeconds>90000</MaxAgeSeconds></CORSRule>`);
    assert.equal(parseCorsXml(xml).rules[0]?.maxAgeSeconds, 90_000);
    assert.throws(() => parseCorsXml(xml, { flavor: "r2" }), { code: "MalformedXML" });
  });

  it("answers S3's value errors with InvalidRequest", () => {
    rejects(
      wrap(
        "<CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>MYMETHOD</AllowedMethod></CORSRule>",
      ),
      /MYMETHOD/,
      "InvalidRequest",
      "Found unsupported HTTP method in CORS config. Unsupported method is MYMETHOD",
    );
  });

  const malformed: [string, string, RegExp][] = [
    ["an empty body", "", /expected the root element/],
    ["a configuration with no rules", wrap(""), /no CORSRule/],
    [
      "a rule without AllowedMethod",
      wrap("<CORSRule><AllowedOrigin>*</AllowedOrigin></CORSRule>"),
      /rule 1 has no AllowedMethod/,
    ],
    [
      "a rule without AllowedOrigin",
      wrap("<CORSRule><AllowedMethod>GET</AllowedMethod></CORSRule>"),
      /rule 1 has no AllowedOrigin/,
    ],
    [
      "an unknown element in a rule",
      wrap(`<CORSRule>${minimalRule}<AllowedMethods>GET</AllowedMethods></CORSRule>`),
      /unknown element <AllowedMethods> in <CORSRule>/,
    ],
    [
      "an unknown element in the configuration",
      wrap("<Rule/>"),
      /unknown element <Rule> in <CORSConfiguration>/,
    ],
    ["another root element", `<CORSConfig ${NS}/>`, /root element is <CORSConfig>/],
    [
      "a prefixed element name",
      `<s3:CORSConfiguration xmlns:s3="x"/>`,
      /root element is <s3:CORSConfiguration>/,
    ],
    [
      "text between rules",
      wrap(`<CORSRule>${minimalRule}</CORSRule>stray`),
      /text inside <CORSConfiguration>/,
    ],
    [
      "an element inside a value",
      wrap(`<CORSRule>${minimalRule}<ID><b>x</b></ID></CORSRule>`),
      /<ID> in rule 1 holds elements/,
    ],
    [
      "two IDs in a rule",
      wrap(`<CORSRule>${minimalRule}<ID>a</ID><ID>b</ID></CORSRule>`),
      /more than one <ID>/,
    ],
    [
      "two MaxAgeSeconds in a rule",
      wrap(
        `<CORSRule>${minimalRule}<MaxAgeSeconds>1</MaxAgeSeconds><MaxAgeSeconds>2</MaxAgeSeconds></CORSRule>`,
      ),
      /more than one <MaxAgeSeconds>/,
    ],
    [
      "a MaxAgeSeconds that is not a number",
      wrap(`<CORSRule>${minimalRule}<MaxAgeSeconds>hour</MaxAgeSeconds></CORSRule>`),
      /not an integer/,
    ],
    [
      "a fractional MaxAgeSeconds",
      wrap(`<CORSRule>${minimalRule}<MaxAgeSeconds>1.5</MaxAgeSeconds></CORSRule>`),
      /not an integer/,
    ],
    [
      "a negative MaxAgeSeconds",
      wrap(`<CORSRule>${minimalRule}<MaxAgeSeconds>-1</MaxAgeSeconds></CORSRule>`),
      /MaxAgeSeconds must be a whole number/,
    ],
    [
      "another namespace",
      `<CORSConfiguration xmlns="http://example.com/"><CORSRule>${minimalRule}</CORSRule></CORSConfiguration>`,
      /namespace "http:\/\/example.com\/"/,
    ],
    [
      "a rule that changes namespace",
      wrap(`<CORSRule xmlns="urn:x">${minimalRule}</CORSRule>`),
      /<CORSRule> is in namespace "urn:x"/,
    ],
    [
      "an attribute other than a namespace",
      wrap(`<CORSRule id="1">${minimalRule}</CORSRule>`),
      /unexpected attribute id on <CORSRule>/,
    ],
    [
      "an unclosed element",
      `<CORSConfiguration ${NS}><CORSRule>${minimalRule}`,
      /<CORSRule> is not closed/,
    ],
    [
      "crossed tags",
      wrap(`<CORSRule>${minimalRule}<ID>a</CORSRule></ID>`),
      /<\/CORSRule> does not close <ID>/,
    ],
    [
      "content after the root",
      `${wrap(`<CORSRule>${minimalRule}</CORSRule>`)}<CORSConfiguration/>`,
      /content after the root element/,
    ],
    [
      "a DOCTYPE (no XXE)",
      `<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>${wrap("")}`,
      /DOCTYPE declarations are not allowed/,
    ],
    [
      "an entity declaration inside the document",
      wrap(`<!ENTITY a "b"><CORSRule>${minimalRule}</CORSRule>`),
      /declarations are not allowed/,
    ],
    [
      "an undeclared entity",
      wrap(`<CORSRule>${minimalRule}<ID>&xxe;</ID></CORSRule>`),
      /unknown entity &xxe;/,
    ],
    [
      "a bare ampersand",
      wrap(`<CORSRule>${minimalRule}<ID>a & b</ID></CORSRule>`),
      /"&" that starts no reference/,
    ],
    [
      "a processing instruction",
      wrap(`<?php echo 1 ?><CORSRule>${minimalRule}</CORSRule>`),
      /processing instructions/,
    ],
    [
      "an XML declaration that is not first",
      ` <?xml version="1.0"?>${wrap("")}`,
      /processing instructions/,
    ],
    [
      "a malformed XML declaration",
      `<?xml encoding="UTF-8"?>${wrap("")}`,
      /malformed XML declaration/,
    ],
    [
      "a double hyphen in a comment",
      wrap(`<!-- a -- b --><CORSRule>${minimalRule}</CORSRule>`),
      /"--" inside a comment/,
    ],
    [
      "a reference to a character XML forbids",
      wrap(`<CORSRule>${minimalRule}<ID>&#0;</ID></CORSRule>`),
      /&#0; is not a character XML allows/,
    ],
    [
      "a raw control character",
      wrap(`<CORSRule>${minimalRule}<ID>\u0007</ID></CORSRule>`),
      /U\+0007 is not allowed/,
    ],
    [
      "an attribute without quotes",
      `<CORSConfiguration xmlns=x/>`,
      /attribute xmlns has no quoted value/,
    ],
  ];
  for (const [what, xml, detail] of malformed) {
    it(`rejects ${what} as MalformedXML`, () => rejects(xml, detail));
  }

  it("says where a syntax error is", () => {
    rejects(`<CORSConfiguration>\n  <CORSRule>\n    <ID>a & b</ID>`, /\(line 3, column 11\)/);
  });

  it("rejects a configuration over 64 KiB with MaxMessageLengthExceeded", () => {
    const rule = `<CORSRule>${minimalRule}</CORSRule>`;
    const xml = wrap(rule.repeat(Math.ceil(65_536 / rule.length)));
    rejects(xml, /the limit is 65536/, "MaxMessageLengthExceeded", "Your request was too big.");
  });

  it("counts the size in UTF-8 bytes, not characters", () => {
    const id = "é".repeat(20_000); // 40,000 bytes in UTF-8, twice in the document
    const xml = wrap(
      `<CORSRule>${minimalRule}<ID>${id}</ID></CORSRule><CORSRule>${minimalRule}<ID>${id}</ID></CORSRule>`,
    );
    assert.ok(xml.length < 65_536);
    rejects(
      xml,
      /bytes; the limit is 65536/,
      "MaxMessageLengthExceeded",
      "Your request was too big.",
    );
  });
});

describe("encodeCorsXml", () => {
  const config: CorsConfiguration = {
    rules: [
      {
        id: "a<b>&c",
        allowedOrigins: ["https://app.example"],
        allowedMethods: ["PUT", "GET"],
        allowedHeaders: ["Content-Type"],
        exposeHeaders: ["ETag"],
        maxAgeSeconds: 3600,
      },
      { allowedOrigins: ["*"], allowedMethods: ["HEAD"], allowedHeaders: [], exposeHeaders: [] },
    ],
  };

  it("writes S3's GetBucketCors body, escaping text and keeping header case", () => {
    assert.equal(
      encodeCorsXml(config),
      '<?xml version="1.0" encoding="UTF-8"?>\n' +
        '<CORSConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">' +
        "<CORSRule><ID>a&lt;b&gt;&amp;c</ID><AllowedOrigin>https://app.example</AllowedOrigin>" +
        "<AllowedMethod>PUT</AllowedMethod><AllowedMethod>GET</AllowedMethod>" +
        "<AllowedHeader>Content-Type</AllowedHeader><ExposeHeader>ETag</ExposeHeader>" +
        "<MaxAgeSeconds>3600</MaxAgeSeconds></CORSRule>" +
        "<CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>HEAD</AllowedMethod></CORSRule>" +
        "</CORSConfiguration>",
    );
  });

  it("round-trips through parseCorsXml, carriage returns and markup characters included", () => {
    const tricky: CorsConfiguration = {
      rules: [
        {
          id: "line\r\nbreak ]]> 'q' \"d\" \t tab",
          allowedOrigins: ["https://a.example/?x=1&y=<2>"],
          allowedMethods: ["GET"],
          allowedHeaders: ["x-a&b"],
          exposeHeaders: [],
        },
      ],
    };
    assert.deepEqual(parseCorsXml(encodeCorsXml(tricky)), tricky);
  });
});
