/**
 * What `react.ts` uses of React, typed structurally, so this package builds without React
 * or `@types/react`: React is an optional peer dependency, resolved by the app's bundler.
 * Only this package's own compilation sees this declaration.
 */
declare module "react" {
  export interface RefObject<T> {
    current: T;
  }
  export type ReactElement = { readonly type: unknown; readonly props: unknown };
  export function createElement(
    type: string,
    props: Readonly<Record<string, unknown>> | null,
    ...children: unknown[]
  ): ReactElement;
  export function useRef<T>(initial: T): RefObject<T>;
  export function useEffect(
    effect: () => undefined | (() => void),
    deps?: readonly unknown[],
  ): void;
}
