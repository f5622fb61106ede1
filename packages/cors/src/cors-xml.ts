/**
 * The S3 wire form of a bucket CORS configuration (PutBucketCors body, GetBucketCors
 * answer). https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketCors.html
 *
 *   <CORSConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
 *     <CORSRule><ID/><AllowedOrigin/>…<AllowedMethod/>…<AllowedHeader/>…
 *       <ExposeHeader/>…<MaxAgeSeconds/></CORSRule>…
 *   </CORSConfiguration>
 *
 * Unknown elements and attributes, text where elements belong, elements where text
 * belongs, or another namespace are `MalformedXML`, as S3's schema check answers. Element
 * order inside a rule is free. Values are taken verbatim (AllowedHeader keeps its case:
 * GetBucketCors returns it so); only MaxAgeSeconds, an xsd:int, may carry surrounding
 * whitespace.
 */
import { assertConfigurationSize } from "./configuration-size.js";
import { malformedXml } from "./cors-config-error.js";
import {
  type CorsConfiguration,
  type CorsRule,
  type CorsRuleInput,
  S3_XML_NAMESPACE,
} from "./model.js";
import { type ValidateOptions, validateCors } from "./validate.js";
import { readXml, type XmlElement } from "./xml-reader.js";
import { escapeXml } from "./xml-writer.js";

const XSD_INT = /^[+-]?[0-9]+$/;

/** Parses and validates a PutBucketCors body; throws `CorsConfigError`. */
export function parseCorsXml(text: string, options: ValidateOptions = {}): CorsConfiguration {
  assertConfigurationSize(text);
  const root = readXml(text);
  if (root.name !== "CORSConfiguration") {
    throw malformedXml(`the root element is <${root.name}>, not <CORSConfiguration>`);
  }
  const namespace = namespaceOf(root, "");
  if (namespace !== "" && namespace !== S3_XML_NAMESPACE) {
    throw malformedXml(`<CORSConfiguration> is in namespace "${namespace}", not S3's`);
  }
  requireNoText(root);
  const rules = root.children.map((child, index) => {
    sameNamespace(child, namespace);
    if (child.name !== "CORSRule") throw unknownElement(child, "CORSConfiguration");
    return readRule(child, index + 1, namespace);
  });
  return validateCors({ rules }, options);
}

function readRule(element: XmlElement, n: number, namespace: string): CorsRuleInput {
  requireNoText(element);
  const rule = {
    id: undefined as string | undefined,
    allowedOrigins: [] as string[],
    allowedMethods: [] as string[],
    allowedHeaders: [] as string[],
    exposeHeaders: [] as string[],
    maxAgeSeconds: undefined as number | undefined,
  };
  for (const child of element.children) {
    sameNamespace(child, namespace);
    if (child.children.length > 0) {
      throw malformedXml(`<${child.name}> in rule ${n} holds elements; it takes text only`);
    }
    const value = child.text;
    switch (child.name) {
      case "ID":
        if (rule.id !== undefined) throw malformedXml(`rule ${n} has more than one <ID>`);
        rule.id = value;
        break;
      case "AllowedOrigin":
        rule.allowedOrigins.push(value);
        break;
      case "AllowedMethod":
        rule.allowedMethods.push(value);
        break;
      case "AllowedHeader":
        rule.allowedHeaders.push(value);
        break;
      case "ExposeHeader":
        rule.exposeHeaders.push(value);
        break;
      case "MaxAgeSeconds": {
        if (rule.maxAgeSeconds !== undefined) {
          throw malformedXml(`rule ${n} has more than one <MaxAgeSeconds>`);
        }
        const trimmed = value.trim();
        if (!XSD_INT.test(trimmed)) {
          throw malformedXml(`rule ${n}: <MaxAgeSeconds> "${value}" is not an integer`);
        }
        rule.maxAgeSeconds = Number(trimmed);
        break;
      }
      default:
        throw unknownElement(child, "CORSRule");
    }
  }
  return rule;
}

/** Only namespace declarations may stand on these elements. */
function namespaceOf(element: XmlElement, inherited: string): string {
  let namespace = inherited;
  for (const [name, value] of element.attributes) {
    if (name === "xmlns") namespace = value;
    else if (!name.startsWith("xmlns:")) {
      throw malformedXml(`unexpected attribute ${name} on <${element.name}>`);
    }
  }
  return namespace;
}

function sameNamespace(element: XmlElement, namespace: string): void {
  const own = namespaceOf(element, namespace);
  if (own !== namespace) {
    throw malformedXml(`<${element.name}> is in namespace "${own}", not "${namespace}"`);
  }
}

function requireNoText(element: XmlElement): void {
  if (element.text.trim() !== "") {
    throw malformedXml(`text inside <${element.name}>, which takes elements only`);
  }
}

function unknownElement(element: XmlElement, parent: string) {
  return malformedXml(`unknown element <${element.name}> in <${parent}>`);
}

/** The GetBucketCors body for a configuration. */
export function encodeCorsXml(config: CorsConfiguration): string {
  let xml = `<?xml version="1.0" encoding="UTF-8"?>\n<CORSConfiguration xmlns="${S3_XML_NAMESPACE}">`;
  for (const rule of config.rules) xml += encodeRule(rule);
  return `${xml}</CORSConfiguration>`;
}

function encodeRule(rule: CorsRule): string {
  let xml = "<CORSRule>";
  if (rule.id !== undefined) xml += leaf("ID", rule.id);
  for (const origin of rule.allowedOrigins) xml += leaf("AllowedOrigin", origin);
  for (const method of rule.allowedMethods) xml += leaf("AllowedMethod", method);
  for (const header of rule.allowedHeaders) xml += leaf("AllowedHeader", header);
  for (const header of rule.exposeHeaders) xml += leaf("ExposeHeader", header);
  if (rule.maxAgeSeconds !== undefined) xml += leaf("MaxAgeSeconds", String(rule.maxAgeSeconds));
  return `${xml}</CORSRule>`;
}

function leaf(name: string, value: string): string {
  return `<${name}>${escapeXml(value)}</${name}>`;
}
